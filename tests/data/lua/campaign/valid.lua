-- A valid campaign (tests/unit/test_lua.c points PATH at stub lmp and pw.x executables).
local temperatures = {}
for i = 1, 5 do temperatures[i] = 300 * i end

campaign {
  name = "al-test",
  description = "aluminium: MD exploration, DFT labels",
  database = "campaign.db",
  seed = { "seed.xyz" },
  descriptor = { k = 32, cutoff = 5.0, multicomponent = false },
  bandwidth = 0.015,
  jobs = {
    explore = {
      command = { "lmp", "-in", "in.lammps" },
      adapter = "lammps",
      backend = "local",
      options = { env = { OMP_NUM_THREADS = 2 } },
      timeout = "2h",
      retries = 1,
      parallel = 4,
    },
    label = {
      command = { "pw.x", "-in", "pw.in" },
      adapter = "qe",
      backend = "slurm",
      options = { partition = "cpu", time = "01:00:00", ntasks = 32, extra = { "--exclusive" } },
      timeout = 3600,
      retries = 2,
      parallel = 8,
    },
  },
  recipe = { "novelty", "compress", "converged" },
  params = { novelty_threshold = 0.0, temperatures = temperatures, stop_patience = 3 },
  limits = { max_generations = 20, label_budget_per_generation = 50, label_budget_total = 500 },
  random_seed = 7,
}

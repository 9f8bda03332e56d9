-- Example campaign: bulk aluminium, explored with LAMMPS MD at a rising temperature and
-- labelled with Quantum ESPRESSO (Debian packages lammps and quantum-espresso provide
-- `lmp` and `pw.x`). Validate it with:
--     entrain check examples/campaign.lua
-- (ENTRAIN_NO_PATH_CHECK=1 entrain check ... on a machine without lmp / pw.x). Relative
-- paths start in this file's folder. Keys and recipes: recipes/API.md.

local temperatures = {}
for i = 1, 6 do temperatures[i] = 300 * i end -- 300 K, 600 K, ... 1800 K

campaign {
  name = "al-bulk",
  description = "fcc aluminium: MD exploration from 300 to 1800 K, PBE labels",
  database = "al-bulk.db",
  seed = { "data/al_md_300K.xyz" },
  descriptor = { k = 32, cutoff = 5.0, multicomponent = false },
  bandwidth = 0.015,
  jobs = {
    explore = {
      command = { "lmp", "-in", "in.lammps" },
      adapter = "lammps",
      backend = "local",
      options = { env = { OMP_NUM_THREADS = 1 } },
      timeout = "2h",
      retries = 1,
      parallel = 2,
    },
    label = {
      command = { "pw.x", "-in", "pw.in" },
      adapter = "qe",
      backend = "local",
      options = { env = { OMP_NUM_THREADS = 1 } },
      timeout = "1h",
      retries = 2,
      parallel = 2,
    },
  },
  -- novelty: plan + select; compress: drop redundant labelled structures; converged: stop.
  recipe = { "novelty", "compress", "converged" },
  params = {
    novelty_threshold = 0.0, -- select candidates with max dH > 0 nats
    temperatures = temperatures,
    replicas = 2,
    md_steps = 5000,
    compress_every = 2,
    compress_max_fraction = 0.05,
    stop_novelty_below = 0.01,
    stop_patience = 3,
  },
  limits = { max_generations = 10, label_budget_per_generation = 20, label_budget_total = 150 },
  random_seed = 2024,
}

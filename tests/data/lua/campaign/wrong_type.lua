campaign {
  name = "bad",
  database = "campaign.db",
  seed = "seed.xyz",
  descriptor = { k = "32" },
  jobs = {
    explore = { command = { "lmp" } },
    label = {
      command = { "pw.x" },
      timeout = "soon",
      retries = 1.5,
    },
  },
  bandwidth = -0.1,
  limits = { max_generations = 2, label_budget_per_generation = 5 },
}

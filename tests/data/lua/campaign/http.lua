campaign {
  name = "bad",
  database = "campaign.db",
  seed = "seed.xyz",
  jobs = {
    explore = { command = { "lmp" } },
    label = {
      backend = "http",
      command = { "pw.x" },
      options = { headers = { Accept = "application/json" } },
    },
  },
  limits = { max_generations = 2, label_budget_per_generation = 5 },
}

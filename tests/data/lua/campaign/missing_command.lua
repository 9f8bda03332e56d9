campaign {
  name = "bad",
  database = "campaign.db",
  seed = "seed.xyz",
  jobs = {
    explore = { command = { "lmp" } },
    label = { adapter = "qe", timeout = 60 },
  },
  limits = { max_generations = 2, label_budget_per_generation = 5 },
}

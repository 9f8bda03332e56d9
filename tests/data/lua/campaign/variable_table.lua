local label = { command = { "pw.x" }, timeout = "never" }
campaign {
  name = "bad",
  database = "campaign.db",
  seed = "seed.xyz",
  jobs = {
    explore = { command = { "lmp" } },
    label = label,
  },
  limits = { max_generations = 2, label_budget_per_generation = 5 },
}

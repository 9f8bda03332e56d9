campaign {
  name = "bad",
  database = "campaign.db",
  seed = "seed.xyz",
  jobs = {
    explore = { command = { "lmp" } },
    label = {
      command = { "pw.x" },
      timout = 3600,
    },
  },
  limits = { max_generations = 2, label_budget_per_generation = 5 },
  colour = "blue",
}

campaign {
  name = "bad",
  database = "campaign.db",
  seed = "seed.xyz",
  jobs = { explore = { command = { "lmp" } }, label = { command = { "pw.x" } } },
  limits = {
    max_generations = -1,
    label_budget_per_generation = 100,
    label_budget_total = 50,
  },
}

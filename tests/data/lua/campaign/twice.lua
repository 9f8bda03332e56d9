local c = {
  name = "twice", database = "campaign.db", seed = "seed.xyz",
  jobs = { explore = { command = { "lmp" } }, label = { command = { "pw.x" } } },
  limits = { max_generations = 2, label_budget_per_generation = 5 },
}
campaign(c)
campaign(c)

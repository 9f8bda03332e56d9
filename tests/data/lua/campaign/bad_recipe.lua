campaign {
  name = "bad",
  database = "campaign.db",
  seed = { "seed.xyz", "missing.xyz" },
  jobs = { explore = { command = { "lmp" } }, label = { command = { "pw.x" } } },
  recipe = { "novelty", "no_such_recipe" },
  limits = { max_generations = 2, label_budget_per_generation = 5 },
}

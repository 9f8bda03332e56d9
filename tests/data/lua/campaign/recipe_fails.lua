campaign {
  name = "bad",
  database = "campaign.db",
  seed = "seed.xyz",
  jobs = { explore = { command = { "lmp" } }, label = { command = { "pw.x" } } },
  recipe = "../typo_hook.lua",
  limits = { max_generations = 2, label_budget_per_generation = 5 },
}

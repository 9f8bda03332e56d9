campaign {
  name = "bad",
  database = "campaign.db",
  seed = "seed.xyz",
  jobs = {
    explore = { command = { "lmp" } },
    label = {
      command = { "no-such-dft-program", "-in", "x" },
    },
    train = { command = { "./missing/train.sh" } },
  },
  limits = { max_generations = 2, label_budget_per_generation = 5 },
}

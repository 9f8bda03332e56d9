campaign {
  name = "from-db",
  database = "campaign.db",
  seed = "db:labelled,tag=seed",
  jobs = {
    explore = { command = { "lmp" }, check_path = false },
    label = { backend = "http", options = { url = "https://dft.example.org/label", verify_tls = true } },
  },
  bandwidth = "auto",
  limits = { max_generations = 3, label_budget_per_generation = 10 },
}

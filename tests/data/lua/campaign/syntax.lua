campaign {
  name = "bad",
  database = "campaign.db"
  seed = "seed.xyz",
}

-- Toy campaign: a 4-atom argon-like fcc cell, explored by rattling (explore.py) at a rising
-- "temperature" and labelled with a Lennard-Jones pair potential (label.py). Both commands
-- are Python 3 standard-library scripts, so it runs anywhere in a few seconds:
--     entrain run examples/toy/campaign.lua
--     entrain status examples/toy/toy.db
-- Relative paths start in this file's folder; the database and the jobs' workdirs
-- (toy.db.jobs/) are created here.
campaign {
  name = "toy-lj",
  description = "4-atom LJ argon cell: rattle exploration, pair-potential labels",
  database = "toy.db",
  seed = { "seed.xyz" },
  descriptor = { k = 8, cutoff = 5.0 },
  bandwidth = 0.015,
  jobs = {
    explore = { command = { "./explore.py" }, adapter = "extxyz", timeout = "60s", parallel = 2 },
    label = { command = { "./label.py" }, adapter = "extxyz", timeout = "60s", parallel = 2, retries = 0 },
  },
  recipe = { "novelty" },
  params = {
    novelty_threshold = 0.0,
    temperatures = { 600, 1200, 2400 },
    replicas = 2,
    md_steps = 600,
  },
  limits = { max_generations = 3, label_budget_per_generation = 3 },
  random_seed = 42,
}

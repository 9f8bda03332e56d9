-- Tests of recipes/novelty.lua, run by ent_lua_recipe_test_run (tests/unit/test_lua.c) in
-- the production sandbox. Descriptors are 2-D points, bandwidth 1: an environment at
-- distance r from the only reference point has dH = r^2 / 2 nats.
local ref = { { 0, 0 } }
local four = {
  { id = 1, x = { { 0, 0 } } },    -- dH 0: a copy of the reference
  { id = 2, x = { { 3, 0 } } },    -- dH 4.5
  { id = 3, x = { { 1, 0 } } },    -- dH 0.5
  { id = 4, x = { { 0.1, 0 } } },  -- dH 0.005
}
local twins = {
  { id = 10, x = { { 5, 0 } } },     -- dH 12.5
  { id = 11, x = { { 5.01, 0 } } },  -- dH 12.55, a near copy of 10
  { id = 12, x = { { 0, 4 } } },     -- dH 8, somewhere else
}
return {
  cases = {
    { name = "selects candidates above the threshold, most novel first",
      hook = "select", params = { novelty_threshold = 0.1 }, budget = 5,
      reference = ref, candidates = four,
      expect = { ids = { 2, 3 }, reason = "novelty: max dH" } },
    { name = "threshold 0 keeps every candidate with dH > 0",
      hook = "select", budget = 5, reference = ref, candidates = four,
      expect = { ids = { 2, 3, 4 } } },
    { name = "the budget caps the selection",
      hook = "select", params = { novelty_threshold = 0.1 }, budget = 1,
      reference = ref, candidates = four,
      expect = { ids = { 2 } } },
    { name = "params.budget below the campaign budget wins",
      hook = "select", params = { budget = 2 }, budget = 10,
      reference = ref, candidates = four,
      expect = { count = 2 } },
    { name = "diverse within the batch: a near copy of a pick is skipped",
      hook = "select", budget = 2, reference = ref, candidates = twins,
      expect = { ids = { 11, 12 }, reason = "diverse within the batch" } },
    { name = "diverse = false takes the most novel, near copies included",
      hook = "select", params = { diverse = false }, budget = 2,
      reference = ref, candidates = twins,
      expect = { ids = { 11, 10 }, reason = "most novel first" } },
    { name = "nothing novel selects nothing",
      hook = "select", params = { novelty_threshold = 100 }, budget = 5,
      reference = ref, candidates = four,
      expect = { count = 0 } },
    { name = "a zero budget selects nothing",
      hook = "select", budget = 0, reference = ref, candidates = four,
      expect = { count = 0 } },
    { name = "plan: MD at the generation's temperature, one task per replica",
      hook = "plan", generation = 2, params = { temperatures = { 300, 600 }, replicas = 2 },
      expect = { count = 2, kind = "md", task = { temperature = 600, steps = 10000, replica = 1 },
                 deterministic = true } },
    { name = "plan: the last temperature repeats",
      hook = "plan", generation = 7, params = { temperatures = { 300, 600 }, pressures = { 1, 1000 } },
      expect = { count = 1, task = { temperature = 600, pressure = 1000 } } },
    { name = "plan: velocity seeds depend on the generation seed only",
      hook = "plan", generation = 3, seed = 12345,
      expect = { count = 1, deterministic = true } },
    { name = "bad params fail when the recipe loads",
      hook = "plan", params = { replicas = 0 },
      expect = { error = "params.replicas" } },
    { name = "on_generation_end runs with partial metrics",
      hook = "on_generation_end", metrics = { { generation = 0, entropy = 3.2 }, { generation = 1 } },
      expect = { count = 0 } },
  },
}

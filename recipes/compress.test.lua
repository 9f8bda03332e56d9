-- Tests of recipes/compress.lua (see novelty.test.lua for the conventions). Structure 2 is
-- an exact copy of the seed 1, structure 4 a slightly moved copy, structure 3 is far away.
local data = {
  { id = 1, origin = "seed", x = { { 0, 0 }, { 1, 0 } } },
  { id = 2, origin = "explored", x = { { 0, 0 }, { 1, 0 } } },
  { id = 3, origin = "explored", x = { { 5, 5 } } },
  { id = 4, origin = "explored", x = { { 0.05, 0 }, { 1, 0.05 } } },
}
local apart = {
  { id = 1, x = { { 0, 0 } } }, { id = 2, x = { { 6, 0 } } }, { id = 3, x = { { 0, 6 } } },
}
return {
  cases = {
    { name = "drops the copies, keeps the seed and the outlier",
      hook = "compress", params = { compress_max_fraction = 0.75 }, dataset = data,
      expect = { count = 2, reason = "covered by the kept data set", deterministic = true } },
    { name = "with seeds allowed it still keeps one of each",
      hook = "compress", params = { compress_max_fraction = 1.0, compress_keep_seeds = false },
      dataset = data, expect = { count = 2 } },
    { name = "the fraction caps the drops",
      hook = "compress", params = { compress_max_fraction = 0.25 }, dataset = data,
      expect = { count = 1 } },
    { name = "default fraction 0.1 of 4 structures drops nothing",
      hook = "compress", dataset = data, expect = { count = 0 } },
    { name = "compress_every skips other generations",
      hook = "compress", generation = 3, params = { compress_every = 2, compress_max_fraction = 1.0 },
      dataset = data, expect = { count = 0 } },
    { name = "nothing redundant, nothing dropped",
      hook = "compress", params = { compress_max_fraction = 1.0 }, dataset = apart,
      expect = { count = 0 } },
    { name = "a strict threshold drops nothing",
      hook = "compress", params = { compress_max_fraction = 1.0, compress_threshold = -5 },
      dataset = data, expect = { count = 0 } },
  },
}

-- Tests of recipes/converged.lua (see novelty.test.lua for the conventions).
local function rows(novelty, entropy)
  local out = {}
  for i = 1, math.max(#novelty, #(entropy or {})) do
    out[i] = { generation = i - 1, novelty = novelty[i], entropy = entropy and entropy[i] }
  end
  return out
end
return {
  cases = {
    { name = "stops when novelty stayed below the level for n generations",
      hook = "should_stop", metrics = rows({ 0.5, 0.2, 0.005, 0.004, 0.001 }),
      expect = { stop = true, reason = "novelty below 0.01 for the last 3 generations" } },
    { name = "does not stop while a recent generation was novel",
      hook = "should_stop", metrics = rows({ 0.5, 0.005, 0.004 }),
      expect = { stop = false, reason = "not converged" } },
    { name = "patience is a parameter",
      hook = "should_stop", params = { stop_patience = 2 }, metrics = rows({ 0.5, 0.005, 0.004 }),
      expect = { stop = true } },
    { name = "stops when the entropy stopped growing",
      hook = "should_stop",
      metrics = rows({ 0.5, 0.4, 0.3, 0.3, 0.3 }, { 3.0, 3.5, 3.5001, 3.5002, 3.50025 }),
      expect = { stop = true, reason = "entropy changed by less than" } },
    { name = "epsilon 0 disables the entropy rule",
      hook = "should_stop", params = { stop_entropy_epsilon = 0 },
      metrics = rows({ 0.5, 0.4, 0.3, 0.3, 0.3 }, { 3.0, 3.5, 3.5001, 3.5002, 3.50025 }),
      expect = { stop = false } },
    { name = "generations without metrics do not count",
      hook = "should_stop", metrics = { { generation = 0 }, { generation = 1 } },
      expect = { stop = false, reason = "unknown" } },
  },
}

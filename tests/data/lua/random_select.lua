-- Test recipe: selects a random subset of the candidates with math.random, so that the
-- tests can check that a restarted campaign (same generation seed) chooses the same ones.
local R = {}
function R.plan(gen)
  return { { kind = "md", seed = math.random(1, 1000000), temperature = 300 + gen } }
end
function R.select(gen, cands)
  local ids = cands:ids()
  for i = #ids, 2, -1 do -- Fisher-Yates with the sandbox's generator
    local j = math.random(1, i)
    ids[i], ids[j] = ids[j], ids[i]
  end
  local out = {}
  for i = 1, math.min(cands:budget() or #ids, #ids) do
    out[i] = { id = ids[i], reason = string.format("random pick %d (%.6f)", i, math.random()) }
  end
  return out
end
return R

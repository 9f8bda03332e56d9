-- Exercises the candidates / data set / metrics userdata from inside the sandbox; every
-- check is an assert, so a wrong answer is a recipe error naming this file and line.
-- tests/unit/test_lua.c gives select() four candidates (ids 10..13, one 2-D environment
-- each at x = 0, 1, 2, 3 against a reference point at 0, bandwidth 1: dH = x^2 / 2).
local R = {}

local function near(a, b) return math.abs(a - b) < 1e-9 end

function R.select(gen, c)
  assert(#c == 4, "length")
  assert(tostring(c) == "entrain.candidates (4)", tostring(c))
  assert(c[1].id == 10 and c[4].id == 13 and c[5] == nil and c[0] == nil, "indexing")
  assert(near(c[3].dh_max, 2.0) and near(c[3].dh_mean, 2.0) and c[3].n_atoms == 1, "stats")
  assert(c[1].frac_novel == 0 and c[2].frac_novel == 1, "fraction novel")
  assert(c:budget() == 2, "budget")
  assert(c:threshold() == 0 and c:bandwidth() == 1, "threshold, bandwidth")
  assert(c:has_descriptors(), "descriptors")
  local r = c:rank("dh_max")
  assert(r[1].id == 13 and r[4].id == 10, "rank desc")
  local a = c:rank("dh_max", "asc")
  assert(a[1].id == 10, "rank asc")
  assert(#c:above(0.4) == 3 and #c:below(0.6) == 2, "above / below")
  assert(#c:top(2) == 2 and #c:top(99) == 4 and #c:top(0) == 0, "top")
  local odd = c:filter(function(x) return x.id % 2 == 1 end)
  assert(#odd == 2 and odd[1].id == 11, "filter")
  local ids = c:ids()
  assert(#ids == 4 and ids[2] == 11, "ids")
  local f, novel, total = c:novelty()
  assert(near(f, 0.75) and novel == 3 and total == 4, "novelty")
  local e = c:env_dh(4)
  assert(#e == 1 and near(e[1], 4.5), "env_dh")
  local H, D = c:entropy()
  assert(H > 0 and D > 0, "entropy")
  local d = c:rank("dh_max"):diverse(2)
  assert(#d == 2 and d[1].id == 13, "diverse")
  for i, x in ipairs(c) do assert(x.index == i) end
  local ok, msg = pcall(function() c.foo = 1 end)
  assert(not ok and msg:find("read%-only"), "views are read-only")
  ok, msg = pcall(function() return c:rank("colour") end)
  assert(not ok and msg:find("invalid option"), "rank key checked")
  assert(getmetatable(c) == "entrain.candidates", "protected metatable")
  local dec = c:above(0.4):rank("dh_max"):top(2):decide(function(x) return "dH " .. x.dh_max end)
  assert(#dec == 2 and dec[1].id == 13 and dec[1].reason == "dH 4.5", "decide")
  return dec
end

function R.should_stop(gen, m)
  assert(#m == 3 and m.generation == 2, "metrics length, current")
  assert(near(m.entropy, 3.5) and m.novelty == nil, "current row, unknown is nil")
  local v, g = m:history("novelty")
  assert(#v == 2 and g[1] == 0 and g[2] == 1 and near(v[2], 0.25), "history")
  assert(near(m:get("entropy", 0), 3.0) and m:get("entropy", 7) == nil, "get")
  assert(tostring(m) == "entrain.metrics (3 generations)", "tostring")
  return false, "checked"
end

function R.compress(gen, ds)
  assert(#ds == 3 and tostring(ds) == "entrain.dataset (3)", "dataset")
  local red = ds:redundant(0)
  assert(#red == 1 and red[1].score < 0, "redundant with a score")
  return red:decide(function(s) return string.format("covered, dH %.3f", s.score) end)
end

return R

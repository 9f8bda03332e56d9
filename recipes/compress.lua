-- compress: drop labelled structures that add no information, audited. A structure is
-- dropped when every one of its environments has dH below a threshold against the data
-- set that remains, and dropping it leaves every structure dropped before it covered too,
-- so after compression every original environment is still covered (dH < threshold)
-- by the kept set. Hook: compress. Documented in recipes/API.md ("compress").
--
-- params (all optional):
--   compress_threshold     dH threshold in nats below which an environment is covered (0)
--   compress_every         compress in generations divisible by this (1 = every one)
--   compress_max_fraction  drop at most this fraction of the data set per generation (0.1)
--   compress_keep_seeds    never drop seed structures (true)

local P = entrain.params
local threshold = P.compress_threshold or 0.0
local every = P.compress_every or 1
local max_fraction = P.compress_max_fraction or 0.1
local keep_seeds = P.compress_keep_seeds ~= false

assert(math.type(every) == "integer" and every >= 1, "params.compress_every must be an integer >= 1")
assert(max_fraction >= 0 and max_fraction <= 1, "params.compress_max_fraction must be in [0, 1]")

local R = {}

function R.compress(gen, ds)
  if gen % every ~= 0 or #ds < 2 then return {} end
  local max_drop = math.floor(max_fraction * #ds)
  if max_drop < 1 then return {} end
  local pool = ds
  if keep_seeds then
    pool = ds:filter(function(s) return s.origin ~= "seed" end)
  end
  local drop = pool:redundant(threshold, max_drop)
  return drop:decide(function(s)
    return string.format("compress: every environment covered by the kept data set " ..
      "(max dH %.4g < %.4g nats)", s.score, threshold)
  end)
end

return R

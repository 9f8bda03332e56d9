-- converged: a stop rule. Stop when the novelty (fraction of candidate environments with
-- dH > 0 against everything labelled before) stayed below a level for n generations, or
-- when the data set's entropy changed by less than epsilon in each of the last n
-- generations. Hook: should_stop. Documented in recipes/API.md ("converged").
--
-- params (all optional):
--   stop_novelty_below    novelty level (0.01)
--   stop_patience         n, consecutive generations (3)
--   stop_entropy_epsilon  entropy change in nats; 0 disables the entropy rule (0.001)

local P = entrain.params
local level = P.stop_novelty_below or 0.01
local patience = P.stop_patience or 3
local eps = P.stop_entropy_epsilon or 0.001

assert(math.type(patience) == "integer" and patience >= 1, "params.stop_patience must be an integer >= 1")

local R = {}

local function last(list, n)
  local out = {}
  for i = #list - n + 1, #list do out[#out + 1] = string.format("%.4g", list[i]) end
  return table.concat(out, ", ")
end

function R.should_stop(gen, m)
  local nov = m:history("novelty")
  if #nov >= patience then
    local below = true
    for i = #nov - patience + 1, #nov do
      if nov[i] >= level then below = false break end
    end
    if below then
      return true, string.format("converged: novelty below %g for the last %d generations (%s)",
        level, patience, last(nov, patience))
    end
  end
  local H = m:history("entropy")
  if eps > 0 and #H >= patience + 1 then
    local flat = true
    for i = #H - patience + 1, #H do
      if math.abs(H[i] - H[i - 1]) >= eps then flat = false break end
    end
    if flat then
      return true, string.format("converged: entropy changed by less than %g nats in each " ..
        "of the last %d generations (H = %.6g)", eps, patience, H[#H])
    end
  end
  return false, string.format("not converged: novelty %s (stop below %g for %d generations)",
    #nov > 0 and string.format("%.4g", nov[#nov]) or "unknown", level, patience)
end

return R

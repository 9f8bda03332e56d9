-- novelty: explore with MD at a rising temperature, then label the candidates whose most
-- novel environment has dH above a threshold, up to the label budget, diverse within the
-- batch (QUESTS msc_conditional against the data set). Hooks: plan, select,
-- on_generation_end. Documented in recipes/API.md ("novelty").
--
-- params (all optional):
--   novelty_threshold  dH threshold in nats (default 0: "more novel than one copy")
--   budget             labels per generation (default: the campaign's limit)
--   diverse            pick a diverse subset when more are novel than the budget (true)
--   temperatures       MD temperature (K) per generation, the last one repeats
--                      (default {300, 600, 900, 1200, 1500})
--   pressures          optional pressure (bar) per generation, same indexing
--   replicas           MD runs per generation, each with its own velocity seed (1)
--   md_steps           MD steps per run (10000)

local P = entrain.params
local threshold = P.novelty_threshold or 0.0
local use_diverse = P.diverse ~= false
local temperatures = P.temperatures or { 300, 600, 900, 1200, 1500 }
local replicas = P.replicas or 1
local md_steps = P.md_steps or 10000

assert(type(threshold) == "number", "params.novelty_threshold must be a number")
assert(#temperatures >= 1, "params.temperatures must list at least one temperature")
assert(math.type(replicas) == "integer" and replicas >= 1, "params.replicas must be an integer >= 1")

local R = {}

local function at(list, gen)
  if list == nil then return nil end
  local i = gen < 1 and 1 or gen
  if i > #list then i = #list end
  return list[i]
end

function R.plan(gen)
  local tasks = {}
  for r = 1, replicas do
    tasks[#tasks + 1] = {
      kind = "md",
      temperature = at(temperatures, gen),
      pressure = at(P.pressures, gen),
      steps = md_steps,
      replica = r,
      seed = math.random(1, 2147483647), -- velocity seed: reproducible per generation
    }
  end
  return tasks
end

function R.select(gen, cands)
  local budget = cands:budget() or math.huge
  if P.budget then budget = math.min(budget, P.budget) end
  local novel = cands:above(threshold, "dh_max"):rank("dh_max")
  if #novel == 0 or budget < 1 then return {} end
  local picked, how
  if use_diverse and #novel > budget and novel:has_descriptors() then
    picked, how = novel:diverse(budget), "diverse within the batch"
  else
    picked, how = novel:top(math.min(budget, #novel)), "most novel first"
  end
  return picked:decide(function(c)
    return string.format("novelty: max dH %.4g > %.4g nats, %d%% of %d environments novel (%s)",
      c.dh_max, threshold, math.floor(100 * (c.frac_novel or 0) + 0.5), c.n_atoms, how)
  end)
end

local function show(x) return x and string.format("%.4g", x) or "-" end

function R.on_generation_end(gen, m)
  print(string.format("generation %d: H = %s nats, D = %s, novelty = %s", gen,
    show(m.entropy), show(m.diversity), show(m.novelty)))
end

return R

-- A malicious recipe for tests/unit/test_lua.c: params.attack names what select() tries.
-- Every attack must end as a recipe error with a clear message, the process alive.
local attack = entrain.params.attack
local kept -- a candidates view kept across calls ("keep_view")

local A = {}
A.io_open = function() return io.open("/etc/passwd") end
A.os_execute = function() return os.execute("touch /tmp/entrain-escape") end
A.require = function() return require("os") end
A.dofile = function() return dofile("/etc/passwd") end
A.debug = function() return debug.getregistry() end
A.load_binary = function()
  local f = assert(load("\27LuaT\0\25\147\13\10\26\10", "evil", "b"))
  return f()
end
A.load_binary_default = function()
  local f, msg = load("\27LuaT\0\25\147\13\10\26\10")
  error(msg)
end
A.string_dump = function() return load(string.dump(function() end)) end
A.string_rep = function() local s = string.rep("x", 1 << 30) return #s end
A.table_bomb = function() local t = {} for i = 1, 1e9 do t[i] = i end return t end
A.infinite_loop = function() while true do end end
A.pcall_loop = function()
  while true do pcall(function() while true do end end) end
end
A.coroutine_loop = function()
  local co = coroutine.wrap(function() while true do end end)
  co()
end
A.deep_recursion = function()
  local function f(n) return f(n + 1) + 1 end
  return f(1)
end
A.c_stack = function()
  local t = setmetatable({}, { __index = function(t, k) return t[k] end })
  return t.x
end
A.gsub_recursion = function()
  local function f(s) return (string.gsub(s, ".", f)) end
  return f("x")
end
A.modify_params = function() entrain.params.attack = "nothing" end
A.modify_entrain = function() entrain.version = "9.9" end
A.rawset_entrain = function() rawset(entrain, "version", "9.9") end
A.rawset_params = function() rawset(entrain.params, "attack", "nothing") end
A.setmetatable_entrain = function() setmetatable(entrain, nil) end
A.modify_string_lib = function() string.rep = function() return "" end end
A.string_metatable = function() getmetatable("").__index = {} end
A.string_setmetatable = function() setmetatable("", {}) end
A.new_global = function() leaked = 1 end
A.global_via_G = function() _G.leaked = 1 end
A.rawset_G = function() rawset(_G, "leaked", 1) end
A.overwrite_global = function() print = nil end
A.undeclared_read = function() return undefined_name + 1 end
A.randomseed = function() math.randomseed(42) end
A.collectgarbage_stop = function() collectgarbage("stop") end
A.yield_from_hook = function() coroutine.yield(1) end
A.yield_across_c = function()
  local co = coroutine.wrap(function()
    table.sort({ 3, 2, 1 }, function(a, b) coroutine.yield() return a < b end)
  end)
  co()
end
A.yield_in_filter = function(cands)
  local co = coroutine.wrap(function()
    return cands:filter(function() coroutine.yield() return true end)
  end)
  co()
end
A.keep_view = function(cands)
  if kept then return kept:top(1):decide("stale") end
  kept = cands
  return {}
end
A.pattern_bomb = function() return string.rep("a", 1200):find(".-.-.-b") end
A.patterns_ok = function() -- ordinary patterns on 100 kB are not refused
  local text = string.rep("word ", 20000)
  assert(select(2, text:gsub("%s+", " ")) == 20000)
  local k, v = ("key = value"):match("^%s*(%w+)%s*=%s*(%w+)%s*$")
  assert(k == "key" and v == "value")
  local words = 0
  for _ in text:gmatch("%a+") do words = words + 1 end
  assert(words == 20000 and text:find("word", 1, true) == 1)
  assert(("a(b(c)d)e"):match("%b()") == "(b(c)d)")
  assert(("hello hello"):match("(h%a+) %1") == "hello")
  return {}
end
A.table_move = function() return table.move({}, 1, 1e15, 1, {}) end
A.shift_loop = function()
  local t = {}
  for i = 1, 100000 do t[i] = i end
  while true do table.insert(t, 1, table.remove(t)) end -- O(n) C work per iteration
end
A.tables_ok = function()
  local t = {}
  for i = 1, 1000 do table.insert(t, i) end
  table.insert(t, 1, 0)
  assert(table.remove(t, 1) == 0 and table.remove(t) == 1000 and #t == 999)
  assert(#table.move(t, 1, 10, 1, {}) == 10)
  return {}
end
A.error_object = function() error({ code = 42 }) end
A.gc_loop = function() -- Lua runs finalizers with hooks off: they must be refused
  local mt = { __gc = false }
  setmetatable({}, mt)
  mt.__gc = function() while true do end end
  return {}
end
A.bad_return = function() return { { id = 999999, reason = "not a candidate" } } end
A.no_reason = function(cands) return { { id = cands[1].id } } end
A.duplicate = function(cands)
  return { { id = cands[1].id, reason = "a" }, { id = cands[1].id, reason = "b" } }
end
A.over_budget = function(cands) return cands:decide("all of them") end
A.return_view = function(cands) return cands end
A.nothing = function() return {} end

local R = {}
function R.select(gen, cands)
  local f = A[attack]
  if not f then error("unknown attack " .. tostring(attack)) end
  local r = f(cands)
  if r ~= nil then return r end
  return {}
end
return R

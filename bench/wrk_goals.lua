-- The goal action under wrk: the partner's real decisions, as GoalSteps in bench/run.py makes them.
-- One connection per thread, so each thread's requests and responses alternate; thread n takes the
-- goals whose place in BENCH_GOALS (lines "project id state proposer version") is n modulo the threads.
dofile(os.getenv("BENCH_WRK_REPORT"))  -- the done() that prints the BENCH line
local threads = 0
function setup(thread)
  thread:set("n", threads)
  threads = threads + 1
end

local goals, current, i = {}, nil, 0
local csrf = os.getenv("BENCH_CSRF")

function init(args)
  local count = tonumber(os.getenv("BENCH_THREADS"))
  local k = 0
  for line in io.lines(os.getenv("BENCH_GOALS")) do
    local p, id, state, proposer, version = line:match("(%d+) (%d+) (%S+) (%S+) (%d+)")
    if k % count == n then
      goals[#goals + 1] = {project = p, id = tonumber(id), state = state, proposer = proposer,
                           version = tonumber(version), before = nil}
    end
    k = k + 1
  end
end

local function step(g)
  local base = "/projects/" .. g.project .. "/goals/" .. g.id
  local form = "csrf_token=" .. csrf .. "&view=board&version=" .. g.version
  if g.state == "proposed" and g.proposer == "student" then
    if g.id % 2 == 1 then return "agreed", base .. "/approve", form end
    return "changes_requested", base .. "/request-changes",
      form .. "&comment=Please+name+the+streets+the+survey+covers."
  end
  if g.state == "drop_proposed" then return g.before or "agreed", base .. "/keep", form end
  return "drop_proposed", base .. "/drop", form .. "&reason=The+partner%27s+volunteers+are+needed+elsewhere."
end

function request()
  if #goals == 0 then return wrk.format("GET", "/no-goal-left") end  -- wrk's check before init(); a 404 shows
  i = i % #goals + 1
  current = goals[i]
  local new_state, path, body = step(current)
  current.next = new_state
  local headers = {["Content-Type"] = "application/x-www-form-urlencoded", ["HX-Request"] = "true"}
  for name, value in pairs(wrk.headers) do headers[name] = value end  -- the session cookie (-H)
  return wrk.format("POST", path, headers, body)
end

function response(status, headers, body)
  if current == nil then return end
  if status ~= 200 then
    table.remove(goals, i)  -- refused (it should not be): leave it out from now on
    return
  end
  if current.next == "drop_proposed" then current.before = current.state end
  current.state = current.next
  -- the answer may hold the whole goals section: the version in this goal's own form
  local start = body:find("/goals/" .. current.id .. "/", 1, true) or 1
  local version = body:match('name="version" value="(%d+)"', start)
  current.version = version and tonumber(version) or current.version + 1
end

-- One wrk script for every HTTP benchmark in bench/http: the request comes
-- from environment variables, and every response is checked.
--   BENCH_METHOD   GET or POST (default GET)
--   BENCH_BODY     request body; "{item}" is replaced by the next pool item
--   BENCH_HEADERS  extra header lines, "Name: value" separated by "\n"
--   BENCH_POOL     file with one item per line (refresh tokens, codes...);
--                  each item is sent once, split between wrk's threads
--   BENCH_CHAIN    with a pool of refresh tokens: each 200 answer's new
--                  refresh_token goes back into the pool, so every
--                  connection rotates its own chain (each token used once)
--   BENCH_STATUS   the status every response must have (default 200)
--   BENCH_MARKER   text every response body must contain
--   BENCH_RATE     requests per second over all connections: each
--                  connection waits connections/rate between requests
--                  (wrk is closed-loop, so a slow answer delays the next
--                  request instead of being charged for it)
-- done() prints one summary line that bench/http parses.

local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local method, body, headers_text, status_want, marker
local pool, pool_next = nil, 1
local chain = os.getenv("BENCH_CHAIN") == "1"
local wait_ms = nil
bad_status, bad_body, exhausted, checked = 0, 0, 0, 0
first_wrong = ""

function init(args)
  method = os.getenv("BENCH_METHOD") or "GET"
  body = os.getenv("BENCH_BODY")
  headers_text = os.getenv("BENCH_HEADERS") or ""
  status_want = tonumber(os.getenv("BENCH_STATUS") or "200")
  marker = os.getenv("BENCH_MARKER")
  for line in headers_text:gmatch("[^\n]+") do
    local name, value = line:match("^([^:]+):%s*(.*)$")
    if name then wrk.headers[name] = value end
  end
  if body and body ~= "" then
    wrk.headers["Content-Type"] = wrk.headers["Content-Type"] or "application/x-www-form-urlencoded"
  end
  local pool_file = os.getenv("BENCH_POOL")
  if pool_file and pool_file ~= "" then
    pool = {}
    local nthreads = tonumber(os.getenv("BENCH_THREADS") or "1")
    local i = 0
    for line in io.lines(pool_file) do
      if i % nthreads == id then table.insert(pool, line) end
      i = i + 1
    end
  end
  local rate = tonumber(os.getenv("BENCH_RATE") or "0")
  local connections = tonumber(os.getenv("BENCH_CONNECTIONS") or "1")
  if rate > 0 then wait_ms = 1000.0 * connections / rate end
  if not pool then
    -- A fixed request: formatted once.
    fixed = wrk.format(method, nil, nil, body)
  end
end

function request()
  if fixed then return fixed end
  local item = pool[pool_next]
  if item == nil then
    exhausted = exhausted + 1
    item = "pool-exhausted"
  end
  pool_next = pool_next + 1
  return wrk.format(method, nil, nil, (body:gsub("{item}", item)))
end

if os.getenv("BENCH_RATE") and tonumber(os.getenv("BENCH_RATE")) > 0 then
  function delay() return wait_ms end
end

function response(status, headers, resp_body)
  checked = checked + 1
  if status ~= status_want then
    bad_status = bad_status + 1
    if first_wrong == "" then first_wrong = status .. " " .. resp_body:sub(1, 160) end
  elseif marker and not resp_body:find(marker, 1, true) then
    bad_body = bad_body + 1
    if first_wrong == "" then first_wrong = status .. " " .. resp_body:sub(1, 160) end
  elseif chain then
    local next_token = resp_body:match('"refresh_token"%s*:%s*"([^"]+)"')
    if next_token then table.insert(pool, next_token) else bad_body = bad_body + 1 end
  end
end

function done(summary, latency, requests)
  local bs, bb, ex, ch = 0, 0, 0, 0
  for _, t in ipairs(threads) do
    local w = t:get("first_wrong")
    if w ~= "" then io.write("first wrong answer: " .. w:gsub("\n", " ") .. "\n") end
    bs = bs + t:get("bad_status")
    bb = bb + t:get("bad_body")
    ex = ex + t:get("exhausted")
    ch = ch + t:get("checked")
  end
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    "throughput %d req/s  latency p50 %d us  p90 %d us  p99 %d us  requests %d  checked %d  " ..
    "wrong-status %d  wrong-body %d  pool-exhausted %d  socket-errors %d\n",
    summary.requests / seconds, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), summary.requests, ch, bs, bb, ex,
    e.connect + e.read + e.write + e.timeout))
end

-- wrk script for W6: "Mark for manual review" on 100 selected accounts, confirmed.
--
-- Every request posts 100 account ids no earlier request used (unless the ids run
-- out and wrap), a fresh idempotency key, a reason and the session's CSRF token,
-- and every answer is read: a request counts as "changed" when its page says the
-- action ran (not a replay) on the whole batch, at most BENCH_MAX_SKIPPED accounts
-- skipped (the data set has about 1 account in 100 marked already). Set by
-- bench/run.sh through the environment:
--   BENCH_COOKIE      the signed-in session's Cookie header value
--   BENCH_CSRF        the session's CSRF token
--   BENCH_FIRST_ID    the first account id to use (ids count up from here)
--   BENCH_LAST_ID     the last account id; past it, ids start again at BENCH_FIRST_ID
--   BENCH_BATCH       ids per request (100)
--   BENCH_THREADS     wrk's -t (1): threads take batches in turn
--   BENCH_MAX_SKIPPED accounts a request may skip and still count as changed (10)
--   BENCH_STATE       a file holding the next batch number: read when wrk starts and
--                     written when it ends, so a measured run continues where its
--                     warm-up stopped instead of re-posting ids already marked
--
-- Idempotency keys start with 16 random hex digits read from /dev/urandom once per
-- wrk run, so two runs (a warm-up and the measured run in the same second) never
-- share a key. Thread i of T (BENCH_THREADS) posts batches i, i + T, i + 2T, ...
-- after the starting one.
--
-- At the end it prints (and run.sh reads) one line:
--   W6 batches: next N, changed C, not changed U, records done D, wrapped yes|no

local cookie = os.getenv("BENCH_COOKIE")
local csrf = os.getenv("BENCH_CSRF")
local first_id = tonumber(os.getenv("BENCH_FIRST_ID") or "101")
local last_id = tonumber(os.getenv("BENCH_LAST_ID") or "1000000")
local batch = tonumber(os.getenv("BENCH_BATCH") or "100")
local state_file = os.getenv("BENCH_STATE")
local thread_count = tonumber(os.getenv("BENCH_THREADS") or "1")
local span = last_id - first_id + 1
local max_skipped = tonumber(os.getenv("BENCH_MAX_SKIPPED") or "10")

-- The batch to start from: where the previous run with the same state file ended.
local function start_batch()
  if state_file then
    local f = io.open(state_file, "r")
    if f then
      local n = tonumber(f:read("*l") or "")
      f:close()
      if n then return n end
    end
  end
  return 0
end

local function random_hex()
  local f = io.open("/dev/urandom", "rb")
  local bytes = f and f:read(8) or tostring(os.time()) .. tostring(os.clock())
  if f then f:close() end
  return (bytes:gsub(".", function(c) return string.format("%02x", c:byte()) end)):sub(1, 16)
end

-- ------------------------------------------------------ main state (setup, done)

-- Every Lua state (wrk's main one and one per thread) runs this file; setup passes
-- the main state's starting batch and key prefix to each thread before it starts.
local threads = {}
local run_prefix = random_hex()
local run_first_batch = start_batch()

function setup(thread)
  thread:set("thread_index", #threads)
  thread:set("key_prefix", run_prefix)
  thread:set("next_batch", run_first_batch + #threads)
  table.insert(threads, thread)
end

function done(summary, latency, requests)
  local next_batch, changed, unchanged, records = run_first_batch, 0, 0, 0
  for _, t in ipairs(threads) do
    next_batch = math.max(next_batch, t:get("next_batch"))
    changed = changed + t:get("changed")
    unchanged = unchanged + t:get("unchanged")
    records = records + t:get("records")
  end
  if state_file then
    local f = io.open(state_file, "w")
    f:write(next_batch, "\n")
    f:close()
  end
  local wrapped = next_batch * batch > span and "yes" or "no"
  io.write(string.format("W6 batches: next %d, changed %d, not changed %d, records done %d, wrapped %s\n",
    next_batch, changed, unchanged, records, wrapped))
end

-- ------------------------------------------------------- thread state (requests)

-- Globals, set by setup and read back by done with thread:get.
changed, unchanged, records = 0, 0, 0

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Accept"] = "text/html"
wrk.headers["Cookie"] = cookie

request = function()
  local b = next_batch
  next_batch = next_batch + thread_count
  local parts = { "csrf_token=" .. csrf, "confirm=1", "reason=bench+W6",
                  string.format("idempotency_key=w6-%s-%d", key_prefix, b) }
  local offset = (b * batch) % span
  for i = 0, batch - 1 do
    parts[#parts + 1] = "ids=" .. (first_id + (offset + i) % span)
  end
  return wrk.format(nil, nil, nil, table.concat(parts, "&"))
end

-- The result page says "Mark for manual review: 99 done, 1 skipped." (counts under
-- 1,000, so no thousands separator), and a replay adds "nothing ran twice".
response = function(status, headers, body)
  local done_n = tonumber(body:match("Mark for manual review: (%d+) done") or "")
  local skipped = tonumber(body:match(" done, (%d+) skipped%.") or "0")
  if status == 200 and done_n and not body:find("nothing ran twice", 1, true) then
    records = records + done_n
    if done_n + skipped == batch and skipped <= max_skipped then
      changed = changed + 1
      return
    end
  end
  unchanged = unchanged + 1
end

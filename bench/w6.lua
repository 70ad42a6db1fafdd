-- wrk script for W6: "Mark for manual review" on 100 selected accounts, confirmed.
--
-- Every request posts the next 100 account ids (so each run marks accounts that
-- were not marked by an earlier request), a fresh idempotency key, a reason and
-- the session's CSRF token. Set by bench/run.sh through the environment:
--   BENCH_COOKIE      the signed-in session's Cookie header value
--   BENCH_CSRF        the session's CSRF token
--   BENCH_FIRST_ID    the first account id to use (ids count up from here)
--   BENCH_LAST_ID     the last account id; past it, ids start again at BENCH_FIRST_ID
--   BENCH_BATCH       ids per request (100)

local cookie = os.getenv("BENCH_COOKIE")
local csrf = os.getenv("BENCH_CSRF")
local first_id = tonumber(os.getenv("BENCH_FIRST_ID") or "101")
local last_id = tonumber(os.getenv("BENCH_LAST_ID") or "1000000")
local batch = tonumber(os.getenv("BENCH_BATCH") or "100")

local next_id = first_id
local n = 0

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Accept"] = "text/html"
wrk.headers["Cookie"] = cookie

request = function()
  n = n + 1
  local parts = { "csrf_token=" .. csrf, "confirm=1", "reason=bench+W6",
                  string.format("idempotency_key=w6-%d-%d", os.time(), n) }
  for _ = 1, batch do
    if next_id > last_id then
      next_id = first_id
    end
    parts[#parts + 1] = "ids=" .. next_id
    next_id = next_id + 1
  end
  return wrk.format(nil, nil, nil, table.concat(parts, "&"))
end

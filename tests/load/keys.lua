-- One API key per request from KEYS_FILE, in the header KEY_HEADER (X-API-Key; the baseline sends the same bytes under
-- a name nothing reads). MODE=sweep walks every key once per pass (thread t of n takes keys t, t+n, ...); MODE=zipf
-- cycles through SAMPLES (50000) requests per thread, drawn once at start with key k chosen with probability
-- proportional to 1/k^ZIPF_S (ZIPF_S 1), so the generator spends no time per request on drawing and formatting.
local keys = {}
for line in io.lines(os.getenv("KEYS_FILE")) do keys[#keys + 1] = line end
local n = #keys
local mode = os.getenv("MODE") or "zipf"
local header = os.getenv("KEY_HEADER") or "X-API-Key"
local threads = 1
local counter = 0
local created = 0
local requests = {}
function setup(thread)
  thread:set("index", created)
  created = created + 1
end
function init(args)
  threads = tonumber(os.getenv("WRK_THREADS") or "1")
  -- index is a global: setup() sets it in each thread's own state.
  counter = index or 0
  math.randomseed(os.time() * 1000 + (index or 0))
  if mode == "zipf" then
    local s, total, cdf = tonumber(os.getenv("ZIPF_S") or "1"), 0, {}
    for k = 1, n do total = total + 1 / k ^ s; cdf[k] = total end
    for i = 1, tonumber(os.getenv("SAMPLES") or "50000") do
      local u, lo, hi = math.random() * total, 1, n
      while lo < hi do
        local mid = math.floor((lo + hi) / 2)
        if cdf[mid] < u then lo = mid + 1 else hi = mid end
      end
      requests[i] = wrk.format(nil, nil, { [header] = keys[lo] })
    end
  end
end
request = function()
  if mode == "sweep" then
    local k = counter % n + 1
    counter = counter + threads
    return wrk.format(nil, nil, { [header] = keys[k] })
  end
  counter = counter % #requests + 1
  return requests[counter]
end

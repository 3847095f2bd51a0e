-- Distinct bearer tokens from TOKENS_FILE (one a line), each request the next token: thread t of WRK_THREADS n sends
-- the tokens t, t+n, ... of the first TOKENS_COUNT lines, starting after TOKENS_START, and starts over at the first line
-- after the last. The file is read as the run goes rather than loaded in init: 100,000 tokens of 15 KB are 1.5 GB,
-- which every wrk thread would hold. TOKEN_HEADER (Authorization) names the header; the /ping baseline sends the same
-- bytes under a name nothing reads.
local path = os.getenv("TOKENS_FILE")
local count = tonumber(os.getenv("TOKENS_COUNT"))
local start = tonumber(os.getenv("TOKENS_START") or "0")
local header = os.getenv("TOKEN_HEADER") or "Authorization"
local prefix = header == "Authorization" and "Bearer " or ""
local threads, created = 1, 0
local file, line

function setup(thread)
  thread:set("index", created)
  created = created + 1
end

-- Moves to the given line (0-based) of the first TOKENS_COUNT lines, from the start of the file.
local function seek(target)
  file:seek("set")
  line = 0
  while line < target do file:read("*l"); line = line + 1 end
end

function init(args)
  threads = tonumber(os.getenv("WRK_THREADS") or "1")
  file = assert(io.open(path, "r"))
  -- index is a global: setup() sets it in each thread's own state.
  seek((start + (index or 0)) % count)
end

request = function()
  local token = file:read("*l")
  line = line + 1
  -- Skip the other threads' lines, wrapping at the end of the first TOKENS_COUNT lines.
  local nextLine = line + threads - 1
  if nextLine >= count then
    seek(nextLine % count)
  else
    for _ = 1, threads - 1 do file:read("*l"); line = line + 1 end
  end
  return wrk.format(nil, nil, { [header] = prefix .. token })
end

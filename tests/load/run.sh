#!/usr/bin/env bash
# Loopback load comparison of samples/LayeredApi with wrk: requests/s and latency of GET /api/ping behind a JWT and
# behind an API key, as ratios against the anonymous GET /ping measured in the same run, plus the stock AddJwtBearer
# handler (tests/load/StockJwtApi) validating the same tokens against the same JWKS. Not part of CI (tests/run.sh).
#
#   tests/load/run.sh
#   LOAD_DURATION=30s LOAD_ROUNDS=3 tests/load/run.sh
#
# Settings (environment): LOAD_THREADS (2), LOAD_CONNECTIONS (32), LOAD_DURATION (10s), LOAD_WARMUP (5s per endpoint),
# LOAD_ROUNDS (1; with more, each row is the round with the median requests/s), LOAD_STOCK (1; 0 skips the stock
# JwtBearer app), LOAD_LOG_LEVEL (Warning; the sample's Development settings log AuthPatterns at Debug),
# LOAD_SAMPLE_ARGS (extra command-line settings for the sample, e.g. "--LayeredAuth:Jwt:EnableTokenCache=false").
# LOAD_FLOOR (1; 0 skips the floor app tests/load/FloorApi: a no-op scheme behind the same policy as /api/ping, which also
# serves as the forward-auth portal for the cookie row), LOAD_DOCS (1; 0 leaves docs/performance.md and its plot alone).
# Opt-in scale scenarios (none runs by default, none is part of any test command): LOAD_SCALE_FLOOD=1 sends random
# cookies, random API keys and tokens with random kids at /api/ping for LOAD_SCALE_DURATION (20s) each while a signed-in
# client keeps calling, and reports the signed-in success rate, the portal calls and the sample's resident memory growth.
# LOAD_SCALE_KEYS=1 then runs tests/load/scale-keys.sh (throughput and memory against 1 to 100,000 active API keys, Zipf),
# which writes its own section of docs/performance.md. LOAD_SCALE_BURST=1 then runs tests/load/burst.sh (1,000 first
# uses of distinct keys at once at the default Argon2id cost, against /ping and a warm key), which writes its own section.
# LOAD_SCALE_TOKENS=1 then runs tests/load/scale-tokens.sh (memory against 1,000 to 100,000 distinct valid JWTs, small
# and 15 KB), which writes its own section too.
# All traffic stays on 127.0.0.1. Exits non-zero if any measured run saw a non-2xx/3xx answer or a socket error.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
THREADS=${LOAD_THREADS:-2}
CONNECTIONS=${LOAD_CONNECTIONS:-32}
DURATION=${LOAD_DURATION:-10s}
WARMUP=${LOAD_WARMUP:-5s}
ROUNDS=${LOAD_ROUNDS:-1}
STOCK=${LOAD_STOCK:-1}
LOG_LEVEL=${LOAD_LOG_LEVEL:-Warning}
FLOOR=${LOAD_FLOOR:-1}
DOCS=${LOAD_DOCS:-1}
SCALE_FLOOD=${LOAD_SCALE_FLOOD:-0}
SCALE_DURATION=${LOAD_SCALE_DURATION:-20s}
PORTAL_SESSION="load-session-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
read -r -a SAMPLE_ARGS <<<"${LOAD_SAMPLE_ARGS:-}"

log() { printf '[load] %s\n' "$*" >&2; }

if ! command -v wrk >/dev/null 2>&1; then
    log "installing wrk"
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq wrk >/dev/null
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/authpatterns-load.XXXXXX")
PIDS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "building (Release)"
dotnet build "$ROOT/samples/LayeredApi/LayeredApi.csproj" -c Release -nologo -v q -warnaserror >"$WORK/build.log" 2>&1 \
    || { cat "$WORK/build.log" >&2; exit 1; }
if [ "$STOCK" = "1" ]; then
    dotnet build "$ROOT/tests/load/StockJwtApi/StockJwtApi.csproj" -c Release -nologo -v q -warnaserror >"$WORK/build-stock.log" 2>&1 \
        || { cat "$WORK/build-stock.log" >&2; exit 1; }
fi

if [ "$FLOOR" = "1" ]; then
    dotnet build "$ROOT/tests/load/FloorApi/FloorApi.csproj" -c Release -nologo -v q -warnaserror >"$WORK/build-floor.log" 2>&1 \
        || { cat "$WORK/build-floor.log" >&2; exit 1; }
fi

# Waits until a line matching $2 appears in file $1 while process $3 lives; prints the first match.
wait_for_line() {
    local file=$1 pattern=$2 pid=$3 i
    for i in $(seq 1 1800); do
        if grep -m1 -E "$pattern" "$file" 2>/dev/null; then return 0; fi
        if ! kill -0 "$pid" 2>/dev/null; then log "process $pid exited; its output:"; cat "$file" >&2; return 1; fi
        sleep 0.1
    done
    log "timed out waiting for /$pattern/ in $file"; cat "$file" >&2; return 1
}

# The floor app first: its portal endpoint is the sample's forward-auth verify URL.
FLOOR_BASE=""
FORWARD_AUTH_ENV=()
if [ "$FLOOR" = "1" ]; then
    log "starting tests/load/FloorApi"
    (
        cd "$ROOT/tests/load/FloorApi/bin/Release/net10.0"
        exec env ASPNETCORE_ENVIRONMENT=Production dotnet FloorApi.dll --urls http://127.0.0.1:0 --Portal:Session="$PORTAL_SESSION" \
            --Logging:LogLevel:Default="$LOG_LEVEL" --Logging:LogLevel:Microsoft.Hosting.Lifetime=Information
    ) >"$WORK/floor.log" 2>&1 &
    PIDS+=("$!")
    FLOOR_BASE=$(wait_for_line "$WORK/floor.log" 'Now listening on: http://127\.0\.0\.1:[0-9]+' "$!" | grep -oE 'http://127\.0\.0\.1:[0-9]+')
    log "floor app and portal at $FLOOR_BASE"
    FORWARD_AUTH_ENV=(LayeredAuth__ForwardAuth__VerifyUrl="$FLOOR_BASE/api/authz/forward-auth" LayeredAuth__ForwardAuth__AllowedHosts__0=127.0.0.1)
fi

# The sample, in Development (demo API key and development JWT issuer), on a port Kestrel picks (port 0), with a
# fresh SQLite key store and development key ring in the temp directory. Its startup output names the bound address,
# the demo key (shown once) and a token for the sample's audience.
log "starting samples/LayeredApi"
(
    cd "$ROOT/samples/LayeredApi/bin/Release/net10.0"
    exec env ASPNETCORE_ENVIRONMENT=Development \
        LayeredAuth__ApiKeys__Provider=sqlite \
        LayeredAuth__ApiKeys__ConnectionString="Data Source=$WORK/keys.db" \
        LayeredAuth__Jwt__DevelopmentKeyDirectory="$WORK/jwt-keys" \
        "${FORWARD_AUTH_ENV[@]}" \
        dotnet LayeredApi.dll --urls http://127.0.0.1:0 \
        --Logging:LogLevel:Default="$LOG_LEVEL" --Logging:LogLevel:AuthPatterns="$LOG_LEVEL" \
        --Logging:LogLevel:Microsoft.AspNetCore="$LOG_LEVEL" "${SAMPLE_ARGS[@]}"
) >"$WORK/sample.log" 2>&1 &
PIDS+=("$!")
SAMPLE_PID=$!

JWKS=$(wait_for_line "$WORK/sample.log" 'JWKS at http://127\.0\.0\.1:[0-9]+/' "$SAMPLE_PID" | grep -oE 'http://127\.0\.0\.1:[0-9]+/\.well-known/jwks\.json')
BASE=${JWKS%/.well-known/jwks.json}
wait_for_line "$WORK/sample.log" 'Authorization: Bearer eyJ' "$SAMPLE_PID" >/dev/null
API_KEY=$(grep -m1 -oE 'ak_test_[A-Za-z0-9_]+' "$WORK/sample.log") || { log "no demo API key in the sample's output"; cat "$WORK/sample.log" >&2; exit 1; }
TOKEN=$(grep -m1 -oE 'Bearer eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+' "$WORK/sample.log" | cut -d' ' -f2) \
    || { log "no token in the sample's output"; cat "$WORK/sample.log" >&2; exit 1; }
log "sample at $BASE"

STOCK_BASE=""
if [ "$STOCK" = "1" ]; then
    log "starting tests/load/StockJwtApi"
    (
        cd "$ROOT/tests/load/StockJwtApi/bin/Release/net10.0"
        exec env ASPNETCORE_ENVIRONMENT=Development dotnet StockJwtApi.dll --urls http://127.0.0.1:0 \
            --Stock:JwksUri="$JWKS" --Stock:Issuer=urn:authpatterns:development --Stock:Audience=layered-api \
            --Logging:LogLevel:Default="$LOG_LEVEL" --Logging:LogLevel:Microsoft.Hosting.Lifetime=Information
    ) >"$WORK/stock.log" 2>&1 &
    PIDS+=("$!")
    STOCK_BASE=$(wait_for_line "$WORK/stock.log" 'Now listening on: http://127\.0\.0\.1:[0-9]+' "$!" | grep -oE 'http://127\.0\.0\.1:[0-9]+')
    log "stock JwtBearer app at $STOCK_BASE"
fi

# name|url|header
TARGETS=(
    "GET /ping (anonymous)|$BASE/ping|"
    "GET /api/ping, JWT (layered)|$BASE/api/ping|Authorization: Bearer $TOKEN"
    "GET /api/ping, API key (layered)|$BASE/api/ping|X-API-Key: $API_KEY"
)
if [ -n "$FLOOR_BASE" ]; then
    TARGETS+=(
        "GET /api/ping, forward-auth cookie (layered, cached)|$BASE/api/ping|Cookie: authelia_session=$PORTAL_SESSION"
        "GET /api/ping, no-op scheme, same policy (floor app)|$FLOOR_BASE/api/ping|"
    )
fi
if [ -n "$STOCK_BASE" ]; then
    TARGETS+=(
        "GET /ping (anonymous), stock app|$STOCK_BASE/ping|"
        "GET /api/ping, JWT (stock AddJwtBearer)|$STOCK_BASE/api/ping|Authorization: Bearer $TOKEN"
    )
fi

run_wrk() { # duration url header
    if [ -n "$3" ]; then
        wrk -t"$THREADS" -c"$CONNECTIONS" -d"$1" --latency -H "$3" "$2"
    else
        wrk -t"$THREADS" -c"$CONNECTIONS" -d"$1" --latency "$2"
    fi
}

# Every target must answer 200 before it is measured: a run of 401s measures nothing.
for target in "${TARGETS[@]}"; do
    IFS='|' read -r name url header <<<"$target"
    status=$(curl -s -o /dev/null -w '%{http_code}' ${header:+-H "$header"} "$url")
    if [ "$status" != "200" ]; then
        log "$name answered $status, not 200"; exit 1
    fi
done

log "warming up ($WARMUP per endpoint)"
for target in "${TARGETS[@]}"; do
    IFS='|' read -r name url header <<<"$target"
    run_wrk "$WARMUP" "$url" "$header" >/dev/null
done

to_ms() { # wrk latency (e.g. 812.00us, 1.59ms, 1.02s) to milliseconds
    awk -v v="$1" 'BEGIN {
        n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
        if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000
        printf "%.2f", n }'
}

LOADAVG_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo "?")
RESULTS="$WORK/results.tsv"
: >"$RESULTS"
failed=0
for round in $(seq 1 "$ROUNDS"); do
    i=0
    for target in "${TARGETS[@]}"; do
        IFS='|' read -r name url header <<<"$target"
        log "round $round: $name ($DURATION)"
        out=$(run_wrk "$DURATION" "$url" "$header")
        printf '%s\n' "$out" >"$WORK/wrk-$round-$i.txt"
        rps=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
        p50=$(to_ms "$(awk '$1 == "50%" { print $2 }' <<<"$out")")
        p99=$(to_ms "$(awk '$1 == "99%" { print $2 }' <<<"$out")")
        non2xx=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' <<<"$out")
        sockerr=$(awk '/Socket errors:/ { sub(/.*Socket errors: /, ""); print }' <<<"$out")
        if [ -n "$non2xx" ] && [ "$non2xx" != "0" ]; then
            log "$name: $non2xx non-2xx/3xx responses"; failed=1
        fi
        if [ -n "$sockerr" ]; then
            log "$name: socket errors: $sockerr"; failed=1
        fi
        printf '%s\t%s\t%s\t%s\t%s\n' "$i" "$name" "$rps" "$p50" "$p99" >>"$RESULTS"
        i=$((i + 1))
    done
done

CPUS=$(nproc 2>/dev/null || echo "?")
{
echo
echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION, loopback, $CPUS CPUs shared by wrk and the servers, Release, log level $LOG_LEVEL, $ROUNDS round(s)${LOAD_SAMPLE_ARGS:+, sample $LOAD_SAMPLE_ARGS}"
echo
if [ -r /proc/loadavg ]; then
    echo "load average before the run: $LOADAVG_BEFORE; after: $(cut -d' ' -f1-3 /proc/loadavg)"
fi
echo
# Per target, the round with the median requests/s (every round's requests/s listed when there are several); ratios
# against the layered sample's anonymous /ping.
sort -t$'\t' -k1,1n -k3,3g "$RESULTS" | awk -F'\t' -v rounds="$ROUNDS" '
    { rows[$1, ++count[$1]] = $0; all[$1] = all[$1] (count[$1] > 1 ? ", " : "") sprintf("%.0f", $3); if ($1 + 1 > targets) targets = $1 + 1 }
    END {
        printf "| endpoint | requests/s | p50 (ms) | p99 (ms) | vs /ping |%s\n", (rounds > 1 ? " all rounds, sorted (requests/s) |" : "")
        printf "|---|---:|---:|---:|---:|%s\n", (rounds > 1 ? "---|" : "")
        for (t = 0; t < targets; t++) {
            split(rows[t, int((count[t] + 1) / 2)], f, "\t")
            if (t == 0) base = f[3]
            printf "| %s | %.0f | %s | %s | %.2f |%s\n", f[2], f[3], f[4], f[5], f[3] / base, (rounds > 1 ? " " all[t] " |" : "")
        }
    }'
} | tee "$WORK/table.md"

# Opt-in: floods of made-up credentials while a signed-in client keeps calling. Each flood runs for SCALE_DURATION with
# the configured connections; the signed-in client uses 4 connections at the same time.
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
if [ "$SCALE_FLOOD" = "1" ]; then
    cat >"$WORK/flood.lua" <<'LUA'
-- Random credentials, one per request: KIND = cookie, apikey or jwt (a well-formed RS256 header with a random kid).
local kind = os.getenv("FLOOD_KIND")
math.randomseed(os.time() + math.floor(os.clock() * 1000000))
local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
local function rand(n)
  local t = {}
  for i = 1, n do local k = math.random(1, 64); t[i] = alphabet:sub(k, k) end
  return table.concat(t)
end
local function b64url(s)
  local out = {}
  for i = 1, #s, 3 do
    local a, b, c = s:byte(i, i + 2)
    local n = a * 65536 + (b or 0) * 256 + (c or 0)
    local chars = 2 + (b and 1 or 0) + (c and 1 or 0)
    for j = 1, chars do
      local k = math.floor(n / 64 ^ (4 - j)) % 64 + 1
      out[#out + 1] = alphabet:sub(k, k)
    end
  end
  return table.concat(out)
end
request = function()
  local headers = {}
  if kind == "cookie" then
    headers["Cookie"] = "authelia_session=" .. rand(32)
  elseif kind == "apikey" then
    headers["X-API-Key"] = "ak_test_" .. rand(16) .. "_" .. rand(43)
  else
    local header = b64url('{"alg":"RS256","typ":"at+jwt","kid":"' .. rand(16) .. '"}')
    headers["Authorization"] = "Bearer " .. header .. "." .. b64url('{"sub":"x","exp":4102444800}') .. "." .. rand(342)
  end
  return wrk.format(nil, nil, headers)
end
LUA
    {
        echo
        echo "Floods of made-up credentials ($SCALE_DURATION each, wrk -c$CONNECTIONS) while a signed-in client (wrk -c4, the forward-auth cookie) calls /api/ping:"
        echo
        echo "| flood | flood requests | signed-in requests | signed-in non-2xx | portal calls | sample RSS growth (MiB) |"
        echo "|---|---:|---:|---:|---:|---:|"
    } | tee -a "$WORK/table.md"
    for kind in cookie apikey jwt; do
        calls_before=$(curl -s "$FLOOR_BASE/portal/calls")
        rss_before=$(rss_kib "$SAMPLE_PID")
        FLOOD_KIND=$kind wrk -t"$THREADS" -c"$CONNECTIONS" -d"$SCALE_DURATION" -s "$WORK/flood.lua" "$BASE/api/ping" >"$WORK/flood-$kind.txt" &
        flood_pid=$!
        wrk -t1 -c4 -d"$SCALE_DURATION" -H "Cookie: authelia_session=$PORTAL_SESSION" "$BASE/api/ping" >"$WORK/signed-in-$kind.txt"
        wait "$flood_pid" || true
        rss_after=$(rss_kib "$SAMPLE_PID")
        calls_after=$(curl -s "$FLOOR_BASE/portal/calls")
        flood_requests=$(awk '/requests in/ { print $1 }' "$WORK/flood-$kind.txt")
        signed_requests=$(awk '/requests in/ { print $1 }' "$WORK/signed-in-$kind.txt")
        signed_bad=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$WORK/signed-in-$kind.txt")
        printf '| random %s | %s | %s | %s | %s | %.1f |\n' "$kind" "${flood_requests:-0}" "${signed_requests:-0}" "${signed_bad:-0}" \
            "$((calls_after - calls_before))" "$(awk -v a="$rss_after" -v b="$rss_before" 'BEGIN { print (a - b) / 1024 }')" | tee -a "$WORK/table.md"
        if [ -n "$signed_bad" ] && [ "$signed_bad" != "0" ]; then
            log "the signed-in client saw $signed_bad non-2xx answers during the $kind flood"; failed=1
        fi
    done
fi

# docs/performance.md keeps the latest run between its markers, with the command and the machine, and a plot of the
# ratios (an SVG written here, no plotting tool needed).
if [ "$DOCS" = "1" ] && [ "$failed" -eq 0 ]; then
    DOC="$ROOT/docs/performance.md"
    SVG="$ROOT/docs/performance-ratios.svg"
    awk -F'|' '/^\| GET / { gsub(/^ +| +$/, "", $2); gsub(/ /, "", $6); print $2 "\t" $6 }' "$WORK/table.md" | awk -F'\t' '
        BEGIN { bar = 22; gap = 8; left = 430; width = 360 }
        { name[NR] = $1; ratio[NR] = $2 + 0; n = NR; if ($2 + 0 > top) top = $2 + 0 }
        END {
            scale = width / (top > 1 ? top : 1)
            h = 40 + n * (bar + gap) + 30
            printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"12\">\n", left + width + 60, h
            printf "<text x=\"10\" y=\"20\" font-size=\"14\">requests/s as a ratio to the anonymous /ping of the same run (tests/load/run.sh)</text>\n"
            for (i = 1; i <= n; i++) {
                y = 34 + (i - 1) * (bar + gap)
                w = ratio[i] * scale
                gsub(/&/, "\\&amp;", name[i]); gsub(/</, "\\&lt;", name[i])
                printf "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>\n", left - 8, y + 15, name[i]
                printf "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>\n", left, y, w, bar, (name[i] ~ /floor/ ? "#888" : "#3b6ea5")
                printf "<text x=\"%.1f\" y=\"%d\">%.2f</text>\n", left + w + 4, y + 15, ratio[i]
            }
            for (r = 0; r <= (top > 1 ? top : 1); r += 0.25) {
                x = left + r * scale
                printf "<line x1=\"%.1f\" y1=\"30\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ccc\" stroke-dasharray=\"2,2\"/>\n", x, x, h - 24
                printf "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%.2f</text>\n", x, h - 10, r
            }
            print "</svg>"
        }' >"$SVG"
    {
        echo "<!-- load:begin (written by tests/load/run.sh; do not edit by hand) -->"
        echo
        echo "Command: \`$(env | grep -E '^LOAD_[A-Z_]+=' | sort | tr '\n' ' ')tests/load/run.sh\`, $(date -u '+%Y-%m-%d %H:%M UTC')."
        echo "Machine: $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null), $CPUS CPUs, $(uname -sr), $(dotnet --version 2>/dev/null | sed 's/^/.NET SDK /')."
        cat "$WORK/table.md"
        echo
        echo "![ratios to /ping](performance-ratios.svg)"
        echo
        echo "<!-- load:end -->"
    } >"$WORK/section.md"
    if [ -f "$DOC" ] && grep -q '<!-- load:begin' "$DOC"; then
        awk -v section="$WORK/section.md" '
            /<!-- load:begin/ { while ((getline line < section) > 0) print line; skip = 1; next }
            /<!-- load:end -->/ { skip = 0; next }
            !skip { print }' "$DOC" >"$WORK/doc.md"
        cp "$WORK/doc.md" "$DOC"
    else
        { echo; echo "## Latest load comparison"; echo; cat "$WORK/section.md"; } >>"$DOC"
    fi
    log "wrote $DOC and $SVG"
fi

if [ "${LOAD_SCALE_KEYS:-0}" = "1" ]; then
    "$ROOT/tests/load/scale-keys.sh" || failed=1
fi

if [ "${LOAD_SCALE_BURST:-0}" = "1" ]; then
    "$ROOT/tests/load/burst.sh" || failed=1
fi

if [ "${LOAD_SCALE_TOKENS:-0}" = "1" ]; then
    "$ROOT/tests/load/scale-tokens.sh" || failed=1
fi

if [ "$failed" -ne 0 ]; then
    log "FAILED: some runs saw non-2xx answers or socket errors; the numbers above are not valid"
    exit 1
fi

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

# Waits until a line matching $2 appears in file $1 while process $3 lives; prints the first match.
wait_for_line() {
    local file=$1 pattern=$2 pid=$3 i
    for i in $(seq 1 600); do
        if grep -m1 -E "$pattern" "$file" 2>/dev/null; then return 0; fi
        if ! kill -0 "$pid" 2>/dev/null; then log "process $pid exited; its output:"; cat "$file" >&2; return 1; fi
        sleep 0.1
    done
    log "timed out waiting for /$pattern/ in $file"; cat "$file" >&2; return 1
}

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
        dotnet LayeredApi.dll --urls http://127.0.0.1:0 \
        --Logging:LogLevel:Default="$LOG_LEVEL" --Logging:LogLevel:AuthPatterns="$LOG_LEVEL" \
        --Logging:LogLevel:Microsoft.AspNetCore="$LOG_LEVEL" "${SAMPLE_ARGS[@]}"
) >"$WORK/sample.log" 2>&1 &
PIDS+=("$!")
SAMPLE_PID=$!

JWKS=$(wait_for_line "$WORK/sample.log" 'JWKS at http://127\.0\.0\.1:[0-9]+/' "$SAMPLE_PID" | grep -oE 'http://127\.0\.0\.1:[0-9]+/\.well-known/jwks\.json')
BASE=${JWKS%/.well-known/jwks.json}
wait_for_line "$WORK/sample.log" '^ +curl -H "Authorization: Bearer ' "$SAMPLE_PID" >/dev/null
API_KEY=$(grep -m1 -oE 'ak_test_[A-Za-z0-9_]+' "$WORK/sample.log") || { log "no demo API key in the sample's output"; cat "$WORK/sample.log" >&2; exit 1; }
TOKEN=$(grep -m1 -oE '^ +eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$' "$WORK/sample.log" | tr -d ' ') \
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

if [ "$failed" -ne 0 ]; then
    log "FAILED: some runs saw non-2xx answers or socket errors; the numbers above are not valid"
    exit 1
fi

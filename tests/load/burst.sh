#!/usr/bin/env bash
# A burst of first uses of distinct API keys (run by tests/load/run.sh when LOAD_SCALE_BURST=1, or alone): starts
# tests/load/KeyScaleApi seeded with LOAD_BURST_KEYS (1000) keys plus one, Argon2id and every budget at their DEFAULT
# settings, uses one key once (the warm key, cached from then on), then:
#   1. baseline: the app's anonymous /ping and /api/ping with the warm key, measured at the same time by two wrk
#      processes (-t1 -cLOAD_CONNECTIONS) for LOAD_DURATION (10s);
#   2. the burst: tests/load/burst.py sends the other keys, each once and all at the same moment, each from its own
#      loopback address (one client per key, so the per-address budget keeps its default), while /ping and the warm key
#      are measured again in the same way for the same time. A key shed with 503 is sent again after its Retry-After, as a
#      client honouring the header would, until it is served (at most LOAD_BURST_DEADLINE seconds, 600);
#   3. reports how the first answers split (200, 503 with and without Retry-After, anything else), the /ping and warm-key
#      rates during the burst as ratios to the baseline, the resent keys' answers, and from the app's meter the Argon2id
#      runs (exactly one per key: a shed request costs none) and the refused outcomes.
# LOAD_BURST_APP_ARGS passes settings to the app (e.g. "--LayeredAuth:ApiKeys:MaxConcurrentVerifications=1"); the
# report names them.
# Writes the section between the load-burst markers of docs/performance.md (LOAD_DOCS=0 leaves it alone). Exits non-zero
# if a valid key got anything but 200 or 503, a 503 lacked Retry-After, a key was not served by the deadline, or a
# /ping or warm-key run saw a non-2xx answer or a socket error.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CONNECTIONS=${LOAD_CONNECTIONS:-16}
DURATION=${LOAD_DURATION:-10s}
KEYS=${LOAD_BURST_KEYS:-1000}
DEADLINE=${LOAD_BURST_DEADLINE:-600}
read -r -a APP_ARGS <<<"${LOAD_BURST_APP_ARGS:-}"
DOCS=${LOAD_DOCS:-1}

log() { printf '[load:burst] %s\n' "$*" >&2; }

if ! command -v wrk >/dev/null 2>&1; then
    log "installing wrk"
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq wrk >/dev/null
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/authpatterns-burst.XXXXXX")
APP_PID=""
BURST_PID=""
cleanup() {
    if [ -n "$BURST_PID" ]; then kill "$BURST_PID" 2>/dev/null || true; wait "$BURST_PID" 2>/dev/null || true; fi
    if [ -n "$APP_PID" ]; then kill "$APP_PID" 2>/dev/null || true; wait "$APP_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "building tests/load/KeyScaleApi (Release)"
dotnet build "$ROOT/tests/load/KeyScaleApi/KeyScaleApi.csproj" -c Release -nologo -v q -warnaserror >"$WORK/build.log" 2>&1 \
    || { cat "$WORK/build.log" >&2; exit 1; }

json() { # file field: a number from a JSON file (0 when absent)
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); v=d
for p in sys.argv[2].split("."): v=v.get(p,0) if isinstance(v,dict) else 0
print(v if v is not None else "n/a")' "$1" "$2"
}
delta() { # before after field
    echo $(( $(json "$2" "$3") - $(json "$1" "$3") ))
}
rate() { awk '/^Requests\/sec:/ { print $2 }' "$1"; }

# Seeding hashes every key with Argon2id at the default cost: about 50 ms each on a free core, so a minute or two for
# 1,000 keys on two cores, longer on a busy machine.
seed_started=$(date +%s)
log "seeding $((KEYS + 1)) keys at the default Argon2id parameters"
(
    cd "$ROOT/tests/load/KeyScaleApi/bin/Release/net10.0"
    exec env ASPNETCORE_ENVIRONMENT=Production dotnet KeyScaleApi.dll --urls http://127.0.0.1:0 \
        --Scale:Keys="$((KEYS + 1))" --Scale:KeysFile="$WORK/keys.txt" \
        --Logging:LogLevel:Default=Warning --Logging:LogLevel:Microsoft.Hosting.Lifetime=Information ${APP_ARGS[@]+"${APP_ARGS[@]}"}
) >"$WORK/app.log" 2>&1 &
APP_PID=$!
until grep -q '^Seeded' "$WORK/app.log"; do
    kill -0 "$APP_PID" 2>/dev/null || { cat "$WORK/app.log" >&2; exit 1; }
    sleep 0.5
done
seed_seconds=$(( $(date +%s) - seed_started ))
BASE=$(grep -m1 -oE 'http://127\.0\.0\.1:[0-9]+' "$WORK/app.log")
head -n 1 "$WORK/keys.txt" >"$WORK/warm.txt"
tail -n +2 "$WORK/keys.txt" >"$WORK/burst.txt"
WARM=$(cat "$WORK/warm.txt")
log "seeded in ${seed_seconds}s; warming one key"

status=$(curl -s -o /dev/null -w '%{http_code}' -H "X-API-Key: $WARM" "$BASE/api/ping")
[ "$status" = "200" ] || { log "the warm key answered $status"; exit 1; }

# /ping and the warm key at the same time, as they will run during the burst. The warm key stays cached for the
# default CacheLifetime (60 s), longer than both phases together.
measure() { # phase
    wrk -t1 -c"$CONNECTIONS" -d"$DURATION" "$BASE/ping" >"$WORK/ping-$1.txt" &
    local ping=$!
    wrk -t1 -c"$CONNECTIONS" -d"$DURATION" -H "X-API-Key: $WARM" "$BASE/api/ping" >"$WORK/warm-$1.txt" &
    local warm=$!
    wait "$ping" "$warm"
}

curl -s "$BASE/load/stats" >"$WORK/stats0.json"
log "baseline: /ping and the warm key for $DURATION"
measure baseline
curl -s "$BASE/load/stats" >"$WORK/stats1.json"

python3 "$ROOT/tests/load/burst.py" "$BASE" "$WORK/burst.txt" "$WORK/go" "$WORK/burst.json" --deadline "$DEADLINE" 2>"$WORK/burst.log" &
BURST_PID=$!
until grep -q '^ready' "$WORK/burst.log"; do
    kill -0 "$BURST_PID" 2>/dev/null || { cat "$WORK/burst.log" >&2; exit 1; }
    sleep 0.1
done
log "burst: $KEYS first uses at once, /ping and the warm key measured for $DURATION"
touch "$WORK/go"
measure burst
curl -s "$BASE/load/stats" >"$WORK/stats2.json"
log "resending shed keys after Retry-After until served"
burst_rc=0
wait "$BURST_PID" || burst_rc=$?
BURST_PID=""
curl -s "$BASE/load/stats" >"$WORK/stats3.json"
kill "$APP_PID"; wait "$APP_PID" 2>/dev/null || true; APP_PID=""
[ -s "$WORK/burst.json" ] || { cat "$WORK/burst.log" >&2; exit 1; }

failed=0
[ "$burst_rc" -eq 0 ] || { log "the burst saw an answer other than 200/503, a 503 without Retry-After, or an unserved key"; failed=1; }
for f in ping-baseline warm-baseline ping-burst warm-burst; do
    if grep -qE 'Non-2xx or 3xx responses|Socket errors' "$WORK/$f.txt"; then
        log "$f: $(grep -E 'Non-2xx|Socket errors' "$WORK/$f.txt" | tr '\n' ' ')"; failed=1
    fi
done

ping0=$(rate "$WORK/ping-baseline.txt"); warm0=$(rate "$WORK/warm-baseline.txt")
ping1=$(rate "$WORK/ping-burst.txt"); warm1=$(rate "$WORK/warm-burst.txt")
B="$WORK/burst.json"
first200=$(json "$B" first.200); first503=$(json "$B" first.503)
first_other=$(( KEYS - first200 - first503 ))
hashes_window=$(( $(delta "$WORK/stats1.json" "$WORK/stats2.json" hashes.valid) + $(delta "$WORK/stats1.json" "$WORK/stats2.json" hashes.invalid) ))
hashes_total=$(( $(delta "$WORK/stats1.json" "$WORK/stats3.json" hashes.valid) + $(delta "$WORK/stats1.json" "$WORK/stats3.json" hashes.invalid) ))
python3 - "$WORK/stats1.json" "$WORK/stats3.json" >"$WORK/outcomes.txt" <<'EOF'
import json, sys
a = json.load(open(sys.argv[1]))["outcomes"]; b = json.load(open(sys.argv[2]))["outcomes"]
print(", ".join(f"{k} {b[k] - a.get(k, 0)}" for k in sorted(b) if k != "valid" and b[k] - a.get(k, 0)) or "none")
EOF

{
echo
echo "$KEYS distinct keys never used before, sent at once from $KEYS loopback addresses (one connection each) to tests/load/KeyScaleApi at the default settings (Argon2id m=19456 KiB, t=2, p=1; MaxConcurrentVerifications $(nproc), MaxQueuedVerifications $((2 * $(nproc))), OverloadRetryAfter 1 s; budgets per key and per address at their defaults)${APP_ARGS[*]:+, except ${APP_ARGS[*]}}; /ping and one warm key each measured by wrk -t1 -c$CONNECTIONS for $DURATION, at the same time, before and during the burst; loopback, $(nproc) CPUs shared by the load generators and the app, Release. Seeding $((KEYS + 1)) keys took ${seed_seconds} s."
echo
echo "| first answers to the $KEYS first uses | keys |"
echo "|---|---:|"
echo "| 200, served | $first200 |"
echo "| 503, shed | $first503 |"
echo "| anything else (500, 401, 429, errors) | $first_other |"
echo
echo "| the burst, answers and Argon2id runs | count |"
echo "|---|---:|"
echo "| 503 answers carrying Retry-After (first answers and resends) | $(json "$B" answers_503_with_retry_after) |"
echo "| 503 answers without Retry-After | $(json "$B" answers_503_without_retry_after) |"
echo "| keys that got anything but 200 or 503 | $(json "$B" keys_with_other_answers) |"
echo "| shed keys served once resent after Retry-After | $(json "$B" shed_then_served) of $first503 |"
echo "| keys served in the end | $(json "$B" served_in_the_end) of $KEYS, the last $(json "$B" all_served_within_seconds) s after the burst |"
echo "| most requests one key needed | $(json "$B" most_attempts_for_one_key) |"
echo "| Argon2id runs (app meter): during the measured window / in all | $hashes_window / $hashes_total |"
echo
echo "Refused authentication outcomes counted by the app from the burst to the last resend (every outcome but valid): $(cat "$WORK/outcomes.txt")."
echo
echo "| requests/s | baseline | during the burst | during / baseline |"
echo "|---|---:|---:|---:|"
awk -v p0="$ping0" -v p1="$ping1" -v w0="$warm0" -v w1="$warm1" 'BEGIN {
    printf "| GET /ping (anonymous) | %.0f | %.0f | %.2f |\n", p0, p1, p1 / p0
    printf "| GET /api/ping, warm key | %.0f | %.0f | %.2f |\n", w0, w1, w1 / w0
    printf "| warm key / /ping | %.2f | %.2f | |\n", w0 / p0, w1 / p1
}'
} | tee "$WORK/table.md"

if [ "$DOCS" = "1" ]; then
    DOC="$ROOT/docs/performance.md"
    {
        echo "<!-- load-burst:begin (written by tests/load/burst.sh; do not edit by hand) -->"
        echo
        echo "Command: \`$(env | grep -E '^LOAD_[A-Z_]+=' | sort | tr '\n' ' ')tests/load/burst.sh\`, $(date -u '+%Y-%m-%d %H:%M UTC')$([ "$failed" -eq 0 ] || echo ', FAILED (see the counts)')."
        echo "Machine: $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null), $(nproc) CPUs, $(uname -sr), load average after the run $(cut -d' ' -f1-3 /proc/loadavg)."
        cat "$WORK/table.md"
        echo
        echo "<!-- load-burst:end -->"
    } >"$WORK/section.md"
    if grep -q '<!-- load-burst:begin' "$DOC"; then
        awk -v section="$WORK/section.md" '
            /<!-- load-burst:begin/ { while ((getline line < section) > 0) print line; skip = 1; next }
            /<!-- load-burst:end -->/ { skip = 0; next }
            !skip { print }' "$DOC" >"$WORK/doc.md"
        cp "$WORK/doc.md" "$DOC"
    else
        { echo; echo "## API keys: a burst of first uses"; echo; cat "$WORK/section.md"; } >>"$DOC"
    fi
    log "wrote $DOC"
fi

if [ "$failed" -ne 0 ]; then
    log "FAILED: see the counts above"
    exit 1
fi

#!/usr/bin/env bash
# The API-key scale curve (run by tests/load/run.sh when LOAD_SCALE_KEYS=1, or alone): for each size in
# LOAD_SCALE_KEYS_SIZES ("1 1000 10000 100000"; a size may carry its cache limit as N:LIMIT), starts
# tests/load/KeyScaleApi seeded with N real keys, uses every key once (its Argon2id verification, -c6 so no first use is
# shed), then measures the app's anonymous /ping and /api/ping with keys drawn by a Zipf distribution (s = 1; the /ping
# baseline gets the same requests with the key under a header nothing reads, so both pay the same load generator), two rounds of
# LOAD_DURATION (5s) each, alternating (the table shows the means), and reads
# from the app's meter the Argon2id verifications and refused outcomes during the measured run (both must be 0 when the
# cache holds every key) and the managed heap after a full collection before and after the keys were cached.
# The keys are hashed and verified with Argon2id at m=LOAD_SCALE_KEYS_MEMORY (64) KiB, t=1: at the default parameters
# seeding 100,000 keys would take an hour on two cores (the default cost is the cold-path benchmark's). One address
# (127.0.0.1) sends every key, so the per-address verification budget is lifted; the per-key budget stays at its default.
# Writes the section between the load-keys markers of docs/performance.md and docs/performance-keys.svg (LOAD_DOCS=0
# leaves them alone). Exits non-zero if a measured run saw a non-2xx answer or a socket error.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
THREADS=${LOAD_THREADS:-2}
CONNECTIONS=${LOAD_CONNECTIONS:-32}
DURATION=${LOAD_DURATION:-5s}
SIZES=${LOAD_SCALE_KEYS_SIZES-1 1000 10000 100000}
MEMORY=${LOAD_SCALE_KEYS_MEMORY:-64}
DOCS=${LOAD_DOCS:-1}

log() { printf '[load:keys] %s\n' "$*" >&2; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/authpatterns-keys.XXXXXX")
APP_PID=""
cleanup() {
    if [ -n "$APP_PID" ]; then kill "$APP_PID" 2>/dev/null || true; wait "$APP_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "building tests/load/KeyScaleApi (Release)"
dotnet build "$ROOT/tests/load/KeyScaleApi/KeyScaleApi.csproj" -c Release -nologo -v q -warnaserror >"$WORK/build.log" 2>&1 \
    || { cat "$WORK/build.log" >&2; exit 1; }

json() { # file field: a number from the stats answer (0 when absent)
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); v=d
for p in sys.argv[2].split("."): v=v.get(p,0) if isinstance(v,dict) else 0
print(v)' "$1" "$2"
}
refused() { # file: every outcome but valid
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))["outcomes"]; print(sum(v for k,v in d.items() if k!="valid"))' "$1"
}

# LOAD_SCALE_KEYS_RESULTS names a file that keeps rows across invocations (sizes measured in separate, shorter runs);
# the table is drawn from every row in it.
RESULTS=${LOAD_SCALE_KEYS_RESULTS:-$WORK/results.tsv}
touch "$RESULTS"
failed=0
for size in $SIZES; do
    keys=${size%%:*}
    limit=${size#*:}
    if [ "$limit" = "$size" ]; then limit=$((keys > 10000 ? keys : 10000)); fi
    log "$keys keys, cache limit $limit: seeding"
    (
        cd "$ROOT/tests/load/KeyScaleApi/bin/Release/net10.0"
        exec env ASPNETCORE_ENVIRONMENT=Production dotnet KeyScaleApi.dll --urls http://127.0.0.1:0 \
            --Scale:Keys="$keys" --Scale:KeysFile="$WORK/keys.txt" \
            --LayeredAuth:ApiKeys:HashMemorySize="$MEMORY" --LayeredAuth:ApiKeys:HashIterations=1 \
            --LayeredAuth:ApiKeys:CacheSizeLimit="$limit" --LayeredAuth:ApiKeys:MaxVerificationsPerAddress=1000000000 \
            --LayeredAuth:ApiKeys:CacheLifetime=00:10:00 \
            --Logging:LogLevel:Default=Warning --Logging:LogLevel:Microsoft.Hosting.Lifetime=Information
    ) >"$WORK/app.log" 2>&1 &
    APP_PID=$!
    for _ in $(seq 1 3000); do
        grep -q '^Seeded' "$WORK/app.log" && break
        kill -0 "$APP_PID" 2>/dev/null || { cat "$WORK/app.log" >&2; exit 1; }
        sleep 0.1
    done
    BASE=$(grep -m1 -oE 'http://127\.0\.0\.1:[0-9]+' "$WORK/app.log")
    curl -s "$BASE/load/stats" >"$WORK/seeded.json"

    # Every key once, so each has had its one Argon2id verification; repeated until the meter has seen them all.
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        sweep=$(( keys / 3000 + 2 ))
        KEYS_FILE="$WORK/keys.txt" MODE=sweep WRK_THREADS=2 wrk -t2 -c6 -d"${sweep}s" -s "$ROOT/tests/load/keys.lua" "$BASE/api/ping" >/dev/null
        curl -s "$BASE/load/stats" >"$WORK/warm.json"
        [ "$(json "$WORK/warm.json" hashes.valid)" -ge "$keys" ] && break
    done
    log "$keys keys: $(json "$WORK/warm.json" hashes.valid) Argon2id verifications to warm up; measuring"
    # Two rounds, /ping and the keys alternating, so a change in the shared machine's load hits both alike.
    for round in 1 2; do
        KEYS_FILE="$WORK/keys.txt" MODE=zipf KEY_HEADER=X-Load-Key wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" -s "$ROOT/tests/load/keys.lua" "$BASE/ping" >"$WORK/ping$round.txt"
        KEYS_FILE="$WORK/keys.txt" MODE=zipf wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" -s "$ROOT/tests/load/keys.lua" "$BASE/api/ping" >"$WORK/zipf$round.txt"
    done
    curl -s "$BASE/load/stats" >"$WORK/after.json"
    kill "$APP_PID"; wait "$APP_PID" 2>/dev/null || true; APP_PID=""

    for f in ping1 zipf1 ping2 zipf2; do
        if grep -q 'Non-2xx or 3xx responses' "$WORK/$f.txt" || grep -q 'Socket errors' "$WORK/$f.txt"; then
            log "$keys keys, $f: $(grep -E 'Non-2xx|Socket errors' "$WORK/$f.txt")"; failed=1
        fi
    done
    ping=$(awk '/^Requests\/sec:/ { sum += $2 } END { print sum / 2 }' "$WORK/ping1.txt" "$WORK/ping2.txt")
    zipf=$(awk '/^Requests\/sec:/ { sum += $2 } END { print sum / 2 }' "$WORK/zipf1.txt" "$WORK/zipf2.txt")
    hashes=$(( $(json "$WORK/after.json" hashes.valid) + $(json "$WORK/after.json" hashes.invalid) - $(json "$WORK/warm.json" hashes.valid) - $(json "$WORK/warm.json" hashes.invalid) ))
    bad=$(( $(refused "$WORK/after.json") - $(refused "$WORK/warm.json") ))
    heap0=$(json "$WORK/seeded.json" heapBytes)
    heap1=$(json "$WORK/warm.json" heapBytes)
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$keys" "$limit" "$ping" "$zipf" "$hashes" "$bad" "$heap0" "$heap1" "$(json "$WORK/after.json" workingSetBytes)" "$MEMORY" >>"$RESULTS"
done

{
echo
echo "wrk -t$THREADS -c$CONNECTIONS, two rounds alternating with /ping, loopback, $(nproc) CPUs shared by wrk and the app, Release; keys drawn by Zipf (s = 1); Argon2id t=1, p=1 and the memory shown, for seeding and first uses"
echo
echo "| active keys | cache limit | Argon2id m (KiB) | /ping requests/s | /api/ping requests/s (Zipf) | vs /ping | Argon2id runs while measured | refused while measured | heap of cached keys (MiB) | bytes per cached key | working set (MiB) |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
sort -t$'\t' -k1,1n "$RESULTS" | awk -F'\t' '{
    cached = ($1 < $2 ? $1 : $2)
    printf "| %d | %d | %s | %.0f | %.0f | %.2f | %d | %d | %.1f | %s | %.0f |\n", $1, $2, $10, $3, $4, $4 / $3, $5, $6, ($8 - $7) / 1048576, (cached >= 1000 ? sprintf("%.0f", ($8 - $7) / cached) : "n/a"), $9 / 1048576
}'

} | tee "$WORK/table.md"

if [ "$DOCS" = "1" ] && [ "$failed" -eq 0 ]; then
    DOC="$ROOT/docs/performance.md"
    SVG="$ROOT/docs/performance-keys.svg"
    awk -F'\t' '
        BEGIN { left = 70; width = 420; top = 30; height = 200 }
        { keys[NR] = $1; ratio[NR] = $4 / $3; n = NR }
        END {
            printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"12\">\n", left + width + 40, top + height + 50
            printf "<text x=\"10\" y=\"18\" font-size=\"14\">API key (Zipf) requests/s as a ratio to /ping, against active keys (tests/load/scale-keys.sh)</text>\n"
            for (r = 0; r <= 1.25; r += 0.25) {
                y = top + height - r / 1.25 * height
                printf "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ccc\" stroke-dasharray=\"2,2\"/>\n", left, y, left + width, y
                printf "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.2f</text>\n", left - 6, y + 4, r
            }
            path = ""
            for (i = 1; i <= n; i++) {
                x = left + (n > 1 ? (i - 1) / (n - 1) : 0.5) * width
                y = top + height - (ratio[i] > 1.25 ? 1.25 : ratio[i]) / 1.25 * height
                path = path (i == 1 ? "M" : " L") sprintf("%.1f %.1f", x, y)
                printf "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"#3b6ea5\"/>\n", x, y
                printf "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%.2f</text>\n", x, y - 8, ratio[i]
                printf "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n", x, top + height + 18, keys[i]
            }
            printf "<path d=\"%s\" fill=\"none\" stroke=\"#3b6ea5\" stroke-width=\"2\"/>\n", path
            printf "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">active keys</text>\n", left + width / 2, top + height + 38
            print "</svg>"
        }' <(sort -t$'\t' -k1,1n "$RESULTS") >"$SVG"
    {
        echo "<!-- load-keys:begin (written by tests/load/scale-keys.sh; do not edit by hand) -->"
        echo
        echo "Command: \`$(env | grep -E '^LOAD_[A-Z_]+=' | sort | tr '\n' ' ')tests/load/scale-keys.sh\`, $(date -u '+%Y-%m-%d %H:%M UTC')."
        echo "Machine: $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null), $(nproc) CPUs, $(uname -sr), load average after the run $(cut -d' ' -f1-3 /proc/loadavg)."
        cat "$WORK/table.md"
        echo
        echo "![API-key ratio to /ping against active keys](performance-keys.svg)"
        echo
        echo "<!-- load-keys:end -->"
    } >"$WORK/section.md"
    if grep -q '<!-- load-keys:begin' "$DOC"; then
        awk -v section="$WORK/section.md" '
            /<!-- load-keys:begin/ { while ((getline line < section) > 0) print line; skip = 1; next }
            /<!-- load-keys:end -->/ { skip = 0; next }
            !skip { print }' "$DOC" >"$WORK/doc.md"
        cp "$WORK/doc.md" "$DOC"
    else
        { echo; echo "## API keys: cost against active keys"; echo; cat "$WORK/section.md"; } >>"$DOC"
    fi
    log "wrote $DOC and $SVG"
fi

if [ "$failed" -ne 0 ]; then
    log "FAILED: some runs saw non-2xx answers or socket errors; the numbers above are not valid"
    exit 1
fi

#!/usr/bin/env bash
# The JWT token-cache memory curve (run by tests/load/run.sh when LOAD_SCALE_TOKENS=1, or alone): for each kind in
# LOAD_SCALE_TOKENS_KINDS ("small large": about 10 claims and 0.7 KB; the same plus one claim of group names, about
# 15 KB) and each size in LOAD_SCALE_TOKENS_SIZES ("1000 10000 100000"), starts tests/load/TokenScaleApi (the layered
# JWT scheme at its default cache settings, tokens checked against the JWKS the app serves for its load-test key),
# measures its anonymous /ping for LOAD_DURATION (10s; the tokens under a header nothing reads, so both runs pay the same
# load generator), then sends N distinct valid RS256 tokens to /api/ping (scope orders:read), each in turn
# (tokens.lua), in runs of LOAD_DURATION until every token has been sent at least once. Before and after the tokens it
# reads the process's resident memory (VmRSS of /proc/<pid>/status) and the managed heap after a full collection, and
# from the app's own AuthPatterns meter the token-cache lookups; also the GC's committed memory, and the RSS after an
# aggressive (decommitting) collection, which tells memory the GC keeps from memory still in use. LOAD_SCALE_TOKENS_GC
# ("server", ASP.NET Core's default; "server workstation" for both) sets the app's collector. Bound: growth under
# 64 MiB, RSS and heap, at every size; a row above it is still written, marked, and the script exits non-zero.
# The tokens are minted once per kind (as many as the largest size) with the app's key into LOAD_SCALE_TOKENS_CACHE
# (tests/load/.cache), valid for 7 days, and reused by later runs while they have 2 days left.
# Writes the section between the load-tokens markers of docs/performance.md and docs/performance-tokens.svg (LOAD_DOCS=0
# leaves them alone; nothing is written when an answer was not 200 or a socket error occurred). Exits non-zero if an
# answer was not 200, a socket error occurred, or the bound was exceeded.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
THREADS=${LOAD_THREADS:-2}
CONNECTIONS=${LOAD_CONNECTIONS:-32}
DURATION=${LOAD_DURATION:-10s}
SIZES=${LOAD_SCALE_TOKENS_SIZES:-1000 10000 100000}
KINDS=${LOAD_SCALE_TOKENS_KINDS:-small large}
GCS=${LOAD_SCALE_TOKENS_GC:-server}
CACHE=${LOAD_SCALE_TOKENS_CACHE:-$ROOT/tests/load/.cache}
DOCS=${LOAD_DOCS:-1}
BOUND=$((64 * 1024 * 1024))
ISSUER=urn:authpatterns:load
AUDIENCE=orders-api

log() { printf '[load:tokens] %s\n' "$*" >&2; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/authpatterns-tokens.XXXXXX")
APP_PID=""
cleanup() {
    if [ -n "$APP_PID" ]; then kill "$APP_PID" 2>/dev/null || true; wait "$APP_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "building tests/load/TokenScaleApi (Release)"
dotnet build "$ROOT/tests/load/TokenScaleApi/TokenScaleApi.csproj" -c Release -nologo -v q -warnaserror >"$WORK/build.log" 2>&1 \
    || { cat "$WORK/build.log" >&2; exit 1; }
APP_DIR="$ROOT/tests/load/TokenScaleApi/bin/Release/net10.0"

app() { # arguments for the app; replaces the calling (sub)shell, so a background call's $! is the app's own pid
    cd "$APP_DIR" && exec env ASPNETCORE_ENVIRONMENT=Production DOTNET_gcServer="$([ "${GC_MODE:-server}" = server ] && echo 1 || echo 0)" dotnet TokenScaleApi.dll \
        --Scale:KeyFile="$CACHE/signing-key.pem" --LayeredAuth:Jwt:Issuer="$ISSUER" --LayeredAuth:Jwt:Audience="$AUDIENCE" \
        --Logging:LogLevel:Default=Warning --Logging:LogLevel:Microsoft.Hosting.Lifetime=Information "$@"
}

# Tokens: minted once per kind, as many as the largest size, and kept while they have two days left (they live seven).
mkdir -p "$CACHE"
CACHE=$(cd "$CACHE" && pwd)
find "$CACHE" -name 'tokens-*.txt' -mmin +7200 -delete
if [ ! -f "$CACHE/signing-key.pem" ]; then rm -f "$CACHE"/tokens-*.txt; fi
MAX=0
for size in $SIZES; do if [ "$size" -gt "$MAX" ]; then MAX=$size; fi; done
for kind in $KINDS; do
    file="$CACHE/tokens-$kind.txt"
    if [ ! -f "$file" ] || [ "$(wc -l <"$file")" -lt "$MAX" ]; then
        log "minting $MAX $kind tokens into $file"
        start=$(date +%s)
        (app --Scale:Mint="$MAX" --Scale:Kind="$kind" --Scale:TokensFile="$file.tmp") >"$WORK/mint.log" 2>&1 || { cat "$WORK/mint.log" >&2; exit 1; }
        mv "$file.tmp" "$file"
        log "minted in $(( $(date +%s) - start ))s"
    fi
done

json() { # file field: a number from the stats answer (0 when absent)
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); v=d
for p in sys.argv[2].split("."): v=v.get(p,0) if isinstance(v,dict) else 0
print(v)' "$1" "$2"
}
rss_bytes() { echo $(( $(awk '/^VmRSS:/ { print $2 }' "/proc/$1/status") * 1024 )); }
stats() { # name [query]: the app's stats (after a full collection), then VmRSS read from /proc
    curl -sf "$BASE/load/stats${2:-}" >"$WORK/$1.json"
    rss_bytes "$APP_PID" >"$WORK/$1.rss"
}
wrk_failed() { # file: a non-2xx answer or a socket error
    grep -qE 'Non-2xx or 3xx responses|Socket errors' "$1"
}

RESULTS="$WORK/results.tsv"
: >"$RESULTS"
failed=0
bound_failed=0
for GC_MODE in $GCS; do
for kind in $KINDS; do
    file="$CACHE/tokens-$kind.txt"
    bytes=$(head -n 1000 "$file" | awk '{ sum += length($0) } END { printf "%.0f", sum / NR }')
    for size in $SIZES; do
        log "$GC_MODE GC, $kind tokens ($bytes bytes), $size distinct: starting the app"
        app --urls http://127.0.0.1:0 --LayeredAuth:Jwt:RequireHttpsMetadata=false >"$WORK/app.log" 2>&1 &
        APP_PID=$!
        for _ in $(seq 1 600); do
            grep -q 'Now listening on' "$WORK/app.log" && break
            kill -0 "$APP_PID" 2>/dev/null || { cat "$WORK/app.log" >&2; exit 1; }
            sleep 0.1
        done
        BASE=$(grep -m1 'Now listening on' "$WORK/app.log" | grep -oE 'http://127\.0\.0\.1:[0-9]+')

        status=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $(head -n 1 "$file")" "$BASE/api/ping")
        if [ "$status" != "200" ]; then log "the first token answered $status, not 200"; cat "$WORK/app.log" >&2; exit 1; fi

        # Warm-up and the baseline: /ping with the same requests (the tokens under X-Load-Token), then one token
        # repeated, so the JIT, the thread pool and the GC have settled before memory is read.
        TOKENS_FILE="$file" TOKENS_COUNT="$size" TOKEN_HEADER=X-Load-Token WRK_THREADS="$THREADS" \
            wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" -s "$ROOT/tests/load/tokens.lua" "$BASE/ping" >"$WORK/ping.txt"
        TOKENS_FILE="$file" TOKENS_COUNT=1 WRK_THREADS=1 wrk -t1 -c8 -d3s -s "$ROOT/tests/load/tokens.lua" "$BASE/api/ping" >"$WORK/one.txt"
        stats before

        # Every token at least once: runs of DURATION, each starting where the last one stopped.
        sent=0
        : >"$WORK/rates.txt"
        for run in $(seq 1 60); do
            TOKENS_FILE="$file" TOKENS_COUNT="$size" TOKENS_START=$((sent % size)) WRK_THREADS="$THREADS" \
                wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" -s "$ROOT/tests/load/tokens.lua" "$BASE/api/ping" >"$WORK/tokens-$run.txt"
            if wrk_failed "$WORK/tokens-$run.txt"; then
                log "$kind $size, run $run: $(grep -E 'Non-2xx|Socket errors' "$WORK/tokens-$run.txt" | tr '\n' ' ')"; failed=1
            fi
            awk '/^Requests\/sec:/ { print $2 }' "$WORK/tokens-$run.txt" >>"$WORK/rates.txt"
            sent=$(( sent + $(awk '/requests in/ { print $1 }' "$WORK/tokens-$run.txt") ))
            if [ "$sent" -ge "$size" ]; then break; fi
        done
        stats after
        stats released '?aggressive=true'
        kill "$APP_PID"; wait "$APP_PID" 2>/dev/null || true; APP_PID=""
        for f in ping one; do
            if wrk_failed "$WORK/$f.txt"; then log "$kind $size, $f: $(grep -E 'Non-2xx|Socket errors' "$WORK/$f.txt" | tr '\n' ' ')"; failed=1; fi
        done

        ping=$(awk '/^Requests\/sec:/ { print $2 }' "$WORK/ping.txt")
        rate=$(awk '{ sum += $1 } END { print sum / NR }' "$WORK/rates.txt")
        runs=$(wc -l <"$WORK/rates.txt")
        rss0=$(cat "$WORK/before.rss"); rss1=$(cat "$WORK/after.rss"); rss2=$(cat "$WORK/released.rss")
        heap0=$(json "$WORK/before.json" heapBytes); heap1=$(json "$WORK/after.json" heapBytes)
        gc0=$(json "$WORK/before.json" gcCommittedBytes); gc1=$(json "$WORK/after.json" gcCommittedBytes)
        peak=$(json "$WORK/after.json" peakRssBytes)
        misses=$(( $(json "$WORK/after.json" cacheLookups.miss) - $(json "$WORK/before.json" cacheLookups.miss) ))
        hits=$(( $(json "$WORK/after.json" cacheLookups.hit) - $(json "$WORK/before.json" cacheLookups.hit) ))
        valid=$(( $(json "$WORK/after.json" outcomes.valid) + $(json "$WORK/after.json" outcomes.valid_cached) \
            - $(json "$WORK/before.json" outcomes.valid) - $(json "$WORK/before.json" outcomes.valid_cached) ))
        verdict=pass
        if [ $((rss1 - rss0)) -ge "$BOUND" ] || [ $((heap1 - heap0)) -ge "$BOUND" ]; then
            verdict=FAIL; bound_failed=1
        fi
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$kind" "$size" "$bytes" "$sent" "$runs" "$ping" "$rate" \
            "$rss0" "$rss1" "$peak" "$heap0" "$heap1" "$misses" "$hits" "$GC_MODE" "$gc0" "$gc1" "$rss2" >>"$RESULTS"
        log "$GC_MODE GC, $kind $size: sent $sent in $runs run(s), $valid valid, $misses misses, $hits hits; RSS $((rss0 / 1048576)) -> $((rss1 / 1048576)) MiB (peak $((peak / 1048576)), $((rss2 / 1048576)) after an aggressive collection), GC committed $((gc0 / 1048576)) -> $((gc1 / 1048576)) MiB, heap $((heap0 / 1048576)) -> $((heap1 / 1048576)) MiB: $verdict"
        if [ "$valid" -lt "$sent" ]; then
            log "$kind $size: $sent answers but only $valid valid outcomes"; failed=1
        fi
    done
done
done

{
echo
echo "wrk -t$THREADS -c$CONNECTIONS, runs of $DURATION, loopback, $(nproc) CPUs shared by wrk and the app, Release; the layered JWT scheme with its default cache settings (TokenCacheSize 10,000, TokenCacheSizeLimitBytes 4 MiB, admission by frequency), RS256 tokens against the app's JWKS, policy scope orders:read"
echo
echo "| GC | tokens | bytes each | distinct tokens | requests sent | /ping requests/s | /api/ping requests/s (each token in turn) | vs /ping | cache misses / hits | heap growth (MiB) | GC committed growth (MiB) | RSS before (MiB) | RSS growth (MiB) | peak RSS growth (MiB) | RSS growth after an aggressive collection (MiB) | under 64 MiB |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
awk -F'\t' '{
    printf "| %s | %s | %s | %d | %d | %.0f | %.0f | %.2f | %d / %d | %.1f | %.1f | %.0f | %.1f | %.1f | %.1f | %s |\n", $15, $1, $3, $2, $4, $6, $7, $7 / $6, $13, $14,
        ($12 - $11) / 1048576, ($17 - $16) / 1048576, $8 / 1048576, ($9 - $8) / 1048576, ($10 - $8) / 1048576, ($18 - $8) / 1048576,
        (($9 - $8) < 67108864 && ($12 - $11) < 67108864 ? "yes" : "**no**")
}' "$RESULTS"
} | tee "$WORK/table.md"

if [ "$DOCS" = "1" ] && [ "$failed" -eq 0 ]; then
    DOC="$ROOT/docs/performance.md"
    SVG="$ROOT/docs/performance-tokens.svg"
    # RSS growth against the number of distinct tokens (log scale), one line per kind (colour) and GC (dashed for
    # workstation), the 64 MiB bound in red.
    awk -F'\t' '
        BEGIN { left = 70; width = 420; top = 30; height = 220; ceiling = 80 }
        { line[NR] = $15 " " $1; kind[NR] = $1; gc[NR] = $15; size[NR] = $2; growth[NR] = ($9 - $8) / 1048576; n = NR
          if (lo == "" || $2 + 0 < lo) lo = $2 + 0; if ($2 + 0 > hi) hi = $2 + 0; if (growth[NR] + 20 > ceiling) ceiling = growth[NR] + 20 }
        function x(s) { return left + (hi > lo ? (log(s) - log(lo)) / (log(hi) - log(lo)) : 0.5) * width }
        function y(g) { return top + height - (g < 0 ? 0 : g) / ceiling * height }
        END {
            step = ceiling > 160 ? 64 : 16
            printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"12\">\n", left + width + 230, top + height + 50
            printf "<text x=\"10\" y=\"18\" font-size=\"14\">Resident memory growth (MiB) against distinct valid JWTs (tests/load/scale-tokens.sh)</text>\n"
            for (g = 0; g <= ceiling; g += step) {
                printf "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ccc\" stroke-dasharray=\"2,2\"/>\n", left, y(g), left + width, y(g)
                printf "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%d</text>\n", left - 6, y(g) + 4, g
            }
            printf "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#b33\" stroke-width=\"1.5\"/>\n", left, y(64), left + width, y(64)
            printf "<text x=\"%d\" y=\"%.1f\" fill=\"#b33\">bound 64 MiB</text>\n", left + 6, y(64) - 5
            colour["small"] = "#3b6ea5"; colour["large"] = "#d08020"
            label["small"] = "0.7 KB tokens"; label["large"] = "15 KB tokens"
            for (i = 1; i <= n; i++) {
                k = line[i]; c = colour[kind[i]]; style[k] = (gc[i] == "server" ? "" : " stroke-dasharray=\"6,3\""); stroke[k] = c
                name[k] = label[kind[i]] ", " gc[i] " GC"
                path[k] = path[k] (path[k] == "" ? "M" : " L") sprintf("%.1f %.1f", x(size[i]), y(growth[i]))
                printf "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"/>\n", x(size[i]), y(growth[i]), c
                printf "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"%s\">%.0f</text>\n", x(size[i]) + 14, y(growth[i]) - 6, c, growth[i]
                if (!(size[i] in seen)) { seen[size[i]] = 1; printf "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n", x(size[i]), top + height + 18, size[i] }
            }
            row = 0
            for (i = 1; i <= n; i++) {
                k = line[i]
                if (k in drawn) continue
                drawn[k] = 1
                printf "<path d=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s/>\n", path[k], stroke[k], style[k]
                printf "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"2\"%s/>\n", left + width + 6, top + 26 + 16 * row, left + width + 26, top + 26 + 16 * row, stroke[k], style[k]
                printf "<text x=\"%d\" y=\"%d\">%s</text>\n", left + width + 30, top + 30 + 16 * row++, name[k]
            }
            printf "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">distinct valid tokens (log scale)</text>\n", left + width / 2, top + height + 38
            print "</svg>"
        }' "$RESULTS" >"$SVG"
    {
        echo "<!-- load-tokens:begin (written by tests/load/scale-tokens.sh; do not edit by hand) -->"
        echo
        echo "Command: \`$(env | grep -E '^LOAD_[A-Z_]+=' | sort | sed -E 's/^([^=]+)=(.* .*)$/\1="\2"/' | tr '\n' ' ')tests/load/scale-tokens.sh\`, $(date -u '+%Y-%m-%d %H:%M UTC')."
        echo "Machine: $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null), $(nproc) CPUs, $(uname -sr), load average after the run $(cut -d' ' -f1-3 /proc/loadavg)."
        cat "$WORK/table.md"
        echo
        echo "![RSS growth against distinct tokens](performance-tokens.svg)"
        echo
        echo "<!-- load-tokens:end -->"
    } >"$WORK/section.md"
    if grep -q '<!-- load-tokens:begin' "$DOC"; then
        awk -v section="$WORK/section.md" '
            /<!-- load-tokens:begin/ { while ((getline line < section) > 0) print line; skip = 1; next }
            /<!-- load-tokens:end -->/ { skip = 0; next }
            !skip { print }' "$DOC" >"$WORK/doc.md"
    else
        # After the unit-test table of the token-cache section, before the next section.
        awk -v section="$WORK/section.md" '
            /^## The JWT token cache: memory against distinct tokens/ { inside = 1 }
            inside && /^## / && !/^## The JWT token cache/ { while ((getline line < section) > 0) print line; print ""; inside = 0 }
            { print }' "$DOC" >"$WORK/doc.md"
    fi
    cp "$WORK/doc.md" "$DOC"
    log "wrote $DOC and $SVG"
fi

if [ "$failed" -ne 0 ]; then
    log "FAILED: an answer was not 200 or a socket error occurred; the numbers above are not valid"
    exit 1
fi
if [ "$bound_failed" -ne 0 ]; then
    log "FAILED: resident memory or heap grew by 64 MiB or more (the rows marked no)"
    exit 1
fi

#!/usr/bin/env bash
# The API-key cold path: Argon2id verifications per second on one core at the default parameters (m=19456 KiB, t=2,
# p=1), ours (Konscious, through the verifier: store lookup and Argon2id, BenchmarkDotNet's ApiKeyVerification Cold
# benchmark) against Debian's argon2 command (the reference C implementation) computing the same parameters, the native
# runs taken before and after ours so both see the same machine. Prints one markdown table.
#
#   tests/load/cold-path.sh            (LOAD_NATIVE_RUNS=20 native hashes on each side)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
RUNS=${LOAD_NATIVE_RUNS:-20}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/authpatterns-cold.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

if ! command -v argon2 >/dev/null 2>&1; then
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    $SUDO apt-get install -y -qq argon2 >/dev/null
fi

# Wall-clock time on both sides, as BenchmarkDotNet measures ours: the CLI's own "seconds" line is CPU time (clock()),
# which a busy machine does not inflate, so it cannot be set against our wall-clock mean. -r prints the raw hash and
# stops (without it the CLI verifies the hash again after timing it); the process start, a millisecond or two, is
# counted against the reference.
native() {
    local i password salt started ended
    for i in $(seq 1 "$RUNS"); do
        password=$(head -c 32 /dev/urandom | base64 | tr -d '\n')
        salt="salt$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
        started=$(date +%s%N)
        printf '%s' "$password" | argon2 "$salt" -id -t 2 -k 19456 -p 1 -l 32 -r >/dev/null
        ended=$(date +%s%N)
        awk -v ns="$((ended - started))" 'BEGIN { printf "%.6f\n", ns / 1e9 }'
    done
}

native >"$WORK/native.txt"
( cd "$ROOT" && dotnet run -c Release --project tests/AuthPatterns.Benchmarks -- --filter '*ApiKeyVerificationBenchmarks.Cold*' --exporters markdown ) >"$WORK/bench.txt" 2>&1 \
    || { cat "$WORK/bench.txt" >&2; exit 1; }
native >>"$WORK/native.txt"

# BenchmarkDotNet's summary row (wall clock): | 'cold path (...)' | 54.12 ms | ... (only the table's row: the notes below
# it name the benchmark too, e.g. "-> 1 outlier was removed (319.55 ms)")
ours_ms=$(awk -F'|' '/^\| *.cold path/ && $3 ~ /[0-9]/ { v = $3; gsub(/[ ,]/, "", v); if (v ~ /ms$/) { sub(/ms$/, "", v); print v } else if (v ~ /us$/) { sub(/us$/, "", v); print v / 1000 } else { sub(/s$/, "", v); print v * 1000 } }' "$WORK/bench.txt" | tail -1)
if [ -z "$ours_ms" ] || [ "$(awk -v m="$ours_ms" 'BEGIN { print (m > 0) }')" != "1" ]; then
    echo "the benchmark gave no figure (NA): see its output below" >&2; cat "$WORK/bench.txt" >&2; exit 1
fi
native_ms=$(sort -g "$WORK/native.txt" | awk '{ v[NR] = $1 * 1000 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }')
echo "| Argon2id m=19456 KiB, t=2, p=1, one core | ms per verification | verifications/s |"
echo "|---|---:|---:|"
printf '| ours (Konscious, the verifier'"'"'s cold path, BenchmarkDotNet mean) | %.1f | %.1f |\n' "$ours_ms" "$(awk -v m="$ours_ms" 'BEGIN { print 1000 / m }')"
printf '| argon2 command (reference C implementation, wall clock, median of %d) | %.1f | %.1f |\n' "$((2 * RUNS))" "$native_ms" "$(awk -v m="$native_ms" 'BEGIN { print 1000 / m }')"
printf '| ratio (ours / reference, verifications/s) | | %.2f |\n' "$(awk -v o="$ours_ms" -v n="$native_ms" 'BEGIN { print n / o }')"
echo
echo "load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)"

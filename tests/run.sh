#!/usr/bin/env bash
# Runs every test on a fresh machine: starts the services the tests need (PostgreSQL, Redis, Node peers) on
# loopback, installs Chromium, nginx and Caddy when missing, builds with warnings as errors, checks formatting, runs
# the unit, integration and end-to-end tests.
set -euo pipefail
cd "$(dirname "$0")/.."
source tests/services.sh

start_postgres
start_redis
ensure_browser_and_proxies
for peers in tests/peers/*/; do [ -d "$peers" ] && install_node_peers "$peers"; done

dotnet restore AuthPatterns.sln
dotnet build AuthPatterns.sln --no-restore -c Release -warnaserror
dotnet format AuthPatterns.sln --no-restore --verify-no-changes
# The sample's development key store (a SQLite file next to each test assembly) starts empty, as on a fresh clone: a
# file left by an earlier version of the library holds the earlier table shape, which the sample refuses at startup.
find tests -path '*/bin/*' -name 'authpatterns-keys.db*' -delete
results="$STATE_DIR/test-output.log"
status=0
dotnet test AuthPatterns.sln --no-build -c Release --logger "console;verbosity=normal" -- RunConfiguration.TreatNoTestsAsError=true \
  | tee "$results" || status=$?
# One closing line for every test project together.
passed=$(awk '/^ +Passed: [0-9]+$/ { n += $2 } END { print n + 0 }' "$results")
failed=$(awk '/^ +Failed: [0-9]+$/ { n += $2 } END { print n + 0 }' "$results")
echo "tests: $passed passed, $failed failed"
exit "$status"

#!/usr/bin/env bash
# Runs every test on a fresh machine: starts the services the tests need (PostgreSQL, Redis, Node peers) on
# loopback, builds with warnings as errors, checks formatting, runs the unit and integration tests.
set -euo pipefail
cd "$(dirname "$0")/.."
source tests/services.sh

start_postgres
start_redis
for peers in tests/peers/*/; do [ -d "$peers" ] && install_node_peers "$peers"; done

dotnet restore AuthPatterns.sln
dotnet build AuthPatterns.sln --no-restore -c Release -warnaserror
dotnet format AuthPatterns.sln --no-restore --verify-no-changes
dotnet test AuthPatterns.sln --no-build -c Release --logger "console;verbosity=normal" -- RunConfiguration.TreatNoTestsAsError=true

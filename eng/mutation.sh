#!/usr/bin/env bash
# Mutation testing of src/AuthPatterns against the unit tests (Stryker.NET), opt-in: it is not part of tests/run.sh.
# Settings, including the kill-rate threshold that fails the run (thresholds.break), are in stryker-config.json.
#
#   eng/mutation.sh                                            # the whole package (hours on a small machine)
#   eng/mutation.sh --mutate "**/Jwt/JwtAuthenticationOptions.cs"  # only the files named (repeat --mutate)
#   ... --test-case-filter "FullyQualifiedName~AuthPatterns.Tests.Jwt"  # and only these tests (dotnet test --filter syntax)
#
# Any other Stryker option can be added; the report is written under StrykerOutput/ in the test project.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet tool restore
cd tests/AuthPatterns.Tests
exec dotnet stryker --config-file ../../stryker-config.json "$@"

#!/usr/bin/env bash
# Adds every public symbol the analyzer reports as undeclared (RS0016) to the project's PublicAPI.Unshipped.txt and
# drops lines for symbols that no longer exist (RS0017). Usage: eng/update-public-api.sh src/AuthPatterns
set -euo pipefail
project_dir=${1:?usage: eng/update-public-api.sh <project directory>}
unshipped="$project_dir/PublicAPI.Unshipped.txt"
log=$(mktemp)
dotnet build "$project_dir" --no-incremental -p:TreatWarningsAsErrors=false -p:WarningsAsErrors= 2>&1 > "$log" || true
python3 - "$log" "$unshipped" <<'PY'
import re, sys
log, unshipped = sys.argv[1], sys.argv[2]
text = open(log, encoding="utf-8").read()
added = set(re.findall(r"RS0016: Symbol '(.*?)' is not part of the declared public API", text))
removed = set(re.findall(r"RS0017: Symbol '(.*?)' is part of the declared API, but is either not public or could not be found", text))
lines = [l.rstrip("\n") for l in open(unshipped, encoding="utf-8")]
header = [l for l in lines if l.startswith("#")] or ["#nullable enable"]
body = {l for l in lines if l and not l.startswith("#")}
body = (body | added) - removed
open(unshipped, "w", encoding="utf-8").write("\n".join(header + sorted(body, key=str.lower)) + "\n")
print(f"{unshipped}: +{len(added)} -{len(removed)}")
PY
rm -f "$log"

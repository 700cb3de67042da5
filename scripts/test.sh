#!/usr/bin/env bash
# The project's test command: lint the protos, build everything, run every test project, and print
# the totals as the last line: `N passed, N failed, N skipped`.
#
# Needs only the .NET SDK and Node/npm on the machine; everything else is installed under .build/.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo_root="$(pwd)"

export DOTNET_CLI_TELEMETRY_OPTOUT=1
export DOTNET_NOLOGO=1

BUF_VERSION=1.75.0
COMMON_PROTOS_VERSION=2.17.0
tools_dir="$repo_root/.build/tools"
buf="$tools_dir/node_modules/.bin/buf"
third_party_dir="$repo_root/.build/third_party"
results_dir="$repo_root/.build/test-results"

# --- buf, installed locally from npm -------------------------------------------------------------
if [[ ! -x "$buf" ]]; then
  echo "==> Installing buf $BUF_VERSION into .build/tools"
  mkdir -p "$tools_dir"
  npm install --no-save --prefix "$tools_dir" --no-audit --no-fund --loglevel=error \
    "@bufbuild/buf@$BUF_VERSION" >/dev/null
fi

# --- restore, then stage the google/* protos that buf needs ----------------------------------------
echo "==> dotnet restore"
dotnet restore Hub.sln

# `dotnet nuget locals global-packages --list` prints `global-packages: /path/to/packages/`.
packages_root="$(dotnet nuget locals global-packages --list | sed -n 's/^[[:space:]]*global-packages:[[:space:]]*//p' | head -n 1)"
packages_root="${packages_root%/}"
common_protos="$packages_root/google.api.commonprotos/$COMMON_PROTOS_VERSION/content/protos/google"
if [[ ! -d "$common_protos" ]]; then
  echo "error: $common_protos not found; is Google.Api.CommonProtos $COMMON_PROTOS_VERSION restored?" >&2
  exit 1
fi
rm -rf "$third_party_dir/google"
mkdir -p "$third_party_dir"
cp -R "$common_protos" "$third_party_dir/google"

# --- proto lint ----------------------------------------------------------------------------------
echo "==> buf lint"
if ! "$buf" lint; then
  echo "error: buf lint failed (see the findings above); fix the protos under protos/." >&2
  exit 1
fi

# --- build and test ------------------------------------------------------------------------------
echo "==> dotnet build (Release)"
if ! dotnet build Hub.sln -c Release --no-restore; then
  echo "error: dotnet build failed." >&2
  exit 1
fi

echo "==> dotnet test (Release)"
rm -rf "$results_dir"
mkdir -p "$results_dir"
test_rc=0
dotnet test Hub.sln -c Release --no-build \
  --logger "trx;LogFilePrefix=results" \
  --results-directory "$results_dir" || test_rc=$?

# --- totals from every .trx ----------------------------------------------------------------------
# Prints `total passed failed skipped` summed over the <Counters> element of each trx. Failed adds the
# `failed`, `error`, `timeout` and `aborted` counters. Skipped is `notExecuted`, or `total - executed`
# when that is larger: VSTest marks a skipped xUnit test NotExecuted but leaves the notExecuted counter
# at 0, counting it only in total and not in executed.
sum_counters_python() {
  python3 - "$results_dir" <<'PY'
import pathlib
import sys
import xml.etree.ElementTree as ET

totals = dict(total=0, passed=0, failed=0, skipped=0)
for trx in sorted(pathlib.Path(sys.argv[1]).rglob("*.trx")):
    for element in ET.parse(trx).iter():
        if element.tag.rsplit("}", 1)[-1] != "Counters":
            continue
        count = lambda name: int(element.get(name, "0") or 0)
        totals["total"] += count("total")
        totals["passed"] += count("passed")
        totals["failed"] += count("failed") + count("error") + count("timeout") + count("aborted")
        totals["skipped"] += max(count("notExecuted"), count("total") - count("executed"))
print(totals["total"], totals["passed"], totals["failed"], totals["skipped"])
PY
}

sum_counters_shell() {
  find "$results_dir" -name '*.trx' -exec cat {} + | { grep -o '<Counters [^>]*>' || true; } | awk '
    function count(name,   found) {
      if (!match($0, "[ \t]" name "=\"[0-9]+\"")) return 0
      found = substr($0, RSTART, RLENGTH)
      gsub(/[^0-9]/, "", found)
      return found + 0
    }
    {
      total += count("total"); passed += count("passed")
      not_run = count("total") - count("executed")
      skipped += (count("notExecuted") > not_run ? count("notExecuted") : not_run)
      failed += count("failed") + count("error") + count("timeout") + count("aborted")
    }
    END { print total + 0, passed + 0, failed + 0, skipped + 0 }'
}

if command -v python3 >/dev/null 2>&1; then
  counts="$(sum_counters_python)"
else
  counts="$(sum_counters_shell)"
fi
read -r total passed failed skipped <<<"$counts"

status=0
if [[ "$test_rc" -ne 0 ]]; then
  echo "error: dotnet test exited with $test_rc." >&2
  status=1
fi
if [[ "$failed" -gt 0 ]]; then
  echo "error: $failed test(s) failed; see the trx files in .build/test-results." >&2
  status=1
fi
if [[ "$total" -eq 0 || $((passed + failed)) -eq 0 ]]; then
  echo "error: no tests ran." >&2
  status=1
fi

echo "$passed passed, $failed failed, $skipped skipped"
exit "$status"

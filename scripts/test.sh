#!/usr/bin/env bash
# The project's test command: lint the protos, check them against the last contract release and the API
# reference (docs/contracts.md), build everything, run every test project and the Node test suites, and
# print the totals as the last line: `N passed, N failed, N skipped`.
#
# Needs the .NET SDK, Node/npm and xmllint (Debian package libxml2-utils, for the iWmo tests) on the machine;
# everything else is installed under .build/.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo_root="$(pwd)"

export DOTNET_CLI_TELEMETRY_OPTOUT=1
export DOTNET_NOLOGO=1

# BUF_VERSION, COMMON_PROTOS_VERSION, $buf, $third_party_dir, ensure_buf, stage_third_party_protos.
# shellcheck source=proto-tools.sh
source "$repo_root/scripts/proto-tools.sh"
results_dir="$repo_root/.build/test-results"

# --- buf, installed locally from npm -------------------------------------------------------------
ensure_buf

# --- the independent FHIR validator (Medplum, offline) that the FHIR adapter's tests run, and the FHIR partner ------
# --- (Medplum's FHIR router with its in-memory repository) that the hub's push tests deliver to ---------------------
fhir_validator_dir="$repo_root/tests/fhir-validator"
if [[ ! -d "$fhir_validator_dir/node_modules/@medplum/core" || ! -d "$fhir_validator_dir/node_modules/@medplum/fhir-router" || "$fhir_validator_dir/package-lock.json" -nt "$fhir_validator_dir/node_modules" ]]; then
  echo "==> Installing the FHIR validator's npm packages into tests/fhir-validator"
  npm ci --prefix "$fhir_validator_dir" --no-audit --no-fund --loglevel=error >/dev/null
fi

# --- restore, then stage the google/* protos that buf needs ----------------------------------------
echo "==> dotnet restore"
dotnet restore Hub.sln

stage_third_party_protos

# --- proto lint ----------------------------------------------------------------------------------
echo "==> buf lint"
if ! "$buf" lint; then
  echo "error: buf lint failed (see the findings above); fix the protos under protos/." >&2
  exit 1
fi

# --- contract checks: compatibility with the last release, API reference current (docs/contracts.md) ----
if ! bash scripts/check-contract-compat.sh; then
  echo "error: buf breaking failed (see above and docs/contracts.md)." >&2
  exit 1
fi

echo "==> docs/api.md is current"
api_doc_fresh="$(mktemp)"
bash scripts/gen-api-docs.sh "$api_doc_fresh"
if ! diff -u docs/api.md "$api_doc_fresh" >"$api_doc_fresh.diff" 2>&1; then
  head -n 40 "$api_doc_fresh.diff"
  rm -f "$api_doc_fresh" "$api_doc_fresh.diff"
  echo "error: docs/api.md is out of date with protos/. Run: bash scripts/gen-api-docs.sh   and commit docs/api.md." >&2
  exit 1
fi
rm -f "$api_doc_fresh" "$api_doc_fresh.diff"

# --- build and test ------------------------------------------------------------------------------
echo "==> dotnet build (Release)"
if ! dotnet build Hub.sln -c Release --no-restore; then
  echo "error: dotnet build failed." >&2
  exit 1
fi

# --- the C# SDK as a NuGet package: packs, installs into a project outside the repo, and builds there ----------
if ! bash scripts/check-sdk-package.sh; then
  echo "error: the C# SDK package check failed (see above; run: bash scripts/check-sdk-package.sh --build)." >&2
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

# --- node:test suites (TAP), added to the totals ---------------------------------------------------
# Each runs with the TAP reporter into .build/test-results/NAME.tap; its `# pass`, `# fail`,
# `# cancelled`, `# skipped` and `# todo` summary lines are added to the counts. A suite that ends
# without a summary (it crashed or did not build) counts as one failed test.
node_rc=0
run_node_tests() {
  local name="$1"
  shift
  local tap="$results_dir/$name.tap" rc=0
  echo "==> $name"
  "$@" >"$tap" 2>&1 || rc=$?
  local summary
  summary="$(awk '
    /^# (pass|fail|cancelled|skipped|todo) [0-9]+$/ { n[$2] = $3; seen = 1 }
    END { if (seen) print n["pass"] + 0, n["fail"] + n["cancelled"], n["skipped"] + n["todo"]; else print "none" }' "$tap")"
  local suite_passed=0 suite_failed=1 suite_skipped=0
  if [[ "$summary" != "none" ]]; then
    read -r suite_passed suite_failed suite_skipped <<<"$summary"
  fi
  if [[ "$rc" -ne 0 && "$suite_failed" -eq 0 ]]; then
    suite_failed=1
  fi
  echo "    $name: $suite_passed passed, $suite_failed failed, $suite_skipped skipped ($tap)"
  if [[ "$suite_failed" -gt 0 ]]; then
    { grep -E '^[[:space:]]*not ok ' "$tap" || true; } | head -n 20
    tail -n 40 "$tap"
    echo "error: $name failed (exit code $rc); its full output is in $tap." >&2
    node_rc=1
  fi
  total=$((total + suite_passed + suite_failed + suite_skipped))
  passed=$((passed + suite_passed))
  failed=$((failed + suite_failed))
  skipped=$((skipped + suite_skipped))
}

run_node_tests contract-tooling-tests env BUF="$buf" node --test --test-reporter=tap scripts/tests/

# The TypeScript SDK: install from package-lock.json (npm ci, skipped when node_modules is newer than the
# lock file), generate its code from protos/ and build it, then run its tests, among them scenario S2
# against the hub built above (started as a process by the tests).
# (A subshell, chained with &&: `set -e` does not apply inside the `|| rc=$?` of run_node_tests.)
typescript_sdk_tests() (
  cd "$repo_root/src/Clients/typescript" &&
    if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
      npm ci --no-audit --no-fund --loglevel=error
    fi &&
    npm run --silent build &&
    timeout 900 node --test --test-reporter=tap dist/test/*.test.js
)
run_node_tests typescript-sdk-tests typescript_sdk_tests

status=0
if [[ "$test_rc" -ne 0 ]]; then
  echo "error: dotnet test exited with $test_rc." >&2
  status=1
fi
if [[ "$node_rc" -ne 0 ]]; then
  status=1
fi
if [[ "$failed" -gt 0 ]]; then
  echo "error: $failed test(s) failed; see the trx and tap files in .build/test-results." >&2
  status=1
fi
if [[ "$total" -eq 0 || $((passed + failed)) -eq 0 ]]; then
  echo "error: no tests ran." >&2
  status=1
fi

echo "$passed passed, $failed failed, $skipped skipped"
exit "$status"

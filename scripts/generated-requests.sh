#!/usr/bin/env bash
# Runs the generated-request property of the hub's tests (tests/Ketenhub.Hub.Tests/Robustness): every answer must be
# OK or a coded error from docs/errors.md, never INTERNAL or UNKNOWN, and the hub must keep serving.
#   bash scripts/generated-requests.sh          10,000 requests (as in the test command)
#   bash scripts/generated-requests.sh --long   100,000 requests
# Prints the count of each answer. Needs a Release build (dotnet build Hub.sln -c Release).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
count=10000
if [[ "${1:-}" == "--long" ]]; then
  count=100000
fi
KETENHUB_GENERATED_REQUESTS="$count" dotnet test tests/Ketenhub.Hub.Tests -c Release --no-build \
  --filter "FullyQualifiedName~GeneratedRequestTests.GeneratedMessages_GetOkOrACodedError_AndTheHubKeepsServing" \
  --logger "console;verbosity=detailed"

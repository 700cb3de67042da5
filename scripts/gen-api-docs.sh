#!/usr/bin/env bash
# Regenerates docs/api.md from the comments in protos/. Run it after changing a .proto and commit the
# result; scripts/test.sh fails while docs/api.md is out of date.
#
#   bash scripts/gen-api-docs.sh            writes docs/api.md
#   bash scripts/gen-api-docs.sh OUT.md     writes OUT.md instead (used by the check in scripts/test.sh)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo_root="$(pwd)"
# shellcheck source=proto-tools.sh
source "$repo_root/scripts/proto-tools.sh"

out="${1:-$repo_root/docs/api.md}"
ensure_buf
if [[ ! -d "$third_party_dir/google/type" ]]; then
  stage_third_party_protos
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$buf" build protos -o "$work/image.json"
node "$repo_root/scripts/api-docs/render.mjs" "$work/image.json" >"$work/api.md"
mv "$work/api.md" "$out"

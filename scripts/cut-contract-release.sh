#!/usr/bin/env bash
# Cuts a contract release: writes the buf image of protos/ as it is now to protos/releases/vVERSION.binpb, the
# baseline that scripts/check-contract-compat.sh compares every later change with. See docs/contracts.md,
# "Cutting a release".
#
# Usage: bash scripts/cut-contract-release.sh MAJOR.MINOR.PATCH
#
# Refuses a version that is not newer than the newest release, never overwrites a release, and (when there is
# an earlier release) first checks that the contract is compatible with it.
#
# Environment: BUF (the buf binary; default .build/tools/node_modules/.bin/buf).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo_root="$(pwd)"
# shellcheck source=proto-tools.sh
source "$repo_root/scripts/proto-tools.sh"
buf="${BUF:-$buf}"

version="${1:-}"
if [[ ! "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
  echo "usage: bash scripts/cut-contract-release.sh MAJOR.MINOR.PATCH   (for example 1.1.0)" >&2
  exit 2
fi

releases_dir="$repo_root/protos/releases"
target="$releases_dir/v$version.binpb"
if [[ -e "$target" ]]; then
  echo "error: protos/releases/v$version.binpb exists; a release is never changed. Pick a new version." >&2
  exit 1
fi

newest=""
if [[ -d "$releases_dir" ]]; then
  newest="$(find "$releases_dir" -maxdepth 1 -type f -name 'v*.binpb' -printf '%f\n' |
    { grep -E '^v[0-9]+\.[0-9]+\.[0-9]+\.binpb$' || true; } | sed 's/\.binpb$//' | sort -V | tail -n 1)"
fi
if [[ -n "$newest" && "$(printf '%s\nv%s\n' "$newest" "$version" | sort -V | tail -n 1)" != "v$version" ]]; then
  echo "error: v$version is not newer than the newest release, $newest." >&2
  exit 1
fi

if [[ -z "${BUF:-}" ]]; then
  ensure_buf
fi
if [[ ! -d "$third_party_dir/google/type" ]]; then
  stage_third_party_protos
fi

echo "==> buf lint"
"$buf" lint
if [[ -n "$newest" ]]; then
  BUF="$buf" bash "$repo_root/scripts/check-contract-compat.sh"
fi

mkdir -p "$releases_dir"
# The image holds the ketenhub.* files with their comments, and the google/* files they import, so it is
# complete without .build/third_party.
"$buf" build protos -o "$target"
echo "==> protos/releases/v$version.binpb written:"
"$buf" ls-files "$target" | sed 's/^/    /'
echo "Now add v$version to the table of releases in docs/contracts.md and commit both."

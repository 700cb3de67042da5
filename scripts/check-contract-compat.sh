#!/usr/bin/env bash
# `buf breaking` against the last released contract. Run by scripts/test.sh; see docs/contracts.md.
#
# A contract release is a git tag `contracts/vMAJOR.MINOR.PATCH` on the commit that was released. The
# newest such tag (by version) is the baseline. Every package version directory of the release (for
# example protos/ketenhub/v1) is compared with the same directory now, with the rules of buf.yaml
# (`breaking.use`). A breaking change inside a released package fails. New package versions
# (protos/ketenhub/v2) are new, so nothing in them can break. A released package version directory that
# is gone entirely counts as retired when a newer version of the same package exists, and as a breaking
# change when none does.
#
# On a fresh CI clone without tags, the release tags are fetched from `origin` first. When no release tag
# exists at all, the check says so plainly and is skipped (exit 0); every other problem fails (exit 1).
#
# Environment: BUF (the buf binary; default .build/tools/node_modules/.bin/buf).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo_root="$(pwd)"
# shellcheck source=proto-tools.sh
source "$repo_root/scripts/proto-tools.sh"
buf="${BUF:-$buf}"

tag_pattern='contracts/v[0-9]*'

if ! git -C "$repo_root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  echo "buf breaking: SKIPPED: $repo_root is not a git checkout, so there are no release tags to compare with."
  exit 0
fi

# A CI clone may lack tags (shallow clones and `--no-tags` clones fetch none): fetch the release tags.
if git -C "$repo_root" remote get-url origin >/dev/null 2>&1; then
  echo "==> fetching contract release tags from origin"
  if ! git -C "$repo_root" fetch --quiet --no-recurse-submodules origin '+refs/tags/contracts/*:refs/tags/contracts/*'; then
    echo "error: could not fetch the contract release tags (refs/tags/contracts/*) from origin; buf breaking cannot run." >&2
    exit 1
  fi
fi

release="$(git -C "$repo_root" tag --list "$tag_pattern" --sort=-version:refname | head -n 1)"
if [[ -z "$release" ]]; then
  echo "buf breaking: SKIPPED: no contract has been released yet (no git tag matching '$tag_pattern')."
  echo "              Cut the first release as docs/contracts.md describes; from then on every change is checked against it."
  exit 0
fi

if [[ -z "${BUF:-}" ]]; then
  ensure_buf
fi
if [[ ! -d "$third_party_dir/google/type" ]]; then
  stage_third_party_protos
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The released tree: its protos and buf.yaml, plus the same google/* protos the current tree uses.
mkdir -p "$work/release/.build"
git -C "$repo_root" archive "$release" protos buf.yaml | tar -x -C "$work/release"
cp -R "$third_party_dir" "$work/release/.build/third_party"

# Package version directories, e.g. protos/ketenhub/v1 (also v1beta1, v2alpha).
version_dirs() {
  (cd "$1" && find protos -type d | grep -E '/v[0-9]+((alpha|beta)[0-9]*)?$' | sort)
}

major_of() {
  local name="${1##*/}"
  name="${name#v}"
  echo "${name%%[!0-9]*}"
}

echo "==> buf breaking against $release ($(git -C "$repo_root" rev-parse --short "$release^{commit}"))"
failed=0
checked=0
while IFS= read -r dir; do
  [[ -n "$dir" ]] || continue
  if [[ -d "$repo_root/$dir" ]]; then
    (cd "$work/release" && "$buf" build --path "$dir" -o "$work/release.binpb")
    "$buf" build --path "$dir" -o "$work/current.binpb"
    if "$buf" breaking "$work/current.binpb" --against "$work/release.binpb" --exclude-imports --config "$repo_root/buf.yaml"; then
      echo "    $dir: no breaking changes"
    else
      echo "error: $dir has breaking changes against the released contract $release (listed above; paths are relative to protos/)." >&2
      failed=1
    fi
    checked=$((checked + 1))
    continue
  fi
  # Gone entirely: allowed only when a newer version of the same package replaces it.
  parent="$(dirname "$dir")"
  released_major="$(major_of "$dir")"
  successor=""
  if [[ -d "$repo_root/$parent" ]]; then
    while IFS= read -r candidate; do
      [[ -n "$candidate" ]] || continue
      if [[ "$(dirname "$candidate")" == "$parent" && "$(major_of "$candidate")" -gt "$released_major" ]]; then
        successor="$candidate"
      fi
    done < <(version_dirs "$repo_root")
  fi
  if [[ -n "$successor" ]]; then
    echo "    $dir: retired (removed; $successor replaces it)"
  else
    echo "error: $dir was released in $release and is gone with no newer version of the package; removing a released package is a breaking change." >&2
    failed=1
  fi
done < <(version_dirs "$work/release")

if [[ "$failed" -ne 0 ]]; then
  echo "error: buf breaking failed. A released package must stay compatible: undo the change, or put it in a new package version (e.g. protos/ketenhub/v2, package ketenhub.v2). See docs/contracts.md." >&2
  exit 1
fi
echo "buf breaking: OK ($checked package version(s) compatible with $release)"

#!/usr/bin/env bash
# `buf breaking` against the newest released contract. Run by scripts/test.sh; see docs/contracts.md.
#
# Every contract release is kept in the repository as a buf image of what was released,
# protos/releases/vMAJOR.MINOR.PATCH.binpb (made by scripts/cut-contract-release.sh), so every clone has its
# baseline: no tags, no network. The newest image by version is the baseline. Every package version directory
# it holds (for example protos/ketenhub/v1) is compared with the same directory now, with the rules of
# buf.yaml (`breaking.use`). A breaking change inside a released package fails. New package versions
# (protos/ketenhub/v2) are new, so nothing in them can break. A released package version directory that is
# gone entirely counts as retired when a newer version of the same package exists, and as a breaking change
# when none does.
#
# There is no skip: without a release image in protos/releases/, or with one that cannot be read, the check
# fails (exit 1), so a missing baseline never passes.
#
# Environment: BUF (the buf binary; default .build/tools/node_modules/.bin/buf).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo_root="$(pwd)"
# shellcheck source=proto-tools.sh
source "$repo_root/scripts/proto-tools.sh"
buf="${BUF:-$buf}"

releases_dir="$repo_root/protos/releases"

# The newest release image by version (v1.10.0 after v1.9.0), or nothing.
newest_release() {
  [[ -d "$releases_dir" ]] || return 0
  find "$releases_dir" -maxdepth 1 -type f -name 'v*.binpb' -printf '%f\n' |
    { grep -E '^v[0-9]+\.[0-9]+\.[0-9]+\.binpb$' || true; } |
    sed 's/\.binpb$//' |
    sort -V |
    tail -n 1
}

release="$(newest_release)"
if [[ -z "$release" ]]; then
  echo "error: buf breaking cannot run: protos/releases/ holds no released contract (vMAJOR.MINOR.PATCH.binpb)." >&2
  echo "       Every clone must carry the contract integrators have; cut it as docs/contracts.md describes:" >&2
  echo "       bash scripts/cut-contract-release.sh 1.0.0" >&2
  exit 1
fi
release_file="$releases_dir/$release.binpb"

if [[ -z "${BUF:-}" ]]; then
  ensure_buf
fi
if [[ ! -d "$third_party_dir/google/type" ]]; then
  stage_third_party_protos
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The files of the release (without its imports), e.g. ketenhub/v1/client.proto.
if ! "$buf" ls-files "$release_file" >"$work/release-files"; then
  echo "error: buf cannot read the release image protos/releases/$release.binpb; buf breaking cannot run." >&2
  exit 1
fi

# Package version directories, e.g. protos/ketenhub/v1 (also v1beta1, v2alpha).
version_pattern='/v[0-9]+((alpha|beta)[0-9]*)?$'
current_version_dirs() {
  (cd "$repo_root" && find protos -type d | { grep -E "$version_pattern" || true; } | sort)
}
released_version_dirs() {
  while IFS= read -r file; do
    echo "protos/$(dirname "$file")"
  done <"$work/release-files" | { grep -E "$version_pattern" || true; } | sort -u
}

released_dirs="$(released_version_dirs)"
if [[ -z "$released_dirs" ]]; then
  echo "error: the release image protos/releases/$release.binpb holds no package version directory (such as ketenhub/v1); buf breaking cannot run." >&2
  exit 1
fi

major_of() {
  local name="${1##*/}"
  name="${name#v}"
  echo "${name%%[!0-9]*}"
}

# One-time exceptions, each documented in docs/contracts.md ("Exceptions to the breaking check"): findings that
# are let through against one release only, each given as its buf rule and buf's exact message (a tab between). A
# finding passes only when its rule and message equal a line here and the baseline is that release; every other
# finding fails as before, and once a newer release is the baseline the exception no longer applies.
allowed_findings() {
  case "$1" in
    v1.0.0)
      # v1.0.0 was released without generator options; adding them changes generated Java and Go code, which
      # no integrator could generate without flags before (docs/contracts.md).
      cat <<'ALLOWED'
FILE_SAME_GO_PACKAGE	File option "go_package" changed from "" to "ketenhub.nl/go/ketenhub/v1;ketenhubv1".
FILE_SAME_JAVA_PACKAGE	File option "java_package" changed from "" to "nl.ketenhub.v1".
FILE_SAME_JAVA_MULTIPLE_FILES	File option "java_multiple_files" changed from "false" to "true".
ALLOWED
      ;;
  esac
}

# Runs buf breaking for one package version directory; prints the findings that are not allowed and fails on any.
breaking_against_release() {
  local dir="$1" rc=0
  "$buf" breaking "$work/current.binpb" --against "$work/release.binpb" --exclude-imports --config "$repo_root/buf.yaml" \
    --error-format json >"$work/findings.json" || rc=$?
  if [[ "$rc" -eq 0 ]]; then
    return 0
  fi
  if [[ ! -s "$work/findings.json" ]]; then
    echo "error: buf breaking failed without findings (exit code $rc)." >&2
    return 1
  fi
  allowed_findings "$release" >"$work/allowed.tsv"
  node - "$work/findings.json" "$work/allowed.tsv" "$dir" <<'FILTER'
const fs = require("node:fs");
const [findingsFile, allowedFile, dir] = process.argv.slice(2);
const allowed = new Set(fs.readFileSync(allowedFile, "utf8").split("\n").filter(Boolean));
const findings = fs.readFileSync(findingsFile, "utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line));
const kept = findings.filter((f) => !allowed.has(`${f.type}\t${f.message}`));
for (const f of kept) {
  console.error(`${f.path}:${f.start_line ?? 0}:${f.start_column ?? 0}:${f.message} (${f.type})`);
}
const passed = findings.length - kept.length;
if (passed > 0) {
  console.log(`    ${dir}: ${passed} finding(s) allowed by the documented exceptions for this release (docs/contracts.md)`);
}
process.exit(kept.length === 0 ? 0 : 1);
FILTER
}

echo "==> buf breaking against the released contract $release (protos/releases/$release.binpb)"
failed=0
checked=0
while IFS= read -r dir; do
  [[ -n "$dir" ]] || continue
  if [[ -d "$repo_root/$dir" ]]; then
    "$buf" build "$release_file" --path "${dir#protos/}" -o "$work/release.binpb"
    "$buf" build --path "$dir" -o "$work/current.binpb"
    if breaking_against_release "$dir"; then
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
    done < <(current_version_dirs)
  fi
  if [[ -n "$successor" ]]; then
    echo "    $dir: retired (removed; $successor replaces it)"
  else
    echo "error: $dir was released in $release and is gone with no newer version of the package; removing a released package is a breaking change." >&2
    failed=1
  fi
done <<<"$released_dirs"

if [[ "$failed" -ne 0 ]]; then
  echo "error: buf breaking failed. A released package must stay compatible: undo the change, or put it in a new package version (e.g. protos/ketenhub/v2, package ketenhub.v2). See docs/contracts.md." >&2
  exit 1
fi
echo "buf breaking: OK ($checked package version(s) compatible with $release)"

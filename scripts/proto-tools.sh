# Shared by scripts/test.sh, scripts/gen-api-docs.sh, scripts/check-contract-compat.sh and the TypeScript
# SDK's `npm run generate`: the pinned buf from npm and the google/* protos buf needs, both under .build/.
# Source it with `repo_root` set to the repository root.

BUF_VERSION=1.75.0
COMMON_PROTOS_VERSION=2.17.0
tools_dir="$repo_root/.build/tools"
buf="$tools_dir/node_modules/.bin/buf"
third_party_dir="$repo_root/.build/third_party"

# Installs buf into .build/tools unless the pinned version is already there.
ensure_buf() {
  if [[ -x "$buf" ]] && [[ "$("$buf" --version 2>/dev/null)" == "$BUF_VERSION" ]]; then
    return 0
  fi
  echo "==> Installing buf $BUF_VERSION into .build/tools"
  mkdir -p "$tools_dir"
  npm install --no-save --prefix "$tools_dir" --no-audit --no-fund --loglevel=error \
    "@bufbuild/buf@$BUF_VERSION" >/dev/null
}

# Copies google/type, google/rpc and google/api protos from the Google.Api.CommonProtos NuGet package
# into .build/third_party (the second module of buf.yaml). Restores the contracts project first when the
# package is not in the NuGet cache yet.
stage_third_party_protos() {
  local packages_root common_protos
  # `dotnet nuget locals global-packages --list` prints `global-packages: /path/to/packages/`.
  packages_root="$(dotnet nuget locals global-packages --list | sed -n 's/^[[:space:]]*global-packages:[[:space:]]*//p' | head -n 1)"
  packages_root="${packages_root%/}"
  common_protos="$packages_root/google.api.commonprotos/$COMMON_PROTOS_VERSION/content/protos/google"
  if [[ ! -d "$common_protos" ]]; then
    echo "==> dotnet restore src/Clients/Ketenhub.Contracts (for Google.Api.CommonProtos $COMMON_PROTOS_VERSION)"
    dotnet restore "$repo_root/src/Clients/Ketenhub.Contracts" >/dev/null
  fi
  if [[ ! -d "$common_protos" ]]; then
    echo "error: $common_protos not found; is Google.Api.CommonProtos $COMMON_PROTOS_VERSION restored?" >&2
    return 1
  fi
  rm -rf "$third_party_dir/google"
  mkdir -p "$third_party_dir"
  cp -R "$common_protos" "$third_party_dir/google"
}

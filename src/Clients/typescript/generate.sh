#!/usr/bin/env bash
# Generates src/gen/ (messages and service descriptors, @bufbuild/protoc-gen-es) from the repository's
# protos: ketenhub/* plus the google/type, google/rpc and google/api (field_behavior, field_info, resource) files they
# and the error details use. Needs only Node/npm (buf and the plugin come from npm) and, once, the
# Google.Api.CommonProtos NuGet package for the google/* protos (staged by scripts/proto-tools.sh).
# `npm run build` runs it first; src/gen/ is not committed.
set -euo pipefail

sdk_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$sdk_dir/../../.." && pwd)"
# shellcheck source=../../../scripts/proto-tools.sh
source "$repo_root/scripts/proto-tools.sh"

if [[ ! -x "$sdk_dir/node_modules/.bin/protoc-gen-es" ]]; then
  echo "error: protoc-gen-es is missing; run npm ci in $sdk_dir first." >&2
  exit 1
fi
ensure_buf
if [[ ! -f "$third_party_dir/google/type/date.proto" ]]; then
  stage_third_party_protos
fi

cd "$repo_root"
PATH="$sdk_dir/node_modules/.bin:$PATH" "$buf" generate \
  --template "$sdk_dir/buf.gen.yaml" \
  --path protos/ketenhub \
  --path .build/third_party/google/type/date.proto \
  --path .build/third_party/google/api/field_behavior.proto \
  --path .build/third_party/google/api/field_info.proto \
  --path .build/third_party/google/api/resource.proto \
  --path .build/third_party/google/rpc/status.proto \
  --path .build/third_party/google/rpc/error_details.proto

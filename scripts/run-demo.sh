#!/usr/bin/env bash
# Runs the demo: the hub (Development: embedded SQLite, demo parties) and the web app for coaches and clients,
# together, until Ctrl+C stops both.
#
#   bash scripts/run-demo.sh
#
# The hub listens on http://127.0.0.1:5080 (gRPC) and http://127.0.0.1:5081 (FHIR and iWmo partners), the pages on
# http://127.0.0.1:5090 (sign in at /inloggen). Both run from their project folders, as `dotnet run --project` does, so
# the hub's database lands in src/Hub/Ketenhub.Hub/data/. To move the demo off those ports or that folder, set
# KETENHUB_DEMO_PORTS to four free ports (hub gRPC, partner HTTP, operations, pages; for example "15080 15081 15082
# 15090") and KETENHUB_DEMO_DATA to a folder for the hub's data and the development issuer's key.
# KETENHUB_CONFIGURATION picks the build configuration (default Debug). In production the two run apart
# (docs/operations.md).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
configuration="${KETENHUB_CONFIGURATION:-Debug}"

# KETENHUB_DEMO_NO_BUILD=1 runs what is built already (the tests do, after building the solution).
if [[ "${KETENHUB_DEMO_NO_BUILD:-}" != "1" ]]; then
  echo "==> building the hub and the web app ($configuration)"
  dotnet build src/Hub/Ketenhub.Hub -c "$configuration" --nologo -v quiet
  dotnet build src/Clients/Ketenhub.Web -c "$configuration" --nologo -v quiet
fi

hub_args=()
web_args=()
if [[ -n "${KETENHUB_DEMO_PORTS:-}" ]]; then
  read -r grpc_port partner_port operations_port web_port <<<"$KETENHUB_DEMO_PORTS"
  hub_args+=("--Kestrel:Endpoints:Grpc:Url=http://127.0.0.1:$grpc_port" "--Hub:PartnerHttp:Url=http://127.0.0.1:$partner_port" "--Hub:Operations:Url=http://127.0.0.1:$operations_port")
  web_args+=("--Kestrel:Endpoints:Http:Url=http://127.0.0.1:$web_port" "--Web:HubAddress=http://127.0.0.1:$grpc_port")
fi
if [[ -n "${KETENHUB_DEMO_DATA:-}" ]]; then
  mkdir -p "$KETENHUB_DEMO_DATA"
  hub_args+=("--Storage:DataDirectory=$KETENHUB_DEMO_DATA/hub" "--Identity:DevelopmentIssuer:KeyFile=$KETENHUB_DEMO_DATA/development-issuer-key.pem")
  web_args+=("--Web:Development:KeyFile=$KETENHUB_DEMO_DATA/development-issuer-key.pem")
fi

hub_pid=""
web_pid=""
stop() {
  trap - INT TERM EXIT
  for pid in $web_pid $hub_pid; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

# Each runs from its project folder in Development unless ASPNETCORE_ENVIRONMENT says otherwise (as the launch
# profiles do); exec keeps the PIDs those of the apps themselves, so stopping them stops the apps.
(cd src/Hub/Ketenhub.Hub && KETENHUB_DEFAULT_ENVIRONMENT=Development exec dotnet "bin/$configuration/net10.0/Ketenhub.Hub.dll" "${hub_args[@]}") &
hub_pid=$!
(cd src/Clients/Ketenhub.Web && DOTNET_ENVIRONMENT=Development exec dotnet "bin/$configuration/net10.0/Ketenhub.Web.dll" "${web_args[@]}") &
web_pid=$!

# Announce the pages once the hub is ready (its operations endpoint), so the first page opened finds it; give up waiting
# after a minute (the hub's own output says why) or when curl is not there.
if command -v curl >/dev/null 2>&1; then
  for _ in $(seq 1 120); do
    curl -sf "http://127.0.0.1:${operations_port:-5082}/readyz" >/dev/null 2>&1 && break
    kill -0 "$hub_pid" 2>/dev/null || break
    sleep 0.5
  done
fi

echo "==> the hub: http://127.0.0.1:${grpc_port:-5080} (gRPC); the pages: http://127.0.0.1:${web_port:-5090}/inloggen (Ctrl+C stops both)"

# Whichever stops first (a start-up refusal, say) stops the other.
wait -n "$hub_pid" "$web_pid"

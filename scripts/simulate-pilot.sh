#!/usr/bin/env bash
# Plays the simulated two-year pilot (docs/monitor.md, "A simulated pilot") into a fresh hub, prints what it did and
# the key figures, and keeps that hub serving on 127.0.0.1 with its clock stopped the day after the pilot, so the
# pilot report can be asked for with the command-line tool (the second command, which the simulation prints).
#
#   bash scripts/simulate-pilot.sh [--seed n] [--scale x] [--from yyyy-MM-dd] [--months n] [--no-serve]
#
# The hub's data, the development issuer's key, the report as the hub gave it (pilot-report.json) and a token for
# the monitor role (monitor.token, valid for a day) go to .build/pilot-simulation/, emptied first; set
# KETENHUB_PILOT_DATA to use another folder (it must be empty or absent). The hub listens on port 5080, or
# KETENHUB_PILOT_PORT. KETENHUB_CONFIGURATION picks the build configuration (default Debug). Ctrl+C stops the hub.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
configuration="${KETENHUB_CONFIGURATION:-Debug}"
default_data=".build/pilot-simulation"
data="${KETENHUB_PILOT_DATA:-$default_data}"
port="${KETENHUB_PILOT_PORT:-5080}"

serve=(--serve)
args=()
for arg in "$@"; do
  if [[ "$arg" == "--no-serve" ]]; then serve=(); else args+=("$arg"); fi
done

echo "==> building the simulation ($configuration)"
dotnet build src/Clients/Ketenhub.Simulation -c "$configuration" --nologo -v quiet

# Only the default folder is emptied here; another folder must be empty already (the simulation checks).
if [[ "$data" == "$default_data" ]]; then
  rm -rf "$default_data"
fi

exec dotnet "src/Clients/Ketenhub.Simulation/bin/$configuration/net10.0/Ketenhub.Simulation.dll" --data "$data" --port "$port" "${args[@]}" "${serve[@]}"

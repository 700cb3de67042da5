#!/usr/bin/env bash
# Packs the C# SDK (Ketenhub.Client) and the generated contracts it depends on (Ketenhub.Contracts) into a
# temporary feed, then installs the SDK from that feed into a small console project outside the repository and
# builds it. Checks that the package carries the dll, the XML docs and the README, that it depends on
# Ketenhub.Contracts and its runtime packages (and not on the build-only analyzers), and that code using the SDK
# and the contract types compiles against the package alone.
#
# Needs a Release build of src/Clients/Ketenhub.Client first (scripts/test.sh builds Hub.sln); pass --build to
# build here instead. Usage: bash scripts/check-sdk-package.sh [--build]
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo_root="$(pwd)"
build_flag="--no-build"
if [[ "${1:-}" == "--build" ]]; then
  build_flag=""
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
feed="$work/feed"
packages="$work/packages"
consumer="$work/consumer"
mkdir -p "$feed" "$packages" "$consumer"

fail() {
  echo "error: SDK package: $*" >&2
  exit 1
}

echo "==> dotnet pack Ketenhub.Contracts and Ketenhub.Client into a temporary feed"
for project in src/Clients/Ketenhub.Contracts src/Clients/Ketenhub.Client; do
  # shellcheck disable=SC2086
  dotnet pack "$project" -c Release $build_flag -o "$feed" --nologo -v quiet >"$work/pack.log" 2>&1 || { cat "$work/pack.log"; fail "dotnet pack $project failed."; }
done

version="$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' src/Clients/Ketenhub.Client/Ketenhub.Client.csproj | head -n 1)"
[[ -f "$feed/Ketenhub.Client.$version.nupkg" ]] || fail "Ketenhub.Client.$version.nupkg was not produced."
[[ -f "$feed/Ketenhub.Contracts.$version.nupkg" ]] || fail "Ketenhub.Contracts.$version.nupkg was not produced."

# A consumer outside the repository (no Directory.*.props), restoring Ketenhub.* only from the temporary feed
# into its own package folder; other packages come from the machine's usual sources, or its package cache.
cat >"$consumer/NuGet.config" <<EOF
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <add key="sdk-under-test" value="$feed" />
  </packageSources>
  <packageSourceMapping>
    <packageSource key="sdk-under-test">
      <package pattern="Ketenhub.*" />
    </packageSource>
  </packageSourceMapping>
</configuration>
EOF
global_packages="$(dotnet nuget locals global-packages --list | sed -n 's/^global-packages: *//p')"
cat >"$consumer/Consumer.csproj" <<EOF
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <Nullable>enable</Nullable>
    <ImplicitUsings>enable</ImplicitUsings>
    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
    <NoWarn>NU1603</NoWarn>
    <RestorePackagesPath>$packages</RestorePackagesPath>
    <RestoreAdditionalProjectFallbackFolders>$global_packages</RestoreAdditionalProjectFallbackFolders>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="Ketenhub.Client" Version="$version" />
    <PackageReference Include="Microsoft.Extensions.Hosting" Version="10.0.5" />
  </ItemGroup>
</Project>
EOF
cat >"$consumer/Program.cs" <<'EOF'
using Ketenhub.Client;
using Ketenhub.Contracts.V1;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

var builder = Host.CreateApplicationBuilder(args);
builder.Services.AddKetenhubClient(options =>
{
    options.Address = new Uri("https://hub.example.nl");
    options.TokenProvider = KetenhubTokenProvider.FromDelegate(_ => ValueTask.FromResult("token"));
});
builder.Services.AddKetenhubDeliveryConsumer<Handler>();
var signal = new Signal { Kind = SignalKind.PaymentArrears, LifeDomain = LifeDomain.Finances };
Console.WriteLine(signal.Kind);

internal sealed class Handler : IKetenhubDeliveryHandler
{
    public Task HandleAsync(Delivery delivery, CancellationToken cancellationToken) => Task.CompletedTask;
}
EOF

echo "==> a console project installs Ketenhub.Client $version from the feed and builds"
(cd "$consumer" && dotnet build -c Release --nologo -v quiet >"$work/consumer.log" 2>&1) || { cat "$work/consumer.log"; fail "a project using the package does not build."; }

client_dir="$packages/ketenhub.client/$version"
contracts_dir="$packages/ketenhub.contracts/$version"
for file in "$client_dir/lib/net10.0/Ketenhub.Client.dll" "$client_dir/lib/net10.0/Ketenhub.Client.xml" "$client_dir/README.md" \
  "$contracts_dir/lib/net10.0/Ketenhub.Contracts.dll" "$contracts_dir/lib/net10.0/Ketenhub.Contracts.xml"; do
  [[ -f "$file" ]] || fail "${file#"$packages/"} is missing from the installed packages."
done
grep -q '<member name="T:Ketenhub.Client.KetenhubClient">' "$client_dir/lib/net10.0/Ketenhub.Client.xml" || fail "the XML docs do not document KetenhubClient."

nuspec="$client_dir/ketenhub.client.nuspec"
for dependency in Ketenhub.Contracts Grpc.Net.Client Grpc.StatusProto Microsoft.Extensions.Options Microsoft.Extensions.Hosting.Abstractions; do
  grep -q "<dependency id=\"$dependency\"" "$nuspec" || fail "the package does not depend on $dependency."
done
if grep -q 'PublicApiAnalyzers\|Grpc.Tools' "$nuspec"; then
  fail "the package depends on a build-only package (PublicApiAnalyzers or Grpc.Tools)."
fi
grep -q "<dependency id=\"Google.Protobuf\"" "$contracts_dir/ketenhub.contracts.nuspec" || fail "Ketenhub.Contracts does not depend on Google.Protobuf."
[[ -f "$consumer/bin/Release/net10.0/Ketenhub.Contracts.dll" ]] || fail "the contracts did not travel with the SDK into the consumer's output."

echo "    Ketenhub.Client $version and Ketenhub.Contracts $version: packed, installed and used ($repo_root)"

#!/usr/bin/env bash
# Packs the C# SDK (Ketenhub.Client) and the generated contracts it depends on (Ketenhub.Contracts) into a
# temporary feed, then installs the SDK from that feed into a small console project outside the repository and
# builds it. Checks that the package carries the dll, the XML docs and the README, that it depends on
# Ketenhub.Contracts and its runtime packages (and not on the build-only analyzers), and that code using the SDK
# and the contract types compiles against the package alone.
#
# The consumer restores into a package folder of its own, .build/sdk-package-check/packages (Ketenhub.* are
# removed from it before every run), with NuGet settings of its own: neither the machine's global package folder
# (~/.nuget/packages, NUGET_PACKAGES), which holds Ketenhub.Client after a user followed the install steps in docs/clients.md,
# nor a package source the user added for those steps can supply the package under test.
#
# Needs a Release build of src/Clients/Ketenhub.Client first (scripts/test.sh builds Hub.sln); pass --build to
# build here instead. Usage: bash scripts/check-sdk-package.sh [--build]
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo_root="$(pwd)"
# Without --build the packs use the existing build and its restore, so they need no package folder at all.
build_flags=(--no-build --no-restore)
if [[ "${1:-}" == "--build" ]]; then
  build_flags=()
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
feed="$work/feed"
consumer="$work/consumer"
# Kept between runs so the consumer's other packages (Grpc, Microsoft.Extensions.*) are fetched once.
packages="$repo_root/.build/sdk-package-check/packages"
mkdir -p "$feed" "$packages" "$consumer"
rm -rf "$packages"/ketenhub.*

fail() {
  echo "error: SDK package: $*" >&2
  exit 1
}

echo "==> dotnet pack Ketenhub.Contracts and Ketenhub.Client into a temporary feed"
for project in src/Clients/Ketenhub.Contracts src/Clients/Ketenhub.Client; do
  dotnet pack "$project" -c Release "${build_flags[@]}" -o "$feed" --nologo -v quiet >"$work/pack.log" 2>&1 || { cat "$work/pack.log"; fail "dotnet pack $project failed."; }
done

version="$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' src/Clients/Ketenhub.Client/Ketenhub.Client.csproj | head -n 1)"
[[ -f "$feed/Ketenhub.Client.$version.nupkg" ]] || fail "Ketenhub.Client.$version.nupkg was not produced."
[[ -f "$feed/Ketenhub.Contracts.$version.nupkg" ]] || fail "Ketenhub.Contracts.$version.nupkg was not produced."

# A consumer outside the repository (no Directory.*.props) with NuGet settings of its own: Ketenhub.* only from the
# temporary feed, everything else from the package sources this repository restores from (less any folder that
# holds Ketenhub.* packages, such as the one of the install steps in docs/clients.md), and no fallback folders.
upstream_sources="$(cd "$repo_root" && dotnet nuget list source --format short | sed -n 's/^ *E[A-Za-z]* \{1,\}//p')"
{
  cat <<EOF
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="sdk-under-test" value="$feed" />
EOF
  upstream=0
  while IFS= read -r source; do
    [[ -n "$source" ]] || continue
    if [[ -d "$source" ]] && compgen -G "$source/[Kk]etenhub.*" >/dev/null; then
      continue
    fi
    upstream=$((upstream + 1))
    echo "    <add key=\"upstream-$upstream\" value=\"$source\" />"
  done <<<"$upstream_sources"
  cat <<EOF
  </packageSources>
  <fallbackPackageFolders>
    <clear />
  </fallbackPackageFolders>
  <packageSourceMapping>
    <clear />
    <packageSource key="sdk-under-test">
      <package pattern="Ketenhub.*" />
    </packageSource>
EOF
  for ((i = 1; i <= upstream; i++)); do
    printf '    <packageSource key="upstream-%s">\n      <package pattern="*" />\n    </packageSource>\n' "$i"
  done
  cat <<EOF
  </packageSourceMapping>
</configuration>
EOF
} >"$consumer/NuGet.config"
[[ "$(grep -c '<add key="upstream-' "$consumer/NuGet.config")" -gt 0 ]] ||
  fail "no NuGet package source (dotnet nuget list source) is left for the consumer's other packages."
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
(
  cd "$consumer" &&
    NUGET_PACKAGES="$packages" dotnet restore --configfile NuGet.config --packages "$packages" --nologo -v quiet &&
    NUGET_PACKAGES="$packages" dotnet build -c Release --no-restore --nologo -v quiet
) >"$work/consumer.log" 2>&1 || { cat "$work/consumer.log" "$consumer/NuGet.config"; fail "a project using the package does not build."; }

client_dir="$packages/ketenhub.client/$version"
contracts_dir="$packages/ketenhub.contracts/$version"
for file in "$client_dir/lib/net10.0/Ketenhub.Client.dll" "$client_dir/lib/net10.0/Ketenhub.Client.xml" "$client_dir/README.md" \
  "$contracts_dir/lib/net10.0/Ketenhub.Contracts.dll" "$contracts_dir/lib/net10.0/Ketenhub.Contracts.xml"; do
  [[ -f "$file" ]] || fail "${file#"$packages/"} is missing from the installed packages."
done
# The packages installed are the ones just packed, not copies of the same version from anywhere else.
for package in Ketenhub.Client Ketenhub.Contracts; do
  lower="$(echo "$package" | tr '[:upper:]' '[:lower:]')"
  cmp -s "$feed/$package.$version.nupkg" "$packages/$lower/$version/$lower.$version.nupkg" ||
    fail "the installed $package $version is not the package just packed (another source or package folder supplied it)."
done
grep -q '<member name="T:Ketenhub.Client.KetenhubClient">' "$client_dir/lib/net10.0/Ketenhub.Client.xml" || fail "the XML docs do not document KetenhubClient."

nuspec="$client_dir/ketenhub.client.nuspec"
for dependency in Ketenhub.Contracts Grpc.Net.Client Grpc.StatusProto Microsoft.Extensions.Options Microsoft.Extensions.Hosting.Abstractions; do
  grep -q "<dependency id=\"$dependency\"" "$nuspec" || fail "the package does not depend on $dependency."
done
if grep -q 'PublicApiAnalyzers\|BannedApiAnalyzers\|Grpc.Tools' "$nuspec"; then
  fail "the package depends on a build-only package (PublicApiAnalyzers, BannedApiAnalyzers or Grpc.Tools)."
fi
grep -q "<dependency id=\"Google.Protobuf\"" "$contracts_dir/ketenhub.contracts.nuspec" || fail "Ketenhub.Contracts does not depend on Google.Protobuf."
[[ -f "$consumer/bin/Release/net10.0/Ketenhub.Contracts.dll" ]] || fail "the contracts did not travel with the SDK into the consumer's output."

echo "    Ketenhub.Client $version and Ketenhub.Contracts $version: packed, installed and used ($repo_root)"

#!/usr/bin/env bash
# The user's whole path, from packages: packs every src package (`make pack`), then builds the Shipping worker
# (samples/Worker) and its tests (samples/Worker.Tests) the way a user's repository would, outside this one, with
# PackageReference to the packed Goflux.* packages from a local feed and nothing of this repository's build settings.
# Runs the worker's tests (on the engine and on a real nats-server, provisioned as `make test` does), and publishes the worker to check
# that production carries production code only (no in-memory engine, no testing package). `make check-packages`.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
bash scripts/pack.sh >/dev/null
GOFLUX_NATS_SERVER="${GOFLUX_NATS_SERVER:-$(bash scripts/provision-nats.sh)}"
export GOFLUX_NATS_SERVER
feed="$repo_root/artifacts/packages"
version="$(sed -nE 's:.*<VersionPrefix>([^<]+)</VersionPrefix>.*:\1:p' src/Directory.Build.props)"
[[ -n "$version" ]] || { echo "check-packages: no VersionPrefix in src/Directory.Build.props" >&2; exit 1; }

# The version every other package has in this repository, so the consumer builds against what the tests here use.
pin() { sed -nE "s:.*<PackageVersion Include=\"$1\" Version=\"([^\"]+)\".*:\1:p" Directory.Packages.props; }

# Freshly packed bits, not an earlier pack of the same version from the machine's package cache.
packages_cache="${NUGET_PACKAGES:-$HOME/.nuget/packages}"
rm -rf "$packages_cache"/goflux.*

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/Worker" "$work/Worker.Tests"
cp samples/Worker/*.cs "$work/Worker/"
cp samples/Worker.Tests/*.cs "$work/Worker.Tests/"
cat >"$work/nuget.config" <<EOF
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <add key="goflux-local" value="$feed" />
  </packageSources>
</configuration>
EOF
cat >"$work/Directory.Build.props" <<EOF
<Project>
  <PropertyGroup>
    <TargetFramework>net10.0</TargetFramework>
    <Nullable>enable</Nullable>
    <ImplicitUsings>enable</ImplicitUsings>
  </PropertyGroup>
</Project>
EOF
cat >"$work/Worker/Shipping.csproj" <<EOF
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <RootNamespace>Shipping</RootNamespace>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="Goflux.Hosting" Version="$version" />
    <PackageReference Include="Microsoft.Extensions.Hosting" Version="$(pin Microsoft.Extensions.Hosting)" />
  </ItemGroup>
</Project>
EOF
cat >"$work/Worker.Tests/Shipping.Tests.csproj" <<EOF
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <RootNamespace>Shipping.Tests</RootNamespace>
    <IsTestingPlatformApplication>false</IsTestingPlatformApplication>
  </PropertyGroup>
  <ItemGroup>
    <ProjectReference Include="../Worker/Shipping.csproj" />
    <PackageReference Include="Goflux.Testing" Version="$version" />
    <PackageReference Include="Goflux.Testing.Xunit" Version="$version" />
    <PackageReference Include="Goflux.Testing.FluentAssertions" Version="$version" />
    <PackageReference Include="xunit.v3" Version="$(pin xunit.v3)" />
    <PackageReference Include="xunit.runner.visualstudio" Version="$(pin xunit.runner.visualstudio)" />
    <PackageReference Include="Microsoft.NET.Test.Sdk" Version="$(pin Microsoft.NET.Test.Sdk)" />
    <PackageReference Include="FluentAssertions" Version="$(pin FluentAssertions)" />
  </ItemGroup>
</Project>
EOF

echo "check-packages: Goflux.* $version from $feed, the Shipping worker and its tests built outside the repository"
dotnet test "$work/Worker.Tests" -c Release --nologo -v quiet

dotnet publish "$work/Worker" -c Release -o "$work/publish" --nologo -v quiet
bash scripts/check-publish.sh --check "$work/publish"

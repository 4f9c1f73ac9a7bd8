#!/usr/bin/env bash
# Builds every package under src/ (what `make pack` runs) into artifacts/packages, then lists each package with what it
# carries: its version, README, symbols package (.snupkg), licence, repository URL and dependencies.
# The version comes from src/Directory.Build.props (VersionPrefix). The repository URL is set only when the package is
# published from the real repository: GOFLUX_REPOSITORY_URL=https://github.com/<owner>/<repo> make pack.
# Exits non-zero when a package lacks a README, symbols or a licence, when Goflux.Hosting depends on the in-memory
# engine or a testing package (production carries production code only), or when Goflux.Testing depends on an assertion
# library.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
out="artifacts/packages"
configuration="${CONFIGURATION:-Release}"

rm -rf "$out"
mkdir -p "$out"
pack_args=()
if [[ -n "${GOFLUX_REPOSITORY_URL:-}" ]]; then
    pack_args+=("-p:GofluxRepositoryUrl=$GOFLUX_REPOSITORY_URL")
fi
for project in src/*/*.csproj; do
    dotnet pack "$project" -c "$configuration" -o "$out" --nologo -v quiet "${pack_args[@]}"
done

status=0
echo
for package in "$out"/*.nupkg; do
    [[ "$package" == *.snupkg ]] && continue
    name="$(basename "$package" .nupkg)"
    nuspec="$(unzip -p "$package" '*.nuspec')"
    id="$(sed -nE 's:.*<id>([^<]+)</id>.*:\1:p' <<<"$nuspec")"
    version="$(sed -nE 's:.*<version>([^<]+)</version>.*:\1:p' <<<"$nuspec")"
    readme="$(sed -nE 's:.*<readme>([^<]+)</readme>.*:\1:p' <<<"$nuspec")"
    license="$(sed -nE 's:.*<license type="expression">([^<]+)</license>.*:\1:p' <<<"$nuspec")"
    repository="$(sed -nE 's:.*<repository type="git" url="([^"]+)".*:\1:p' <<<"$nuspec")"
    tags="$(sed -nE 's:.*<tags>([^<]+)</tags>.*:\1:p' <<<"$nuspec")"
    dependencies="$(grep -oE '<dependency id="[^"]+" version="[^"]+"' <<<"$nuspec" | sed -E 's/<dependency id="([^"]+)" version="([^"]+)"/\1 \2/' | sort -u | paste -sd, - | sed 's/,/, /g')"
    symbols="$out/$name.snupkg"

    echo "$name.nupkg"
    echo "  version:      ${version:-MISSING}"
    if [[ -n "$readme" ]] && unzip -l "$package" "$readme" >/dev/null 2>&1; then
        echo "  readme:       $readme"
    else
        echo "  readme:       MISSING"
        status=1
    fi
    if [[ -f "$symbols" ]] && unzip -l "$symbols" '*.pdb' >/dev/null 2>&1; then
        echo "  symbols:      $(basename "$symbols")"
    else
        echo "  symbols:      MISSING"
        status=1
    fi
    echo "  licence:      ${license:-MISSING}"
    echo "  repository:   ${repository:-none (set GOFLUX_REPOSITORY_URL when publishing from the real repository)}"
    echo "  tags:         ${tags:-none}"
    echo "  dependencies: ${dependencies:-none}"
    [[ -n "$license" && -n "$version" ]] || status=1
    if [[ "$id" == "Goflux.Hosting" ]] && grep -qE 'Goflux\.InMemory|TimeProvider\.Testing|Goflux\.Testing' <<<"$dependencies"; then
        echo "  ERROR:        Goflux.Hosting must not depend on the in-memory engine or a testing package"
        status=1
    fi
    if [[ "$id" == "Goflux.Testing" ]] && grep -qE 'FluentAssertions|Shouldly' <<<"$dependencies"; then
        echo "  ERROR:        Goflux.Testing must not depend on an assertion library (assertions ship as Goflux.Testing.FluentAssertions)"
        status=1
    fi
done

exit "$status"

#!/usr/bin/env bash
# Builds every package under src/ (what `make pack` runs) into artifacts/packages, then lists each package with what it
# carries: its README, its symbols package (.snupkg), its licence, repository URL and dependencies.
# Exits non-zero when a package lacks a README or symbols.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
out="artifacts/packages"
configuration="${CONFIGURATION:-Release}"

rm -rf "$out"
mkdir -p "$out"
for project in src/*/*.csproj; do
    dotnet pack "$project" -c "$configuration" -o "$out" --nologo -v quiet
done

status=0
echo
for package in "$out"/*.nupkg; do
    [[ "$package" == *.snupkg ]] && continue
    name="$(basename "$package" .nupkg)"
    nuspec="$(unzip -p "$package" '*.nuspec')"
    readme="$(sed -nE 's:.*<readme>([^<]+)</readme>.*:\1:p' <<<"$nuspec")"
    license="$(sed -nE 's:.*<license type="expression">([^<]+)</license>.*:\1:p' <<<"$nuspec")"
    repository="$(sed -nE 's:.*<repository type="git" url="([^"]+)".*:\1:p' <<<"$nuspec")"
    tags="$(sed -nE 's:.*<tags>([^<]+)</tags>.*:\1:p' <<<"$nuspec")"
    dependencies="$(grep -oE '<dependency id="[^"]+" version="[^"]+"' <<<"$nuspec" | sed -E 's/<dependency id="([^"]+)" version="([^"]+)"/\1 \2/' | sort -u | paste -sd, - | sed 's/,/, /g')"
    symbols="$out/$name.snupkg"

    echo "$name.nupkg"
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
    echo "  repository:   ${repository:-MISSING}"
    echo "  tags:         ${tags:-none}"
    echo "  dependencies: ${dependencies:-none}"
    [[ -n "$license" && -n "$repository" ]] || status=1
done

exit "$status"

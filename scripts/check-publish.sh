#!/usr/bin/env bash
# Production carries production code only: publishes the Shipping worker (samples/Worker, a JetStream service built on
# Goflux.Hosting) and fails when its output contains the in-memory engine or a testing package. `make check-publish`.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
out="artifacts/publish/worker"
rm -rf "$out"
dotnet publish samples/Worker -c "${CONFIGURATION:-Release}" -o "$out" --nologo -v quiet

status=0
for expected in Goflux.Hosting.dll Goflux.JetStream.dll Goflux.Abstractions.dll; do
    if [[ ! -f "$out/$expected" ]]; then
        echo "check-publish: $expected is missing from $out: the check would prove nothing" >&2
        status=1
    fi
done
for forbidden in Goflux.InMemory.dll Microsoft.Extensions.TimeProvider.Testing.dll Goflux.Testing.dll FluentAssertions.dll; do
    if [[ -f "$out/$forbidden" ]]; then
        echo "check-publish: $forbidden is in the published worker ($out); production must carry production code only" >&2
        status=1
    fi
done
if (( status == 0 )); then
    echo "check-publish: samples/Worker published to $out with $(find "$out" -name '*.dll' | wc -l) assemblies; no Goflux.InMemory.dll, no Microsoft.Extensions.TimeProvider.Testing.dll"
fi
exit "$status"

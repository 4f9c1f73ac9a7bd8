#!/usr/bin/env bash
# Production carries production code only: publishes the Shipping worker (samples/Worker, a JetStream service built on
# Goflux.Hosting) and fails when its output contains the in-memory engine or a testing package. `make check-publish`;
# `check-publish.sh --check DIR` checks an output published elsewhere (scripts/check-packages.sh).
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

# check_published DIR: fails when DIR, a published worker, lacks the JetStream side or carries test code.
check_published() {
    local out="$1" status=0
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
        echo "check-publish: the published worker carries $(find "$out" -name '*.dll' | wc -l) assemblies; no Goflux.InMemory.dll, no Microsoft.Extensions.TimeProvider.Testing.dll"
    fi
    return "$status"
}

if [[ "${1:-}" == "--check" ]]; then
    check_published "$2"
    exit
fi

out="artifacts/publish/worker"
rm -rf "$out"
dotnet publish samples/Worker -c "${CONFIGURATION:-Release}" -o "$out" --nologo -v quiet
check_published "$out"

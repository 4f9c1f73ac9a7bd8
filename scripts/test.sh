#!/usr/bin/env bash
# Runs every test project against real servers; this is what `make test` runs.
#
# 1. provisions nats-server 2.10+ into .tools/ (scripts/provision-nats.sh);
# 2. makes sure a Docker engine answers and the local NATS image exists (scripts/provision-docker.sh), starting
#    dockerd if needed (stopped again, by PID, when this script exits);
# 3. runs `dotnet test` on the solution and prints one line: `N passed, N failed, N skipped`.
# Exits non-zero when a test fails or `dotnet test` fails.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
mkdir -p .tools

log() { echo "test: $*" >&2; }

dockerd_pid_file="$(mktemp "${TMPDIR:-/tmp}/goflux-dockerd.XXXXXX")"
test_log="$(mktemp "${TMPDIR:-/tmp}/goflux-test.XXXXXX")"

cleanup() {
    local pid
    pid="$(cat "$dockerd_pid_file" 2>/dev/null || true)"
    rm -f "$dockerd_pid_file" "$test_log"
    [[ -n "$pid" ]] || return 0
    kill -0 "$pid" 2>/dev/null || return 0
    log "stopping dockerd (PID $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + 30))
    while kill -0 "$pid" 2>/dev/null; do
        if (( SECONDS >= deadline )); then
            log "dockerd (PID $pid) still running after 30s; sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
            break
        fi
        sleep 0.1
    done
}
trap cleanup EXIT

nats_server="$(bash scripts/provision-nats.sh)"
export GOFLUX_NATS_SERVER="$nats_server"
export GOFLUX_NATS_IMAGE="${GOFLUX_NATS_IMAGE:-goflux/nats:2.10}"

# Testcontainers against Debian's engine (20.10): speak its API version, no reaper container (it cannot be
# pulled; the fixture removes its containers itself), and reach containers through loopback only.
export DOCKER_API_VERSION="${DOCKER_API_VERSION:-1.41}"
export TESTCONTAINERS_RYUK_DISABLED="${TESTCONTAINERS_RYUK_DISABLED:-true}"
export TESTCONTAINERS_HOST_OVERRIDE="${TESTCONTAINERS_HOST_OVERRIDE:-127.0.0.1}"

if ! bash scripts/provision-docker.sh "$dockerd_pid_file"; then
    cat >&2 <<'WARN'

###############################################################################################
#  WARNING: no Docker engine could be provided (see the messages above).                       #
#  The Testcontainers test WILL FAIL. To get an engine: run `make test` as root (it installs   #
#  docker.io and starts dockerd), or start a Docker engine yourself (or set DOCKER_HOST).      #
###############################################################################################

WARN
fi

set +e
dotnet test Goflux.Testable.sln -c Release 2>&1 | tee "$test_log"
dotnet_status=${PIPESTATUS[0]}
set -e

# Sum the per-project lines: "Passed!  - Failed: X, Passed: Y, Skipped: Z, Total: T, Duration: ..."
read -r passed failed skipped projects < <(
    sed -nE 's/^[[:space:]]*(Passed|Failed)![[:space:]]+-[[:space:]]+Failed:[[:space:]]*([0-9]+),[[:space:]]*Passed:[[:space:]]*([0-9]+),[[:space:]]*Skipped:[[:space:]]*([0-9]+),.*/\2 \3 \4/p' "$test_log" |
        awk '{ f += $1; p += $2; s += $3; n++ } END { printf "%d %d %d %d\n", p, f, s, n }'
)

echo
echo "${passed} passed, ${failed} failed, ${skipped} skipped"

if (( dotnet_status != 0 )); then
    log "dotnet test failed (exit code $dotnet_status; $projects test project summaries found)"
    exit 1
fi
if (( failed > 0 )); then
    exit 1
fi

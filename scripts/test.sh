#!/usr/bin/env bash
# Runs every test project against real servers; this is what `make test` runs.
#
# 1. provisions nats-server 2.10+ into .tools/ (scripts/provision-nats.sh);
# 2. makes sure a Docker engine answers and the local NATS image exists (scripts/provision-docker.sh), starting
#    dockerd if needed (stopped again, by PID, when this script exits);
# 3. runs `dotnet test` on the solution and prints one line: `N passed, N failed, N skipped`.
# While the tests run, a watchdog checks every few seconds that the Docker engine still answers. An engine this script
# reused (it did not start it) can be stopped by whoever owns it; the watchdog then says so at once and again in the
# summary, and the run fails, so a hang or a failure in the Testcontainers tests is not mistaken for a test bug.
# Exits non-zero when a test fails, `dotnet test` fails, or the Docker engine went away during the run.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
mkdir -p .tools

log() { echo "test: $*" >&2; }

dockerd_pid_file="$(mktemp "${TMPDIR:-/tmp}/goflux-dockerd.XXXXXX")"
test_log="$(mktemp "${TMPDIR:-/tmp}/goflux-test.XXXXXX")"
engine_lost_file="$(mktemp "${TMPDIR:-/tmp}/goflux-engine-lost.XXXXXX")"
watchdog_pid=""
engine_origin="none"

engine_answers() {
    if [[ -n "${DOCKER_HOST:-}" ]]; then
        command -v docker >/dev/null && timeout 5 docker version >/dev/null 2>&1
        return
    fi
    [[ -S /var/run/docker.sock ]] || return 1
    if command -v curl >/dev/null; then
        curl -fsS --max-time 3 --unix-socket /var/run/docker.sock http://localhost/_ping >/dev/null 2>&1
    else
        command -v docker >/dev/null && timeout 5 docker version >/dev/null 2>&1
    fi
}

# Runs in the background while the tests run: notes the first moment the engine stops answering (two failed checks in
# a row, so one slow answer is not taken for a lost engine) and says so on stderr at once.
watch_engine() {
    local origin="$1" misses=0
    while true; do
        sleep "${GOFLUX_DOCKER_WATCH_SECONDS:-3}"
        if engine_answers; then
            misses=0
            continue
        fi
        misses=$((misses + 1))
        if (( misses >= 2 )); then
            date -u +%H:%M:%SZ >"$engine_lost_file"
            echo "test: ERROR: the Docker engine ($origin) stopped answering at $(cat "$engine_lost_file");" \
                "Testcontainers tests from now on fail or time out. Start an engine and run \`make test\` again." >&2
            return 0
        fi
    done
}

cleanup() {
    local pid
    if [[ -n "$watchdog_pid" ]] && kill -0 "$watchdog_pid" 2>/dev/null; then
        kill "$watchdog_pid" 2>/dev/null || true
        wait "$watchdog_pid" 2>/dev/null || true
    fi
    pid="$(cat "$dockerd_pid_file" 2>/dev/null || true)"
    rm -f "$dockerd_pid_file" "$test_log" "$engine_lost_file"
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
else
    if [[ -s "$dockerd_pid_file" ]]; then
        engine_origin="started by this run, PID $(cat "$dockerd_pid_file")"
    else
        engine_origin="${DOCKER_HOST:-/var/run/docker.sock}, already running: reused, not started by this run"
        log "reusing a Docker engine this run did not start ($engine_origin); watching that it stays up"
    fi
    watch_engine "$engine_origin" &
    watchdog_pid=$!
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

if [[ -s "$engine_lost_file" ]]; then
    log "the Docker engine went away during the run (at $(cat "$engine_lost_file"); $engine_origin)." \
        "Failures or timeouts in the Testcontainers tests after that point are the engine's, not the code's."
    exit 1
fi

if (( dotnet_status != 0 )); then
    log "dotnet test failed (exit code $dotnet_status; $projects test project summaries found)"
    exit 1
fi
if (( failed > 0 )); then
    exit 1
fi

#!/usr/bin/env bash
# Ensures a Docker engine answers and that the local NATS image exists.
#
# Usage: scripts/provision-docker.sh [PID_FILE]
#   When this script has to start dockerd itself, it writes dockerd's PID to PID_FILE so the caller can stop
#   it by PID (e.g. in an EXIT trap). When an engine already answers, PID_FILE is left untouched.
#
# Environment:
#   GOFLUX_NATS_IMAGE   image to build (default goflux/nats:2.10)
#   GOFLUX_NATS_SERVER  nats-server binary to put in the image (default: scripts/provision-nats.sh)
#
# Installing docker.io needs root and the Debian package mirror. Exits non-zero when no engine can be provided.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools_dir="$repo_root/.tools"
pid_file="${1:-}"
image="${GOFLUX_NATS_IMAGE:-goflux/nats:2.10}"
socket="/var/run/docker.sock"
deadline_seconds="${GOFLUX_DOCKERD_DEADLINE:-60}"

# The engine from Debian 12 (20.10) speaks API 1.41 at most; newer CLIs must not ask for more.
export DOCKER_API_VERSION="${DOCKER_API_VERSION:-1.41}"

log() { echo "provision-docker: $*" >&2; }

engine_answers() {
    if [[ -n "${DOCKER_HOST:-}" ]]; then
        command -v docker >/dev/null && docker version >/dev/null 2>&1
        return
    fi
    [[ -S "$socket" ]] || return 1
    if command -v curl >/dev/null; then
        curl -fsS --max-time 2 --unix-socket "$socket" http://localhost/_ping >/dev/null 2>&1
    else
        command -v docker >/dev/null && docker version >/dev/null 2>&1
    fi
}

start_engine() {
    if [[ "$(id -u)" -ne 0 ]]; then
        log "no Docker engine answers and this is not root: cannot install or start dockerd"
        return 1
    fi
    if ! command -v dockerd >/dev/null; then
        log "installing docker.io (apt-get update + install; this takes a minute or two)"
        mkdir -p "$tools_dir"
        local apt_log="$tools_dir/docker-install.log"
        if ! { DEBIAN_FRONTEND=noninteractive apt-get -q update &&
               DEBIAN_FRONTEND=noninteractive apt-get -q install -y --no-install-recommends docker.io; } >"$apt_log" 2>&1; then
            log "installing docker.io failed; last lines of $apt_log:"
            tail -n 20 "$apt_log" >&2 || true
            return 1
        fi
        command -v dockerd >/dev/null || { log "docker.io installed but dockerd is not on PATH"; return 1; }
    fi
    # The package's service scripts may have started an engine already.
    if engine_answers; then
        return 0
    fi
    mkdir -p "$tools_dir"
    log "starting dockerd (log: $tools_dir/dockerd.log)"
    dockerd >>"$tools_dir/dockerd.log" 2>&1 &
    local pid=$!
    if [[ -n "$pid_file" ]]; then
        echo "$pid" >"$pid_file"
    fi
    local deadline=$((SECONDS + deadline_seconds))
    until engine_answers; do
        if ! kill -0 "$pid" 2>/dev/null; then
            log "dockerd (PID $pid) exited; last lines of its log:"
            tail -n 20 "$tools_dir/dockerd.log" >&2 || true
            return 1
        fi
        if (( SECONDS >= deadline )); then
            log "dockerd (PID $pid) did not answer on $socket within ${deadline_seconds}s"
            return 1
        fi
        sleep 0.1
    done
    log "dockerd answers (PID $pid)"
}

# Copies a file with its directory layout into the rootfs, following symlinks.
copy_into_rootfs() {
    local src="$1" rootfs="$2"
    mkdir -p "$rootfs$(dirname "$src")"
    cp -L "$src" "$rootfs$src"
}

build_image() {
    if docker image inspect "$image" >/dev/null 2>&1; then
        log "image $image exists"
        return 0
    fi
    local nats_server="${GOFLUX_NATS_SERVER:-}"
    if [[ -z "$nats_server" ]]; then
        nats_server="$(bash "$repo_root/scripts/provision-nats.sh")"
    fi
    [[ -x "$nats_server" ]] || { log "nats-server binary not found: $nats_server"; return 1; }

    local rootfs
    rootfs="$(mktemp -d "${TMPDIR:-/tmp}/goflux-nats-rootfs.XXXXXX")"
    # shellcheck disable=SC2064
    trap "rm -rf '$rootfs'" RETURN

    install -m 0755 "$nats_server" "$rootfs/nats-server"
    # The binary needs libc and the dynamic loader only; take both from ldd so the paths match the loader's.
    local lib
    while read -r lib; do
        copy_into_rootfs "$lib" "$rootfs"
    done < <(ldd "$nats_server" | grep -oE '/[^ ]*(libc\.so\.6|ld-linux-x86-64\.so\.2)' | sort -u)
    mkdir -p "$rootfs/tmp" "$rootfs/etc"
    chmod 1777 "$rootfs/tmp"
    echo 'root:x:0:0:root:/:/nats-server' >"$rootfs/etc/passwd"

    log "building image $image from $("$nats_server" --version)"
    tar -C "$rootfs" -c . | docker import \
        --change 'ENTRYPOINT ["/nats-server"]' \
        --change 'EXPOSE 4222 6222 8222' \
        - "$image" >/dev/null
}

if ! engine_answers; then
    start_engine || exit 1
fi

build_image
version="$(docker run --rm "$image" --version 2>&1)" || { log "docker run $image --version failed: $version"; exit 1; }
case "$version" in
    *nats-server*v2.*) log "image $image runs: $version" ;;
    *) log "unexpected output from docker run $image --version: $version"; exit 1 ;;
esac

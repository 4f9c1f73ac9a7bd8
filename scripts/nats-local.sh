#!/usr/bin/env bash
# Starts or stops a local nats-server with JetStream on 127.0.0.1 (for `make nats-up` / `make nats-down`).
#
# Usage: scripts/nats-local.sh up|down
#   NATS_PORT (default 4222). The store is a fresh temporary directory, removed by `down`.
#   PID and store path are kept in .tools/. Use it with NATS_URL=nats://127.0.0.1:4222.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools_dir="$repo_root/.tools"
pid_file="$tools_dir/nats-server.pid"
store_file="$tools_dir/nats-server.store"
log_file="$tools_dir/nats-server.log"
port="${NATS_PORT:-4222}"

log() { echo "nats-local: $*" >&2; }

# The PID in the pid file, if that process is still our nats-server.
running_pid() {
    local pid
    pid="$(cat "$pid_file" 2>/dev/null || true)"
    [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q nats-server || return 1
    echo "$pid"
}

port_answers() { (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; }

up() {
    local pid
    if pid="$(running_pid)"; then
        log "already running (PID $pid) on nats://127.0.0.1:$port"
        return 0
    fi
    if port_answers; then
        log "something already listens on 127.0.0.1:$port; not starting another server"
        return 1
    fi
    local binary store
    binary="$(bash "$repo_root/scripts/provision-nats.sh")"
    store="$(mktemp -d "${TMPDIR:-/tmp}/goflux-nats-store.XXXXXX")"
    echo "$store" >"$store_file"
    "$binary" -js -a 127.0.0.1 -p "$port" -sd "$store" >"$log_file" 2>&1 &
    pid=$!
    echo "$pid" >"$pid_file"
    local deadline=$((SECONDS + 20))
    until port_answers; do
        if ! kill -0 "$pid" 2>/dev/null; then
            log "nats-server exited; see $log_file"
            tail -n 20 "$log_file" >&2 || true
            rm -f "$pid_file"
            return 1
        fi
        if (( SECONDS >= deadline )); then
            log "nats-server (PID $pid) did not listen on 127.0.0.1:$port within 20s"
            return 1
        fi
        sleep 0.05
    done
    log "nats-server (PID $pid) on nats://127.0.0.1:$port, store $store, log $log_file"
    log "use it with: export NATS_URL=nats://127.0.0.1:$port"
}

down() {
    local pid
    if pid="$(running_pid)"; then
        kill -TERM "$pid"
        local deadline=$((SECONDS + 20))
        while kill -0 "$pid" 2>/dev/null; do
            if (( SECONDS >= deadline )); then
                kill -KILL "$pid" 2>/dev/null || true
                break
            fi
            sleep 0.05
        done
        log "stopped nats-server (PID $pid)"
    else
        log "not running"
    fi
    rm -f "$pid_file"
    if [[ -f "$store_file" ]]; then
        local store
        store="$(cat "$store_file")"
        [[ "$store" == */goflux-nats-store.* ]] && rm -rf "$store"
        rm -f "$store_file"
    fi
}

case "${1:-}" in
    up) up ;;
    down) down ;;
    *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac

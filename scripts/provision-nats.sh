#!/usr/bin/env bash
# Provisions nats-server 2.10+ into .tools/nats-server/nats-server (git-ignored) and prints its path.
#
# Debian 12 ships nats-server 2.9 only; the next suite (trixie) has 2.10. The package is fetched with a
# private apt configuration (own sources file and lists directory), so the system's apt state is untouched.
# The mirror is read from the system's sources file at run time.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools_dir="$repo_root/.tools"
target_dir="$tools_dir/nats-server"
binary="$target_dir/nats-server"
system_sources="${GOFLUX_APT_SOURCES:-/etc/apt/sources.list.d/debian.sources}"
suite="${GOFLUX_NATS_SUITE:-trixie}"

log() { echo "provision-nats: $*" >&2; }

# True when the binary at $1 runs and reports version 2.10 or newer.
is_recent_enough() {
    local bin="$1" version major minor
    [[ -x "$bin" ]] || return 1
    version="$("$bin" --version 2>/dev/null | grep -oE 'v[0-9]+\.[0-9]+(\.[0-9]+)?' | head -n1)" || return 1
    [[ -n "$version" ]] || return 1
    version="${version#v}"
    major="${version%%.*}"
    minor="${version#*.}"
    minor="${minor%%.*}"
    (( major > 2 || (major == 2 && minor >= 10) ))
}

if is_recent_enough "$binary"; then
    log "already provisioned: $("$binary" --version)"
    echo "$binary"
    exit 0
fi

command -v apt-get >/dev/null || { log "apt-get not found: install nats-server 2.10+ yourself or set NATS_URL"; exit 1; }
command -v dpkg-deb >/dev/null || { log "dpkg-deb not found: install nats-server 2.10+ yourself or set NATS_URL"; exit 1; }
[[ -r "$system_sources" ]] || { log "cannot read $system_sources: install nats-server 2.10+ yourself or set NATS_URL"; exit 1; }

# URIs and Signed-By of the first stanza (stanzas are separated by blank lines; comments are ignored).
read_first_stanza_field() {
    awk -v field="$1" '
        /^[[:space:]]*#/ { next }
        /^[[:space:]]*$/ { if (seen) exit; next }
        { seen = 1 }
        tolower($0) ~ "^" tolower(field) ":" { sub(/^[^:]*:[[:space:]]*/, ""); print; exit }
    ' "$system_sources"
}
uris="$(read_first_stanza_field URIs)"
signed_by="$(read_first_stanza_field Signed-By)"
[[ -n "$uris" ]] || { log "no URIs in the first stanza of $system_sources"; exit 1; }

work="$(mktemp -d "${TMPDIR:-/tmp}/goflux-nats-apt.XXXXXX")"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/archives/partial" "$work/extract"

{
    echo "Types: deb"
    echo "URIs: $uris"
    echo "Suites: $suite"
    echo "Components: main"
    [[ -n "$signed_by" ]] && echo "Signed-By: $signed_by"
} > "$work/goflux.sources"

apt_opts=(
    -o "Dir::Etc::sourcelist=$work/goflux.sources"
    -o "Dir::Etc::sourceparts=/dev/null"
    -o "Dir::State::Lists=$work/lists"
    -o "Dir::Cache::Archives=$work/archives"
    -o "Dir::Cache::pkgcache="
    -o "Dir::Cache::srcpkgcache="
    -o "APT::Sandbox::User=root"
)

log "fetching nats-server from the $suite suite of the configured Debian mirror"
apt-get -qq "${apt_opts[@]}" update >&2
(cd "$work" && apt-get -qq "${apt_opts[@]}" download nats-server >&2)

deb="$(find "$work" -maxdepth 1 -name 'nats-server_*.deb' | head -n1)"
[[ -n "$deb" ]] || { log "apt-get download produced no nats-server package"; exit 1; }
dpkg-deb -x "$deb" "$work/extract"

extracted="$(find "$work/extract" -type f -name nats-server -perm -u+x | head -n1)"
[[ -n "$extracted" ]] || { log "no nats-server binary inside $(basename "$deb")"; exit 1; }

mkdir -p "$target_dir"
install -m 0755 "$extracted" "$binary.tmp"
mv -f "$binary.tmp" "$binary"

if ! is_recent_enough "$binary"; then
    log "provisioned binary is not v2.10+: $("$binary" --version 2>&1 || true)"
    exit 1
fi
log "provisioned $("$binary" --version)"
echo "$binary"

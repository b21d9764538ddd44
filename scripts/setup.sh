#!/usr/bin/env bash
# Makes this checkout ready for `scripts/heimdall-build run` on a Debian or
# Ubuntu machine, as root: Node.js >= 22.12 (from the npm registry when the
# machine's is older), a Docker engine (Debian's docker.io, started when none
# answers), the Debian base images the compiler images start from (made with
# debootstrap from Debian's archive: no image registry needed), npm ci and the
# build. Idempotent: what is there already is left as it is.
#   bash scripts/setup.sh [SUITE ...]     # base images to make; default: bookworm
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1
suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=(bookworm)

apt_updated=
apt_install() {
  [ -n "$apt_updated" ] || { apt-get update -qq; apt_updated=1; }
  apt-get install -y -qq "$@" >/dev/null
}
say() { printf '\n== setup: %s\n' "$*"; }

say "Node.js >= 22.12"
. .ci/setup-node.sh

say "Docker engine"
if ! docker info >/dev/null 2>&1; then
  command -v dockerd >/dev/null && command -v docker >/dev/null || apt_install docker.io
  if ! docker info >/dev/null 2>&1; then
    echo "starting dockerd (log: /var/log/heimdall-dockerd.log)"
    nohup dockerd >/var/log/heimdall-dockerd.log 2>&1 &
    for _ in $(seq 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
    docker info >/dev/null 2>&1 || { tail -30 /var/log/heimdall-dockerd.log >&2; echo "dockerd did not start" >&2; exit 1; }
  fi
fi
docker version --format 'engine {{.Server.Version}}, API {{.Server.APIVersion}}'

say "base images: ${suites[*]}"
command -v debootstrap >/dev/null || apt_install debootstrap
scripts/seed-base-image.sh "${suites[@]}"

say "npm ci and build"
npm ci --no-audit --no-fund
npm run build
echo
echo "ready: scripts/heimdall-build run examples/hello-cpp"

#!/usr/bin/env bash
# Makes the Debian base image `debian:SUITE` from Debian's archive with
# debootstrap and imports it into the local Docker engine; no image registry is
# needed. Does nothing when the image is already there.
#   usage: scripts/seed-base-image.sh SUITE [SUITE...]   (bullseye bookworm trixie sid)
set -euo pipefail

for suite in "$@"; do
  if docker image inspect "debian:${suite}" >/dev/null 2>&1; then
    echo "seed-base-image: debian:${suite} is present"
    continue
  fi
  command -v debootstrap >/dev/null || {
    echo "seed-base-image: installing debootstrap"
    apt-get update -qq && apt-get install -y -qq debootstrap >/dev/null
  }
  root=$(mktemp -d "/tmp/heimdall-rootfs-${suite}.XXXXXX")
  trap 'rm -rf "$root"' EXIT
  echo "seed-base-image: debootstrap --variant=minbase ${suite} (about a minute)"
  if ! debootstrap --variant=minbase "$suite" "$root" >"$root.log" 2>&1; then
    tail -20 "$root.log" >&2
    echo "seed-base-image: debootstrap ${suite} failed (log above)" >&2
    exit 1
  fi
  rm -f "$root.log"
  tar -C "$root" -c . | docker import - "debian:${suite}" >/dev/null
  rm -rf "$root"
  trap - EXIT
  echo "seed-base-image: imported debian:${suite}"
done

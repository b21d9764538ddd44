#!/usr/bin/env bash
# Fetches and unpacks a Debian source package (upstream sources, Debian's
# patches not applied) into DIR, for bench/matrix.ts --project: a real
# project from the one archive this machine reaches. Uses a private apt state,
# so the system's sources.list is left as it is.
#   bench/fetch-debian-source.sh PACKAGE DIR [SUITE]    e.g. double-conversion /tmp/dc bookworm
set -euo pipefail
package=$1 dir=$2 suite=${3:-bookworm}
state=$(mktemp -d)
trap 'rm -rf "$state"' EXIT
mkdir -p "$state/lists/partial" "$state/cache/archives/partial" "$dir"
echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian ${suite} main" >"$state/sources.list"
apt=(-o "Dir::Etc::SourceList=$state/sources.list" -o Dir::Etc::SourceParts=/nonexistent
  -o "Dir::State::Lists=$state/lists" -o "Dir::Cache=$state/cache" -o APT::Sandbox::User=root)
apt-get -qq "${apt[@]}" update
(cd "$state" && apt-get -qq "${apt[@]}" source --download-only "$package" 2>/dev/null)
tar -xf "$state"/"${package}"_*.orig.tar.* -C "$dir" --strip-components=1
echo "fetched $(ls "$state"/*.dsc | xargs -n1 basename) into $dir"

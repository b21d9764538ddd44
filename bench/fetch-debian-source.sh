#!/usr/bin/env bash
# Fetches and unpacks a Debian source package into DIR, for bench/matrix.ts
# --project: a real project from the one archive this machine reaches. The
# upstream sources, Debian's patches not applied; with --patched, as Debian
# builds them: the patches its debian/patches/series lists applied in order
# (git apply, so no quilt or dpkg-dev is needed; debian/ itself is left out).
# Uses a private apt state, so the system's sources.list is left as it is.
#   bench/fetch-debian-source.sh [--patched] PACKAGE DIR [SUITE]    e.g. double-conversion /tmp/dc bookworm
set -euo pipefail
patched=
if [ "${1:-}" = --patched ]; then patched=1 && shift; fi
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
if [ -n "$patched" ]; then
  debian=("$state"/"${package}"_*.debian.tar.*)
  [ -e "${debian[0]}" ] || { echo "$package ($suite) has no debian.tar: not a 3.0 (quilt) source package" >&2; exit 1; }
  mkdir "$state/debian" && tar -xf "${debian[0]}" -C "$state/debian"
  series=$state/debian/debian/patches/series
  # Not a repository's: git apply must not look for one above DIR.
  export GIT_CEILING_DIRECTORIES=$(dirname "$(realpath "$dir")")
  if [ -f "$series" ]; then
    # A line: the patch's name, an optional -pN; # starts a comment.
    sed -e 's/#.*//' "$series" | while read -r patch level _; do
      [ -n "$patch" ] || continue
      (cd "$dir" && git apply "${level:--p1}" "$state/debian/debian/patches/$patch")
      echo "applied debian/patches/$patch"
    done
  fi
fi
echo "fetched $(ls "$state"/*.dsc | xargs -n1 basename) into $dir${patched:+, its patches applied}"

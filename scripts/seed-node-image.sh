#!/usr/bin/env bash
# Makes a local stand-in for the official `node:24-bookworm-slim` image, tagged
# `heimdall-build/node:24-bookworm-slim`, where no image registry is reachable:
# the local `debian:bookworm` (scripts/seed-base-image.sh) plus Node.js from the
# npm registry's `node-linux-<arch>` package (the one .ci/setup-node.sh uses, from
# its cache folder when there) and the npm that Node release bundles, with a
# `node` user (uid 1000) as in the official image. Does nothing when the image
# is already there. Build the app's image from it with
#   docker build --build-arg NODE_IMAGE=heimdall-build/node:24-bookworm-slim -f images/app/Dockerfile .
#   usage: scripts/seed-node-image.sh
set -euo pipefail

node_version=24.21.0
npm_version=11.19.0 # the npm Node 24.21.0 ships (its CHANGELOG: "upgrade npm to 11.19.0", 24.20.0)
tag=heimdall-build/node:24-bookworm-slim

if [ "$(docker image inspect -f '{{ index .Config.Labels "dev.heimdall-build.node-version" }}' "$tag" 2>/dev/null)" = "$node_version" ]; then
  echo "seed-node-image: $tag (node $node_version) is present"
  exit 0
fi

case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "seed-node-image: no node-linux package for $(uname -m)" >&2; exit 1 ;;
esac
command -v npm >/dev/null || { echo "seed-node-image: npm is needed to fetch Node (. .ci/setup-node.sh)" >&2; exit 1; }

"$(dirname "$0")/seed-base-image.sh" bookworm

cache="${HEIMDALL_CACHE:-$HOME/.cache/heimdall-build}"
node_dir="$cache/node-${node_version}"
npm_tgz="$cache/npm-${npm_version}.tgz"
context=$(mktemp -d /tmp/heimdall-node-image.XXXXXX)
trap 'rm -rf "$context"' EXIT

# The same folder .ci/setup-node.sh fills; it only ever holds an x64 or arm64 build of this machine's.
if [ ! -x "$node_dir/bin/node" ]; then
  echo "seed-node-image: fetching node-linux-${arch}@${node_version} from the npm registry"
  (cd "$context" && npm pack --silent "node-linux-${arch}@${node_version}" >/dev/null)
  mkdir -p "$node_dir"
  tar -xzf "$context"/node-linux-*.tgz -C "$node_dir" --strip-components=1 package/bin/node package/LICENSE
  rm -f "$context"/node-linux-*.tgz
fi
if [ ! -s "$npm_tgz" ]; then
  echo "seed-node-image: fetching npm@${npm_version} from the npm registry"
  (cd "$context" && npm pack --silent "npm@${npm_version}" >/dev/null)
  mkdir -p "$cache"
  mv "$context/npm-${npm_version}.tgz" "$npm_tgz"
fi

mkdir "$context/npm"
cp "$node_dir/bin/node" "$context/node"
tar -xzf "$npm_tgz" -C "$context/npm" --strip-components=1
cat >"$context/Dockerfile" <<EOF
FROM debian:bookworm
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \\
 && groupadd --gid 1000 node \\
 && useradd --uid 1000 --gid node --shell /bin/bash --create-home node \\
 && node --version && npm --version
ENV NODE_VERSION=${node_version}
CMD ["node"]
EOF
echo "seed-node-image: building $tag (node $node_version, npm $npm_version)"
docker build -q --label "dev.heimdall-build.node-version=${node_version}" \
  --label "dev.heimdall-build.stand-in=node:24-bookworm-slim" -t "$tag" "$context" >/dev/null
echo "seed-node-image: made $tag"

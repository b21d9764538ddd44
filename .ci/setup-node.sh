#!/usr/bin/env bash
# Puts a Node.js >= 22.12 on PATH. Where the machine's node is older (or
# missing), it installs Node from the npm registry's node-linux-<arch> package
# into a cache folder. Source it (`. .ci/setup-node.sh`) to change this shell's
# PATH, or run it to print the folder to put on PATH.
heimdall_node_version=24.21.0
heimdall_node_ok() {
  command -v node >/dev/null 2>&1 &&
    node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=12)?0:1)'
}
heimdall_setup_node() {
  if heimdall_node_ok; then
    echo "setup-node: using node $(node --version) at $(command -v node)" >&2
    return 0
  fi
  local arch dir tmp
  case "$(uname -m)" in
    x86_64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) echo "setup-node: no node-linux package for $(uname -m); install Node >= 22.12 yourself" >&2; return 1 ;;
  esac
  dir="${HEIMDALL_CACHE:-$HOME/.cache/heimdall-build}/node-${heimdall_node_version}"
  if [ ! -x "$dir/bin/node" ]; then
    if ! command -v npm >/dev/null 2>&1; then
      echo "setup-node: no npm to fetch Node with; installing Debian's npm" >&2
      apt-get install -y -qq npm >/dev/null || return 1
    fi
    echo "setup-node: installing node ${heimdall_node_version} (node-linux-${arch} from the npm registry) into $dir" >&2
    tmp=$(mktemp -d)
    (cd "$tmp" && npm pack --silent "node-linux-${arch}@${heimdall_node_version}" >/dev/null) || { rm -rf "$tmp"; return 1; }
    mkdir -p "$dir"
    tar -xzf "$tmp"/node-linux-*.tgz -C "$dir" --strip-components=1 package/bin/node package/LICENSE || { rm -rf "$tmp"; return 1; }
    rm -rf "$tmp"
  fi
  export PATH="$dir/bin:$PATH"
  echo "setup-node: using node $(node --version) from $dir" >&2
}
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  heimdall_setup_node
  dirname "$(command -v node)"
else
  heimdall_setup_node
fi

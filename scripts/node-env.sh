#!/usr/bin/env bash
# Sourced (`source scripts/node-env.sh`): puts a Node.js >= 22.13 (node:sqlite without a flag) first on PATH. When
# the machine's own node is older, installs Node 24 from the npm registry into .node/ of this checkout (once; nothing
# outside the checkout changes) and points npm's native-addon builds at that Node's headers, so addons are built
# for the Node that runs them.
backstop_node_required=22.13
backstop_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
backstop_local_node="$backstop_root/.node/node_modules/.bin"

# Whether the node at $1 is 22.13 or newer (told by its exit status: printed output would be coloured under
# FORCE_COLOR).
backstop_node_fits() {
  "$1" -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 22 || (a === 22 && b >= 13) ? 0 : 1)' 2>/dev/null
}

if [ -x "$backstop_local_node/node" ] && backstop_node_fits "$backstop_local_node/node"; then
  export PATH="$backstop_local_node:$PATH"
elif command -v node >/dev/null 2>&1 && backstop_node_fits node; then
  : # the machine's node will do
else
  if ! command -v npm >/dev/null 2>&1; then
    echo "Backstop needs Node.js $backstop_node_required or newer (24 LTS recommended), and npm to fetch it: install Node.js from https://nodejs.org or your package manager." >&2
    return 1 2>/dev/null || exit 1
  fi
  echo "Node.js $(node --version 2>/dev/null || echo '(none)') is older than $backstop_node_required: installing Node 24 from the npm registry into .node/ ..." >&2
  npm install --prefix "$backstop_root/.node" --no-save --no-audit --no-fund --loglevel=error node@24 >&2 || {
    echo "Could not install Node 24 into .node/; install Node.js $backstop_node_required+ yourself and try again." >&2
    return 1 2>/dev/null || exit 1
  }
  export PATH="$backstop_local_node:$PATH"
fi

# The local Node ships its headers; a user's npmrc may point node-gyp at the system Node's (nodedir=/usr).
if [ "$(command -v node)" = "$backstop_local_node/node" ]; then
  for backstop_headers in "$backstop_root"/.node/node_modules/node/node_modules/node-*; do
    [ -d "$backstop_headers/include/node" ] && export npm_config_nodedir="$backstop_headers"
  done
fi
unset backstop_node_required backstop_local_node backstop_headers
unset -f backstop_node_fits

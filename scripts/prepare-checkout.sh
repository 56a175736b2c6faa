#!/usr/bin/env bash
# Makes this checkout ready to run: a Node.js >= 22.13 (see node-env.sh), the npm dependencies installed by that Node
# (npm ci, when node_modules was not installed from this package-lock.json by this Node major), and dist/ built from
# the sources. Run by `npm run demo`, `npm start` and `npm test` first, so each works from a fresh clone.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/node-env.sh
stamp="$(sha256sum package-lock.json | cut -c1-64) node$(node -p 'process.versions.node.split(".")[0]')"
if [ "$(cat node_modules/.backstop-installed 2>/dev/null)" != "$stamp" ]; then
  echo "Installing Backstop's dependencies with Node $(node --version) (npm ci)..." >&2
  npm ci --no-audit --no-fund --loglevel=error >&2   # also builds dist/ (the prepare script)
  echo "$stamp" > node_modules/.backstop-installed
else
  npm run --silent build >&2
fi

#!/usr/bin/env bash
# Runs a command with a Node.js >= 22.13 first on PATH (see node-env.sh): `bash scripts/with-node.sh vitest run`.
set -euo pipefail
source "$(dirname "$0")/node-env.sh"
exec "$@"

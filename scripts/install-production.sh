#!/bin/sh
# Installs a packed Backstop (the .tgz of `npm pack`) into <dir> with its production dependencies only, at the
# versions package-lock.json pins, and without running any package's scripts: the path the container image takes
# (see Dockerfile) and the one test/package/production-install.test.ts runs. The command is then <dir>/bin/backstop.js.
#
#   sh scripts/install-production.sh <backstop-x.y.z.tgz> <dir> <package-lock.json>
set -eu
if [ "$#" -ne 3 ]; then
  echo "usage: sh scripts/install-production.sh <backstop-x.y.z.tgz> <dir> <package-lock.json>" >&2
  exit 2
fi
tarball=$1
dir=$2
lock=$3
mkdir -p "$dir"
tar -xzf "$tarball" -C "$dir" --strip-components=1 --no-same-owner
cp "$lock" "$dir/package-lock.json"
cd "$dir"
npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error

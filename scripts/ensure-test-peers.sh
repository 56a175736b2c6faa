#!/usr/bin/env bash
# Makes sure the peers the tests use are here: the age CLI, the PostgreSQL client tools, Chromium, zsh and fish (Debian
# packages), and a PostgreSQL server on 127.0.0.1:5432. Installs or starts what is missing when it can (as root with apt-get), and
# otherwise says what to do. Run by `npm test` before the tests and by .ci/run.
set -euo pipefail

missing=()
command -v age >/dev/null 2>&1 || missing+=(age)
command -v pg_dump >/dev/null 2>&1 || missing+=(postgresql-client)
command -v tar >/dev/null 2>&1 || missing+=(tar)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
# The shell completion scripts are tried in the shells themselves.
command -v zsh >/dev/null 2>&1 || missing+=(zsh)
command -v fish >/dev/null 2>&1 || missing+=(fish)
if ((${#missing[@]} > 0)); then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing ${missing[*]} for the tests..."
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "The tests need these packages: ${missing[*]}. Install them, e.g.: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi

if [ -n "${BACKSTOP_TEST_PG_URL:-}" ]; then
  # The tests use that server (see test/support/postgres.ts): check it, start nothing.
  pg_isready -q -d "$BACKSTOP_TEST_PG_URL" && exit 0
  echo "BACKSTOP_TEST_PG_URL names a PostgreSQL server that does not answer; start it or unset the variable." >&2
  exit 1
fi

pg_host="${PGHOST:-127.0.0.1}"
pg_port="${PGPORT:-5432}"
if ! pg_isready -q -h "$pg_host" -p "$pg_port"; then
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    version="$(ls /etc/postgresql | sort -n | tail -n 1)"
    echo "Starting PostgreSQL $version..."
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    for _ in $(seq 1 30); do pg_isready -q -h "$pg_host" -p "$pg_port" && break; sleep 1; done
  fi
  if ! pg_isready -q -h "$pg_host" -p "$pg_port"; then
    echo "The tests need a PostgreSQL server on $pg_host:$pg_port that user postgres can reach without a password." >&2
    echo "Start one (e.g. pg_ctlcluster 15 main start), or point BACKSTOP_TEST_PG_URL at one." >&2
    exit 1
  fi
fi

#!/usr/bin/env bash
# Make sure a PostgreSQL server answers on 127.0.0.1:5432 with a `test` database (trust auth).
set -euo pipefail
ready() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
if ! command -v pg_isready >/dev/null 2>&1; then
  echo "postgres: not installed, installing Debian's postgresql package" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
if ! ready; then
  echo "postgres: not answering on 127.0.0.1:5432, starting the cluster" >&2
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 30); do ready && break; sleep 1; done
fi
ready || { echo "postgres: still not answering on 127.0.0.1:5432" >&2; exit 1; }
psql_() { psql -h 127.0.0.1 -U postgres -d postgres -tAc "$1" 2>/dev/null \
  || su postgres -c "psql -tAc \"$1\""; }
if [ "$(psql_ "SELECT 1 FROM pg_database WHERE datname = 'test'")" != "1" ]; then
  psql_ "CREATE DATABASE test" >/dev/null
fi

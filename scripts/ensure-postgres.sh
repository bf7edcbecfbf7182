#!/usr/bin/env bash
# Starts the local PostgreSQL cluster if it is not answering.
set -euo pipefail
if pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  exit 0
fi
echo "PostgreSQL is not answering on 127.0.0.1:5432; starting it…" >&2
ver=$(ls /etc/postgresql 2>/dev/null | sort -n | tail -n1)
if [ -z "$ver" ]; then
  echo "no PostgreSQL cluster under /etc/postgresql: install postgresql-15" >&2
  exit 1
fi
pg_ctlcluster --skip-systemctl-redirect "$ver" main start
for _ in $(seq 1 30); do
  pg_isready -h 127.0.0.1 -p 5432 -q && exit 0
  sleep 1
done
echo "PostgreSQL did not come up" >&2
exit 1

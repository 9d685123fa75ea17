#!/usr/bin/env bash
# The query benchmark in one command: starts a throw-away PostgreSQL cluster on a free port, loads a 1M-row
# dataset, and times OData and GraphQL through the catalog against the same SQL run directly with Npgsql.
# Usage: bench/query.sh [iterations] [case prefix, e.g. "(b)"]
set -euo pipefail
cd "$(dirname "$0")/.."
pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
work=$(mktemp -d /tmp/dataplatform-bench.XXXXXX)
chmod 755 "$work"
as_pg=()
if [ "$(id -u)" -eq 0 ]; then chown postgres "$work"; as_pg=(runuser -u postgres --); fi
port=$(( 20000 + RANDOM % 40000 ))
cleanup() { "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$work/pg" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT INT TERM
"${as_pg[@]}" "$pg_bin/initdb" -D "$work/pg" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
"${as_pg[@]}" "$pg_bin/pg_ctl" -D "$work/pg" -w -l "$work/pg.log" -o "-p $port -k $work -c listen_addresses=127.0.0.1 -c shared_buffers=256MB" start >/dev/null
dotnet run -c Release --project bench/query -- "Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres" "${1:-200}" "${2:-}"

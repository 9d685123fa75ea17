#!/usr/bin/env bash
# Runs the whole test suite against real servers: embedded Garnet and SQLite in-process, plus a
# redis-server and a throw-away PostgreSQL cluster started here on free loopback ports. As root it
# installs what is missing with apt. The servers stop however the run ends.
set -euo pipefail
cd "$(dirname "$0")"

# Optional: one test project to run instead of the whole solution (then any dotnet test options, such as
# --filter), for a quicker loop while developing,
# e.g. ./test.sh tests/DataPlatform.Catalog.Tests
target="${1:-DataPlatform.sln}"
shift || true

log() { printf '\n== %s\n' "$*"; }

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

install_missing() {
  local missing=()
  command -v redis-server >/dev/null || missing+=(redis-server)
  [ -n "$(pg_bin)" ] && [ -x "$(pg_bin)/initdb" ] || missing+=(postgresql)
  command -v chromium >/dev/null || missing+=(chromium)
  command -v sqlite3 >/dev/null || missing+=(sqlite3)
  # The GraphQL schema test checks introspection with graphql-js, the reference implementation, as Debian packages it.
  command -v node >/dev/null || missing+=(nodejs)
  [ -f /usr/share/nodejs/graphql/package.json ] || missing+=(node-graphql)
  # The download test runs the README's verification commands, which use curl, jq and openssl.
  command -v curl >/dev/null || missing+=(curl)
  command -v jq >/dev/null || missing+=(jq)
  command -v openssl >/dev/null || missing+=(openssl)
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "Missing: ${missing[*]}. Install them (apt-get install ${missing[*]}) or run this script as root." >&2
    exit 1
  fi
  log "Installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# free_port comes from the helpers the benchmarks share.
source bench/lib.sh

work=""
redis_pid=""
pg_data=""
as_pg=()

cleanup() {
  set +e
  if [ -n "$redis_pid" ]; then kill "$redis_pid" 2>/dev/null; wait "$redis_pid" 2>/dev/null; fi
  if [ -n "$pg_data" ] && [ -f "$pg_data/postmaster.pid" ]; then
    "${as_pg[@]}" "$(pg_bin)/pg_ctl" -D "$pg_data" -m immediate stop >/dev/null 2>&1
  fi
  [ -n "$work" ] && rm -rf "$work"
}
trap cleanup EXIT INT TERM

install_missing

work=$(mktemp -d /tmp/dataplatform-test.XXXXXX)
chmod 755 "$work"

log "Starting redis-server"
redis_port=$(free_port)
redis-server --bind 127.0.0.1 --port "$redis_port" --save '' --appendonly no \
  --dir "$work" --logfile "$work/redis.log" --daemonize no &
redis_pid=$!

log "Starting PostgreSQL"
pg_port=$(free_port)
pg_data="$work/pg"
mkdir -p "$pg_data"
if [ "$(id -u)" -eq 0 ]; then
  # initdb refuses to run as root, so the cluster belongs to the postgres user that the package creates.
  chown postgres "$pg_data"
  as_pg=(runuser -u postgres --)
fi
"${as_pg[@]}" "$(pg_bin)/initdb" -D "$pg_data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
"${as_pg[@]}" "$(pg_bin)/pg_ctl" -D "$pg_data" -w -l "$pg_data/server.log" \
  -o "-p $pg_port -k $pg_data -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
  start >/dev/null

# A loaded machine can take a while to start redis-server; wait up to 60 s, then say so.
redis_up=""
for _ in $(seq 600); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$redis_port") 2>/dev/null; then redis_up=1; break; fi
  sleep 0.1
done
if [ -z "$redis_up" ]; then
  echo "redis-server did not start on port $redis_port; its log:" >&2
  cat "$work/redis.log" >&2
  exit 1
fi

export DATAPLATFORM_TEST_REDIS="127.0.0.1:$redis_port"
export DATAPLATFORM_TEST_POSTGRES="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=postgres"
export DATAPLATFORM_TEST_CHROMIUM="$(command -v chromium)"
# Tests that stop and restart Redis start a redis-server of their own from this binary, leaving the shared one alone.
export DATAPLATFORM_TEST_REDIS_SERVER_BIN="$(command -v redis-server)"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
echo "redis-server on $DATAPLATFORM_TEST_REDIS, PostgreSQL on 127.0.0.1:$pg_port"

log "Restoring"
dotnet restore DataPlatform.sln --nologo -v quiet

log "Checking format (dotnet format --verify-no-changes)"
dotnet format DataPlatform.sln --verify-no-changes --no-restore

log "Building"
dotnet build DataPlatform.sln --no-restore --nologo -v quiet -clp:ErrorsOnly

log "Testing"
set +e
dotnet test "$target" --no-build --nologo --logger "console;verbosity=normal" "$@" 2>&1 | tee "$work/test.log"
status=${PIPESTATUS[0]}
set -e

passed=$( (grep -oE 'Passed: +[0-9]+' "$work/test.log" || true) | awk '{s+=$2} END {print s+0}')
failed=$( (grep -oE 'Failed: +[0-9]+' "$work/test.log" || true) | awk '{s+=$2} END {print s+0}')
echo
echo "$passed passed, $failed failed"
exit "$status"

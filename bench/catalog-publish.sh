#!/usr/bin/env bash
# Publishes a synthetic CSV through the catalog's API on SQLite and on PostgreSQL, and compares the time with
# the databases' own bulk loaders on the same file: `sqlite3 .import` and `psql \copy`. Prints the ratios
# (loader time / publish time; 1.0 means as fast as the loader) and the catalog's peak memory.
#
#   bench/catalog-publish.sh [rows] [rounds]     # default 1000000 rows (about 120 MB), 3 rounds
#
# Needs the .NET SDK, sqlite3, PostgreSQL's server binaries (initdb, pg_ctl, psql), curl and openssl. As root
# it runs PostgreSQL as the postgres user, as test.sh does.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

rows="${1:-1000000}"
rounds="${2:-3}"
work=$(mktemp -d /tmp/catalog-bench.XXXXXX)
chmod 755 "$work"
catalog_pid=""
pg_data=""
as_pg=()
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
cleanup() {
  set +e
  [ -n "$catalog_pid" ] && kill "$catalog_pid" 2>/dev/null && wait "$catalog_pid" 2>/dev/null
  [ -n "$pg_data" ] && [ -f "$pg_data/postmaster.pid" ] && "${as_pg[@]}" "$(pg_bin)/pg_ctl" -D "$pg_data" -m immediate stop >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

echo "== Building (Release)"
dotnet build catalog/DataPlatform.Catalog -c Release --nologo -v quiet -clp:ErrorsOnly
catalog_dll=$(ls catalog/DataPlatform.Catalog/bin/Release/*/DataPlatform.Catalog.dll)

echo "== Generating $rows rows"
csv="$work/data.csv"
dotnet "$catalog_dll" generate "$rows" "$csv" >/dev/null
echo "   $(du -h "$csv" | cut -f1) in $csv"
warmup="$work/warmup.csv"
head -n $(( rows / 20 + 1 )) "$csv" > "$warmup"

# Publishes $csv to a catalog started with the given database setting; prints "seconds peak_rss_kb". The catalog
# builds no download files after a publish here (PrebuildFormats empty): that work follows the publish's answer and
# would only compete with the next measurement.
publish() {
  local database="$1" data="$work/data-$RANDOM" port secret start end
  port=$(free_port)
  mkdir -p "$data"
  dotnet "$catalog_dll" --DataPlatform:DataDirectory="$data" --DataPlatform:CatalogUrl="http://127.0.0.1:$port" \
    --DataPlatform:Database="$database" --Catalog:SeedSampleData=false --Logging:LogLevel:Default=Warning \
    --Logging:LogLevel:DataPlatform.Catalog.Publishing=Information --Logging:Console:FormatterName=simple \
    --Catalog:SpoolDirectory="$work" --Catalog:Downloads:PrebuildFormats= >"$data/catalog.log" 2>&1 &
  catalog_pid=$!
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1 && break; sleep 0.2; done
  secret=$(cat "$data/consumer-context.secret")
  curl -sS --fail-with-body -X PUT "http://127.0.0.1:$port/api/v1/datasets/bench" -H "$(context_header "$secret")" -H 'Content-Type: application/json' \
    -d '{"title":{"vi":"Đo tốc độ","en":"Benchmark"},"description":{"vi":"Dữ liệu giả lập","en":"Synthetic"},
         "publisher":{"id":"bench","name":"Bench"},"contactPoint":{"name":"Bench","email":"bench@example.vn"},
         "licence":{"id":"CC-BY-4.0","url":"https://creativecommons.org/licenses/by/4.0/"},"accessLevel":"open",
         "columns":[{"name":"record_id","type":"integer","key":true}]}' >/dev/null
  # A running service has published before. The first publishes after a start also pay for the runtime's
  # tiered compilation of the loader (measured at up to a fifth of the CPU of a cold 1M-row publish), so three
  # publishes of a 5% file warm it up first, as a service in use would be.
  for _ in 1 2 3; do
    curl -sS --fail-with-body -X POST "http://127.0.0.1:$port/api/v1/datasets/bench/versions" -H "$(context_header "$secret")" \
      -H 'Content-Type: text/csv' -T "$warmup" -o /dev/null
  done
  sleep 3
  start=$(seconds)
  curl -sS --fail-with-body -X POST "http://127.0.0.1:$port/api/v1/datasets/bench/versions" -H "$(context_header "$secret")" \
    -H 'Content-Type: text/csv' -T "$csv" -o "$data/result.json"
  end=$(seconds)
  local rss
  rss=$(awk '/VmHWM/ {print $2}' "/proc/$catalog_pid/status")
  kill "$catalog_pid"; wait "$catalog_pid" 2>/dev/null || true; catalog_pid=""
  grep -q "\"rowCount\":$rows" "$data/result.json" || { echo "publish failed: $(cat "$data/result.json")" >&2; exit 1; }
  grep -o 'Published version.*\|did not fit.*' "$data/catalog.log" | sed 's/^/   /' >&2
  echo "$(echo "$end - $start" | bc) $rss"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# Each round times a publish (a fresh catalog process each time) and then the engine's own loader on the same
# file, so both see the same state of the machine; the medians of the rounds are compared.
echo "== SQLite ($rounds rounds)"
: > "$work/sqlite.times"
for round in $(seq "$rounds"); do
  read -r ours rss < <(publish "")
  rm -f "$work/import.db"
  start=$(seconds)
  sqlite3 "$work/import.db" -cmd ".mode csv" ".import $csv plain"
  end=$(seconds)
  echo "$ours $(echo "$end - $start" | bc) $rss" >> "$work/sqlite.times"
  echo "   round $round: publish $ours s, .import $(echo "$end - $start" | bc) s"
done

echo "== PostgreSQL ($rounds rounds)"
pg_port=$(free_port)
pg_data="$work/pg"
mkdir -p "$pg_data"
if [ "$(id -u)" -eq 0 ]; then chown postgres "$pg_data"; as_pg=(runuser -u postgres --); fi
"${as_pg[@]}" "$(pg_bin)/initdb" -D "$pg_data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
"${as_pg[@]}" "$(pg_bin)/pg_ctl" -D "$pg_data" -w -l "$pg_data/server.log" \
  -o "-p $pg_port -k $pg_data -c listen_addresses=127.0.0.1" start >/dev/null
psql_cmd=(psql -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres -v ON_ERROR_STOP=1 -q)
: > "$work/pg.times"
for round in $(seq "$rounds"); do
  read -r ours rss < <(publish "Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=postgres")
  "${psql_cmd[@]}" -c "DROP TABLE IF EXISTS plain" -c "CREATE TABLE plain (record_id bigint, province_code text, province_name text, agency text, year bigint, headcount bigint, female_share numeric, updated_at timestamptz, note text)"
  start=$(seconds)
  "${psql_cmd[@]}" -c "\\copy plain FROM '$csv' WITH (FORMAT csv, HEADER true)"
  end=$(seconds)
  echo "$ours $(echo "$end - $start" | bc) $rss" >> "$work/pg.times"
  echo "   round $round: publish $ours s, \\copy $(echo "$end - $start" | bc) s"
done

printf '\n%-12s %10s %16s %16s %14s %14s\n' engine rows "publish s (med)" "loader s (med)" "ratio of meds" "peak RSS MB"
for engine in SQLite PostgreSQL; do
  file="$work/sqlite.times"; [ "$engine" = PostgreSQL ] && file="$work/pg.times"
  ours=$(cut -d' ' -f1 "$file" | median); base=$(cut -d' ' -f2 "$file" | median); rss=$(cut -d' ' -f3 "$file" | sort -n | tail -n 1)
  printf '%-12s %10s %16.2f %16.2f %14.2f %14d\n' "$engine" "$rows" "$ours" "$base" "$(echo "$base / $ours" | bc -l)" $((rss / 1024))
done

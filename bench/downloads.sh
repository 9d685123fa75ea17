#!/usr/bin/env bash
# Downloads a materialised CSV of a published dataset three ways and compares them:
#   disk     the cached file read straight from disk (dd to /dev/null, page cache warm);
#   catalog  GET …/download.csv from the catalog directly;
#   gateway  GET …/download.csv through the gateway, which is handed the file and sends it from disk itself;
# and, for reference, through a second gateway with the handoff turned off (bytes proxied by YARP).
# Prints MB/s (one stream, and four concurrent streams), the ratios to direct, and the peak memory of the
# catalog and the gateway; then repeats with more rows to show that memory stays flat as the file grows, for the
# cached file and for a filtered export streamed from the database.
#
#   bench/downloads.sh [rows] [more rows]      # default 1000000 and 5000000 (about 120 MB and 600 MB of CSV)
#
# Needs the .NET SDK, curl, openssl and bc. Runs on SQLite (the embedded default).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

rows_small="${1:-1000000}"
rows_large="${2:-5000000}"
work=$(mktemp -d /tmp/downloads-bench.XXXXXX)
pids=()
cleanup() {
  set +e
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

wait_ready() { for _ in $(seq 150); do curl -fs "$1/health/live" >/dev/null 2>&1 && return; sleep 0.2; done; echo "$1 did not start" >&2; exit 1; }
peak_mb() { awk '/VmHWM/ {printf "%d", $2 / 1024}' "/proc/$1/status"; }
reset_peak() { echo 5 > "/proc/$1/clear_refs" 2>/dev/null || true; }

echo "== Building (Release)"
dotnet build catalog/DataPlatform.Catalog -c Release --nologo -v quiet -clp:ErrorsOnly
dotnet build gateway/DataPlatform.Gateway -c Release --nologo -v quiet -clp:ErrorsOnly
catalog_dll=$(ls catalog/DataPlatform.Catalog/bin/Release/*/DataPlatform.Catalog.dll)
gateway_dll=$(ls gateway/DataPlatform.Gateway/bin/Release/*/DataPlatform.Gateway.dll)

data="$work/data"
mkdir -p "$data"
catalog_port=$(free_port)
catalog="http://127.0.0.1:$catalog_port"
common=(--DataPlatform:DataDirectory="$data" --DataPlatform:CatalogUrl="$catalog" --Logging:LogLevel:Default=Warning
  --Logging:Console:FormatterName=simple --Gateway:Anonymous:BurstPerSecond=100000 --Gateway:Anonymous:RequestsPerMinute=1000000)
dotnet "$catalog_dll" "${common[@]}" --Catalog:SeedSampleData=false --Catalog:SpoolDirectory="$work" >"$work/catalog.log" 2>&1 &
catalog_pid=$!; pids+=("$catalog_pid")
wait_ready "$catalog"
secret=$(cat "$data/consumer-context.secret")

start_gateway() {
  local port; port=$(free_port)
  dotnet "$gateway_dll" "${common[@]}" --DataPlatform:GatewayUrl="http://127.0.0.1:$port" "$@" >"$work/gateway-$port.log" 2>&1 &
  local pid=$!
  wait_ready "http://127.0.0.1:$port" >&2
  echo "$pid http://127.0.0.1:$port"
}
read -r gateway_pid gateway < <(start_gateway)
pids+=("$gateway_pid")
read -r proxy_pid proxy < <(start_gateway --Gateway:Downloads:Handoff=false)
pids+=("$proxy_pid")

publish() {
  local id="$1" rows="$2" csv="$work/$1.csv"
  dotnet "$catalog_dll" generate "$rows" "$csv" >/dev/null
  curl -fs -X PUT "$catalog/api/v1/datasets/$id" -H "$(context_header "$secret")" -H 'Content-Type: application/json' \
    -d '{"title":{"vi":"Đo tốc độ tải xuống","en":"Download benchmark"},"description":{"vi":"Dữ liệu giả lập","en":"Synthetic"},
         "publisher":{"id":"bench","name":"Bench"},"contactPoint":{"name":"Bench","email":"bench@example.vn"},
         "licence":{"id":"CC-BY-4.0","url":"https://creativecommons.org/licenses/by/4.0/"},"accessLevel":"open",
         "columns":[{"name":"record_id","type":"integer","key":true}]}' >/dev/null
  curl -fs -X POST "$catalog/api/v1/datasets/$id/versions" -H "$(context_header "$secret")" -H 'Content-Type: text/csv' -T "$csv" -o /dev/null
  rm -f "$csv"
}

# MB/s of one download of $1 (median of five), and of four concurrent ones (aggregate, median of three).
speed() {
  local url="$1" runs=() start end
  for _ in 1 2 3 4 5; do runs+=("$(curl -fs -o /dev/null -w '%{speed_download}' "$url")"); done
  local single; single=$(printf '%s\n' "${runs[@]}" | sort -g | sed -n 3p)
  local aggregates=()
  for _ in 1 2 3; do
    start=$(seconds)
    local curls=()
    for _ in 1 2 3 4; do curl -fs -o /dev/null "$url" & curls+=("$!"); done
    wait "${curls[@]}"
    end=$(seconds)
    aggregates+=("$(echo "4 * $size / ($end - $start)" | bc -l)")
  done
  local four; four=$(printf '%s\n' "${aggregates[@]}" | sort -g | sed -n 2p)
  echo "$(echo "$single / 1048576" | bc -l) $(echo "$four / 1048576" | bc -l)"
}

measure() {
  local id="$1" rows="$2"
  echo "== $rows rows: publishing" >&2
  publish "$id" "$rows"
  reset_peak "$catalog_pid"
  local start end
  start=$(seconds)
  curl -fs -o /dev/null "$catalog/api/v1/datasets/$id/download.csv"
  end=$(seconds)
  local build_s; build_s=$(echo "$end - $start" | bc)
  local build_mb; build_mb=$(peak_mb "$catalog_pid")
  file=$(ls "$data"/downloads/*/public/data.csv | xargs ls -t | head -1)
  size=$(stat -c %s "$file")
  echo "== $rows rows: $(( size / 1048576 )) MiB, materialised in ${build_s}s; measuring" >&2
  dd if="$file" of=/dev/null bs=1M status=none
  local disk_start disk_end
  disk_start=$(seconds); dd if="$file" of=/dev/null bs=1M status=none; disk_end=$(seconds)
  local disk; disk=$(echo "$size / ($disk_end - $disk_start) / 1048576" | bc -l)
  reset_peak "$catalog_pid"; reset_peak "$gateway_pid"; reset_peak "$proxy_pid"
  for url in "$catalog" "$gateway" "$proxy"; do curl -fs -o /dev/null "$url/api/v1/datasets/$id/download.csv"; done
  read -r direct direct4 < <(speed "$catalog/api/v1/datasets/$id/download.csv")
  read -r handoff handoff4 < <(speed "$gateway/api/v1/datasets/$id/download.csv")
  read -r proxied proxied4 < <(speed "$proxy/api/v1/datasets/$id/download.csv")
  local catalog_mb gateway_mb proxy_mb
  catalog_mb=$(peak_mb "$catalog_pid"); gateway_mb=$(peak_mb "$gateway_pid"); proxy_mb=$(peak_mb "$proxy_pid")
  # A filtered export streams from the database through the gateway; the catalog's peak memory while it runs.
  reset_peak "$catalog_pid"
  start=$(seconds)
  local filtered_bytes
  filtered_bytes=$(curl -fs -o /dev/null -w '%{size_download}' "$gateway/api/v1/datasets/$id/download.csv?\$filter=record_id%20gt%200")
  end=$(seconds)
  local filtered_s; filtered_s=$(echo "$end - $start" | bc)
  local filtered_mb; filtered_mb=$(peak_mb "$catalog_pid")
  printf '%s %s %s %s %s %s %s %s %s %s %s %s %s %s %s %s\n' "$rows" "$size" "$disk" "$direct" "$direct4" "$handoff" "$handoff4" \
    "$proxied" "$proxied4" "$catalog_mb" "$gateway_mb" "$proxy_mb" "$build_s" "$build_mb" "$filtered_s" "$filtered_mb"
}

results=()
results+=("$(measure small "$rows_small")")
results+=("$(measure large "$rows_large")")

echo
printf '%-9s %8s | %9s %9s %9s %9s | %7s %7s | %7s %7s\n' rows MiB "disk" "catalog" "gateway" "proxied" "gw/dir" "px/dir" "gw/dir4" "px/dir4"
for line in "${results[@]}"; do
  read -r rows size disk direct direct4 handoff handoff4 proxied proxied4 catalog_mb gateway_mb proxy_mb build_s build_mb filtered_s filtered_mb <<<"$line"
  printf '%-9s %8d | %9.0f %9.0f %9.0f %9.0f | %7.2f %7.2f | %7.2f %7.2f   (MB/s, one stream; ratios one stream and 4 streams)\n' \
    "$rows" $((size / 1048576)) "$disk" "$direct" "$handoff" "$proxied" \
    "$(echo "$handoff / $direct" | bc -l)" "$(echo "$proxied / $direct" | bc -l)" \
    "$(echo "$handoff4 / $direct4" | bc -l)" "$(echo "$proxied4 / $direct4" | bc -l)"
  printf '%-9s 4 streams: catalog %.0f, gateway %.0f, proxied %.0f MB/s aggregate\n' "" "$direct4" "$handoff4" "$proxied4"
  printf '%-9s peak RSS MB while serving: catalog %d, gateway %d, proxying gateway %d\n' "" "$catalog_mb" "$gateway_mb" "$proxy_mb"
  printf '%-9s materialising: %.1f s, catalog peak %d MB; filtered export through the gateway: %.1f s, catalog peak %d MB\n' "" \
    "$build_s" "$build_mb" "$filtered_s" "$filtered_mb"
done

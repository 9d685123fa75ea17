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
# Every server is warmed with the same seconds of downloads before it is measured (a gateway fresh from start runs
# its send path in unoptimised code for dozens of requests, while the catalog has just published), and the setups
# are then measured in interleaved rounds, in a rotating order, so that all of them see the same state of the
# machine; the figures are medians of the rounds. Each gateway has its own data folder, so that each runs its own
# embedded Garnet and usage journal (two processes must not share one append-only log).
#
#   bench/downloads.sh [rows] [more rows] [rounds]   # default 1000000 and 5000000 rows (about 120 MB and 600 MB of
#                                                    # CSV), 7 rounds
#
# Needs the .NET SDK, curl, openssl and bc. Runs on SQLite (the embedded default).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

rows_small="${1:-1000000}"
rows_large="${2:-5000000}"
rounds="${3:-7}"
warm_seconds=10
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
# No download files are built after a publish here (PrebuildFormats empty), so that the first download measures
# how long a file takes to materialise.
dotnet "$catalog_dll" "${common[@]}" --Catalog:SeedSampleData=false --Catalog:SpoolDirectory="$work" --Catalog:Downloads:PrebuildFormats= \
  >"$work/catalog.log" 2>&1 &
catalog_pid=$!; pids+=("$catalog_pid")
wait_ready "$catalog"
secret=$(cat "$data/consumer-context.secret")

start_gateway() {
  local port; port=$(free_port)
  local own="$work/gateway-$port"
  mkdir -p "$own"
  cp "$data/consumer-context.secret" "$own/"
  dotnet "$gateway_dll" "${common[@]}" --DataPlatform:DataDirectory="$own" --Gateway:Downloads:Directory="$data/downloads" \
    --DataPlatform:GatewayUrl="http://127.0.0.1:$port" "$@" >"$work/gateway-$port.log" 2>&1 &
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

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
load() { cut -d' ' -f1-3 /proc/loadavg; }

# Downloads $1 over and over for $warm_seconds seconds.
warm() {
  local until; until=$(echo "$(seconds) + $warm_seconds" | bc)
  while (( $(echo "$(seconds) < $until" | bc) )); do curl -fs -o /dev/null "$1"; done
}

# MB/s of one download of $1, and aggregate MB/s of four concurrent ones.
one_stream() { echo "$(curl -fs -o /dev/null -w '%{speed_download}' "$1") / 1048576" | bc -l; }
four_streams() {
  local start end curls=()
  start=$(seconds)
  for _ in 1 2 3 4; do curl -fs -o /dev/null "$1" & curls+=("$!"); done
  wait "${curls[@]}"
  end=$(seconds)
  echo "4 * $size / ($end - $start) / 1048576" | bc -l
}

# CPU time (ns) the processes $@ have used so far, threads that have ended included (user + system time from
# /proc/PID/stat); less noisy than MB/s on a shared machine.
ticks=$(getconf CLK_TCK)
cpu_ns() { for pid in "$@"; do cut -d' ' -f14,15 "/proc/$pid/stat"; done | awk -v tick="$ticks" '{ s += $1 + $2 } END { printf "%.0f", s * 1e9 / tick }'; }

# Interleaved rounds over the setups ("URL PID…" each: where to download and which processes serve it), the order
# rotating each round; prints, for each setup in the order given, the medians of one stream and of four streams
# (MiB/s) and the CPU its processes spent per 100 MiB sent.
compare() {
  local setups=("$@") n=$# singles=() fours=() cpu=() round i k before url pids
  for round in $(seq "$rounds"); do
    for k in $(seq 0 $((n - 1))); do
      i=$(( (k + round) % n ))
      read -r url pids <<<"${setups[i]}"
      before=$(cpu_ns $pids) # $pids unquoted: one PID or several
      singles[i]+="$(one_stream "$url") "
      fours[i]+="$(four_streams "$url") "
      cpu[i]=$(( ${cpu[i]:-0} + $(cpu_ns $pids) - before ))
    done
  done
  for i in $(seq 0 $((n - 1))); do
    printf '%s %s %s ' "$(printf '%s\n' ${singles[i]} | median)" "$(printf '%s\n' ${fours[i]} | median)" \
      "$(echo "${cpu[i]} / 1000000 / ($rounds * 5 * $size / 104857600)" | bc -l)"
  done
  echo
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
  local path="/api/v1/datasets/$id/download.csv"
  echo "== $rows rows: warming each server for ${warm_seconds}s (load average $(load))" >&2
  for url in "$catalog" "$gateway" "$proxy"; do warm "$url$path"; done
  echo "== $rows rows: $rounds interleaved rounds (load average $(load))" >&2
  read -r direct direct4 direct_cpu handoff handoff4 handoff_cpu proxied proxied4 proxied_cpu < <(compare \
    "$catalog$path $catalog_pid" "$gateway$path $gateway_pid $catalog_pid" "$proxy$path $proxy_pid $catalog_pid")
  echo "== $rows rows: done (load average $(load))" >&2
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
  printf '%s %s %s %s %s %s %s %s %s %s %s %s %s %s %s %s %s %s %s\n' "$rows" "$size" "$disk" "$direct" "$direct4" "$handoff" "$handoff4" \
    "$proxied" "$proxied4" "$catalog_mb" "$gateway_mb" "$proxy_mb" "$build_s" "$build_mb" "$filtered_s" "$filtered_mb" \
    "$direct_cpu" "$handoff_cpu" "$proxied_cpu"
}

results=()
results+=("$(measure small "$rows_small")")
results+=("$(measure large "$rows_large")")

echo
echo "MiB/s, medians of $rounds interleaved rounds after ${warm_seconds}s of warm-up per server; load average now $(load)"
printf '%-9s %8s | %9s %9s %9s %9s | %7s %7s | %7s %7s\n' rows MiB "disk" "catalog" "gateway" "proxied" "gw/dir" "px/dir" "gw/dir4" "px/dir4"
for line in "${results[@]}"; do
  read -r rows size disk direct direct4 handoff handoff4 proxied proxied4 catalog_mb gateway_mb proxy_mb build_s build_mb filtered_s filtered_mb \
    direct_cpu handoff_cpu proxied_cpu <<<"$line"
  printf '%-9s %8d | %9.0f %9.0f %9.0f %9.0f | %7.2f %7.2f | %7.2f %7.2f   (MB/s, one stream; ratios one stream and 4 streams)\n' \
    "$rows" $((size / 1048576)) "$disk" "$direct" "$handoff" "$proxied" \
    "$(echo "$handoff / $direct" | bc -l)" "$(echo "$proxied / $direct" | bc -l)" \
    "$(echo "$handoff4 / $direct4" | bc -l)" "$(echo "$proxied4 / $direct4" | bc -l)"
  printf '%-9s 4 streams: catalog %.0f, gateway %.0f, proxied %.0f MB/s aggregate\n' "" "$direct4" "$handoff4" "$proxied4"
  printf '%-9s server CPU ms per 100 MiB sent: catalog %.0f, gateway + catalog %.0f, proxied + catalog %.0f\n' "" \
    "$direct_cpu" "$handoff_cpu" "$proxied_cpu"
  printf '%-9s peak RSS MB while serving: catalog %d, gateway %d, proxying gateway %d\n' "" "$catalog_mb" "$gateway_mb" "$proxy_mb"
  printf '%-9s materialising: %.1f s, catalog peak %d MB; filtered export through the gateway: %.1f s, catalog peak %d MB\n' "" \
    "$build_s" "$build_mb" "$filtered_s" "$filtered_mb"
done

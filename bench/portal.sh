#!/usr/bin/env bash
# The portal's pages against the API calls they are built from, on the one-command platform (the launcher, SQLite and
# embedded Garnet, the sample datasets), in Release:
#   pages   home, a search, a dataset page with its preview, the same page's chart tab: pages per second and p50/p99
#           through the gateway, as a browser asks for them;
#   calls   the API calls each page makes (read from the portal's own HTTP client log while it renders the page once),
#           replayed through the gateway and straight to the catalog;
#   weight  each page's HTML, CSS and JavaScript as a browser transfers them compressed (Brotli);
#   audit   Lighthouse (performance, accessibility, best practices, SEO) on each page, with Debian's chromium,
#           when npm can install it (AUDIT=0 skips it).
# Every page and call is measured with wrk in interleaved rounds, so that all of them see the same state of the machine;
# the figures are medians of the rounds. A page's cost is set against the sum of its calls' costs twice: in latency
# (p50 of the page / sum of the calls' p50), and in machine time per request at saturation (1/RPS of the page /
# sum of 1/RPS of the calls).
#
#   bench/portal.sh                      # ROUNDS=3 DURATION=5s CONNECTIONS=8 by default
#
# Needs the .NET SDK, curl, wrk (apt-get install wrk; installed when run as root) and, for the audit, npm.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

rounds="${ROUNDS:-3}"
duration="${DURATION:-5s}"
connections="${CONNECTIONS:-8}"
audit="${AUDIT:-1}"
work=$(mktemp -d /tmp/portal-bench.XXXXXX)
launcher_pid=""
cleanup() {
  set +e
  if [ -n "$launcher_pid" ]; then kill "$launcher_pid" 2>/dev/null; wait "$launcher_pid" 2>/dev/null; fi
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

if ! command -v wrk >/dev/null; then
  if [ "$(id -u)" -eq 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
  else
    echo "wrk is missing: apt-get install wrk" >&2; exit 1
  fi
fi

echo "== Building (Release)"
dotnet build src/DataPlatform.AppHost -c Release --nologo -v quiet -clp:ErrorsOnly
apphost=$(ls src/DataPlatform.AppHost/bin/Release/*/DataPlatform.AppHost.dll)

port=$(free_port)
gateway="http://127.0.0.1:$port"
# The portal's HTTP client logs each call it makes (with its query string: no key travels in these anonymous calls), so
# that the calls replayed below are exactly the page's.
DOTNET_SYSTEM_NET_HTTP_DISABLEURIREDACTION=true dotnet "$apphost" \
  --DataPlatform:DataDirectory="$work/data" --DataPlatform:GatewayUrl="$gateway" \
  --Gateway:Anonymous:BurstPerSecond=1000000 --Gateway:Anonymous:RequestsPerMinute=100000000 \
  --Logging:LogLevel:Default=Warning --Logging:LogLevel:System.Net.Http.HttpClient.GatewayClient.LogicalHandler=Information \
  --Logging:Console:FormatterName=simple --Logging:Console:FormatterOptions:SingleLine=true >"$work/platform.log" 2>&1 &
launcher_pid=$!
for _ in $(seq 300); do grep -q "Catalog (internal)" "$work/platform.log" && break; sleep 0.2; done
catalog=$(awk '/Catalog \(internal\)/ {print $3}' "$work/platform.log")
[ -n "$catalog" ] || { cat "$work/platform.log" >&2; echo "the platform did not start" >&2; exit 1; }
echo "platform on $gateway, catalog $catalog"

dataset=don-vi-hanh-chinh-cap-tinh-2025
declare -A pages=(
  [home]="/"
  [search]="/datasets?q=ha+noi"
  [preview]="/datasets/$dataset"
  [chart]="/datasets/chi-so-par-index-sipas?tab=chart"
)
order=(home search preview chart)

# The calls the portal makes for one page: render it once and read them from the log.
calls_of() {
  local before; before=$(wc -l <"$work/platform.log")
  curl -fs -o /dev/null -H 'Accept: text/html' "$gateway$1"
  sleep 0.5
  tail -n +"$((before + 1))" "$work/platform.log" | grep -o "Start processing HTTP request GET [^ ]*" | awk '{print $6}' | sed "s#^$gateway##"
}

targets=() # "name url" per line, each measured with wrk
for page in "${order[@]}"; do
  targets+=("page:$page $gateway${pages[$page]}")
  i=0
  while read -r call; do
    [ -n "$call" ] || continue
    i=$((i + 1))
    targets+=("gw:$page:$i $gateway$call" "direct:$page:$i $catalog$call")
    echo "$page call $i: $call"
  done < <(calls_of "${pages[$page]}")
done

# Warm every target so that none is measured in unoptimised code.
for target in "${targets[@]}"; do
  read -r name url <<<"$target"
  wrk -t2 -c"$connections" -d2s -H 'Accept: text/html' "$url" >/dev/null
done

# wrk's figures as "RPS p50_ms p99_ms".
parse() {
  python3 - "$1" <<'EOF'
import re, sys
text = open(sys.argv[1]).read()
def ms(label):
    m = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\b", text, re.M)
    value, unit = float(m.group(1)), m.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
if errors:
    raise SystemExit(f"{sys.argv[1]}: {errors.group(1)} error responses\n{text}")
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
print(f"{rps} {ms('50')} {ms('99')}")
EOF
}

echo "== $rounds interleaved rounds of $duration, $connections connections (load average $(cut -d' ' -f1-3 /proc/loadavg))"
n=${#targets[@]}
for round in $(seq "$rounds"); do
  for k in $(seq 0 $((n - 1))); do
    i=$(( (k + round) % n ))
    read -r name url <<<"${targets[i]}"
    wrk -t2 -c"$connections" -d"$duration" --latency -H 'Accept: text/html' "$url" >"$work/$name.$round.txt"
    parse "$work/$name.$round.txt" >"$work/$name.$round.fig"
  done
done
echo "== done (load average $(cut -d' ' -f1-3 /proc/loadavg))"

# Compressed weight of each page: its HTML and every stylesheet and script it links, as a browser asks for them.
weight() {
  local html="$work/page.html" total
  total=$(curl -fs --compressed -H 'Accept: text/html' -H 'Accept-Encoding: br, gzip' -o "$html" -w '%{size_download}' "$gateway$1")
  for asset in $(grep -oE '(href|src)="/assets/[^"]+"' "$html" | sed -E 's/^(href|src)="//; s/"$//; s/&amp;/\&/g' | sort -u); do
    total=$((total + $(curl -fs --compressed -H 'Accept-Encoding: br, gzip' -o /dev/null -w '%{size_download}' "$gateway$asset")))
  done
  echo "$total"
}

declare -A scores
if [ "$audit" = 1 ] && command -v npm >/dev/null && command -v chromium >/dev/null; then
  # Lighthouse 12.2.3 is the newest that runs on Debian's Node 20.
  lighthouse="${LIGHTHOUSE_DIR:-$HOME/.cache/dataplatform-lighthouse}"
  if [ ! -x "$lighthouse/node_modules/.bin/lighthouse" ]; then
    mkdir -p "$lighthouse"
    (cd "$lighthouse" && npm i -E --silent --no-audit --no-fund lighthouse@12.2.3 >/dev/null 2>&1) || echo "npm could not install Lighthouse; no audit" >&2
  fi
  if [ -x "$lighthouse/node_modules/.bin/lighthouse" ]; then
    for page in "${order[@]}"; do
      CHROME_PATH=$(command -v chromium) "$lighthouse/node_modules/.bin/lighthouse" "$gateway${pages[$page]}" --quiet \
        --chrome-flags="--headless=new --no-sandbox --disable-gpu" --only-categories=performance,accessibility,best-practices,seo \
        --output=json --output-path="$work/lighthouse-$page.json" >/dev/null 2>&1 || true
      scores[$page]=$(python3 - "$work/lighthouse-$page.json" <<'EOF'
import json, sys
try:
    report = json.load(open(sys.argv[1]))
except Exception:
    print("failed"); raise SystemExit
c = report["categories"]
failing = [a["title"] for a in report["audits"].values() if a.get("score") is not None and a["score"] < 0.9 and a.get("scoreDisplayMode") in ("binary", "numeric")]
print(" / ".join(str(round((c[k]["score"] or 0) * 100)) for k in ["performance", "accessibility", "best-practices", "seo"])
      + ("  below 0.9: " + "; ".join(failing[:6]) if failing else ""))
EOF
)
    done
  fi
fi

python3 - "$work" "$rounds" "${order[@]}" <<'EOF'
import statistics, sys, pathlib
work, rounds, order = pathlib.Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
def fig(name):
    runs = [list(map(float, (work / f"{name}.{r}.fig").read_text().split())) for r in range(1, rounds + 1)]
    return tuple(statistics.median(run[i] for run in runs) for i in range(3))
print("\n| page | pages/s | p50 ms | p99 ms | calls | calls via gateway: sum p50 ms | direct to catalog: sum p50 ms | page p50 / gateway calls | page cost / gateway calls' cost | page cost / direct calls' cost |")
print("|---|---|---|---|---|---|---|---|---|---|")
for page in order:
    rps, p50, p99 = fig(f"page:{page}")
    calls = sorted({p.name.split(".")[0] for p in work.glob(f"gw:{page}:*.1.fig")})
    gw = [fig(c) for c in calls]
    direct = [fig(c.replace("gw:", "direct:")) for c in calls]
    gw_p50, direct_p50 = sum(c[1] for c in gw), sum(c[1] for c in direct)
    gw_cost, direct_cost = sum(1 / c[0] for c in gw), sum(1 / c[0] for c in direct)
    ratio = lambda a, b: f"{a / b:.2f}" if b else "-"
    print(f"| {page} | {rps:.0f} | {p50:.2f} | {p99:.2f} | {len(calls)} | {gw_p50:.2f} | {direct_p50:.2f} | {ratio(p50, gw_p50)} | {ratio(1 / rps, gw_cost)} | {ratio(1 / rps, direct_cost)} |")
EOF

echo
echo "| page | HTML + CSS + JS, compressed | Lighthouse: performance / accessibility / best practices / SEO |"
echo "|---|---|---|"
for page in "${order[@]}"; do
  printf '| %s | %s bytes | %s |\n' "$page" "$(weight "${pages[$page]}")" "${scores[$page]:-not run}"
done
echo
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GB", $2 / 1048576}' /proc/meminfo); load average now $(cut -d' ' -f1-3 /proc/loadavg)"

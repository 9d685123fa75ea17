#!/usr/bin/env bash
# The gateway benchmark, in one command: ./bench/gateway.sh
# Three setups in front of the same 1 KB JSON upstream, measured with wrk in interleaved rounds on this machine:
#   direct   the upstream itself
#   yarp     a bare YARP 2.3 pass-through, no policies
#   gateway  the full gateway: API key, limits and quotas (one EVALSHA per request or fewer), metering (journal + batched flush)
#   (and, at low load only, the same gateway with every request waiting for its limiter decision)
# It prints RPS, p50 and p99 per setup (median of the rounds), the ratios, and Redis commands per proxied request
# from INFO commandstats; then the throughput of a 50 MiB streamed download over 4 connections through each setup
# (the generic proxy path, as BASELINES.md measured it for a bare YARP). Needs wrk and redis-server (apt-get install wrk redis-server).
# ROUNDS=3 DURATION=10s by default; KEEP=<folder> keeps the raw wrk outputs; ANALYZE_ONLY=1 KEEP=<folder>
# prints the figures of a kept run again without measuring.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

rounds="${ROUNDS:-3}"
duration="${DURATION:-10s}"
work=${KEEP:-$(mktemp -d /tmp/gateway-bench.XXXXXX)}
mkdir -p "$work"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  sleep 2
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT INT TERM

wait_ready() { for _ in $(seq 200); do grep -q '^ready' "$1" 2>/dev/null && return 0; sleep 0.1; done; cat "$1"; exit 1; }

if [ -n "${ANALYZE_ONLY:-}" ]; then SKIP_RUN=1; fi
if [ -z "${SKIP_RUN:-}" ]; then
dotnet build bench/gateway -c Release --nologo -v quiet -clp:ErrorsOnly >/dev/null
bench="bench/gateway/bin/Release/net10.0/GatewayBench.dll"

redis_port=$(free_port)
redis-server --bind 127.0.0.1 --port "$redis_port" --save '' --appendonly no --dir "$work" --daemonize no >/dev/null &
pids+=($!)
direct="http://127.0.0.1:$(free_port)"
yarp="http://127.0.0.1:$(free_port)"
gateway="http://127.0.0.1:$(free_port)"
dotnet "$bench" upstream "$direct" >"$work/upstream.log" 2>&1 & pids+=($!)
wait_ready "$work/upstream.log"
dotnet "$bench" yarp "$yarp" "$direct" >"$work/yarp.log" 2>&1 & pids+=($!)
dotnet "$bench" gateway "$gateway" "$direct" "127.0.0.1:$redis_port" "$work/data" >"$work/gateway.log" 2>&1 & pids+=($!)
# The same gateway with every request waiting for its limiter decision before it goes upstream, measured at low
# load only: what forwarding reads while the decision is on its way (the default) does to latency.
waiting="http://127.0.0.1:$(free_port)"
Gateway__ForwardWhileDeciding=false dotnet "$bench" gateway "$waiting" "$direct" "127.0.0.1:$redis_port" "$work/data-waiting" >"$work/waiting.log" 2>&1 & pids+=($!)
wait_ready "$work/yarp.log"
wait_ready "$work/gateway.log"
wait_ready "$work/waiting.log"
declare -A front=([direct]=${pids[1]} [yarp]=${pids[2]} [gateway]=${pids[3]})
# CPU ticks (user + system) a process has used: CPU per request holds up better than RPS on a shared machine.
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
key=$(sed -n 's/^key=//p' "$work/gateway.log")
waiting_key=$(sed -n 's/^key=//p' "$work/waiting.log")

path="/api/v1/datasets/population/rows"
cat >"$work/paced.lua" <<'LUA'
function delay() return 4 end
LUA

run() { # name url connections threads extra-args...
  local name=$1 url=$2 connections=$3 threads=$4; shift 4
  local header=()
  [ "$name" = gateway ] && header=(-H "X-Api-Key: $key")
  [ "$name" = waiting ] && header=(-H "X-Api-Key: $waiting_key")
  wrk -t"$threads" -c"$connections" -d"$duration" --latency "${header[@]}" "$@" "$url${PATH_OVERRIDE:-$path}" >"$work/$name-$connections-$round${PACED:-}.txt"
}

echo "Warming up (10 s each)…"
for setup in direct yarp gateway waiting; do
  url_var=$setup; round=warm; run "$setup" "${!url_var}" 32 2 >/dev/null
done
uptime >"$work/load-before.txt"

redis-cli -p "$redis_port" CONFIG RESETSTAT >/dev/null
gateway_requests=0
for round in $(seq "$rounds"); do
  for setup in direct yarp gateway; do
    before="$(ticks "${front[$setup]}") $(ticks "${pids[1]}") $(ticks "${pids[0]}")"
    run "$setup" "${!setup}" 32 2
    echo "$before $(ticks "${front[$setup]}") $(ticks "${pids[1]}") $(ticks "${pids[0]}") $(getconf CLK_TCK)" >"$work/$setup-32-$round.cpu"
    PACED=-paced run "$setup" "${!setup}" 4 1 -s "$work/paced.lua"
    PACED=-download PATH_OVERRIDE=/api/v1/datasets/population/download run "$setup" "${!setup}" 4 2
  done
  PACED=-paced run waiting "$waiting" 4 1 -s "$work/paced.lua"
  echo "round $round done"
done
redis-cli -p "$redis_port" INFO commandstats >"$work/commandstats.txt"
uptime >"$work/load-after.txt"
fi

python3 - "$work" "$rounds" <<'PY'
import re, statistics, sys, pathlib
work, rounds = pathlib.Path(sys.argv[1]), int(sys.argv[2])
def ms(text):
    match = re.match(r"([\d.]+)(us|ms|s|m)", text)
    if match is None:
        raise SystemExit(f"cannot read the latency {text!r}")
    value, unit = match.groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]
def parse(path):
    text = path.read_text()
    if "Requests/sec" not in text:
        raise SystemExit(f"{path.name} holds no wrk result:\n{text}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    p50 = ms(re.search(r"^\s+50%\s+(\S+)", text, re.M).group(1))
    p99 = ms(re.search(r"^\s+99%\s+(\S+)", text, re.M).group(1))
    requests = int(re.search(r"(\d+) requests in", text).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    return rps, p50, p99, requests, int(non2xx.group(1)) if non2xx else 0
results, total_gateway, errors = {}, 0, 0
for load in ["32", "4-paced"]:
    for setup in ["direct", "yarp", "gateway"]:
        runs = [parse(work / f"{setup}-{load.split('-')[0]}-{r}{'-paced' if 'paced' in load else ''}.txt") for r in range(1, rounds + 1)]
        results[(setup, load)] = tuple(statistics.median(run[i] for run in runs) for i in range(3))
        if setup == "gateway":
            total_gateway += sum(run[3] for run in runs)
        errors += sum(run[4] for run in runs)
# The download runs and the waiting gateway go through the limiter too: their requests count in the Redis calls per request.
total_gateway += sum(parse(work / f"gateway-4-{r}-download.txt")[3] for r in range(1, rounds + 1))
waiting_runs = [parse(work / f"waiting-4-{r}-paced.txt") for r in range(1, rounds + 1)]
total_gateway += sum(run[3] for run in waiting_runs)
errors += sum(run[4] for run in waiting_runs)
waiting = tuple(statistics.median(run[i] for run in waiting_runs) for i in range(3))
stats = {m.group(1): int(m.group(2)) for m in re.finditer(r"cmdstat_(\w+):calls=(\d+)", (work / "commandstats.txt").read_text())}
stats.pop("config", None); stats.pop("info", None)
print(f"\n| load | measure | direct | bare YARP | full gateway |\n|---|---|---|---|---|")
for load, label in [("32", "32 connections"), ("4-paced", "4 connections, 4 ms pause")]:
    d, y, g = (results[(s, load)] for s in ["direct", "yarp", "gateway"])
    print(f"| {label} | RPS | {d[0]:,.0f} | {y[0]:,.0f} | {g[0]:,.0f} |")
    print(f"| {label} | p50 / p99 ms | {d[1]:.2f} / {d[2]:.2f} | {y[1]:.2f} / {y[2]:.2f} | {g[1]:.2f} / {g[2]:.2f} |")
d, y, g = (results[(s, "32")] for s in ["direct", "yarp", "gateway"])
print(f"\n- gateway / bare YARP RPS at 32 connections: **{g[0] / y[0]:.2f}**; bare YARP / direct: {y[0] / d[0]:.2f}")
d, y, g = (results[(s, "4-paced")] for s in ["direct", "yarp", "gateway"])
print(f"- added at low load over direct: p50 +{g[1] - d[1]:.2f} ms, p99 +{g[2] - d[2]:.2f} ms (over bare YARP: p50 +{g[1] - y[1]:.2f}, p99 +{g[2] - y[2]:.2f})")
print(f"- the same gateway with every request waiting for its decision (Gateway:ForwardWhileDeciding=false), low load: "
      f"p50 / p99 {waiting[1]:.2f} / {waiting[2]:.2f} ms, +{waiting[1] - d[1]:.2f} / +{waiting[2] - d[2]:.2f} over direct")
total = sum(stats.values())
# A request awaits only the limiter's EVALSHA (EVALSHA also counts the background metering flushes, about one a
# second); TIME, HMGET and HSET run inside the scripts, and a descriptor GET happens only when a cached one expires.
print(f"- Blocking Redis calls per gateway request (EVALSHA): **{stats.get('evalsha', 0) / total_gateway:.3f}**")
print(f"- Redis commands per gateway request, all counted: **{total / total_gateway:.3f}** ({total:,} commands for {total_gateway:,} requests: "
      + ", ".join(f"{name} {calls:,}" for name, calls in sorted(stats.items(), key=lambda kv: -kv[1])) + ")")
print(f"- non-2xx responses in all runs: {errors}")
def cpu(setup, r):
    a0, u0, r0, a1, u1, r1, hz = map(float, (work / f"{setup}-32-{r}.cpu").read_text().split())
    requests = parse(work / f"{setup}-32-{r}.txt")[3]
    per = lambda t: t / hz * 1e6 / requests
    return (0.0 if setup == "direct" else per(a1 - a0)), per(u1 - u0), per(r1 - r0)
print("- CPU per request at 32 connections, µs (median of rounds; front process / upstream / redis-server): " + "; ".join(
    f"{setup} " + " / ".join(f"{statistics.median(cpu(setup, r)[i] for r in range(1, rounds + 1)):.0f}" for i in range(3))
    for setup in ["direct", "yarp", "gateway"]))
def mib(path):
    match = re.search(r"Transfer/sec:\s+([\d.]+)(B|KB|MB|GB)", path.read_text())
    return float(match.group(1)) * {"B": 1 / 2**20, "KB": 1 / 1024, "MB": 1, "GB": 1024}[match.group(2)]
downloads = {s: [mib(work / f"{s}-4-{r}-download.txt") for r in range(1, rounds + 1)] for s in ["direct", "yarp", "gateway"]}
d, y, g = (statistics.median(downloads[s]) for s in ["direct", "yarp", "gateway"])
print(f"\n50 MiB download, 4 connections (MiB/s, median; rounds: " + "; ".join(f"{s} " + ", ".join(f"{v:,.0f}" for v in downloads[s]) for s in downloads) + ")")
print(f"- direct {d:,.0f}, bare YARP {y:,.0f}, full gateway {g:,.0f}: gateway / direct **{g / d:.2f}**, bare YARP / direct {y / d:.2f}, gateway / bare YARP {g / y:.2f}")
load = [(work / f"load-{w}.txt") for w in ["before", "after"]]
if all(p.exists() for p in load):
    print("- load average before / after the measured rounds: " + " / ".join(p.read_text().split("load average:")[1].strip() for p in load))
PY

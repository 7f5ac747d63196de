#!/usr/bin/env bash
# What one request costs the server when requests arrive one at a time (open loop) instead of in closed-loop
# batches: h2o serving a static file of a decide answer's size against Tessera binaries, each at the same fixed
# rate from Loadtest/openloop (8 connections, the rate spread evenly), server pinned to CPU 0 with one thread,
# the generator on CPU 1, rounds interleaved. Per run it prints the server's CPU time per request (utime + stime
# of all its threads, from /proc), its system calls and context switches per request (perf stat software
# events: no hardware counters needed), and the generator's p50/p99. Then the medians per server and route.
#
#   Loadtest/tools/openloop-cost.sh [--rate R] [--rounds N] [--seconds S] [--profiles N] [--perf DIR]
#                                   NAME=BINARY[,SERVE-ARG...]...
#
#   --rate R     requests per second (default 10000: well under every route's open-loop capacity)
#   --perf DIR   also `perf record -e cpu-clock -g` each server in the last round, reports into DIR
#
# Routes: /healthz and decide 1 slot (known users, Zipf). Loopback only; every server it starts is stopped on
# exit. Needs h2o, perf (Debian linux-perf), taskset, python3, curl and a built Loadtest/openloop.
set -euo pipefail
cd "$(dirname "$0")/../.."
rate=10000 rounds=3 seconds=5 profiles=50000 perf_dir=
binaries=()
while (($#)); do
  case "$1" in
    --rate) rate=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --profiles) profiles=$2; shift 2 ;;
    --perf) perf_dir=$(realpath -m "$2"); shift 2 ;;
    -h | --help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *=*) binaries+=("$1"); shift ;;
    *) echo "openloop-cost: expected NAME=BINARY, got '$1'" >&2; exit 2 ;;
  esac
done
((${#binaries[@]})) || { echo "openloop-cost: name at least one NAME=BINARY" >&2; exit 2; }
for tool in h2o perf taskset python3 curl; do command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 1; }; done
gen=Loadtest/openloop/build/openloop
[[ -x $gen ]] || make -C Loadtest/openloop >/dev/null
[[ -z $perf_dir ]] || mkdir -p "$perf_dir"

. Loadtest/lib/closed-loop.sh
scratch openloop-cost
port=18400 h2o_port=18412
hz=$(getconf CLK_TCK)

first_bin=${binaries[0]#*=}
first_bin=${first_bin%%,*}
data=$work/data
"$first_bin" compile --data "$data" >/dev/null
"$first_bin" generate-profiles --count "$profiles" --seed 42 | "$first_bin" import --data "$data" - >/dev/null 2>&1
base=http://127.0.0.1:$port
echo "$base/healthz" >"$work/healthz.txt"
python3 Loadtest/lib/uris.py --kind decide1 --base "$base" --users "$profiles" --count 50000 >"$work/decide1.txt"
"$first_bin" serve --data "$data" --port "$port" --threads 1 --log-level error >/dev/null 2>&1 &
pids+=($!)
wait_up "$base/healthz"
yardstick "$work" "$h2o_port" "$work/decide1.txt"

# cpu_ticks PID: utime + stime of every thread of PID, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# measure NAME ROUTE URIS PID ROUND: one open-loop run against the server PID, printed and appended to results.
measure() {
  local name=$1 route=$2 uris=$3 pid=$4 round=$5 t0 t1 stat json
  stat=$work/perf-stat.txt json=$work/openloop.json
  # Warm-up 1 s, then perf stat and the CPU clock cover the measured seconds only.
  taskset -c 1 "$gen" -c 8 -m 32 -r "$rate" -D "$seconds" --warm-up 1 -i "$uris" --json "$json" >/dev/null &
  local g=$!
  sleep 1
  t0=$(cpu_ticks "$pid")
  perf stat -x, -e raw_syscalls:sys_enter,context-switches -p "$pid" -o "$stat" -- sleep "$seconds" 2>/dev/null
  t1=$(cpu_ticks "$pid")
  wait "$g" || { echo "openloop against $name $route failed or missed the schedule" >&2; exit 1; }
  if [[ -n $perf_dir && $round == "$rounds" ]]; then
    # A separate run for the profile, so perf's own cost stays out of the figures above.
    taskset -c 1 "$gen" -c 8 -m 32 -r "$rate" -D "$seconds" --warm-up 1 -i "$uris" >/dev/null &
    g=$!
    sleep 1
    perf record -e cpu-clock -F 4000 -g -p "$pid" -o "$work/perf.data" -- sleep "$seconds" >/dev/null 2>&1
    wait "$g" || true
    {
      echo "# $name $route: open loop at $rate req/s over 8 connections; perf record -e cpu-clock -F 4000 -g -p PID"
      echo "## by shared object"
      perf report -i "$work/perf.data" --no-children --sort dso --stdio 2>/dev/null | grep -E "^ +[0-9]" | awk 'NR <= 10'
      echo "## self, top 50"
      perf report -i "$work/perf.data" --no-children --sort dso,sym --stdio 2>/dev/null | grep -E "^ +[0-9]" | awk 'NR <= 50' | cut -c1-200
    } >"$perf_dir/$name-$route.txt"
  fi
  python3 - "$name" "$route" "$round" "$rate" "$seconds" "$hz" "$t0" "$t1" "$stat" "$json" <<'PY' | tee -a "$work/results.txt"
import json, sys
name, route, rnd, rate, seconds, hz, t0, t1, stat, js = sys.argv[1:]
reqs = float(rate) * float(seconds)
counts = {}
for line in open(stat):
    f = line.strip().split(",")
    if len(f) > 2 and f[0].replace(".", "").isdigit():
        counts[f[2]] = float(f[0])
cpu_us = (int(t1) - int(t0)) / int(hz) * 1e6 / reqs
lat = json.load(open(js))["latency_us"]
print(f"{name} {route} {rnd} {cpu_us:.1f} {counts.get('raw_syscalls:sys_enter', 0) / reqs:.2f} "
      f"{counts.get('context-switches', 0) / reqs:.2f} {lat['p50']:.1f} {lat['p99']:.1f}")
PY
}

for round in $(seq "$rounds"); do
  taskset -c 0 h2o -c "$work/h2o.conf" >/dev/null 2>&1 &
  pids+=($!)
  wait_up "$(cat "$work/static.txt")"
  measure h2o static "$work/static.txt" "$(cat "$work/h2o.pid")" "$round"
  stop_last
  round_order "$round"
  for entry in "${order[@]}"; do
    start_binary "$entry" "$data" "$port"
    for route in healthz decide1; do measure "$name" "$route" "$work/$route.txt" "${pids[-1]}" "$round"; done
    stop_last
  done
done

echo
echo "medians of $rounds, open loop at $rate req/s over 8 connections, $seconds s (server on CPU 0, one thread):"
python3 - "$work/results.txt" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    name, route, _, *vals = line.split()
    runs.setdefault((name, route), []).append([float(v) for v in vals])
print("| server / route | server CPU µs/request | syscalls/request | context switches/request | p50 µs | p99 µs |")
print("|---|---:|---:|---:|---:|---:|")
for (name, route), rows in runs.items():
    med = [statistics.median(col) for col in zip(*rows)]
    print(f"| {name} {route} | {med[0]:.1f} | {med[1]:.2f} | {med[2]:.2f} | {med[3]:.1f} | {med[4]:.1f} |")
PY

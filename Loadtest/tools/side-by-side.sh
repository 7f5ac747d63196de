#!/usr/bin/env bash
# Side by side in one run: h2o serving a static file of a decide answer's size (the yardstick) against Tessera
# binaries (e.g. before and after a change), each route a closed loop of `h2load -c 32 -m 8 -t 1 -D SECONDS` (the
# issue's command), servers pinned to CPU 0 with one thread, h2load on CPU 1, rounds interleaved (the binaries'
# order reversed every other round: going second was worth up to ~12% here); prints each run, then the median per
# server and route and its ratio to h2o's median. /healthz doubles as a control for changes off the transport.
#
#   Loadtest/tools/side-by-side.sh [--rounds N] [--seconds S] [--profiles N] NAME=BINARY[,SERVE-ARG...]...
#
#   e.g. Loadtest/tools/side-by-side.sh before=/tmp/tessera-old after=.build/release/tessera
#        Loadtest/tools/side-by-side.sh on=.build/release/tessera off=.build/release/tessera,--no-tracking
#
# Routes: /healthz, decide 1 slot (known users, Zipf), decide 4 slots, fragment (/v1/slots/home.hero).
# Loopback only; every server it starts is stopped on exit. Needs h2o, h2load, taskset, python3.
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=3 seconds=4 profiles=50000
binaries=()
while (($#)); do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --profiles) profiles=$2; shift 2 ;;
    -h | --help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *=*) binaries+=("$1"); shift ;;
    *) echo "side-by-side: expected NAME=BINARY, got '$1'" >&2; exit 2 ;;
  esac
done
((${#binaries[@]})) || { echo "side-by-side: name at least one NAME=BINARY" >&2; exit 2; }
for tool in h2o h2load taskset python3 curl; do command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 1; }; done

. Loadtest/lib/closed-loop.sh
scratch side-by-side
port=18300 h2o_port=18312

first_bin=${binaries[0]#*=}
first_bin=${first_bin%%,*}
data=$work/data
"$first_bin" compile --data "$data" >/dev/null
"$first_bin" generate-profiles --count "$profiles" --seed 42 | "$first_bin" import --data "$data" - >/dev/null 2>&1


base=http://127.0.0.1:$port
echo "$base/healthz" >"$work/healthz.txt"
for kind in decide1 decide4 fragment; do
  python3 Loadtest/lib/uris.py --kind "$kind" --base "$base" --users "$profiles" --count 50000 >"$work/$kind.txt"
done
# The static file: the size of the median 1-slot decide answer.
"$first_bin" serve --data "$data" --port "$port" --threads 1 --log-level error >/dev/null 2>&1 &
pids+=($!)
wait_up "$base/healthz"
yardstick "$work" "$h2o_port" "$work/decide1.txt"

results=$work/results.txt
: >"$results"
for round in $(seq "$rounds"); do
  h2o_round "$work" "$round" "$size" "$results"
  round_order "$round"
  for entry in "${order[@]}"; do
    start_binary "$entry" "$data" "$port"
    for route in healthz decide1 decide4 fragment; do
      r=$(load "$work/$route.txt")
      echo "round $round  $name $route: $r req/s"
      echo "$name $route $r" >>"$results"
    done
    stop_last
  done
done

echo
echo "medians of $rounds (h2load -c 32 -m 8 -t 1 -D $seconds, server on CPU 0 with one thread, h2load on CPU 1):"
python3 - "$results" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    name, route, rps = line.split()
    runs.setdefault((name, route), []).append(float(rps))
h2o = statistics.median(runs[("h2o", "static")])
print(f"| server / route | req/s | vs h2o static |\n|---|---:|---:|")
for (name, route), values in runs.items():
    m = statistics.median(values)
    print(f"| {name} {route} | {m:,.0f} | {100 * m / h2o:.0f}% |")
PY

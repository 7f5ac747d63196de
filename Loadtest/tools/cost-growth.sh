#!/usr/bin/env bash
# Cost growth: the same decide routes over a small and a large profile store, in one run. Builds both data
# directories (compile + `generate-profiles | import`, timed, with the data file's size), then for each round:
# h2o static (the yardstick, a file of a decide answer's size), and for each store decide 1 slot and decide 4
# slots (Zipf over that store's users) with `h2load -c 32 -m 8 -t 1 -D SECONDS`, the server pinned to CPU 0
# with one thread, h2load on CPU 1; the stores' order alternates by round. Prints each run and the medians.
#
#   Loadtest/tools/cost-growth.sh [--rounds N] [--seconds S] [--small N] [--large N] [--keep DIR] [BINARY]
#
#   --keep DIR        build (or reuse, when present) the data directories under DIR instead of a temporary one
#   --serve-arg ARG   pass ARG to `tessera serve` too (repeatable), e.g. --serve-arg --no-tracking
#
# The first run after an import may read the large store from disk: a server whose data file is not in the page
# cache blocks its event loop on every page fault. `cat DIR/profiles-N/data.mdb >/dev/null` warms it (when the
# machine keeps it cached).
#
# Defaults: 3 rounds of 4 s, 200,000 and 10,000,000 profiles, .build/release/tessera. The large store takes
# about 10 GB of NDJSON through a pipe (nothing written) and some GB of LMDB. Loopback only; every server it
# starts is stopped on exit. Needs h2o, h2load, taskset, python3, curl, /usr/bin/time.
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=3 seconds=4 small=200000 large=10000000 keep= bin=.build/release/tessera serve_args=()
while (($#)); do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --small) small=$2; shift 2 ;;
    --large) large=$2; shift 2 ;;
    --keep) keep=$2; shift 2 ;;
    --serve-arg) serve_args+=("$2"); shift 2 ;;
    -h | --help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "cost-growth: unknown option $1" >&2; exit 2 ;;
    *) bin=$1; shift ;;
  esac
done
for tool in h2o h2load taskset python3 curl /usr/bin/time; do command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 1; }; done

. Loadtest/lib/closed-loop.sh
scratch cost-growth
store_root=${keep:-$work}
mkdir -p "$store_root"
# 200,000 demo profiles take about 240 MB of LMDB; room for the large store (in MiB).
map=$((large / 200000 * 240 * 2 + 8192))
port=18320 h2o_port=18332 base=http://127.0.0.1:18320

# build N: the data directory for N profiles (reused when already complete), with its import's time and size.
build() {
  local n=$1 data=$store_root/profiles-$1
  if [[ ! -e $data/.complete ]]; then
    rm -rf "$data"
    "$bin" compile --data "$data" --map-size "$map" >/dev/null
    /usr/bin/time -f "%e s wall, %U s user, %M KiB peak RSS" -o "$data.time" \
      sh -c "'$bin' generate-profiles --count $n --seed 42 | '$bin' import --data '$data' --map-size $map - >'$data.import' 2>/dev/null"
    touch "$data/.complete"
  fi
  echo "$n profiles: $(tail -1 "$data.import")"
  echo "$n profiles: generate | import took $(cat "$data.time"); data.mdb $(du -m "$data/data.mdb" | cut -f1) MiB"
  for kind in decide1 decide4; do
    python3 Loadtest/lib/uris.py --kind "$kind" --base "$base" --users "$n" --count 50000 >"$work/$n-$kind.txt"
  done
}
build "$small"
build "$large"

serve() {
  taskset -c 0 "$bin" serve --data "$store_root/profiles-$1" --map-size "$map" --port "$port" --threads 1 --log-level error ${serve_args[@]+"${serve_args[@]}"} >/dev/null 2>&1 &
  pids+=($!)
  wait_up "$base/healthz"
}

serve "$small"
yardstick "$work" "$h2o_port" "$work/$small-decide1.txt"

results=$work/results.txt
: >"$results"
for round in $(seq "$rounds"); do
  h2o_round "$work" "$round" "$size" "$results"
  order=("$small" "$large")
  ((round % 2 == 0)) && order=("$large" "$small")
  for n in "${order[@]}"; do
    serve "$n"
    for kind in decide1 decide4; do
      r=$(load "$work/$n-$kind.txt")
      echo "round $round  $n profiles $kind: $r req/s"
      echo "$n $kind $r" >>"$results"
    done
    stop_last
  done
done

echo
echo "medians of $rounds (h2load -c 32 -m 8 -t 1 -D $seconds, server on CPU 0 with one thread, h2load on CPU 1):"
python3 - "$results" "$small" "$large" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    name, route, rps = line.split()
    runs.setdefault((name, route), []).append(float(rps))
h2o = statistics.median(runs[("h2o", "static")])
small, large = sys.argv[2], sys.argv[3]
print("| store / route | req/s | vs h2o static | vs the small store |\n|---|---:|---:|---:|")
print(f"| h2o static | {h2o:,.0f} | 100% | |")
for route in ("decide1", "decide4"):
    s = statistics.median(runs[(small, route)])
    for n in (small, large):
        m = statistics.median(runs[(n, route)])
        print(f"| {int(n):,} profiles, {route} | {m:,.0f} | {100 * m / h2o:.0f}% | {100 * m / s:.0f}% |")
PY

#!/usr/bin/env bash
# Loadtest/openloop/validate.sh: checks the open-loop generator against h2load on a real h2o.
#
#   flock -x /tmp/tessera-bench.lock Loadtest/openloop/validate.sh [--port P] [--rounds N] [--sections "1 2 3 4 5"]
#                                                                   [--out FILE]
#
# Starts h2o 2.2.5 (num-threads 1, CPU 0, 127.0.0.1:P, cleartext HTTP/2 with prior knowledge) serving a 486-byte
# file, then, with every client on CPU 1 and the alternatives interleaved in each round:
#   1. closed-loop peak: openloop -c 32 -m 8 -D 4 against h2load -c 32 -m 8 -t 1 -D 4 (N rounds, medians);
#   2. the loopback floor: openloop closed loop, 1 connection, 1 stream;
#   3. open loop at 50% of h2o's peak (median h2load peak): openloop -c 32 -r R (spinning, the default, and
#      --spin-us 0) against h2load -c 32 -m 8 -t 1 --rps R/32 (percentiles from h2load's per-request log), N rounds;
#   4. the same at 10% of that peak;
#   5. the closed loop of 1. against nginx (one worker, CPU 0, P+1), a server slower than either client.
# Each run shows how much CPU other processes took meanwhile; one that lost over 10% of a core is repeated.
# Everything it prints also goes to FILE (default: Loadtest/openloop/build/validate-<stamp>.txt).
# h2o is stopped on exit. All load goes to 127.0.0.1 and every run is bounded in time.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
port=18290
rounds=3
sections="1 2 3 4 5"
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --port) port="$2"; shift ;;
    --rounds) rounds="$2"; shift ;;
    --sections) sections="$2"; shift ;;
    --out) out="$2"; shift ;;
    *) echo "validate.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
make -s -C "$here" >&2
ol="$here/build/openloop"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
out="${out:-$here/build/validate-$stamp.txt}"
tmp="$(mktemp -d /tmp/openloop-validate.XXXXXX)"
exec > >(tee "$out") 2>&1

h2o_pid=""
cleanup() {
  local status=$?
  if [ -n "$h2o_pid" ]; then
    kill -TERM "$h2o_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$h2o_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$h2o_pid" 2>/dev/null || true
  fi
  if [ -n "${nginx_pid:-}" ]; then kill -TERM "$nginx_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$tmp/root"
python3 -c 'import sys; n=486; b=("{\"pad\":\"" + "x"*n)[:n-2] + "\"}"; sys.stdout.write(b)' >"$tmp/root/decision.json"
. "$(dirname "$0")/../lib/h2o-conf.sh"
h2o_conf "$tmp" "$port" "$tmp/root"
taskset -c 0 h2o -c "$tmp/h2o.conf" >"$tmp/h2o.out" 2>&1 &
h2o_pid=$!
url="http://127.0.0.1:$port/decision.json"
for _ in $(seq 50); do curl -fsS --http2-prior-knowledge -o /dev/null "$url" 2>/dev/null && break; sleep 0.1; done
curl -fsS --http2-prior-knowledge -o /dev/null "$url" || { cat "$tmp/error.log"; exit 1; }

echo "# openloop validation $stamp"
echo "# $(h2o --version | head -1), $(h2load --version | head -1), $(uname -r), $(nproc) CPUs:" \
  "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs)"
echo "# h2o: num-threads 1, taskset -c 0, $url ($(stat -c %s "$tmp/root/decision.json") B); clients: taskset -c 1"
echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

# run_measured OUTFILE CMD...: runs CMD (stdout and stderr to OUTFILE) and prints how much of CPU 0 and CPU 1 other
# processes took meanwhile (busy time from /proc/stat minus h2o's own on CPU 0 and the client's own on CPU 1). A run
# that lost more than 10% of either core is repeated, up to 3 times in all.
ticks() { awk -v c="$1" '$1 == c {print $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat; }
h2o_ticks() { awk '{print $14+$15}' "/proc/${measured_pid:-$h2o_pid}/stat"; }
run_measured() {
  local file="$1"; shift
  local attempt c0a c0b c1a c1b ha hb t0 t1 client lost0 lost1 hz
  hz=$(getconf CLK_TCK)
  for attempt in 1 2 3; do
    rm -f "$tmp/h2load.tsv" # h2load appends to an existing --log-file
    read -r c0a _ <<<"$(ticks cpu0)"; read -r c1a tot1a <<<"$(ticks cpu1)"; ha=$(h2o_ticks); t0=$(date +%s.%N)
    /usr/bin/time -f '%U %S' -o "$tmp/time.txt" "$@" >"$file" 2>&1 || true
    read -r c0b _ <<<"$(ticks cpu0)"; read -r c1b tot1b <<<"$(ticks cpu1)"; hb=$(h2o_ticks); t1=$(date +%s.%N)
    client=$(awk '{print $1+$2}' "$tmp/time.txt" | tail -1)
    lost0=$(echo "scale=1; (($c0b - $c0a) - ($hb - $ha)) * 100 / $hz / ($t1 - $t0)" | bc)
    lost1=$(echo "scale=1; (($c1b - $c1a) / $hz - $client) * 100 / ($t1 - $t0)" | bc)
    echo "  [others took ${lost0}% of CPU 0 and ${lost1}% of CPU 1; h2o used" \
      "$(echo "scale=1; ($hb - $ha) * 100 / $hz / ($t1 - $t0)" | bc)% of CPU 0, the client" \
      "$(echo "scale=1; $client * 100 / ($t1 - $t0)" | bc)% of CPU 1; try $attempt]"
    if [ "$(echo "$lost0 <= 10 && $lost1 <= 10" | bc)" = 1 ]; then return 0; fi
    [ "$attempt" = 3 ] || { echo "  (interfered: again in 5 s)"; sleep 5; }
  done
}

want() { [[ " $sections " == *" $1 "* ]]; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
jq_py() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }

# closed_rounds URL: N interleaved rounds of h2load and openloop, both -c 32 -m 8 -D 4, against URL; sets h2l_med.
closed_rounds() {
  local u="$1" i cmd
  h2l=() olr=()
  for i in $(seq "$rounds"); do
    cmd="taskset -c 1 h2load -c 32 -m 8 -t 1 -D 4 $u"
    echo "\$ $cmd"
    run_measured "$tmp/h2load.txt" $cmd
    grep -E '^(finished|requests|status codes)' "$tmp/h2load.txt"
    h2l+=("$(grep -o 'finished in [^,]*, [0-9.]* req/s' "$tmp/h2load.txt" | awk '{print $(NF-1)}')")
    cmd="taskset -c 1 $ol -c 32 -m 8 -D 4 --json $tmp/ol.json $u"
    echo "\$ ${cmd//$here\/build\//}"
    run_measured "$tmp/ol.txt" $cmd
    sed -n '2,4p' "$tmp/ol.txt"
    olr+=("$(jq_py "$tmp/ol.json" 'd["achieved_rate"]')")
  done
  h2l_med=$(printf '%s\n' "${h2l[@]}" | median)
  ol_med=$(printf '%s\n' "${olr[@]}" | median)
  echo "h2load req/s: ${h2l[*]} -> median $h2l_med"
  echo "openloop req/s: ${olr[*]} -> median $ol_med"
  echo "openloop / h2load = $(echo "scale=3; $ol_med / $h2l_med" | bc)"
}

if want 1 || want 3 || want 4; then
  echo
  echo "## 1. closed-loop peak, 32 connections x 8 streams, 4 s, interleaved"
  closed_rounds "$url"
fi

if want 2; then
  echo
  echo "## 2. loopback floor: one connection, one stream in flight (closed loop), 3 s"
  cmd="taskset -c 1 $ol -c 1 -m 1 -D 3 $url"
  echo "\$ ${cmd//$here\/build\//}"
  run_measured "$tmp/ol.txt" $cmd
  sed -n '2,6p' "$tmp/ol.txt"
fi

# open_round RATE: openloop (spinning, the default), openloop --spin-us 0 and h2load --rps, one after another.
open_round() {
  local rate="$1" per_conn cmd
  per_conn=$(echo "scale=3; $rate / 32" | bc)
  cmd="taskset -c 1 $ol -c 32 -r $rate -D 10 --warm-up 2 $url"
  echo "\$ ${cmd//$here\/build\//}"
  run_measured "$tmp/ol.txt" $cmd
  sed -n '2,9p' "$tmp/ol.txt"
  cmd="taskset -c 1 $ol -c 32 -r $rate -D 10 --warm-up 2 --spin-us 0 $url"
  echo "\$ ${cmd//$here\/build\//}"
  run_measured "$tmp/ol.txt" $cmd
  sed -n '2,9p' "$tmp/ol.txt"
  cmd="taskset -c 1 h2load -c 32 -m 8 -t 1 --rps $per_conn -D 10 --warm-up-time 2s --log-file $tmp/h2load.tsv $url"
  echo "\$ ${cmd//$tmp\//}"
  run_measured "$tmp/h2load.txt" $cmd
  grep -E '^(finished|requests|status codes)' "$tmp/h2load.txt"
  python3 - "$tmp/h2load.tsv" <<'EOF2'
import math, sys
d = sorted(int(l.split("\t")[2]) for l in open(sys.argv[1]) if l.count("\t") >= 2 and l.split("\t")[1] != "0")
pct = lambda q: d[max(0, math.ceil(q * len(d)) - 1)]
print("  h2load log (send to end of response, %d requests): p50 %d  p90 %d  p99 %d  p99.9 %d  p99.99 %d  max %d µs"
      % (len(d), pct(.5), pct(.9), pct(.99), pct(.999), pct(.9999), d[-1]))
EOF2
}

for pc in 50 10; do
  want "$([ "$pc" = 50 ] && echo 3 || echo 4)" || continue
  rate=$(echo "$h2l_med * $pc / 100" | bc)
  echo
  echo "## $([ "$pc" = 50 ] && echo 3 || echo 4). open loop at $pc% of h2o's peak ($rate req/s), 32 connections, 10 s after 2 s" \
    "warm-up, interleaved"
  for i in $(seq "$rounds"); do open_round "$rate"; done
done
# 5. The same closed loop against a server that is slower than either client: nginx, one worker, the same file.
if want 5; then
  command -v nginx >/dev/null || { echo "## 5. skipped: nginx is not installed"; exit 0; }
  mkdir -p "$tmp/nginx"
  cat >"$tmp/nginx/nginx.conf" <<NGX
worker_processes 1;
daemon off;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $tmp/nginx;
  proxy_temp_path $tmp/nginx;
  fastcgi_temp_path $tmp/nginx;
  uwsgi_temp_path $tmp/nginx;
  scgi_temp_path $tmp/nginx;
  http2_max_concurrent_streams 256;
  keepalive_requests 1000000;
  server { listen 127.0.0.1:$((port + 1)) http2; root $tmp/root; etag off; }
}
NGX
  taskset -c 0 nginx -c "$tmp/nginx/nginx.conf" -p "$tmp/nginx" &
  nginx_pid=$!
  nginx_url="http://127.0.0.1:$((port + 1))/decision.json"
  for _ in $(seq 50); do curl -fsS --http2-prior-knowledge -o /dev/null "$nginx_url" 2>/dev/null && break; sleep 0.1; done
  measured_pid=$(pgrep -P "$nginx_pid" | head -1)
  echo
  echo "## 5. closed-loop peak against nginx 1.22 (worker_processes 1, CPU 0, same file), 32 x 8, 4 s, interleaved"
  echo "# (CPU 0 figures below are the nginx worker's)"
  closed_rounds "$nginx_url"
  measured_pid=""
  kill -TERM "$nginx_pid" 2>/dev/null || true
  wait "$nginx_pid" 2>/dev/null || true
fi
echo "# load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"

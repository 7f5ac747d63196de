# Sourced by the side-by-side load scripts (Loadtest/tools/side-by-side.sh, cost-growth.sh): the pieces they
# share. They set `seconds` (length of each run) before calling `load`.

. "$(dirname "${BASH_SOURCE[0]}")/h2o-conf.sh"

# scratch NAME: sets `work` to a new temporary directory and `pids` to an empty list of started servers; on exit
# every server in `pids` is stopped and `work` removed.
scratch() {
  work=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
  pids=()
  trap 'for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"' EXIT
}

# wait_up URL: waits (up to 10 s) until URL answers over HTTP/2 with prior knowledge.
wait_up() { for _ in $(seq 200); do curl -fs --http2-prior-knowledge "$1" >/dev/null && return 0; sleep 0.05; done; return 1; }

# load URIS: req/s of one closed-loop run, `h2load -c 32 -m 8 -t 1 -D $seconds` on CPU 1; exits on any non-2xx.
load() {
  local out
  out=$(taskset -c 1 h2load -c 32 -m 8 -t 1 -D "$seconds" -i "$1" 2>&1)
  grep -q "status codes: [0-9]* 2xx, 0 3xx, 0 4xx, 0 5xx" <<<"$out" || { echo "non-2xx answers: $out" >&2; exit 1; }
  grep -o 'finished in [^,]*, [0-9.]* req/s' <<<"$out" | awk '{print $(NF-1)}'
}

# yardstick WORK PORT URIS: with a Tessera server up (the one started last), sets `size` to the median size in
# bytes of its answers to the first 200 URIS and stops it; then writes a static file of that size under
# WORK/static, WORK/h2o.conf serving it on PORT, and WORK/static.txt naming its URL.
yardstick() {
  size=$(head -200 "$3" | while read -r u; do curl -s --http2-prior-knowledge "$u" | wc -c; done | sort -n | sed -n 100p)
  stop_last
  mkdir -p "$1/static"
  head -c "$size" /dev/zero | tr '\0' 'x' >"$1/static/decision.json"
  echo "http://127.0.0.1:$2/decision.json" >"$1/static.txt"
  h2o_conf "$1" "$2" "$1/static"
}

# h2o_round WORK ROUND SIZE RESULTS: one closed-loop run against h2o on CPU 0, printed and appended to RESULTS.
h2o_round() {
  local r
  taskset -c 0 h2o -c "$1/h2o.conf" >/dev/null 2>&1 &
  pids+=($!)
  wait_up "$(cat "$1/static.txt")"
  r=$(load "$1/static.txt")
  echo "round $2  h2o static ($3 B): $r req/s"
  echo "h2o static $r" >>"$4"
  stop_last
}

# round_order ROUND: sets `order` to the NAME=BINARY entries in `binaries`, reversed in even rounds, so that no
# binary gains from going second.
round_order() {
  order=("${binaries[@]}")
  if (($1 % 2 == 0)); then
    order=()
    local i
    for ((i = ${#binaries[@]} - 1; i >= 0; i--)); do order+=("${binaries[i]}"); done
  fi
}

# start_binary ENTRY DATA PORT: starts ENTRY (NAME=BINARY[,SERVE-ARG...]) serving DATA on 127.0.0.1:PORT, on CPU 0
# with one thread, waits until it answers and sets `name` to NAME.
start_binary() {
  local spec bin
  name=${1%%=*}
  IFS=, read -ra spec <<<"${1#*=}"
  bin=${spec[0]}
  taskset -c 0 "$bin" serve --data "$2" --port "$3" --threads 1 --log-level error "${spec[@]:1}" >/dev/null 2>&1 &
  pids+=($!)
  wait_up "http://127.0.0.1:$3/healthz"
}

# stop_last: stops the server started last.
stop_last() { kill -TERM "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true; }

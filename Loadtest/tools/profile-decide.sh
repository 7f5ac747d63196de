#!/usr/bin/env bash
# Profiles one route under closed-loop load: release server pinned to CPU 0, h2load on CPU 1.
#   Loadtest/tools/profile-decide.sh [KIND]   KIND: decide1 (default), decide4, fragment, anonymous or healthz
# Needs a release build (swift build -c release --product tessera), perf (Debian linux-perf) and h2load. Loopback only.
set -euo pipefail
cd "$(dirname "$0")/../.."
kind=${1:-decide1}
B=.build/release/tessera
rm -rf ${TMPDIR:-/tmp}/tessera-profile && $B compile --data ${TMPDIR:-/tmp}/tessera-profile >/dev/null
$B generate-profiles --count 50000 | $B import --data ${TMPDIR:-/tmp}/tessera-profile - >/dev/null 2>&1
taskset -c 0 $B serve --data ${TMPDIR:-/tmp}/tessera-profile --port 18100 --threads 1 --log-level error > ${TMPDIR:-/tmp}/tessera-profile.log 2>&1 &
PID=$!
sleep 1
if [[ $kind == healthz ]]; then
  echo http://127.0.0.1:18100/healthz > ${TMPDIR:-/tmp}/tessera-profile-uris.txt
else
  python3 Loadtest/lib/uris.py --kind "$kind" --base http://127.0.0.1:18100 --users 50000 --count 50000 > ${TMPDIR:-/tmp}/tessera-profile-uris.txt
fi
taskset -c 1 h2load -c 8 -m 32 -D 12 -i ${TMPDIR:-/tmp}/tessera-profile-uris.txt > ${TMPDIR:-/tmp}/tessera-profile-h2.txt 2>&1 &
sleep 2
perf record -e cpu-clock -F 4000 -g -p $PID -o /tmp/perf-decide.data -- sleep 8 > /dev/null 2>&1
sleep 3
kill -TERM $PID; wait $PID || true
grep -E "finished|status codes" ${TMPDIR:-/tmp}/tessera-profile-h2.txt
perf report -i /tmp/perf-decide.data --no-children --sort dso --stdio 2>/dev/null | grep -E "^ +[0-9]" | awk 'NR <= 8'
perf report -i /tmp/perf-decide.data --no-children --sort sym --stdio 2>/dev/null | grep -E "^ +[0-9]" | awk 'NR <= 40' | cut -c1-160
echo "--- inclusive (children) for our modules"
perf report -i /tmp/perf-decide.data --children --sort sym --stdio 2>/dev/null | grep -E "^ +[0-9]" | grep -E "RequestRouter|DecisionEngine|resolveSegments|choose|render|HTTP2ConnectionHandler|ServerSession|nghttp2_session|mdb_|JSONWriter|QueryParameters|EntityTag|ReadTransaction|withSnapshot|ResponseHeaderBlock" | awk 'NR <= 30' | cut -c1-200

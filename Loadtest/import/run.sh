#!/usr/bin/env bash
# Bulk import measurement: COUNT demo profiles (with events) piped into `tessera import` in a fresh data
# directory, peak RSS and throughput from /usr/bin/time -v, resident memory split (anonymous vs. file-backed
# LMDB map pages) sampled from /proc, then reruns to show idempotency (mdb_dump checksum of the profiles
# database before and after). Needs a release build and `time` + `lmdb-utils` (Debian packages).
#
#   swift build -c release --product tessera
#   Loadtest/import/run.sh            # COUNT=1000000 NOW=2026-11-25T10:00:00Z by default
set -euo pipefail
cd "$(dirname "$0")/../.."
B=${B:-.build/release/tessera}
COUNT=${COUNT:-1000000}
NOW=${NOW:-2026-11-25T10:00:00Z}
WORK=${WORK:-$(mktemp -d /tmp/tessera-import.XXXXXX)}
D=$WORK/data
OUT=$WORK/out
mkdir -p "$OUT"
for tool in /usr/bin/time mdb_dump; do
    command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install time lmdb-utils" >&2; exit 1; }
done

"$B" compile --data "$D" --templates Templates --mappings Mappings >/dev/null

# Samples the resident memory of the newest `tessera import` process every 0.2 s until it exits; prints the
# peaks of RssAnon (heap, stacks) and RssFile (LMDB map pages, binary) in MiB.
sample() {
    local pid="" anon=0 file=0
    for _ in $(seq 1 100); do
        pid=$(pgrep -n -f "tessera import --data $D" || true)
        [ -n "$pid" ] && break
        sleep 0.05
    done
    [ -z "$pid" ] && { echo "no import process seen"; return; }
    while [ -r "/proc/$pid/status" ]; do
        local a f
        a=$(awk '/^RssAnon:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
        f=$(awk '/^RssFile:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
        [ -n "$a" ] && [ "$a" -gt "$anon" ] && anon=$a
        [ -n "$f" ] && [ "$f" -gt "$file" ] && file=$f
        sleep 0.2
    done
    echo "peak RssAnon $((anon / 1024)) MiB, peak RssFile $((file / 1024)) MiB"
}

# run NAME MODE: one piped import, measured.
run() {
    local name=$1 mode=$2
    sample >"$OUT/$name.rss" &
    local sampler=$!
    "$B" generate-profiles --count "$COUNT" --now "$NOW" \
        | /usr/bin/time -v "$B" import --data "$D" --mode "$mode" - >"$OUT/$name.stdout" 2>"$OUT/$name.stderr"
    wait "$sampler"
    echo "== $name (--mode $mode)"
    cat "$OUT/$name.stdout"
    grep -E "Maximum resident set size|Elapsed \(wall clock\)|User time|System time" "$OUT/$name.stderr"
    cat "$OUT/$name.rss"
}

checksum() { mdb_dump -s profiles "$D" | sha256sum | cut -c1-16; }

run first merge
echo "profiles db: $(checksum), $(du -sh "$D" | cut -f1) on disk"
before=$(checksum)
run rerun merge
after=$(checksum)
echo "checksum before rerun $before, after $after: $([ "$before" = "$after" ] && echo identical || echo DIFFERENT)"
run rerun-replace replace
echo "checksum after replace rerun $(checksum)"

# The same profiles from a file into a fresh data directory: import alone, without the generator sharing the
# two cores, and with the file's size known (progress shows MB of total and an ETA).
"$B" generate-profiles --count "$COUNT" --now "$NOW" >"$WORK/profiles.ndjson"
echo "file: $(du -h "$WORK/profiles.ndjson" | cut -f1), $(wc -l <"$WORK/profiles.ndjson") lines"
D2=$WORK/data-file
"$B" compile --data "$D2" --templates Templates --mappings Mappings >/dev/null
/usr/bin/time -v "$B" import --data "$D2" "$WORK/profiles.ndjson" >"$OUT/file.stdout" 2>"$OUT/file.stderr"
echo "== from file"
cat "$OUT/file.stdout"
grep -E "^import:" "$OUT/file.stderr" | tail -2
grep -E "Maximum resident set size|Elapsed \(wall clock\)" "$OUT/file.stderr"
echo "profiles db (file import): $(mdb_dump -s profiles "$D2" | sha256sum | cut -c1-16)"
echo "work dir: $WORK"

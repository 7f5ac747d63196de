#!/bin/sh
# Prints the p50/p99/p999 request latency (ms) of an h2load --log-file (tab-separated: start, status, µs).
sort -n -k3 "$1" | awk '{ v[NR] = $3 } END {
  printf "requests %d  p50 %.3f ms  p99 %.3f ms  p99.9 %.3f ms  max %.3f ms\n", NR,
    v[int(NR * 0.50)] / 1000, v[int(NR * 0.99)] / 1000, v[int(NR * 0.999)] / 1000, v[NR] / 1000 }'

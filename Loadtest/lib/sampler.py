#!/usr/bin/env python3
"""Samples one process's CPU time and memory from /proc until it exits or this sampler is stopped.

Writes CSV lines `epoch_seconds,cpu_ticks,rss_kib,hwm_kib,anon_kib,file_kib` (cpu_ticks = utime + stime,
in clock ticks; anon is heap and stacks, file is mapped files such as the LMDB data file) every --interval seconds, flushing each line so a killed sampler leaves a complete file.

  sampler.py --pid 1234 --out server.csv --interval 0.2

With --system instead of --pid: per-CPU busy and total jiffies from /proc/stat, as
`epoch,cpu0_busy,cpu0_total,cpu1_busy,cpu1_total,...`, to tell how much of each core other
processes (builds of colleagues on a shared machine) took during a run.
"""
import argparse
import signal
import sys
import time


def sample(pid):
    with open(f"/proc/{pid}/stat") as f:
        stat = f.read()
    # Fields after the parenthesized command name; utime and stime are fields 14 and 15.
    fields = stat[stat.rindex(")") + 2:].split()
    ticks = int(fields[11]) + int(fields[12])
    rss = hwm = anon = mapped = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
            elif line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
            elif line.startswith("RssAnon:"):
                anon = int(line.split()[1])
            elif line.startswith("RssFile:"):
                mapped = int(line.split()[1])
    return ticks, rss, hwm, anon, mapped


def cpus():
    """(busy, total) jiffies per CPU from /proc/stat; busy excludes idle and iowait."""
    out = []
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith("cpu") and line[3].isdigit():
                v = [int(x) for x in line.split()[1:]]
                total = sum(v[:8])
                out.append((total - v[3] - v[4], total))
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--pid", type=int)
    p.add_argument("--system", action="store_true")
    p.add_argument("--out", required=True)
    p.add_argument("--interval", type=float, default=0.2)
    a = p.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    if a.system:
        with open(a.out, "w") as out:
            n = len(cpus())
            out.write("epoch," + ",".join(f"cpu{i}_busy,cpu{i}_total" for i in range(n)) + "\n")
            while True:
                row = ",".join(f"{b},{t}" for b, t in cpus())
                out.write(f"{time.time():.3f},{row}\n")
                out.flush()
                time.sleep(a.interval)
    with open(a.out, "w") as out:
        out.write("epoch,cpu_ticks,rss_kib,hwm_kib,anon_kib,file_kib\n")
        while True:
            try:
                ticks, rss, hwm, anon, mapped = sample(a.pid)
            except (FileNotFoundError, ProcessLookupError):
                return
            out.write(f"{time.time():.3f},{ticks},{rss},{hwm},{anon},{mapped}\n")
            out.flush()
            time.sleep(a.interval)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Turns the raw runs of one Loadtest/run into report.md, results.json and latency.png.

  report.py --results Loadtest/results/<stamp>    write the report; exit 1 when any request failed or was not 2xx
  report.py --peak <run dir>                      print a run's measured request rate (an integer)

Raw input (under <stamp>/tmp/, not committed): runs/<scenario>/<run>/meta.json with h2load.txt and log.tsv (h2load:
closed-loop peaks, new connections) or openloop.txt and openloop.json (Loadtest/openloop: fixed-rate runs), the /proc
samples tessera.csv, h2o.csv and nginx.csv, and <stamp>/environment.json. Latency percentiles come from h2load's
per-request log (microseconds from a request's start to the end of its response) or from the open-loop generator's
histogram (microseconds from a request's intended send time to the end of its response), never from means.
Every ratio is to the static-file yardstick, h2o (`static`, `static_h1_newconn`, `static_h2_newconn`).
"""
import argparse
import csv
import glob
import json
import math
import os
import re
import shutil
import sys

CLK_TCK = os.sysconf("SC_CLK_TCK")
PERCENTILES = [("p50", 0.50), ("p90", 0.90), ("p99", 0.99), ("p999", 0.999), ("p9999", 0.9999)]

TITLES = {
    "static": "static file (h2o), HTTP/2",
    "nginx": "static file (nginx), HTTP/2",
    "healthz": "Tessera /healthz, HTTP/2",
    "decide1": "decide, 1 slot, known users (Zipf)",
    "decide4": "decide, 4 slots, known users (Zipf)",
    "fragment": "/v1/slots/{slot} fragment, known users (Zipf)",
    "anonymous": "decide, 1 slot, anonymous users",
    "static_h1_newconn": "static file (h2o), HTTP/1.1, new connection per request",
    "nginx_h1_newconn": "static file (nginx), HTTP/1.1, new connection per request",
    "healthz_h1_newconn": "Tessera /healthz, HTTP/1.1, new connection per request",
    "decide1_h1_newconn": "decide, 1 slot, HTTP/1.1, new connection per request",
    "static_h2_newconn": "static file (h2o), HTTP/2, one request per connection",
    "nginx_h2_newconn": "static file (nginx), HTTP/2, one request per connection",
    "healthz_h2_newconn": "Tessera /healthz, HTTP/2, one request per connection",
    "decide1_h2_newconn": "decide, 1 slot, HTTP/2, one request per connection",
    "mixed_deltas": "decide, 1 slot, while profile deltas stream in (quiet reference, then with deltas)",
    "mixed_publishes": "decide, 1 slot, while 100 template publishes/s arrive (quiet reference, then publishing)",
}
# The yardstick (h2o) and Tessera's transport ceiling (/healthz) in each mode; nginx is a second reference.
REFERENCES = ("static", "nginx", "healthz", "static_h1_newconn", "nginx_h1_newconn", "healthz_h1_newconn",
              "static_h2_newconn", "nginx_h2_newconn", "healthz_h2_newconn")
BASELINES = {"stream": ("static", "healthz"),
             "newconn-h1": ("static_h1_newconn", "healthz_h1_newconn"),
             "newconn-h2": ("static_h2_newconn", "healthz_h2_newconn")}

# ------------------------------------------------------------------------------------------------------------------
# Parsing


def seconds(value, unit):
    return float(value) * {"us": 1e-6, "ms": 1e-3, "s": 1.0}[unit]


def parse_h2load(path):
    """Sums every h2load summary block in the file (one per invocation)."""
    text = open(path).read() if os.path.exists(path) else ""
    r = {"blocks": 0, "wall_s": 0.0, "rps": 0.0, "total": 0, "started": 0, "done": 0, "succeeded": 0,
         "failed": 0, "errored": 0, "timeout": 0, "2xx": 0, "3xx": 0, "4xx": 0, "5xx": 0, "ttfb_mean_us": None,
         "ttfb_max_us": None, "connect_mean_us": None}
    r["rps_each"] = []
    for m in re.finditer(r"finished in ([0-9.]+)(us|ms|s), ([0-9.]+) req/s", text):
        r["blocks"] += 1
        r["wall_s"] += seconds(m.group(1), m.group(2))
        r["rps"] = float(m.group(3))
        r["rps_each"].append(float(m.group(3)))
    for m in re.finditer(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, "
                         r"(\d+) errored, (\d+) timeout", text):
        for k, v in zip(["total", "started", "done", "succeeded", "failed", "errored", "timeout"], m.groups()):
            r[k] += int(v)
    for m in re.finditer(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", text):
        for k, v in zip(["2xx", "3xx", "4xx", "5xx"], m.groups()):
            r[k] += int(v)

    def stat_line(name):
        ms = list(re.finditer(name + r"\s*:\s*([0-9.]+)(us|ms|s)\s+([0-9.]+)(us|ms|s)\s+([0-9.]+)(us|ms|s)", text))
        if not ms:
            return None, None
        means = [seconds(m.group(5), m.group(6)) * 1e6 for m in ms]
        maxes = [seconds(m.group(3), m.group(4)) * 1e6 for m in ms]
        return sum(means) / len(means), max(maxes)

    r["ttfb_mean_us"], r["ttfb_max_us"] = stat_line("time to 1st byte")
    r["connect_mean_us"], _ = stat_line("time for connect")
    if "error" in text.lower() and r["blocks"] == 0:
        r["errored"] = max(r["errored"], 1)
    return r


def percentile(sorted_values, q):
    """Nearest rank."""
    if not sorted_values:
        return None
    return sorted_values[max(0, math.ceil(q * len(sorted_values)) - 1)]


def parse_log(path):
    """Durations of answered requests (sorted), the count of non-2xx answers, and the count of rows with status 0:
    requests still in flight when a timed run ended, which h2load cuts off (not server errors)."""
    durations, bad, cut = [], 0, 0
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                parts = line.split("\t")
                if len(parts) < 3:
                    continue
                status, us = int(parts[1]), int(parts[2])
                if status == 0:
                    cut += 1
                    continue
                if not 200 <= status < 300:
                    bad += 1
                durations.append(us)
    durations.sort()
    return durations, bad, cut


def parse_openloop(run_dir):
    """The open-loop generator's JSON (Loadtest/openloop), or None."""
    path = os.path.join(run_dir, "openloop.json")
    if not os.path.exists(path):
        return None
    return json.load(open(path))


def curve_at(curve, q):
    """Latency (µs) at quantile q (0..1) from a percentile curve [[percentile, µs], ...] (the first point at or past
    q; the curve's points are HdrHistogram's percentile ticks, 5 per halving of the distance to 100%)."""
    for pct, value in curve:
        if pct >= q * 100 - 1e-9:
            return value
    return curve[-1][1] if curve else None


def samples(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [(float(r["epoch"]), int(r["cpu_ticks"]), int(r["rss_kib"]), int(r["hwm_kib"]),
                 int(r.get("anon_kib") or 0), int(r.get("file_kib") or 0)) for r in csv.DictReader(f)]


def window(rows, start, end):
    """CPU percent and peak RSS of the sampled process between start and end."""
    inside = [r for r in rows if start <= r[0] <= end]
    before = [r for r in rows if r[0] < start]
    first = before[-1] if before else (inside[0] if inside else None)
    last = inside[-1] if inside else None
    if not first or not last or last[0] <= first[0]:
        return None, None
    cpu = (last[1] - first[1]) / CLK_TCK / (last[0] - first[0]) * 100
    return round(cpu, 1), max(r[2] for r in inside)


def system_samples(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        rows = list(csv.reader(f))[1:]
    return [(float(r[0]), [(int(r[i]), int(r[i + 1])) for i in range(1, len(r) - 1, 2)]) for r in rows]


def core_busy(rows, start, end):
    """Percent busy of each CPU between start and end (all processes)."""
    inside = [r for r in rows if start <= r[0] <= end]
    before = [r for r in rows if r[0] < start]
    first = before[-1] if before else (inside[0] if inside else None)
    last = inside[-1] if inside else None
    if not first or not last or last[0] <= first[0]:
        return None
    return [round((b1 - b0) / max(1, t1 - t0) * 100, 1) for (b0, t0), (b1, t1) in zip(first[1], last[1])]


def interference_of(run_dir, system=None, procs=None):
    """Percent of CPU 0 and CPU 1 that other processes took during the run (pinned runs), or of both cores
    together (unpinned): busy time minus the server's and h2load's own."""
    results = os.path.dirname(os.path.dirname(os.path.dirname(run_dir)))
    meta = json.load(open(os.path.join(run_dir, "meta.json")))
    if system is None:
        system = system_samples(os.path.join(results, "cpus.csv"))
    if procs is None:
        procs = {meta["server"]: samples(os.path.join(results, meta["server"] + ".csv"))}
    busy = core_busy(system, meta["start"], meta["end"])
    server_cpu, _ = window(procs.get(meta["server"], []), meta["start"], meta["end"])
    if not busy or server_cpu is None or len(busy) < 2:
        return None
    client = float(meta.get("client_cpu_s", 0)) / max(1e-3, meta["end"] - meta["start"]) * 100
    if meta["pinned"]:
        return [round(max(0.0, busy[0] - server_cpu), 1), round(max(0.0, busy[1] - client), 1)]
    return [round(max(0.0, sum(busy) - server_cpu - client), 1)]


def peak_of(run_dir):
    meta = json.load(open(os.path.join(run_dir, "meta.json")))
    if meta.get("tool") == "openloop":
        o = parse_openloop(run_dir)
        return o["achieved_rate"] if o else 0.0
    h = parse_h2load(os.path.join(run_dir, "h2load.txt"))
    if meta.get("mode", "stream") == "stream":
        # Several h2load processes running side by side (fixed-rate runs): their rates add up.
        return sum(h["rps_each"]) if meta.get("procs", 1) > 1 else h["rps"]
    return h["done"] / h["wall_s"] if h["wall_s"] else 0.0


# ------------------------------------------------------------------------------------------------------------------
# Collecting


def collect(results_dir):
    tmp = os.path.join(results_dir, "tmp")
    env = json.load(open(os.path.join(results_dir, "environment.json")))
    procs = {name: samples(os.path.join(tmp, name + ".csv")) for name in ("tessera", "h2o", "nginx")}
    system = system_samples(os.path.join(tmp, "cpus.csv"))
    scenarios = []
    known = list(TITLES)
    order = sorted(glob.glob(os.path.join(tmp, "runs", "*")),
                   key=lambda d: (known.index(os.path.basename(d)) if os.path.basename(d) in known else len(known),
                                  os.path.getmtime(d)))
    for sdir in order:
        name = os.path.basename(sdir)
        top = os.path.join(sdir, "meta.json")
        if os.path.exists(top):
            meta = json.load(open(top))
            scenarios.append({"name": name, "title": meta.get("title", name), "not_available": meta["not_available"]})
            continue
        runs = []
        for rdir in sorted(glob.glob(os.path.join(sdir, "*")), key=os.path.getmtime):
            meta = json.load(open(os.path.join(rdir, "meta.json")))
            h = parse_h2load(os.path.join(rdir, "h2load.txt"))
            durations, bad_log, cut = parse_log(os.path.join(rdir, "log.tsv"))
            o = parse_openloop(rdir) if meta.get("tool") == "openloop" else None
            cpu, rss = window(procs.get(meta["server"], []), meta["start"], meta["end"])
            measured = peak_of(rdir)
            busy = core_busy(system, meta["start"], meta["end"])
            lost = interference_of(rdir, system, procs)
            run = {
                "run": meta["run"], "mode": meta["mode"], "pinned": bool(meta["pinned"]), "rate": meta["rate"],
                "achieved_rps": round(measured, 1), "requests": h["done"], "logged": len(durations),
                "errors": h["failed"] + h["errored"] + h["timeout"] + (1 if meta["exit"] else 0),
                "non_2xx": max(h["3xx"] + h["4xx"] + h["5xx"], bad_log), "cut_at_end": cut,
                "server_cpu_percent": cpu, "server_peak_rss_kib": rss,
                "ttfb_mean_us": h["ttfb_mean_us"], "ttfb_max_us": h["ttfb_max_us"],
                "connect_mean_us": h["connect_mean_us"], "command": meta["command"],
                "h2load_invocations": h["blocks"], "cpu_busy_percent": busy,
                "others_cpu_percent": lost, "attempt": meta.get("attempt", 1), "tool": meta.get("tool", "h2load"),
            }
            if meta.get("tool") == "openloop":
                if o is None:
                    run.update(requests=0, logged=0, errors=1, non_2xx=0, latency_curve=[])
                    for key, _ in PERCENTILES:
                        run[key + "_us"] = None
                    run["max_us"] = None
                else:
                    st = o["status"]
                    run.update(
                        requests=o["requests"]["completed"], logged=o["latency_us"]["count"],
                        errors=o["requests"]["errors"] + o["warmup"]["errors"],
                        non_2xx=st["1xx"] + st["3xx"] + st["4xx"] + st["5xx"] + st["other"] + o["warmup"]["non_2xx"],
                        unsent=o["requests"]["unsent"], incomplete=o["requests"]["incomplete"],
                        latency_curve=o["latency_us"]["curve"],
                        service_p99_us=o["service_us"]["p99"], send_lag_p99_us=o["send_lag_us"]["p99"],
                        send_lag_max_us=o["send_lag_us"]["max"])
                    # The generator exits 1 exactly when it counted a failure or a non-2xx answer, 3 when the schedule
                    # was not met (requests unsent or unanswered at the end: overload, shown, not an error); any other
                    # non-zero exit (a crash) counts as one error.
                    if meta["exit"] not in (0, 3) and not (run["errors"] or run["non_2xx"]):
                        run["errors"] = 1
                    for key, _ in PERCENTILES:
                        run[key + "_us"] = o["latency_us"][key]
                    run["max_us"] = o["latency_us"]["max"]
            else:
                for key, q in PERCENTILES:
                    run[key + "_us"] = percentile(durations, q)
                run["max_us"] = durations[-1] if durations else None
            run["_durations"] = durations
            bg = os.path.join(rdir, "background.txt")
            if os.path.exists(bg):
                run["background"] = open(bg).read().strip()
            runs.append(run)
        mode = runs[0]["mode"] if runs else "stream"
        scenarios.append({"name": name, "title": TITLES.get(name, name), "mode": mode, "runs": runs})
    return env, procs, scenarios


def summarize(env, procs, scenarios):
    by_name = {s["name"]: s for s in scenarios}

    def run_of(name, run):
        s = by_name.get(name)
        for r in (s or {}).get("runs", []):
            if r["run"] == run:
                return r
        return None

    out = []
    for s in scenarios:
        if "not_available" in s:
            out.append({"name": s["name"], "title": s["title"], "status": "not yet available",
                        "reason": s["not_available"], "peak_rps": None, "baseline_rps": None, "ratio": None,
                        "errors": None})
            continue
        static_name, health_name = BASELINES[s["mode"]]
        peak = run_of(s["name"], "peak")
        static = run_of(static_name, "peak")
        health = run_of(health_name, "peak")
        unpinned = run_of(s["name"], "unpinned_peak")
        static_unpinned = run_of(static_name, "unpinned_peak")
        errors = sum(r["errors"] + r["non_2xx"] for r in s["runs"])
        entry = {
            "name": s["name"], "title": s["title"], "mode": s["mode"], "status": "measured",
            "peak_rps": peak["achieved_rps"] if peak else None,
            "baseline": static_name,
            "baseline_rps": static["achieved_rps"] if static else None,
            "ratio": round(peak["achieved_rps"] / static["achieved_rps"], 3) if peak and static else None,
            "healthz_rps": health["achieved_rps"] if health else None,
            "unpinned_peak_rps": unpinned["achieved_rps"] if unpinned else None,
            "unpinned_ratio": round(unpinned["achieved_rps"] / static_unpinned["achieved_rps"], 3)
            if unpinned and static_unpinned else None,
            "errors": errors,
            "runs": [{k: v for k, v in r.items() if not k.startswith("_")} for r in s["runs"]],
        }
        out.append(entry)

    rows = procs["tessera"]
    rss = None
    if rows:
        first_run = min((r for s in scenarios for r in s.get("runs", []) if r.get("server_peak_rss_kib")),
                        key=lambda r: 0, default=None)
        rss = {"first_sample_kib": rows[0][2], "last_sample_kib": rows[-1][2],
               "anon_first_kib": rows[0][4], "anon_last_kib": rows[-1][4], "anon_max_kib": max(r[4] for r in rows),
               "file_last_kib": rows[-1][5],
               "max_kib": max(r[2] for r in rows), "hwm_kib": rows[-1][3], "samples": len(rows),
               "requests_served": sum(r["requests"] for s in scenarios for r in s.get("runs", [])
                                      if s.get("name", "").startswith(("healthz", "decide", "fragment", "anonymous")))}
        del first_run
    return {"environment": env, "scenarios": out, "tessera_rss": rss,
            "errors_total": sum(s["errors"] or 0 for s in out)}


# ------------------------------------------------------------------------------------------------------------------
# Writing


def fmt_us(v):
    if v is None:
        return "–"
    if v >= 1_000:
        return f"{v / 1000:.2f} ms"
    return f"{v:.1f} µs" if v < 100 else f"{v:.0f} µs"


def fmt_num(v, digits=0):
    return "–" if v is None else f"{v:,.{digits}f}"


def fmt_lost(r):
    lost = r.get("others_cpu_percent")
    if not lost:
        return "–"
    text = " / ".join(f"{v:.0f}%" for v in lost)
    if r.get("attempt", 1) > 1:
        text += f" (try {r['attempt']})"
    return text


def fmt_ratio(v):
    return "–" if v is None else f"{v * 100:.0f}%"


def targets(summary):
    """The issue 9 targets this run measures (server pinned to one core), plus issue 5's error and heap checks.
    Each row: (target, measured, met); met is None where the run lacks what the target needs."""
    by = {s["name"]: s for s in summary["scenarios"]}

    def measured(name):
        s = by.get(name)
        return s if s and s.get("status") == "measured" else None

    def run(name, run_name):
        s = measured(name)
        return next((r for r in s["runs"] if r["run"] == run_name), None) if s else None

    rows = []
    for name, label, floor in (("healthz", "/healthz", 0.80), ("decide1", "decide 1 slot, known users (Zipf)", 0.50),
                               ("fragment", "fragment", 0.55), ("decide4", "decide 4 slots", 0.30)):
        s = measured(name)
        if s:
            rows.append((f"{label} ≥ {floor * 100:.0f}% of h2o's static req/s", fmt_ratio(s["ratio"]) +
                         f" ({fmt_num(s['peak_rps'])} vs {fmt_num(s['baseline_rps'])})",
                         s["ratio"] is not None and s["ratio"] >= floor))
    d = measured("decide1")
    if d:
        rows.append(("decide 1 slot > 50,000 decisions/s on one core (issue 5)", fmt_num(d["peak_rps"]),
                     d["peak_rps"] is not None and d["peak_rps"] > 50_000))
    r50 = run("decide1", "rate50")
    if r50:
        rows.append(("decide 1 slot p99 ≤ 1 ms at 50% of its own peak (open loop)", fmt_us(r50["p99_us"]),
                     r50["p99_us"] is not None and r50["p99_us"] <= 1000))
        rows.append(("decide 1 slot p99.9 ≤ 2 ms at 50% of its own peak (open loop)", fmt_us(r50["p999_us"]),
                     r50["p999_us"] is not None and r50["p999_us"] <= 2000))
        same = run("static", "at_decide1_rate50")
        if same and same.get("p99_us") and r50.get("p99_us"):
            ratio = r50["p99_us"] / same["p99_us"]
            rows.append(("decide 1 slot p99 ≤ 3× h2o's p99 at the same absolute rate "
                         f"({fmt_num(r50['rate'])} req/s)",
                         f"{ratio:.1f}× ({fmt_us(r50['p99_us'])} vs {fmt_us(same['p99_us'])})", ratio <= 3))
        else:
            rows.append(("decide 1 slot p99 ≤ 3× h2o's p99 at the same absolute rate", "not measured", None))
    quiet, busy = run("mixed_publishes", "quiet"), run("mixed_publishes", "rate50")
    if quiet and busy and quiet.get("p99_us") and busy.get("p99_us"):
        ratio = busy["p99_us"] / quiet["p99_us"]
        # The publisher's own summary (Loadtest/tools/publish_stream.py): the target holds only if the publishes
        # really arrived at (about) 100/s.
        try:
            achieved = json.loads(busy.get("background") or "{}").get("achieved_rate")
        except ValueError:
            achieved = None
        rows.append(("decide p99 at 50% while 100 template publishes/s arrive ≤ 2× quiet",
                     f"{ratio:.1f}× ({fmt_us(busy['p99_us'])} vs {fmt_us(quiet['p99_us'])}); "
                     f"publishes achieved {fmt_num(achieved, 1)}/s",
                     ratio <= 2 and achieved is not None and achieved >= 95))
    rows.append(("zero errors and non-2xx in the whole run", str(summary["errors_total"]),
                 summary["errors_total"] == 0))
    rss = summary["tessera_rss"]
    if rss:
        anon_growth = rss["anon_last_kib"] - rss["anon_first_kib"]
        rows.append(("Tessera heap (RssAnon) flat over the run",
                     f"{rss['anon_first_kib'] / 1024:.1f} → {rss['anon_last_kib'] / 1024:.1f} MiB "
                     f"(max {rss['anon_max_kib'] / 1024:.1f} MiB) over {rss['requests_served']:,} requests; "
                     f"total RSS {rss['first_sample_kib'] / 1024:.1f} → {rss['last_sample_kib'] / 1024:.1f} MiB, "
                     f"of which {rss['file_last_kib'] / 1024:.1f} MiB mapped LMDB/binary pages",
                     rss["anon_first_kib"] > 0 and anon_growth <= max(4096, 0.1 * rss["anon_first_kib"])))
    return rows


def write_markdown(path, summary, plot_name):
    env = summary["environment"]
    L = []
    L.append(f"# Tessera load test {env['timestamp']}")
    L.append("")
    if summary["errors_total"]:
        L.append(f"**⚠ {summary['errors_total']} failed or non-2xx requests in this run — see the tables.**")
        L.append("")
    L.append(f"Commit `{env['commit']}`{' (with uncommitted changes)' if env['uncommitted_changes'] else ''}, "
             f"{'quick smoke run' if env['quick'] else 'full run'}, {env['profiles']:,} profiles "
             f"(imported in {env['import_seconds']} s). {env['cpus']} CPUs ({env['cpu_model']}), "
             f"kernel {env['kernel']}, {env['h2load']}, {env.get('h2o', 'h2o')}, {env['nginx']}, "
             f"{env.get('openloop', 'openloop')}. "
             f"Load average at start {env['loadavg_start']}, at end {env['loadavg_end']} "
             "(the machine is shared: other builds may run at the same time).")
    L.append("")
    mb = env["median_body_bytes"]
    L.append(f"Median response bodies: decide 1 slot {mb['decide1']} B, decide 4 slots {mb['decide4']} B, "
             f"fragment {mb['fragment']} B; h2o and nginx serve a static file of {env['static_file_bytes']} B.")
    L.append("")
    L.append("**The yardstick is h2o** (`num-threads: 1`) serving that file: every ratio below is to h2o in the same "
             "mode. nginx (`worker_processes 1`) serving the same file is a second reference, Tessera's own "
             "`/healthz` its transport ceiling.")
    L.append("")
    shape = env["shape"]
    L.append("How: pinned runs put the server (Tessera `--threads 1`, h2o, nginx) on CPU 0 and the client on CPU 1. "
             f"Peak = closed loop, h2load `-t 1`, {shape['peak_clients']} connection(s) × {shape['peak_streams']} "
             f"streams, {shape['peak_seconds']} s after {shape['warmup_seconds']} s warm-up. Fixed-rate runs use the "
             f"open-loop generator (`Loadtest/openloop`): the rate spread evenly over {shape['rate_clients']} "
             f"connections and over time (at most {shape['rate_streams']} streams in flight each), "
             f"{shape['rate_seconds']} s after {shape['warmup_seconds']} s warm-up, at a fraction of that scenario's "
             "own peak. New-connection peaks: "
             f"repeated bursts of {shape['burst']} connections with one request each (req/s = requests / summed "
             "h2load wall time); their fixed-rate runs open connections at the rate with h2load `-r` (every 10 ms). "
             "Server CPU and RSS are "
             "sampled from /proc every 0.2 s. \"Others' CPU\" is what other processes on this shared machine took: "
             "CPU 0's busy time (/proc/stat) minus the server's own / CPU 1's minus the client's (unpinned: both cores "
             "together); a run that lost more than 10% of either core is repeated up to 3 times (\"try N\"). "
             "Servers and clients run at nice -10 when allowed. Every command is listed under each table.")
    L.append("")
    L.append("**Latency.** Fixed-rate (open-loop) percentiles are from the generator's histogram (HdrHistogram layout, "
             "3 significant digits): each request's latency runs from its *intended* send time on the schedule to "
             "the end of its response, so time a request spent waiting because the server (or the client) fell "
             "behind counts in full (coordinated omission corrected, as wrk2 does). \"send lag p99\" is how late the "
             "generator sent requests against the schedule; \"service p99\" is from actual send to response. A "
             "server that cannot take the rate builds a backlog: requests still unsent or unanswered 2 s after the "
             "run are listed as \"not completed\" next to the achieved rate (not as errors). "
             "Closed-loop and new-connection percentiles are nearest-rank over h2load's per-request `--log-file` "
             "(request start to end of response; for new connections without the TCP connect, shown as TTFB): "
             "under a closed loop they describe a saturated server, not a latency target.")
    L.append("")
    L.append("## Summary")
    L.append("")
    L.append("| scenario | peak req/s (pinned) | vs h2o | peak req/s (unpinned) | vs h2o (unpinned) | p99 at 50% "
             "| p99.9 at 50% | p99 at 50% vs h2o's | errors |")
    L.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    by = {s["name"]: s for s in summary["scenarios"]}
    for s in summary["scenarios"]:
        if s["status"] != "measured":
            L.append(f"| {s['title']} | not yet available: {s['reason']} | | | | | | | |")
            continue
        r50 = next((r for r in s["runs"] if r["run"] == "rate50"), None)
        base = by.get(s.get("baseline"))
        b50 = next((r for r in base["runs"] if r["run"] == "rate50"), None) if base and base.get("runs") else None
        p99_ratio = None
        if r50 and b50 and r50.get("p99_us") and b50.get("p99_us"):
            p99_ratio = r50["p99_us"] / b50["p99_us"]
        L.append(f"| {s['title']} | {fmt_num(s['peak_rps'])} | {fmt_ratio(s['ratio'])} | "
                 f"{fmt_num(s['unpinned_peak_rps'])} | "
                 f"{fmt_ratio(s['unpinned_ratio'])} | {fmt_us(r50['p99_us']) if r50 else '–'} | "
                 f"{fmt_us(r50['p999_us']) if r50 else '–'} | {fmt_ratio(p99_ratio)} | "
                 f"{'**' + str(s['errors']) + '**' if s['errors'] else 0} |")
    L.append("")

    rows = targets(summary)
    if rows:
        L.append("## Targets (issue 9, server pinned to one core)")
        L.append("")
        L.append("The targets measured elsewhere: in-process decide time (`Benchmarks/`, ordo-one), import and "
                 "durable delta ingest (`Loadtest/import/README.md`, `Loadtest/deltas/README.md`), and 10 million "
                 "profiles (`Loadtest/tools/cost-growth.sh`, `Loadtest/benchmarks/`).")
        L.append("")
        L.append("| target | measured | met |")
        L.append("|---|---|---|")
        for name, value, ok in rows:
            L.append(f"| {name} | {value} | {'yes' if ok else ('no' if ok is not None else 'see value')} |")
        L.append("")

    if plot_name:
        L.append(f"![latency percentiles]({plot_name})")
        L.append("")

    L.append("## Scenarios")
    for s in summary["scenarios"]:
        L.append("")
        L.append(f"### {s['title']} (`{s['name']}`)")
        L.append("")
        if s["status"] != "measured":
            L.append(f"Not yet available: {s['reason']}.")
            continue
        newconn = s["mode"] != "stream"
        health = s.get("healthz_rps")
        L.append(f"Peak {fmt_num(s['peak_rps'])} req/s = {fmt_ratio(s['ratio'])} of h2o (`{s['baseline']}`, "
                 f"{fmt_num(s['baseline_rps'])} req/s); Tessera's /healthz in the same mode: {fmt_num(health)} req/s"
                 f" ({fmt_ratio(health / s['baseline_rps'] if health and s['baseline_rps'] else None)} of h2o).")
        L.append("")
        head = "| run | target req/s | achieved req/s | vs h2o | p50 | p90 | p99 | p99 vs h2o | p99.9 | p99.99 | max | " \
               "service p99 | send lag p99 | errors | non-2xx | server CPU | others' CPU | server peak RSS |"
        if newconn:
            head += " TTFB mean (incl. connect) |"
        L.append(head)
        L.append("|" + "---|" * (head.count("|") - 1))
        base = by.get(s.get("baseline"))
        for r in s["runs"]:
            warn = ""
            if r["rate"] and r["achieved_rps"] < 0.95 * r["rate"]:
                warn = " ⚠ below target"
            missed = (r.get("unsent") or 0) + (r.get("incomplete") or 0)
            if missed:
                warn += f" ({missed:,} not completed)"
            b = next((x for x in base["runs"] if x["run"] == r["run"]), None) if base and base.get("runs") else None
            # Peaks: req/s against h2o's peak. Fixed rates (each at the same fraction of its own peak): p99 against
            # h2o's p99 in the run of the same name.
            vs = fmt_ratio(r["achieved_rps"] / b["achieved_rps"]) if not r["rate"] and b and b["achieved_rps"] else "–"
            vs99 = fmt_ratio(r["p99_us"] / b["p99_us"]) if r["rate"] and b and b.get("p99_us") and r.get("p99_us") \
                else "–"
            line = (f"| {r['run']}{'' if r['pinned'] else ' (unpinned)'} | {fmt_num(r['rate'])} | "
                    f"{fmt_num(r['achieved_rps'])}{warn} | {vs} | {fmt_us(r['p50_us'])} | {fmt_us(r['p90_us'])} | "
                    f"{fmt_us(r['p99_us'])} | {vs99} | {fmt_us(r['p999_us'])} | {fmt_us(r.get('p9999_us'))} | "
                    f"{fmt_us(r['max_us'])} | {fmt_us(r.get('service_p99_us'))} | {fmt_us(r.get('send_lag_p99_us'))} | "
                    f"{'**' + str(r['errors']) + '**' if r['errors'] else 0} | "
                    f"{'**' + str(r['non_2xx']) + '**' if r['non_2xx'] else 0} | "
                    f"{fmt_num(r['server_cpu_percent'])}% | "
                    f"{fmt_lost(r)} | "
                    f"{fmt_num(r['server_peak_rss_kib'] / 1024 if r['server_peak_rss_kib'] else None, 1)} MiB |")
            if newconn:
                line += f" {fmt_us(round(r['ttfb_mean_us'])) if r['ttfb_mean_us'] else '–'} |"
            L.append(line)
        for r in s["runs"]:
            if r.get("background"):
                L.append("")
                L.append(f"Background load during `{r['run']}`: `{r['background']}`")
        L.append("")
        L.append("<details><summary>commands</summary>")
        L.append("")
        for r in s["runs"]:
            n = f" (repeated {r['h2load_invocations']}×)" if r["h2load_invocations"] > 1 else ""
            L.append(f"- {r['run']}{n}: `{r['command']}`")
        L.append("")
        L.append("</details>")
    rss = summary["tessera_rss"]
    if rss:
        L.append("")
        L.append("## Tessera memory over the whole run")
        L.append("")
        L.append(f"RSS first sample {rss['first_sample_kib'] / 1024:.1f} MiB, last {rss['last_sample_kib'] / 1024:.1f}"
                 f" MiB, max {rss['max_kib'] / 1024:.1f} MiB (VmHWM {rss['hwm_kib'] / 1024:.1f} MiB), "
                 f"{rss['samples']} samples, {rss['requests_served']:,} Tessera requests. RSS includes the pages of "
                 "the memory-mapped LMDB file that requests touched (RssFile, last "
                 f"{rss['file_last_kib'] / 1024:.1f} MiB), which grows as more of the profiles are read; the "
                 f"heap and stacks (RssAnon) went {rss['anon_first_kib'] / 1024:.1f} → "
                 f"{rss['anon_last_kib'] / 1024:.1f} MiB (max {rss['anon_max_kib'] / 1024:.1f} MiB). \"Flat\" is "
                 "judged on RssAnon: growth of at most 4 MiB or 10%.")
    L.append("")
    open(path, "w").write("\n".join(L))


def plot(path, scenarios):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    stream = [s for s in scenarios if s.get("mode") == "stream" and s.get("runs")]
    rate_runs = sorted({r["run"] for s in stream for r in s["runs"] if r["run"].startswith("rate")},
                       key=lambda n: int(n[4:]))
    if not rate_runs:
        return False
    fig, axes = plt.subplots(1, len(rate_runs), figsize=(6.5 * len(rate_runs), 5), squeeze=False, sharey=True)
    ticks = [0.5, 0.9, 0.99, 0.999, 0.9999, 0.99999]
    for ax, run_name in zip(axes[0], rate_runs):
        for s in stream:
            r = next((r for r in s["runs"] if r["run"] == run_name), None)
            if not r:
                continue
            if r.get("latency_curve"):
                # The generator's full percentile curve (HdrHistogram ticks), up to its last point below 100%.
                pts = [(p / 100, v) for p, v in r["latency_curve"] if p < 100 and p >= 50]
            elif r["_durations"]:
                qs = [0.5, 0.75, 0.9, 0.95, 0.99, 0.995, 0.999, 0.9995, 0.9999]
                pts = [(q, percentile(r["_durations"], q)) for q in qs]
            else:
                continue
            if not pts:
                continue
            xs = [-math.log10(1 - q) for q, _ in pts]
            ys = [max(v, 1) for _, v in pts]
            style = "--" if s["name"] in REFERENCES else "-"
            name = {"static": "h2o static", "nginx": "nginx static"}.get(s["name"], s["name"])
            ax.plot(xs, ys, style, linewidth=1.4, label=f"{name} @ {fmt_num(r['rate'])}/s")
        # h2o at decide1's own 50% rate, the reference of the p99 target, beside decide1's rate50 curve.
        same = next((r for s in stream if s["name"] == "static" for r in s["runs"] if r["run"] == "at_decide1_rate50"),
                    None)
        if run_name == "rate50" and same and same.get("latency_curve"):
            pts = [(p / 100, v) for p, v in same["latency_curve"] if 50 <= p < 100]
            if pts:
                ax.plot([-math.log10(1 - q) for q, _ in pts], [max(v, 1) for _, v in pts], ":", linewidth=1.4,
                        label=f"h2o static @ {fmt_num(same['rate'])}/s (decide1's rate)")
        ax.set_xticks([-math.log10(1 - q) for q in ticks])
        ax.set_xticklabels([f"{q * 100:g}" for q in ticks])
        ax.set_yscale("log")
        ax.set_xlabel("percentile")
        ax.set_title(f"open loop at {run_name[4:]}% of each scenario's peak")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    axes[0][0].set_ylabel("latency from intended send time (µs, log scale)")
    fig.suptitle("Tessera (solid) against h2o, nginx (static file) and Tessera /healthz (dashed)\n"
                 "pinned, open-loop generator", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return True


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--results")
    p.add_argument("--peak")
    p.add_argument("--interference")
    p.add_argument("--max", type=float)
    a = p.parse_args()
    if a.interference:
        lost = interference_of(a.interference)
        if a.max is not None:
            print("quiet" if lost is None or max(lost) <= a.max else "busy")
        elif lost:
            print(f"others took {lost[0]}% of CPU 0 and {lost[1]}% of CPU 1" if len(lost) == 2
                  else f"others took {lost[0]}% of the two cores")
        return 0
    if a.peak:
        print(int(peak_of(a.peak)))
        return 0
    env, procs, scenarios = collect(a.results)
    summary = summarize(env, procs, scenarios)
    json.dump(summary, open(os.path.join(a.results, "results.json"), "w"), indent=1)
    plot_name = "latency.png" if plot(os.path.join(a.results, "latency.png"), scenarios) else None
    write_markdown(os.path.join(a.results, "report.md"), summary, plot_name)
    # Small h2load summaries are kept with the report (for new-connection bursts: the last block only).
    keep = os.path.join(a.results, "h2load")
    os.makedirs(keep, exist_ok=True)
    # The open-loop generator's summaries and JSON (with the full percentile curve) likewise.
    keep_ol = os.path.join(a.results, "openloop")
    for f in glob.glob(os.path.join(a.results, "tmp", "runs", "*", "*", "openloop.*")):
        scenario, run = f.split(os.sep)[-3:-1]
        os.makedirs(keep_ol, exist_ok=True)
        shutil.copy(f, os.path.join(keep_ol, f"{scenario}-{run}{os.path.splitext(f)[1]}"))
    for f in glob.glob(os.path.join(a.results, "tmp", "runs", "*", "*", "h2load.txt")):
        scenario, run = f.split(os.sep)[-3:-1]
        text = open(f).read()
        blocks = text.split("starting benchmark...")
        if len(blocks) > 2:
            text = f"[last of {len(blocks) - 1} h2load invocations]\nstarting benchmark..." + blocks[-1]
        text = "\n".join(l for l in text.splitlines() if not l.startswith("progress:"))
        open(os.path.join(keep, f"{scenario}-{run}.txt"), "w").write(text + "\n")
    shutil.copy(os.path.join(a.results, "tmp", "metrics.txt"), keep) if os.path.exists(
        os.path.join(a.results, "tmp", "metrics.txt")) else None
    if summary["errors_total"]:
        print(f"\n\033[1;31mLOAD TEST ERRORS: {summary['errors_total']} failed or non-2xx requests "
              f"(see {a.results}/report.md)\033[0m\n", file=sys.stderr)
        for s in summary["scenarios"]:
            for r in s.get("runs", []):
                if r["errors"] or r["non_2xx"]:
                    print(f"  {s['name']}/{r['run']}: {r['errors']} errors, {r['non_2xx']} non-2xx",
                          file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

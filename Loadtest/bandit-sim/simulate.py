#!/usr/bin/env python3
"""Bandit simulation against the real server, reproducible with a seed.

Starts `tessera serve` (loopback, a fresh data directory with the demo bundle, no profiles), then plays simulated anonymous visitors over HTTP/1.1 (one keep-alive connection):
each asks for `home.recommendations`, is shown the `recs-layout` bandit's variant, and clicks it with that
variant's true click rate (a different table for visitors on a phone, the bandit's per-segment group),
sending the answer's exposure token to POST /v1/feedback. Every --reweight-every exposures it asks the
server to re-compute the bandit's weights (POST /v1/admin/experiments/recs-layout/reweight) instead of
leaving it to the wall-clock --bandit-interval, so a run depends only on the seed. Reports, per window of exposures, the share the
best arm got, and the cumulative regret against a fixed equal split; writes results.json, results.md and
plot.svg to --out. Stops the server it started, on every exit.

    Loadtest/bandit-sim/simulate.py --binary .build/release/tessera --seed 7 --exposures 20000
"""
import argparse, http.client, json, os, random, shutil, signal, subprocess, sys, tempfile, time

ARMS = ["bestsellers", "trending", "picks"]
# True click rates: everyone else, and the reversed table of the `mobile_shopper` group.
RATES = {"": {"bestsellers": 0.02, "trending": 0.03, "picks": 0.05},
         "mobile_shopper": {"bestsellers": 0.05, "trending": 0.03, "picks": 0.02}}
MOBILE_SHARE = 0.3


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=".build/release/tessera")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--exposures", type=int, default=20000)
    ap.add_argument("--reweight-every", type=int, default=500, help="exposures between re-weightings")
    ap.add_argument("--window", type=int, default=1000)
    ap.add_argument("--port", type=int, default=18480)
    ap.add_argument("--out", default="Loadtest/bandit-sim/results")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    work = tempfile.mkdtemp(prefix="bandit-sim-")
    server = None

    def stop(*_):
        if server and server.poll() is None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
        shutil.rmtree(work, ignore_errors=True)

    signal.signal(signal.SIGTERM, lambda *a: (stop(), sys.exit(1)))
    try:
        data = os.path.join(work, "data")
        subprocess.run([args.binary, "compile", "--data", data], check=True, stdout=subprocess.DEVNULL)
        server = subprocess.Popen(
            [args.binary, "serve", "--data", data, "--host", "127.0.0.1", "--port", str(args.port), "--threads", "1",
             "--admin-token", "sim-admin", "--bandit-interval", "3650d", "--log-level", "error"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        conn = None
        for _ in range(200):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=10)
                conn.request("GET", "/readyz")
                if conn.getresponse().read() and True:
                    break
            except OSError:
                time.sleep(0.05)
        else:
            raise SystemExit("server did not start")

        def call(method, path, body=None, headers=None):
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            return r.status, r.read()

        windows = []  # per window: {group: {arm: n}}
        regret = {"bandit": 0.0, "fixed": 0.0}
        curve = []
        counts = {g: {a: 0 for a in ARMS} for g in RATES}
        clicks = 0
        window = {g: {a: 0 for a in ARMS} for g in RATES}
        started = time.time()
        for i in range(args.exposures):
            group = "mobile_shopper" if rng.random() < MOBILE_SHARE else ""
            query = f"/v1/decide?user=sim-{args.seed}-{i}&slots=home.recommendations"
            if group:
                query += "&device=mobile"
            status, body = call("GET", query)
            if status != 200:
                raise SystemExit(f"decide answered {status}: {body[:200]}")
            entry = json.loads(body)["slots"]["home.recommendations"]
            arm = entry.get("variant")
            if entry.get("rule") != "layout-bandit" or arm not in ARMS:
                raise SystemExit(f"visitor {i} did not reach the bandit: {entry}")
            counts[group][arm] += 1
            window[group][arm] += 1
            rates = RATES[group]
            best = max(rates.values())
            regret["bandit"] += best - rates[arm]
            regret["fixed"] += best - sum(rates.values()) / len(rates)
            if rng.random() < rates[arm]:
                clicks += 1
                s, b = call("POST", "/v1/feedback", json.dumps({"type": "click", "token": entry["token"]}),
                            {"content-type": "application/json"})
                if s != 204:
                    raise SystemExit(f"feedback answered {s}: {b[:200]}")
            if (i + 1) % args.reweight_every == 0:
                s, b = call("POST", "/v1/admin/experiments/recs-layout/reweight", headers={"authorization": "Bearer sim-admin"})
                if s != 200:
                    raise SystemExit(f"reweight answered {s}: {b[:200]}")
            if (i + 1) % args.window == 0:
                windows.append(window)
                curve.append((i + 1, regret["bandit"], regret["fixed"]))
                window = {g: {a: 0 for a in ARMS} for g in RATES}
        elapsed = time.time() - started
        _, body = call("GET", "/v1/admin/experiments/recs-layout", headers={"authorization": "Bearer sim-admin"})
        report = json.loads(body)
        _, body = call("GET", "/v1/admin/experiments/recs-layout/weights", headers={"authorization": "Bearer sim-admin"})
        history = json.loads(body)["history"]
    finally:
        stop()

    def best_arm(group):
        return max(RATES[group], key=RATES[group].get)

    share = []
    for n, w in enumerate(windows):
        row = {"exposures": (n + 1) * args.window}
        for g in RATES:
            total = sum(w[g].values())
            row[g or "*"] = w[g][best_arm(g)] / total if total else None
        share.append(row)
    last = share[-1]
    reduction = 1 - regret["bandit"] / regret["fixed"] if regret["fixed"] else 0
    result = {
        "command": " ".join(sys.argv), "seed": args.seed, "exposures": args.exposures, "clicks": clicks,
        "seconds": round(elapsed, 1), "true_rates": RATES, "mobile_share": MOBILE_SHARE,
        "best_arm_share_last_window": {"*": last["*"], "mobile_shopper": last["mobile_shopper"]},
        "best_arm_share_per_window": share,
        "regret": {"bandit": regret["bandit"], "fixed_equal_split": regret["fixed"], "reduction": reduction},
        "exposures_per_arm": counts, "weight_versions": len(history),
        "final_weights": history[-1] if history else None, "server_report": report,
        "targets": {
            "best arm >= 80% of new exposures (last window, everyone else)": last["*"] is not None and last["*"] >= 0.8,
            "regret at least 50% below the fixed split": reduction >= 0.5,
            "per-segment bandit finds the reversed segment's winner (last window >= 50%)":
                last["mobile_shopper"] is not None and last["mobile_shopper"] >= 0.5,
        },
    }
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(result, f, indent=1)
    with open(os.path.join(args.out, "plot.svg"), "w") as f:
        f.write(svg(share, curve, args.window))
    lines = [
        f"# Bandit simulation (seed {args.seed})", "",
        f"Command: `{result['command']}`", "",
        f"{args.exposures} simulated visitors ({int(MOBILE_SHARE * 100)}% on a phone), {clicks} clicks, "
        f"{elapsed:.0f} s against the real server (HTTP/1.1, one connection), bandit re-weighted every {args.reweight_every} exposures "
        f"({len(history)} weight versions).", "",
        "True click rates: everyone else bestsellers 2%, trending 3%, picks 5%; on a phone reversed "
        "(bestsellers 5%, trending 3%, picks 2%).", "",
        "| exposures | best arm's share, everyone else (picks) | best arm's share, on a phone (bestsellers) |",
        "|---:|---:|---:|",
    ]
    for row in share:
        fmt = lambda v: "-" if v is None else f"{100 * v:.0f}%"
        lines.append(f"| {row['exposures']} | {fmt(row['*'])} | {fmt(row['mobile_shopper'])} |")
    lines += ["", f"Cumulative regret (expected clicks lost against always showing the best arm): bandit "
              f"{regret['bandit']:.1f}, fixed equal split {regret['fixed']:.1f}: {100 * reduction:.0f}% lower.", "",
              "Targets:"]
    lines += [f"- {'met' if ok else 'MISSED'}: {name}" for name, ok in result["targets"].items()]
    lines += ["", "![best arm share and regret](plot.svg)", ""]
    with open(os.path.join(args.out, "results.md"), "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))
    return 0 if all(result["targets"].values()) else 1


def svg(share, curve, window):
    """Two panels drawn by hand (no plotting package needed): best-arm share per window, cumulative regret."""
    W, H, pad = 760, 300, 50
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{2 * H}" font-family="sans-serif" font-size="12">',
           '<rect width="100%" height="100%" fill="white"/>']

    def panel(y0, title, series, ymax, ylabel):
        xmax = max(x for s in series for x, _ in s[2]) or 1
        out.append(f'<text x="{pad}" y="{y0 + 20}" font-size="14">{title}</text>')
        out.append(f'<line x1="{pad}" y1="{y0 + H - pad}" x2="{W - 20}" y2="{y0 + H - pad}" stroke="black"/>')
        out.append(f'<line x1="{pad}" y1="{y0 + 30}" x2="{pad}" y2="{y0 + H - pad}" stroke="black"/>')
        out.append(f'<text x="{W - 160}" y="{y0 + H - pad + 30}">exposures (x{window})</text>')
        out.append(f'<text x="5" y="{y0 + 40}">{ylabel}</text>')
        for k in range(5):
            v = ymax * k / 4
            y = y0 + H - pad - (H - pad - 30) * k / 4
            out.append(f'<text x="{pad - 45}" y="{y + 4}">{v:.3g}</text>')
        for name, color, pts in series:
            d = " ".join(f"{pad + (W - 20 - pad) * x / xmax:.1f},{y0 + H - pad - (H - pad - 30) * min(v, ymax) / ymax:.1f}"
                         for x, v in pts if v is not None)
            out.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{d}"/>')
        for n, (name, color, _) in enumerate(series):
            out.append(f'<text x="{W - 250}" y="{y0 + 40 + 16 * n}" fill="{color}">{name}</text>')

    panel(0, "Share of new exposures going to the best arm", [
        ("everyone else (best: picks)", "#1f77b4", [(r["exposures"] / window, r["*"]) for r in share]),
        ("on a phone (best: bestsellers)", "#d62728", [(r["exposures"] / window, r["mobile_shopper"]) for r in share]),
    ], 1.0, "share")
    ymax = max(c[2] for c in curve) if curve else 1
    panel(H, "Cumulative regret (expected clicks lost)", [
        ("bandit", "#2ca02c", [(c[0] / window, c[1]) for c in curve]),
        ("fixed equal split", "#7f7f7f", [(c[0] / window, c[2]) for c in curve]),
    ], ymax, "clicks")
    out.append("</svg>")
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Publishes signed CMS webhooks to a Tessera server at a fixed rate, for a fixed time.

Each delivery upserts one template (default cart/default) with new content, so every publish is a real
revision: compile against the whole bundle, one LMDB commit, installed on every event loop. Used to measure
decide latency while content changes (run h2load at a fixed rate alongside).

  publish_stream.py --url http://127.0.0.1:8080 --secret S --rate 100 --seconds 20

Prints one JSON line: attempted, ok, non_2xx, achieved rate, publish latency p50/p99/max in ms.
Standard library only (HTTP/1.1 keep-alive connections; loopback only).
"""
import argparse, hashlib, hmac, http.client, json, sys, threading, time, urllib.parse


def worker(args, u, index, start, deadline, interval, results):
    """Sends deliveries index, index + k, index + 2k, ... at their scheduled times on one keep-alive connection."""
    conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=10)
    n = index
    run = int(time.time())
    while True:
        due = start + n * interval
        if due >= deadline:
            break
        now = time.monotonic()
        if due > now:
            time.sleep(due - now)
        body = json.dumps({"delivery_id": "stream-%d-%d" % (run, n), "changes": [
            {"op": "upsert", "kind": "template", "id": args.template,
             "source": "<div class=\"banner\">Free returns within 30 days. (edit %d)</div>" % n}]}).encode()
        t = str(int(time.time()))
        sig = hmac.new(args.secret.encode(), t.encode() + b"." + body, hashlib.sha256).hexdigest()
        sent = time.monotonic()
        try:
            conn.request("POST", "/v1/webhooks/cms", body=body,
                         headers={"content-type": "application/json", "tessera-signature": "t=%s,v1=%s" % (t, sig)})
            resp = conn.getresponse()
            resp.read()
            status = resp.status
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=10)
            status = 0
        results.append(((time.monotonic() - sent) * 1000, status))
        n += args.connections


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", default="http://127.0.0.1:8080")
    ap.add_argument("--secret", required=True)
    ap.add_argument("--rate", type=float, default=100.0, help="publishes per second")
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--template", default="cart/default")
    ap.add_argument("--connections", type=int, default=4,
                    help="parallel keep-alive connections (publishes are still applied one at a time by the server)")
    args = ap.parse_args()
    u = urllib.parse.urlparse(args.url)
    if u.hostname not in ("127.0.0.1", "localhost", "::1"):
        sys.exit("refusing a non-loopback target: %s" % u.hostname)
    interval = 1.0 / args.rate
    start = time.monotonic()
    deadline = start + args.seconds
    results = []
    threads = [threading.Thread(target=worker, args=(args, u, i, start, deadline, interval, results))
               for i in range(args.connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    n = len(results)
    ok = sum(1 for _, status in results if 200 <= status < 300)
    bad = n - ok
    latencies = [ms for ms, _ in results]
    elapsed = time.monotonic() - start
    latencies.sort()
    pick = lambda q: round(latencies[min(len(latencies) - 1, int(q * len(latencies)))], 2) if latencies else None
    print(json.dumps({"attempted": n, "ok": ok, "non_2xx": bad, "achieved_rate": round(n / elapsed, 1),
                      "publish_ms_p50": pick(0.5), "publish_ms_p99": pick(0.99), "publish_ms_max": pick(1.0)}))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()

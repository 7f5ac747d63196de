#!/usr/bin/env python3
"""Fetches the first --count URIs of an h2load URI file over one HTTP/1.1 keep-alive connection and
prints the median response body size in bytes. Fails (exit 1) on any non-2xx answer, so a broken
setup is caught before any load is sent.

  probe.py --uris decide1.txt --count 301
"""
import argparse
import http.client
import statistics
import sys
import urllib.parse


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--uris", required=True)
    p.add_argument("--count", type=int, default=301)
    a = p.parse_args()
    with open(a.uris) as f:
        uris = [line.strip() for _, line in zip(range(a.count), f) if line.strip()]
    first = urllib.parse.urlsplit(uris[0])
    conn = http.client.HTTPConnection(first.hostname, first.port, timeout=10)
    sizes = []
    for uri in uris:
        u = urllib.parse.urlsplit(uri)
        conn.request("GET", u.path + ("?" + u.query if u.query else ""))
        r = conn.getresponse()
        body = r.read()
        if not 200 <= r.status < 300:
            print(f"probe: {uri} answered {r.status}: {body[:200]!r}", file=sys.stderr)
            sys.exit(1)
        sizes.append(len(body))
    print(int(statistics.median(sizes)))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Writes an h2load URI file (-i) for one Tessera scenario.

Known users are drawn Zipf-like from u1..uN: rank r is chosen with probability proportional to
1/r**s, and ranks map to user ids through a fixed random permutation, so the popular users are
spread over the whole id range (and the whole LMDB key space), not clustered at u1, u2, ...
Every request carries a `device` context parameter (mobile or desktop), as a frontend would.

  uris.py --kind decide1 --base http://127.0.0.1:18080 --users 200000 --count 100000 > decide1.txt
"""
import argparse
import bisect
import random
import sys

SLOTS_ONE = "home.hero"
SLOTS_PAGE = "home.hero,home.recommendations,cart.banner,email.header"


def zipf_sampler(n, s, rng):
    """Returns a function giving a rank in 1..n with P(r) ~ 1/r**s (inverse CDF over a table)."""
    cdf = []
    total = 0.0
    for r in range(1, n + 1):
        total += 1.0 / (r ** s)
        cdf.append(total)
    return lambda: bisect.bisect_left(cdf, rng.random() * total) + 1


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--kind", required=True, choices=["decide1", "decide4", "fragment", "anonymous"])
    p.add_argument("--base", required=True)
    p.add_argument("--users", type=int, required=True)
    p.add_argument("--count", type=int, default=100_000)
    p.add_argument("--zipf-s", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=7)
    a = p.parse_args()
    rng = random.Random(a.seed)
    ids = list(range(1, a.users + 1))
    rng.shuffle(ids)
    rank = zipf_sampler(a.users, a.zipf_s, rng)
    out = sys.stdout
    for _ in range(a.count):
        device = "mobile" if rng.random() < 0.55 else "desktop"
        if a.kind == "anonymous":
            user = "anon-%012x" % rng.getrandbits(48)
        else:
            user = "u%d" % ids[rank() - 1]
        if a.kind == "decide1":
            out.write(f"{a.base}/v1/decide?user={user}&slots={SLOTS_ONE}&device={device}\n")
        elif a.kind == "decide4":
            out.write(f"{a.base}/v1/decide?user={user}&slots={SLOTS_PAGE}&device={device}\n")
        elif a.kind == "fragment":
            out.write(f"{a.base}/v1/slots/{SLOTS_ONE}?user={user}&device={device}\n")
        else:
            out.write(f"{a.base}/v1/decide?user={user}&slots={SLOTS_ONE}&device={device}\n")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Streams profile deltas to Tessera over HTTP/2 (h2c, prior knowledge) and reports deltas/s.

Unlike h2load, whose body file is the same for every request (so every request after the first would be a
duplicate), every delta sent here is new: user = "<prefix><conn>-<n>", seq increasing per user. Each
response's "applied" count is added up, so the rate reported is deltas the server acknowledged as
committed.

Needs the `h2` package (pip install h2). Example:
  deltastream.py --port 8080 --token secret --connections 4 --streams 16 --batch 250 --seconds 20
"""
import argparse
import asyncio
import json
import time

import h2.config
import h2.connection
import h2.events


async def connection(args, index, deadline, totals):
    reader, writer = await asyncio.open_connection(args.host, args.port)
    conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=True))
    conn.initiate_connection()
    conn.update_settings({h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 1 << 24})
    conn.increment_flow_control_window(1 << 24)
    writer.write(conn.data_to_send())
    seq = 0
    bodies = {}
    pending = {}
    in_flight = 0
    users = args.users

    def start_request():
        nonlocal seq, in_flight
        seq += 1
        lines = []
        for n in range(args.batch):
            user = f"{args.prefix}{index}-{(seq * args.batch + n) % users}"
            user_seq = (seq * args.batch + n) // users + 1
            lines.append(
                '{"user":"%s","seq":%d,"ops":[{"op":"increment","path":"sessions_total","by":1},'
                '{"op":"event","type":"session"}]}' % (user, user_seq))
        body = ("\n".join(lines) + "\n").encode()
        stream = conn.get_next_available_stream_id()
        conn.send_headers(stream, [
            (":method", "POST"), (":path", "/v1/profiles/deltas"), (":scheme", "http"),
            (":authority", f"{args.host}:{args.port}"), ("authorization", f"Bearer {args.token}"),
            ("content-type", "application/x-ndjson"), ("content-length", str(len(body))),
        ])
        pending[stream] = (body, 0)
        bodies[stream] = bytearray()
        in_flight += 1

    def pump_bodies():
        for stream, (body, sent) in list(pending.items()):
            window = min(conn.local_flow_control_window(stream), conn.max_outbound_frame_size)
            while sent < len(body) and window > 0:
                chunk = body[sent:sent + window]
                sent += len(chunk)
                conn.send_data(stream, chunk, end_stream=sent == len(body))
                window = min(conn.local_flow_control_window(stream), conn.max_outbound_frame_size)
            if sent == len(body):
                del pending[stream]
            else:
                pending[stream] = (body, sent)

    # With --rate, each connection starts requests no faster than its share of the target.
    interval = args.batch * args.connections / args.rate if args.rate else 0.0
    t0 = time.monotonic()
    started = 0
    owed = 0

    def start_due():
        nonlocal started, owed
        while owed > 0 and (not interval or time.monotonic() >= t0 + started * interval):
            start_request()
            started += 1
            owed -= 1

    owed = args.streams
    start_due()
    pump_bodies()
    writer.write(conn.data_to_send())
    read = None
    while in_flight > 0 or (owed > 0 and time.monotonic() < deadline):
        if read is None:
            read = asyncio.ensure_future(reader.read(1 << 20))
        wait = max(0.0005, t0 + started * interval - time.monotonic()) if owed > 0 and interval else None
        done, _ = await asyncio.wait({read}, timeout=wait)
        if not done:
            start_due()
            pump_bodies()
            writer.write(conn.data_to_send())
            continue
        data = read.result()
        read = None
        if not data:
            break
        for event in conn.receive_data(data):
            if isinstance(event, h2.events.DataReceived):
                bodies[event.stream_id] += event.data
                conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            elif isinstance(event, h2.events.StreamEnded):
                in_flight -= 1
                answer = json.loads(bodies.pop(event.stream_id))
                totals["applied"] += answer.get("applied", 0)
                totals["other"] += answer.get("duplicate", 0) + answer.get("rejected", 0)
                totals["requests"] += 1
                if time.monotonic() < deadline:
                    owed += 1
                    start_due()
            elif isinstance(event, h2.events.StreamReset):
                in_flight -= 1
                totals["errors"] += 1
        pump_bodies()
        writer.write(conn.data_to_send())
        await writer.drain()
    writer.close()


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--token", required=True)
    p.add_argument("--connections", type=int, default=4)
    p.add_argument("--streams", type=int, default=16, help="requests in flight per connection")
    p.add_argument("--batch", type=int, default=250, help="deltas per request")
    p.add_argument("--users", type=int, default=5000, help="distinct users per connection")
    p.add_argument("--seconds", type=float, default=20)
    p.add_argument("--prefix", default="bench")
    p.add_argument("--rate", type=float, default=0, help="target deltas/s over all connections (0: as fast as possible)")
    args = p.parse_args()
    totals = {"applied": 0, "other": 0, "requests": 0, "errors": 0}
    start = time.monotonic()
    deadline = start + args.seconds
    await asyncio.gather(*(connection(args, i, deadline, totals) for i in range(args.connections)))
    elapsed = time.monotonic() - start
    print(f"{totals['requests']} requests, {totals['applied']} deltas applied, {totals['other']} not applied, "
          f"{totals['errors']} stream errors in {elapsed:.1f} s: {totals['applied'] / elapsed:,.0f} deltas/s")


if __name__ == "__main__":
    asyncio.run(main())

#!/usr/bin/env python3
"""h2probe: an independent HTTP/2 client for Tessera's transport tests.

It writes raw frames (python h2's hyperframe and hpack, not libnghttp2) to a real socket, so it can
do what a well-behaved client library refuses to: frames on closed streams, invalid prefaces,
stream ids going backwards, floods. Loopback only.

    h2probe.py --port P CASE [options]

Prints one JSON object on stdout (the last line) with what it observed. Conformance cases carry
"pass": true/false; the caller asserts on the rest. Exit status: 0 when the case ran (whatever it
observed), 2 on bad usage or when the server could not be reached.
"""

import argparse
import json
import os
import resource
import selectors
import socket
import statistics
import sys
import threading
import time

from hpack import Encoder
from hyperframe.frame import (
    ContinuationFrame,
    DataFrame,
    Frame,
    GoAwayFrame,
    HeadersFrame,
    PingFrame,
    RstStreamFrame,
    SettingsFrame,
    WindowUpdateFrame,
)

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
NO_ERROR, PROTOCOL_ERROR, STREAM_CLOSED, CANCEL, ENHANCE_YOUR_CALM = 0x0, 0x1, 0x5, 0x8, 0xB
HOST = "127.0.0.1"
WINDOW = 1 << 30


def request_headers(encoder, stream_id, path="/fixed", method="GET", end_stream=True):
    """A complete request HEADERS frame."""
    frame = HeadersFrame(stream_id)
    frame.data = encoder.encode([(":method", method), (":scheme", "http"), (":authority", HOST), (":path", path)])
    frame.flags.add("END_HEADERS")
    if end_stream:
        frame.flags.add("END_STREAM")
    return frame


class Connection:
    """One client connection: frames out, frames in (with a deadline), SETTINGS acknowledged."""

    def __init__(self, port, timeout=5.0):
        self.sock = socket.create_connection((HOST, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.encoder = Encoder()
        self.buffer = b""
        self.eof = False

    def start(self):
        """Sends the preface, SETTINGS and a connection WINDOW_UPDATE: windows of 1 GiB, so a
        client that never sends another WINDOW_UPDATE can still read every response."""
        settings = SettingsFrame(0, settings={SettingsFrame.INITIAL_WINDOW_SIZE: WINDOW})
        update = WindowUpdateFrame(0, window_increment=WINDOW - 65535)
        self.sock.sendall(PREFACE + settings.serialize() + update.serialize())

    def send(self, *frames):
        self.sock.sendall(b"".join(f.serialize() for f in frames))

    def headers(self, stream_id, path="/fixed", method="GET", end_stream=True):
        return request_headers(self.encoder, stream_id, path, method, end_stream)

    def _fill(self, n, deadline):
        while len(self.buffer) < n:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                raise TimeoutError
            except (ConnectionResetError, BrokenPipeError):
                chunk = b""
            if not chunk:
                self.eof = True
                raise EOFError
            self.buffer += chunk

    def read_frame(self, deadline):
        """The next frame; raises EOFError at end of stream, TimeoutError at the deadline."""
        self._fill(9, deadline)
        frame, length = Frame.parse_frame_header(memoryview(self.buffer[:9]))
        self._fill(9 + length, deadline)
        frame.parse_body(memoryview(self.buffer[9 : 9 + length]))
        self.buffer = self.buffer[9 + length :]
        if isinstance(frame, SettingsFrame) and "ACK" not in frame.flags:
            self.send(SettingsFrame(0, flags=["ACK"]))
        return frame

    def wait_for(self, predicate, timeout):
        """Reads until predicate(frame); returns (frame, None) or (None, "eof" | "timeout")."""
        deadline = time.monotonic() + timeout
        try:
            while True:
                frame = self.read_frame(deadline)
                if predicate(frame):
                    return frame, None
        except EOFError:
            return None, "eof"
        except TimeoutError:
            return None, "timeout"

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def describe(frame):
    if isinstance(frame, GoAwayFrame):
        return f"GOAWAY(last={frame.last_stream_id}, code={frame.error_code})"
    if isinstance(frame, RstStreamFrame):
        return f"RST_STREAM(stream={frame.stream_id}, code={frame.error_code})"
    return f"{type(frame).__name__}(stream={frame.stream_id}, flags={sorted(frame.flags)})"


def end_of(stream_id):
    return lambda f: f.stream_id == stream_id and "END_STREAM" in getattr(f, "flags", ())


def error_frame(f):
    return isinstance(f, (GoAwayFrame, RstStreamFrame))


def expect_error(conn, code, timeout, stream_id=None):
    """Waits for RST_STREAM(stream_id, code) or GOAWAY(code); a stream error and a connection
    error are both allowed where RFC 9113 allows either."""
    seen = []

    def matches(f):
        seen.append(describe(f))
        if isinstance(f, GoAwayFrame):
            return True
        return isinstance(f, RstStreamFrame) and (stream_id is None or f.stream_id == stream_id)

    frame, failure = conn.wait_for(matches, timeout)
    if frame is None:
        return {"pass": False, "observed": f"{failure} after {seen[-8:]}"}
    ok = frame.error_code == code
    return {"pass": ok, "observed": describe(frame), "frames": seen[-8:]}


def complete_get(conn, stream_id, path="/fixed", timeout=5):
    conn.send(conn.headers(stream_id, path))
    frame, failure = conn.wait_for(end_of(stream_id), timeout)
    if frame is None:
        raise RuntimeError(f"GET {path} on stream {stream_id}: {failure}")


# Conformance cases (RFC 9113), each mirroring an h2spec case nghttpd passes.


def case_get(args):
    conn = Connection(args.port)
    conn.start()
    conn.send(conn.headers(1))
    statuses = []

    def done(f):
        if isinstance(f, HeadersFrame) and f.stream_id == 1:
            statuses.append(f.data)
        return end_of(1)(f)

    frame, failure = conn.wait_for(done, args.timeout)
    return {"pass": frame is not None and bool(statuses), "observed": failure or "response complete"}


def case_closed_data(args):
    """§5.1 closed: DATA after both sides ended the stream → STREAM_CLOSED."""
    conn = Connection(args.port)
    conn.start()
    complete_get(conn, 1)
    conn.send(DataFrame(1, data=b"x", flags=["END_STREAM"]))
    return expect_error(conn, STREAM_CLOSED, args.timeout, 1)


def case_closed_headers(args):
    """§5.1 closed: HEADERS after both sides ended the stream → STREAM_CLOSED."""
    conn = Connection(args.port)
    conn.start()
    complete_get(conn, 1)
    conn.send(conn.headers(1))
    return expect_error(conn, STREAM_CLOSED, args.timeout, 1)


def case_reset_data(args):
    """§5.1 closed: DATA after the client's own RST_STREAM → STREAM_CLOSED."""
    conn = Connection(args.port)
    conn.start()
    conn.send(conn.headers(1, "/echo", "POST", end_stream=False), RstStreamFrame(1, error_code=CANCEL))
    conn.send(DataFrame(1, data=b"x", flags=["END_STREAM"]))
    return expect_error(conn, STREAM_CLOSED, args.timeout, 1)


def case_reset_headers(args):
    """§5.1 closed: HEADERS after the client's own RST_STREAM → STREAM_CLOSED."""
    conn = Connection(args.port)
    conn.start()
    conn.send(conn.headers(1, "/echo", "POST", end_stream=False), RstStreamFrame(1, error_code=CANCEL))
    conn.send(conn.headers(1))
    return expect_error(conn, STREAM_CLOSED, args.timeout, 1)


def case_half_closed_data(args):
    """§5.1 half-closed (remote): DATA after END_STREAM → STREAM_CLOSED, while the response is pending."""
    conn = Connection(args.port)
    conn.start()
    conn.send(conn.headers(1, args.path), DataFrame(1, data=b"x", flags=["END_STREAM"]))
    return expect_error(conn, STREAM_CLOSED, args.timeout, 1)


def case_bad_start(args):
    """§3.4 and §6.5: `bytes` (Python escapes) sent first, e.g. an invalid preface, or a valid one
    followed by something other than SETTINGS: the server answers GOAWAY(PROTOCOL_ERROR)."""
    conn = Connection(args.port)
    conn.sock.sendall(args.bytes.encode().decode("unicode_escape").encode("latin-1"))
    frame, failure = conn.wait_for(lambda f: isinstance(f, GoAwayFrame), args.timeout)
    if frame is None:
        return {"pass": False, "observed": failure}
    return {"pass": frame.error_code == PROTOCOL_ERROR, "observed": describe(frame)}


def case_lower_stream_id(args):
    """§5.1.1: HEADERS opening a stream numbered below an earlier one → GOAWAY(PROTOCOL_ERROR)."""
    conn = Connection(args.port)
    conn.start()
    complete_get(conn, 5)
    conn.send(conn.headers(3))
    frame, failure = conn.wait_for(lambda f: isinstance(f, GoAwayFrame) or end_of(3)(f), args.timeout)
    if frame is None:
        return {"pass": False, "observed": failure}
    ok = isinstance(frame, GoAwayFrame) and frame.error_code == PROTOCOL_ERROR
    return {"pass": ok, "observed": describe(frame)}


def case_skipped_ids(args):
    """Skipping ids is allowed (§5.1.1): streams 1, 7, 9 all get answers."""
    conn = Connection(args.port)
    conn.start()
    for stream_id in (1, 7, 9):
        complete_get(conn, stream_id)
    return {"pass": True, "observed": "streams 1, 7, 9 answered"}


# Floods. Each reports what the attacker saw; the Swift test asserts on it.


class Drain(threading.Thread):
    """Reads everything the server sends, remembering GOAWAY and end of stream."""

    def __init__(self, conn):
        super().__init__(daemon=True)
        self.conn = conn
        self.goaway = None
        self.eof = False
        self.frames = 0

    def run(self):
        deadline = time.monotonic() + 60
        try:
            while True:
                frame = self.conn.read_frame(deadline)
                self.frames += 1
                if isinstance(frame, GoAwayFrame) and self.goaway is None:
                    self.goaway = frame.error_code
        except (EOFError, TimeoutError, OSError, ValueError):
            self.eof = True


def flood_connection(args, make_batch):
    """One attacking connection: batches from make_batch until `count` were sent or the server
    stopped it. Returns (outcome, GOAWAY code or None, batches sent)."""
    conn = Connection(args.port)
    conn.start()
    drain = Drain(conn)
    drain.start()
    sent, outcome = 0, "all-sent"
    conn.sock.settimeout(args.timeout)
    try:
        while sent < args.count:
            conn.sock.sendall(b"".join(f.serialize() for f in make_batch(conn, sent)))
            sent += 1
            if drain.goaway is not None or drain.eof:
                break
    except socket.timeout:
        outcome = "backpressure"
    except (BrokenPipeError, ConnectionResetError):
        outcome = "closed"
    drain.join(timeout=args.timeout)
    if drain.goaway is not None:
        outcome = "goaway"
    elif drain.eof and outcome == "all-sent":
        outcome = "closed"
    conn.close()
    return outcome, drain.goaway, sent


def flood(args, make_batch):
    """Attacks for `duration` seconds, reconnecting whenever the server ends a connection (the
    connection open at the deadline still runs until the server ends it or `count` is sent)."""
    started = time.monotonic()
    deadline = started + (args.duration or 3.0)
    outcomes, codes, most = {}, set(), 0
    connections = 0
    while time.monotonic() < deadline:
        outcome, code, sent = flood_connection(args, make_batch)
        connections += 1
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        if code is not None:
            codes.add(code)
        most = max(most, sent)
        if outcome == "all-sent" and sent >= args.count:
            break
    return {
        "connections": connections,
        "outcomes": outcomes,
        "goaway_codes": sorted(codes),
        "most_batches_on_one_connection": most,
        "count": args.count,
        "seconds": round(time.monotonic() - started, 3),
    }


def case_rapid_reset(args):
    """CVE-2023-44487: HEADERS immediately cancelled by RST_STREAM, `batch` streams per write."""

    def batch(conn, i):
        frames = []
        for j in range(args.batch):
            stream_id = 2 * (i * args.batch + j) + 1
            frames += [conn.headers(stream_id), RstStreamFrame(stream_id, error_code=CANCEL)]
        return frames

    return flood(args, batch)


def case_settings_flood(args):
    """SETTINGS frames, `batch` per write, each demanding an ACK."""
    frame = SettingsFrame(0, settings={SettingsFrame.MAX_CONCURRENT_STREAMS: 100})
    return flood(args, lambda conn, i: [frame] * args.batch)


def case_ping_flood(args):
    """PING frames, `batch` per write, each demanding an ACK."""
    return flood(args, lambda conn, i: [PingFrame(0, opaque_data=(i * args.batch + j).to_bytes(8, "big")) for j in range(args.batch)])


def case_continuation_flood(args):
    """HEADERS without END_HEADERS, then CONTINUATION after CONTINUATION (each a valid HPACK piece)."""
    block = Encoder().encode(
        [(":method", "GET"), (":scheme", "http"), (":authority", "x"), (":path", "/fixed")]
        + [(f"x-flood-{i}", "v" * 20) for i in range(args.count * 2)]
    )
    pieces = [block[i : i + 64] for i in range(0, len(block), 64)]

    def batch(conn, i):
        if i == 0:
            return [HeadersFrame(1, data=pieces[0])]
        return [ContinuationFrame(1, data=pieces[i % len(pieces)])]

    return flood(args, batch)


def case_slowloris(args):
    """`connections` clients sending request headers (after the HTTP/2 preface, or an HTTP/1.1
    request head) one byte every `interval` seconds; reports when the server closed each."""
    if args.http1:
        opening = b""
        payload = b"GET /fixed HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"s" * 4096
    else:
        # The preface at once, then the HEADERS frame a byte at a time, never its last byte.
        opening = PREFACE + SettingsFrame(0).serialize()
        payload = request_headers(Encoder(), 1).serialize()[:-1]
    socks = []
    for _ in range(args.connections):
        s = socket.create_connection((HOST, args.port), timeout=5)
        s.sendall(opening)
        s.setblocking(False)
        socks.append(s)
    started = time.monotonic()
    closed_at = [None] * len(socks)
    offset = 0
    while time.monotonic() - started < (args.duration or 5.0) and None in closed_at:
        for i, s in enumerate(socks):
            if closed_at[i] is not None:
                continue
            try:
                if s.recv(65536) == b"":
                    closed_at[i] = time.monotonic() - started
                    continue
            except BlockingIOError:
                pass
            except OSError:
                closed_at[i] = time.monotonic() - started
                continue
            try:
                if offset < len(payload):
                    s.send(payload[offset : offset + 1])
            except OSError:
                closed_at[i] = time.monotonic() - started
        offset += 1
        time.sleep(args.interval)
    for s in socks:
        s.close()
    done = [t for t in closed_at if t is not None]
    return {
        "connections": len(socks),
        "closed": len(done),
        "max_seconds": round(max(done), 3) if done else None,
        "bytes_sent_each": min(offset, len(payload)),
    }


def case_idle(args):
    """Opens `connections` connections, each making `requests` GETs (so the handshake is complete), then
    holds them idle for `hold` seconds. Prints a "ready" line first so the caller can measure."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < args.connections + 64:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, args.connections + 64), hard))
    conns, served, refused = [], 0, 0
    for _ in range(args.connections):
        try:
            conn = Connection(args.port, timeout=5)
            conn.start()
            for i in range(args.requests):
                complete_get(conn, 2 * i + 1)
            conns.append(conn)
            served += 1
        except (RuntimeError, OSError):
            refused += 1  # closed by the server before the response: over its connection limit
    print(json.dumps({"ready": True, "served": served, "refused": refused}), flush=True)
    time.sleep(args.hold)
    still_open = 0
    for conn in conns:
        conn.sock.setblocking(False)
        try:
            data = conn.sock.recv(65536)
            still_open += 0 if data == b"" else 1
        except BlockingIOError:
            still_open += 1
        except OSError:
            pass
        conn.close()
    return {"served": served, "refused": refused, "still_open": still_open}


def case_latency(args):
    """A well-behaved client: `count` sequential GETs on one connection; round-trip percentiles."""
    conn = Connection(args.port)
    conn.start()
    times, failures = [], 0
    started = time.monotonic()
    for i in range(args.count):
        if args.duration and time.monotonic() - started > args.duration and i > 0:
            break
        if args.pause:
            time.sleep(args.pause)
        stream_id = 2 * i + 1
        begin = time.perf_counter()
        conn.send(conn.headers(stream_id, args.path))
        frame, failure = conn.wait_for(end_of(stream_id), args.timeout)
        if frame is None:
            failures += 1
            break
        times.append((time.perf_counter() - begin) * 1000)
    times.sort()

    def pct(p):
        return round(times[min(len(times) - 1, int(len(times) * p))], 3) if times else None

    return {
        "ok": len(times),
        "failures": failures,
        "p50_ms": pct(0.5),
        "p99_ms": pct(0.99),
        "max_ms": round(times[-1], 3) if times else None,
        "seconds": round(time.monotonic() - started, 3),
    }


CASES = {
    "get": case_get,
    "closed-data": case_closed_data,
    "closed-headers": case_closed_headers,
    "reset-data": case_reset_data,
    "reset-headers": case_reset_headers,
    "half-closed-data": case_half_closed_data,
    "bad-start": case_bad_start,
    "lower-stream-id": case_lower_stream_id,
    "skipped-ids": case_skipped_ids,
    "rapid-reset": case_rapid_reset,
    "settings-flood": case_settings_flood,
    "ping-flood": case_ping_flood,
    "continuation-flood": case_continuation_flood,
    "slowloris": case_slowloris,
    "idle": case_idle,
    "latency": case_latency,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("case", choices=sorted(CASES))
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--timeout", type=float, default=3.0, help="seconds to wait for an expected frame")
    parser.add_argument("--path", default="/fixed")
    parser.add_argument("--bytes", default="PRI * HTTP/2.0\\r\\n\\r\\nXX\\r\\n\\r\\n")
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--interval", type=float, default=0.1)
    parser.add_argument("--duration", type=float, default=0.0, help="seconds floods and latency runs last (0: no limit)")
    parser.add_argument("--hold", type=float, default=3.0)
    parser.add_argument("--requests", type=int, default=1, help="GETs each idle connection makes first")
    parser.add_argument("--http1", action="store_true")
    parser.add_argument("--batch", type=int, default=1, help="frames (or stream pairs) per write in floods")
    parser.add_argument("--pause", type=float, default=0.0, help="seconds between latency requests")
    args = parser.parse_args()
    try:
        result = CASES[args.case](args)
    except (ConnectionRefusedError, RuntimeError) as error:
        print(json.dumps({"case": args.case, "error": str(error)}))
        sys.exit(2)
    result["case"] = args.case
    print(json.dumps(result))


if __name__ == "__main__":
    main()

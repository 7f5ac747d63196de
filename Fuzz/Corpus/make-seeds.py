#!/usr/bin/env python3
"""Writes the seed corpora under Fuzz/Corpus/<target>/ from the demo data, README examples and tests.

Run from anywhere: `python3 Fuzz/Corpus/make-seeds.py` (needs the `h2` package for the HTTP/2 seeds:
`pip install h2`). The files it writes are committed; scripts/fuzz runs on a scratch copy of them.
"""
import hashlib
import hmac
import json
import pathlib
import shutil

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "Fuzz" / "Corpus"
NOW = 1795600800  # 2026-11-25T10:00:00Z, the fuzz targets' clock


def write(target, name, data):
    d = OUT / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data if isinstance(data, bytes) else data.encode())


def reset(target):
    shutil.rmtree(OUT / target, ignore_errors=True)


DELTA = {"user": "u1", "seq": 42, "ts": "2026-11-25T10:00:00Z", "ops": [
    {"op": "set", "path": "first_name", "value": "Ana"},
    {"op": "unset", "path": "country"},
    {"op": "increment", "path": "orders", "by": 1},
    {"op": "append", "path": "interests", "value": "denim", "max": 10},
    {"op": "remove", "path": "interests", "value": "vintage"},
    {"op": "add_segment", "id": "churn_risk", "score": 0.82, "ttl": "7d"},
    {"op": "remove_segment", "id": "churn_risk"},
    {"op": "event", "type": "add_to_cart", "properties": {"sku": "sku-9", "quantity": 1, "price": 39.9},
     "ts": "2026-11-25T09:59:00Z"},
    {"op": "consent", "purpose": "personalization", "granted": True}]}

DELTAS = [
    DELTA,
    {"user": "u1", "seq": 41, "ops": [{"op": "set", "path": "country", "value": "DE"}]},
    {"user": "u2", "seq": 7, "ops": [{"op": "set", "path": "nickname", "value": "x"}]},
    {"user": "u3", "seq": 1, "ts": 1795600000, "ops": [
        {"op": "increment", "path": "ltv", "by": 120.5},
        {"op": "set", "path": "last_seen", "value": "2026-11-24T08:00:00Z"},
        {"op": "add_segment", "id": "vip", "score": 1, "expires_at": "2026-12-31T00:00:00Z"},
        {"op": "event", "type": "purchase", "properties": {"value": 80, "sku": "sku-1"}},
        {"op": "event", "type": "session"},
        {"op": "event", "type": "remove_from_cart", "properties": {"sku": "sku-9"}}]},
    {"user": "u4", "seq": 2, "ops": [
        {"op": "append", "path": "interests", "value": "streetwear", "max": 1},
        {"op": "set", "path": "sessions_7d", "value": 4},
        {"op": "add_segment", "id": "churn_risk", "ttl": 3600},
        {"op": "event", "type": "order_completed", "properties": {"revenue": 1e6}, "ts": "2026-11-25T09:00:00Z"},
        {"op": "consent", "purpose": "personalization", "granted": False}]},
]

SEGMENT_CALLS = [
    {"type": "identify", "userId": "s9", "messageId": "m1", "timestamp": "2026-11-25T09:00:00Z",
     "traits": {"first_name": "Sam", "email": "sam@example.com", "churn_risk": True}},
    {"type": "track", "userId": "s9", "messageId": "m2", "event": "Product Added",
     "properties": {"sku": "k1", "price": 25, "quantity": 2}},
    {"type": "page", "userId": "s9", "messageId": "m3", "name": "Home", "properties": {"path": "/"}},
    {"type": "track", "userId": "s9", "messageId": "m4", "event": "Audience Exited",
     "properties": {"audience_key": "churn_risk"}},
    {"type": "track", "userId": "s9", "messageId": "m4b", "event": "Audience Entered",
     "properties": {"audience_key": "vip"}},
    {"type": "identify", "userId": "s9", "messageId": "m5", "traits": {"orders": "lots"}},
    {"type": "track", "userId": "s9", "event": "No Id"},
    {"type": "track", "anonymousId": "a1", "messageId": "m6", "event": "Order Completed",
     "properties": {"revenue": 99.5, "order_id": "o1"}, "sentAt": "2026-11-25T09:30:00Z"},
    {"type": "screen", "userId": "s1", "messageId": "m7", "name": "Cart"},
    {"type": "identify", "userId": "s2", "messageId": "m8",
     "traits": {"ltv": 640, "orders": 6, "interests": ["denim", "vintage"], "first_seen": "2025-01-01T00:00:00Z"}},
]

IMPORT_LINES = [
    {"id": "u1", "attributes": {"first_name": "Ana", "orders": 3, "ltv": 250.5}, "segments": ["churn_risk"]},
    {"id": "u1", "attributes": {"orders": 4, "interests": ["denim"]}, "segments": ["vip"]},
    {"id": "u2", "attributes": {"first_name": None}},
    {"id": "u3", "attributes": {"orders": 4}, "events": [
        {"type": "purchase", "ts": "2026-11-01T10:00:00Z", "properties": {"value": 80}},
        {"type": "add_to_cart", "ts": "2026-11-20T10:00:00Z", "properties": {"sku": "s", "quantity": 2, "price": 9.5}}]},
    {"id": "u4", "consent": {"personalization": False}, "attributes": {"country": "FR", "sessions_7d": 5}},
    {"id": "u5", "attributes": {"first_seen": "2026-01-01T00:00:00Z", "cart_value": 120, "cart_age_hours": 30}},
]


def json_seeds():
    reset("json")
    docs = [
        {"user": "u9", "slots": ["home.hero", "email.header"], "context": {"device": "mobile"}, "explain": True},
        DELTA,
        json.load(open(ROOT / "Tests/TargetingTests/Corpus/cases.json"))["evalCondition"][:6],
    ]
    for i, d in enumerate(docs):
        write("json", f"doc-{i}.json", json.dumps(d))
    for i, text in enumerate([
        '[]', '{}', 'null', 'true', '-0', '0.1e-7', '1.7976931348623157e308', '-9007199254740993', '12345678901234567890',
        '"\\u00e9\\ud83d\\ude00\\n\\t\\"\\\\\\/"', '[[[[[[[[[[]]]]]]]]]]', ' {"a" : [1, 2.5, {"b": null}], "a": false} ',
        '"\xc3\xa9 raw utf-8"', '5e-324', '[1,2,3,]', '{"k":"v"}x']):
        write("json", f"text-{i}.json", text)


def delta_seeds():
    reset("delta")
    ndjson = "\n".join(json.dumps(d) for d in DELTAS) + "\n"
    write("delta", "ndjson", b"\x00" + ndjson.encode())
    write("delta", "array", b"\x01" + json.dumps(DELTAS).encode())
    write("delta", "lines-no-content-type", b"\x01" + ndjson.encode())
    for i, d in enumerate(DELTAS):
        write("delta", f"one-{i}", b"\x00" + json.dumps(d).encode())
    write("delta", "bad-line", b"\x00" + b'{"user":"u1","seq":1,"ops":[]}\n{not json\n\n{"user":"u1","seq":2}\n')


def segmentspec_seeds():
    reset("segmentspec")
    write("segmentspec", "batch", json.dumps({"batch": SEGMENT_CALLS}))
    for i, c in enumerate(SEGMENT_CALLS):
        write("segmentspec", f"call-{i}", json.dumps(c))


def import_seeds():
    reset("import")
    lines = "\n".join(json.dumps(l) for l in IMPORT_LINES) + "\n"
    write("import", "merge", b"\x00" + lines.encode())
    write("import", "replace", b"\x01" + lines.encode())
    for i, l in enumerate(IMPORT_LINES):
        write("import", f"line-{i}", bytes([i & 1]) + json.dumps(l).encode())


def condition_seeds():
    reset("condition")
    cases = json.load(open(ROOT / "Tests/TargetingTests/Corpus/cases.json"))["evalCondition"]
    for i, case in enumerate(cases[::4]):
        write("condition", f"case-{i:02}", json.dumps(case[1]) + "\0" + json.dumps(case[2]))
    for name, when, attributes in [
        ("ltv", {"attributes.ltv": {"$gte": 5000}}, {"attributes": {"ltv": 6000}}),
        ("within", {"activity.first_seen": {"$within": "24h"}}, {"activity": {"first_seen": NOW - 60}}),
        ("segments-in", {"segments": {"$in": ["at_risk", "churn_risk"]}}, {"segments": ["churn_risk"]}),
        ("or-events", {"$or": [{"events.session.count": {"$lte": 1}}, {"attributes.sessions_total": {"$exists": True}}]},
         {"events": {"session": {"count": 1}}}),
        ("version", {"v": {"$vgt": "1.2.3-beta.1"}}, {"v": "1.10.0"}),
        ("regex", {"email": {"$regex": "^[a-z]+@example\\.(com|org)$"}}, {"email": "sam@example.com"}),
        ("elem", {"tags": {"$elemMatch": {"$eq": "x"}}, "n": {"$size": {"$gt": 0}}}, {"tags": ["x"], "n": [1]}),
        ("big-number", {"n": {"$gt": 1e308, "$lt": -1e308}}, {"n": 1e308}),
    ]:
        write("condition", f"demo-{name}", json.dumps(when) + "\0" + json.dumps(attributes))


def template_seeds():
    reset("template")
    greeting = (ROOT / "Templates/partials/greeting.mustache").read_text() \
        if (ROOT / "Templates/partials/greeting.mustache").exists() else "Hi {{profile.first_name}}"
    data = json.dumps({"profile": {"first_name": "Olivia", "interests": ["denim", "vintage"]},
                       "rule": {"discount": 20, "code": "COMEBACK15"}, "context": {"device": "mobile"},
                       "items": [{"name": "a", "price": 9.5}, {"name": "<b>", "price": 1e21}], "flag": True})
    for path in sorted((ROOT / "Templates").rglob("*.mustache")):
        source = path.read_text().replace("{{> partials/greeting}}", "{{> b}}")
        name = str(path.relative_to(ROOT / "Templates")).replace("/", "_").removesuffix(".mustache")
        write("template", f"demo-{name}", source + "\0" + greeting + "\0" + data)
    for i, (a, b) in enumerate([
        ("{{#items}}{{name}}: {{price}}{{/items}}{{^items}}none{{/items}}", ""),
        ("{{=<% %>=}}<% flag %><%={{ }}=%>{{{context.device}}}{{&rule.code}}", ""),
        ("{{! comment }}\n  {{#flag}}\n  {{> b}}\n  {{/flag}}\n", "{{> a}} recursion {{.}}"),
        ("{{#profile.interests}}{{.}},{{/profile.interests}}{{missing.deep.name}}", ""),
    ]):
        write("template", f"spec-{i}", a + "\0" + b + "\0" + data)


def bundle_seeds():
    reset("bundle")
    slots = sorted(p.name for p in (ROOT / "Mappings/slots").glob("*.yaml"))
    for i, name in enumerate(slots):
        write("bundle", f"slot-{name}", bytes([i]) + (ROOT / "Mappings/slots" / name).read_bytes())
    write("bundle", "slot-new", bytes([len(slots)]) + b"slot: fuzz.slot\nrules:\n  - name: r\n    when: { \"attributes.ltv\": { $gte: 5000 } }\n    template: hero/vip\n    data: { discount: 20 }\ndefault: { template: hero/generic }\n")
    write("bundle", "segments", bytes([len(slots) + 1]) + (ROOT / "Mappings/segments.yaml").read_bytes())
    write("bundle", "schema", bytes([len(slots) + 2]) + (ROOT / "Mappings/schema.yaml").read_bytes())


def webhook_seeds():
    reset("webhook")
    bodies = [
        {"delivery_id": "d-1", "changes": [{"op": "upsert", "kind": "template", "id": "cart/default",
                                            "source": "<div>Free returns, 60 days</div>"}]},
        {"delivery_id": "d-81", "changes": [
            {"op": "upsert", "kind": "template", "id": "hero/vip", "source": "<section>{{> partials/greeting}} {{rule.discount}}%</section>"},
            {"op": "upsert", "kind": "slot", "id": "home.hero", "source": "slot: home.hero\nrules:\n  - name: vip\n    segment: vip_plus\n    template: hero/vip\ndefault: { template: hero/generic }\n"},
            {"op": "upsert", "kind": "segment", "id": "vip_plus", "source": "description: Top spenders\nwhen: { \"attributes.ltv\": { $gte: 5000 } }\n"},
            {"op": "delete", "kind": "template", "id": "hero/old"}]},
        {"delivery_id": "d-2", "changes": [{"op": "upsert", "kind": "template", "id": "bad", "source": "{{#open}}"}]},
        {"delivery_id": "d-3", "changes": [{"op": "delete", "kind": "segment", "id": "loyal_customer"}]},
    ]
    for i, b in enumerate(bodies):
        body = json.dumps(b).encode()
        mac = hmac.new(b"fuzz", str(NOW).encode() + b"." + body, hashlib.sha256).hexdigest()
        write("webhook", f"signed-{i}", f"t={NOW},v1={mac}\n".encode() + body)
    write("webhook", "two-signatures", f"t={NOW - 299}, v1={'0' * 64}, v1={'ab' * 32}, v0=x\n".encode() + json.dumps(bodies[0]).encode())
    write("webhook", "stale", f"t={NOW - 301},v1={'0' * 64}\n".encode() + b"{}")


def query_seeds():
    reset("query")
    for i, q in enumerate([
        "/v1/decide?user=u5&slots=home.hero,cart.banner&device=mobile",
        "/v1/decide?user=u9&slots=home.hero&explain=true",
        "/v1/slots/home.hero?user=u9",
        "/v1/decide?user=u%C3%A9+x&slots=home.hero,email.header,nope&device=desktop&device=mobile&explain=1",
        "/v1/decide?user=&slots=,&=x&&a&%zz=%4",
        "/v1/decide?user=u1&slots=home.hero&utm_source=mail&country=DE&segments=vip",
    ]):
        write("query", f"target-{i}", q)


def http_seeds():
    reset("http")
    import h2.config
    import h2.connection
    h1 = [
        b"GET /v1/decide?user=u9&slots=home.hero HTTP/1.1\r\nHost: x\r\n\r\n",
        b"POST /v1/decide HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\nContent-Type: application/json\r\n\r\n{\"user\":1}\n"
        b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n",
        b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        b"GET /status?304 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"GET / HTTP/1.0\r\n\r\n",
        b"GET /a HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc",
    ]
    for i, r in enumerate(h1):
        write("http", f"h1-{i}", bytes([0]) + r)
        write("http", f"h1-{i}-split", bytes([0x03, 10, 200, 40]) + r)

    def h2_stream(build):
        c = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
        c.initiate_connection()
        build(c)
        return c.data_to_send()

    def get(c, path="/v1/decide?user=u9&slots=home.hero", sid=1, end=True):
        c.send_headers(sid, [(":method", "GET"), (":scheme", "http"), (":authority", "127.0.0.1"), (":path", path),
                             ("user-agent", "fuzz")], end_stream=end)

    def post(c):
        c.send_headers(1, [(":method", "POST"), (":scheme", "http"), (":authority", "x"), (":path", "/echo"),
                           ("content-length", "5")])
        c.send_data(1, b"hello", end_stream=True)

    def many(c):
        for sid in (1, 3, 5, 7, 9, 11, 13, 15, 17, 19):
            get(c, "/big" if sid % 4 == 1 else "/x", sid)
        c.ping(b"12345678")
        c.increment_flow_control_window(1 << 20)

    def reset_stream(c):
        get(c, "/big", 1)
        c.reset_stream(1)
        get(c, "/x", 3, end=False)
        c.send_data(3, b"partial")
        c.update_settings({h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 1})
        c.close_connection()

    for name, build in [("get", get), ("post", post), ("many", many), ("reset", reset_stream)]:
        data = h2_stream(build)
        write("http", f"h2-{name}", bytes([0]) + data)
        write("http", f"h2-{name}-split", bytes([0x14, 3, 24, 9, 50, 1]) + data)
        write("http", f"h2-{name}-shutdown", bytes([0x19, 60]) + data)


for seeds in [json_seeds, delta_seeds, segmentspec_seeds, import_seeds, condition_seeds, template_seeds, bundle_seeds,
              webhook_seeds, query_seeds, http_seeds]:
    seeds()

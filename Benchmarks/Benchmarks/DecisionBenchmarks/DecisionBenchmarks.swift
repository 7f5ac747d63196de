// Microbenchmarks of Tessera's in-process hot path: condition evaluation, template rendering (against
// hummingbird-project/swift-mustache as a baseline), LMDB profile reads and whole decisions.
//
//     cd Benchmarks && swift package --disable-sandbox benchmark --no-progress
//
// Every benchmark runs its operation 1,000 times per measured iteration (`scalingFactor: .kilo`); the plugin
// reports time and mallocs per operation (marked `*`; in 1.38.1 `--scale` turns that division off). Results
// and the exact commands: Loadtest/benchmarks/README.md.

import Benchmark
import BundleCompiler
import Decision
import Foundation
import JSON
import Mustache
import Store
import Targeting
import Templating

// MARK: - Fixtures

/// The repository root (the demo bundle lives in Templates/ and Mappings/).
let repositoryRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

/// One VIP profile: loyal_customer, cart_abandoner, eco_minded; drives every benchmark that needs "a user".
let vipProfileJSON = #"""
    {"id":"vip","attributes":{"first_name":"Ana","country":"DE","age_band":"35-44","income_bracket":"high",
    "traffic_source":"email","interests":["sustainability","streetwear"],"sessions_total":42,"sessions_7d":3,
    "high_margin_views_7d":4,"cart_items":2,"cart_value":60.5,"cart_age_hours":30,"orders":12,"ltv":1800,
    "days_since_purchase":20,"loyalty_tier":"gold","recommended_category":"outerwear",
    "first_seen":"2024-03-01T10:00:00Z","last_seen":"2026-11-20T18:30:00Z"},"consent":{"personalization":true}}
    """#

let oneSlot = ["home.hero"]
let fourSlots = ["home.hero", "home.recommendations", "cart.banner", "email.header"]

/// The decision time every decision uses (servers pass their clock; relative-time conditions need one).
let decisionTime = Date().timeIntervalSince1970

/// The request context every decision uses.
let requestContext = RequestContext([("device", .string("mobile")), ("country", .string("DE"))])

/// A deterministic demo-like profile for user `u<i>`: a mix of new, casual, loyal, at-risk and cart users.
func generatedProfileJSON(_ i: Int) -> String {
    let names = ["Ana", "Ben", "Chloé", "Dev", "Eli", "Fay", "Gus", "Hana"]
    let tiers = ["none", "silver", "gold", "platinum"]
    let interests = [
        #"["sustainability"]"#, #"["streetwear","denim"]"#, #"[]"#, #"["vintage","outdoor"]"#, #"["running"]"#,
    ]
    let categories = ["outerwear", "shoes", "bags", "knitwear"]
    let orders = i % 13
    let sessions = 1 + (i * 7) % 60
    var attrs = #""first_name":"\#(names[i % names.count])","country":"\#(["DE", "FR", "NL", "SE"][i % 4])","#
    attrs += #""interests":\#(interests[i % interests.count]),"sessions_total":\#(sessions),"sessions_7d":\#(i % 9),"#
    attrs += #""high_margin_views_7d":\#(i % 6),"orders":\#(orders),"ltv":\#((i * 37) % 2400),"#
    attrs += #""loyalty_tier":"\#(tiers[i % tiers.count])""#
    if orders > 0 { attrs += #","days_since_purchase":\#((i * 11) % 200)"# }
    if i % 3 == 0 {
        attrs += #","cart_items":\#(1 + i % 4),"cart_value":\#(20 + (i * 13) % 180),"cart_age_hours":\#(i % 72)"#
    }
    if i % 2 == 0 { attrs += #","recommended_category":"\#(categories[i % categories.count])""# }
    let segments = i % 17 == 0 ? #","segments":["churn_risk"]"# : ""
    let consent = i % 10 == 9 ? "false" : "true"
    return #"{"id":"u\#(i)","attributes":{\#(attrs)}\#(segments),"consent":{"personalization":\#(consent)}}"#
}

/// The compiled demo bundle and an engine over it (cheap: built once per benchmark process).
final class DemoFixture: @unchecked Sendable {
    static let shared: DemoFixture = {
        do { return try DemoFixture() } catch { fatalError("demo fixture: \(error)") }
    }()

    let bundle: CompiledBundle
    let engine: DecisionEngine
    /// The VIP profile encoded as a stored record (no LMDB).
    let vipRecord: [UInt8]
    /// The VIP profile as JSON (`{"attributes": {...}}`), for JSONConditionScope and template roots.
    let vipJSON: JSONValue

    init() throws {
        let sources = try BundleSources.load(
            templates: repositoryRoot + "/Templates", mappings: repositoryRoot + "/Mappings")
        bundle = try BundleCompiler.compile(sources)
        engine = try DecisionEngine(bundle: bundle, revision: 1)
        let parsed = try JSONValue.parse(vipProfileJSON)
        vipRecord = try ProfileInput.parse(parsed, bundle: bundle, version: 1).profile.encode()
        vipJSON = .object([("attributes", parsed["attributes"]!)])
    }
}

/// A temporary DataStore with 10,000 generated profiles plus `vip` imported (validated against the demo bundle;
/// the bundle itself is not stored: the benchmarks use the in-memory `DecisionEngine`).
final class StoreFixture: @unchecked Sendable {
    nonisolated(unsafe) static var current: StoreFixture?
    static let profileCount = 10_000

    let directory: String
    let store: DataStore
    let reader: ProfileReader
    /// `u0` ... `u9999`, in a scattered (not key) order.
    let userIDs: [String]
    /// 4-slot requests for every user in `userIDs`, built once.
    let rotatingRequests: [DecisionRequest]

    static func shared() throws -> StoreFixture {
        if let current { return current }
        let f = try StoreFixture()
        current = f
        return f
    }

    /// Removes the data directory. The objects stay alive until the process (one per benchmark) exits:
    /// releasing the fixture would let `ProfileReader` drop the last `DataStore` reference before its
    /// `ReadTransaction`, closing the environment first and crashing in `mdb_txn_abort` (see the README).
    static func cleanUp() {
        guard let f = current else { return }
        try? FileManager.default.removeItem(atPath: f.directory)
    }

    private init() throws {
        let demo = DemoFixture.shared
        directory = NSTemporaryDirectory() + "tessera-bench-" + UUID().uuidString
        var options = DataStore.Options()
        options.mapSize = 256 << 20
        options.durableCommits = false
        store = try DataStore(path: directory, options: options)
        var lines = (0..<Self.profileCount).map(generatedProfileJSON)
        lines.append(vipProfileJSON.replacingOccurrences(of: "\n", with: ""))
        var it = lines.makeIterator()
        let summary = try ProfileImporter(store: store, bundle: demo.bundle).run(lines: {
            it.next().map { Array($0.utf8) }
        })
        precondition(
            summary.rejected.isEmpty && summary.imported == Self.profileCount + 1,
            "import: \(summary.rejected.prefix(3))")
        reader = try ProfileReader(store: store)
        // 7919 is prime and coprime with 10,000: a permutation that is not the B-tree's key order.
        userIDs = (0..<Self.profileCount).map { "u\(($0 * 7919) % Self.profileCount)" }
        rotatingRequests = userIDs.map {
            DecisionRequest(user: $0, slots: fourSlots, context: requestContext, now: decisionTime)
        }
    }
}

/// Compiles a condition given as JSON text.
func condition(_ json: String) -> Condition {
    do { return try ConditionCompiler.compile(try JSONValue.parse(json)) } catch {
        fatalError("condition \(json): \(error)")
    }
}

/// hummingbird swift-mustache over the same template sources as the demo bundle.
func mustacheLibrary() throws -> MustacheLibrary {
    var library = MustacheLibrary()
    for id in ["hero/vip", "partials/greeting", "partials/badge"] {
        let source = try String(contentsOfFile: repositoryRoot + "/Templates/\(id).mustache", encoding: .utf8)
        try library.register(source, named: id)
    }
    return library
}

// MARK: - Benchmarks

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .instructions, .mallocCountTotal, .throughput],
        warmupIterations: 5,
        scalingFactor: .kilo,
        maxDuration: .seconds(3),
        maxIterations: 2_000
    )

    // 0. Harness baseline: what the measurement itself costs per 1,000-operation iteration.

    Benchmark("Baseline empty loop") { benchmark in
        benchmark.startMeasurement()
        for i in benchmark.scaledIterations {
            blackHole(i)
        }
    }

    // 1. Condition evaluation

    let numeric = #"{"attributes.orders": {"$gte": 5}, "attributes.ltv": {"$gte": 500}}"#
    let inList = #"{"attributes.interests": {"$in": ["sustainability", "vintage"]}}"#
    let inListRegex =
        #"{"attributes.interests": {"$in": ["sustainability", "vintage"]}, "attributes.first_name": {"$regex": "^A[a-z]+$"}}"#
    for (name, source) in [("numeric $gte x2", numeric), ("$in list", inList), ("$in list + $regex", inListRegex)] {
        Benchmark("Condition.JSONScope \(name)") { benchmark in
            let c = condition(source)
            let scope = JSONConditionScope(DemoFixture.shared.vipJSON)
            precondition(c.evaluate(in: scope), "\(name) should hold for the VIP profile")
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                blackHole(c.evaluate(in: scope))
            }
        }
    }

    Benchmark("Condition.Profile all demo segments (engine.segments)") { benchmark in
        let demo = DemoFixture.shared
        demo.vipRecord.withUnsafeBytes { raw in
            let profile = ProfileView(raw)!
            let segments = demo.engine.segments(
                user: "vip", profile: profile, context: requestContext, now: decisionTime)
            precondition(
                Set(segments).isSuperset(of: ["loyal_customer", "cart_abandoner", "mobile_shopper", "eco_minded"]),
                "\(segments)")
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                blackHole(
                    demo.engine.segments(user: "vip", profile: profile, context: requestContext, now: decisionTime))
            }
        }
    }

    // 2. Template rendering: hero/vip (two partials, sections, escaped variables)

    Benchmark("Template.Tessera hero/vip (JSONValue root, reused buffer)") { benchmark in
        let demo = DemoFixture.shared
        let library = demo.bundle.templates
        let handle = library.template("hero/vip")!
        let root: JSONValue = .object([
            ("attributes", demo.vipJSON["attributes"]!), ("data", .object([("discount", .number(20))])),
        ])
        var out: [UInt8] = []
        out.reserveCapacity(1024)
        library.render(handle, root: root, into: &out)
        let expected = String(decoding: out, as: UTF8.self)
        let mustache = try mustacheLibrary().render(mustacheRoot(), withTemplate: "hero/vip")
        precondition(mustache == expected, "renderers disagree:\n\(expected)\n---\n\(mustache ?? "nil")")
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            out.removeAll(keepingCapacity: true)
            library.render(handle, root: root, into: &out)
            blackHole(out.count)
        }
    }

    Benchmark("Template.swift-mustache hero/vip ([String: Any] root, String result)") { benchmark in
        let library = try mustacheLibrary()
        let root = mustacheRoot()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(library.render(root, withTemplate: "hero/vip"))
        }
    }

    // 3. LMDB profile read: one snapshot, one get, one attribute

    Benchmark(
        "LMDB.profile read (10k profiles, one attribute)",
        configuration: .init(teardown: { StoreFixture.cleanUp() })
    ) { benchmark in
        let f = try StoreFixture.shared()
        let ltv = DemoFixture.shared.bundle.schema.attribute(named: "ltv")!.id
        var i = 0
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            let user = f.userIDs[i]
            i = i + 1 == f.userIDs.count ? 0 : i + 1
            let value = try f.reader.withSnapshot { snapshot -> Double in
                guard let p = try snapshot.profile(user), case .number(let n) = p.attribute(ltv) else { return -1 }
                return n
            }
            blackHole(value)
        }
    }

    // 4. Whole in-process decision: snapshot + profile read + segments + rules + render + JSON response

    for (name, slots, rotate) in [
        ("1 slot, vip user", oneSlot, false), ("4 slots, vip user", fourSlots, false),
        ("4 slots, 10k users rotating", fourSlots, true),
    ] {
      // Each decision without and with the per-loop render cache (16 MiB, as one event loop of a server would have).
      for cached in [false, true] {
        Benchmark(
            "Decision.decide \(name)\(cached ? " [render cache]" : "")",
            configuration: .init(teardown: { StoreFixture.cleanUp() })
        ) { benchmark in
            let f = try StoreFixture.shared()
            let engine = DemoFixture.shared.engine
            let requests =
                rotate
                ? f.rotatingRequests
                : [DecisionRequest(user: "vip", slots: slots, context: requestContext, now: decisionTime)]
            var out: [UInt8] = []
            var scratch: [UInt8] = []
            var choices: [SlotChoice] = []
            out.reserveCapacity(8192)
            scratch.reserveCapacity(4096)
            choices.reserveCapacity(8)
            // Check the VIP decision once (outside the measurement).
            if !rotate {
                try f.reader.withSnapshot { s in
                    engine.decide(
                        requests[0], profile: try s.profile("vip"), into: &out, scratch: &scratch, choices: &choices)
                }
                let response = try JSONValue.parse(String(decoding: out, as: UTF8.self))
                precondition(response["slots"]?["home.hero"]?["variant"] == .string("vip"), "\(response)")
            }
            let cache = cached ? RenderCache(budget: 16 << 20) : nil
            var i = 0
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                out.removeAll(keepingCapacity: true)
                choices.removeAll(keepingCapacity: true)
                try f.reader.withSnapshot { s in
                    engine.decide(
                        requests[i], profile: try s.profile(requests[i].user), into: &out, scratch: &scratch,
                        choices: &choices, cache: cache)
                }
                i = i + 1 == requests.count ? 0 : i + 1
                blackHole(out.count)
            }
        }
      }
    }
}

/// The hero/vip render root for swift-mustache: the same values as Tessera's JSONValue root, as Swift
/// dictionaries, arrays, strings and numbers (integral numbers as Int so both print `20`, not `20.0`).
func mustacheRoot() -> [String: Any] {
    let demo = DemoFixture.shared
    let root: JSONValue = .object([
        ("attributes", demo.vipJSON["attributes"]!), ("data", .object([("discount", .number(20))])),
    ])
    return anyValue(root) as! [String: Any]
}

func anyValue(_ v: JSONValue) -> Any {
    switch v {
    case .null: return Optional<Any>.none as Any
    case .bool(let b): return b
    case .number(let n): return n == n.rounded() && abs(n) < 1e15 ? Int(n) as Any : n
    case .string(let s): return s
    case .array(let a): return a.map(anyValue)
    case .object(let members):
        var d: [String: Any] = [:]
        for (k, v) in members where d[k] == nil { d[k] = anyValue(v) }
        return d
    }
}

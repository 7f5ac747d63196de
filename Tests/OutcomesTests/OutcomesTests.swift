import BundleCompiler
import Decision
import Foundation
import JSON
import LMDB
import Publishing
import Store
import Targeting
import Testing
import Crypto

@testable import Outcomes

@Suite("Experiment statistics")
struct ExperimentStatisticsTests {
    @Test func wilsonMatchesTheFormula() {
        // Reference values: scipy-free closed form, computed independently in Python.
        let w = ExperimentStatistics.wilson(successes: 10, trials: 100)
        #expect(abs(w.low - 0.0552291370606751) < 1e-12)
        #expect(abs(w.high - 0.17436566150491345) < 1e-12)
        #expect(ExperimentStatistics.wilson(successes: 0, trials: 0) == (0, 0))
        let all = ExperimentStatistics.wilson(successes: 5, trials: 5)
        #expect(all.high == 1 && all.low > 0.5)
    }

    @Test func chanceToBeatControl() {
        // Exact sum, checked against 200,000 Monte Carlo draws (0.9818) and Evan Miller's formula (0.98217).
        let p = ExperimentStatistics.chanceToBeat(control: (100, 1000), variant: (130, 1000))
        #expect(abs(p - 0.9821650661158386) < 1e-9)
        #expect(abs(ExperimentStatistics.chanceToBeat(control: (50, 1000), variant: (50, 1000)) - 0.5) < 1e-9)
        // Symmetric.
        let q = ExperimentStatistics.chanceToBeat(control: (130, 1000), variant: (100, 1000))
        #expect(abs(p + q - 1) < 1e-9)
        // Near and past the exact sum's limit (5,000 successes), against numerical integration of the two Beta
        // densities with scipy (0.8233447, 0.9983340).
        let exact = ExperimentStatistics.chanceToBeat(control: (4_900, 100_000), variant: (4_990, 100_000))
        let approx = ExperimentStatistics.chanceToBeat(control: (49_000, 1_000_000), variant: (49_900, 1_000_000))
        #expect(abs(exact - 0.8233447199015491) < 1e-6)
        #expect(abs(approx - 0.9983340478998306) < 1e-5)
        // Successes past trials cannot produce a NaN or a trap.
        #expect(ExperimentStatistics.chanceToBeat(control: (9, 3), variant: (0, 0)).isFinite)
    }

    @Test func sampleRatioMismatchPValues() throws {
        // scipy.stats.chi2.sf references.
        #expect(abs(ExperimentStatistics.upperIncompleteGammaQ(0.5, 3.841458820694124 / 2) - 0.05) < 1e-10)
        #expect(abs(ExperimentStatistics.upperIncompleteGammaQ(1, 5.991464547107979 / 2) - 0.05) < 1e-10)
        #expect(abs(ExperimentStatistics.upperIncompleteGammaQ(0.5, 20) - 2.5396285894708634e-10) < 1e-18)
        #expect(abs(ExperimentStatistics.upperIncompleteGammaQ(1.5, 0.25) - 0.9188914116546758) < 1e-10)
        let skewed = try #require(ExperimentStatistics.sampleRatioMismatch(observed: [700, 300], weights: [0.5, 0.5]))
        #expect(skewed.chiSquare == 160 && skewed.pValue < 1e-30)
        let fine = try #require(ExperimentStatistics.sampleRatioMismatch(observed: [505, 495], weights: [0.5, 0.5]))
        #expect(fine.pValue > 0.5)
        #expect(ExperimentStatistics.sampleRatioMismatch(observed: [1], weights: [1]) == nil)
        #expect(ExperimentStatistics.sampleRatioMismatch(observed: [0, 0], weights: [0.5, 0.5]) == nil)
    }
}

@Suite("Exposure ring and tokens")
struct ExposureRingTests {
    @Test func aFullRingDropsAndCountsInsteadOfWaiting() {
        let ring = ExposureRing(capacity: 4)
        let user = Array("u1".utf8)
        var appended = 0
        for i in 0..<7 {
            if user.withUnsafeBytes({
                ring.append(time: Double(i), revision: 1, slot: 0, outcome: i, nonce: UInt32(i), segments: SegmentSet([i]), user: $0)
            }) { appended += 1 }
        }
        #expect(appended == 4 && ring.dropped == 3)
        var seen: [Exposure] = []
        #expect(ring.drain { seen.append($0) } == 4)
        #expect(seen.map(\.outcome) == [0, 1, 2, 3])
        #expect(seen.allSatisfy { $0.userID == "u1" && $0.segments == SegmentSet([Int($0.outcome)]) })
        // Space is free again, and wraps around.
        for i in 0..<3 { _ = user.withUnsafeBytes { ring.append(time: 0, revision: 1, slot: 1, outcome: 10 + i, nonce: 0, segments: SegmentSet(), user: $0) } }
        seen = []
        ring.drain { seen.append($0) }
        #expect(seen.map(\.outcome) == [10, 11, 12])
    }

    @Test func oneProducerOneConsumerLoseNothingUnlessFull() async {
        let ring = ExposureRing(capacity: 1024)
        let total = 200_000
        let producer = Task.detached {
            var sent = 0
            let user = Array(String(repeating: "x", count: 300).utf8)  // cut to 256 in the record
            for i in 0..<total {
                if user.withUnsafeBytes({
                    ring.append(time: Double(i), revision: 7, slot: 2, outcome: 3, nonce: UInt32(i), segments: SegmentSet(), user: $0)
                }) { sent += 1 }
            }
            return sent
        }
        var received: [UInt32] = []
        var done = false
        while !done {
            done = producer.isCancelled
            ring.drain { e in received.append(e.nonce) }
            if received.count + ring.dropped == total { done = true }
            await Task.yield()
        }
        let sent = await producer.value
        #expect(received.count == sent && sent + ring.dropped == total)
        // In order, and every record whole (nonces increase; no torn record).
        #expect(zip(received, received.dropFirst()).allSatisfy { $0 < $1 })
    }

    @Test func tokensCannotBeForgedOrRedirected() {
        let signer = ExposureTokenSigner(secret: Array("a-secret-of-sixteen+".utf8))
        let claims = ExposureClaims(time: 1_780_000_000, revision: 3, slot: 1, outcome: 2, nonce: 99, user: 0xfeed_beef)
        let token = signer.token(claims)
        #expect(token.count == ExposureTokenSigner.tokenLength)
        #expect(signer.verify(token) == .success(claims))
        // Any single changed character is refused.
        let chars = Array(token)
        for i in chars.indices {
            var c = chars
            c[i] = c[i] == "A" ? "B" : "A"
            #expect((try? signer.verify(String(c)).get()) == nil, "changed at \(i)")
        }
        #expect(signer.verify(token.dropLast()) == .failure(.malformed))
        #expect(signer.verify(String(repeating: "!", count: 50)) == .failure(.malformed))
        let other = ExposureTokenSigner(secret: Array("another-secret-16b".utf8))
        #expect(other.verify(token) == .failure(.badSignature))
    }
}

@Suite("Outcome store on real LMDB", .serialized)
struct OutcomeStoreTests {
    /// A store with the demo bundle's catalog.
    static func make(logBytes: Int = 1 << 20) throws -> (OutcomeStore, OutcomeCollector, DecisionEngine, String) {
        let directory = NSTemporaryDirectory() + "tessera-outcomes-" + UUID().uuidString
        var options = DataStore.Options()
        options.mapSize = 64 << 20
        let store = try DataStore(path: directory, options: options)
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        let sources = try BundleSources.load(templates: root + "/Templates", mappings: root + "/Mappings")
        let (revision, bundle) = try ContentPublisher(store: store).publish(sources: sources, origin: .compile)
        let engine = try DecisionEngine(bundle: bundle, revision: revision.revision)
        var o = OutcomeStore.Options()
        o.decisionLogBytes = logBytes
        let outcomes = try OutcomeStore(store: store, options: o)
        var c = OutcomeCollector.Configuration()
        c.interval = 3600  // only flush() commits: the test decides when
        let collector = OutcomeCollector(store: outcomes, configuration: c)
        collector.register(engine)
        collector.start()
        return (outcomes, collector, engine, directory)
    }

    /// Exposures of experiment `onboarding-hero` (slot home.hero): `a` users see variant a, `b` variant b.
    static func expose(_ ring: ExposureRing, engine: DecisionEngine, a: Int, b: Int, time: Double = 1000) throws {
        let slot = try #require(engine.slot(named: "home.hero"))
        let outcomes = engine.outcomeDescriptions(slot: slot)
        let ia = try #require(outcomes.firstIndex { $0.experiment == "onboarding-hero" && $0.variant == "a" })
        let ib = try #require(outcomes.firstIndex { $0.experiment == "onboarding-hero" && $0.variant == "b" })
        for i in 0..<(a + b) {
            let user = Array("user-\(i)".utf8)
            user.withUnsafeBytes {
                _ = ring.append(
                    time: time, revision: engine.revision, slot: slot, outcome: i < a ? ia : ib, nonce: UInt32(i),
                    segments: SegmentSet([0]), user: $0)
            }
        }
    }

    @Test func aSkewedSplitIsFlaggedAndABalancedOneIsNot() throws {
        for (a, b, flagged) in [(700, 300, true), (505, 495, false)] {
            let (store, collector, engine, dir) = try Self.make()
            defer {
                collector.stop()
                try? FileManager.default.removeItem(atPath: dir)
            }
            let ring = collector.makeRing()
            try Self.expose(ring, engine: engine, a: a, b: b)
            try collector.flush()
            let report = try #require(try OutcomeReport(store: store).experiment("onboarding-hero", catalog: OutcomeCatalog(engine)))
            #expect(report["sample_ratio"]?["mismatch"] == .bool(flagged), "\(a)/\(b): \(report.jsonText)")
            let users = report["variants"].flatMap { v -> [JSONValue]? in if case .array(let x) = v { return x } else { return nil } }?
                .map { $0["users"] }
            #expect(users == [.number(Double(a)), .number(Double(b))])
        }
    }

    @Test func theRawLogKeepsItsBoundOldestFirstAndCountsStay() throws {
        // Each record is 64 bytes + the user id ("user-N", 6-8 bytes): 40 KB holds about 560 of 2,000.
        let (store, collector, engine, dir) = try Self.make(logBytes: 40_000)
        defer {
            collector.stop()
            try? FileManager.default.removeItem(atPath: dir)
        }
        let ring = collector.makeRing()
        try Self.expose(ring, engine: engine, a: 1000, b: 1000)
        try collector.flush()
        let report = OutcomeReport(store: store)
        let kept = try report.decisions(after: nil, since: -.infinity, limit: 100_000)
        let bytes = kept.reduce(0) { $0 + 64 + $1.1.user.count }
        #expect(bytes <= 40_000 && bytes > 40_000 - 80, "\(bytes)")
        #expect(kept.last?.1.userID == "user-1999", "the newest are kept")
        #expect(kept.first.map { $0.0 } == UInt64(2000 - kept.count), "the oldest went first")
        // The aggregates are kept regardless of the log's bound.
        let exp = try #require(try report.experiment("onboarding-hero", catalog: nil))
        if case .array(let rows)? = exp["variants"] {
            #expect(rows.map { $0["exposures"] } == [.number(1000), .number(1000)])
        } else {
            Issue.record("no variants: \(exp.jsonText)")
        }
    }

    @Test func committedCountsSurviveReopening() throws {
        let (_, collector, engine, dir) = try Self.make()
        let ring = collector.makeRing()
        try Self.expose(ring, engine: engine, a: 3, b: 2)
        try collector.flush()
        collector.stop()
        // A new process: the same directory opened again, nothing in memory.
        let reopened = try OutcomeStore(store: try DataStore(path: dir))
        let exp = try #require(try OutcomeReport(store: reopened).experiment("onboarding-hero", catalog: nil))
        if case .array(let rows)? = exp["variants"] {
            #expect(rows.map { $0["users"] } == [.number(3), .number(2)])
        } else {
            Issue.record("no variants: \(exp.jsonText)")
        }
        try? FileManager.default.removeItem(atPath: dir)
    }
}

@Suite("HMAC-SHA256 with precomputed pads")
struct HMACSHA256Tests {
    static func hex(_ s: String) -> [UInt8] {
        var out: [UInt8] = []
        var i = s.startIndex
        while i < s.endIndex {
            let j = s.index(i, offsetBy: 2)
            out.append(UInt8(s[i..<j], radix: 16)!)
            i = j
        }
        return out
    }

    @Test func rfc4231Vectors() {
        // RFC 4231 test cases 1, 2, 3 and 6 (a key longer than the block).
        let cases: [([UInt8], [UInt8], String)] = [
            ([UInt8](repeating: 0x0b, count: 20), Array("Hi There".utf8),
             "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
            (Array("Jefe".utf8), Array("what do ya want for nothing?".utf8),
             "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
            ([UInt8](repeating: 0xaa, count: 20), [UInt8](repeating: 0xdd, count: 50),
             "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),
            ([UInt8](repeating: 0xaa, count: 131), Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
             "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
        ]
        for (key, message, expected) in cases {
            #expect(HMACSHA256(key: key).mac(message) == Self.hex(expected))
        }
    }

    @Test func agreesWithSwiftCryptoOnRandomInputs() {
        var rng = SplitMix64(seed: 42)
        for n in 0..<300 {
            let key = (0..<(n % 100 + 1)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let message = (0..<(n % 130)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let reference = Array(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key)))
            #expect(HMACSHA256(key: key).mac(message) == reference, "key \(key.count) B, message \(message.count) B")
        }
    }
}

@Suite("Bandits: Thompson sampling and re-weighting from counts", .serialized)
struct BanditTests {
    @Test func thompsonSamplingFavoursTheBetterArmAndKeepsTheFloor() {
        let w = ThompsonSampling.weights(successes: [20, 30, 50], trials: [1000, 1000, 1000], minShare: 0.01, seed: 1)
        #expect(w.count == 3 && abs(w.reduce(0, +) - 1) < 1e-9)
        #expect(w[2] > 0.95, "\(w)")
        #expect(w.allSatisfy { $0 >= 0.01 - 1e-12 })
        #expect(ThompsonSampling.weights(successes: [20, 30, 50], trials: [1000, 1000, 1000], minShare: 0.01, seed: 1) == w)
        let even = ThompsonSampling.weights(successes: [40, 40], trials: [1000, 1000], minShare: 0, seed: 3)
        #expect(abs(even[0] - 0.5) < 0.03, "\(even)")
        // Samplers: Beta(a, b) has mean a / (a + b), including shapes below 1.
        var rng = SplitMix64(seed: 9)
        for (a, b) in [(2.0, 5.0), (0.5, 0.5), (300.0, 700.0)] {
            let n = 20_000
            let mean = (0..<n).reduce(0.0) { s, _ in s + ThompsonSampling.sampleBeta(a, b, &rng) } / Double(n)
            #expect(abs(mean - a / (a + b)) < 0.01, "Beta(\(a), \(b)) mean \(mean)")
        }
    }

    @Test func weightsStayConfiguredUntilTheBurnInThenMovePerGroup() throws {
        let (store, collector, engine, dir) = try OutcomeStoreTests.make()
        defer {
            collector.stop()
            try? FileManager.default.removeItem(atPath: dir)
        }
        let slot = try #require(engine.slot(named: "home.recommendations"))
        let outcomes = engine.outcomeDescriptions(slot: slot)
        let arms = ["bestsellers", "trending", "picks"].map { v in
            outcomes.firstIndex { $0.experiment == "recs-layout" && $0.variant == v }
        }
        let mobile = try #require(engine.segmentNamesByBit.firstIndex(of: "mobile_shopper"))
        let ring = collector.makeRing()
        let signer = ExposureTokenSigner(secret: Array("bandit-test-secret".utf8))
        var n: UInt32 = 0
        /// `count` exposures of arm `arm` (on a phone or not), the first `clicks` of them clicked.
        func show(_ arm: Int, count: Int, clicks: Int, phone: Bool) throws {
            var tokens: [String] = []
            for i in 0..<count {
                n += 1
                let user = Array("u-\(n)".utf8)
                let outcome = try #require(arms[arm])
                user.withUnsafeBytes {
                    _ = ring.append(
                        time: 1000, revision: engine.revision, slot: slot, outcome: outcome, nonce: n,
                        segments: phone ? SegmentSet([mobile]) : SegmentSet(), user: $0)
                }
                if i < clicks {
                    tokens.append(
                        signer.token(
                            ExposureClaims(
                                time: 1000, revision: UInt32(engine.revision), slot: UInt16(slot), outcome: UInt16(outcome),
                                nonce: n, user: OutcomeStore.userKey(user))))
                }
            }
            try collector.flush()
            for t in tokens {
                let claims = try signer.verify(t).get()
                #expect(try collector.submitAndWait(.click(claims, token: t)) == .counted(attributed: 2))
            }
        }
        // 50 exposures per arm: below the burn-in (100): the configured equal split stands.
        for arm in 0..<3 { try show(arm, count: 50, clicks: arm == 2 ? 10 : 1, phone: false) }
        try collector.recomputeBandits()
        let before = try #require(collector.banditWeights.entries["recs-layout"])
        #expect(before.weights[""]?.map { ($0 * 1000).rounded() } == [333, 333, 333], "\(before.weights)")
        // Past the burn-in: picks wins for everyone else; on a phone bestsellers wins.
        for arm in 0..<3 { try show(arm, count: 100, clicks: arm == 2 ? 15 : 2, phone: false) }
        for arm in 0..<3 { try show(arm, count: 150, clicks: arm == 0 ? 20 : 2, phone: true) }
        try collector.recomputeBandits()
        let after = try #require(collector.banditWeights.entries["recs-layout"])
        #expect(after.version == before.version + 1)
        #expect((after.weights[""]?[2] ?? 0) > 0.9, "\(after.weights)")
        #expect((after.weights["mobile_shopper"]?[0] ?? 0) > 0.9, "\(after.weights)")
        #expect(after.ranges[""]?.count == 3)
        // Stored with history, and read back by a new collector (a restart keeps the weights).
        #expect(try collector.banditHistory("recs-layout").map(\.version) == [before.version, after.version])
        collector.stop()
        let again = OutcomeCollector(store: try OutcomeStore(store: store.store))
        again.start()
        #expect(again.banditWeights.entries["recs-layout"] == after)
        again.stop()
    }
}

@Suite("Exposure token format")
struct ExposureTokenFormatTests {
    /// The same claims signed by Python's hmac/hashlib/base64 (Fuzz/Corpus/feedback/token-1): the format is
    /// the documented one, independently of this code.
    @Test func matchesAnIndependentImplementation() {
        let signer = ExposureTokenSigner(secret: Array("fuzz-exposure-secret".utf8))
        let claims = ExposureClaims(time: 1_780_000_000, revision: 1, slot: 0, outcome: 2, nonce: 7, user: 0x1234)
        #expect(signer.token(claims) == "AQClGGoBAAAAAAACAAcAAAA0EgAAAAAAABe0OOmp8rCte2jbVQ")
    }
}

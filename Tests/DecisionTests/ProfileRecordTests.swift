import Decision
import DemoData
import Targeting
import Testing

@Suite("Binary profile record")
struct ProfileRecordTests {
    let sample = ProfileData(
        version: 7, consent: true, segmentIDs: [9, 2, 2],
        attributes: [
            (3, .string("Ana")), (1, .number(42.5)), (7, .bool(true)), (8, .bool(false)), (9, .null),
            (5, .stringList(["a", "", "ccc"])), (6, .numberList([1, -2, 3.25])),
        ])

    @Test func roundTripsEveryValueTypeInPlace() throws {
        let bytes = sample.encode()
        try bytes.withUnsafeBytes { raw in
            let view = try #require(ProfileView(raw))
            #expect(view.version == 7)
            #expect(view.consent == true)
            #expect(view.explicitSegmentCount == 2)
            #expect(view.explicitSegment(at: 0) == 2)
            #expect(view.explicitSegment(at: 1) == 9)
            guard case .string(let s)? = view.attribute(3) else {
                Issue.record("string")
                return
            }
            #expect(String(decoding: s, as: UTF8.self) == "Ana")
            guard case .number(let n)? = view.attribute(1) else {
                Issue.record("number")
                return
            }
            #expect(n == 42.5)
            guard case .bool(true)? = view.attribute(7), case .bool(false)? = view.attribute(8),
                case .null? = view.attribute(9)
            else {
                Issue.record("bool/null")
                return
            }
            guard case .list(let strings)? = view.attribute(5), case .list(let numbers)? = view.attribute(6) else {
                Issue.record("lists")
                return
            }
            #expect(strings.count == 3 && !strings.isNumbers)
            guard case .string(let third) = strings.element(at: 2) else {
                Issue.record("list element")
                return
            }
            #expect(String(decoding: third, as: UTF8.self) == "ccc")
            guard case .number(let last) = numbers.element(at: 2) else {
                Issue.record("number element")
                return
            }
            #expect(last == 3.25)
            #expect(view.attribute(2) == nil)
            #expect(view.attribute(100) == nil)
        }
    }

    @Test func consentIsNilWhenNeverRecorded() throws {
        let bytes = ProfileData(version: 1, consent: nil, segmentIDs: [], attributes: []).encode()
        #expect(bytes.withUnsafeBytes { ProfileView($0)?.consent } == .some(nil))
        let denied = ProfileData(version: 1, consent: false, segmentIDs: [], attributes: []).encode()
        #expect(denied.withUnsafeBytes { ProfileView($0)?.consent } == .some(false))
    }

    @Test func truncatedOrCorruptRecordsNeverReadOutOfBounds() {
        let bytes = sample.encode()
        // Every truncation, and every single-byte corruption, must either be rejected or read within bounds
        // (an out-of-bounds read traps in `describe`).
        var readable = 0
        for cut in 0..<bytes.count {
            let truncated = Array(bytes[0..<cut])
            truncated.withUnsafeBytes { raw in
                guard let view = ProfileView(raw) else { return }
                readable += 1
                for id in UInt16(0)...12 { _ = describe(view.attribute(id)) }
            }
        }
        #expect(readable < bytes.count, "a record cut short of its header is rejected")
        #expect(bytes.withUnsafeBytes { ProfileView($0) } != nil, "the whole record reads")
        var rng = SplitMix64(seed: 0x7e55e7a)  // seeded: a failure reproduces
        var corruptReadable = 0
        for _ in 0..<2000 {
            var corrupt = bytes
            corrupt[Int.random(in: 0..<corrupt.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            corrupt.withUnsafeBytes { raw in
                guard let view = ProfileView(raw) else { return }
                corruptReadable += 1
                for id in UInt16(0)...12 { _ = describe(view.attribute(id)) }
            }
        }
        #expect(corruptReadable > 0, "most single-byte corruptions still parse and are read through")
    }

    /// Touches every byte a value points at (so a bad bound would trap).
    func describe(_ v: AttributeValue?) -> Int {
        switch v {
        case .string(let s)?: return s.reduce(0) { $0 &+ Int($1) }
        case .list(let l)?: return (0..<l.count).reduce(0) { $0 &+ describe(l.element(at: $1)) }
        default: return 0
        }
    }
}


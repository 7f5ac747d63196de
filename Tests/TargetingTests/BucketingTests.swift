import Targeting
import Testing

@Suite("Bucketing beyond the corpus")
struct BucketingTests {
    @Test func fnvKnownVectors() {
        // Standard FNV-1a 32-bit test vectors.
        #expect(Bucketing.fnv1a32([UInt8]()) == 0x811C_9DC5)
        #expect(Bucketing.fnv1a32(Array("a".utf8)) == 0xE40C_292C)
        #expect(Bucketing.fnv1a32(Array("foobar".utf8)) == 0xBF9C_F968)
    }

    /// Non-ASCII values hash as UTF-16 code units, like the JavaScript SDK (expected values from it).
    @Test(arguments: [
        ("seed", "héllo", 0.97, 0.359),
        ("", "😀", 0.472, 0.4971),
        ("exp", "日本語", 0.913, 0.931),
        ("a", "é😀x", 0.302, 0.0917),
    ])
    func nonASCIIMatchesJavaScript(seed: String, value: String, v1: Double, v2: Double) {
        #expect(Bucketing.hash(seed: seed, value: value, version: 1) == v1)
        #expect(Bucketing.hash(seed: seed, value: value, version: 2) == v2)
        var copy = value
        copy.withUTF8 { bytes in
            #expect(Bucketing.hash(seed: seed, valueUTF8: UnsafeRawBufferPointer(bytes), version: 1) == v1)
            #expect(Bucketing.hash(seed: seed, valueUTF8: UnsafeRawBufferPointer(bytes), version: 2) == v2)
        }
    }

    @Test func unknownVersionIsNil() {
        #expect(Bucketing.hash(seed: "a", value: "b", version: 0) == nil)
        #expect(Bucketing.hash(seed: "a", value: "b", version: 3) == nil)
    }

    @Test func rangesFallBackAndClamp() {
        #expect(Bucketing.bucketRanges(count: 0, coverage: 1, weights: nil) == [])
        #expect(Bucketing.bucketRanges(count: 2, coverage: .nan, weights: nil).count == 2)
        let ranges = Bucketing.bucketRanges(count: 3, coverage: 1, weights: [0.5, 0.5, 0.5])
        #expect(ranges.map(\.upper).last.map { abs($0 - 1) < 1e-12 } == true)
        #expect(Bucketing.chooseVariation(1, ranges: ranges) == -1)
        #expect(Bucketing.chooseVariation(0.999, ranges: ranges) == 2)
    }
}

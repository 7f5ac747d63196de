import JSON
import Targeting
import Testing

/// A corpus case wrapped for `@Test(arguments:)`.
struct CorpusItem: Sendable, CustomTestStringConvertible {
    let fields: [JSONValue]
    var testDescription: String { fields.first.map { "\($0)" } ?? "?" }

    static func section(_ key: String) -> [CorpusItem] { Corpus.section(key).map { CorpusItem(fields: $0.items) } }
}

@Suite("GrowthBook corpus: hashing and bucketing")
struct BucketingCorpusTests {
    /// `[seed, value, version, expected]`.
    @Test(arguments: CorpusItem.section("hash"))
    func hash(_ item: CorpusItem) {
        let seed = item.fields[0].stringValue
        let value = item.fields[1].stringValue
        let version = Int(item.fields[2].doubleValue ?? 0)
        let expected = item.fields[3].doubleValue
        #expect(Bucketing.hash(seed: seed, value: value, version: version) == expected)
        var bytes = value
        let fromBytes = bytes.withUTF8 {
            Bucketing.hash(seed: seed, valueUTF8: UnsafeRawBufferPointer($0), version: version)
        }
        #expect(fromBytes == expected)
    }

    /// `[name, [count, coverage, weights|null], [[lower, upper]...]]`.
    @Test(arguments: CorpusItem.section("getBucketRange"))
    func bucketRanges(_ item: CorpusItem) {
        let arguments = item.fields[1].items
        let weights: [Double]? = arguments[2] == .null ? nil : arguments[2].items.compactMap(\.doubleValue)
        let ranges = Bucketing.bucketRanges(
            count: Int(arguments[0].doubleValue!), coverage: arguments[1].doubleValue!, weights: weights)
        let expected = item.fields[2].items.map { VariationRange($0.items[0].doubleValue!, $0.items[1].doubleValue!) }
        #expect(ranges.count == expected.count)
        // GrowthBook's own test rounds to 6 places (0.2 * 0.2 is 0.04000000000000001).
        for (range, want) in zip(ranges, expected) {
            #expect(abs(range.lower - want.lower) < 1e-9 && abs(range.upper - want.upper) < 1e-9, "\(range) vs \(want)")
        }
    }

    /// `[name, n, [[lower, upper]...], expected]`.
    @Test(arguments: CorpusItem.section("chooseVariation"))
    func chooseVariation(_ item: CorpusItem) {
        let ranges = item.fields[2].items.map { VariationRange($0.items[0].doubleValue!, $0.items[1].doubleValue!) }
        let chosen = Bucketing.chooseVariation(item.fields[1].doubleValue!, ranges: ranges)
        #expect(chosen == Int(item.fields[3].doubleValue!))
    }

    /// `[name, hashValue, [id, lower, upper], expected]`.
    @Test(arguments: CorpusItem.section("inNamespace"))
    func inNamespace(_ item: CorpusItem) {
        let namespace = item.fields[2].items
        let range = VariationRange(namespace[1].doubleValue!, namespace[2].doubleValue!)
        let result = Bucketing.inNamespace(
            hashValue: item.fields[1].stringValue, id: namespace[0].stringValue, range: range)
        #expect(result == item.fields[3].boolean)
    }

    /// `[count, weights]`, compared to 8 places as the corpus writes them.
    @Test(arguments: CorpusItem.section("getEqualWeights"))
    func equalWeights(_ item: CorpusItem) {
        let weights = Bucketing.equalWeights(Int(item.fields[0].doubleValue!))
        let expected = item.fields[1].items.compactMap(\.doubleValue)
        #expect(weights.count == expected.count)
        for (weight, want) in zip(weights, expected) { #expect(abs(weight - want) < 1e-8) }
    }

    @Test func sectionsAreComplete() {
        #expect(CorpusItem.section("hash").count == 15)
        #expect(CorpusItem.section("getBucketRange").count == 13)
        #expect(CorpusItem.section("chooseVariation").count == 13)
        #expect(CorpusItem.section("inNamespace").count == 16)
        #expect(CorpusItem.section("getEqualWeights").count == 6)
    }
}

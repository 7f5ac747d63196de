/// GrowthBook's experiment hashing and bucketing (`util.ts`), bit for bit.
public enum Bucketing {
    /// FNV-1a 32-bit over `bytes`.
    public static func fnv1a32(_ bytes: some Sequence<UInt8>) -> UInt32 {
        var hasher = FNV1a()
        for byte in bytes { hasher.feed(UInt32(byte)) }
        return hasher.state
    }

    /// GrowthBook's `hash(seed, value, version)`: a number in [0, 1), or nil for an unknown version.
    ///
    /// Version 1 is `fnv(value + seed) % 1000 / 1000`; version 2 is
    /// `fnv(String(fnv(seed + value))) % 10000 / 10000`. Strings are hashed as UTF-16 code units, as the
    /// JavaScript SDK does.
    public static func hash(seed: String, value: String, version: Int) -> Double? {
        var value = value
        return value.withUTF8 { hash(seed: seed, valueUTF8: UnsafeRawBufferPointer($0), version: version) }
    }

    /// `hash(seed:value:version:)` for a value given as UTF-8 bytes (e.g. read in place from a profile).
    public static func hash(seed: String, valueUTF8: UnsafeRawBufferPointer, version: Int) -> Double? {
        switch version {
        case 1:
            var hasher = FNV1a()
            hasher.feed(utf16OfUTF8: valueUTF8)
            hasher.feed(utf16Of: seed)
            return Double(hasher.state % 1000) / 1000
        case 2:
            var inner = FNV1a()
            inner.feed(utf16Of: seed)
            inner.feed(utf16OfUTF8: valueUTF8)
            return outer(inner.state)
        default:
            return nil
        }
    }

    private static func outer(_ inner: UInt32) -> Double {
        var hasher = FNV1a()
        hasher.feed(decimal: inner)
        return Double(hasher.state % 10000) / 10000
    }

    /// `count` equal weights summing to 1 (GrowthBook's `getEqualWeights`); empty for `count <= 0`.
    public static func equalWeights(_ count: Int) -> [Double] {
        count <= 0 ? [] : Array(repeating: 1 / Double(count), count: count)
    }

    /// GrowthBook's `getBucketRanges`: one range per variation, laid out by cumulative weight and shrunk
    /// to `coverage` of each variation's share.
    ///
    /// Coverage is clamped to [0, 1]; missing weights, a count mismatch, or weights not summing to 1
    /// (within 0.99...1.01) fall back to equal weights.
    public static func bucketRanges(count: Int, coverage: Double, weights: [Double]?) -> [VariationRange] {
        let coverage = coverage < 0 ? 0 : coverage > 1 ? 1 : coverage
        let equal = equalWeights(count)
        var chosen = weights ?? equal
        if chosen.count != count { chosen = equal }
        var total = 0.0
        for weight in chosen { total = weight + total }
        if total < 0.99 || total > 1.01 { chosen = equal }
        var cumulative = 0.0
        return chosen.map { weight in
            let start = cumulative
            cumulative += weight
            return VariationRange(start, start + coverage * weight)
        }
    }

    /// The index of the first range containing `n`, or -1 (GrowthBook's `chooseVariation`).
    public static func chooseVariation(_ n: Double, ranges: [VariationRange]) -> Int {
        for (index, range) in ranges.enumerated() where range.contains(n) { return index }
        return -1
    }

    /// Whether `hashValue` falls in `range` of namespace `id` (GrowthBook's `inNamespace`: a version-1 hash
    /// seeded with `"__" + id`).
    public static func inNamespace(hashValue: String, id: String, range: VariationRange) -> Bool {
        var hasher = FNV1a()
        hasher.feed(utf16Of: hashValue)
        hasher.feed(utf16Of: "__")
        hasher.feed(utf16Of: id)
        return range.contains(Double(hasher.state % 1000) / 1000)
    }
}

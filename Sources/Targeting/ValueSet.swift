/// The constant array of `$in`/`$nin`, prepared for membership tests by JavaScript's `includes`
/// (strict equality; array and object elements never match).
///
/// For `$ini`/`$nini` (`foldsCase`), string members are stored lowercased and a string value is lowercased
/// (``JSCaseFolding``) before the lookup, as GrowthBook's `isIn(actual, expected, true)` does.
struct ValueSet: Sendable, Codable {
    /// String members sorted by FNV-1a hash, with the hashes alongside for binary search.
    var strings: [[UInt8]]
    var stringHashes: [UInt32]
    /// Number members, sorted.
    var numbers: [Double]
    var hasTrue: Bool
    var hasFalse: Bool
    var hasNull: Bool
    /// Whether strings compare lowercased (`$ini`/`$nini`); absent in bundles stored before it existed.
    var foldsCase: Bool?

    /// `includes(value)`, or for an array value, whether any element is included.
    func intersects<V: ConditionValue>(_ value: V) -> Bool {
        guard value.kind == .array else { return contains(value) }
        for i in 0..<value.count where contains(value.element(at: i)) { return true }
        return false
    }

    func contains<V: ConditionValue>(_ value: V) -> Bool {
        switch value.kind {
        case .undefined, .null: return hasNull
        case .bool: return value.boolValue ? hasTrue : hasFalse
        case .number: return containsNumber(value.numberValue)
        case .string: return value.withUTF8 { containsString($0) }
        case .array, .object: return false
        }
    }

    private func containsNumber(_ n: Double) -> Bool {
        var low = 0
        var high = numbers.count
        while low < high {
            let mid = (low + high) / 2
            if numbers[mid] < n { low = mid + 1 } else { high = mid }
        }
        return low < numbers.count && numbers[low] == n
    }

    private func containsString(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard foldsCase == true else { return containsExactly(bytes) }
        if JSCaseFolding.isASCII(bytes) {
            // ASCII folds byte by byte, so the hash and the comparison fold as they go: nothing is allocated.
            var hasher = FNV1a()
            for byte in bytes { hasher.feed(UInt32(JSCaseFolding.asciiLower(byte))) }
            let hash = hasher.state
            var i = firstIndex(ofHash: hash)
            while i < stringHashes.count, stringHashes[i] == hash {
                if JSCaseFolding.asciiFolded(bytes, strings[i]) { return true }
                i += 1
            }
            return false
        }
        return JSCaseFolding.lowercased(bytes).withUnsafeBytes { containsExactly($0) }
    }

    private func firstIndex(ofHash hash: UInt32) -> Int {
        var low = 0
        var high = stringHashes.count
        while low < high {
            let mid = (low + high) / 2
            if stringHashes[mid] < hash { low = mid + 1 } else { high = mid }
        }
        return low
    }

    private func containsExactly(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let hash = Bucketing.fnv1a32(bytes)
        var low = firstIndex(ofHash: hash)
        while low < stringHashes.count, stringHashes[low] == hash {
            if JSCoercion.equal(bytes, strings[low]) { return true }
            low += 1
        }
        return false
    }

    /// Builds the set from the constant's string, number, boolean and null members.
    /// With `foldsCase`, string members are lowercased as JavaScript's `toLowerCase` does.
    init(strings: [String], numbers: [Double], bools: [Bool], hasNull: Bool, foldsCase: Bool = false) {
        let hashed = strings.map { foldsCase ? JSCaseFolding.lowercased($0) : Array($0.utf8) }
            .map { (hash: Bucketing.fnv1a32($0), bytes: $0) }
            .sorted { $0.hash < $1.hash }
        self.strings = hashed.map(\.bytes)
        self.stringHashes = hashed.map(\.hash)
        self.numbers = numbers.filter { !$0.isNaN }.sorted()
        self.hasTrue = bools.contains(true)
        self.hasFalse = bools.contains(false)
        self.hasNull = hasNull
        self.foldsCase = foldsCase ? true : nil
    }
}

/// The constant array of `$in`/`$nin`, prepared for membership tests by JavaScript's `includes`
/// (strict equality; array and object elements never match).
struct ValueSet: Sendable, Codable {
    /// String members sorted by FNV-1a hash, with the hashes alongside for binary search.
    var strings: [[UInt8]]
    var stringHashes: [UInt32]
    /// Number members, sorted.
    var numbers: [Double]
    var hasTrue: Bool
    var hasFalse: Bool
    var hasNull: Bool

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
        let hash = Bucketing.fnv1a32(bytes)
        var low = 0
        var high = stringHashes.count
        while low < high {
            let mid = (low + high) / 2
            if stringHashes[mid] < hash { low = mid + 1 } else { high = mid }
        }
        while low < stringHashes.count, stringHashes[low] == hash {
            if JSCoercion.equal(bytes, strings[low]) { return true }
            low += 1
        }
        return false
    }

    /// Builds the set from the constant's string, number, boolean and null members.
    init(strings: [String], numbers: [Double], bools: [Bool], hasNull: Bool) {
        let hashed = strings.map { (hash: Bucketing.fnv1a32(Array($0.utf8)), bytes: Array($0.utf8)) }
            .sorted { $0.hash < $1.hash }
        self.strings = hashed.map(\.bytes)
        self.stringHashes = hashed.map(\.hash)
        self.numbers = numbers.filter { !$0.isNaN }.sorted()
        self.hasTrue = bools.contains(true)
        self.hasFalse = bools.contains(false)
        self.hasNull = hasNull
    }
}

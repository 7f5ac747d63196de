/// An array length seen as a number, for the condition under `$size`.
struct CountValue: ConditionValue {
    let length: Int
    let kind: ValueKind

    init(_ length: Int) {
        self.length = length
        self.kind = .number
    }

    private init(undefined: Void) {
        self.length = 0
        self.kind = .undefined
    }

    var boolValue: Bool { false }
    var numberValue: Double { Double(length) }
    var count: Int { 0 }
    func withUTF8<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: nil, count: 0))
    }
    func element(at index: Int) -> CountValue { CountValue(undefined: ()) }
    func member(_ key: String) -> CountValue { CountValue(undefined: ()) }
    func member(at index: Int) -> (key: CountValue, value: CountValue) {
        (CountValue(undefined: ()), CountValue(undefined: ()))
    }
}

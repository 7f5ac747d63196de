/// A `$regex` operand, compiled once.
///
/// JavaScript's `RegExp.test` searches anywhere in the value's string form (so `null` is tested as
/// `"null"`). Swift `Regex` with Unicode-scalar semantics and ASCII `\d`/`\w` is the closest match to a
/// non-Unicode JavaScript regex. Encoded as its pattern and recompiled when decoded.
struct CompiledRegex: Sendable, Codable {
    let pattern: String
    private let regex: SendableRegex

    /// `Regex` holds its program in a class that is never mutated after compilation; sharing it across
    /// threads is safe, but the type is not declared `Sendable`.
    private struct SendableRegex: @unchecked Sendable {
        let value: Regex<AnyRegexOutput>
    }

    /// Compiles `pattern`, or throws the parser's description of what is wrong.
    init(pattern: String) throws(RegexSyntaxError) {
        self.pattern = pattern
        do {
            let regex = try Regex(pattern)
                .matchingSemantics(.unicodeScalar)
                .asciiOnlyDigits()
                .asciiOnlyWordCharacters()
            self.regex = SendableRegex(value: regex)
        } catch {
            throw RegexSyntaxError(description: String(describing: error))
        }
    }

    /// Whether the string form of `value` contains a match.
    func matches<V: ConditionValue>(_ value: V) -> Bool {
        let text: String
        if value.kind == .string {
            text = value.withUTF8 { String(decoding: $0, as: UTF8.self) }
        } else {
            text = String(decoding: JSCoercion.stringBytes(value), as: UTF8.self)
        }
        return (try? regex.value.firstMatch(in: text)) != nil
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let pattern = try container.decode(String.self)
        do {
            try self.init(pattern: pattern)
        } catch {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "invalid regex '\(pattern)': \(error.description)")
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(pattern)
    }
}

/// Why a `$regex` pattern does not compile.
struct RegexSyntaxError: Error {
    let description: String
}

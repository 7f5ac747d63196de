/// A `$regex` or `$regexi` operand, compiled once.
///
/// JavaScript's `RegExp.test` searches anywhere in the value's string form (so `null` is tested as
/// `"null"`). Swift `Regex` with Unicode-scalar semantics and ASCII `\d`/`\w` is the closest match to a
/// non-Unicode JavaScript regex; `$regexi` (GrowthBook's `new RegExp(pattern, "i")`) adds `ignoresCase()`.
/// Encoded as its pattern (`$regex`) or `{"pattern", "ignoresCase"}` (`$regexi`) and recompiled when decoded.
struct CompiledRegex: Sendable, Codable {
    let pattern: String
    /// `$regexi`.
    let ignoresCase: Bool
    private let regex: SendableRegex

    /// `Regex` holds its program in a class that is never mutated after compilation; sharing it across
    /// threads is safe, but the type is not declared `Sendable`.
    private struct SendableRegex: @unchecked Sendable {
        let value: Regex<AnyRegexOutput>
    }

    /// Compiles `pattern`, or throws the parser's description of what is wrong.
    init(pattern: String, ignoresCase: Bool = false) throws(RegexSyntaxError) {
        self.pattern = pattern
        self.ignoresCase = ignoresCase
        do {
            let regex = try Regex(pattern)
                .matchingSemantics(.unicodeScalar)
                .asciiOnlyDigits()
                .asciiOnlyWordCharacters()
                .ignoresCase(ignoresCase)
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

    private enum CodingKeys: String, CodingKey {
        case pattern, ignoresCase
    }

    init(from decoder: any Decoder) throws {
        let pattern: String
        let ignoresCase: Bool
        if let single = try? decoder.singleValueContainer(), let text = try? single.decode(String.self) {
            (pattern, ignoresCase) = (text, false)
        } else {
            let keyed = try decoder.container(keyedBy: CodingKeys.self)
            pattern = try keyed.decode(String.self, forKey: .pattern)
            ignoresCase = try keyed.decode(Bool.self, forKey: .ignoresCase)
        }
        do {
            try self.init(pattern: pattern, ignoresCase: ignoresCase)
        } catch {
            throw DecodingError.dataCorrupted(
                DecodingError.Context(
                    codingPath: decoder.codingPath, debugDescription: "invalid regex '\(pattern)': \(error.description)"
                ))
        }
    }

    func encode(to encoder: any Encoder) throws {
        if ignoresCase {
            var keyed = encoder.container(keyedBy: CodingKeys.self)
            try keyed.encode(pattern, forKey: .pattern)
            try keyed.encode(true, forKey: .ignoresCase)
        } else {
            var container = encoder.singleValueContainer()
            try container.encode(pattern)
        }
    }
}

/// Why a `$regex` pattern does not compile.
struct RegexSyntaxError: Error {
    let description: String
}

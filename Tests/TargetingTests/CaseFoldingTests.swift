import Foundation
import JSON
import Targeting
import Testing

@Suite("Case-insensitive operators fold case as JavaScript does")
struct CaseFoldingTests {
    /// `$ini`, `$nini`, `$alli` and `$regexi` on text where Unicode case mapping is not ASCII's. Every
    /// expected result was produced by Node.js running GrowthBook's comparisons (`String.prototype.toLowerCase`
    /// in `isIn(..., true)` and `isInAll(..., true)`; `new RegExp(pattern, "i")`) on the same inputs.
    static let cases: [OracleCase] = [
        // "İ" lowercases to "i" + U+0307, so it is not "i".
        .init(#"{"x":{"$ini":["\u0130"]}}"#, #"{"x":"i"}"#, false),
        .init(#"{"x":{"$ini":["\u0130stanbul"]}}"#, #"{"x":"i\u0307stanbul"}"#, true),
        // toLowerCase does not fold "ß" to "ss".
        .init(#"{"x":{"$ini":["STRA\u00dfE"]}}"#, #"{"x":"STRASSE"}"#, false),
        .init(#"{"x":{"$ini":["\u03a3"]}}"#, #"{"x":"\u03c3"}"#, true),
        .init(#"{"x":{"$ini":["\u0410"]}}"#, #"{"x":"\u0430"}"#, true),
        .init(#"{"x":{"$ini":["\u00c9COLE"]}}"#, #"{"x":"\u00e9cole"}"#, true),
        // The Kelvin sign lowercases to ASCII "k": a non-ASCII value can equal an ASCII member.
        .init(#"{"x":{"$ini":["k"]}}"#, #"{"x":"\u212a"}"#, true),
        .init(#"{"x":{"$ini":["\u212a"]}}"#, #"{"x":"k"}"#, true),
        // A capital sigma ending a word lowercases to final sigma "ς"; alone it is "σ".
        .init(#"{"x":{"$ini":["\u039f\u0394\u039f\u03a3"]}}"#, #"{"x":"\u03bf\u03b4\u03bf\u03c2"}"#, true),
        .init(#"{"x":{"$ini":["\u039f\u0394\u039f\u03a3"]}}"#, #"{"x":"\u03bf\u03b4\u03bf\u03c3"}"#, false),
        .init(#"{"x":{"$ini":["\u03a3"]}}"#, #"{"x":"\u03c2"}"#, false),
        // Only strings fold: the number 1 is not "1".
        .init(#"{"x":{"$ini":[1]}}"#, #"{"x":"1"}"#, false),
        .init(#"{"x":{"$ini":[1, "A"]}}"#, #"{"x":[2, 1]}"#, true),
        .init(#"{"x":{"$nini":["\u00c9COLE"]}}"#, #"{"x":["\u00e9cole"]}"#, false),
        // `$alli` compares String(value).toLowerCase() with each string member.
        .init(#"{"x":{"$alli":["TRUE"]}}"#, #"{"x":[true]}"#, true),
        .init(#"{"x":{"$alli":["NULL"]}}"#, #"{"x":[null]}"#, true),
        .init(#"{"x":{"$alli":["ONE", 1]}}"#, #"{"x":["one", 1]}"#, true),
        .init(#"{"x":{"$alli":["\u00c9COLE", {"$gt": 2}]}}"#, #"{"x":["\u00e9cole", 3]}"#, true),
        .init(#"{"x":{"$alli":["\u00c9COLE", {"$gt": 2}]}}"#, #"{"x":["\u00e9cole", 1]}"#, false),
        .init(#"{"x":{"$regexi":"STRASSE"}}"#, #"{"x":"stra\u00dfe"}"#, false),
        .init(#"{"x":{"$regexi":"\u00e9"}}"#, #"{"x":"\u00c9"}"#, true),
        .init(#"{"x":{"$regexi":"\u03c3"}}"#, #"{"x":"\u03a3"}"#, true),
    ]

    @Test(arguments: cases)
    func matchesJavaScript(_ testCase: OracleCase) throws {
        let condition = try ConditionCompiler.compile(Corpus.json(testCase.condition))
        #expect(condition.evaluate(in: JSONConditionScope(Corpus.json(testCase.attributes))) == testCase.expected)
    }

    @Test func caseInsensitiveOperandsMustBeArraysOrPatterns() {
        for (condition, message) in [
            (#"{"x":{"$ini":"a"}}"#, "'$ini' needs an array"),
            (#"{"x":{"$nini":{"a":1}}}"#, "'$nini' needs an array"),
            (#"{"x":{"$alli":"a"}}"#, "'$alli' needs an array"),
            (#"{"x":{"$regexi":1}}"#, "'$regexi' needs a string pattern"),
            (#"{"x":{"$regexi":"(a"}}"#, "invalid regex '(a'"),
            (#"{"x":{"$ini":[["a"]]}}"#, "'$ini' members must be strings"),
        ] {
            let error = #expect(throws: ConditionError.self) { try ConditionCompiler.compile(Corpus.json(condition)) }
            #expect(error?.message.hasPrefix(message) == true, "\(condition): \(String(describing: error))")
        }
    }

    @Test func regexiSurvivesStorage() throws {
        let condition = try ConditionCompiler.compile(Corpus.json(#"{"ua":{"$regexi":"MOBILE"},"c":{"$ini":["US"]}}"#))
        let stored = try JSONEncoder().encode(condition)
        let reloaded = try JSONDecoder().decode(Condition.self, from: stored)
        let attributes = Corpus.json(#"{"ua":"android mobile","c":"us"}"#)
        #expect(reloaded.evaluate(in: JSONConditionScope(attributes)))
    }
}

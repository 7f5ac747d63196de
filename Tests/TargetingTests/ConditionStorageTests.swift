import Foundation
import JSON
import Targeting
import Testing

/// Every valid condition compiles and survives storage (the compiled bundle is stored with JSONEncoder).
@Suite("Condition storage")
struct ConditionStorageTests {
    /// String ordering (ISO dates, words): the string's ToNumber is NaN, which JSONEncoder refused, so
    /// publishing such a condition failed with an internal error.
    static let cases: [OracleCase] = [
        .init(#"{"word": {"$gt": "alphabet", "$lt": "zebra"}}"#, #"{"word": "cat"}"#, true),
        .init(#"{"word": {"$gt": "alphabet", "$lt": "zebra"}}"#, #"{"word": "zoo"}"#, false),
        .init(#"{"day": {"$gte": "2026-11-01", "$lt": "2026-12-01"}}"#, #"{"day": "2026-11-25"}"#, true),
        .init(#"{"day": {"$gte": "2026-11-01", "$lt": "2026-12-01"}}"#, #"{"day": "2026-12-02"}"#, false),
        .init(#"{"n": {"$gt": "10"}}"#, #"{"n": 9}"#, false),
        .init(#"{"n": {"$gt": "10"}}"#, #"{"n": 11}"#, true),
        .init(#"{"n": {"$lte": "0x10"}}"#, #"{"n": 16}"#, true),
    ]

    @Test(arguments: cases)
    func aConditionRoundTripsThroughJSONEncoderAndStillEvaluates(testCase: OracleCase) throws {
        let compiled = try ConditionCompiler.compile(Corpus.json(testCase.condition))
        let stored = try JSONEncoder().encode(compiled)
        let loaded = try JSONDecoder().decode(Condition.self, from: stored)
        let scope = JSONConditionScope(Corpus.json(testCase.attributes))
        #expect(compiled.evaluate(in: scope) == testCase.expected)
        #expect(loaded.evaluate(in: scope) == testCase.expected)
    }

    /// The stored form is an object with exactly the keys `root`, `referencedPaths` and `bindings`: what the
    /// synthesized conformance wrote before `Condition` kept its parts in one object, so bundles stored by
    /// earlier versions still load.
    @Test func theStoredFormKeepsItsKeys() throws {
        let compiled = try ConditionCompiler.compile(Corpus.json(#"{"attributes.orders": {"$gte": 5}, "user": "u1"}"#))
        let object = try JSONSerialization.jsonObject(with: JSONEncoder().encode(compiled)) as? [String: Any]
        #expect(object.map { Set($0.keys) } == ["root", "referencedPaths", "bindings"])
        #expect((object?["bindings"] as? [Int])?.count == 2)
        #expect((object?["referencedPaths"] as? [Any])?.count == 2)
    }
}

import Foundation
import JSON
import Targeting
import Testing

/// A scope that records the bindings it is asked for and serves values by binding number.
struct BindingScope: ConditionScope {
    let values: [Int: JSONValue]

    func value(binding: Int, path: FieldPath) -> JSONConditionValue {
        JSONConditionValue(values[binding])
    }
}

@Suite("Condition API")
struct ConditionAPITests {
    @Test func bindsEachDistinctTopLevelPathOnce() throws {
        var seen: [FieldPath] = []
        let source = Corpus.json(
            #"""
            {"attributes.ltv": {"$gt": 10}, "$or": [{"context.device": "ios"}, {"attributes.ltv": {"$lt": 0}}],
             "attributes.tags": {"$elemMatch": {"name": "vip", "since.year": {"$lt": 2020}}}}
            """#)
        let condition = try ConditionCompiler.compile(source) { path in
            seen.append(path)
            return 100 + seen.count
        }
        let expected = [
            FieldPath(components: ["attributes", "ltv"]), FieldPath(components: ["context", "device"]),
            FieldPath(components: ["attributes", "tags"]),
        ]
        #expect(seen == expected)
        #expect(condition.referencedPaths == expected)
        #expect(condition.bindings == [101, 102, 103])

        let scope = BindingScope(values: [
            101: .number(50), 102: .string("ios"),
            103: Corpus.json(#"[{"name": "vip", "since": {"year": 2019}}]"#),
        ])
        #expect(condition.evaluate(in: scope))
        let rebound = condition.rebinding { path in path.components.last == "device" ? 999 : 101 }
        #expect(rebound.bindings == [101, 999, 101])
    }

    @Test func roundTripsThroughCodable() throws {
        let source = Corpus.json(
            #"""
            {"name": {"$regex": "^a.c$"}, "tags": {"$in": ["x", "y", 3, true, null]},
             "v": {"$vgte": "1.2.0"}, "items": {"$elemMatch": {"k": {"a": [1, {"2": 3}]}}},
             "n": {"$size": {"$gt": 1}}, "$nor": [{"z": "1"}]}
            """#)
        let condition = try ConditionCompiler.compile(source)
        let data = try JSONEncoder().encode(condition)
        let decoded = try JSONDecoder().decode(Condition.self, from: data)
        #expect(decoded.referencedPaths == condition.referencedPaths)
        #expect(decoded.bindings == condition.bindings)
        let pass = Corpus.json(
            #"""
            {"name": "abc", "tags": ["q", "y"], "v": "1.10.0", "items": [{"k": {"a": [1, {"2": 3}]}}], "n": [1, 2]}
            """#)
        let fail = Corpus.json(#"{"name": "abd", "tags": ["q"], "v": "1.1.0", "items": [], "n": [1]}"#)
        for c in [condition, decoded] {
            #expect(c.evaluate(in: JSONConditionScope(pass)))
            #expect(!c.evaluate(in: JSONConditionScope(fail)))
        }
    }

    @Test func corruptRegexFailsToDecode() throws {
        let condition = try ConditionCompiler.compile(Corpus.json(#"{"a": {"$regex": "QQQ"}}"#))
        let text = String(decoding: try JSONEncoder().encode(condition), as: UTF8.self)
        let corrupted = text.replacingOccurrences(of: "QQQ", with: "[QQQ")
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(Condition.self, from: Data(corrupted.utf8))
        }
    }

    @Test func fieldPathWalksLikeGetPath() {
        let root = JSONConditionValue(Corpus.json(#"{"a": {"b": [10, {"c": "x"}]}, "s": "str"}"#))
        #expect(FieldPath(dotted: "a.b.1.c").resolve(in: root).json == .string("x"))
        #expect(FieldPath(dotted: "a.b.0").resolve(in: root).json == .number(10))
        #expect(FieldPath(dotted: "a.b.01").resolve(in: root).kind == .undefined)
        #expect(FieldPath(dotted: "a.b.2").resolve(in: root).kind == .undefined)
        #expect(FieldPath(dotted: "s.length").resolve(in: root).kind == .undefined)
        #expect(FieldPath(dotted: "a..b").components == ["a", "", "b"])
    }

    @Test func largeInSetsUseHashedLookup() throws {
        let members = (0..<500).map { JSONValue.string("user-\($0)") } + (0..<500).map { JSONValue.number(Double($0)) }
        let condition = try ConditionCompiler.compile(.object([("id", .object([("$in", .array(members))]))]))
        for probe in ["user-0", "user-499", "user-250"] {
            #expect(condition.evaluate(in: JSONConditionScope(.object([("id", .string(probe))]))))
        }
        #expect(!condition.evaluate(in: JSONConditionScope(.object([("id", .string("user-500"))]))))
        #expect(condition.evaluate(in: JSONConditionScope(.object([("id", .number(499))]))))
        #expect(!condition.evaluate(in: JSONConditionScope(.object([("id", .number(500))]))))
        #expect(!condition.evaluate(in: JSONConditionScope(.object([("id", .string("499"))]))))
    }
}

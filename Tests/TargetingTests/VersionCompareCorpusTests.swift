import JSON
import Targeting
import Testing

/// One `versionCompare` case: `[a, b, expected]` under `lt`, `gt` or `eq`.
struct VersionCompareCase: Sendable, CustomTestStringConvertible {
    let relation: String
    let a: String
    let b: String
    let expected: Bool

    var testDescription: String { "\(a) \(relation) \(b)" }

    static let all: [VersionCompareCase] = ["lt", "gt", "eq"].flatMap { relation in
        (Corpus.cases["versionCompare"]?[relation]?.items ?? []).map { item in
            let fields = item.items
            return VersionCompareCase(
                relation: relation, a: fields[0].stringValue, b: fields[1].stringValue, expected: fields[2].boolean)
        }
    }
}

@Suite("GrowthBook corpus: versionCompare")
struct VersionCompareCorpusTests {
    /// Checked through the version operators: `{"v": {"$vlt": b}}` against `{"v": a}`.
    @Test(arguments: VersionCompareCase.all)
    func compares(_ testCase: VersionCompareCase) throws {
        let op = ["lt": "$vlt", "gt": "$vgt", "eq": "$veq"][testCase.relation]!
        let condition = try ConditionCompiler.compile(
            .object([("v", .object([(op, .string(testCase.b))]))]))
        let scope = JSONConditionScope(.object([("v", .string(testCase.a))]))
        #expect(condition.evaluate(in: scope) == testCase.expected)
        if testCase.relation == "eq" {
            let ne = try ConditionCompiler.compile(.object([("v", .object([("$vne", .string(testCase.b))]))]))
            #expect(ne.evaluate(in: scope) != testCase.expected)
        }
    }

    @Test func corpusIsComplete() {
        #expect(VersionCompareCase.all.count == 63)
    }
}

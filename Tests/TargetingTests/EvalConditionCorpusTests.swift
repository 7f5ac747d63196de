import JSON
import Targeting
import Testing

/// One `evalCondition` case: `[name, condition, attributes, expected]`.
struct EvalConditionCase: Sendable, CustomTestStringConvertible {
    let index: Int
    let name: String
    let condition: JSONValue
    let attributes: JSONValue
    let expected: Bool

    var testDescription: String { "#\(index) \(name)" }

    static let all: [EvalConditionCase] = Corpus.section("evalCondition").enumerated().map { index, item in
        let fields = item.items
        return EvalConditionCase(
            index: index, name: fields[0].stringValue, condition: fields[1], attributes: fields[2],
            expected: fields[3].boolean)
    }
}

@Suite("GrowthBook corpus: evalCondition")
struct EvalConditionCorpusTests {
    /// Cases whose GrowthBook result (false) we deliberately replace with a compile error, and the
    /// message we give instead.
    static let deliberatelyChanged: [String: String] = [
        // Unknown operators are compile errors, not silent false.
        "unknown operator - pass": "unknown operator '$regx'",
        // Invalid regexes are compile errors, not silent false.
        "$regex invalid - pass": "invalid regex '/???***[)'",
        "$regex invalid - fail": "invalid regex '/???***[)'",
        // `$in`/`$nin` with a non-array operand are compile errors, not silent false.
        "$in - not array": "'$in' needs an array",
        "$nin - not array": "'$nin' needs an array",
    ]

    @Test(arguments: EvalConditionCase.all)
    func evaluates(_ testCase: EvalConditionCase) throws {
        if let message = Self.deliberatelyChanged[testCase.name] {
            #expect(testCase.expected == false, "changed cases are all GrowthBook 'false' results")
            let error = #expect(throws: ConditionError.self) {
                try ConditionCompiler.compile(testCase.condition)
            }
            #expect(error?.message.hasPrefix(message) == true, "\(String(describing: error))")
            return
        }
        let condition = try ConditionCompiler.compile(testCase.condition)
        #expect(condition.evaluate(in: JSONConditionScope(testCase.attributes)) == testCase.expected)
    }

    @Test func corpusIsComplete() {
        #expect(EvalConditionCase.all.count == 143)
        let names = Set(EvalConditionCase.all.map(\.name))
        for name in Self.deliberatelyChanged.keys { #expect(names.contains(name)) }
    }
}

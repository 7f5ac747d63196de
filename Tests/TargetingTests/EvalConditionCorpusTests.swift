import JSON
import Targeting
import Testing

/// One `evalCondition` case: `[name, condition, attributes, expected]`, or with a fifth element, the saved
/// groups (`{"group_id": [1, "2", 3]}`) that `$inGroup`/`$notInGroup` read.
struct EvalConditionCase: Sendable, CustomTestStringConvertible {
    let index: Int
    let name: String
    let condition: JSONValue
    let attributes: JSONValue
    let expected: Bool
    let savedGroups: [(key: String, value: JSONValue)]

    var testDescription: String { "#\(index) \(name)" }

    static let all: [EvalConditionCase] = Corpus.section("evalCondition").enumerated().map { index, item in
        let fields = item.items
        var groups: [(key: String, value: JSONValue)] = []
        if fields.count > 4, case .object(let members) = fields[4] { groups = members }
        return EvalConditionCase(
            index: index, name: fields[0].stringValue, condition: fields[1], attributes: fields[2],
            expected: fields[3].boolean, savedGroups: groups)
    }

    /// The saved groups numbered in order, as a compiler catalog and as the scope's member sets.
    func groupCatalog() -> (numbers: [String: Int], members: [Int: Set<[UInt8]>]) {
        var numbers: [String: Int] = [:]
        var members: [Int: Set<[UInt8]>] = [:]
        for (number, group) in savedGroups.enumerated() {
            numbers[group.key] = number
            members[number] = Set(
                group.value.items.compactMap { id -> [UInt8]? in
                    switch id {
                    case .string(let s): return SavedGroupMember.encoded(string: Array(s.utf8))
                    case .number(let n): return SavedGroupMember.encoded(number: n)
                    default: return nil
                    }
                })
        }
        return (numbers, members)
    }
}

@Suite("GrowthBook corpus: evalCondition")
struct EvalConditionCorpusTests {
    /// Cases whose GrowthBook result we deliberately replace with a compile error, and the message we give
    /// instead. All are GrowthBook `false` results except those in ``changedTrueResults``.
    static let deliberatelyChanged: [String: String] = [
        // Unknown operators are compile errors, not silent false.
        "unknown operator - pass": "unknown operator '$regx'",
        // Invalid regexes are compile errors, not silent false.
        "$regex invalid - pass": "invalid regex '/???***[)'",
        "$regex invalid - fail": "invalid regex '/???***[)'",
        // `$in`/`$nin` with a non-array operand are compile errors, not silent false.
        "$in - not array": "'$in' needs an array",
        "$nin - not array": "'$nin' needs an array",
        "$ini - not array": "'$ini' needs an array",
        "$nini - not array": "'$nini' needs an array",
        // A saved group that does not exist is a compile error, not an empty group.
        "$inGroup fails for unknown group id": "no saved group (list segment) named 'unknowngroup_id'",
        "$notInGroup passes for unknown group id": "no saved group (list segment) named 'unknowngroup_id'",
    ]

    /// Changed cases whose GrowthBook result is `true`: `$notInGroup` of a group that does not exist.
    static let changedTrueResults: Set<String> = ["$notInGroup passes for unknown group id"]

    @Test(arguments: EvalConditionCase.all)
    func evaluates(_ testCase: EvalConditionCase) throws {
        let groups = testCase.groupCatalog()
        if let message = Self.deliberatelyChanged[testCase.name] {
            #expect(testCase.expected == Self.changedTrueResults.contains(testCase.name))
            let error = #expect(throws: ConditionError.self) {
                try ConditionCompiler.compile(testCase.condition, savedGroups: groups.numbers)
            }
            #expect(error?.message.hasPrefix(message) == true, "\(String(describing: error))")
            return
        }
        let condition = try ConditionCompiler.compile(testCase.condition, savedGroups: groups.numbers)
        let scope = JSONConditionScope(testCase.attributes, savedGroups: groups.members)
        #expect(condition.evaluate(in: scope) == testCase.expected)
    }

    @Test func corpusIsComplete() {
        #expect(EvalConditionCase.all.count == 178)
        // Every case of GrowthBook's file that uses a case-insensitive or saved-group operator is here.
        let operators = ["$ini", "$nini", "$alli", "$regexi", "$inGroup", "$notInGroup"]
        let using = EvalConditionCase.all.filter { c in
            var text: [UInt8] = []
            JSONWriter.append(c.condition, to: &text)
            return operators.contains { op in String(decoding: text, as: UTF8.self).contains("\"\(op)\"") }
        }
        #expect(using.count == 31)
        let names = Set(EvalConditionCase.all.map(\.name))
        for name in Self.deliberatelyChanged.keys { #expect(names.contains(name)) }
    }
}

import JSON
import Targeting
import Testing

/// A source that must not compile, the message prefix and the location.
struct ErrorCase: Sendable, CustomTestStringConvertible {
    let source: String
    let message: String
    let location: [PathElement]

    init(_ source: String, _ message: String, _ location: [PathElement]) {
        self.source = source
        self.message = message
        self.location = location
    }

    var testDescription: String { source }
}

@Suite("Compile errors")
struct CompileErrorTests {
    static let cases: [ErrorCase] = [
        .init(#"{"age": {"$gtee": 5}}"#, "unknown operator '$gtee'", [.key("age"), .key("$gtee")]),
        .init(
            #"{"$or": [{"a": 1}, {"b": {"$regex": "[a-"}}]}"#, "invalid regex '[a-': ",
            [.key("$or"), .index(1), .key("b"), .key("$regex")]),
        .init(#"{"a": {"$in": "x"}}"#, "'$in' needs an array", [.key("a"), .key("$in")]),
        .init(#"{"a": {"$in": [1, [2]]}}"#, "'$in' members must be", [.key("a"), .key("$in"), .index(1)]),
        .init(#"{"a": {"$nin": {"x": 1}}}"#, "'$nin' needs an array", [.key("a"), .key("$nin")]),
        .init(#"{"a": {"$all": "x"}}"#, "'$all' needs an array", [.key("a"), .key("$all")]),
        .init(#"{"a": {"$size": "3"}}"#, "'$size' needs a number", [.key("a"), .key("$size")]),
        .init(#"{"a": {"$size": {}}}"#, "'$size' needs a number", [.key("a"), .key("$size")]),
        .init(#"{"a": {"$size": {"$gtx": 1}}}"#, "unknown operator '$gtx'", [.key("a"), .key("$size"), .key("$gtx")]),
        .init(#"{"a": {"$elemMatch": 3}}"#, "'$elemMatch' needs", [.key("a"), .key("$elemMatch")]),
        .init(
            #"{"a": {"$elemMatch": {"b": {"$bad": 1}}}}"#, "unknown operator '$bad'",
            [.key("a"), .key("$elemMatch"), .key("b"), .key("$bad")]),
        // GrowthBook treats `$or` inside an operator object as an unknown operator too.
        .init(
            #"{"a": {"$elemMatch": {"$or": [{"b": 1}]}}}"#, "unknown operator '$or'",
            [.key("a"), .key("$elemMatch"), .key("$or")]),
        .init(#"{"a": {"$regex": 5}}"#, "'$regex' needs a string", [.key("a"), .key("$regex")]),
        .init(#"{"a": {"$type": "bool"}}"#, "'$type' needs one of", [.key("a"), .key("$type")]),
        .init(#"{"a": {"$exists": "yes"}}"#, "'$exists' needs true or false", [.key("a"), .key("$exists")]),
        .init(#"{"a": {"$eq": [1]}}"#, "'$eq' needs a string", [.key("a"), .key("$eq")]),
        .init(#"{"a": {"$gt": {"x": 1}}}"#, "'$gt' needs a number or a string", [.key("a"), .key("$gt")]),
        .init(#"{"a": {"$vgt": true}}"#, "'$vgt' needs a version string", [.key("a"), .key("$vgt")]),
        .init(
            #"{"a": {"$gt": 1, "b": 2}}"#, "an operator object cannot also have the plain key 'b'",
            [.key("a"), .key("b")]),
        .init(#"{"$and": {"a": 1}}"#, "'$and' needs an array of conditions", [.key("$and")]),
        .init(#"{"$or": [1]}"#, "a condition must be an object", [.key("$or"), .index(0)]),
        .init(#"{"$not": [{"a": 1}]}"#, "a condition must be an object", [.key("$not")]),
        .init(#"[{"a": 1}]"#, "a condition must be an object", []),
        .init(#"{"a": {"$not": {"$in": 1}}}"#, "'$in' needs an array", [.key("a"), .key("$not"), .key("$in")]),
        .init(
            #"{"a": {"$all": [{"$zz": 1}]}}"#, "unknown operator '$zz'",
            [.key("a"), .key("$all"), .index(0), .key("$zz")]),
    ]

    @Test(arguments: cases)
    func rejects(_ testCase: ErrorCase) {
        let error = #expect(throws: ConditionError.self) {
            try ConditionCompiler.compile(Corpus.json(testCase.source))
        }
        #expect(error?.message.hasPrefix(testCase.message) == true, "\(String(describing: error))")
        #expect(error?.location == testCase.location)
    }

    @Test func describesLocation() {
        let error = ConditionError(message: "unknown operator '$x'", location: [.key("a"), .index(2), .key("$x")])
        #expect(error.description == "unknown operator '$x' at .a[2].$x")
    }

    /// Top-level `$`-keys other than the logical operators are attribute paths, as in GrowthBook.
    @Test func dollarPathsAtTopLevel() throws {
        let condition = try ConditionCompiler.compile(Corpus.json(#"{"$groups": {"$elemMatch": {"$eq": "a"}}}"#))
        #expect(condition.referencedPaths == [FieldPath(components: ["$groups"])])
    }
}

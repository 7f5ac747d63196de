import JSON
import Targeting
import Testing

/// A condition, attributes and GrowthBook's result.
struct OracleCase: Sendable, CustomTestStringConvertible {
    let condition: String
    let attributes: String
    let expected: Bool

    init(_ condition: String, _ attributes: String, _ expected: Bool) {
        self.condition = condition
        self.attributes = attributes
        self.expected = expected
    }

    var testDescription: String { "\(condition) on \(attributes)" }
}

@Suite("Operator edge cases")
struct OperatorEdgeCaseTests {
    /// Coercion and operator corner cases; every expected result was produced by GrowthBook's JavaScript
    /// `evalCondition` (mongrule.ts) on the same inputs.
    static let cases: [OracleCase] = [
        .init(#"{"age":0}"#, #"{}"#, true),
        .init(#"{"age":"30"}"#, #"{"age":30}"#, true),
        .init(#"{"age":30}"#, #"{"age":"30"}"#, true),
        .init(#"{"age":30}"#, #"{"age":" 30 "}"#, true),
        .init(#"{"age":30}"#, #"{"age":"0x1E"}"#, true),
        .init(#"{"age":30}"#, #"{"age":[30]}"#, true),
        .init(#"{"age":30}"#, #"{"age":["30"]}"#, true),
        .init(#"{"age":30}"#, #"{"age":[30,1]}"#, false),
        .init(#"{"flag":"true"}"#, #"{"flag":true}"#, true),
        .init(#"{"n":"null"}"#, #"{}"#, true),
        .init(#"{"n":"1,2"}"#, #"{"n":[1,2]}"#, true),
        .init(#"{"n":"1,,2"}"#, #"{"n":[1,null,2]}"#, true),
        .init(#"{"n":"1.5"}"#, #"{"n":1.5}"#, true),
        .init(#"{"n":"1.50"}"#, #"{"n":1.5}"#, false),
        .init(#"{"n":"1e+21"}"#, #"{"n":1e+21}"#, true),
        .init(#"{"n":"0.000001"}"#, #"{"n":0.000001}"#, true),
        .init(#"{"n":"1e-7"}"#, #"{"n":1e-7}"#, true),
        .init(#"{"flag":false}"#, #"{}"#, false),
        .init(#"{"flag":false}"#, #"{"flag":0}"#, true),
        .init(#"{"flag":true}"#, #"{"flag":"x"}"#, true),
        .init(#"{"x":{"$eq":null}}"#, #"{}"#, true),
        .init(#"{"x":{"$ne":"a"}}"#, #"{}"#, true),
        .init(#"{"x":{"$gt":"10"}}"#, #"{"x":"9"}"#, true),
        .init(#"{"x":{"$gt":10}}"#, #"{"x":"9"}"#, false),
        .init(#"{"x":{"$lt":1}}"#, #"{"x":true}"#, false),
        .init(#"{"x":{"$lte":1}}"#, #"{"x":true}"#, true),
        .init(#"{"x":{"$gt":"a"}}"#, #"{"x":["b"]}"#, true),
        .init(#"{"x":{"$lt":5}}"#, #"{"x":null}"#, true),
        .init(#"{"x":{"$gt":-1}}"#, #"{"x":{"a":1}}"#, false),
        .init(#"{"x":{"$exists":true}}"#, #"{"x":null}"#, false),
        .init(#"{"x":{"$in":[null]}}"#, #"{}"#, true),
        .init(#"{"x":{"$in":[1,"a"]}}"#, #"{"x":"1"}"#, false),
        .init(#"{"x":{"$in":[true]}}"#, #"{"x":true}"#, true),
        .init(#"{"x":{"$nin":["a"]}}"#, #"{}"#, true),
        .init(#"{"x":{"$all":[{"$gt":5},1]}}"#, #"{"x":[1,7]}"#, true),
        .init(#"{"x":{"$all":[]}}"#, #"{"x":[]}"#, true),
        .init(#"{"x":{"$elemMatch":{"$eq":0}}}"#, #"{"x":[0]}"#, false),
        .init(#"{"x":{"$elemMatch":{}}}"#, #"{"x":[0,1]}"#, true),
        .init(#"{"x":{"$elemMatch":{"a.b":1}}}"#, #"{"x":[{"a":{"b":1}}]}"#, true),
        .init(#"{"x":{"$size":{"$in":[2,3]}}}"#, #"{"x":[1,2]}"#, true),
        .init(#"{"x":{"$type":"null"}}"#, #"{}"#, true),
        .init(#"{"x":{"$regex":"^nu"}}"#, #"{}"#, true),
        .init(#"{"x":{"$regex":"^1\\.5$"}}"#, #"{"x":1.5}"#, true),
        .init(#"{"x":{"$not":{"$in":[1]}}}"#, #"{"x":2}"#, true),
        .init(#"{"x":{"$vgt":"1.2.3"}}"#, #"{"x":"v1.2.4"}"#, true),
        .init(#"{"x":{"$vgt":1}}"#, #"{"x":2}"#, true),
        .init(#"{"x":{"$vlt":"1.0.0"}}"#, #"{}"#, true),
        .init(#"{"$nor":[]}"#, #"{}"#, false),
        .init(#"{"x.0":"a"}"#, #"{"x":["a"]}"#, true),
        .init(#"{"x":{"a":1,"b":2}}"#, #"{"x":{"b":2,"a":1}}"#, false),
        .init(#"{"x":{"1":"a","b":2}}"#, #"{"x":{"1":"a","b":2}}"#, true),
        .init(#"{"x":[1,[2]]}"#, #"{"x":[1,[2]]}"#, true),
        .init(#"{"x":{"$gt":"｡"}}"#, #"{"x":"😀"}"#, false),
        .init(#"{"x":{"$lt":"10"}}"#, #"{"x":9}"#, true),
        .init(#"{"x":"08"}"#, #"{"x":8}"#, false),
        .init(#"{"x":8}"#, #"{"x":"08"}"#, true),
        .init(#"{"x":0}"#, #"{"x":""}"#, true),
        .init(#"{"x":0}"#, #"{"x":[]}"#, true),
        .init(#"{"x":{"$eq":1}}"#, #"{"x":"1"}"#, false),
        .init(#"{"x":1}"#, #"{"x":true}"#, true),
        .init(#"{"x":{"$in":["b"]}}"#, #"{"x":["a","b"]}"#, true),
        .init(#"{"x":{"$regex":"a/b"}}"#, #"{"x":"a/b"}"#, true),
        .init(#"{"x":{"$exists":false}}"#, #"{"x":0}"#, false),
        .init(#"{"x":{"$size":0}}"#, #"{"x":{}}"#, false),
        .init(#"{"a.b.c":null}"#, #"{"a":{"b":5}}"#, true),
        .init(#"{"x":{"$gte":"abc"}}"#, #"{"x":null}"#, false),
        .init(#"{"x":{"$type":"number"}}"#, #"{"x":1.5}"#, true),
        .init(#"{"x":{"$vgte":"1.0.0-beta"}}"#, #"{"x":"1.0.0"}"#, true),
        .init(#"{"x":"[object Object]"}"#, #"{"x":{"a":1}}"#, true),
        .init(#"{"x":{"$lt":"b"}}"#, #"{"x":{"a":1}}"#, true),
        .init(#"{"x":{"$gt":"Infinity"}}"#, #"{"x":1e+300}"#, false),
        .init(#"{"x":{"$lt":"-Infinity"}}"#, #"{"x":-1e+300}"#, false),
        .init(#"{"x":{"$gt":1}}"#, #"{"x":"1e1"}"#, true),
        .init(#"{"x":{"$gt":1}}"#, #"{"x":".5e1"}"#, true),
        .init(#"{"x":{"$gt":1}}"#, #"{"x":"5."}"#, true),
        .init(#"{"x":{"$gt":1}}"#, #"{"x":"0b11"}"#, true),
        .init(#"{"x":{"$gt":1}}"#, #"{"x":"-0x5"}"#, false),
        .init(#"{"x":5}"#, #"{"x":" 5\n"}"#, true),
        .init(#"{"x":12345678901234567000}"#, #"{"x":"12345678901234567890"}"#, true),
        .init(#"{"x":0.3}"#, #"{"x":"0.30000000000000001"}"#, true),
        .init(#"{"x":{"$veq":"1.2.3"}}"#, #"{"x":"1.2.3+b.1"}"#, true),
        .init(#"{"x":{"$vgt":"1.2.3"}}"#, #"{"x":"1.2.3.1"}"#, false),
        .init(#"{"x":{"$vlt":"1.2.3"}}"#, #"{"x":""}"#, true),
        .init(#"{"x":{"$vgt":"0"}}"#, #"{"x":"v"}"#, false),
        .init(#"{"x":{"$in":[0]}}"#, #"{"x":0}"#, true),
        .init(#"{"x":{"$elemMatch":{"$gt":1}}}"#, #"{"x":"abc"}"#, false),
        .init(#"{"x":{"$all":[1]}}"#, #"{"x":1}"#, false),
        .init(#"{"x":{"$size":{"$not":{"$gt":2}}}}"#, #"{"x":[1]}"#, true),
        .init(#"{"$and":[{"x":1}],"$or":[{"y":2},{"z":3}],"$not":{"w":4}}"#, #"{"x":1,"z":3}"#, true),
        .init(#"{"x":{"$not":"abc"}}"#, #"{"x":"abc"}"#, false),
        .init(#"{"x":{"$not":{"$regex":"b"}}}"#, #"{"x":["a","b"]}"#, false),
        .init(#"{"x":{"$regex":"a,b"}}"#, #"{"x":["a","b"]}"#, true),
        .init(#"{"x":{"$regex":"5$"}}"#, #"{"x":"25\n"}"#, false),
        .init(#"{"x":{"$regex":"a.b"}}"#, #"{"x":"a\nb"}"#, false),
        .init(#"{"x":{"$regex":"^\\d$"}}"#, #"{"x":"٣"}"#, false),
        .init(#"{"x":{"$regex":"^\\s$"}}"#, #"{"x":" "}"#, true),
        .init(#"{"x":{"$regex":"^\\w+$"}}"#, #"{"x":"été"}"#, false),
        .init(#"{"x":{"$regex":"^.$"}}"#, #"{"x":"é"}"#, false),
        .init(#"{"x":{"$regex":"^(?:ab)+$"}}"#, #"{"x":"abab"}"#, true),
        .init(#"{"x":{"$regex":"^[a-c]{2,3}$"}}"#, #"{"x":"abcc"}"#, false),
        .init(#"{"x":{"$regex":"(?<y>\\d{4})-12"}}"#, #"{"x":"1980-12-25"}"#, true),
        .init(#"{"x":{"$regex":"^\\bfoo\\b"}}"#, #"{"x":"foo bar"}"#, true),
        .init(#"{"x":{"$regex":"Mobile|Tablet"}}"#, #"{"x":["Desktop","Tablet"]}"#, true),
    ]

    @Test(arguments: cases)
    func matchesGrowthBook(_ testCase: OracleCase) throws {
        let condition = try ConditionCompiler.compile(Corpus.json(testCase.condition))
        #expect(condition.evaluate(in: JSONConditionScope(Corpus.json(testCase.attributes))) == testCase.expected)
    }
}

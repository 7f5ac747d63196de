import JSON
import Testing

@Suite("JSON parser and writer")
struct JSONParserTests {
    @Test func parsesNestedDocumentKeepingMemberOrder() throws {
        let v = try JSONValue.parse(#"{"b": [1, 2.5, -3e2, true, null], "a": {"x": "y\n\u00e9\ud83d\ude00"}}"#)
        guard case .object(let members) = v else {
            Issue.record("not an object")
            return
        }
        #expect(members.map(\.key) == ["b", "a"])
        #expect(v["b"] == .array([.number(1), .number(2.5), .number(-300), .bool(true), .null]))
        #expect(v["a"]?["x"] == .string("y\né😀"))
    }

    @Test(arguments: [
        ("{\"a\": }", 1, 7, "unexpected character '}', expected a value"),
        ("{\n  \"a\": 1,\n  \"b\" 2\n}", 3, 7, "expected ':' after member name"),
        ("[1, 2", 1, 6, "unexpected end of input in an array"),
        ("\"abc", 1, 5, "unterminated string"),
        ("01", 1, 1, "leading zeros are not allowed in numbers"),
        ("{} x", 1, 4, "unexpected data after the JSON value"),
        ("\"\\x\"", 1, 2, "invalid escape '\\x'"),
    ])
    func reportsErrorsWithLineAndColumn(input: String, line: Int, column: Int, message: String) {
        #expect(throws: JSONParseError(message: message, line: line, column: column)) { try JSONValue.parse(input) }
    }

    /// Strings without escapes: all-ASCII ones are taken as they are, any other is validated as UTF-8 and
    /// refused at its closing quote (the column counts bytes) when it is not.
    @Test func unescapedStringsAreValidatedUnlessASCII() throws {
        func parse(_ bytes: [UInt8]) throws -> JSONValue { try bytes.withUnsafeBytes { try JSONValue.parse($0) } }
        #expect(
            try parse(Array(#"["plain ascii", "é", "x😀"]"#.utf8))
                == .array([.string("plain ascii"), .string("é"), .string("x😀")]))
        // A lead byte without its continuation, a byte UTF-8 never uses, an encoded surrogate, an overlong "/".
        for bad: [UInt8] in [[0xC3, 0x28], [0xFF], [0xED, 0xA0, 0x80], [0xC0, 0xAF]] {
            let doc = Array(#"{"k": "ab"#.utf8) + bad + Array(#""}"#.utf8)
            #expect(throws: JSONParseError(message: "invalid UTF-8 in string", line: 1, column: 10 + bad.count)) {
                try parse(doc)
            }
        }
    }

    @Test func rejectsDeepNestingInsteadOfOverflowingTheStack() {
        let deep = String(repeating: "[", count: 100_000)
        #expect(throws: JSONParseError.self) { try JSONValue.parse(deep) }
    }

    @Test func writerEscapesAndRoundTrips() throws {
        let v = JSONValue.object([
            ("s", .string("quote \" backslash \\ newline \n tab \t bell \u{07}")), ("n", .number(20)),
            ("f", .number(1.5)),
            ("l", .array([.bool(false), .null])),
        ])
        let text = v.jsonText
        #expect(text.contains(#""n":20"#))
        #expect(text.contains(#"\u0007"#))
        #expect(try JSONValue.parse(text) == v)
    }
}

import Testing

@testable import Server

/// The query string parser decide and fragment requests go through, on bytes.
@Suite("Query parameters")
struct QueryParametersTests {
    static func pairs(_ query: String?) -> [String] {
        QueryParameters(query).pairs.map { "\($0.name)=\($0.value)" }
    }

    @Test(arguments: [
        ("user=u1&slots=home.hero,cart", ["user=u1", "slots=home.hero,cart"]),
        ("&&a=&=x&b&", ["a=", "=x", "b="]),
        ("k=v=w", ["k=v=w"]),
        ("p=a+b%20c&q=%41%4&r=%ZZ%", ["p=a b c", "q=A%4", "r=%ZZ%"]),
        ("u=%E2%82%AC&v=caf%C3%A9&w=%FF", ["u=€", "v=café", "w=\u{FFFD}"]),
        ("ünï=cödé", ["ünï=cödé"]),
        ("", []),
        ("=", ["="]),
    ])
    func parses(query: String, expected: [String]) {
        #expect(Self.pairs(query) == expected)
    }

    @Test func noQueryAndFirstValueWins() {
        #expect(Self.pairs(nil).isEmpty)
        let params = QueryParameters("a=1&b=2&a=3")
        #expect(params["a"] == "1")
        #expect(params["b"] == "2")
        #expect(params["c"] == nil)
        #expect(QueryParameters.decode("x%2Fy+z"[...]) == "x/y z")
        #expect(QueryParameters.commaSeparated("a,,b,ü,") == ["a", "b", "ü"])
        #expect(QueryParameters.commaSeparated("").isEmpty)
        #expect(QueryParameters.commaSeparated(",") .isEmpty)
    }
}

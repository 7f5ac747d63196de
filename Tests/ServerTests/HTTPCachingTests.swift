import BundleCompiler
import Foundation
import Publishing
import Store
import Testing

/// One answer as curl saw it: status, the headers it cares about, the body.
struct CurlAnswer {
    var status: Int
    var etag: String?
    var cacheControl: String?
    var body: String

    /// GETs `url` (HTTP/2 prior knowledge unless `http1`), sending `If-None-Match: ifNoneMatch` when given.
    static func get(_ url: String, ifNoneMatch: String? = nil, http1: Bool = false) async throws -> CurlAnswer {
        var args = ["curl", "-sS", "-D", "-"]
        if !http1 { args.append("--http2-prior-knowledge") }
        if let ifNoneMatch { args += ["-H", "if-none-match: \(ifNoneMatch)"] }
        args.append(url)
        let out = try await TransportHarness.run(args)
        let parts = out.stdout.components(separatedBy: "\r\n\r\n")
        let head = parts[0].components(separatedBy: "\r\n")
        var answer = CurlAnswer(
            status: Int(head[0].split(separator: " ")[1]) ?? 0, etag: nil, cacheControl: nil,
            body: parts.dropFirst().joined(separator: "\r\n\r\n"))
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            switch line[..<colon].lowercased() {
            case "etag": answer.etag = value
            case "cache-control": answer.cacheControl = value
            default: break
            }
        }
        return answer
    }
}

@Suite("HTTP caching: ETag, If-None-Match, Cache-Control", .serialized)
struct HTTPCachingTests {
    @Test(arguments: [false, true])
    func unchangedAnswerRevalidatesTo304WithoutBody(http1: Bool) async throws {
        try await withServer(users: 12) { server in
            for path in ["/v1/decide?user=u4&slots=home.hero,cart.banner&device=mobile", "/v1/slots/home.hero?user=u4"]
            {
                let url = server.base + path
                let first = try await CurlAnswer.get(url, http1: http1)
                #expect(first.status == 200)
                let etag = try #require(first.etag, "\(path) has an etag")
                #expect(first.cacheControl == "private, no-cache", "u4 has a profile: \(path)")

                let again = try await CurlAnswer.get(url, ifNoneMatch: etag, http1: http1)
                #expect(again.status == 304, "\(path)")
                #expect(again.body.isEmpty)
                #expect(again.etag == etag)
                #expect(again.cacheControl == "private, no-cache")

                #expect(try await CurlAnswer.get(url, ifNoneMatch: "W/\(etag)", http1: http1).status == 304)
                #expect(try await CurlAnswer.get(url, ifNoneMatch: "\"t1-x\", \(etag)", http1: http1).status == 304)
                let other = try await CurlAnswer.get(url, ifNoneMatch: "\"t1-0000000000000000\"", http1: http1)
                #expect(other.status == 200)
                // The same content; a decide answer's exposure tokens are new each time and not part of the tag.
                #expect(withoutTokens(other.body) == withoutTokens(first.body))
            }
        }
    }

    @Test func theTagFollowsTheRequestAndIgnoresParameterOrder() async throws {
        try await withServer(users: 12) { server in
            func tag(_ path: String) async throws -> String? { try await CurlAnswer.get(server.base + path).etag }
            let base = try await tag("/v1/decide?user=u4&slots=home.hero&device=mobile&country=DE")
            #expect(base != nil)
            #expect(try await tag("/v1/decide?country=DE&user=u4&device=mobile&slots=home.hero") == base)
            #expect(try await tag("/v1/decide?user=u4&slots=home.hero&device=desktop&country=DE") != base)
            #expect(try await tag("/v1/decide?user=u5&slots=home.hero&device=mobile&country=DE") != base)
            #expect(try await tag("/v1/decide?user=u4&slots=home.hero,cart.banner&device=mobile&country=DE") != base)
            #expect(try await tag("/v1/decide?user=u4&slots=home.hero&device=mobile&country=DE&explain=true") != base)
            #expect(try await tag("/v1/slots/home.hero?user=u4&device=mobile&country=DE") != base)
        }
    }

    @Test func answersWithoutProfileDataArePublic() async throws {
        try await withServer(users: 12) { server in
            let anonymous = try await CurlAnswer.get(server.base + "/v1/decide?user=nobody&slots=home.hero")
            #expect(anonymous.status == 200)
            #expect(anonymous.cacheControl == "public, max-age=\(10)")
            let revalidated = try await CurlAnswer.get(
                server.base + "/v1/decide?user=nobody&slots=home.hero", ifNoneMatch: try #require(anonymous.etag))
            #expect(revalidated.status == 304)
            #expect(revalidated.cacheControl == "public, max-age=10")

            try server.importProfiles([
                #"{"id":"private1","consent":{"personalization":false},"attributes":{"first_name":"Ines"}}"#
            ])
            let withoutConsent = try await CurlAnswer.get(server.base + "/v1/slots/home.hero?user=private1")
            #expect(withoutConsent.cacheControl == "public, max-age=10")
            #expect(!withoutConsent.body.contains("Ines"))
        }
    }

    @Test func aProfileWriteChangesTheTag() async throws {
        try await withServer(users: 12) { server in
            let url = server.base + "/v1/slots/cart.banner?user=u3"
            let before = try await CurlAnswer.get(url)
            #expect(before.body.contains("you have 4 item(s)"))
            let etag = try #require(before.etag)

            try server.importProfiles([
                #"{"id":"u3","attributes":{"first_name":"Name3","sessions_total":4,"cart_items":2,"cart_value":23,"cart_age_hours":30}}"#
            ])
            let after = try await CurlAnswer.get(url, ifNoneMatch: etag)
            #expect(after.status == 200, "the old tag no longer matches")
            #expect(after.body.contains("you have 2 item(s)"))
            #expect(after.etag != etag)
            #expect(try await CurlAnswer.get(url, ifNoneMatch: try #require(after.etag)).status == 304)
        }
    }

    @Test func aNewRevisionChangesTheTag() async throws {
        try await withServer(users: 12) { server in
            let url = server.base + "/v1/decide?user=u1&slots=cart.banner"
            let before = try await CurlAnswer.get(url)
            let etag = try #require(before.etag)
            var sources = try BundleSources.load(
                templates: repositoryRoot + "/Templates", mappings: repositoryRoot + "/Mappings")
            sources.templates["cart/default"] = "<div class=\"banner\">Winter sale: free returns for 60 days.</div>"
            _ = try ContentPublisher(store: server.store).publish(sources: sources, origin: .compile)
            var after = before
            for _ in 0..<50 {
                after = try await CurlAnswer.get(url, ifNoneMatch: etag)
                if after.status == 200 { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(after.status == 200)
            #expect(after.body.contains("Winter sale"))
            #expect(after.etag != etag)
        }
    }
}

extension RunningServer {
    /// Imports (or re-imports) profiles given as NDJSON lines into the running server's store.
    func importProfiles(_ lines: [String]) throws {
        var it = lines.makeIterator()
        let summary = try ProfileImporter(store: store, bundle: bundle).run(lines: { it.next().map { Array($0.utf8) } })
        precondition(summary.rejected.isEmpty, "rejected: \(summary.rejected)")
    }
}

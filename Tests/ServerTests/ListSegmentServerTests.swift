import Foundation
import JSON
import Server
import Testing

/// List segments end to end through the real server: upload, condition and segment, decide, delete.
@Suite("List segments through the real server", .serialized)
struct ListSegmentServerTests {
    let vipSegment = upsert("segment", "vip", "description: VIPs from the CRM\nlist: vip_list\n")
    let outsiders = upsert(
        "segment", "not_vip", "description: everyone else\nwhen: { user: { $notInGroup: vip_list } }\n")

    func upload(_ server: RunningServer, _ method: String, _ body: String, query: String = "") async throws -> Answer {
        try await server.call(
            method, "/v1/admin/lists/vip_list\(query)", body: body, contentType: "text/plain",
            authorization: "Bearer \(adminToken)")
    }

    /// What nghttp sees for an upload the server may answer before the body is complete (then it resets the
    /// stream with NO_ERROR, RFC 9113 §8.1, which curl 7.88 reports as a framing error): the status and the
    /// output, which holds the answer's body.
    func earlyAnswer(
        _ server: RunningServer, _ method: String, _ body: String, authorization: String,
        path: String = "/v1/admin/lists/big"
    ) async throws -> (status: Int?, output: String) {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("list-\(UUID().uuidString)")
        try Data(body.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let out = try await TransportHarness.run([
            "nghttp", "-v", "-H", ":method: \(method)", "-H", "authorization: \(authorization)", "-d", file.path,
            server.base + path,
        ])
        guard let range = out.stdout.range(of: ":status: ") else { return (nil, out.stdout + out.stderr) }
        return (Int(out.stdout[range.upperBound...].prefix(3)), out.stdout)
    }

    /// The value of `tessera_lists_missing` in `/metrics` (`nil`: not there).
    func missingListsGauge(_ server: RunningServer) async throws -> Double? {
        let metrics = try await server.call("GET", "/metrics", authorization: nil)
        #expect(metrics.status == 200)
        let line = metrics.body.split(separator: "\n").first { $0.hasPrefix("tessera_lists_missing ") }
        return line.flatMap { Double($0.split(separator: " ").last ?? "") }
    }

    @Test func importConditionSegmentDecideDelete() async throws {
        try await withCMSServer { server in
            // A segment naming a list that does not exist is a compile error.
            let (refused, problems) = try await server.publish("d-no-list", [vipSegment])
            #expect(refused == 422, "\(problems)")
            #expect(problems.jsonText.contains("no list segment named 'vip_list'"), "\(problems)")

            // Upload (admin token required), answered after commit.
            let anonymous = try await server.call(
                "PUT", "/v1/admin/lists/vip_list", body: "u1\n", contentType: "text/plain", authorization: nil)
            #expect(anonymous.status == 401)
            let created = try await upload(server, "PUT", "u1\nu3\n\nu3\n")
            #expect(created.status == 201, "\(created.body)")
            #expect(created.json["count"] == .number(2))

            let (published, answer) = try await server.publish("d-lists", [vipSegment, outsiders])
            #expect(published == 200, "\(answer)")
            #expect(try await server.segments("u1").contains("vip"))
            #expect(try await server.segments("u3").contains("vip"))
            #expect(!(try await server.segments("u2").contains("vip")))
            #expect(try await server.segments("u2").contains("not_vip"))
            #expect(!(try await server.segments("u1").contains("not_vip")))
            // A preview reads the lists as a decide does, for a stored user and for a persona.
            for body in [#"{"user": "u1", "slot": "home.hero"}"#, #"{"profile": {"id": "u3"}, "slot": "home.hero"}"#] {
                let (status, preview) = try await server.admin("POST", "/v1/preview", body: body)
                #expect(status == 200, "\(preview)")
                let names = preview["segments"]?.arrayElements?.compactMap(\.stringValue) ?? []
                #expect(names.contains("vip") && !names.contains("not_vip"), "\(body): \(preview)")
            }

            // A bad line is a 400 naming line:column, and nothing changes.
            let bad = try await upload(server, "PUT", "\"u2\"\n\"u4\n", query: "?format=ndjson")
            #expect(bad.status == 400, "\(bad.body)")
            #expect(bad.body.contains("line 2:4"), "\(bad.body)")
            #expect(!(try await server.segments("u2").contains("vip")))

            // PATCH merges; the same PATCH again changes nothing.
            let merged = try await upload(server, "PATCH", "u2\n")
            #expect(merged.status == 200, "\(merged.body)")
            #expect(merged.json["count"] == .number(3))
            #expect(merged.json["added"] == .number(1))
            #expect(try await upload(server, "PATCH", "u2\n").json["added"] == .number(0))
            #expect(try await server.segments("u2").contains("vip"))
            #expect(try await missingListsGauge(server) == 0)

            // Delete: both tests turn false (never a crash), with a warning in the answer and /metrics.
            let deleted = try await server.call(
                "DELETE", "/v1/admin/lists/vip_list", authorization: "Bearer \(adminToken)")
            #expect(deleted.status == 200, "\(deleted.body)")
            #expect(deleted.body.contains("warning"), "\(deleted.body)")
            let afterDelete = try await server.segments("u1")
            #expect(!afterDelete.contains("vip"))
            #expect(!afterDelete.contains("not_vip"), "a deleted list makes $notInGroup false too")
            #expect(try await missingListsGauge(server) == 1)
            let gone = try await server.call("GET", "/v1/admin/lists/vip_list", authorization: "Bearer \(adminToken)")
            #expect(gone.status == 404)

            // Imported again under the same name, the compiled segment finds it.
            #expect(try await upload(server, "PUT", "u2\n").status == 201)
            #expect(try await server.segments("u2").contains("vip"))
            #expect(!(try await server.segments("u1").contains("vip")))
            #expect(try await missingListsGauge(server) == 0)
        }
    }

    @Test func badNamesAndMethodsAreRefused() async throws {
        try await withCMSServer { server in
            let auth = "Bearer \(adminToken)"
            let badName = try await server.call(
                "PUT", "/v1/admin/lists/no%20spaces", body: "u1\n", contentType: "text/plain", authorization: auth)
            #expect(badName.status == 400, "\(badName.body)")
            #expect(badName.json["field"] == .string("name"))
            let post = try await server.call(
                "POST", "/v1/admin/lists/ok", body: "u1\n", contentType: "text/plain", authorization: auth)
            #expect(post.status == 405)
            let unknown = try await server.call("DELETE", "/v1/admin/lists/never", authorization: auth)
            #expect(unknown.status == 404)
        }
    }

    /// A list upload is streamed: it may be far larger than `--max-body-size` (which still bounds every other
    /// body), up to `--max-list-upload-size`, on HTTP/2 and HTTP/1.1 alike; a bad line deep in a big upload is a
    /// 400 naming it and changes nothing.
    @Test func aListLargerThanTheBodyLimitStreamsIn() async throws {
        let configure: (inout DecisionServerConfiguration) -> Void = {
            $0.adminToken = adminToken
            $0.ingestToken = ingestToken
            $0.revisionPollInterval = .seconds(3600)
            $0.maxListUploadSize = 4 << 20
        }
        try await withServer(users: 12, maxBodySize: 64 * 1024, configure: configure) { server in
            let auth = "Bearer \(adminToken)"
            let ids = (0..<200_000).map { "crm-\($0)" }
            let body = ids.joined(separator: "\n") + "\n"
            #expect(body.utf8.count > 20 * 64 * 1024)

            let put = try await server.call(
                "PUT", "/v1/admin/lists/big", body: body, contentType: "text/plain", authorization: auth)
            #expect(put.status == 201, "\(put.body)")
            #expect(put.json["count"] == .number(200_000))

            // HTTP/1.1: the same upload merged in again adds nothing; a new id is added.
            let patch = try await server.call(
                "PATCH", "/v1/admin/lists/big", body: body + "crm-new\n", contentType: "text/plain",
                authorization: auth, http1: true)
            #expect(patch.status == 200, "\(patch.body)")
            #expect(patch.json["count"] == .number(200_001))
            #expect(patch.json["added"] == .number(1))

            // A bad line at line 150,001 of an NDJSON upload: 400 naming it, the list unchanged.
            var lines = ids.map { "\"\($0)\"" }
            lines[150_000] = "\"unterminated"
            let badBody = lines.joined(separator: "\n") + "\n"
            let badH2 = try await earlyAnswer(server, "PUT", badBody, authorization: auth, path: "/v1/admin/lists/big?format=ndjson")
            #expect(badH2.status == 400, "\(badH2.output.suffix(2000))")
            #expect(badH2.output.contains("line 150001:"), "\(badH2.output.suffix(2000))")
            let badH1 = try await server.call(
                "PUT", "/v1/admin/lists/big?format=ndjson", body: badBody, contentType: "application/x-ndjson",
                authorization: auth, http1: true)
            #expect(badH1.status == 400, "\(badH1.body)")
            #expect(badH1.body.contains("line 150001:"), "\(badH1.body)")
            for _ in 0..<2 {
                let info = try await server.call("GET", "/v1/admin/lists/big", authorization: auth)
                #expect(info.json["count"] == .number(200_001), "\(info.body)")
            }

            // Past --max-list-upload-size, or without the admin token: answered while the client is still
            // sending (HTTP/2: then RST_STREAM(NO_ERROR), RFC 9113 §8.1, which curl 7.88 reports as a framing
            // error, so nghttp sends these), nothing written.
            let huge = String(repeating: "x\n", count: (4 << 20) / 2 + 1)
            for (text, token, status) in [(huge, auth, 413), (body, "Bearer wrong", 401)] {
                let h2 = try await earlyAnswer(server, "PUT", text, authorization: token)
                #expect(h2.status == status, "\(h2.output.suffix(2000))")
                let h1 = try await server.call(
                    "PUT", "/v1/admin/lists/big", body: text, contentType: "text/plain", authorization: token,
                    http1: true)
                #expect(h1.status == status, "\(h1.body)")
            }
            #expect(try await server.call("GET", "/v1/admin/lists/big", authorization: auth).json["count"] == .number(200_001))

            // Streamed uploads are counted in /metrics like every request: the 201, the 200, the 400s, the 401s.
            let metrics = try await server.call("GET", "/metrics", authorization: nil).body
            for status in ["201", "200", "400", "401"] {
                #expect(
                    metrics.contains("tessera_http_requests_total{route=\"/v1/admin\",status=\"\(status)\"}"),
                    "no admin \(status) in /metrics")
            }

            // Every other body keeps the 64 KiB limit.
            let deltas = String(repeating: " ", count: 70 * 1024)
            let buffered = try await earlyAnswer(
                server, "POST", deltas, authorization: "Bearer \(ingestToken)", path: "/v1/profiles/deltas")
            #expect(buffered.status == 413, "\(buffered.output.suffix(2000))")
        }
    }
}

import BundleCompiler
import Decision
import Foundation
import JSON
import Logging
import NIOCore
import Publishing
import Store

extension RequestRouter {
    /// `POST /v1/webhooks/cms`: a signed set of content changes, published as one revision or not at all.
    ///
    /// Checked on the loop (signature, JSON shape); compiled and written on the content thread; installed on
    /// every loop before the 2xx, so the CMS reads its own write on the next request.
    func webhook(_ request: HTTPRequest) -> HTTPHandlerResult {
        let parsed: (deliveryID: String, changes: [ContentChange])
        do throws(APIError) {
            try requireMethod(request, "POST")
            guard let signature = state.webhookSignature else {
                throw APIError(
                    status: 503, code: "webhooks_disabled",
                    message:
                        "no webhook secret configured: start the server with --webhook-secret or TESSERA_WEBHOOK_SECRET"
                )
            }
            do throws(WebhookSignature.Failure) {
                try signature.verify(
                    header: request.header("tessera-signature"), body: Array(request.body.readableBytesView),
                    now: Int64(Date().timeIntervalSince1970))
            } catch {
                throw APIError(
                    status: 401, code: "invalid_signature", message: error.message, field: "Tessera-Signature")
            }
            parsed = try Self.changeSet(request.body)
        } catch {
            return .immediate(error.response(allocator: allocator))
        }
        let state = self.state
        let eventLoop = self.eventLoop
        let work = state.contentThread.run(on: eventLoop) {
            try state.publisher.publish(changes: parsed.changes, deliveryID: parsed.deliveryID)
        }
        let response = work.flatMap { (outcome, answer) -> EventLoopFuture<HTTPResponse> in
            let reply = Self.storedResponse(answer)
            guard case .published(let record, let bundle) = outcome else {
                if case .replayed = outcome {
                    state.logger.info(
                        "webhook delivery replayed", metadata: ["cms.delivery_id": "\(parsed.deliveryID)"])
                }
                return eventLoop.makeSucceededFuture(reply)
            }
            state.logger.info(
                "published from CMS",
                metadata: ["bundle.revision": "\(record.revision)", "cms.delivery_id": "\(parsed.deliveryID)"])
            do {
                let engine = try DecisionEngine(bundle: bundle, revision: record.revision)
                return state.installEverywhere(engine, on: eventLoop).map { reply }
            } catch {
                return eventLoop.makeFailedFuture(error)
            }
        }
        return .deferred(response)
    }

    /// The delivery id and changes of a webhook body, or a 400 naming the field.
    static func changeSet(_ body: ByteBuffer) throws(APIError) -> (deliveryID: String, changes: [ContentChange]) {
        let json = try parseJSONBody(body)
        guard case .string(let deliveryID)? = json["delivery_id"], !deliveryID.isEmpty, deliveryID.utf8.count <= 200
        else {
            throw APIError.badField("delivery_id", "'delivery_id' is required: a non-empty string of at most 200 bytes")
        }
        guard case .array(let items)? = json["changes"], !items.isEmpty else {
            throw APIError.badField("changes", "'changes' is required: a non-empty array of changes")
        }
        guard items.count <= 1000 else { throw APIError.badField("changes", "at most 1000 changes per delivery") }
        var changes: [ContentChange] = []
        for (i, item) in items.enumerated() {
            do {
                changes.append(try ContentChange.parse(item, index: i))
            } catch {
                throw APIError.badField(error.field, error.message)
            }
        }
        return (deliveryID, changes)
    }

    /// A JSON request body, or a 400 with the position of the syntax error (every JSON route parses through here).
    static func parseJSONBody(_ body: ByteBuffer) throws(APIError) -> JSONValue {
        do {
            return try body.withUnsafeReadableBytes { (raw) throws(JSONParseError) in try JSONValue.parse(raw) }
        } catch {
            throw APIError(
                status: 400, code: "invalid_json",
                message: "request body is not valid JSON at \(error.line):\(error.column): \(error.message)")
        }
    }

    /// An HTTP response for a stored (or fresh) answer.
    static func storedResponse(_ answer: StoredDelivery) -> HTTPResponse {
        var body = ByteBufferAllocator().buffer(capacity: answer.body.count)
        body.writeBytes(answer.body)
        var headers: [(name: String, value: String)] = [("content-type", "application/json")]
        if answer.status == 200,
            case .number(let r)? = try? JSONValue.parse(String(decoding: answer.body, as: UTF8.self))["revision"]
        {
            headers.append(("etag", "\"r\(Int(r))\""))
        }
        return HTTPResponse(status: answer.status, headers: headers, body: body)
    }
}

/// Who may use the ingest, delta and profile endpoints: holders of the configured bearer token.
///
/// Decide does not need it. Without a configured token these endpoints are closed (503 saying how to
/// configure one), never silently open.
struct IngestAccess: Sendable {
    /// The token's bytes; `nil` when none is configured.
    let token: [UInt8]?

    /// Access for `token` (`nil` or empty: none configured).
    init(token: String?) {
        self.token = token.flatMap { $0.isEmpty ? nil : Array($0.utf8) }
    }

    /// Throws 503 when no token is configured, 401 unless `request` carries `Authorization: Bearer <token>`.
    func check(_ request: HTTPRequest) throws(APIError) {
        guard let token else {
            throw APIError(
                status: 503, code: "ingest_disabled",
                message:
                    "profile and ingest endpoints need a token: start the server with --ingest-token <secret> or set TESSERA_INGEST_TOKEN, then send 'Authorization: Bearer <secret>'"
            )
        }
        guard BearerToken.matches(request.header("authorization"), token: token) else {
            var e = APIError(
                status: 401, code: "unauthorized",
                message: "this endpoint needs 'Authorization: Bearer <token>' with the server's ingest token")
            e.headers = [("www-authenticate", "Bearer")]
            throw e
        }
    }
}

import NIOCore

extension RequestRouter {
    /// Seconds a shared cache (a CDN) may reuse an answer that used no profile data. Short, because a newly
    /// published revision should reach users at once; revalidation with `If-None-Match` is cheap.
    static let publicMaxAge = 10

    /// `cache-control` for an answer that used the profile as `use` says.
    ///
    /// Personalized answers are `private, no-cache`: only the user's own client may keep one, and it must
    /// revalidate (a profile write changes the answer at any time). Answers that read no profile data (unknown
    /// user, or no personalization consent) are a function of the URL alone: the path and query carry the user id,
    /// slots and every context parameter, no request header is read, so the URL is the complete cache key and no
    /// `Vary` is needed. Those are `public` for ``publicMaxAge`` seconds.
    static func cacheControl(_ use: EntityTag.ProfileUse) -> String {
        switch use {
        case .personalized: return "private, no-cache"
        case .anonymous, .withoutConsent: return "public, max-age=\(publicMaxAge)"
        }
    }

    /// The answer in `out` as a 200 carrying `etag` and `cache-control`, or, when the request's `If-None-Match`
    /// matches `tag`, a 304 with the same validators and no body (its `content-length` is the 200's, as RFC 9110
    /// allows, so the transport does not announce an empty representation).
    func conditionalResponse(
        _ request: HTTPRequest, tag: EntityTag, use: EntityTag.ProfileUse, contentType: String, revision: UInt64,
        extraHeaders: [(name: String, value: String)] = []
    ) -> HTTPResponse {
        var headers: [(name: String, value: String)] = [
            ("etag", tag.headerValue), ("cache-control", Self.cacheControl(use)),
            ("x-tessera-revision", String(revision)),
        ]
        headers += extraHeaders
        for h in request.headers where h.name == "if-none-match" && tag.matches(ifNoneMatch: h.value) {
            return HTTPResponse(status: 304, headers: headers + [("content-length", String(out.count))])
        }
        return bytesResponse(contentType: contentType, extraHeaders: headers)
    }
}

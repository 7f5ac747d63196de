/// `Authorization: Bearer <token>` checks, shared by the admin and ingest endpoints.
enum BearerToken {
    /// True when `header` is `Bearer <token>` (the scheme in either case RFC 6750 clients send), compared
    /// in constant time.
    static func matches(_ header: String?, token: [UInt8]) -> Bool {
        guard let header, header.utf8.count > 7,
            header.utf8.prefix(7).elementsEqual("Bearer ".utf8) || header.utf8.prefix(7).elementsEqual("bearer ".utf8)
        else { return false }
        return constantTimeEquals(Array(header.utf8.dropFirst(7)), token)
    }

    /// True when `header` carries exactly `token`.
    static func matches(_ header: String?, token: String) -> Bool {
        matches(header, token: Array(token.utf8))
    }

    /// Compares without an early exit, so the time taken does not reveal how much of a guess matched.
    static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = a.count ^ b.count
        for i in 0..<b.count {
            difference |= Int((i < a.count ? a[i] : 0) ^ b[i])
        }
        return difference == 0
    }
}

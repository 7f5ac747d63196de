@testable import Decision

/// The record oracle shared by the delta, Segment Spec and import targets.
public enum ProfileRoundTrip {
    /// Encodes `profile`, reads the record back through `ProfileView` (every attribute, every
    /// membership), rebuilds a `ProfileData` from the view and encodes that again: the two records
    /// must be the same bytes. Returns the decoded profile.
    @discardableResult
    public static func check(_ profile: ProfileData) -> ProfileData {
        let bytes = profile.encode()
        let decoded: ProfileData = bytes.withUnsafeBytes { raw in
            guard let view = ProfileView(raw) else { FuzzInput.fail("ProfileView rejects an encoded record") }
            for i in 0..<view.attributeCount { _ = view.attribute(at: i) }
            for i in 0..<view.segmentCount {
                _ = view.explicitSegment(at: i)
                _ = view.explicitSegmentScore(at: i)
                _ = view.explicitSegmentExpiry(at: i)
                _ = view.explicitSegmentIsActive(at: i, now: DemoContent.now)
            }
            return ProfileData(view)
        }
        let again = decoded.encode()
        guard again == bytes else {
            FuzzInput.fail("record round trip differs: \(bytes.count) bytes encoded, \(again.count) after decoding")
        }
        return decoded
    }
}

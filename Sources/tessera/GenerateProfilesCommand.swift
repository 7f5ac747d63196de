import ArgumentParser
import DemoData
import Foundation
import JSON
import Targeting

/// `tessera generate-profiles`: deterministic demo profiles across the demo personas.
struct GenerateProfilesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate-profiles",
        abstract: "Print deterministic demo profiles as NDJSON (ids u1...uN) spread across the demo personas.",
        discussion: """
            Personas (share): new_visitor 25%, casual_browser 22%, high_intent 15%, cart_abandoner 13%,
            loyal_customer 15%, at_risk 10%. About 4% have withdrawn personalization consent and about 3%
            carry the upstream churn_risk segment.

            Each line carries the snapshot attributes and the events behind them ("events": sessions,
            high_margin_view, add_to_cart, purchase), timed before --now, so a persona is reached through
            behaviour as well as through the attribute fallbacks when decided near --now (new visitors'
            first session is at most 20 hours before it). The same --count, --seed and --now always give
            the same output.
            """
    )

    @Option(help: "Number of profiles.")
    var count = 10_000

    @Option(help: "Random seed.")
    var seed: UInt64 = 42

    @Option(
        help: ArgumentHelp(
            "The moment the profiles describe, ISO-8601 (2026-11-25T10:00:00Z or 2026-11-25); events happen before it. Default: now, rounded down to the hour.",
            valueName: "time"))
    var now: String?

    func validate() throws {
        guard count >= 0 else { throw ValidationError("--count must be 0 or more") }
        if let now, Timestamp(iso8601: now) == nil {
            throw ValidationError("--now: expected an ISO-8601 time such as 2026-11-25T10:00:00Z, got '\(now)'")
        }
    }

    func run() throws {
        let moment = now.flatMap { Timestamp(iso8601: $0)?.seconds } ?? (Date().timeIntervalSince1970 / 3600).rounded(.down) * 3600
        var generator = DemoProfileGenerator(seed: seed, now: moment)
        var out: [UInt8] = []
        out.reserveCapacity(1 << 20)
        for i in 1...max(count, 1) where count > 0 {
            JSONWriter.append(generator.profile(id: "u\(i)").line, to: &out)
            out.append(0x0A)
            if out.count > (1 << 20) - 4096 {
                out.withUnsafeBytes { writeAll(1, $0) }
                out.removeAll(keepingCapacity: true)
            }
        }
        out.withUnsafeBytes { writeAll(1, $0) }
    }
}

import ArgumentParser
import Decision
import Foundation
import JSON
import Outcomes
import Store
import Targeting

/// `tessera results KEY`: one experiment's results as a readable table, from the data directory.
struct ResultsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "results",
        abstract: "Print an experiment's results per variant: exposures, clicks, conversions, rates with 95% intervals.",
        discussion: "Example: tessera results onboarding-hero --data ./data   (--json for the admin API's JSON)")

    @OptionGroup var storage: DataOptions

    @Argument(help: "Experiment key.")
    var key: String

    @Flag(help: "Print the JSON of GET /v1/admin/experiments/{key} instead of a table.")
    var json = false

    func run() throws {
        let store = try openStore(storage)
        let outcomes = try OutcomeStore(store: store)
        let catalog = try store.currentBundle().map { OutcomeCatalog(try DecisionEngine(bundle: $0.bundle, revision: $0.revision)) }
        guard let report = try OutcomeReport(store: outcomes).experiment(key, catalog: catalog) else {
            throw ValidationError("no experiment '\(key)' in \(storage.data)")
        }
        if json {
            print(report.jsonText)
            return
        }
        print(Self.table(report))
    }

    static func number(_ v: JSONValue?) -> Double {
        if case .number(let n)? = v { return n }
        return .nan
    }

    static func percent(_ rate: JSONValue?) -> String {
        let r = number(rate?["rate"])
        guard r.isFinite else { return "-" }
        return String(format: "%.2f%% [%.2f, %.2f]", 100 * r, 100 * number(rate?["low"]), 100 * number(rate?["high"]))
    }

    static func table(_ report: JSONValue) -> String {
        var lines = ["experiment \(report["experiment"]?.jsonText ?? "?"), control \(report["control"]?.jsonText ?? "-")", ""]
        lines.append(
            "variant         weight  exposures   users  clicks  CTR [95%]                conv  conv. rate [95%]         revenue  P(beats control) CTR / conv")
        if case .array(let rows)? = report["variants"] {
            for r in rows {
                let name = r["variant"].flatMap { v -> String? in if case .string(let s) = v { return s } else { return nil } } ?? "?"
                let beat = r["chance_to_beat_control"]
                let chance =
                    beat == .null || beat == nil
                    ? "control"
                    : String(format: "%.1f%% / %.1f%%", 100 * number(beat?["ctr"]), 100 * number(beat?["conversion"]))
                lines.append(
                    name.padding(toLength: 15, withPad: " ", startingAt: 0)
                        + String(
                            format: " %6.2f %10.0f %7.0f %7.0f  %-24@ %5.0f  %-24@ %8.2f  %@",
                            number(r["weight"]), number(r["exposures"]), number(r["users"]), number(r["clicks"]),
                            percent(r["ctr"]) as NSString, number(r["converters"]), percent(r["conversion_rate"]) as NSString,
                            number(r["revenue"]), chance as NSString))
            }
        }
        if let srm = report["sample_ratio"], srm != .null {
            lines.append("")
            lines.append(
                String(
                    format: "sample ratio: chi-square %.2f, p = %.4g%@", number(srm["chi_square"]), number(srm["p_value"]),
                    (srm["mismatch"] == .bool(true) ? " MISMATCH: the split is broken" : "") as NSString))
        }
        return lines.joined(separator: "\n")
    }
}

/// `tessera decisions export`: the raw decision log as NDJSON.
struct DecisionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decisions",
        abstract: "Export the raw decision log (exposures) as NDJSON, as GET /v1/admin/decisions does.",
        subcommands: [Export.self])

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "export", abstract: "Write the decision log as NDJSON to standard output.")

        @OptionGroup var storage: DataOptions

        @Option(help: ArgumentHelp("Only records at or after this time (ISO-8601 or epoch seconds).", valueName: "time"))
        var since: String?

        @Option(help: "Only records after this sequence number (each line's \"seq\").")
        var after: UInt64?

        @Option(help: "Most records.")
        var limit = 1_000_000

        func validate() throws {
            guard limit >= 1 else { throw ValidationError("--limit must be at least 1") }
            if let since, Timestamp(iso8601: since) == nil, Double(since).flatMap(Timestamp.init(seconds:)) == nil {
                throw ValidationError("--since must be ISO-8601 or epoch seconds")
            }
        }

        func run() throws {
            let store = try openStore(storage)
            let report = OutcomeReport(store: try OutcomeStore(store: store))
            let from = since.flatMap { Timestamp(iso8601: $0)?.seconds ?? Double($0) } ?? -.infinity
            var catalogs: [UInt64: OutcomeCatalog] = [:]
            var out: [UInt8] = []
            var next = after
            var left = limit
            while left > 0 {
                let page = try report.decisions(after: next, since: from, limit: min(left, 10_000))
                if page.isEmpty { break }
                out.removeAll(keepingCapacity: true)
                for (seq, e) in page {
                    if catalogs[e.revision] == nil, let c = try report.catalog(e.revision) { catalogs[e.revision] = c }
                    JSONWriter.append(DecisionLine.json(seq, e, catalogs[e.revision]), to: &out)
                    out.append(0x0A)
                    next = seq
                }
                FileHandle.standardOutput.write(Data(out))
                left -= page.count
            }
        }
    }
}

/// `tessera segments`: users per segment, overlaps, and small-segment warnings.
struct SegmentsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "segments",
        abstract: "Scan every profile: users per segment, overlap of every pair (Jaccard), warnings for small segments.")

    @OptionGroup var storage: DataOptions

    func run() throws {
        let store = try openStore(storage)
        guard let (revision, bundle) = try store.currentBundle() else { throw StoreError.noBundle(path: storage.data) }
        let engine = try DecisionEngine(bundle: bundle, revision: revision)
        let report = try ProfileReader(store: store).withSnapshot { snapshot in
            try SegmentReport(engine: engine, snapshot: snapshot, now: Date().timeIntervalSince1970) { n in
                FileHandle.standardError.write(Data("scanned \(n) profiles\n".utf8))
            }
        }
        print(report.json.jsonText)
    }
}

func openStore(_ storage: DataOptions) throws -> DataStore {
    var options = DataStore.Options()
    options.mapSize = storage.mapSize << 20
    return try DataStore(path: storage.data, options: options)
}

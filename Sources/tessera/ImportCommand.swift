import ArgumentParser
import Decision
import Foundation
import Store

/// How `tessera import` combines a line with the stored profile (``ProfileSnapshot/Mode``).
enum ImportMode: String, ExpressibleByArgument, CaseIterable {
    case merge
    case replace

    var snapshotMode: ProfileSnapshot.Mode {
        switch self {
        case .merge: return .merge
        case .replace: return .replace
        }
    }
}

/// `tessera import`: load a snapshot of profiles from NDJSON.
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import a snapshot of profiles from NDJSON, one profile per line, merged into the stored ones.",
        discussion: """
            Each line: {"id": "u1", "attributes": {...}, "segments": ["..."], "consent": {"personalization": true},
                        "events": [{"type": "purchase", "ts": "2026-11-20T10:00:00Z", "properties": {"value": 80}}]}
            Attributes must be in Mappings/schema.yaml (with their declared types) and segments in segments.yaml,
            so run `tessera compile` first. Events build the same behaviour state as delta `event` operations.

            --mode merge (default): the line's attributes (null removes one), segments, consent and events newer
            than the stored ones of their type are applied on top of the stored profile; the rest stays.
            --mode replace: attributes, segments and consent become the line's; a line with events rebuilds the
            behaviour from them. In both modes the stored delta seq is kept (so replayed deltas stay
            duplicates), listed segments keep their stored score and expiry, and a user erased through
            DELETE /v1/profiles/{id} is not recreated: the line is rejected.

            A rerun of the same file changes nothing: records that would not change are not rewritten. A bad
            line is reported with its line number and skipped; the rest are imported. Use - to read standard
            input. Progress goes to standard error (a bar on a terminal).
            """
    )

    @OptionGroup var storage: DataOptions

    @Argument(help: ArgumentHelp("NDJSON file of profiles, or - for standard input.", valueName: "file"))
    var file: String

    @Option(
        help: "merge: apply each line on top of the stored profile; replace: the line's parts replace the stored ones."
    )
    var mode = ImportMode.merge

    @Option(help: "Profiles per write transaction.")
    var batchSize = 10_000

    @Option(help: "Rejected lines listed on standard error; further ones are only counted.")
    var maxReportedRejections = 100

    func validate() throws {
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
        guard maxReportedRejections >= 0 else { throw ValidationError("--max-reported-rejections must be 0 or more") }
    }

    func run() throws {
        var options = DataStore.Options()
        options.mapSize = storage.mapSize << 20
        let store = try DataStore(path: storage.data, options: options)
        guard let (revision, bundle) = try store.currentBundle() else { throw StoreError.noBundle(path: storage.data) }
        guard let handle = file == "-" ? fdopen(0, "r") : fopen(file, "r") else {
            throw ValidationError("cannot open \(file): \(String(cString: strerror(errno)))")
        }
        defer { fclose(handle) }
        var info = stat()
        let isFile = fstat(fileno(handle), &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
        let totalBytes = isFile ? Int(info.st_size) : nil

        var importer = ProfileImporter(store: store, bundle: bundle)
        importer.mode = mode.snapshotMode
        importer.batchSize = batchSize
        importer.maxReportedRejections = maxReportedRejections
        let started = Date()
        var display = ImportProgress(totalBytes: totalBytes, isTerminal: stderrIsTerminal)
        var bytesRead = 0
        var linePointer: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(linePointer) }
        let summary = try importer.run(
            lines: {
                let n = getline(&linePointer, &capacity, handle)
                guard n >= 0, let linePointer else { return nil }
                bytesRead += n
                var length = n
                if length > 0, linePointer[length - 1] == 0x0A { length -= 1 }
                return [UInt8](UnsafeRawBufferPointer(start: linePointer, count: length))
            },
            progress: { s in
                if let text = display.update(lines: s.lines, bytes: bytesRead, rejected: s.rejectedCount) {
                    writeError(text)
                }
            })
        if let text = display.finish(lines: summary.lines, bytes: bytesRead, rejected: summary.rejectedCount) {
            writeError(text)
        }
        for r in summary.rejected { printError("\(file):\(r)") }
        if summary.rejectedCount > summary.rejected.count {
            printError("... and \(summary.rejectedCount - summary.rejected.count) more rejected lines")
        }
        let seconds = Date().timeIntervalSince(started)
        print(
            "imported \(summary.imported) profiles (\(summary.created) new, \(summary.updated) changed, \(summary.unchanged) unchanged), rejected \(summary.rejectedCount) lines, in \(String(format: "%.1f", seconds)) s, \(Int(Double(summary.lines) / max(seconds, 0.001))) lines/s (mode \(mode.rawValue), schema of revision \(revision))"
        )
    }
}

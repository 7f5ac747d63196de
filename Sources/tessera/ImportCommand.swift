import ArgumentParser
import Decision
import Foundation
import Store

/// `tessera import`: load profiles from NDJSON.
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import profiles from NDJSON, one profile per line.",
        discussion: """
            Each line: {"id": "u1", "attributes": {...}, "segments": ["..."], "consent": {"personalization": true}}
            Attributes must be in Mappings/schema.yaml (with their declared types) and segments in
            segments.yaml, so run `tessera compile` first. A bad line is reported with its line number and
            skipped; the rest are imported. A profile with the same id replaces the stored one. Use - to read
            standard input. Progress goes to standard error.
            """
    )

    @OptionGroup var storage: DataOptions

    @Argument(help: ArgumentHelp("NDJSON file of profiles, or - for standard input.", valueName: "file"))
    var file: String

    @Option(help: "Profiles per write transaction.")
    var batchSize = 10_000

    func run() throws {
        var options = DataStore.Options()
        options.mapSize = storage.mapSize << 20
        let store = try DataStore(path: storage.data, options: options)
        guard let (revision, bundle) = try store.currentBundle() else { throw StoreError.noBundle(path: storage.data) }
        guard let handle = file == "-" ? fdopen(0, "r") : fopen(file, "r") else {
            throw ValidationError("cannot open \(file): \(String(cString: strerror(errno)))")
        }
        defer { fclose(handle) }

        var importer = ProfileImporter(store: store, bundle: bundle)
        importer.batchSize = batchSize
        let started = Date()
        var linePointer: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(linePointer) }
        let summary = try importer.run(
            lines: {
                let n = getline(&linePointer, &capacity, handle)
                guard n >= 0, let linePointer else { return nil }
                var length = n
                if length > 0, linePointer[length - 1] == 0x0A { length -= 1 }
                return [UInt8](UnsafeRawBufferPointer(start: linePointer, count: length))
            },
            progress: { lines in
                let rate = Double(lines) / max(Date().timeIntervalSince(started), 0.001)
                let text = "importing: \(lines) lines read, \(Int(rate)) lines/s"
                if stderrIsTerminal { writeError("\r\(text)") } else if lines % 100_000 < batchSize { printError(text) }
            })
        if stderrIsTerminal { writeError("\n") }
        for r in summary.rejected.prefix(100) { printError("\(file):\(r)") }
        if summary.rejected.count > 100 { printError("... and \(summary.rejected.count - 100) more rejected lines") }
        let seconds = Date().timeIntervalSince(started)
        print(
            "imported \(summary.imported) profiles, rejected \(summary.rejected.count) lines, in \(String(format: "%.1f", seconds)) s (schema of revision \(revision))"
        )
    }
}

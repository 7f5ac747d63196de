import ArgumentParser
import Decision
import Foundation
import Store

/// `tessera lists`: list segments (GrowthBook saved groups), named sets of ids from a CRM or campaign tool.
struct ListsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lists",
        abstract: "Import, show and delete list segments (named sets of ids; GrowthBook saved groups).",
        discussion: """
            A list is referred to by name from conditions ({"user": {"$inGroup": "vip_list"}}, $notInGroup) and from
            segments.yaml (`list: vip_list`). Import it before compiling a bundle that names it.
            """,
        subcommands: [ListsImportCommand.self, ListsShowCommand.self, ListsDeleteCommand.self]
    )
}

/// How `tessera lists import` combines the file with the stored list.
enum ListModeOption: String, ExpressibleByArgument, CaseIterable {
    case replace
    case merge

    var storeMode: DataStore.ListWriteMode { self == .replace ? .replace : .merge }
}

/// How the file is written.
enum ListFormatOption: String, ExpressibleByArgument, CaseIterable {
    case auto
    case lines
    case ndjson
}

/// `tessera lists import NAME FILE`.
struct ListsImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import a list segment from a file of ids: one id per line, or NDJSON.",
        discussion: """
            Lines: each line is one id (surrounding spaces removed; blank lines skipped). NDJSON: each line is a JSON
            string ("u1"), a number (42; GrowthBook compares ids strictly, so 42 is not "42") or {"id": ...}.
            --format auto (default) reads NDJSON for *.ndjson and *.jsonl files, lines otherwise.

            --mode replace (default): the list becomes exactly the file's ids. --mode merge: the file's ids are added.
            The write is one transaction: readers see the old list or the new one. Importing the same file again
            changes nothing. A bad line stops the import with file:line:column; nothing is written then.
            """
    )

    @OptionGroup var storage: DataOptions

    @Argument(help: "The list's name (letters, digits, _ . : -; at most 64).")
    var name: String

    @Argument(help: ArgumentHelp("File of ids, or - for standard input.", valueName: "file"))
    var file: String

    @Option(help: "replace: the list becomes the file's ids; merge: the file's ids are added to it.")
    var mode = ListModeOption.replace

    @Option(help: "auto, lines or ndjson.")
    var format = ListFormatOption.auto

    func validate() throws {
        guard DataStore.isValidListName(name) else {
            throw ValidationError("list name '\(name)' may use 1 to 64 letters, digits and _ . : - only")
        }
    }

    func run() throws {
        let resolved: ListMembers.Format
        switch format {
        case .lines: resolved = .lines
        case .ndjson: resolved = .ndjson
        case .auto: resolved = file.hasSuffix(".ndjson") || file.hasSuffix(".jsonl") ? .ndjson : .lines
        }
        guard let handle = file == "-" ? fdopen(0, "r") : fopen(file, "r") else {
            throw ValidationError("cannot open \(file): \(String(cString: strerror(errno)))")
        }
        defer { fclose(handle) }
        var info = stat()
        let isFile = fstat(fileno(handle), &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
        var display = ImportProgress(totalBytes: isFile ? Int(info.st_size) : nil, isTerminal: stderrIsTerminal)
        let started = Date()
        var members = ListMembers(format: resolved)
        var linePointer: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(linePointer) }
        while true {
            let n = getline(&linePointer, &capacity, handle)
            guard n >= 0, let linePointer else { break }
            var length = n
            if length > 0, linePointer[length - 1] == 0x0A { length -= 1 }
            do {
                try members.add(line: UnsafeRawBufferPointer(start: linePointer, count: length))
            } catch {
                printError("\(file):\(error.description)")
                printError("nothing was written")
                throw ExitCode(1)
            }
            if let text = display.update(lines: members.lines, bytes: members.bytesRead, rejected: 0) {
                writeError(text)
            }
        }
        if let text = display.finish(lines: members.lines, bytes: members.bytesRead, rejected: 0) { writeError(text) }
        let parsed = Date()
        var options = DataStore.Options()
        options.mapSize = storage.mapSize << 20
        let store = try DataStore(path: storage.data, options: options)
        let total = members.count
        let summary = try store.writeList(
            name, members: members, mode: mode.storeMode, now: Date().timeIntervalSince1970,
            progress: { written in
                if stderrIsTerminal {
                    writeError(
                        "\r\u{1B}[Kwriting: \(ImportProgress.grouped(written)) of \(ImportProgress.grouped(total)) ids")
                }
            })
        if stderrIsTerminal { writeError("\r\u{1B}[K") }
        let seconds = Date().timeIntervalSince(started)
        let readSeconds = parsed.timeIntervalSince(started)
        print(
            "list '\(name)' (#\(summary.info.number)): \(summary.info.count) ids, \(summary.added) added, "
                + "\(summary.removed) removed (mode \(mode.rawValue)); read \(members.lines) lines in "
                + String(format: "%.1f", readSeconds) + " s, total " + String(format: "%.1f", seconds) + " s, "
                + "\(Int(Double(total) / max(seconds, 0.001))) ids/s")
    }
}

/// `tessera lists show [NAME]`.
struct ListsShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Show the list segments (or one), with their id counts.")

    @OptionGroup var storage: DataOptions

    @Argument(help: "Only this list.")
    var name: String?

    func run() throws {
        var options = DataStore.Options()
        options.mapSize = storage.mapSize << 20
        let store = try DataStore(path: storage.data, options: options)
        let lists = try store.allLists().filter { name == nil || $0.name == name }
        if let name, lists.isEmpty {
            printError("no list named '\(name)'")
            throw ExitCode(1)
        }
        for l in lists {
            let when = Date(timeIntervalSince1970: l.updatedAt)
            print("\(l.name)\t#\(l.number)\t\(l.live ? "\(l.count) ids" : "deleted")\tupdated \(when)")
        }
    }
}

/// `tessera lists delete NAME`.
struct ListsDeleteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete",
        abstract: "Delete a list segment: every test on it is false from then on (a warning, never an error).")

    @OptionGroup var storage: DataOptions

    @Argument(help: "The list's name.")
    var name: String

    func run() throws {
        var options = DataStore.Options()
        options.mapSize = storage.mapSize << 20
        let store = try DataStore(path: storage.data, options: options)
        guard try store.deleteList(name, now: Date().timeIntervalSince1970) != nil else {
            printError("no list named '\(name)'")
            throw ExitCode(1)
        }
        if let (revision, bundle) = try store.currentBundle(),
            try DecisionEngine(bundle: bundle, revision: revision).savedGroupNames.contains(name)
        {
            printError("warning: revision \(revision) tests list '\(name)': those tests are now false")
        }
        print("deleted list '\(name)'")
    }
}

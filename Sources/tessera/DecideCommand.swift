import ArgumentParser
import Decision
import Foundation
import JSON
import Store

/// `tessera decide`: one decision from the command line, exactly as the server would make it.
struct DecideCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decide",
        abstract: "Decide slots for one user and print the JSON response.",
        discussion: "Example: tessera decide --user u42 --slots home.hero,cart.banner --context device=mobile --explain"
    )

    @OptionGroup var storage: DataOptions

    @Option(help: "User id.")
    var user: String

    @Option(help: "Comma-separated slot ids.")
    var slots: String

    @Option(
        name: .long, parsing: .singleValue,
        help: ArgumentHelp("Request context as key=value (repeatable).", valueName: "key=value"))
    var context: [String] = []

    @Flag(help: "Add, per slot, the rules tried and what decided each.")
    var explain = false

    @Option(
        help:
            "Decide this many times more (each in a fresh read snapshot, as the server does) and report the mean time per decision on standard error."
    )
    var repeats: Int = 0

    func validate() throws {
        guard repeats >= 0 else { throw ValidationError("--repeats must be 0 or more") }
    }

    func run() throws {
        var options = DataStore.Options()
        options.mapSize = storage.mapSize << 20
        let store = try DataStore(path: storage.data, options: options)
        guard let (revision, bundle) = try store.currentBundle() else { throw StoreError.noBundle(path: storage.data) }
        let engine = try DecisionEngine(bundle: bundle, revision: revision)
        var ctx = RequestContext()
        for pair in context {
            guard let eq = pair.firstIndex(of: "=") else {
                throw ValidationError("--context expects key=value, got '\(pair)'")
            }
            ctx.values.append((String(pair[..<eq]), .string(String(pair[pair.index(after: eq)...]))))
        }
        let request = DecisionRequest(
            user: user, slots: slots.split(separator: ",").map(String.init), context: ctx, explain: explain,
            now: Date().timeIntervalSince1970)
        var out: [UInt8] = []
        var scratch: [UInt8] = []
        var choices: [SlotChoice] = []
        let reader = try ProfileReader(store: store)
        try reader.withSnapshot { snapshot in
            engine.decide(
                request, profile: try snapshot.profile(user), savedGroups: snapshot, into: &out, scratch: &scratch,
                choices: &choices)
        }
        print(String(decoding: out, as: UTF8.self))
        guard repeats > 0 else { return }
        let started = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<repeats {
            out.removeAll(keepingCapacity: true)
            choices.removeAll(keepingCapacity: true)
            try reader.withSnapshot { snapshot in
                engine.decide(
                    request, profile: try snapshot.profile(user), savedGroups: snapshot, into: &out,
                    scratch: &scratch, choices: &choices)
            }
        }
        let nanoseconds = Double(DispatchTime.now().uptimeNanoseconds - started) / Double(repeats)
        printError(
            "decide: \(repeats) repeats, \(String(format: "%.0f", nanoseconds)) ns per decision (snapshot, profile read, decide)"
        )
    }
}

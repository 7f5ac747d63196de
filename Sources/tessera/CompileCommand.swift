import ArgumentParser
import BundleCompiler
import Decision
import Foundation
import Publishing
import Store

/// `tessera compile`: validate templates and mappings and publish them as a new revision.
struct CompileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compile",
        abstract: "Validate Templates/ and Mappings/ and publish them as the next revision.",
        discussion: """
            Every template and condition is compiled and every reference checked against the whole bundle.
            On errors, each problem is printed as file:line:column: message, the exit status is 1, and the
            data directory is not touched. On success the bundle is written in one LMDB transaction and a
            running server picks it up within a second.
            """
    )

    @OptionGroup var storage: DataOptions

    @Option(help: ArgumentHelp("Directory of *.mustache templates (id = path without extension).", valueName: "dir"))
    var templates: String = "Templates"

    @Option(help: ArgumentHelp("Directory with schema.yaml, segments.yaml and slots/*.yaml.", valueName: "dir"))
    var mappings: String = "Mappings"

    @Flag(help: "Validate only; write nothing.")
    var check = false

    func run() throws {
        let sources: BundleSources
        do {
            sources = try BundleSources.load(templates: templates, mappings: mappings)
        } catch let problems as CompileProblems {
            printProblems(problems)
            throw ExitCode(1)
        }
        func summary(_ bundle: CompiledBundle) -> String {
            "\(sources.templates.count) templates, \(bundle.segments.count) segments, \(bundle.slots.count) slots, "
                + "\(bundle.schema.attributes.count) attributes"
        }
        do {
            if check {
                // Lists named by conditions must exist in the data directory, if there is one.
                var lists: [String: Int] = [:]
                if FileManager.default.fileExists(atPath: storage.data + "/data.mdb") {
                    var options = DataStore.Options()
                    options.mapSize = storage.mapSize << 20
                    lists = try DataStore(path: storage.data, options: options).liveListNumbers()
                }
                let bundle = try BundleCompiler.compile(sources, savedGroups: lists)
                // Loading it as the server would catches anything the compiler let through.
                _ = try DecisionEngine(bundle: bundle, revision: 0)
                print("ok: \(summary(bundle)) (nothing written: --check)")
                return
            }
            var options = DataStore.Options()
            options.mapSize = storage.mapSize << 20
            let store = try DataStore(path: storage.data, options: options)
            // The same path a CMS webhook publishes through.
            let (record, bundle) = try ContentPublisher(store: store).publish(sources: sources, origin: .compile)
            print("published revision \(record.revision): \(summary(bundle)), \(record.changes.count) change(s)")
        } catch let problems as CompileProblems {
            printProblems(problems)
            throw ExitCode(1)
        }
    }

    private func printProblems(_ problems: CompileProblems) {
        for p in problems.problems { printError(p.description) }
        printError("\(problems.problems.count) problem(s); nothing was written")
    }
}

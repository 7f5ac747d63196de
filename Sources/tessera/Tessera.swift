import ArgumentParser

/// `tessera`: the content decision server and its tools.
@main
struct Tessera: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tessera",
        abstract: "Personalized content decisions over HTTP/2, from LMDB.",
        discussion: """
            A typical start:
              tessera compile --data ./data --templates Templates --mappings Mappings
              tessera generate-profiles --count 10000 > profiles.ndjson
              tessera import --data ./data profiles.ndjson
              tessera serve --data ./data --port 8080
            Then: curl --http2-prior-knowledge 'http://127.0.0.1:8080/v1/decide?user=u1&slots=home.hero'
            """,
        subcommands: [
            ServeCommand.self, CompileCommand.self, ImportCommand.self, GenerateProfilesCommand.self,
            DecideCommand.self, ListsCommand.self, ResultsCommand.self, DecisionsCommand.self, SegmentsCommand.self,
        ]
    )
}

/// The `--data` option every command shares.
struct DataOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Data directory holding the LMDB environment.", valueName: "dir"))
    var data: String = "./data"

    @Option(
        name: .long,
        help: ArgumentHelp("Largest size the LMDB data file may grow to, in MiB.", valueName: "mib"))
    var mapSize: Int = 8192
}

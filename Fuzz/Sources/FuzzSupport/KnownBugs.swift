import Foundation

/// Known, not yet fixed crashes: the inputs listed in `Fuzz/Regressions/KNOWN`.
///
/// A harness that can tell cheaply that an input would hit a listed bug skips that step, so fuzzing
/// keeps looking for new bugs instead of finding the known one again in every run. Removing the line
/// from `KNOWN` when the fix lands turns the step back on (and `scripts/fuzz` then replays the input).
public enum KnownBugs {
    /// The regression names in `KNOWN` (`<target>/<name>`, `#` starts a comment), or in the environment
    /// variable `TESSERA_FUZZ_KNOWN` (names separated by white space) when it is set: `scripts/fuzz
    /// --include-known` sets it empty to replay every input with every step on.
    public static let listed: Set<String> = {
        if let names = ProcessInfo.processInfo.environment["TESSERA_FUZZ_KNOWN"] {
            return Set(names.split(whereSeparator: \.isWhitespace).map(String.init))
        }
        guard let text = try? String(contentsOfFile: DemoContent.root + "/Fuzz/Regressions/KNOWN", encoding: .utf8)
        else { return [] }
        var names: Set<String> = []
        for line in text.split(separator: "\n") {
            let name = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0]
                .trimmingCharacters(in: .whitespaces)
            if !name.isEmpty { names.insert(name) }
        }
        return names
    }()

    /// Whether the regression `name` (`<target>/<file>`) is listed as not fixed yet.
    public static func isListed(_ name: String) -> Bool { listed.contains(name) }
}

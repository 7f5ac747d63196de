import Foundation
import Server
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Runs `scripts/h2probe.py` (python h2's frame and HPACK layers: an HTTP/2 client independent of
/// libnghttp2) against a test server and reads back what it observed.
enum TransportProbe {
    /// `scripts/h2probe.py` in this checkout.
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("scripts/h2probe.py").path

    /// What the probe printed last: one JSON object.
    struct Result: CustomStringConvertible {
        /// The decoded object.
        var fields: [String: Any]
        /// The probe's full output, for failure messages.
        var description: String

        /// A boolean field.
        func bool(_ key: String) -> Bool? { fields[key] as? Bool }
        /// A number field as an integer.
        func int(_ key: String) -> Int? { (fields[key] as? NSNumber)?.intValue }
        /// A number field.
        func double(_ key: String) -> Double? { (fields[key] as? NSNumber)?.doubleValue }
        /// An object field of numbers.
        func counts(_ key: String) -> [String: Int] {
            (fields[key] as? [String: Any] ?? [:]).compactMapValues { ($0 as? NSNumber)?.intValue }
        }
        /// An array field of numbers.
        func ints(_ key: String) -> [Int] { (fields[key] as? [Any] ?? []).compactMap { ($0 as? NSNumber)?.intValue } }
    }

    /// A probe that failed to run or printed no result.
    struct Failure: Error, CustomStringConvertible {
        /// What went wrong, with the probe's output.
        var description: String
    }

    /// Runs probe `name` against `port` and decodes its result; throws when the probe did not
    /// finish within `timeout` or printed no JSON.
    static func run(_ name: String, port: Int, _ arguments: [String] = [], timeout: Duration = .seconds(30))
        async throws -> Result
    {
        let output = try await TransportHarness.run(
            ["python3", script, name, "--port", "\(port)"] + arguments, timeout: timeout)
        return try decode(output, name: name)
    }

    /// Decodes the last stdout line of a finished probe.
    static func decode(_ output: TransportHarness.Output, name: String) throws -> Result {
        let text = "\(name): status \(output.status)\nstdout: \(output.stdout)\nstderr: \(output.stderr)"
        guard output.status == 0, let line = output.stdout.split(separator: "\n").last,
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        else { throw Failure(description: text) }
        return Result(fields: object, description: text)
    }
}

/// Process memory, for bounds on what a hostile client can make the server hold.
enum ProcessMemory {
    /// This process's resident set size in bytes (VmRSS in /proc/self/status).
    static func residentBytes() throws -> Int {
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let kib = Int(line.split(separator: " ").dropFirst().first ?? "")
        else { throw TransportProbe.Failure(description: "no VmRSS in /proc/self/status") }
        return kib * 1024
    }
}

/// A client process started in the background, whose output can be watched while it runs.
final class RunningClient {
    private let process = Process()
    private let directory: URL
    private let outURL: URL
    private let errURL: URL

    /// Starts `arguments` (the first is looked up on PATH); output goes to files.
    init(_ arguments: [String]) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("client-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        outURL = directory.appendingPathComponent("out")
        errURL = directory.appendingPathComponent("err")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.standardOutput = try FileHandle(forWritingTo: outURL)
        process.standardError = try FileHandle(forWritingTo: errURL)
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(at: directory)
    }

    /// Kills the process (SIGKILL: an inherited ignored SIGTERM cannot keep it alive) and waits for it.
    func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// Standard output so far.
    var stdout: String { (try? String(contentsOf: outURL, encoding: .utf8)) ?? "" }

    /// Waits until stdout contains `text`; throws if the process exits first or `timeout` passes.
    func waitForOutput(containing text: String, timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        while !stdout.contains(text) {
            guard process.isRunning, ContinuousClock.now < deadline else {
                throw TransportProbe.Failure(description: "no \"\(text)\" in time; stdout: \(stdout)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}

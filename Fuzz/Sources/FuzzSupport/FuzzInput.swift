/// Helpers that turn one libFuzzer input into the several inputs a harness needs.
public enum FuzzInput {
    /// The input as a byte array.
    public static func bytes(_ data: UnsafePointer<UInt8>, _ size: Int) -> [UInt8] {
        Array(UnsafeBufferPointer(start: data, count: size))
    }

    /// Splits `bytes` at every NUL byte: seeds separate their parts (a condition and the attributes it
    /// is evaluated against, templates and their data) with `\0`, which none of those texts contains.
    public static func parts(_ bytes: [UInt8], maxParts: Int = 8) -> [ArraySlice<UInt8>] {
        bytes.split(separator: 0, maxSplits: maxParts - 1, omittingEmptySubsequences: false)
    }

    /// Fails the run with `message`: libFuzzer records the input as a crash.
    public static func fail(_ message: String, file: StaticString = #fileID, line: UInt = #line) -> Never {
        fatalError("oracle: \(message)", file: file, line: line)
    }
}

#if canImport(Glibc)
    import Glibc
#endif

/// Writes all of `bytes` to file descriptor `fd` (1 = stdout, 2 = stderr), retrying short writes.
func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) {
    var offset = 0
    while offset < bytes.count {
        let n = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
        if n < 0 {
            if errno == EINTR { continue }
            return
        }
        offset += n
    }
}

/// Writes `text` to standard error as is.
func writeError(_ text: String) {
    var copy = text
    copy.withUTF8 { writeAll(2, UnsafeRawBufferPointer($0)) }
}

/// Writes a line to standard error.
func printError(_ message: String) {
    writeError(message + "\n")
}

/// Whether standard error is a terminal (progress redraws in place only there).
var stderrIsTerminal: Bool { isatty(2) == 1 }

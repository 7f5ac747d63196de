import Foundation

/// The progress report of `tessera import` on standard error: a bar redrawn in place on a terminal (lines,
/// rate, bytes read of the file's size when known, ETA), otherwise one plain line every few seconds.
struct ImportProgress {
    /// Size of the input in bytes, when it is a regular file.
    let totalBytes: Int?
    /// Whether to redraw a bar in place (standard error is a terminal).
    let isTerminal: Bool
    /// Seconds between plain progress lines.
    var lineInterval = 5.0
    /// Seconds between redraws of the bar.
    var redrawInterval = 0.1

    private let started: Date
    private var lastShown: Date
    private var drewBar = false

    /// A report for an input of `totalBytes` (nil: unknown, e.g. a pipe), starting now.
    init(totalBytes: Int?, isTerminal: Bool) {
        self.totalBytes = totalBytes
        self.isTerminal = isTerminal
        started = Date()
        lastShown = started
    }

    /// The text to write to standard error for this update, or `nil` when it is too soon to show another.
    mutating func update(lines: Int, bytes: Int, rejected: Int, final: Bool = false) -> String? {
        let now = Date()
        let interval = isTerminal ? redrawInterval : lineInterval
        guard final || now.timeIntervalSince(lastShown) >= interval else { return nil }
        lastShown = now
        let elapsed = max(now.timeIntervalSince(started), 0.001)
        let rate = Double(lines) / elapsed
        var parts = ["\(Self.grouped(lines)) lines", "\(Self.grouped(Int(rate))) lines/s"]
        var fraction: Double?
        if let totalBytes, totalBytes > 0 {
            let f = min(1, Double(bytes) / Double(totalBytes))
            fraction = f
            parts.append("\(Self.megabytes(bytes)) of \(Self.megabytes(totalBytes)) MB")
            if f > 0, !final { parts.append("ETA \(Self.clock(elapsed * (1 - f) / f))") }
        } else {
            parts.append("\(Self.megabytes(bytes)) MB read")
        }
        if rejected > 0 { parts.append("\(Self.grouped(rejected)) rejected") }
        let text = parts.joined(separator: "  ")
        guard isTerminal else { return "import: " + parts.joined(separator: ", ") + "\n" }
        drewBar = true
        let end = final ? "\n" : ""
        guard let fraction else { return "\r\u{1B}[K" + text + end }
        let width = 24
        let filled = Int((fraction * Double(width)).rounded(.down))
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        let percent = String(format: "%5.1f%%", fraction * 100)
        return "\r\u{1B}[K[\(bar)] \(percent)  " + text + end
    }

    /// The last update, always shown (ends the bar's line on a terminal).
    mutating func finish(lines: Int, bytes: Int, rejected: Int) -> String? {
        guard isTerminal else { return nil }
        return update(lines: lines, bytes: bytes, rejected: rejected, final: true)
    }

    /// `1234567` as `1,234,567`.
    static func grouped(_ n: Int) -> String {
        let digits = String(n)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return out
    }

    /// Bytes as megabytes with one decimal.
    static func megabytes(_ bytes: Int) -> String { String(format: "%.1f", Double(bytes) / 1_000_000) }

    /// Seconds as `m:ss` (or `h:mm:ss`).
    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded(.up))
        if s >= 3600 { return String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) }
        return String(format: "%d:%02d", s / 60, s % 60)
    }
}

/// Instants as seconds since the Unix epoch (UTC), with the ISO-8601 and duration parsing relative-time
/// conditions and profile deltas need. No Foundation: pure arithmetic on UTF-8 bytes.
public enum EpochTime {
    /// Seconds since the epoch of an ISO-8601 date-time (`2026-11-25T10:00:00Z`, optional fraction, `Z` or
    /// `±HH:MM`) or a bare date (`2026-11-25`, midnight UTC); `nil` for anything else.
    public static func parse(_ bytes: UnsafeRawBufferPointer) -> Double? {
        let b = bytes
        func digit(_ i: Int) -> Int? {
            guard i < b.count, b[i] >= 0x30, b[i] <= 0x39 else { return nil }
            return Int(b[i] - 0x30)
        }
        func number(_ r: Range<Int>) -> Int? {
            var v = 0
            for i in r {
                guard let d = digit(i) else { return nil }
                v = v * 10 + d
            }
            return v
        }
        guard b.count >= 10, let year = number(0..<4), b[4] == 0x2D, let month = number(5..<7), b[7] == 0x2D,
            let day = number(8..<10), (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        let days = Double(daysFromCivil(year: year, month: month, day: day))
        if b.count == 10 { return days * 86_400 }
        guard b.count >= 20, b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: " "), let hour = number(11..<13),
            b[13] == 0x3A, let minute = number(14..<16), b[16] == 0x3A, let second = number(17..<19), hour < 24,
            minute < 60, second < 61
        else { return nil }
        var seconds = days * 86_400 + Double(hour * 3600 + minute * 60 + second)
        var i = 19
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            var scale = 0.1
            let start = i
            while let d = digit(i) {
                seconds += Double(d) * scale
                scale /= 10
                i += 1
            }
            if i == start { return nil }
        }
        if i == b.count - 1, b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") { return seconds }
        guard i == b.count - 6, b[i] == 0x2B || b[i] == 0x2D, let oh = number(i + 1..<i + 3), b[i + 3] == 0x3A,
            let om = number(i + 4..<i + 6)
        else { return nil }
        let offset = Double(oh * 3600 + om * 60)
        return b[i] == 0x2B ? seconds - offset : seconds + offset
    }

    /// Seconds since the epoch of an ISO-8601 string (see ``parse(_:)-(UnsafeRawBufferPointer)``).
    public static func parse(_ string: String) -> Double? {
        var s = string
        return s.withUTF8 { parse(UnsafeRawBufferPointer($0)) }
    }

    /// `2026-11-25T10:00:00Z` (whole seconds; fractions are dropped).
    public static func format(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "" }
        let total = Int64(seconds.rounded(.down))
        let days = total >= 0 ? total / 86_400 : (total - 86_399) / 86_400
        let rest = Int(total - days * 86_400)
        let (y, m, d) = civilFromDays(Int(days))
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let year = String(y)
        let paddedYear = String(repeating: "0", count: max(0, 4 - year.count)) + year
        return "\(paddedYear)-\(two(m))-\(two(d))T\(two(rest / 3600)):\(two(rest / 60 % 60)):\(two(rest % 60))Z"
    }

    /// A duration such as `90s`, `15m`, `24h`, `7d` or `2w` in seconds; `nil` when malformed.
    public static func duration(_ text: String) -> Double? {
        guard let unit = text.last, let amount = Double(text.dropLast()), amount >= 0, amount.isFinite else {
            return nil
        }
        switch unit {
        case "s": return amount
        case "m": return amount * 60
        case "h": return amount * 3600
        case "d": return amount * 86_400
        case "w": return amount * 604_800
        default: return nil
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    public static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The date of day `days` since 1970-01-01.
    public static func civilFromDays(_ days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}

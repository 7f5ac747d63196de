/// A moment in UTC as seconds since the Unix epoch, validated to lie in the years 0001 to 9999.
///
/// The one time type of every input path: the ISO-8601 parser below is the only one in Tessera (profile
/// deltas, import lines, Segment Spec calls, `timestamp` attributes, relative-time conditions and the CLI
/// all use it), and a number taken as epoch seconds becomes a `Timestamp` only when it is in range. Inside
/// that range every derived quantity (days, the day buckets of behaviour counters, expiry arithmetic) fits
/// an `Int32`/`Int` with room to spare, so nothing built from a `Timestamp` can trap.
///
/// Times already stored in profile records are plain `Double`s (NaN meaning "none"); the static helpers
/// (``format(_:)``, ``day(of:)``, ``clamped(_:)``) accept any `Double` and never trap, so a corrupt or
/// pre-validation record cannot stop the server either. No Foundation: pure arithmetic on UTF-8 bytes.
public struct Timestamp: Sendable, Hashable, Comparable {
    /// 0001-01-01T00:00:00Z.
    public static let earliest: Double = -62_135_596_800
    /// 9999-12-31T23:59:59Z (a fraction of the last second is still inside the range).
    public static let latest: Double = 253_402_300_799
    /// Longest duration accepted (`ttl`, `$within`): the whole range, about 10,000 years.
    public static let maxDuration: Double = latest - earliest

    /// Seconds since the epoch, finite and in ``earliest`` ..< ``latest`` + 1.
    public let seconds: Double

    /// `seconds` as a timestamp; `nil` when it is not finite or outside the years 0001-9999.
    public init?(seconds: Double) {
        guard seconds >= Self.earliest, seconds < Self.latest + 1 else { return nil }  // NaN fails both
        self.seconds = seconds
    }

    /// An ISO-8601 date-time (`2026-11-25T10:00:00Z`, optional fraction, `Z` or `±HH:MM`) or a bare date
    /// (`2026-11-25`, midnight UTC); `nil` for anything else, including impossible dates (`2026-02-30`,
    /// month 13) and offsets that move the moment outside the years 0001-9999.
    public init?(iso8601 bytes: UnsafeRawBufferPointer) {
        guard let s = Self.parseSeconds(bytes), let t = Timestamp(seconds: s) else { return nil }
        self = t
    }

    /// See ``init(iso8601:)-(UnsafeRawBufferPointer)``.
    public init?(iso8601 string: String) {
        var s = string
        guard let t = s.withUTF8({ Timestamp(iso8601: UnsafeRawBufferPointer($0)) }) else { return nil }
        self = t
    }

    public static func < (a: Timestamp, b: Timestamp) -> Bool { a.seconds < b.seconds }

    /// `2026-11-25T10:00:00Z` (whole seconds; fractions are dropped).
    public var iso8601: String { Self.format(seconds) }

    /// Days since 1970-01-01 (UTC), negative before it.
    public var day: Int32 { Self.day(of: seconds) }

    // MARK: Helpers for stored times (any Double)

    /// `seconds` formatted like ``iso8601``; the empty string when it is not a valid timestamp.
    public static func format(_ seconds: Double) -> String {
        guard Timestamp(seconds: seconds) != nil else { return "" }
        let total = Int64(seconds.rounded(.down))  // in range: |total| < 2^38
        let days = total >= 0 ? total / 86_400 : (total - 86_399) / 86_400
        let rest = Int(total - days * 86_400)
        let (y, m, d) = civilFromDays(Int(days))
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let year = String(y)
        let paddedYear = String(repeating: "0", count: max(0, 4 - year.count)) + year
        return "\(paddedYear)-\(two(m))-\(two(d))T\(two(rest / 3600)):\(two(rest / 60 % 60)):\(two(rest % 60))Z"
    }

    /// The day number of `seconds` (days since 1970-01-01), with `seconds` first clamped into the valid
    /// range; 0 for NaN. Never traps.
    public static func day(of seconds: Double) -> Int32 {
        guard !seconds.isNaN else { return 0 }
        let s = min(max(seconds, earliest), latest)
        return Int32((s / 86_400).rounded(.down))  // within ±3,000,000
    }

    /// `seconds` clamped into the valid range; NaN (none) stays NaN.
    public static func clamped(_ seconds: Double) -> Double {
        seconds.isNaN ? seconds : min(max(seconds, earliest), latest)
    }

    /// A duration such as `90s`, `15m`, `24h`, `7d` or `2w` in seconds; `nil` when malformed, negative or
    /// longer than ``maxDuration``.
    public static func duration(_ text: String) -> Double? {
        guard let unit = text.last, let amount = Double(text.dropLast()), amount >= 0, amount.isFinite else {
            return nil
        }
        let seconds: Double
        switch unit {
        case "s": seconds = amount
        case "m": seconds = amount * 60
        case "h": seconds = amount * 3600
        case "d": seconds = amount * 86_400
        case "w": seconds = amount * 604_800
        default: return nil
        }
        return seconds <= maxDuration ? seconds : nil
    }

    /// Seconds of an ISO-8601 text, before the range check.
    private static func parseSeconds(_ b: UnsafeRawBufferPointer) -> Double? {
        func digit(_ i: Int) -> Int? {
            guard i < b.count, b[i] >= 0x30, b[i] <= 0x39 else { return nil }
            return Int(b[i] &- 0x30)
        }
        func number(_ r: Range<Int>) -> Int? {
            var v = 0
            for i in r {
                guard let d = digit(i) else { return nil }
                v = v * 10 + d  // at most 4 digits
            }
            return v
        }
        guard b.count >= 10, let year = number(0..<4), b[4] == 0x2D, let month = number(5..<7), b[7] == 0x2D,
            let day = number(8..<10), year >= 1, (1...12).contains(month),
            (1...daysInMonth(year: year, month: month)).contains(day)
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
            let om = number(i + 4..<i + 6), oh < 24, om < 60
        else { return nil }
        let offset = Double(oh * 3600 + om * 60)
        return b[i] == 0x2B ? seconds - offset : seconds + offset
    }

    /// Days in `month` of `year` (proleptic Gregorian).
    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm). For years
    /// 0001-9999 (callers validate; the arithmetic is exact far beyond that).
    public static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The date of day `days` since 1970-01-01 (for days of the years 0001-9999).
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

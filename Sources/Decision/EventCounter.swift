import Targeting

/// What a profile keeps about one event type: counts in daily UTC buckets (so "3 or more in the last 7
/// days" needs no batch job), first and last occurrence, and the last occurrence's properties.
public struct EventCounter: Sendable, Equatable {
    /// Daily buckets kept; windows up to this many days can be asked for (`count_30d`).
    public static let windowDays = 30
    /// Longest properties text kept for the last event, in bytes (longer ones are dropped).
    public static let maxPropertiesBytes = 2048

    /// The event type, e.g. `session`, `add_to_cart`.
    public var type: String
    /// Events of this type ever counted.
    public var count: Double
    /// The earliest event's time, seconds since the epoch.
    public var firstAt: Double
    /// The latest event's time, seconds since the epoch.
    public var lastAt: Double
    /// The latest event's properties as compact JSON text (empty when none or too long).
    public var lastProperties: String
    /// Day number (days since 1970-01-01, UTC) of `buckets[0]`.
    public var newestDay: Int32
    /// `buckets[i]`: events on day `newestDay - i`; always ``windowDays`` long.
    public var buckets: [UInt32]

    /// An empty counter for `type`.
    public init(type: String) {
        self.type = type
        self.count = 0
        self.firstAt = .nan
        self.lastAt = .nan
        self.lastProperties = ""
        self.newestDay = 0
        self.buckets = Array(repeating: 0, count: Self.windowDays)
    }

    public static func == (a: EventCounter, b: EventCounter) -> Bool {
        a.type == b.type && a.count == b.count && a.firstAt.same(b.firstAt) && a.lastAt.same(b.lastAt)
            && a.lastProperties == b.lastProperties && a.newestDay == b.newestDay && a.buckets == b.buckets
    }

    /// Counts one event at `time` (seconds since the epoch) with `properties` (JSON text).
    public mutating func record(at time: Double, properties: String) {
        count += 1
        if !(firstAt <= time) { firstAt = time }
        if !(lastAt > time) {
            lastAt = time
            lastProperties = properties.utf8.count <= Self.maxPropertiesBytes ? properties : ""
        }
        // Day numbers of valid times are within ±3,000,000, but `newestDay` comes from a stored record that
        // may predate validation: compare and subtract in `Int`, which no pair of `Int32`s overflows.
        let day = Timestamp.day(of: time)
        if count == 1 || buckets.count != Self.windowDays {
            newestDay = day
            buckets = Array(repeating: 0, count: Self.windowDays)
        } else if day > newestDay {
            let shift = Int(day) - Int(newestDay)
            if shift >= Self.windowDays {
                buckets = Array(repeating: 0, count: Self.windowDays)
            } else {
                buckets = Array(repeating: 0, count: shift) + buckets.dropLast(shift)
            }
            newestDay = day
        }
        let age = Int(newestDay) - Int(day)
        if age >= 0, age < Self.windowDays { buckets[age] &+= 1 }
    }
}

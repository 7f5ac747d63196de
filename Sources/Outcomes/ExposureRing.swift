public import Decision
import Synchronization

/// A single-producer, single-consumer ring of fixed-size ``Exposure`` records: one per event loop.
///
/// The loop appends (a bounded copy and one release store; no lock, no allocation, no wait); the
/// ``OutcomeCollector`` thread drains. When the ring is full the record is dropped and counted, never
/// waited on: a decision is never slowed down by the measuring of it.
///
/// Written by hand rather than taken from a package: swift-atomics/Synchronization give the atomics, but no
/// package in the mirror list offers a fixed-record SPSC ring over raw memory; a queue of values would
/// allocate per record (the user id) and reference-count.
public final class ExposureRing: @unchecked Sendable {
    /// Records the ring holds (a power of two).
    public let capacity: Int
    private let mask: Int
    private let memory: UnsafeMutableRawPointer
    /// Records appended so far (written by the producer only), and consumed so far (by the consumer only):
    /// each in its own allocation padded to two cache lines, so the two cores do not bounce one line.
    private let head = PaddedCounter()
    private let tail = PaddedCounter()
    /// Records dropped because the ring was full.
    private let droppedCount = Atomic<Int>(0)
    /// The producer's last look at `tail` (only it reads or writes this).
    private var cachedTail = 0

    /// A ring of at least `capacity` records (rounded up to a power of two, at least 2).
    public init(capacity: Int) {
        var c = 2
        while c < capacity && c < (1 << 24) { c <<= 1 }
        self.capacity = c
        self.mask = c - 1
        memory = UnsafeMutableRawPointer.allocate(byteCount: c * Exposure.stride, alignment: 64)
    }

    deinit { memory.deallocate() }

    /// Records dropped because the ring was full.
    public var dropped: Int { droppedCount.load(ordering: .relaxed) }

    /// Appends one exposure, or counts it as dropped when the ring is full. Producer only.
    @inline(__always) @discardableResult
    public func append(
        time: Double, revision: UInt64, slot: Int, outcome: Int, nonce: UInt32, segments: SegmentSet,
        user: UnsafeRawBufferPointer
    ) -> Bool {
        let h = head.value.load(ordering: .relaxed)
        if h &- cachedTail >= capacity {
            cachedTail = tail.value.load(ordering: .acquiring)
            if h &- cachedTail >= capacity {
                droppedCount.add(1, ordering: .relaxed)
                return false
            }
        }
        Exposure.write(
            to: memory + (h & mask) * Exposure.stride, time: time, revision: revision, slot: slot, outcome: outcome,
            nonce: nonce, segments: segments, user: user)
        head.value.store(h &+ 1, ordering: .releasing)
        return true
    }

    /// Hands every record appended so far to `body` (oldest first), then frees their space. Consumer only.
    /// Returns how many were drained.
    @discardableResult
    public func drain(_ body: (Exposure) throws -> Void) rethrows -> Int {
        let t = tail.value.load(ordering: .relaxed)
        let h = head.value.load(ordering: .acquiring)
        var i = t
        defer { tail.value.store(i, ordering: .releasing) }
        while i != h {
            try body(Exposure(record: memory + (i & mask) * Exposure.stride))
            i &+= 1
        }
        return h &- t
    }
}

/// An atomic counter alone on its cache lines (the padding keeps neighbours off them).
final class PaddedCounter: Sendable {
    private let before: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
    let value = Atomic<Int>(0)
    private let after: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
}

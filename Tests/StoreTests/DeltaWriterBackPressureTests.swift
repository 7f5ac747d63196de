import Decision
import Foundation
import Store
import Synchronization
import Testing

/// The writer's queue is bounded: a submission past `maxQueuedDeltas` is refused at once, never queued.
@Suite("Delta writer back-pressure")
struct DeltaWriterBackPressureTests {
    @Test func aFullQueueRefusesAtOnceAndTheQueuedWorkStillCommits() throws {
        try withTemporaryStore { store in try fullQueue(store) }
    }

    func fullQueue(_ store: DataStore) throws {
        var configuration = DeltaWriter.Configuration()
        configuration.maxQueuedDeltas = 8
        let writer = try DeltaWriter(store: store, configuration: configuration)
        // Not started yet: nothing drains, so the queue's bound alone decides.
        func deltas(_ n: Int, user: String) -> [ProfileDelta] {
            (1...n).map { ProfileDelta(user: user, seq: UInt64($0), operations: []) }
        }
        let results = Mutex<[String: Result<[DeltaOutcome], any Error>]>([:])
        let done = DispatchSemaphore(value: 0)
        writer.submit(deltas(5, user: "a")) { r in
            results.withLock { $0["a"] = r }
            done.signal()
        }
        writer.submit(deltas(5, user: "b")) { r in results.withLock { $0["b"] = r } }
        writer.submit(deltas(3, user: "c")) { r in
            results.withLock { $0["c"] = r }
            done.signal()
        }
        #expect(writer.queuedDeltas == 8)
        let refused = try #require(results.withLock { $0["b"] }, "a refusal is immediate")
        guard case .failure(let error) = refused, case .full? = error as? DeltaWriterError else {
            Issue.record("expected .full, got \(refused)")
            return
        }
        writer.start()
        done.wait()
        done.wait()
        writer.stop()
        let a = try #require(results.withLock { $0["a"] })
        let c = try #require(results.withLock { $0["c"] })
        #expect((try a.get()).count == 5)
        #expect((try c.get()).count == 3)
        #expect(writer.queuedDeltas == 0)
    }

    @Test func oneJobLargerThanTheBoundIsTakenIntoAnEmptyQueue() throws {
        try withTemporaryStore { store in
            var configuration = DeltaWriter.Configuration()
            configuration.maxQueuedDeltas = 2
            let writer = try DeltaWriter(store: store, configuration: configuration)
            writer.submit((1...10).map { ProfileDelta(user: "big", seq: UInt64($0), operations: []) }) { _ in }
            #expect(writer.queuedDeltas == 10)
            writer.start()
            writer.stop()
            #expect(writer.queuedDeltas == 0)
        }
    }
}

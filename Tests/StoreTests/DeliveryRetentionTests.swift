import Decision
import Foundation
import LMDB
import Store
import Testing

/// CMS delivery ids are remembered for a retention period, then forgotten: the table cannot grow forever.
@Suite("Delivery id retention")
struct DeliveryRetentionTests {
    func publish(_ store: DataStore, id: String, at now: Double) throws -> Bool {
        let (_, _, replayed) = try store.publish(
            deliveryID: id, now: now, decide: { _ in .reject },
            respond: { _ in StoredDelivery(status: 422, body: Array("{}".utf8)) })
        return replayed
    }

    @Test func deliveriesOlderThanTheRetentionAreForgottenAndNewerOnesReplay() throws {
        try withTemporaryStore { store in try retention(store) }
    }

    func retention(_ store: DataStore) throws {
        let t0 = 1_800_000_000.0
        #expect(try publish(store, id: "d-old", at: t0) == false)
        #expect(try publish(store, id: "d-old", at: t0 + 60) == true, "a redelivery within the period replays")

        // An entry in the format from before times were kept (u16 status, body): stamped by the next sweep.
        let txn = try WriteTransaction(store.environment)
        try txn.put(store.deliveries, key: Array("d-legacy".utf8), value: [0x01, 0x90] + Array("{}".utf8))
        try txn.commit()
        #expect(try store.delivery("d-legacy")?.status == 400)

        let later = t0 + DataStore.deliveryRetention + 3600
        #expect(try publish(store, id: "d-new", at: later) == false)
        #expect(try store.delivery("d-old") == nil, "past the retention: forgotten")
        #expect(try store.delivery("d-new")?.status == 422)
        #expect(try store.delivery("d-legacy")?.seenAt == later, "a legacy entry gets the sweep's time")

        let muchLater = later + DataStore.deliveryRetention + 3600
        #expect(try publish(store, id: "d-last", at: muchLater) == false)
        #expect(try store.delivery("d-legacy") == nil)
        #expect(try store.delivery("d-new") == nil)
        #expect(try store.delivery("d-last") != nil)
    }
}

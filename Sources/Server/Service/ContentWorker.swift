import Dispatch
import NIOCore

/// One serial worker thread for publishes, rollbacks and previews: they compile and write to LMDB, so they
/// stay off the event loops, and running them one at a time serializes publishes.
final class ContentWorker: Sendable {
    private let queue = DispatchQueue(label: "tessera.content")

    /// Runs `body` on the worker; the future completes on `eventLoop`.
    func run<T: Sendable>(on eventLoop: any EventLoop, _ body: @escaping @Sendable () throws -> T) -> EventLoopFuture<T>
    {
        let promise = eventLoop.makePromise(of: T.self)
        queue.async { promise.completeWith(Result { try body() }) }
        return promise.futureResult
    }

    /// Waits until everything queued so far has run.
    func drain() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in queue.async { c.resume() } }
    }
}

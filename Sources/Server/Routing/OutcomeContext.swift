import Outcomes

/// What the routers share for measuring outcomes: the collector (one thread, one writer), the token signer,
/// the reader of results, and the token window.
final class OutcomeContext: Sendable {
    let collector: OutcomeCollector
    let signer: ExposureTokenSigner
    let report: OutcomeReport
    /// Seconds a click token is accepted after its exposure.
    let tokenWindow: Double

    init(collector: OutcomeCollector, signer: ExposureTokenSigner) {
        self.collector = collector
        self.signer = signer
        self.report = OutcomeReport(store: collector.store)
        self.tokenWindow = collector.store.options.tokenWindow
    }
}

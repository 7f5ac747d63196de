public import BundleCompiler
public import Decision
import Foundation
import JSON
public import Store
import Synchronization
import Targeting

/// The one way content becomes live: compile a complete source set against the live bundle and write it as
/// the next revision (bundle, sources and history entry) in one LMDB transaction.
///
/// `tessera compile`, CMS webhooks and rollbacks all publish through here, so files and webhook pushes
/// cannot drift into two behaviours.
public final class ContentPublisher: Sendable {
    /// The store published into.
    public let store: DataStore
    /// The last revision this publisher wrote or read, decoded, so back-to-back publishes don't decode the
    /// live bundle and sources from LMDB again. Checked against the store's revision inside the write
    /// transaction, so a publish by another process is never missed.
    private let memo = Mutex<Memo?>(nil)

    private struct Memo: Sendable {
        var revision: UInt64
        var bundle: CompiledBundle
        var sources: BundleSources?
    }

    /// A publisher over `store`.
    public init(store: DataStore) {
        self.store = store
    }

    /// The live bundle and sources, from the memo when it is current.
    private func current(_ live: LiveContent) throws -> (CompiledBundle, BundleSources?) {
        if let m = memo.withLock({ $0 }), m.revision == live.revision { return (m.bundle, m.sources) }
        let bundle = try live.bundle()
        let sources = try live.sources().map { try JSONDecoder().decode(BundleSources.self, from: Data($0)) }
        memo.withLock { $0 = Memo(revision: live.revision, bundle: bundle, sources: sources) }
        return (bundle, sources)
    }

    private func remember(_ revision: UInt64, _ bundle: CompiledBundle, _ sources: BundleSources) {
        memo.withLock { $0 = Memo(revision: revision, bundle: bundle, sources: sources) }
    }

    /// What a publish did.
    public enum Outcome: Sendable {
        /// A new revision is live.
        case published(RevisionRecord, CompiledBundle)
        /// Nothing changed; every problem found.
        case rejected([ChangeProblem])
        /// The delivery was seen before; its original answer.
        case replayed(StoredDelivery)
    }

    /// Publishes `sources` as a whole (from files, or a rollback). Throws ``CompileProblems`` with file
    /// positions when they do not compile; nothing is written then.
    public func publish(sources: BundleSources, origin: RevisionRecord.Origin, restoring: UInt64? = nil) throws -> (
        RevisionRecord, CompiledBundle
    ) {
        var failure: CompileProblems?
        var result: (RevisionRecord, CompiledBundle)?
        // The list segments conditions may name (read before the publish's write transaction).
        let lists = try store.liveListNumbers()
        _ = try store.publish(
            deliveryID: nil,
            decide: { live in
                do {
                    let (liveBundle, old) = try live.map { try current($0) } ?? (nil, nil)
                    let bundle = try BundleCompiler.compile(sources, previous: liveBundle, savedGroups: lists)
                    _ = try DecisionEngine(bundle: bundle, revision: 0)
                    let changes = RevisionRecord.diff(from: old, to: sources)
                    return .publish(bundle: bundle, sources: [UInt8](try JSONEncoder().encode(sources))) { revision in
                        let record = RevisionRecord(
                            revision: revision, publishedAt: Self.now(), origin: origin, deliveryID: nil,
                            restoredRevision: restoring, changes: changes)
                        result = (record, bundle)
                        return (try? [UInt8](JSONEncoder().encode(record))) ?? []
                    }
                } catch let problems as CompileProblems {
                    failure = problems
                    return .reject
                }
            },
            respond: { _ in StoredDelivery(status: 200, body: []) })
        if let failure { throw failure }
        guard let result else { throw CompileProblems(problems: []) }
        // Only after the commit: a failed commit must not leave a memo of a revision that does not exist.
        remember(result.0.revision, result.1, sources)
        return result
    }

    /// Applies a CMS delivery's `changes` on top of the live sources and publishes the result, or rejects it
    /// with every problem attributed to its change. A `deliveryID` seen before returns the original answer.
    public func publish(changes: [ContentChange], deliveryID: String) throws -> (Outcome, StoredDelivery) {
        var outcome: Outcome?
        var published: BundleSources?
        let lists = try store.liveListNumbers()
        let (_, answer, replayed) = try store.publish(
            deliveryID: deliveryID,
            decide: { live in
                guard let live, case (let liveBundle, let current?) = try current(live) else {
                    outcome = .rejected([
                        ChangeProblem(
                            kind: "bundle", id: "live", line: 0, column: 0,
                            message:
                                "the live revision has no stored sources; publish once with `tessera compile` first")
                    ])
                    return .reject
                }
                let next: BundleSources
                let map: SourceMap
                do {
                    (next, map) = try current.applying(changes)
                } catch let error as BundleSources.ChangeErrors {
                    outcome = .rejected(error.problems)
                    return .reject
                }
                let bundle: CompiledBundle
                do {
                    bundle = try BundleCompiler.compile(next, previous: liveBundle, savedGroups: lists)
                    _ = try DecisionEngine(bundle: bundle, revision: 0)
                } catch let problems as CompileProblems {
                    outcome = .rejected(problems.problems.map(map.attribute))
                    return .reject
                }
                let summary = changes.map {
                    RevisionRecord.Change(op: $0.op.rawValue, kind: $0.kind.rawValue, id: $0.id)
                }
                return .publish(bundle: bundle, sources: [UInt8](try JSONEncoder().encode(next))) { revision in
                    let record = RevisionRecord(
                        revision: revision, publishedAt: Self.now(), origin: .webhook, deliveryID: deliveryID,
                        restoredRevision: nil, changes: summary)
                    published = next
                    outcome = .published(record, bundle)
                    return (try? [UInt8](JSONEncoder().encode(record))) ?? []
                }
            },
            respond: { revision in
                switch outcome {
                case .published(let record, _)?: return Self.successAnswer(record)
                case .rejected(let problems)?: return Self.rejectionAnswer(problems)
                default:
                    return StoredDelivery(
                        status: 500, body: Array(#"{"error":"internal","message":"publish did not decide"}"#.utf8))
                }
            })
        if replayed { return (.replayed(answer), answer) }
        if case .published(let record, let bundle)? = outcome, let published {
            remember(record.revision, bundle, published)
        }
        return (outcome ?? .rejected([]), answer)
    }

    static func successAnswer(_ record: RevisionRecord) -> StoredDelivery {
        var out: [UInt8] = []
        out.append(contentsOf: #"{"revision":"#.utf8)
        JSONWriter.appendInteger(Int64(record.revision), to: &out)
        out.append(contentsOf: #","etag":"#.utf8)
        JSONWriter.appendString("\"r\(record.revision)\"", to: &out)
        out.append(contentsOf: #","delivery_id":"#.utf8)
        JSONWriter.appendString(record.deliveryID ?? "", to: &out)
        out.append(contentsOf: #","published_at":"#.utf8)
        JSONWriter.appendString(record.publishedAt, to: &out)
        out.append(contentsOf: #","changes":"#.utf8)
        JSONWriter.appendInteger(Int64(record.changes.count), to: &out)
        out.append(contentsOf: "}\n".utf8)
        return StoredDelivery(status: 200, body: out)
    }

    static func rejectionAnswer(_ problems: [ChangeProblem]) -> StoredDelivery {
        var out: [UInt8] = []
        out.append(contentsOf: #"{"error":"invalid_content","message":"#.utf8)
        JSONWriter.appendString(
            "\(problems.count) problem(s); nothing was published and the previous content keeps serving", to: &out)
        out.append(contentsOf: #","problems":["#.utf8)
        for (i, p) in problems.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            JSONWriter.append(
                .object([
                    ("kind", .string(p.kind)), ("id", .string(p.id)), ("line", .number(Double(p.line))),
                    ("column", .number(Double(p.column))), ("message", .string(p.message)),
                ]), to: &out)
        }
        out.append(contentsOf: "]}\n".utf8)
        return StoredDelivery(status: 422, body: out)
    }

    static func now() -> String { Timestamp.format(Date().timeIntervalSince1970) }
}

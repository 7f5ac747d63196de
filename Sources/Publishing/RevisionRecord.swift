public import BundleCompiler
import Foundation

/// One entry of the revision history.
public struct RevisionRecord: Sendable, Codable, Equatable {
    /// How a revision came to be.
    public enum Origin: String, Sendable, Codable {
        /// `tessera compile` from `Templates/` and `Mappings/`.
        case compile
        /// A CMS webhook delivery.
        case webhook
        /// A rollback to an earlier revision.
        case rollback
    }

    /// One edited item.
    public struct Change: Sendable, Codable, Equatable {
        /// `upsert` or `delete`.
        public var op: String
        /// `template`, `slot`, `segment` or `schema`.
        public var kind: String
        /// The item's id.
        public var id: String
    }

    /// The revision number.
    public var revision: UInt64
    /// When it was published, ISO-8601 UTC.
    public var publishedAt: String
    /// Where it came from.
    public var origin: Origin
    /// The CMS delivery id, for webhook revisions.
    public var deliveryID: String?
    /// The revision it restored, for rollbacks.
    public var restoredRevision: UInt64?
    /// What changed relative to the previous revision.
    public var changes: [Change]

    enum CodingKeys: String, CodingKey {
        case revision
        case publishedAt = "published_at"
        case origin
        case deliveryID = "delivery_id"
        case restoredRevision = "restored_revision"
        case changes
    }

    /// The changes between two source sets, item by item.
    static func diff(from old: BundleSources?, to new: BundleSources) -> [Change] {
        var out: [Change] = []
        let oldTemplates = old?.templates ?? [:]
        for id in Set(oldTemplates.keys).union(new.templates.keys).sorted() {
            switch (oldTemplates[id], new.templates[id]) {
            case (nil, .some): out.append(Change(op: "upsert", kind: "template", id: id))
            case (.some, nil): out.append(Change(op: "delete", kind: "template", id: id))
            case (.some(let a), .some(let b)) where a != b: out.append(Change(op: "upsert", kind: "template", id: id))
            default: break
            }
        }
        let oldSlots = old?.slots ?? [:]
        for file in Set(oldSlots.keys).union(new.slots.keys).sorted() {
            let id = String(file.split(separator: "/").last ?? Substring(file)).replacingOccurrences(
                of: ".yaml", with: "")
            switch (oldSlots[file], new.slots[file]) {
            case (nil, .some): out.append(Change(op: "upsert", kind: "slot", id: id))
            case (.some, nil): out.append(Change(op: "delete", kind: "slot", id: id))
            case (.some(let a), .some(let b)) where a != b: out.append(Change(op: "upsert", kind: "slot", id: id))
            default: break
            }
        }
        if old?.segments != new.segments { out.append(Change(op: "upsert", kind: "segment", id: "segments.yaml")) }
        if old?.schema != new.schema { out.append(Change(op: "upsert", kind: "schema", id: "schema.yaml")) }
        return out
    }
}

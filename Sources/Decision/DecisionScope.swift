import JSON
import Targeting

/// What one decision sees: the profile (read in place), the request context, the segments found so far.
/// Lives on the stack for the duration of one decision.
struct DecisionScope: ConditionScope {
    /// Unowned: the engine deciding outlives every scope it makes (a scope lives for one call of it), and a
    /// strong reference was retained and released at each value a condition read.
    unowned(unsafe) let engine: DecisionEngine
    let user: String
    let profile: ProfileView?
    let context: RequestContext
    var segments: SegmentSet
    /// The decision's current time (epoch seconds; NaN: no clock).
    let now: Double
    /// Where list segment membership is looked up (`nil`: no lists, every list test is false).
    let savedGroups: (any SavedGroupLookup)?

    @inline(__always)
    func savedGroup(_ group: Int, contains member: SavedGroupMember?) -> Bool? {
        savedGroups?.savedGroup(group, contains: member)
    }

    /// The pointer form the condition evaluator calls (see `ConditionScope.value(in:binding:path:)`). Each case
    /// reads only the fields it needs through the pointer: `scope.pointee.value(...)` would copy the whole scope
    /// (the context's array, the user string, the saved-group lookup's existential box) per value read.
    @inline(__always)
    static func value(in scope: UnsafePointer<DecisionScope>, binding: Int, path: FieldPath) -> ScopeValue {
        let engine = scope.pointee.engine
        switch engine.pathTargets[binding] {
        case .attribute(let id, let rest):
            guard let profile = scope.pointee.profile, let v = profile.attribute(id) else { return .undefined }
            let value = ScopeValue(v)
            return rest.isEmpty ? value : value.descend(rest)
        case .behaviour(let path):
            guard let profile = scope.pointee.profile else { return .undefined }
            return behaviourValue(path, profile: profile, now: scope.pointee.now)
        case .segmentScore(let id):
            guard let profile = scope.pointee.profile else { return .undefined }
            let now = scope.pointee.now
            for i in 0..<profile.explicitSegmentCount where profile.explicitSegment(at: i) == id {
                guard profile.explicitSegmentIsActive(at: i, now: now), let score = profile.explicitSegmentScore(at: i)
                else { return .undefined }
                return .number(score)
            }
            return .undefined
        case .segments:
            return .segments(scope.pointee.segments, SegmentNames(engine: engine))
        case .context(let key, let rest):
            guard let v = scope.pointee.context.value(key) else { return .undefined }
            return rest.isEmpty ? .json(v) : ScopeValue.json(v).descend(rest)
        case .user:
            return .json(.string(scope.pointee.user))
        case .undefined:
            return .undefined
        }
    }

    /// The pointer form of ``savedGroup(_:contains:)``: reads the one field, as ``value(in:binding:path:)`` does
    /// (forwarding to the instance method would copy the whole scope per list test, as the default does).
    @inline(__always)
    static func savedGroup(
        in scope: UnsafePointer<DecisionScope>, _ group: Int, contains member: SavedGroupMember?
    ) -> Bool? {
        scope.pointee.savedGroups?.savedGroup(group, contains: member)
    }

    @inline(__always)
    func value(binding: Int, path: FieldPath) -> ScopeValue {
        withUnsafePointer(to: self) { Self.value(in: $0, binding: binding, path: path) }
    }
}

extension DecisionScope {
    /// A behaviour path's value: counts read 0 without behaviour, times read as missing.
    static func behaviourValue(_ path: BehaviourPath, profile: ProfileView, now: Double) -> ScopeValue {
        @inline(__always) func time(_ t: Double?) -> ScopeValue {
            guard let t, t.isFinite else { return .undefined }
            return .number(t)
        }
        let b = profile.behaviour
        switch path {
        case .eventCount(let type, let days):
            guard let e = b?.event(type) else { return .number(0) }
            guard let days else { return .number(e.count) }
            let n = e.count(lastDays: days, now: now)
            return n.isNaN ? .undefined : .number(n)
        case .eventFirstAt(let type): return time(b?.event(type)?.firstAt)
        case .eventLastAt(let type): return time(b?.event(type)?.lastAt)
        case .cartItems: return .number(b?.cartItems ?? 0)
        case .cartValue: return .number(b?.cartValue ?? 0)
        case .cartSKUs:
            guard let list = b?.cartSKUs else { return .json(.array([])) }
            return .list(list)
        case .cartUpdatedAt: return time(b?.cartUpdatedAt)
        case .orderCount: return .number(b?.orderCount ?? 0)
        case .orderValue: return .number(b?.orderValue ?? 0)
        case .orderLastAt: return time(b?.lastOrderAt)
        case .firstSeen: return time(b?.firstSeen)
        case .lastSeen: return time(b?.lastSeen)
        case .segmentScore: return .undefined
        }
    }
}

/// Reaches the engine's segment names without retain/release per access.
struct SegmentNames {
    unowned(unsafe) let engine: DecisionEngine
    @inline(__always)
    func name(_ bit: Int) -> String { engine.segmentNames[bit] }
}

/// One value as a condition sees it. Profile strings and lists point into the LMDB map.
enum ScopeValue: ConditionValue {
    case undefined
    case null
    case bool(Bool)
    case number(Double)
    case string(UnsafeRawBufferPointer)
    case list(ListView)
    case segments(SegmentSet, SegmentNames)
    case json(JSONValue)

    @inline(__always)
    init(_ v: AttributeValue) {
        switch v {
        case .null: self = .null
        case .bool(let b): self = .bool(b)
        case .number(let n): self = .number(n)
        case .string(let s): self = .string(s)
        case .list(let l): self = .list(l)
        }
    }

    func descend(_ rest: [String]) -> ScopeValue {
        var v = self
        for key in rest { v = v.member(key) }
        return v
    }

    var kind: ValueKind {
        switch self {
        case .undefined: return .undefined
        case .null: return .null
        case .bool: return .bool
        case .number: return .number
        case .string: return .string
        case .list, .segments: return .array
        case .json(let j):
            switch j {
            case .null: return .null
            case .bool: return .bool
            case .number: return .number
            case .string: return .string
            case .array: return .array
            case .object: return .object
            }
        }
    }

    var boolValue: Bool {
        switch self {
        case .bool(let b): return b
        case .json(.bool(let b)): return b
        default: return false
        }
    }

    var numberValue: Double {
        switch self {
        case .number(let n): return n
        case .json(.number(let n)): return n
        default: return .nan
        }
    }

    func withUTF8<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        switch self {
        case .string(let s): return try body(s)
        case .json(.string(let s)):
            var copy = s
            return try copy.withUTF8 { try body(UnsafeRawBufferPointer($0)) }
        default: return try body(UnsafeRawBufferPointer(start: nil, count: 0))
        }
    }

    var count: Int {
        switch self {
        case .list(let l): return l.count
        case .segments(let s, _): return s.count
        case .json(.array(let a)): return a.count
        case .json(.object(let o)): return o.count
        default: return 0
        }
    }

    func element(at index: Int) -> ScopeValue {
        switch self {
        case .list(let l): return ScopeValue(l.element(at: index))
        case .segments(let s, let names): return .json(.string(names.name(s.member(at: index))))
        case .json(.array(let a)): return .json(a[index])
        default: return .undefined
        }
    }

    func member(_ key: String) -> ScopeValue {
        guard case .json(let j) = self, let v = j[key] else { return .undefined }
        return .json(v)
    }

    func member(at index: Int) -> (key: ScopeValue, value: ScopeValue) {
        guard case .json(.object(let members)) = self else { return (.undefined, .undefined) }
        return (.json(.string(members[index].key)), .json(members[index].value))
    }
}

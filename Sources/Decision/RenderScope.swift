import JSON
import Templating

/// A value as a template sees it: `user`, `attributes.*`, `segments.<id>` (true when a member), `data.*`,
/// `context.*`. Reads profile values in place through a pointer to the decision's scope.
struct RenderNode: RenderValue {
    enum Kind {
        case root
        case attributes
        case segments
        case context
        case attribute(AttributeValue)
        case json(JSONValue)
        case flag
    }

    let scope: UnsafePointer<DecisionScope>
    let data: UnsafePointer<JSONValue>
    let kind: Kind

    func member(_ name: String) -> RenderNode? {
        let s = scope.pointee
        switch kind {
        case .root:
            switch name {
            case "attributes": return s.profile == nil ? nil : with(.attributes)
            case "segments": return with(.segments)
            case "context": return with(.context)
            case "data": return with(.json(data.pointee))
            case "user": return with(.json(.string(s.user)))
            default: return nil
            }
        case .attributes:
            guard let id = s.engine.attributeIDByName[name], let v = s.profile?.attribute(id) else { return nil }
            return with(.attribute(v))
        case .segments:
            guard let bit = s.engine.segmentBitByName[name], s.segments.contains(bit) else { return nil }
            return with(.flag)
        case .context:
            guard let v = s.context.value(name) else { return nil }
            return with(.json(v))
        case .json(let j):
            guard let v = j[name] else { return nil }
            return with(.json(v))
        case .attribute, .flag:
            return nil
        }
    }

    @inline(__always)
    private func with(_ kind: Kind) -> RenderNode { RenderNode(scope: scope, data: data, kind: kind) }

    var isFalsey: Bool {
        switch kind {
        case .root, .attributes, .segments, .context, .flag: return false
        case .attribute(let v):
            switch v {
            case .null, .bool(false): return true
            case .list(let l): return l.count == 0
            default: return false
            }
        case .json(let j):
            switch j {
            case .null, .bool(false): return true
            case .array(let a): return a.isEmpty
            default: return false
            }
        }
    }

    var listCount: Int? {
        switch kind {
        case .attribute(.list(let l)): return l.count
        case .json(.array(let a)): return a.count
        default: return nil
        }
    }

    func element(at index: Int) -> RenderNode {
        switch kind {
        case .attribute(.list(let l)): return with(.attribute(l.element(at: index)))
        case .json(.array(let a)): return with(.json(a[index]))
        default: return with(.json(.null))
        }
    }

    func appendText(to out: inout [UInt8]) {
        switch kind {
        case .flag: out.append(contentsOf: [0x74, 0x72, 0x75, 0x65])  // "true"
        case .attribute(let v):
            switch v {
            case .null, .list: break
            case .bool(let b): out.append(contentsOf: b ? Array("true".utf8) : Array("false".utf8))
            case .number(let n): JSONWriter.appendNumber(n, to: &out)
            case .string(let s): out.append(contentsOf: s)
            }
        case .json(let j):
            switch j {
            case .string(let s): out.append(contentsOf: s.utf8)
            case .number(let n): JSONWriter.appendNumber(n, to: &out)
            case .bool(let b): out.append(contentsOf: b ? Array("true".utf8) : Array("false".utf8))
            default: break
            }
        default: break
        }
    }
}

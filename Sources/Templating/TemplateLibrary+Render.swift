extension TemplateLibrary {
    /// Renders `handle` against `root`, appending UTF-8 bytes to `out`.
    ///
    /// Allocation-free apart from growing `out`, the context stack (one small array per call) and,
    /// only when an escaped value actually contains `& " < >`, one scratch buffer.
    ///
    /// `limits` bounds the work: the server always renders with ``RenderLimits/standard``; a smaller
    /// budget reaches the same cut-off code with less work (the template fuzzer uses one).
    @inlinable
    public func render<V: RenderValue>(
        _ handle: TemplateHandle, root: V, into out: inout [UInt8], limits: RenderLimits = .standard
    ) {
        let u = Int(handle.unit)
        guard u >= 0, u < units.count else { return }
        let (end, overflow) = out.count.addingReportingOverflow(max(limits.bytes, 0))
        var state = RenderState<V>(root: root, steps: limits.steps, outputLimit: overflow ? .max : end)
        renderNodes(Int(units[u].start), Int(units[u].end), &state, &out, partialDepth: 0, nesting: 0)
    }

    /// Renders `handle` against `root` into a new byte array.
    @inlinable
    public func render<V: RenderValue>(_ handle: TemplateHandle, root: V, limits: RenderLimits = .standard) -> [UInt8] {
        var out: [UInt8] = []
        render(handle, root: root, into: &out, limits: limits)
        return out
    }

    @inlinable
    func renderNodes<V: RenderValue>(
        _ start: Int, _ end: Int, _ state: inout RenderState<V>, _ out: inout [UInt8],
        partialDepth: Int, nesting: Int
    ) {
        var i = start
        while i < end {
            guard state.steps > 0 else { return }
            state.steps &-= 1
            switch nodes[i] {
            case .text(let a, let b):
                guard out.count + Int(b) - Int(a) <= state.outputLimit else {
                    state.steps = 0
                    return
                }
                out.append(contentsOf: pool[Int(a)..<Int(b)])
                i += 1
            case .variable(let name, let escaped):
                if let value = resolve(Int(name), state.stack) {
                    let mark = out.count
                    value.appendText(to: &out)
                    if escaped { HTMLEscaper.escapeTail(of: &out, from: mark, scratch: &state.scratch) }
                    if out.count > state.outputLimit {  // overshoots by one value at most; never cut inside it
                        state.steps = 0
                        return
                    }
                }
                i += 1
            case .section(let name, let inverted, let bodyEnd):
                let body = i + 1
                let next = Int(bodyEnd)
                i = next
                guard nesting < Self.maxNesting else { continue }
                let value = resolve(Int(name), state.stack)
                let falsey = value.map { $0.isFalsey || $0.listCount == 0 } ?? true
                if inverted {
                    if falsey {
                        renderNodes(body, next, &state, &out, partialDepth: partialDepth, nesting: nesting + 1)
                    }
                } else if !falsey, let value {
                    if let count = value.listCount {
                        for k in 0..<count {
                            state.stack.append(value.element(at: k))
                            renderNodes(body, next, &state, &out, partialDepth: partialDepth, nesting: nesting + 1)
                            state.stack.removeLast()
                        }
                    } else {
                        state.stack.append(value)
                        renderNodes(body, next, &state, &out, partialDepth: partialDepth, nesting: nesting + 1)
                        state.stack.removeLast()
                    }
                }
            case .partial(let unit):
                i += 1
                guard unit >= 0, partialDepth < Self.maxPartialDepth, nesting < Self.maxNesting else { continue }
                let range = units[Int(unit)]
                renderNodes(
                    Int(range.start), Int(range.end), &state, &out, partialDepth: partialDepth + 1, nesting: nesting + 1
                )
            }
        }
    }

    /// Spec name resolution: `.` is the top of the stack; otherwise the first part is looked up
    /// from the top of the stack down, and the remaining parts strictly inside that result.
    @inlinable
    func resolve<V: RenderValue>(_ name: Int, _ stack: [V]) -> V? {
        let parts = names[name]
        guard let first = parts.first else { return stack.last }
        var found: V?
        var s = stack.count - 1
        while s >= 0 {
            if let value = stack[s].member(first) {
                found = value
                break
            }
            s -= 1
        }
        guard var value = found else { return nil }
        var k = 1
        while k < parts.count {
            guard let next = value.member(parts[k]) else { return nil }
            value = next
            k += 1
        }
        return value
    }
}

/// Mutable state of one render call.
@usableFromInline
struct RenderState<V: RenderValue> {
    /// The context stack, root first.
    @usableFromInline var stack: [V]
    /// Reused by escaping; stays unallocated until a value needs escaping.
    @usableFromInline var scratch: [UInt8] = []
    /// Nodes this render may still visit (``RenderLimits/steps``); 0 stops it.
    @usableFromInline var steps: Int
    /// The output's length may not pass this (``RenderLimits/bytes`` past the start).
    @usableFromInline let outputLimit: Int

    @inlinable init(root: V, steps: Int, outputLimit: Int) {
        self.steps = steps
        self.outputLimit = outputLimit
        stack = []
        stack.reserveCapacity(16)
        stack.append(root)
    }
}

/// How much one render may do before it stops (the block is cut short).
public struct RenderLimits: Sendable {
    /// Most nodes visited.
    public var steps: Int
    /// Most bytes appended.
    public var bytes: Int

    @inlinable public init(steps: Int, bytes: Int) {
        self.steps = steps
        self.bytes = bytes
    }

    /// What the server renders with: ``TemplateLibrary/maxRenderSteps`` and ``TemplateLibrary/maxRenderBytes``.
    public static let standard = RenderLimits(steps: TemplateLibrary.maxRenderSteps, bytes: TemplateLibrary.maxRenderBytes)
}

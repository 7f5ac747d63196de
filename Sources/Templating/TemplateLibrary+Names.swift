extension TemplateLibrary {
    /// Every name template `handle` can look up, its partials included, as dotted parts (`[]` is the implicit
    /// iterator `.`). Used to key a cache of rendered output by exactly the values a render can read.
    public func referencedNames(_ handle: TemplateHandle) -> [[String]] {
        var seenUnits: Set<Int32> = []
        var seenNames: Set<Int32> = []
        var pending: [Int32] = [handle.unit]
        while let unit = pending.popLast() {
            guard unit >= 0, Int(unit) < units.count, seenUnits.insert(unit).inserted else { continue }
            let range = units[Int(unit)]
            for node in nodes[Int(range.start)..<Int(range.end)] {
                switch node {
                case .text: break
                case .variable(let name, _), .section(let name, _, _): seenNames.insert(name)
                case .partial(let p): pending.append(p)
                }
            }
        }
        return seenNames.sorted().map { names[Int($0)] }
    }
}

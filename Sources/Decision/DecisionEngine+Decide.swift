import JSON
import Targeting
import Templating

extension DecisionEngine {
    /// Decides `request` for the user whose stored record is `profile` (`nil`: unknown user, decided as
    /// anonymous) and appends the JSON response body to `out`.
    ///
    /// `scratch` is reusable render space; `choices` receives one ``SlotChoice`` per requested slot. With a
    /// `cache` (one per event loop), a block rendered before from the same template, rule data and token values
    /// is copied instead of rendered. `savedGroups` answers list segment tests (`$inGroup`), in the same
    /// snapshot `profile` was read from.
    ///
    /// `member` is called for each shown slot with its choice, inside the slot's JSON object (after
    /// `template`/`experiment`, before `content`), and may append members there, each starting with a comma:
    /// the server adds the exposure `"token"` this way. Non-optional so it stays a non-escaping closure
    /// (no allocation per request).
    public func decide(
        _ request: DecisionRequest, profile: ProfileView?, savedGroups: (any SavedGroupLookup)? = nil,
        into out: inout [UInt8], scratch: inout [UInt8], choices: inout [SlotChoice], cache: RenderCache? = nil,
        bandits: BanditWeights? = nil, member: (SlotChoice, inout [UInt8]) -> Void = { _, _ in }
    ) {
        var scope = makeScope(
            user: request.user, profile: profile, context: request.context, now: request.now, savedGroups: savedGroups)
        let personalized = profile?.consent != false
        if personalized { resolveSegments(&scope) }

        out.append(contentsOf: #"{"user":"#.utf8)
        JSONWriter.appendString(request.user, to: &out)
        out.append(contentsOf: #","revision":"#.utf8)
        JSONWriter.appendInteger(Int64(revision), to: &out)
        out.append(contentsOf: #","segments":["#.utf8)
        var first = true
        scope.segments.forEach { bit in
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            out.append(contentsOf: segmentNameJSON[bit])
        }
        out.append(contentsOf: #"],"slots":{"#.utf8)
        for (n, slotID) in request.slots.enumerated() {
            if n > 0 { out.append(UInt8(ascii: ",")) }
            JSONWriter.appendString(slotID, to: &out)
            out.append(UInt8(ascii: ":"))
            guard let index = slotIndex[slotID] else {
                out.append(contentsOf: #"{"error":"unknown_slot","message":"#.utf8)
                JSONWriter.appendString("no slot '\(slotID)' in revision \(revision)", to: &out)
                out.append(UInt8(ascii: "}"))
                choices.append(SlotChoice(slot: -1, outcome: 0))
                continue
            }
            let slot = slots[index]
            var log: [UInt8]? = request.explain ? [] : nil
            let pick =
                personalized
                ? choose(slot, scope: scope, bandits: bandits, log: &log) : fallbackPick(slot, log: &log, consent: false)
            let choice = SlotChoice(slot: index, outcome: pick.outcomeIndex, segments: scope.segments)
            choices.append(choice)

            out.append(contentsOf: #"{"variant":"#.utf8)
            JSONWriter.appendString(pick.outcome.label, to: &out)
            out.append(contentsOf: #","rule":"#.utf8)
            if let rule = pick.rule {
                JSONWriter.appendString(rule.name, to: &out)
            } else {
                out.append(contentsOf: "null".utf8)
            }
            out.append(contentsOf: #","template":"#.utf8)
            JSONWriter.appendString(pick.outcome.templateID, to: &out)
            if let rule = pick.rule, case .experiment(let e) = rule.kind {
                out.append(contentsOf: #","experiment":{"key":"#.utf8)
                JSONWriter.appendString(e.key, to: &out)
                out.append(contentsOf: #","variant":"#.utf8)
                JSONWriter.appendString(pick.outcome.label, to: &out)
                out.append(UInt8(ascii: "}"))
            }
            member(choice, &out)
            out.append(contentsOf: #","content":""#.utf8)
            scratch.removeAll(keepingCapacity: true)
            render(pick.outcome, scope: scope, into: &scratch, cache: cache)
            scratch.withUnsafeBytes { JSONWriter.appendEscaped($0, to: &out) }
            out.append(UInt8(ascii: "\""))
            if let log {
                out.append(contentsOf: #","explain":["#.utf8)
                out.append(contentsOf: log)
                out.append(UInt8(ascii: "]"))
            }
            out.append(UInt8(ascii: "}"))
        }
        out.append(contentsOf: "}}".utf8)
    }

    /// Renders slot `slotID` alone (the `/v1/slots/{slot}` fragment) into `out`. Returns `nil` for an unknown
    /// slot, else the choice made.
    ///
    /// `now` is the decision's time in epoch seconds (NaN: no clock, so relative-time tests are false).
    public func renderSlot(
        _ slotID: String, user: String, context: RequestContext, profile: ProfileView?, now: Double = .nan,
        savedGroups: (any SavedGroupLookup)? = nil, into out: inout [UInt8], cache: RenderCache? = nil,
        bandits: BanditWeights? = nil
    ) -> SlotChoice? {
        guard let index = slotIndex[slotID] else { return nil }
        var scope = makeScope(user: user, profile: profile, context: context, now: now, savedGroups: savedGroups)
        let personalized = profile?.consent != false
        var log: [UInt8]? = nil
        let pick: Pick
        if personalized {
            resolveSegments(&scope)
            pick = choose(slots[index], scope: scope, bandits: bandits, log: &log)
        } else {
            pick = fallbackPick(slots[index], log: &log, consent: false)
        }
        render(pick.outcome, scope: scope, into: &out, cache: cache)
        return SlotChoice(slot: index, outcome: pick.outcomeIndex, segments: scope.segments)
    }

    /// The segments `profile` is in, as a set of bits (``segmentNamesByBit`` names them).
    public func segmentSet(
        user: String, profile: ProfileView?, context: RequestContext = RequestContext(), now: Double = .nan,
        savedGroups: (any SavedGroupLookup)? = nil
    ) -> SegmentSet {
        var scope = makeScope(user: user, profile: profile, context: context, now: now, savedGroups: savedGroups)
        if profile?.consent != false { resolveSegments(&scope) }
        return scope.segments
    }

    /// The segments `profile` is in (explicit memberships plus every segment whose condition holds), by name.
    public func segments(
        user: String, profile: ProfileView?, context: RequestContext, now: Double = .nan,
        savedGroups: (any SavedGroupLookup)? = nil
    ) -> [String] {
        var scope = makeScope(user: user, profile: profile, context: context, now: now, savedGroups: savedGroups)
        if profile?.consent != false { resolveSegments(&scope) }
        var names: [String] = []
        scope.segments.forEach { names.append(segmentNames[$0]) }
        return names
    }

    // MARK: - Steps

    @inline(__always)
    func makeScope(
        user: String, profile: ProfileView?, context: RequestContext, now: Double,
        savedGroups: (any SavedGroupLookup)? = nil
    ) -> DecisionScope {
        // Without personalization consent no profile data is read at all.
        let usable = profile?.consent == false ? nil : profile
        return DecisionScope(
            engine: self, user: user, profile: usable, context: context, segments: SegmentSet(), now: now,
            savedGroups: savedGroups)
    }

    /// Explicit memberships first, then each defined segment in dependency order.
    func resolveSegments(_ scope: inout DecisionScope) {
        if let profile = scope.profile {
            // An expired membership simply stops counting: no sweep is needed for correctness.
            for i in 0..<profile.explicitSegmentCount where profile.explicitSegmentIsActive(at: i, now: scope.now) {
                let id = Int(profile.explicitSegment(at: i))
                if id < segmentBitByID.count, segmentBitByID[id] >= 0 { scope.segments.insert(Int(segmentBitByID[id])) }
            }
        }
        // By index, not `enumerated()`: that copied each condition (and retained its arrays) per segment.
        for bit in segmentConditions.indices where !scope.segments.contains(bit) {
            if segmentConditions[bit]?.evaluate(in: scope) == true { scope.segments.insert(bit) }
        }
    }

    /// The outcome a slot produced, with the rule (nil for the default) and its outcome index.
    struct Pick {
        let rule: LoadedRule?
        let outcome: LoadedOutcome
        let outcomeIndex: Int
    }

    /// First matching rule in priority order, else the default. Appends explanation entries to `log` when given.
    func choose(_ slot: LoadedSlot, scope: DecisionScope, bandits: BanditWeights? = nil, log: inout [UInt8]?) -> Pick {
        for (r, rule) in slot.rules.enumerated() {
            if !rule.anyOf.isEmpty, !scope.segments.intersects(rule.anyOf) {
                explain(&log, rule, matched: false, reason: "user is in none of the segments the rule needs")
                continue
            }
            if !scope.segments.isSuperset(of: rule.allOf) {
                explain(&log, rule, matched: false, reason: "user is not in every segment the rule needs")
                continue
            }
            if scope.segments.intersects(rule.noneOf) {
                explain(&log, rule, matched: false, reason: "user is in a segment the rule excludes")
                continue
            }
            var failed: RuleClause? = nil
            for clause in rule.clauses where !clause.condition.evaluate(in: scope) {
                failed = clause
                break
            }
            if let failed {
                explain(
                    &log, rule, matched: false, reason: "condition '\(failed.key)' is false: \(failed.source.jsonText)")
                continue
            }
            if let active = rule.active, !active.contains(scope.now) {
                explain(&log, rule, matched: false, reason: "the rule is not active now (schedule)")
                continue
            }
            if case .experiment(let e) = rule.kind, let ns = e.namespace {
                // GrowthBook's inNamespace (checked against its SDK test corpus in BucketingCorpusTests).
                guard Bucketing.inNamespace(hashValue: scope.user, id: ns.id, range: VariationRange(ns.start, ns.end))
                else {
                    explain(&log, rule, matched: false, reason: "user is outside the experiment's namespace range")
                    continue
                }
            }
            if let held = rule.holdoutOutcome {
                if let n = Bucketing.hash(seed: rule.holdoutSeed, value: scope.user, version: 2), n < rule.holdout {
                    explain(&log, rule, matched: true, reason: "user is in the rule's holdout: default served")
                    return Pick(rule: rule, outcome: held, outcomeIndex: slot.holdoutIndex(rule: r))
                }
            }
            switch rule.kind {
            case .content(let outcome):
                explain(&log, rule, matched: true, reason: "all conditions hold")
                return Pick(rule: rule, outcome: outcome, outcomeIndex: slot.outcomeIndex(rule: r, variant: 0))
            case .experiment(let e):
                if e.sticky, let stored = scope.savedGroups?.stickyVariant(user: scope.user, experiment: e.key),
                    stored.bucketVersion == e.bucketVersion, let v = e.variants.firstIndex(where: { $0.label == stored.variant })
                {
                    explain(
                        &log, rule, matched: true,
                        reason: "experiment '\(e.key)' kept the user's sticky variant '\(stored.variant)'")
                    return Pick(rule: rule, outcome: e.variants[v], outcomeIndex: slot.outcomeIndex(rule: r, variant: v))
                }
                guard let n = Bucketing.hash(seed: e.key, value: scope.user, version: e.hashVersion) else {
                    explain(&log, rule, matched: false, reason: "user id cannot be hashed")
                    continue
                }
                var ranges = e.ranges
                var weightsNote = ""
                if e.bandit != nil, let entry = bandits?.entries[e.key] {
                    // The first listed segment the user is in picks the group; everyone else shares "".
                    var group = ""
                    for g in e.banditGroups where scope.segments.contains(g.bit) {
                        group = g.name
                        break
                    }
                    if let r = entry.ranges[group], r.count == e.variants.count {
                        ranges = r
                        if log != nil {
                            let w = (entry.weights[group] ?? []).enumerated().map { i, x in
                                "\(i < e.variants.count ? e.variants[i].label : "?") \(x)"
                            }
                            weightsNote = " (bandit weights v\(entry.version)\(group.isEmpty ? "" : " for \(group)"): \(w.joined(separator: ", ")))"
                        }
                    }
                }
                let v = Bucketing.chooseVariation(n, ranges: ranges)
                guard v >= 0 else {
                    explain(&log, rule, matched: false, reason: "user is outside the experiment's coverage")
                    continue
                }
                explain(
                    &log, rule, matched: true,
                    reason: "experiment '\(e.key)' assigned variant '\(e.variants[v].label)'\(weightsNote)"
                )
                return Pick(rule: rule, outcome: e.variants[v], outcomeIndex: slot.outcomeIndex(rule: r, variant: v))
            }
        }
        return fallbackPick(slot, log: &log, consent: true)
    }

    func fallbackPick(_ slot: LoadedSlot, log: inout [UInt8]?, consent: Bool) -> Pick {
        if log != nil {
            let reason =
                consent ? "no rule matched" : "no personalization consent: default served, no profile data read"
            appendExplain(&log!, rule: "default", matched: true, reason: reason)
        }
        return Pick(rule: nil, outcome: slot.fallback, outcomeIndex: slot.defaultOutcomeIndex)
    }

    @inline(__always)
    func explain(_ log: inout [UInt8]?, _ rule: LoadedRule, matched: Bool, reason: @autoclosure () -> String) {
        guard log != nil else { return }
        appendExplain(&log!, rule: rule.name, matched: matched, reason: reason())
    }

    func appendExplain(_ log: inout [UInt8], rule: String, matched: Bool, reason: String) {
        if !log.isEmpty { log.append(UInt8(ascii: ",")) }
        log.append(contentsOf: #"{"rule":"#.utf8)
        JSONWriter.appendString(rule, to: &log)
        log.append(contentsOf: (matched ? #","matched":true,"reason":"# : #","matched":false,"reason":"#).utf8)
        JSONWriter.appendString(reason, to: &log)
        log.append(UInt8(ascii: "}"))
    }

    /// Renders `outcome` into `out`, through `cache` when given and the template is cacheable.
    func render(_ outcome: LoadedOutcome, scope: DecisionScope, into out: inout [UInt8], cache: RenderCache?) {
        guard let cache, cache.budget > 0, let dependencies = outcome.dependencies else {
            render(outcome, scope: scope, into: &out)
            return
        }
        cache.use(revision: revision)
        RenderKey.build(&cache.keyScratch, outcome: outcome, dependencies: dependencies, scope: scope)
        if cache.appendHit(to: &out) { return }
        let start = out.count
        render(outcome, scope: scope, into: &out)
        cache.insert(out[start...])
    }

    func render(_ outcome: LoadedOutcome, scope: DecisionScope, into out: inout [UInt8]) {
        withUnsafePointer(to: scope) { s in
            withUnsafePointer(to: outcome.data) { d in
                bundle.templates.render(outcome.template, root: RenderNode(scope: s, data: d, kind: .root), into: &out)
            }
        }
    }
}

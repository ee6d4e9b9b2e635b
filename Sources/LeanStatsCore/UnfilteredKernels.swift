import Dispatch

/// Bits of the flag byte an engine derives once per row (``DerivedRows/flags``), so the kernels for
/// queries without a filter read one byte per row instead of status, result and processing days.
enum RowFlag {
    /// Result `agree`.
    static let agree: UInt8 = 1 << 0
    /// Result `refuse`.
    static let refuse: UInt8 = 1 << 1
    /// Status RUNNING.
    static let running: UInt8 = 1 << 2
    /// COMPLETED with a finish time: the row has processing days.
    static let completed: UInt8 = 1 << 3
    /// Completed within 30 days.
    static let within30: UInt8 = 1 << 4
}

/// The totals of one row range without a filter: what ``GroupStatistics`` needs, in integers.
struct RangeTotals {
    var count = 0
    var agree = 0
    var refuse = 0
    var running = 0
    var completed = 0
    var within30 = 0
    var totalDays = 0
    var minDays = Int32.max
    var maxDays = Int32.min
    var users = 0
    var depts = 0
    /// The benefit amounts' sums (see ``BenefitTotal``); only ``StatisticsEngine/benefitTotals(_:codes:groupCount:)``
    /// fills them.
    var benefitHigh = 0
    var benefitLow = 0
    /// Open instances and the sum of their creation day numbers (``GroupStatistics/openCreatedDays``); only the
    /// outcome cubes (``OutcomeCube``) and their edge scans fill them.
    var open = 0
    var openCreatedDays = 0

    /// Adds another part of the range.
    mutating func add(_ other: RangeTotals) {
        count += other.count
        agree += other.agree
        refuse += other.refuse
        running += other.running
        completed += other.completed
        within30 += other.within30
        totalDays += other.totalDays
        minDays = min(minDays, other.minDays)
        maxDays = max(maxDays, other.maxDays)
        users += other.users
        depts += other.depts
        benefitHigh &+= other.benefitHigh
        benefitLow &+= other.benefitLow
        open += other.open
        openCreatedDays &+= other.openCreatedDays
    }

    /// The finished statistics under a key, with the parts `options` leaves out at their empty values (as the
    /// general kernels leave them).
    func statistics(key: String, options: StatisticsOptions) -> GroupStatistics {
        var result = GroupStatistics(key: key)
        fill(&result, options: options)
        return result
    }

    /// Sets every figure of `result` (all but its key, user id, department and percentiles) to these totals', the
    /// parts `options` leaves out to their empty values: one statistics value serves group after group.
    func fill(_ result: inout GroupStatistics, options: StatisticsOptions) {
        result.count = count
        result.passed = agree
        let outcomes = options.contains(.outcomes)
        result.refused = outcomes ? refuse : 0
        result.running = outcomes ? running : 0
        let processing = options.contains(.processing)
        result.completed = processing ? completed : 0
        result.within30 = processing ? within30 : 0
        result.totalDays = processing ? totalDays : 0
        result.minDays = processing && completed > 0 ? Int(minDays) : nil
        result.maxDays = processing && completed > 0 ? Int(maxDays) : nil
        result.participants = options.contains(.distinct) ? users : 0
        result.depts = options.contains(.departments) ? depts : 0
        result.benefitSum = options.contains(.benefit) ? BenefitTotal(high: benefitHigh, low: benefitLow).yuan : nil
        let openAge = options.contains(.openAge)
        result.open = openAge ? open : 0
        result.openCreatedDays = openAge ? openCreatedDays : 0
    }
}

/// Processing days per row (``DerivedRows/days``): two bytes a row when every value lies within ±32 767 days, as
/// they do unless a finish time is off by a century, else four.
enum DayValues: Sendable {
    /// `Int16.min` marks a row without processing days, so the maximum needs no mask and the minimum is taken over
    /// `days − 1` (the mark wraps to `Int16.max`).
    case narrow([Int16])
    /// ``StatisticsEngine/noDays`` marks a row without processing days.
    case wide([Int32])

    /// The days of `row`, ``StatisticsEngine/noDays`` when it has none.
    subscript(row: Int) -> Int32 {
        switch self {
        case .narrow(let values): DaysBuffer.widened(values[row])
        case .wide(let values): values[row]
        }
    }

    /// Calls `body` with unchecked reads of the days.
    func withDaysBuffer<R>(_ body: (DaysBuffer) -> R) -> R {
        switch self {
        case .narrow(let values): values.withUnsafeBufferPointer { body(DaysBuffer(narrow: $0, wide: nil)) }
        case .wide(let values): values.withUnsafeBufferPointer { body(DaysBuffer(narrow: nil, wide: $0)) }
        }
    }
}

/// Unchecked reads of ``DayValues``; valid only inside ``DayValues/withDaysBuffer(_:)``.
struct DaysBuffer: @unchecked Sendable {
    /// The days when they are held in two bytes.
    let narrow: UnsafeBufferPointer<Int16>?
    /// The days when they are held in four bytes.
    let wide: UnsafeBufferPointer<Int32>?

    /// No days, for kernels that do not read them.
    static let none = DaysBuffer(narrow: nil, wide: UnsafeBufferPointer(start: nil, count: 0))

    /// The days of `row`, ``StatisticsEngine/noDays`` when it has none.
    @inline(__always)
    subscript(row: Int) -> Int32 {
        if let narrow { return Self.widened(narrow[row]) }
        return wide.unsafelyUnwrapped[row]
    }

    /// A narrow value as four bytes, its mark as ``StatisticsEngine/noDays``.
    @inline(__always)
    static func widened(_ value: Int16) -> Int32 {
        value == .min ? StatisticsEngine.noDays : Int32(value)
    }
}

/// The columns the unfiltered kernels read; valid only inside ``StatisticsEngine/withUnfilteredColumns(_:)``.
struct UnfilteredColumns: @unchecked Sendable {
    let flags: UnsafeBufferPointer<UInt8>
    let days: DaysBuffer
}

extension StatisticsEngine {
    /// Calls `body` with borrowed pointers to the derived per-row columns.
    func withUnfilteredColumns<R>(_ body: (UnfilteredColumns) -> R) -> R {
        let derived = derivedRows()
        return derived.flags.withUnsafeBufferPointer { flags in
            derived.days.withDaysBuffer { days in body(UnfilteredColumns(flags: flags, days: days)) }
        }
    }

    /// Counts, outcomes, processing days and (from the previous-occurrence columns) distinct users and
    /// departments of one row range, on one thread.
    /// - Complexity: O(rows), streaming one flag byte, two or four bytes of days and eight bytes of
    ///   previous occurrences per row.
    static func rangeTotals(
        _ rows: Range<Int>,
        _ columns: UnfilteredColumns,
        processing: Bool,
        occurrences: (users: UnsafeBufferPointer<Int32>, depts: UnsafeBufferPointer<Int32>)?,
        departments: Bool,
        low: Int32
    ) -> RangeTotals {
        var totals = flagTotals(columns.flags, rows)
        if processing {
            if let narrow = columns.days.narrow {
                let (sum, minimum, maximum) = narrowDayTotals(narrow, rows)
                // Rows without days hold Int16.min: add it back for each of them.
                totals.totalDays = sum + 32_768 * (rows.count - totals.completed)
                totals.minDays = totals.completed > 0 ? Int32(minimum) : .max
                totals.maxDays = totals.completed > 0 ? Int32(maximum) : .min
            } else {
                (totals.totalDays, totals.minDays, totals.maxDays) = wideDayTotals(columns.days.wide!, rows)
            }
        } else {
            totals.completed = 0
            totals.within30 = 0
        }
        if let occurrences {
            totals.users = countBefore(occurrences.users, rows, low)
            if departments { totals.depts = countBefore(occurrences.depts, rows, low) }
        }
        return totals
    }

    /// The same totals with the range split over the workers; distinct departments from the block presence when
    /// there is one.
    func parallelRangeTotals(
        _ rows: Range<Int>,
        processing: Bool,
        occurrences: PreviousOccurrences?,
        departments: Bool
    ) -> RangeTotals {
        final class Part {
            var totals = RangeTotals()
        }
        let low = Int32(truncatingIfNeeded: rows.lowerBound)
        let presence = departments && occurrences != nil ? departmentPresence() : nil
        let departments = departments && presence == nil
        var totals = withUnfilteredColumns { columns in
            withOccurrenceBuffers(occurrences) { buffers in
                runMorsels(
                    rows: rows,
                    options: options,
                    makeState: { Part() },
                    body: { morsel, part in
                        part.totals.add(
                            Self.rangeTotals(
                                morsel,
                                columns,
                                processing: processing,
                                occurrences: buffers,
                                departments: departments,
                                low: low
                            )
                        )
                    },
                    combine: { $0.totals.add($1.totals) }
                ).totals
            }
        }
        if let presence { totals.depts = presence.distinct(in: rows) }
        return totals
    }

    /// Calls `body` with the previous-occurrence columns as buffers, or `nil`.
    func withOccurrenceBuffers<R>(
        _ occurrences: PreviousOccurrences?,
        _ body: ((users: UnsafeBufferPointer<Int32>, depts: UnsafeBufferPointer<Int32>)?) -> R
    ) -> R {
        guard let occurrences else { return body(nil) }
        return occurrences.user.withUnsafeBufferPointer { users in
            occurrences.dept.withUnsafeBufferPointer { depts in body((users, depts)) }
        }
    }

    /// Totals of the flag bits over a row range: 16 rows per step in byte lanes, widened every 255 steps.
    @inline(__always)
    static func flagTotals(_ flags: UnsafeBufferPointer<UInt8>, _ rows: Range<Int>) -> RangeTotals {
        var totals = RangeTotals()
        totals.count = rows.count
        guard let base = flags.baseAddress.map(UnsafeRawPointer.init) else { return totals }
        var row = rows.lowerBound
        let end = rows.upperBound
        let one = SIMD16<UInt8>(repeating: 1)
        while end - row >= 16 {
            let stop = min(end, row + 255 * 16)
            var agree = SIMD16<UInt8>()
            var refuse = SIMD16<UInt8>()
            var running = SIMD16<UInt8>()
            var completed = SIMD16<UInt8>()
            var within30 = SIMD16<UInt8>()
            while stop - row >= 16 {
                let lanes = base.loadUnaligned(fromByteOffset: row, as: SIMD16<UInt8>.self)
                agree &+= lanes & one
                refuse &+= (lanes &>> 1) & one
                running &+= (lanes &>> 2) & one
                completed &+= (lanes &>> 3) & one
                within30 &+= (lanes &>> 4) & one
                row += 16
            }
            totals.agree += Int(SIMD16<UInt16>(truncatingIfNeeded: agree).wrappedSum())
            totals.refuse += Int(SIMD16<UInt16>(truncatingIfNeeded: refuse).wrappedSum())
            totals.running += Int(SIMD16<UInt16>(truncatingIfNeeded: running).wrappedSum())
            totals.completed += Int(SIMD16<UInt16>(truncatingIfNeeded: completed).wrappedSum())
            totals.within30 += Int(SIMD16<UInt16>(truncatingIfNeeded: within30).wrappedSum())
        }
        while row < end {
            let value = flags[row]
            totals.agree += Int(value & 1)
            totals.refuse += Int(value >> 1 & 1)
            totals.running += Int(value >> 2 & 1)
            totals.completed += Int(value >> 3 & 1)
            totals.within30 += Int(value >> 4 & 1)
            row += 1
        }
        return totals
    }

    /// Sum, minimum and maximum of narrowed days over a range, marks included (the caller corrects the sum; the
    /// minimum and maximum skip the marks by construction).
    @inline(__always)
    static func narrowDayTotals(_ days: UnsafeBufferPointer<Int16>, _ rows: Range<Int>) -> (Int, Int16, Int16) {
        var sum = 0
        var minimumLessOne = Int16.max
        var maximum = Int16.min
        guard let base = days.baseAddress.map(UnsafeRawPointer.init) else { return (0, .max, .min) }
        var row = rows.lowerBound
        let end = rows.upperBound
        let oneLanes = SIMD8<Int16>(repeating: 1)
        while end - row >= 8 {
            // Each step adds at most 2 × 32 768 per Int32 lane: 32 768 steps stay far from overflow.
            let stop = min(end, row + 32_768 * 8)
            var sums = SIMD8<Int32>()
            var lows = SIMD8<Int16>(repeating: .max)
            var highs = SIMD8<Int16>(repeating: .min)
            while stop - row >= 8 {
                let lanes = base.loadUnaligned(fromByteOffset: row * 2, as: SIMD8<Int16>.self)
                sums &+= SIMD8<Int32>(truncatingIfNeeded: lanes)
                lows = pointwiseMin(lows, lanes &- oneLanes)
                highs = pointwiseMax(highs, lanes)
                row += 8
            }
            // Eight lanes of up to 2^30 each: widen before adding them up.
            sum += Int(SIMD8<Int64>(truncatingIfNeeded: sums).wrappedSum())
            minimumLessOne = min(minimumLessOne, lows.min())
            maximum = max(maximum, highs.max())
        }
        while row < end {
            let value = days[row]
            sum += Int(value)
            minimumLessOne = min(minimumLessOne, value &- 1)
            maximum = max(maximum, value)
            row += 1
        }
        return (sum, minimumLessOne &+ 1, maximum)
    }

    /// Sum, minimum and maximum of 32-bit days over a range, skipping rows without days.
    static func wideDayTotals(_ days: UnsafeBufferPointer<Int32>, _ rows: Range<Int>) -> (Int, Int32, Int32) {
        var sum = 0
        var minimum = Int32.max
        var maximum = Int32.min
        for row in rows {
            let value = days[row]
            let valid = value != noDays
            sum &+= valid ? Int(value) : 0
            minimum = min(minimum, valid ? value : .max)
            maximum = max(maximum, value)
        }
        return (sum, minimum, maximum)
    }

    /// How many rows of a range have a previous occurrence before `low`: the distinct values of the range.
    @inline(__always)
    static func countBefore(_ previous: UnsafeBufferPointer<Int32>, _ rows: Range<Int>, _ low: Int32) -> Int {
        guard let base = previous.baseAddress.map(UnsafeRawPointer.init) else { return 0 }
        var total = 0
        var row = rows.lowerBound
        let end = rows.upperBound
        let bound = SIMD4<Int32>(repeating: low)
        while end - row >= 4 {
            let stop = min(end, row + (1 << 20) * 4)
            var counts = SIMD4<Int32>()
            while stop - row >= 4 {
                let lanes = base.loadUnaligned(fromByteOffset: row * 4, as: SIMD4<Int32>.self)
                // A true lane is −1: subtracting counts it.
                counts &-= unsafeBitCast(lanes .< bound, to: SIMD4<Int32>.self)
                row += 4
            }
            total += Int(counts.wrappedSum())
        }
        while row < end {
            total += previous[row] < low ? 1 : 0
            row += 1
        }
        return total
    }
}

/// One worker's per-group totals for the unfiltered grouped kernel.
///
/// Each row adds one packed word per table — count, agreements, refusals and running in 16-bit fields of the
/// first; completed, within 30 days, first user and first department of the second — into one of `copies`
/// interleaved tables (so consecutive rows of the same group do not wait on each other's stores). The fields are
/// widened into ``totals`` before any can overflow.
final class GroupTotals {
    let groups: Int
    let copies: Int
    let outcomes: UnsafeMutableBufferPointer<UInt64>
    let completions: UnsafeMutableBufferPointer<UInt64>
    let totalDays: UnsafeMutableBufferPointer<Int>
    let minDays: UnsafeMutableBufferPointer<Int32>
    let maxDays: UnsafeMutableBufferPointer<Int32>
    var totals: [RangeTotals]

    /// Rows between two widenings: each 16-bit field then holds at most this many.
    static let flushRows = 65_535

    /// Whether the first word alone carries count, agreements, first users and first departments (for queries
    /// that need neither outcomes nor processing days: one store per row instead of two).
    let oneWord: Bool

    init(groups: Int, oneWord: Bool = false) {
        self.oneWord = oneWord
        self.groups = max(groups, 1)
        copies = groups <= 4096 ? 4 : 1
        outcomes = .allocate(capacity: copies * self.groups)
        outcomes.initialize(repeating: 0)
        completions = .allocate(capacity: copies * self.groups)
        completions.initialize(repeating: 0)
        totalDays = .allocate(capacity: self.groups)
        totalDays.initialize(repeating: 0)
        minDays = .allocate(capacity: self.groups)
        minDays.initialize(repeating: .max)
        maxDays = .allocate(capacity: self.groups)
        maxDays.initialize(repeating: .min)
        totals = [RangeTotals](repeating: RangeTotals(), count: self.groups)
    }

    deinit {
        outcomes.deallocate()
        completions.deallocate()
        totalDays.deallocate()
        minDays.deallocate()
        maxDays.deallocate()
    }

    /// Widens the packed fields into ``totals`` and clears them.
    func flush() {
        totals.withUnsafeMutableBufferPointer { totals in
            for copy in 0..<copies {
                for group in 0..<groups {
                    let slot = copy * groups + group
                    let outcome = outcomes[slot]
                    let completion = completions[slot]
                    if outcome == 0 && completion == 0 { continue }
                    var sums = totals[group]
                    sums.count += Int(outcome & 0xFFFF)
                    sums.agree += Int(outcome >> 16 & 0xFFFF)
                    if oneWord {
                        sums.users += Int(outcome >> 32 & 0xFFFF)
                        sums.depts += Int(outcome >> 48)
                    } else {
                        sums.refuse += Int(outcome >> 32 & 0xFFFF)
                        sums.running += Int(outcome >> 48)
                        sums.completed += Int(completion & 0xFFFF)
                        sums.within30 += Int(completion >> 16 & 0xFFFF)
                        sums.users += Int(completion >> 32 & 0xFFFF)
                        sums.depts += Int(completion >> 48)
                    }
                    totals[group] = sums
                    outcomes[slot] = 0
                    completions[slot] = 0
                }
            }
        }
    }

    /// Adds another worker's totals (both flushed).
    func combine(_ other: GroupTotals) {
        for group in 0..<groups {
            totals[group].add(other.totals[group])
            totalDays[group] += other.totalDays[group]
            minDays[group] = min(minDays[group], other.minDays[group])
            maxDays[group] = max(maxDays[group], other.maxDays[group])
        }
    }

    /// The packed first word of each flag byte: one instance, its agreement, refusal and running bits.
    static let outcomeWords: [UInt64] = (0..<256).map { flags in
        let flags = UInt64(flags)
        return 1 | (flags & 1) << 16 | (flags >> 1 & 1) << 32 | (flags >> 2 & 1) << 48
    }

    /// The packed second word of each flag byte: its completed and within-30-days bits.
    static let completionWords: [UInt64] = (0..<256).map { flags in
        let flags = UInt64(flags)
        return (flags >> 3 & 1) | (flags >> 4 & 1) << 16
    }
}

extension StatisticsEngine {
    /// The unfiltered grouped kernel over one morsel: group code 0 (missing) is counted in its own slot and left
    /// out when the groups are finalised, so no row branches.
    /// - Complexity: O(rows).
    static func accumulateGroups<Code: FixedWidthInteger & UnsignedInteger>(
        _ morsel: Range<Int>,
        codes: UnsafeBufferPointer<Code>,
        columns: UnfilteredColumns,
        processing: Bool,
        pairs: (users: UnsafeBufferPointer<Int32>, depts: UnsafeBufferPointer<Int32>)?,
        departments: Bool,
        low: Int32,
        words: (outcome: UnsafeBufferPointer<UInt64>, completion: UnsafeBufferPointer<UInt64>),
        into state: GroupTotals
    ) {
        let groups = state.groups
        let copyMask = state.copies - 1
        let outcomes = state.outcomes
        let completions = state.completions
        let flags = columns.flags
        var start = morsel.lowerBound
        while start < morsel.upperBound {
            let stop = min(morsel.upperBound, start + GroupTotals.flushRows)
            if let pairs, state.oneWord, !departments {
                for row in start..<stop {
                    let slot = (row & copyMask) &* groups &+ Int(codes[row])
                    let agree = UInt64(flags[row] & RowFlag.agree)
                    let firstUser = UInt64(UInt32(bitPattern: pairs.users[row] &- low) >> 31)
                    outcomes[slot] &+= 1 | agree << 16 | firstUser << 32
                }
            } else if let pairs, state.oneWord {
                for row in start..<stop {
                    let slot = (row & copyMask) &* groups &+ Int(codes[row])
                    let agree = UInt64(flags[row] & RowFlag.agree)
                    let firstUser = UInt64(UInt32(bitPattern: pairs.users[row] &- low) >> 31)
                    let firstDept = UInt64(UInt32(bitPattern: pairs.depts[row] &- low) >> 31)
                    outcomes[slot] &+= 1 | agree << 16 | firstUser << 32 | firstDept << 48
                }
            } else if let pairs, departments {
                for row in start..<stop {
                    let slot = (row & copyMask) &* groups &+ Int(codes[row])
                    let bits = Int(flags[row])
                    outcomes[slot] &+= words.outcome[bits]
                    let firstUser: UInt64 = pairs.users[row] < low ? 1 << 32 : 0
                    let firstDept: UInt64 = pairs.depts[row] < low ? 1 << 48 : 0
                    completions[slot] &+= words.completion[bits] | firstUser | firstDept
                }
            } else if let pairs {
                for row in start..<stop {
                    let slot = (row & copyMask) &* groups &+ Int(codes[row])
                    let bits = Int(flags[row])
                    outcomes[slot] &+= words.outcome[bits]
                    let firstUser: UInt64 = pairs.users[row] < low ? 1 << 32 : 0
                    completions[slot] &+= words.completion[bits] | firstUser
                }
            } else if processing {
                for row in start..<stop {
                    let slot = (row & copyMask) &* groups &+ Int(codes[row])
                    let bits = Int(flags[row])
                    outcomes[slot] &+= words.outcome[bits]
                    completions[slot] &+= words.completion[bits]
                }
            } else {
                // Four rows per step, one into each copy at a fixed offset (any row may go to any copy).
                var row = start
                if state.copies == 4 {
                    let (second, third, fourth) = (groups, 2 &* groups, 3 &* groups)
                    while stop - row >= 4 {
                        outcomes[Int(codes[row])] &+= words.outcome[Int(flags[row])]
                        outcomes[second &+ Int(codes[row + 1])] &+= words.outcome[Int(flags[row + 1])]
                        outcomes[third &+ Int(codes[row + 2])] &+= words.outcome[Int(flags[row + 2])]
                        outcomes[fourth &+ Int(codes[row + 3])] &+= words.outcome[Int(flags[row + 3])]
                        row += 4
                    }
                }
                while row < stop {
                    outcomes[(row & copyMask) &* groups &+ Int(codes[row])] &+= words.outcome[Int(flags[row])]
                    row += 1
                }
            }
            if processing {
                func addDays<Day: FixedWidthInteger & SignedInteger>(_ days: UnsafeBufferPointer<Day>, missing: Day) {
                    for row in start..<stop {
                        let value = Int32(truncatingIfNeeded: days[row])
                        let group = Int(codes[row])
                        let valid = days[row] != missing
                        state.totalDays[group] &+= valid ? Int(value) : 0
                        state.minDays[group] = min(state.minDays[group], valid ? value : .max)
                        state.maxDays[group] = max(state.maxDays[group], valid ? value : .min)
                    }
                }
                if let narrow = columns.days.narrow {
                    addDays(narrow, missing: .min)
                } else {
                    addDays(columns.days.wide!, missing: noDays)
                }
            }
            state.flush()
            start = stop
        }
    }

    /// Totals per group of a row range without a filter, in parallel morsels.
    /// - Parameter pairs: previous occurrences of (user, group) and (department id, group) for the distinct
    ///   counts, `nil` to skip them.
    func unfilteredGroupTotals(
        rows: Range<Int>,
        codes: CodeArray,
        groupCount: Int,
        processing: Bool,
        outcomes: Bool,
        pairs: PreviousOccurrences?,
        departments: Bool
    ) -> [RangeTotals] {
        // Without pairs the table word already needs one store per row; with them, one word saves the second.
        let oneWord = !processing && !outcomes && pairs != nil
        let low = Int32(truncatingIfNeeded: rows.lowerBound)
        let state = withUnfilteredColumns { columns in
            withOccurrenceBuffers(pairs) { pairBuffers in
                GroupTotals.outcomeWords.withUnsafeBufferPointer { outcome in
                    GroupTotals.completionWords.withUnsafeBufferPointer { completion in
                        codes.withCodeBuffer { buffer in
                            let shared = UnsafeTransfer(value: (outcome, completion))
                            func run<Code: FixedWidthInteger & UnsignedInteger>(
                                _ codes: UnsafeBufferPointer<Code>
                            ) -> GroupTotals {
                                runMorsels(
                                    rows: rows,
                                    options: options,
                                    makeState: { GroupTotals(groups: groupCount, oneWord: oneWord) },
                                    body: { morsel, state in
                                        Self.accumulateGroups(
                                            morsel,
                                            codes: codes,
                                            columns: columns,
                                            processing: processing,
                                            pairs: pairBuffers,
                                            departments: departments,
                                            low: low,
                                            words: shared.value,
                                            into: state
                                        )
                                    },
                                    combine: { $0.combine($1) }
                                )
                            }
                            switch buffer {
                            case .u8(let codes): return run(codes)
                            case .u16(let codes): return run(codes)
                            case .u32(let codes): return run(codes)
                            }
                        }
                    }
                }
            }
        }
        var totals = state.totals
        for group in totals.indices {
            totals[group].totalDays = state.totalDays[group]
            totals[group].minDays = state.minDays[group]
            totals[group].maxDays = state.maxDays[group]
            if !processing {
                totals[group].completed = 0
                totals[group].within30 = 0
            }
        }
        return totals
    }
}

import Dispatch

/// Which column numbers the groups of a kernel run.
enum GroupKey {
    case single
    /// The department name; instances without one form group 0 (shown as ``StatisticsEngine/missingDeptLabel``).
    case deptName
    case user
    /// A few users (a `user=` filter's, or the proposers of listed rows), group `g` being the user `users[g]` of
    /// the slots: the state needs a slot per such user, not per proposer.
    case userSlots(UserSlots)
    case status
    case result
    /// A form-field column (the category is one); `keepsMissing` counts instances without a value in group 0
    /// instead of leaving them out.
    case form(CodeArray, keepsMissing: Bool)

    /// Whether instances without a value form group 0 rather than being left out.
    var keepsMissing: Bool {
        switch self {
        case .deptName: true
        case .form(_, let keepsMissing): keepsMissing
        case .single, .user, .userSlots, .status, .result: false
        }
    }
}

/// Borrowed views of the columns the kernels read; valid only inside ``StatisticsEngine/withKernelColumns(needsDays:_:)``.
struct KernelColumns: @unchecked Sendable {
    let status: UnsafeBufferPointer<UInt8>
    let result: UnsafeBufferPointer<UInt8>
    let days: DaysBuffer
    let user: CodeBuffer
    let userName: CodeBuffer
    let deptId: CodeBuffer
    let deptName: CodeBuffer
    let category: CodeBuffer
    /// Codes of the benefit form field and the high and low parts of the cents each code stands for (0 when not a
    /// number).
    let benefit: CodeBuffer
    let benefitHigh: UnsafeBufferPointer<Int>
    let benefitLow: UnsafeBufferPointer<Int>

    /// Whether a row passes the filter: it meets every condition of some alternative.
    @inline(__always)
    func passes(_ row: Int, _ filter: ResolvedFilter.View) -> Bool {
        if filter.isEmpty || admits(row, filter.first, filter.words) { return true }
        if filter.others.isEmpty { return false }
        for term in filter.others where admits(row, term, filter.words) { return true }
        return false
    }

    /// Whether a row meets every condition of one alternative. A column without a condition is not read, and the
    /// columns are tested in the order a selective filter usually rejects a row soonest (department first), so
    /// that most rows cost one load.
    @inline(__always)
    func admits(_ row: Int, _ term: ResolvedFilter.Term, _ words: UnsafeBufferPointer<UInt64>) -> Bool {
        let any = ResolvedFilter.CodeTest.any
        if term.dept.offset != any, !term.dept.admits(deptName[row], words) { return false }
        if term.category.offset != any, !term.category.admits(category[row], words) { return false }
        if term.statuses != .max, term.statuses & (1 &<< UInt64(status[row])) == 0 { return false }
        if term.user.offset != any, !term.user.admits(user[row], words) { return false }
        if term.results != .max, term.results & (1 &<< UInt64(result[row])) == 0 { return false }
        return true
    }
}

/// Maps a row to its group number, or −1 to leave the row out.
protocol GroupKeyReader {
    func group(_ row: Int) -> Int
}

/// Every row in group 0 (overview, efficiency, one month).
struct SingleGroupReader: GroupKeyReader {
    @inline(__always) func group(_ row: Int) -> Int { 0 }
}

/// Rows grouped by a dictionary code of a given width; code 0 (missing) goes to group `missing`: −1 leaves it
/// out, 0 keeps it as a group of its own.
struct CodeGroupReader<Code: FixedWidthInteger & UnsignedInteger>: GroupKeyReader {
    let codes: UnsafeBufferPointer<Code>
    var missing = -1
    @inline(__always) func group(_ row: Int) -> Int {
        let code = Int(codes[row])
        return code == 0 ? missing : code
    }
}

extension StatisticsEngine {
    /// Calls `body` with borrowed pointers to every column a kernel reads — the one place that opens them.
    /// - Parameters:
    ///   - needsDays: whether the kernel reads processing days (else they are an empty buffer and are not
    ///     derived for it).
    ///   - needsBenefit: whether the kernel reads the benefit field (else its buffers are empty).
    func withKernelColumns<R>(needsDays: Bool = true, needsBenefit: Bool = false, _ body: (KernelColumns) -> R) -> R {
        let benefit = needsBenefit ? benefitValues() : nil
        guard needsDays else { return withKernelColumns(days: .none, benefit: benefit, body) }
        return derivedRows().days.withDaysBuffer { withKernelColumns(days: $0, benefit: benefit, body) }
    }

    /// ``withKernelColumns(needsDays:needsBenefit:_:)`` with the days and the benefit values given.
    private func withKernelColumns<R>(
        days: DaysBuffer,
        benefit values: BenefitValues?,
        _ body: (KernelColumns) -> R
    )
        -> R
    {
        let benefitCodes = values?.codes ?? .u8([])
        let (benefitHigh, benefitLow) = (values?.high ?? [], values?.low ?? [])
        return table.status.withUnsafeBufferPointer { status in
            table.result.withUnsafeBufferPointer { result in
                table.userId.codes.withCodeBuffer { user in
                    table.userName.codes.withCodeBuffer { userName in
                        table.deptId.codes.withCodeBuffer { deptId in
                            table.deptName.codes.withCodeBuffer { deptName in
                                categoryCodes.withCodeBuffer { category in
                                    benefitCodes.withCodeBuffer { benefit in
                                        benefitHigh.withUnsafeBufferPointer { high in
                                            benefitLow.withUnsafeBufferPointer { low in
                                                body(
                                                    KernelColumns(
                                                        status: status,
                                                        result: result,
                                                        days: days,
                                                        user: user,
                                                        userName: userName,
                                                        deptId: deptId,
                                                        deptName: deptName,
                                                        category: category,
                                                        benefit: benefit,
                                                        benefitHigh: high,
                                                        benefitLow: low
                                                    )
                                                )
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Runs the grouped aggregate kernel over `rows` in parallel morsels.
    /// - Complexity: O(rows / workers) per worker, plus O(groups + distinct values) to combine.
    func aggregate(
        rows: RowSelection,
        key: GroupKey,
        groupCount: Int,
        filter: ResolvedFilter,
        options statistics: StatisticsOptions
    ) -> GroupState {
        let filter = rows.kernelFilter(filter)
        let distinct = statistics.contains(.distinct)
        let departments = statistics.contains(.departments)
        let benefit = statistics.contains(.benefit)
        let processing = statistics.contains(.processing)
        let outcomes = statistics.contains(.outcomes)
        return withKernelColumns(needsDays: processing, needsBenefit: benefit) { columns in
            func run<Reader: GroupKeyReader>(_ reader: Reader) -> GroupState {
                runMorsels(
                    selection: rows,
                    options: options,
                    makeState: {
                        GroupState(
                            groupCount: groupCount,
                            userValues: distinct ? table.userId.dictionary.count : nil,
                            deptValues: departments ? table.deptId.dictionary.count : nil,
                            bitmapBits: options.distinctBitmapBits,
                            pairsAtMost: rows.listed?.count,
                            benefit: benefit,
                            processing: processing,
                            outcomes: outcomes
                        )
                    },
                    body: { morsel, state in
                        let single = Reader.self == SingleGroupReader.self
                        switch morsel {
                        case .range(let rows) where single: Self.accumulateSingle(rows, columns, filter, state)
                        case .range(let rows): Self.accumulate(rows, reader, columns, filter, state)
                        case .listed(let rows) where single: Self.accumulateSingle(rows, columns, filter, state)
                        case .listed(let rows): Self.accumulate(rows, reader, columns, filter, state)
                        }
                    },
                    combine: { $0.combine($1) }
                )
            }
            let missing = key.keepsMissing ? 0 : -1
            func run(codes: CodeBuffer) -> GroupState {
                switch codes {
                case .u8(let buffer): run(CodeGroupReader(codes: buffer, missing: missing))
                case .u16(let buffer): run(CodeGroupReader(codes: buffer, missing: missing))
                case .u32(let buffer): run(CodeGroupReader(codes: buffer, missing: missing))
                }
            }
            switch key {
            case .single: return run(SingleGroupReader())
            case .deptName: return run(codes: columns.deptName)
            case .user: return run(codes: columns.user)
            case .userSlots(let slots):
                switch columns.user {
                case .u8(let buffer): return run(SlotGroupReader(codes: buffer, slots: slots.slots))
                case .u16(let buffer): return run(SlotGroupReader(codes: buffer, slots: slots.slots))
                case .u32(let buffer): return run(SlotGroupReader(codes: buffer, slots: slots.slots))
                }
            case .status: return run(CodeGroupReader(codes: columns.status))
            case .result: return run(CodeGroupReader(codes: columns.result))
            case .form(let codes, _): return codes.withCodeBuffer { run(codes: $0) }
            }
        }
    }

    /// The aggregate kernel: counts, agreements, processing days and distinct users/departments per group.
    /// No allocation, string work or dynamic dispatch per row.
    /// - Complexity: O(rows).
    static func accumulate<Reader: GroupKeyReader, Rows: Sequence<Int>>(
        _ rows: Rows,
        _ reader: Reader,
        _ columns: KernelColumns,
        _ filter: ResolvedFilter,
        _ state: GroupState
    ) {
        let agree = InstanceResult.agree.rawValue
        let refuse = InstanceResult.refuse.rawValue
        let runningStatus = InstanceStatus.running.rawValue
        let count = state.count
        let passed = state.passed
        let refused = state.refused
        let running = state.running
        let benefit = state.benefit
        let completed = state.completed
        let within30 = state.within30
        let totalDays = state.totalDays
        let minDays = state.minDays
        let maxDays = state.maxDays
        let users = state.users
        let depts = state.depts
        let processing = state.processing
        let outcomes = state.outcomes
        let unfiltered = filter.isEmpty
        let filter = filter.view
        for row in rows {
            if !unfiltered && !columns.passes(row, filter) { continue }
            let group = reader.group(row)
            if group < 0 { continue }
            count[group] &+= 1
            // Branch-free updates: result, status and completion are data-dependent and would mispredict; the
            // option tests are the same for every row and predict perfectly.
            let result = columns.result[row]
            passed[group] &+= result == agree ? 1 : 0
            if outcomes {
                refused[group] &+= result == refuse ? 1 : 0
                running[group] &+= columns.status[row] == runningStatus ? 1 : 0
            }
            if let benefit {
                let code = Int(columns.benefit[row])
                benefit[group &* 2] &+= columns.benefitHigh[code]
                benefit[group &* 2 &+ 1] &+= columns.benefitLow[code]
            }
            if processing {
                let days = columns.days[row]
                if days != noDays {
                    completed[group] &+= 1
                    totalDays[group] &+= Int(days)
                    within30[group] &+= days <= 30 ? 1 : 0
                    minDays[group] = min(minDays[group], days)
                    maxDays[group] = max(maxDays[group], days)
                }
            }
            if let users {
                let user = columns.user[row]
                if user != 0 { users.insert(group: group, value: user) }
            }
            if let depts {
                let dept = columns.deptId[row]
                if dept != 0 { depts.insert(group: group, value: dept) }
            }
        }
    }

    /// The kernel for one group (overview, efficiency, one calendar bucket): totals live in registers for the
    /// whole morsel instead of in memory, so no row waits on the previous row's store.
    /// - Complexity: O(rows).
    static func accumulateSingle<Rows: Sequence<Int>>(
        _ rows: Rows,
        _ columns: KernelColumns,
        _ filter: ResolvedFilter,
        _ state: GroupState
    ) {
        let agree = InstanceResult.agree.rawValue
        let refuse = InstanceResult.refuse.rawValue
        let runningStatus = InstanceStatus.running.rawValue
        var count = 0
        var passed = 0
        var refused = 0
        var running = 0
        var benefitHigh = 0
        var benefitLow = 0
        var completed = 0
        var within30 = 0
        var totalDays = 0
        var minDays = state.minDays[0]
        var maxDays = state.maxDays[0]
        let sumsBenefit = state.benefit != nil
        let processing = state.processing
        let outcomes = state.outcomes
        let users = state.users
        let depts = state.depts
        let unfiltered = filter.isEmpty
        let filter = filter.view
        for row in rows {
            if !unfiltered && !columns.passes(row, filter) { continue }
            count &+= 1
            let result = columns.result[row]
            passed &+= result == agree ? 1 : 0
            if outcomes {
                refused &+= result == refuse ? 1 : 0
                running &+= columns.status[row] == runningStatus ? 1 : 0
            }
            if sumsBenefit {
                let code = Int(columns.benefit[row])
                benefitHigh &+= columns.benefitHigh[code]
                benefitLow &+= columns.benefitLow[code]
            }
            if processing {
                let days = columns.days[row]
                let valid = days != noDays
                completed &+= valid ? 1 : 0
                totalDays &+= valid ? Int(days) : 0
                within30 &+= valid && days <= 30 ? 1 : 0
                minDays = min(minDays, valid ? days : Int32.max)
                maxDays = max(maxDays, days)  // noDays is Int32.min: never the maximum
            }
            if let users {
                let user = columns.user[row]
                if user != 0 { users.insert(group: 0, value: user) }
            }
            if let depts {
                let dept = columns.deptId[row]
                if dept != 0 { depts.insert(group: 0, value: dept) }
            }
        }
        state.count[0] &+= count
        state.passed[0] &+= passed
        state.refused[0] &+= refused
        state.running[0] &+= running
        state.benefit?[0] &+= benefitHigh
        state.benefit?[1] &+= benefitLow
        state.completed[0] &+= completed
        state.within30[0] &+= within30
        state.totalDays[0] &+= totalDays
        state.minDays[0] = minDays
        state.maxDays[0] = maxDays
    }

    /// The rows of a range that pass a filter, as a bitmap built in parallel (each worker a run of whole words);
    /// a filter without user conditions is tested without branches, through its ``TermMasks``.
    /// - Complexity: O(rows / workers).
    func rowBitmap(_ rows: Range<Int>, filter: ResolvedFilter) -> RowBitmap {
        let wordCount = (rows.count + 63) >> 6
        var words = [UInt64](repeating: 0, count: wordCount)
        let masks = filter.termMasks(
            deptCodes: table.deptName.dictionary.count,
            categoryCodes: categoryDictionary.count
        )
        withKernelColumns(needsDays: false) { columns in
            words.withUnsafeMutableBufferPointer { words in
                let shared = UnsafeTransfer(value: words)
                let tasks = min(max(options.workers, 1) * 4, max(wordCount, 1))
                let fill: @Sendable (Int) -> Void = { task in
                    let words = shared.value
                    let view = filter.view
                    for index in (wordCount * task / tasks)..<(wordCount * (task + 1) / tasks) {
                        let first = rows.lowerBound + index << 6
                        let end = min(first + 64, rows.upperBound)
                        var word: UInt64 = 0
                        if let masks {
                            for row in first..<end {
                                let shared =
                                    masks.dept[Int(columns.deptName[row])] & masks.category[Int(columns.category[row])]
                                    & masks.status[Int(columns.status[row])] & masks.result[Int(columns.result[row])]
                                word |= (shared != 0 ? 1 : 0) << UInt64(row - first)
                            }
                        } else {
                            for row in first..<end where columns.passes(row, view) { word |= 1 << UInt64(row - first) }
                        }
                        words[index] = word
                    }
                }
                if options.workers <= 1 {
                    for task in 0..<tasks { fill(task) }
                } else {
                    DispatchQueue.concurrentPerform(iterations: tasks, execute: fill)
                }
            }
        }
        return RowBitmap(low: rows.lowerBound, words: words)
    }

    /// Counts instances per (user id, department name) for the proposer ranking.
    /// - Returns: one entry per pair, unordered.
    func rankProposers(rows: RowSelection, filter: ResolvedFilter) -> [ProposerEntry] {
        if let listed = rows.listed { return rankListedProposers(rows: listed, filter: rows.kernelFilter(filter)) }
        let userCount = table.userId.dictionary.count
        return withKernelColumns(needsDays: false) { columns in
            func count<Rows: Sequence<Int>>(_ rows: Rows, into state: ProposerState) {
                let agree = InstanceResult.agree.rawValue
                let filter = filter.view
                for row in rows where columns.passes(row, filter) {
                    let user = columns.user[row]
                    if user == 0 || columns.userName[row] == 0 { continue }
                    state.add(user: user, dept: columns.deptName[row], agreed: columns.result[row] == agree ? 1 : 0)
                }
            }
            return runMorsels(
                selection: rows,
                options: options,
                makeState: { ProposerState(users: userCount) },
                body: { morsel, state in
                    switch morsel {
                    case .range(let rows): count(rows, into: state)
                    case .listed(let rows): count(rows, into: state)
                    }
                },
                combine: { $0.combine($1) }
            )
        }.entries()
    }
}

extension StatisticsEngine {
    /// The most histogram bins (distinct processing-day values) for percentiles by counting.
    static let percentileBins = 4096
    /// The most histogram counters (groups × bins) per worker for percentiles by counting.
    static let percentileCounters = 1 << 21

    /// The least and greatest processing days in the table, `nil` when no instance has any; found on first use.
    /// - Complexity: O(n) once.
    func daysBounds() -> (low: Int32, high: Int32)? {
        if let cached = daysBoundsCache.withLock({ $0 }) { return cached }
        var low = Int32.max
        var high = Int32.min
        func widen<Day: FixedWidthInteger>(_ values: [Day], missing: Day) {
            for days in values where days != missing {
                low = min(low, Int32(days))
                high = max(high, Int32(days))
            }
        }
        switch derivedRows().days {
        case .narrow(let values): widen(values, missing: .min)
        case .wide(let values): widen(values, missing: Self.noDays)
        }
        let bounds: (low: Int32, high: Int32)? = low <= high ? (low, high) : nil
        daysBoundsCache.withLock { $0 = .some(bounds) }
        return bounds
    }

    /// Counts instances per (user id, department name) among a few listed rows: their pairs are sorted and
    /// counted in runs, so the work follows the rows, not the number of proposers.
    /// - Complexity: O(k log k) for k listed rows.
    func rankListedProposers(rows: [Int32], filter: ResolvedFilter) -> [ProposerEntry] {
        withKernelColumns(needsDays: false) { columns in
            let agree = InstanceResult.agree.rawValue
            let filter = filter.view
            // The pair in the high bits, the agreement in the lowest: one sort groups the pairs.
            var keys: [UInt64] = []
            for row in rows.lazy.map({ Int($0) }) where columns.passes(row, filter) {
                let user = columns.user[row]
                if user == 0 || columns.userName[row] == 0 { continue }
                let pair = UInt64(user) << 32 | UInt64(columns.deptName[row])
                keys.append(pair << 1 | (columns.result[row] == agree ? 1 : 0))
            }
            keys.sort()
            var entries: [ProposerEntry] = []
            for key in keys {
                let pair = key >> 1
                let user = UInt32(truncatingIfNeeded: pair >> 32)
                let dept = UInt32(truncatingIfNeeded: pair & 0xFFFF_FFFF)
                if let last = entries.last, last.user == user, last.dept == dept {
                    entries[entries.count - 1].count += 1
                    entries[entries.count - 1].passed += Int(key & 1)
                } else {
                    entries.append(ProposerEntry(user: user, dept: dept, count: 1, passed: Int(key & 1)))
                }
            }
            return entries
        }
    }

    /// Median and 90th percentile of processing days per group, by linear interpolation between the closest
    /// ranks (DuckDB's `quantile_cont`). Runs only when a query asks for them. When the table's days span at most
    /// ``percentileBins`` values (and the groups' histograms fit ``percentileCounters``), they are counted per group;
    /// else gathered per group and sorted.
    ///
    /// Counted over all history without a filter, a grouping's histograms are kept (under `grouping`, the
    /// grouping's description), so later queries only read them off. One group over whole months without a filter
    /// adds up the months' histograms (``MonthlyDayHistograms``).
    /// - Complexity: O(r + g × b) counted, O(g × b) kept, O(r + c log c) gathered, for r rows, g groups, b bins
    ///   and c completed instances among the rows.
    func daysPercentiles(
        rows selection: RowSelection,
        key: GroupKey,
        groupCount: Int,
        filter: ResolvedFilter,
        grouping: String? = nil
    )
        -> [Int: (p50: Double, p90: Double)]
    {
        let unfilteredRange = selection.listed == nil && filter.isEmpty
        let wholeHistory = unfilteredRange && selection.range == 0..<table.rowCount
        let filter = selection.kernelFilter(filter)
        let bounds = daysBounds()
        let bins = bounds.map { Int($0.high) - Int($0.low) + 1 } ?? 0
        let histograms = bins > 0 && bins <= Self.percentileBins && max(groupCount, 1) * bins <= Self.percentileCounters
        // A user-slot grouping numbers the users of one query, so its histograms are never kept.
        let numbersUsersOfOneQuery = if case .userSlots = key { true } else { false }
        let kept = histograms && wholeHistory && !numbersUsersOfOneQuery ? grouping : nil
        /// The median and 90th percentile of each group with days in `counts` (`bins` counters per group).
        func percentiles(_ counts: [Int32]) -> [Int: (p50: Double, p90: Double)] {
            var result: [Int: (p50: Double, p90: Double)] = [:]
            counts.withUnsafeBufferPointer { counts in
                for group in 0..<max(groupCount, 1) {
                    let histogram = UnsafeBufferPointer(rebasing: counts[group * bins..<(group + 1) * bins])
                    let found = histogram.reduce(0) { $0 + Int($1) }
                    if found > 0 {
                        result[group] = medianAndNinetieth(histogram: histogram, low: bounds!.low, count: found)
                    }
                }
            }
            return result
        }
        if let kept, let counts = wholeHistoryDayHistograms.withLock({ $0[kept] }),
            counts.count == max(groupCount, 1) * bins
        {
            return percentiles(counts)
        }
        // One group over whole months without a filter: the months' histograms add up.
        if case .single = key, histograms, unfilteredRange,
            let months = monthlyDayHistograms(), months.bins == bins,
            let counts = months.histogram(of: selection.range)
        {
            return percentiles(counts)
        }
        return withKernelColumns { columns in
            // When every group's days fit a small histogram, one parallel pass counts them and the quantiles are read
            // off the counts; no values are gathered or sorted.
            func count<Reader: GroupKeyReader>(_ reader: Reader) -> [Int: (p50: Double, p90: Double)] {
                let low = bounds!.low
                let size = max(groupCount, 1) * bins
                func tally<Rows: Sequence<Int>>(_ rows: Rows, into tally: HistogramTally) {
                    let filter = filter.view
                    tally.counts.withUnsafeMutableBufferPointer { counts in
                        for row in rows where columns.days[row] != Self.noDays && columns.passes(row, filter) {
                            let group = reader.group(row)
                            if group >= 0 { counts[group &* bins &+ Int(columns.days[row] &- low)] &+= 1 }
                        }
                    }
                }
                let total = runMorsels(
                    selection: selection,
                    options: options,
                    makeState: { HistogramTally(size) },
                    body: { morsel, state in
                        switch morsel {
                        case .range(let rows): tally(rows, into: state)
                        case .listed(let rows): tally(rows, into: state)
                        }
                    },
                    combine: { total, part in
                        for index in 0..<size { total.counts[index] &+= part.counts[index] }
                    }
                )
                if let kept { wholeHistoryDayHistograms.withLock { $0[kept] = total.counts } }
                return percentiles(total.counts)
            }
            // Else two passes over the rows, no hashing: count each group's days, then place them in one flat array
            // at the group's offset; each group's part is then sorted in place.
            func collect<Reader: GroupKeyReader, Rows: Sequence<Int>>(
                _ reader: Reader,
                _ rows: Rows
            ) -> [Int: (p50: Double, p90: Double)] {
                let filter = filter.view
                var counts = [Int](repeating: 0, count: max(groupCount, 1) + 1)
                for row in rows where columns.days[row] != Self.noDays && columns.passes(row, filter) {
                    let group = reader.group(row)
                    if group >= 0 { counts[group + 1] &+= 1 }
                }
                for group in counts.indices.dropFirst() { counts[group] &+= counts[group - 1] }
                var next = counts
                var days = [Int32](repeating: 0, count: counts[counts.count - 1])
                for row in rows where columns.days[row] != Self.noDays && columns.passes(row, filter) {
                    let group = reader.group(row)
                    guard group >= 0 else { continue }
                    days[next[group]] = columns.days[row]
                    next[group] &+= 1
                }
                var result: [Int: (p50: Double, p90: Double)] = [:]
                days.withUnsafeMutableBufferPointer { all in
                    for group in 0..<counts.count - 1 where counts[group + 1] > counts[group] {
                        let part = UnsafeMutableBufferPointer(rebasing: all[counts[group]..<counts[group + 1]])
                        result[group] = medianAndNinetieth(part)
                    }
                }
                return result
            }
            let missing = key.keepsMissing ? 0 : -1
            func collect<Rows: Sequence<Int>>(codes: CodeBuffer, _ rows: Rows) -> [Int: (p50: Double, p90: Double)] {
                switch codes {
                case .u8(let buffer): run(CodeGroupReader(codes: buffer, missing: missing), rows)
                case .u16(let buffer): run(CodeGroupReader(codes: buffer, missing: missing), rows)
                case .u32(let buffer): run(CodeGroupReader(codes: buffer, missing: missing), rows)
                }
            }
            func run<Reader: GroupKeyReader, Rows: Sequence<Int>>(
                _ reader: Reader,
                _ rows: Rows
            ) -> [Int: (p50: Double, p90: Double)] {
                histograms ? count(reader) : collect(reader, rows)
            }
            func collect<Rows: Sequence<Int>>(_ rows: Rows) -> [Int: (p50: Double, p90: Double)] {
                switch key {
                case .single: run(SingleGroupReader(), rows)
                case .deptName: collect(codes: columns.deptName, rows)
                case .user: collect(codes: columns.user, rows)
                case .userSlots(let slots):
                    switch columns.user {
                    case .u8(let buffer): run(SlotGroupReader(codes: buffer, slots: slots.slots), rows)
                    case .u16(let buffer): run(SlotGroupReader(codes: buffer, slots: slots.slots), rows)
                    case .u32(let buffer): run(SlotGroupReader(codes: buffer, slots: slots.slots), rows)
                    }
                case .status: run(CodeGroupReader(codes: columns.status), rows)
                case .result: run(CodeGroupReader(codes: columns.result), rows)
                case .form(let codes, _): codes.withCodeBuffer { collect(codes: $0, rows) }
                }
            }
            return selection.withMorsel { morsel in
                switch morsel {
                case .range(let rows): collect(rows)
                case .listed(let rows): collect(rows)
                }
            }
        }
    }
}

extension StatisticsEngine {
    /// Open instances (NEW or RUNNING) per group and the sum of their creation days in the engine's zone, for
    /// `age_days`. Runs only when a query asks for it; the creation day is derived only for open rows.
    /// - Parameter agreements: whether to count the open instances with an agreement too (`agreed`, else empty);
    ///   only for rows listed as exactly the open ones that pass, whose counts and agreements these then are.
    /// - Complexity: O(rows / workers) plus O(groups × workers) to combine.
    func openAges(
        rows: RowSelection,
        key: GroupKey,
        groupCount: Int,
        filter: ResolvedFilter,
        agreements: Bool = false
    ) -> (open: [Int], createdDays: [Int], agreed: [Int]) {
        // Rows listed as exactly the open ones that pass need neither their status read nor the filter tested.
        let listedOpen = rows.listed != nil && rows.passesFilter && filter.openOnly
        precondition(!agreements || listedOpen, "agreements are counted only over the listed open rows")
        let filter = rows.kernelFilter(filter)
        let agree = InstanceResult.agree.rawValue
        final class Tally {
            let open: UnsafeMutableBufferPointer<Int>
            let days: UnsafeMutableBufferPointer<Int>
            let agreed: UnsafeMutableBufferPointer<Int>
            init(_ groups: Int) {
                open = .allocate(capacity: max(groups, 1))
                open.initialize(repeating: 0)
                days = .allocate(capacity: max(groups, 1))
                days.initialize(repeating: 0)
                agreed = .allocate(capacity: max(groups, 1))
                agreed.initialize(repeating: 0)
            }
            deinit {
                open.deallocate()
                days.deallocate()
                agreed.deallocate()
            }
        }
        let rows = openAgeRows(rows)
        let dayIndex = days
        let tally = withKernelColumns(needsDays: false) { columns in
            func run<Reader: GroupKeyReader>(_ reader: Reader) -> Tally {
                func countOpen<Rows: Sequence<Int>>(_ rows: Rows, into tally: Tally) {
                    let filter = filter.view
                    // The creation day of the last open row and the rows of that day: the next open row is
                    // usually on the same day.
                    var day = 0
                    var dayRows = 0..<0
                    @inline(__always)
                    func add(_ row: Int, agreements: Bool) {
                        guard columns.passes(row, filter) else { return }
                        let group = reader.group(row)
                        if group < 0 { return }
                        if !dayRows.contains(row) {
                            day = dayIndex.day(ofRow: row)
                            dayRows = dayIndex.firstRow(onOrAfterDay: day)..<dayIndex.firstRow(onOrAfterDay: day + 1)
                        }
                        tally.open[group] &+= 1
                        tally.days[group] &+= day
                        if agreements { tally.agreed[group] &+= columns.result[row] == agree ? 1 : 0 }
                    }
                    // One loop per case, so that the common one (status tested, no agreements) stays as tight.
                    if listedOpen {
                        for row in rows { add(row, agreements: agreements) }
                    } else {
                        for row in rows where InstanceStatus.isOpen(byte: columns.status[row]) {
                            add(row, agreements: false)
                        }
                    }
                }
                return runMorsels(
                    selection: rows,
                    options: options,
                    makeState: { Tally(groupCount) },
                    body: { morsel, state in
                        switch morsel {
                        case .range(let rows): countOpen(rows, into: state)
                        case .listed(let rows): countOpen(rows, into: state)
                        }
                    },
                    combine: { total, part in
                        for group in 0..<max(groupCount, 1) {
                            total.open[group] &+= part.open[group]
                            total.days[group] &+= part.days[group]
                            total.agreed[group] &+= part.agreed[group]
                        }
                    }
                )
            }
            // Instances without a department or category count in their group 0 row, as in every other kernel.
            let missing = key.keepsMissing ? 0 : -1
            func run(codes: CodeBuffer) -> Tally {
                switch codes {
                case .u8(let buffer): run(CodeGroupReader(codes: buffer, missing: missing))
                case .u16(let buffer): run(CodeGroupReader(codes: buffer, missing: missing))
                case .u32(let buffer): run(CodeGroupReader(codes: buffer, missing: missing))
                }
            }
            switch key {
            case .single: return run(SingleGroupReader())
            case .deptName: return run(codes: columns.deptName)
            case .user: return run(codes: columns.user)
            case .userSlots(let slots):
                switch columns.user {
                case .u8(let buffer): return run(SlotGroupReader(codes: buffer, slots: slots.slots))
                case .u16(let buffer): return run(SlotGroupReader(codes: buffer, slots: slots.slots))
                case .u32(let buffer): return run(SlotGroupReader(codes: buffer, slots: slots.slots))
                }
            case .status: return run(CodeGroupReader(codes: columns.status))
            case .result: return run(CodeGroupReader(codes: columns.result))
            case .form(let codes, _): return codes.withCodeBuffer { run(codes: $0) }
            }
        }
        return (Array(tally.open), Array(tally.days), agreements ? Array(tally.agreed) : [])
    }
}

/// One worker's histogram counters for percentiles by counting.
final class HistogramTally {
    var counts: [Int32]
    init(_ size: Int) { counts = [Int32](repeating: 0, count: size) }
}

/// The median and the 90th percentile of some values (as ``quantile(_:_:)`` computes them), reordering them.
///
/// Processing days span a narrow range, so a large group is counted into a histogram of its range (O(n + range))
/// instead of sorted (O(n log n)); a small group or a wide range is sorted.
func medianAndNinetieth(_ values: UnsafeMutableBufferPointer<Int32>) -> (p50: Double, p90: Double) {
    var low = Int32.max
    var high = Int32.min
    if values.count >= 256 {
        for value in values {
            low = min(low, value)
            high = max(high, value)
        }
    }
    let range = Int(high) - Int(low) + 1
    guard values.count >= 256, range <= max(values.count, 4096) else {
        var values = values
        values.sort()
        let sorted = UnsafeBufferPointer(values)
        return (quantile(sorted, 0.5), quantile(sorted, 0.9))
    }
    var histogram = [Int32](repeating: 0, count: range)
    histogram.withUnsafeMutableBufferPointer { histogram in
        for value in values { histogram[Int(value) - Int(low)] &+= 1 }
    }
    return histogram.withUnsafeBufferPointer { medianAndNinetieth(histogram: $0, low: low, count: values.count) }
}

/// The median and the 90th percentile of `count` values given as a histogram: `histogram[i]` values equal
/// `low + i`.
/// - Complexity: O(bins).
func medianAndNinetieth(histogram: UnsafeBufferPointer<Int32>, low: Int32, count: Int) -> (p50: Double, p90: Double) {
    // The sorted values at the four ranks the two quantiles interpolate between, found in one cumulative pass.
    let last = count - 1
    let positions = [0.5, 0.9].map { Double(last) * $0 }
    let ranks = positions.flatMap { position -> [Int] in
        let lower = Int(position.rounded(.down))
        return [lower, min(lower + 1, last)]
    }
    var found = [Int32](repeating: 0, count: ranks.count)
    var next = 0
    var seen = 0
    let order = ranks.indices.sorted { ranks[$0] < ranks[$1] }
    for (offset, count) in histogram.enumerated() where count > 0 {
        seen += Int(count)
        while next < order.count && ranks[order[next]] < seen {
            found[order[next]] = low + Int32(offset)
            next += 1
        }
        if next == order.count { break }
    }
    func interpolate(_ index: Int) -> Double {
        let fraction = positions[index] - positions[index].rounded(.down)
        let lower = Double(found[index * 2])
        return lower + (Double(found[index * 2 + 1]) - lower) * fraction
    }
    return (interpolate(0), interpolate(1))
}

/// The q-quantile of sorted values by linear interpolation between closest ranks.
func quantile(_ sorted: UnsafeBufferPointer<Int32>, _ q: Double) -> Double {
    guard !sorted.isEmpty else { return .nan }
    let position = q * Double(sorted.count - 1)
    let lower = Int(position.rounded(.down))
    let upper = min(lower + 1, sorted.count - 1)
    let fraction = position - Double(lower)
    return Double(sorted[lower]) + (Double(sorted[upper]) - Double(sorted[lower])) * fraction
}

/// One (user, department) pair of the proposer ranking, in code space.
struct ProposerEntry: Hashable {
    var user: UInt32
    var dept: UInt32
    var count: Int
    var passed: Int
}

/// Per-worker proposer counts: each user's first department in dense arrays, other departments (rare) in a list.
final class ProposerState {
    /// One user's first department and its totals, together so a row touches one cache line, not three.
    struct Slot {
        var dept: UInt32 = ProposerState.unset
        var count: UInt32 = 0
        var passed: UInt32 = 0
    }

    static let unset = UInt32.max
    let users: Int
    let slots: UnsafeMutableBufferPointer<Slot>
    var extra: [ProposerEntry] = []

    init(users: Int) {
        self.users = users
        slots = .allocate(capacity: max(users, 1))
        slots.initialize(repeating: Slot())
    }

    deinit {
        slots.deallocate()
    }

    @inline(__always)
    func add(user: UInt32, dept deptCode: UInt32, agreed: Int) {
        let index = Int(user)
        var slot = slots[index]
        if slot.dept == Self.unset { slot.dept = deptCode }
        if slot.dept == deptCode {
            slot.count &+= 1
            slot.passed &+= UInt32(truncatingIfNeeded: agreed)
            slots[index] = slot
        } else {
            extra.append(ProposerEntry(user: user, dept: deptCode, count: 1, passed: agreed))
        }
    }

    func combine(_ other: ProposerState) {
        for user in 0..<users where other.slots[user].count > 0 {
            let theirs = other.slots[user]
            if slots[user].dept == Self.unset || slots[user].dept == theirs.dept {
                slots[user].dept = theirs.dept
                slots[user].count &+= theirs.count
                slots[user].passed &+= theirs.passed
            } else {
                extra.append(
                    ProposerEntry(
                        user: UInt32(user),
                        dept: theirs.dept,
                        count: Int(theirs.count),
                        passed: Int(theirs.passed)
                    )
                )
            }
        }
        extra.append(contentsOf: other.extra)
    }

    /// Every (user, department) pair with its totals.
    func entries() -> [ProposerEntry] {
        var merged: [UInt64: ProposerEntry] = [:]
        for entry in extra {
            let key = UInt64(entry.user) << 32 | UInt64(entry.dept)
            merged[key, default: ProposerEntry(user: entry.user, dept: entry.dept, count: 0, passed: 0)].count +=
                entry.count
            merged[key]!.passed += entry.passed
        }
        var result: [ProposerEntry] = []
        for user in 0..<users where slots[user].count > 0 {
            let slot = slots[user]
            var entry = ProposerEntry(
                user: UInt32(user),
                dept: slot.dept,
                count: Int(slot.count),
                passed: Int(slot.passed)
            )
            if let other = merged.removeValue(forKey: UInt64(user) << 32 | UInt64(slot.dept)) {
                entry.count += other.count
                entry.passed += other.passed
            }
            result.append(entry)
        }
        result.append(contentsOf: merged.values)
        return result
    }
}

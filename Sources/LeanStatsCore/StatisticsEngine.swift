import Foundation
import Synchronization

/// Answers the statistics of `docs/definitions.md` over one ``InstanceTable`` in one time zone.
///
/// Creating an engine derives the per-row processing days, each user's latest name and the numeric value of each
/// benefit-field entry once (O(n)); every query afterwards finds its rows by binary search on the creation time and
/// runs a parallel kernel over that range. The engine is immutable and safe to share between threads.
public final class StatisticsEngine: Sendable {
    /// The default label of the numeric form field that `benefit_sum` adds up.
    public static let defaultBenefitField = "预计收益(元)"
    /// The `by dept` group of instances without a department name, so that the groups add up to the total.
    public static let missingDeptLabel = "未填部门"
    /// The `by category` group of instances without a `提案类别`, so that the groups add up to the total.
    public static let missingCategoryLabel = "未分类"

    /// The data.
    public let table: InstanceTable
    /// The zone that defines days and months.
    public let clock: ZoneClock
    /// How the kernels split work.
    public let options: KernelOptions
    /// Each day's first row, for periods and creation days without the creation times.
    let days: DayIndex
    /// The form field that `benefit_sum` adds up.
    public let benefitField: String
    /// Processing days and flag bytes per row, derived on first use (a query that reads neither, such as one
    /// `overview` with a filter, never pays for them).
    let derivedCache = Locked<DerivedRows?>(nil)
    /// Each user's latest name and first department, and each row's place in the proposer ranking, built on
    /// first use.
    let proposers = Locked<ProposerIndex?>(nil)
    /// The rankable rows partitioned by (user, department name) pair, built on the first unfiltered `top N`.
    let partitions = Locked<ProposerPartitions?>(nil)
    /// Counter tables for the proposer partitions, reused between queries.
    let counterPool = CounterPool()
    /// Slot tables for `by user` over a few users, reused between queries.
    let userSlotPool: SlotTablePool
    /// The category codes, or an all-missing column when no instance has a category.
    let categoryCodes: CodeArray
    let categoryDictionary: StringDictionary
    /// ``benefitValues()`` once read.
    private let benefitCache = Locked<BenefitValues?>(nil)
    /// Previous-occurrence columns for distinct counts over unfiltered row ranges, built on first use.
    private let occurrences = Locked<PreviousOccurrences?>(nil)
    /// The department ids present in each block of rows, for distinct department counts, built on first use (the
    /// inner `nil`: too many department ids, so the previous-occurrence column counts them).
    private let departmentBlocks = Locked<BlockPresence??>(nil)
    /// The same per group of a grouping (keyed by the grouping's description): previous row with the same
    /// (user, group), and, once a query of the grouping counts departments, with the same (dept id, group).
    private let groupPairs = Locked<[String: PreviousOccurrences]>([:])
    /// Rows of a grouping packed for histograms over all history, by the grouping's description (and `|first`
    /// when they mark first rows).
    let packedGroups = Locked<[String: PackedGroupRows]>([:])
    /// ``userIdRanks()`` once built.
    private let userIdRankCache = Locked<[Int32]?>(nil)
    /// Fingerprints of the user ids and the user names, built on the first `user=` filter value looked up.
    private let userFingerprints = Locked<(ids: DictionaryFingerprints, names: DictionaryFingerprints)?>(nil)
    /// Each user's rows, built on the first `user=` query of an engine that builds indexes.
    let userRows = Locked<CodeRowIndex?>(nil)
    /// Each department name's rows, built on the first `dept=` query of an engine that builds indexes.
    let deptRows = Locked<CodeRowIndex?>(nil)
    /// ``unnamedUserRows()`` once built.
    let unnamedRows = Locked<[Int32]?>(nil)
    /// ``openRows()`` once built.
    let openRowsCache = Locked<[Int32]?>(nil)
    /// ``monthlyTotals(_:codes:groupCount:)`` once built, by the grouping's description (`nil`: too many cells).
    let monthlyTotalsCache = Locked<[String: MonthlyTotals?]>([:])
    /// ``outcomeCube(_:)`` once built, by column (`nil`: too many cells).
    let outcomeCubes = Locked<[FilterColumn: OutcomeCube?]>([:])
    /// ``daysBounds()`` once found (the inner `nil`: no instance has processing days).
    let daysBoundsCache = Locked<(low: Int32, high: Int32)??>(nil)
    /// Each grouping's histograms of processing days over all history (a counter per group and day), by the
    /// grouping's description, kept by the first query for their percentiles
    /// (``daysPercentiles(rows:key:groupCount:filter:grouping:)``).
    let wholeHistoryDayHistograms = Locked<[String: [Int32]]>([:])
    /// ``monthlyDayHistograms()`` once built (the inner `nil`: no processing days, or too many counters).
    let monthlyDayHistogramsCache = Locked<MonthlyDayHistograms??>(nil)

    /// Whether the previous-occurrence columns are built.
    var hasPreviousOccurrences: Bool { occurrences.withLock { $0 != nil } }
    /// Whether the pair previous-occurrence columns of a grouping (by its description) are built: the users' column,
    /// and with `departments` also the department ids' one.
    func hasPairOccurrences(_ pairKey: String, departments: Bool = false) -> Bool {
        groupPairs.withLock { $0[pairKey].map { !departments || !$0.dept.isEmpty } ?? false }
    }
    /// Whether the proposer partitions are built.
    var hasProposerPartitions: Bool { partitions.withLock { $0 != nil } }

    /// Marks rows that do not count for processing time.
    static let noDays = Int32.min

    /// Prepares an engine.
    /// - Parameters:
    ///   - table: the data.
    ///   - clock: the zone that defines days and months.
    ///   - options: how the kernels split work.
    ///   - benefitField: the numeric form field `benefit_sum` adds up.
    /// - Complexity: O(n) over the rows.
    public init(
        table: InstanceTable,
        clock: ZoneClock,
        options: KernelOptions = .default,
        benefitField: String = StatisticsEngine.defaultBenefitField
    ) {
        self.table = table
        self.clock = clock
        self.options = options
        days = DayIndex(times: table.createTime, clock: clock)
        self.benefitField = benefitField
        let rows = table.rowCount
        let missing = { CodeArray.u8([UInt8](repeating: 0, count: rows)) }
        categoryCodes = table.category?.codes ?? missing()
        categoryDictionary = table.category?.dictionary ?? StringDictionary()
        userSlotPool = SlotTablePool(size: table.userId.dictionary.count)
    }

    /// The benefit field's codes and amounts, read from the table on the first query that sums them.
    func benefitValues() -> BenefitValues {
        if let built = benefitCache.withLock({ $0 }) { return built }
        let built = BenefitValues(table.formColumn(named: benefitField), rows: table.rowCount)
        return benefitCache.withLock { cached in
            if cached == nil { cached = built }
            return cached!
        }
    }

    /// The rows whose creation day lies in `period` (all rows for `nil`).
    /// - Complexity: O(log n).
    public func rowRange(for period: DayRange?) -> Range<Int> {
        guard let period else { return 0..<table.rowCount }
        guard period.first <= period.last else { return 0..<0 }
        let low = days.firstRow(onOrAfterDay: period.first)
        let high = days.firstRow(onOrAfterDay: period.last + 1)
        return low..<max(low, high)
    }

    /// The creation day of a row in the engine's zone.
    /// - Complexity: O(log days).
    public func creationDay(ofRow row: Int) -> Int { days.day(ofRow: row) }

    /// The user's most recent name, falling back to the id.
    public func latestName(ofUserCode code: UInt32) -> String? {
        table.userName.dictionary[proposerIndex().latestName[Int(code)]]
    }

    /// Every user's most recent name (what `by user` shows and `user=` accepts), each once, in UTF-8 byte order.
    /// - Complexity: O(users), after the proposer index is built (O(n) once per table).
    public func latestUserNames() -> [String] {
        let dictionary = table.userName.dictionary
        let latest = proposerIndex().latestName
        let codes = Set((1..<max(latest.count, 1)).map { latest[$0] })
        return codes.compactMap { $0 == 0 ? nil : dictionary[$0] }.filter { !$0.isEmpty }.sorted {
            $0.utf8.lexicographicallyPrecedes($1.utf8)
        }
    }

    /// The department name of the user's most recent instance in the whole store, `nil` when it has none.
    public func latestDept(ofUserCode code: UInt32) -> String? {
        table.deptName.dictionary[proposerIndex().latestDept[Int(code)]]
    }

    // MARK: - Statistics

    /// `overview` and `efficiency`: all statistics of the instances in `period` that pass `filter`.
    public func overview(
        period: DayRange?,
        filter: StatisticsFilter = .none,
        options: StatisticsOptions = .standard
    ) -> GroupStatistics {
        guard let resolved = resolve(filter) else { return empty("", options) }
        return single(rows: rowRange(for: period), key: "", filter: resolved, options: options)
    }

    /// `by DIM`: the statistics of each group, in the order `docs/definitions.md` §6 gives (count descending then
    /// key in UTF-8 order; calendar buckets ascending).
    /// - Parameter distinct: whether to compute `participants` and `depts` (skipping them is faster).
    public func grouped(
        by dimension: Dimension,
        period: DayRange?,
        filter: StatisticsFilter = .none,
        distinct: Bool = true
    ) -> [GroupStatistics] {
        grouped(
            by: .dimension(dimension),
            period: period,
            filter: filter,
            options: distinct ? .standard : [.processing, .outcomes]
        )
    }

    /// `by DIM` or `by field:NAME`: the statistics of each group, ordered as `docs/definitions.md` §6 says (count
    /// descending then key in UTF-8 order; calendar buckets ascending).
    /// - Parameters:
    ///   - ranking: another order, by a figure of each group; the default order breaks its ties.
    ///   - limit: the most groups to return (the first ones in the order), `nil` for all; `by user … limit 10` then
    ///     sorts flat arrays and names ten proposers instead of every one.
    public func grouped(
        by grouping: GroupingKey,
        period: DayRange?,
        filter: StatisticsFilter = .none,
        options: StatisticsOptions = .standard,
        ranking: GroupRanking? = nil,
        limit: Int? = nil
    ) -> [GroupStatistics] {
        guard let resolved = resolve(filter) else { return [] }
        let rows = rowRange(for: period)
        let pairKey = "\(grouping)"
        // The limit cuts the default order only without a ranking, which must see every group first.
        let defaultCut = ranking == nil ? limit : nil
        let plan = plan(
            .grouped(pairKey: pairKey, isUser: grouping == .dimension(.user), column: FilterColumn(grouping)),
            rows: rows,
            filter: resolved,
            options: options
        )
        // The group number of a `by user` group is its user code, or its slot when only a few users' rows are
        // visited (``UserSlots``); `userRanks` orders the groups by user id in UTF-8 order.
        var userCode: (Int) -> UInt32 = { UInt32($0) }
        var userRanks: () -> [Int32] = { self.userIdRanks() }
        let key: GroupKey
        let groupCount: Int
        let label: (Int) -> (key: String, userId: String?)
        switch grouping {
        case .dimension(let dimension) where dimension.isCalendar:
            let buckets = calendarBuckets(dimension, rows: rows, filter: resolved, options: options)
            guard let ranking else { return buckets }
            let values = buckets.map(ranking.value)
            return Self.ranked(Array(buckets.indices), values: values, descending: ranking.descending, limit: limit)
                .map { buckets[$0] }
        case .dimension(.dept):
            key = .deptName
            groupCount = columnGrouping(.dept).groupCount
            label = { (self.table.deptName.dictionary[UInt32($0)] ?? Self.missingDeptLabel, nil) }
        case .dimension(.category):
            key = .form(categoryCodes, keepsMissing: true)
            groupCount = columnGrouping(.category).groupCount
            label = { (self.categoryDictionary[UInt32($0)] ?? Self.missingCategoryLabel, nil) }
        case .dimension(.user):
            if let slots = userSlots(plan.rows, filter: resolved) {
                key = .userSlots(slots)
                groupCount = slots.users.count
                userCode = { slots.users[$0] }
                userRanks = { self.userIdRanks(of: slots.users) }
            } else {
                key = .user
                groupCount = table.userId.dictionary.count
            }
            label = { group in
                let code = userCode(group)
                let id = self.table.userId.dictionary[code] ?? ""
                return (self.latestName(ofUserCode: code) ?? id, id)
            }
        case .dimension(.status):
            key = .status
            groupCount = columnGrouping(.status).groupCount
            label = { (InstanceStatus(rawValue: UInt8($0))?.code ?? "", nil) }
        case .dimension(.result):
            key = .result
            groupCount = columnGrouping(.result).groupCount
            label = { (InstanceResult(rawValue: UInt8($0))?.code ?? "", nil) }
        case .dimension:
            preconditionFailure("calendar dimensions are handled above")
        case .field(let name):
            guard let column = table.formColumn(named: name) else { return [] }
            key = .form(column.codes, keepsMissing: false)
            groupCount = column.dictionary.count
            label = { (column.dictionary[UInt32($0)] ?? "", nil) }
        }
        // Worked out at most once per query: the selection of the top users and the final order both read them.
        var knownUserRanks: [Int32]?
        func userIdOrder() -> [Int32] {
            if knownUserRanks == nil { knownUserRanks = userRanks() }
            return knownUserRanks!
        }
        let finalized: [(group: Int, statistics: GroupStatistics)]
        var groups: [GroupStatistics]
        // Rows listed as exactly the open instances that pass: a query of counts and open ages only takes the
        // groups' counts and agreements from the open-age pass, one pass instead of two.
        let openCounts =
            plan.rows.passesFilter && resolved.openOnly && options.isSubset(of: .openAge)
            ? openAges(rows: plan.rows, key: key, groupCount: groupCount, filter: resolved, agreements: true) : nil
        let cubed = plan.cube.flatMap { cube in
            cubeTotals(
                cube,
                rows: rows,
                filter: resolved,
                grouping: FilterColumn(grouping),
                key: key,
                groupCount: groupCount,
                options: options
            )
        }
        let monthly =
            plan.fromMonths
            ? groupCodes(key).flatMap { codes in
                monthlyTotals(
                    pairKey,
                    of: rows,
                    groupCount: groupCount,
                    benefit: options.contains(.benefit),
                    scan: { self.monthScan($0, codes: codes, groupCount: groupCount) },
                    benefitScan: { self.benefitTotals($0, codes: codes, groupCount: groupCount) }
                )
            } : nil
        if plan.kernel == .rangeTotals || plan.kernel == .packedHistogram || plan.kernel == .groupedFilterScan
            || monthly != nil || openCounts != nil || cubed != nil,
            let codes = groupCodes(key)
        {
            var totals: [RangeTotals]
            if let cubed {
                totals = cubed
            } else if plan.kernel == .groupedFilterScan, let column = resolved.cubeColumn(grouping: nil) {
                totals = groupedUnderCubeFilter(
                    plan.rows,
                    filter: resolved,
                    column: column,
                    groups: codes,
                    groupCount: groupCount,
                    departments: options.contains(.departments)
                )
            } else if let openCounts {
                totals = openCounts.open.indices.map { group in
                    var totals = RangeTotals()
                    totals.count = openCounts.open[group]
                    totals.agree = openCounts.agreed[group]
                    return totals
                }
            } else if let monthly {
                // Without a filter every group; with one of the grouping's column, the groups it admits.
                totals = monthly
                if !resolved.isEmpty {
                    for group in totals.indices where !resolved.admits(soleColumnCode: UInt32(group)) {
                        totals[group] = RangeTotals()
                    }
                }
            } else if plan.kernel == .packedHistogram,
                let packed = packedGroupRows(
                    pairKey,
                    codes: codes,
                    groupCount: groupCount,
                    firstRows: options.contains(.distinct)
                )
            {
                totals = packedGroupTotals(rows: rows, packed: packed, groupCount: groupCount)
            } else {
                totals = unfilteredGroupTotals(
                    rows: rows,
                    codes: codes,
                    groupCount: groupCount,
                    processing: options.contains(.processing),
                    outcomes: options.contains(.outcomes),
                    pairs: plan.distinctByOccurrences
                        ? pairOccurrences(pairKey, groups: codes, departments: options.contains(.departments))
                        : nil,
                    departments: options.contains(.departments)
                )
            }
            finalized = ((key.keepsMissing ? 0 : 1)..<max(groupCount, 1)).compactMap { group in
                guard totals[group].count > 0 else { return nil }
                let name = label(group)
                var statistics = totals[group].statistics(key: name.key, options: options)
                statistics.userId = name.userId
                return (group, statistics)
            }
            groups = finalized.map(\.statistics)
        } else {
            let state =
                plan.kernel == .proposerPartitions
                ? userTotals(rows: rows, groupCount: groupCount)
                : aggregate(
                    rows: plan.rows,
                    key: key,
                    groupCount: groupCount,
                    filter: resolved,
                    options: plan.distinctByOccurrences ? options.subtracting([.distinct, .departments]) : options
                )
            // A group per proposer: users are ordered by count and id rank, so with a small limit only the groups
            // it keeps are finished, and their names are looked up below.
            if grouping == .dimension(.user) {
                let unnamed: (Int) -> (key: String, userId: String?) = { _ in ("", nil) }
                if let limit = defaultCut, limit <= Self.userTopSelectionLimit {
                    finalized = state.finalize(groups: state.top(limit, rank: userIdOrder()), key: unnamed)
                } else if let ranking, let limit, limit <= Self.userTopSelectionLimit,
                    options.isDisjoint(with: [.percentiles, .openAge])
                {
                    // Every figure the ranking can read is in the state: only the groups kept are finished.
                    finalized = state.finalize(groups: state.top(limit, by: ranking, rank: userIdOrder()), key: unnamed)
                } else {
                    finalized = state.finalize(key: unnamed)
                }
            } else {
                finalized = state.finalize(key: label)
            }
            groups = finalized.map(\.statistics)
            if plan.distinctByOccurrences {
                let departments = options.contains(.departments)
                let counts = distinctPairCounts(
                    in: rows,
                    groupCount: groupCount,
                    groups: codes(of: key),
                    pairs: pairOccurrences(pairKey, groups: codes(of: key), departments: departments),
                    departments: departments
                )
                for (index, entry) in finalized.enumerated() {
                    if options.contains(.distinct) { groups[index].participants = counts.users[entry.group] }
                    if departments { groups[index].depts = counts.depts[entry.group] }
                }
            }
        }
        if options.contains(.percentiles) {
            let percentiles = daysPercentiles(
                rows: plan.rows,
                key: key,
                groupCount: groupCount,
                filter: resolved,
                grouping: pairKey
            )
            for (index, entry) in finalized.enumerated() {
                groups[index].p50Days = percentiles[entry.group]?.p50
                groups[index].p90Days = percentiles[entry.group]?.p90
            }
        }
        if options.contains(.openAge), cubed == nil {
            let ages = openCounts ?? openAges(rows: plan.rows, key: key, groupCount: groupCount, filter: resolved)
            for (index, entry) in finalized.enumerated() {
                groups[index].open = ages.open[entry.group]
                groups[index].openCreatedDays = ages.createdDays[entry.group]
            }
        }
        // Sorts positions by flat arrays, not the statistics themselves: copying a large value out of the array at
        // every comparison costs more than the whole kernel of a one-month query, and `by user` has a group per
        // proposer. Users compare by the rank of their id in UTF-8 order, worked out once per engine.
        var order: [Int]
        if grouping == .dimension(.user) {
            let ranks = userIdOrder()
            var keyed = finalized.enumerated().map { index, entry in
                (count: groups[index].count, rank: ranks[entry.group], index: index)
            }
            keyed.sort { $0.count != $1.count ? $0.count > $1.count : $0.rank < $1.rank }
            order = keyed.prefix(defaultCut ?? keyed.count).map(\.index)
        } else {
            let counts = groups.map(\.count)
            let names = groups.map(\.key)
            order = Array(
                counts.indices.sorted { left, right in
                    if counts[left] != counts[right] { return counts[left] > counts[right] }
                    return utf8Precedes(names[left], names[right])
                }.prefix(defaultCut ?? counts.count)
            )
        }
        if let ranking {
            order = Self.ranked(order, values: groups.map(ranking.value), descending: ranking.descending, limit: limit)
        }
        return order.map { index in
            var group = groups[index]
            if grouping == .dimension(.user) {
                (group.key, group.userId) = label(finalized[index].group)
                group.userDept = latestDept(ofUserCode: userCode(finalized[index].group))
            }
            return group
        }
    }

    /// `order` (positions in the default order) reordered by `values`, larger first when `descending`; positions
    /// without a value last, ties in the default order; cut to `limit`.
    private static func ranked(_ order: [Int], values: [Double?], descending: Bool, limit: Int?) -> [Int] {
        var place = [Int](repeating: 0, count: values.count)
        for (rank, index) in order.enumerated() { place[index] = rank }
        let sorted = order.sorted { left, right in
            switch (values[left], values[right]) {
            case (let a?, let b?) where a != b: return descending ? a > b : a < b
            case (nil, _?): return false
            case (_?, nil): return true
            default: return place[left] < place[right]
            }
        }
        return Array(sorted.prefix(limit ?? sorted.count))
    }

    /// The largest `by user` limit answered by selecting the top groups before finishing them (a larger one sorts
    /// every group).
    static let userTopSelectionLimit = 1000

    /// The slots of a `by user` over listed rows: the users a filter names, or the proposers of the rows when they
    /// are fewer than the table's users; `nil` to group by every user code.
    /// - Complexity: O(listed rows).
    private func userSlots(_ rows: RowSelection, filter: ResolvedFilter) -> UserSlots? {
        guard let listed = rows.listed else { return nil }
        if let users = filter.users { return UserSlots(users: users, pool: userSlotPool) }
        guard listed.count < table.userId.dictionary.count else { return nil }
        return table.userId.codes.withCodeBuffer { UserSlots(usersOf: listed, codes: $0, pool: userSlotPool) }
    }

    /// The rank of each of some user codes among them when their ids are in UTF-8 order: from the table's ranks
    /// (``userIdRanks()``) when built or when the users are many, else by sorting their ids.
    private func userIdRanks(of users: [UInt32]) -> [Int32] {
        if users.count > Self.sortedUserIdsLimit || userIdRankCache.withLock({ $0 != nil }) {
            let ranks = userIdRanks()
            return users.map { ranks[Int($0)] }
        }
        let ids = users.map { table.userId.dictionary[$0] ?? "" }
        var ranks = [Int32](repeating: 0, count: users.count)
        for (rank, group) in ids.indices.sorted(by: { utf8Precedes(ids[$0], ids[$1]) }).enumerated() {
            ranks[group] = Int32(rank)
        }
        return ranks
    }

    /// The most users whose ids are sorted for one query before the table's ranks are built instead.
    static let sortedUserIdsLimit = 4096

    /// The rank of each user-id code when the ids are in UTF-8 order (code 0, no id, first); built on first use.
    /// - Complexity: O(u log u) once for u user ids, then O(1).
    private func userIdRanks() -> [Int32] {
        userIdRankCache.withLock { cached in
            if let cached { return cached }
            // Compares the dictionary's UTF-8 bytes in place (as `utf8Precedes` orders the strings), so a million
            // ids are ranked without making a million strings.
            let dictionary = table.userId.dictionary
            var order = Array(0..<max(dictionary.count, 1))
            dictionary.bytes.withUnsafeBufferPointer { bytes in
                dictionary.offsets.withUnsafeBufferPointer { offsets in
                    let base = bytes.baseAddress
                    order.sort { left, right in
                        let leftCount = offsets[left + 1] - offsets[left]
                        let rightCount = offsets[right + 1] - offsets[right]
                        let common = min(leftCount, rightCount)
                        let order = common == 0 ? 0 : memcmp(base! + offsets[left], base! + offsets[right], common)
                        return order != 0 ? order < 0 : leftCount < rightCount
                    }
                }
            }
            var ranks = [Int32](repeating: 0, count: order.count)
            for (rank, code) in order.enumerated() { ranks[code] = Int32(rank) }
            cached = ranks
            return ranks
        }
    }

    /// `by month|quarter|year`: each bucket with instances is a contiguous row range; each runs the ungrouped
    /// kernel, or, under a filter an outcome cube answers, adds up the cube's cells.
    private func calendarBuckets(
        _ dimension: Dimension,
        rows: Range<Int>,
        filter: ResolvedFilter,
        options: StatisticsOptions
    ) -> [GroupStatistics] {
        // One department name's proposers and departments come from its pair columns, the rest from the cube.
        let distinctFigures: StatisticsOptions = [.distinct, .departments]
        let additive =
            options.isDisjoint(with: distinctFigures) || oneDepartmentPairs(filter) == nil
            ? nil : self.plan(.calendar, rows: rows, filter: filter, options: options.subtracting(distinctFigures))
        let cubeWithPairs = additive?.cube == nil ? nil : additive
        let plan = cubeWithPairs ?? self.plan(.calendar, rows: rows, filter: filter, options: options)
        let buckets = calendarBucketRanges(dimension, rows: rows, listed: plan.rows.listed)
        if let cube = plan.cube {
            return cubeBuckets(
                buckets,
                cube: cube,
                filter: filter,
                options: options,
                distinctInOneDepartment: cubeWithPairs != nil
            )
        }
        if plan.rows.listed != nil {
            // Each bucket's listed rows are few: the buckets, not their rows, are shared among the workers.
            var results = [GroupStatistics?](repeating: nil, count: buckets.count)
            results.withUnsafeMutableBufferPointer { results in
                let shared = UnsafeTransfer(value: results)
                let workers = min(max(self.options.workers, 1), buckets.count)
                DispatchQueue.concurrentPerform(iterations: workers) { worker in
                    for index in stride(from: worker, to: buckets.count, by: workers) {
                        let bucket = buckets[index]
                        shared.value[index] = filtered(
                            plan.rows.restricted(to: bucket.rows),
                            key: bucket.key,
                            filter: filter,
                            options: options
                        )
                    }
                }
            }
            return results.compactMap { $0 }.filter { $0.count > 0 }
        }
        guard plan.kernel == .rangeTotals && buckets.count > 1 else {
            return buckets.map { single(rows: $0.rows, key: $0.key, filter: filter, options: options) }
                .filter { $0.count > 0 }
        }
        // Many buckets without a filter: each bucket is one worker's task, its distinct values counted from the
        // previous-occurrence columns against the bucket's own first row.
        let occurrences = plan.distinctByOccurrences ? previousOccurrences() : nil
        let processing = options.contains(.processing)
        let presence = options.contains(.departments) && occurrences != nil ? departmentPresence() : nil
        let departments = options.contains(.departments) && presence == nil
        var totals = [RangeTotals](repeating: RangeTotals(), count: buckets.count)
        withUnfilteredColumns { columns in
            withOccurrenceBuffers(occurrences) { buffers in
                totals.withUnsafeMutableBufferPointer { totals in
                    let shared = UnsafeTransfer(value: (totals, buffers))
                    let ranges = buckets.map(\.rows)
                    let work: @Sendable (Int) -> Void = { index in
                        let (totals, buffers) = shared.value
                        let range = ranges[index]
                        totals[index] = Self.rangeTotals(
                            range,
                            columns,
                            processing: processing,
                            occurrences: buffers,
                            departments: departments,
                            low: Int32(truncatingIfNeeded: range.lowerBound)
                        )
                    }
                    if self.options.workers == 1 {
                        for index in buckets.indices { work(index) }
                    } else {
                        DispatchQueue.concurrentPerform(iterations: buckets.count, execute: work)
                    }
                }
            }
        }
        if let presence {
            for index in buckets.indices { totals[index].depts = presence.distinct(in: buckets[index].rows) }
        }
        var result: [GroupStatistics] = []
        for (index, bucket) in buckets.enumerated() where totals[index].count > 0 {
            var statistics = totals[index].statistics(key: bucket.key, options: options)
            addPercentilesAndOpenAge(to: &statistics, rows: RowSelection(bucket.rows), filter: filter, options: options)
            result.append(statistics)
        }
        return result
    }

    /// The buckets of `by month|quarter|year` over some rows: each a contiguous row range and its key. With `listed`
    /// rows, a bucket starts at the next listed row, so buckets without one are skipped.
    private func calendarBucketRanges(
        _ dimension: Dimension,
        rows: Range<Int>,
        listed: [Int32]?
    ) -> [(rows: Range<Int>, key: String)] {
        let months = dimension == .month ? 1 : (dimension == .quarter ? 3 : 12)
        var buckets: [(rows: Range<Int>, key: String)] = []
        var nextListed = 0
        var start = rows.lowerBound
        if let listed { start = listed.first.map { Int($0) } ?? rows.upperBound }
        while start < rows.upperBound {
            let date = CivilDate(dayNumber: days.day(ofRow: start))
            let first = (date.month - 1) / months * months  // zero-based first month of the bucket
            let next =
                first + months >= 12
                ? CivilDate(year: date.year + 1, month: 1, day: 1)
                : CivilDate(year: date.year, month: first + months + 1, day: 1)
            let end = max(
                min(days.firstRow(onOrAfterDay: next.dayNumber), rows.upperBound),
                start + 1
            )
            let key: String
            switch dimension {
            case .quarter: key = "\(date.year)-Q\(first / 3 + 1)"
            case .year: key = String(date.year)
            default: key = date.monthText
            }
            buckets.append((start..<end, key))
            start = end
            if let listed {
                while nextListed < listed.count && Int(listed[nextListed]) < end { nextListed += 1 }
                start = nextListed < listed.count ? Int(listed[nextListed]) : rows.upperBound
            }
        }
        return buckets
    }

    /// `by month|quarter|year` under a filter an outcome cube answers: each bucket adds up the cube's cells over its
    /// whole months (or, with none, runs as one group); with `distinctInOneDepartment`, proposers and departments
    /// of the filter's one department name come from the department grouping's pair columns.
    private func cubeBuckets(
        _ buckets: [(rows: Range<Int>, key: String)],
        cube: OutcomeCube,
        filter: ResolvedFilter,
        options: StatisticsOptions,
        distinctInOneDepartment: Bool
    ) -> [GroupStatistics] {
        let additive = options.subtracting([.distinct, .departments])
        let totals = cubeTotals(
            cube,
            ranges: buckets.map(\.rows),
            filter: filter,
            grouping: nil,
            key: .single,
            groupCount: 1,
            options: additive
        )
        let distinct =
            distinctInOneDepartment
            ? self.distinctInOneDepartment(
                buckets: buckets.map(\.rows),
                filter: filter,
                departments: options.contains(.departments)
            ) : nil
        var result: [GroupStatistics] = []
        for (index, bucket) in buckets.enumerated() {
            var statistics =
                totals[index].map { $0[0].statistics(key: bucket.key, options: additive) }
                ?? single(rows: bucket.rows, key: bucket.key, filter: filter, options: additive)
            guard statistics.count > 0 else { continue }
            if let distinct {
                if options.contains(.distinct) { statistics.participants = distinct[index].users }
                if options.contains(.departments) { statistics.depts = distinct[index].depts }
            }
            result.append(statistics)
        }
        return result
    }

    /// The statistics of one row range as a single group.
    private func single(
        rows: Range<Int>,
        key: String,
        filter: ResolvedFilter,
        options: StatisticsOptions
    )
        -> GroupStatistics
    {
        let plan = plan(.single, rows: rows, filter: filter, options: options)
        if let cube = plan.cube,
            let totals = cubeTotals(
                cube,
                rows: rows,
                filter: filter,
                grouping: nil,
                key: .single,
                groupCount: 1,
                options: options
            )
        {
            return totals[0].statistics(key: key, options: options)
        }
        if plan.fromMonths, let totals = singleMonthlyTotals(rows, filter: filter, benefit: options.contains(.benefit))
        {
            var statistics = totals.statistics(key: key, options: options)
            addPercentilesAndOpenAge(to: &statistics, rows: plan.rows, filter: filter, options: options)
            return statistics
        }
        // Proposers and departments of one department name from its pair columns, or under a filter an outcome cube
        // answers from the filter scan.
        let distinctFigures: StatisticsOptions = [.distinct, .departments]
        let departments = options.contains(.departments)
        if !options.isDisjoint(with: distinctFigures),
            let counts = distinctInOneDepartment(plan.rows, filter: filter, departments: departments)
                ?? (plan.kernel == .cubeFilterScan
                    ? filter.cubeColumn(grouping: nil).map { column in
                        distinctUnderCubeFilter(rows, filter: filter, column: column, departments: departments)
                    } : nil)
        {
            // The other figures without a row scan where the outcome cubes or monthly totals hold them.
            var statistics = single(rows: rows, key: key, filter: filter, options: options.subtracting(distinctFigures))
            if options.contains(.distinct) { statistics.participants = counts.users }
            if departments { statistics.depts = counts.depts }
            return statistics
        }
        guard plan.kernel == .rangeTotals || plan.distinctByOccurrences else {
            return filtered(plan.rows, key: key, filter: filter, options: options)
        }
        var statistics: GroupStatistics
        if plan.kernel == .rangeTotals {
            let totals = parallelRangeTotals(
                rows,
                processing: options.contains(.processing),
                occurrences: plan.distinctByOccurrences ? previousOccurrences() : nil,
                departments: options.contains(.departments)
            )
            statistics = totals.statistics(key: key, options: options)
            addPercentilesAndOpenAge(to: &statistics, rows: plan.rows, filter: filter, options: options)
        } else {
            statistics = filtered(
                plan.rows,
                key: key,
                filter: filter,
                options: options.subtracting([.distinct, .departments])
            )
            let departments = options.contains(.departments)
            let counts = distinctCounts(in: rows, occurrences: previousOccurrences(), departments: departments)
            if options.contains(.distinct) { statistics.participants = counts.users }
            if departments { statistics.depts = counts.depts }
        }
        return statistics
    }

    /// The additive totals of `rows` as one group from monthly totals (see ``MonthlyTotals``): the whole table's
    /// without a filter, else the sum of the groups of the filter's ``ResolvedFilter/soleColumn`` that it admits;
    /// `nil` when the rows hold no whole month or the engine keeps no monthly totals.
    private func singleMonthlyTotals(_ rows: Range<Int>, filter: ResolvedFilter, benefit: Bool) -> RangeTotals? {
        guard let column = filter.soleColumn else {
            return monthlyTotals(
                "single",
                of: rows,
                groupCount: 1,
                benefit: true,
                scan: { [self.parallelRangeTotals($0, processing: true, occurrences: nil, departments: false)] },
                benefitScan: { self.benefitTotals($0, codes: nil, groupCount: 1) }
            )?.first
        }
        let grouping = columnGrouping(column)
        guard
            let groups = monthlyTotals(
                grouping.pairKey,
                of: rows,
                groupCount: grouping.groupCount,
                benefit: benefit,
                scan: { self.monthScan($0, codes: grouping.codes, groupCount: grouping.groupCount) },
                benefitScan: { self.benefitTotals($0, codes: grouping.codes, groupCount: grouping.groupCount) }
            )
        else { return nil }
        var totals = RangeTotals()
        for group in groups.indices where filter.admits(soleColumnCode: UInt32(group)) { totals.add(groups[group]) }
        return totals
    }

    /// The grouping whose groups are the codes of a filter column: its description (the key of its monthly totals),
    /// its codes and its number of groups, as `by dept|category|status|result` group.
    func columnGrouping(_ column: FilterColumn) -> (pairKey: String, codes: CodeArray, groupCount: Int) {
        switch column {
        case .dept:
            ("\(GroupingKey.dimension(.dept))", table.deptName.codes, max(table.deptName.dictionary.count, 1))
        case .category: ("\(GroupingKey.dimension(.category))", categoryCodes, max(categoryDictionary.count, 1))
        case .status: ("\(GroupingKey.dimension(.status))", .u8(table.status), 6)
        case .result: ("\(GroupingKey.dimension(.result))", .u8(table.result), 3)
        }
    }

    /// The statistics of some rows as a single group, from the general kernel.
    private func filtered(
        _ rows: RowSelection,
        key: String,
        filter: ResolvedFilter,
        options: StatisticsOptions
    ) -> GroupStatistics {
        let state = aggregate(rows: rows, key: .single, groupCount: 1, filter: filter, options: options)
        var statistics = state.statistics(
            of: 0,
            key: (key, nil),
            userCounts: state.users?.counts(),
            deptCounts: state.depts?.counts()
        )
        addPercentilesAndOpenAge(to: &statistics, rows: rows, filter: filter, options: options)
        return statistics
    }

    /// Adds the median and 90th percentile of processing days and the open-instance figures of some rows as one
    /// group, when the options ask for them.
    private func addPercentilesAndOpenAge(
        to statistics: inout GroupStatistics,
        rows: RowSelection,
        filter: ResolvedFilter,
        options: StatisticsOptions
    ) {
        if options.contains(.percentiles) {
            let percentiles = daysPercentiles(rows: rows, key: .single, groupCount: 1, filter: filter)
            statistics.p50Days = percentiles[0]?.p50
            statistics.p90Days = percentiles[0]?.p90
        }
        if options.contains(.openAge) {
            let ages = openAges(rows: rows, key: .single, groupCount: 1, filter: filter)
            statistics.open = ages.open[0]
            statistics.openCreatedDays = ages.createdDays[0]
        }
    }

    /// An empty result with the optional parts present as asked.
    private func empty(_ key: String, _ options: StatisticsOptions) -> GroupStatistics {
        var statistics = GroupStatistics(key: key)
        if options.contains(.benefit) { statistics.benefitSum = 0 }
        return statistics
    }

    /// `top N`: proposers ranked by count (descending) then user id, grouped by (user id, department name); rows
    /// without a user name are left out and each user is shown with the latest name in the whole store. Every
    /// proposer whose count equals the `limit`-th one is kept, so ties at the cut-off can give more than `limit`
    /// rows.
    public func topProposers(_ limit: Int, period: DayRange?, filter: StatisticsFilter = .none) -> [ProposerStatistics]
    {
        guard let resolved = resolve(filter), limit > 0 else { return [] }
        let plan = plan(.ranking, rows: rowRange(for: period), filter: resolved, options: [])
        var entries =
            plan.kernel == .proposerPartitions
            ? rankProposersByPartitions(rows: plan.rows.range, filter: resolved, limit: limit)
            : rankProposers(rows: plan.rows, filter: resolved)
        if entries.count > limit {
            // Only pairs whose count reaches the limit-th largest can rank; the rest never need their strings.
            let threshold = rankThreshold(entries.map(\.count), limit: limit)
            entries.removeAll { $0.count < threshold }
        }
        var ranked = entries.map { entry in
            let id = table.userId.dictionary[entry.user] ?? ""
            return ProposerStatistics(
                userId: id,
                userName: latestName(ofUserCode: entry.user) ?? id,
                deptName: table.deptName.dictionary[entry.dept],
                count: entry.count,
                passed: entry.passed
            )
        }
        ranked.sort { lhs, rhs in
            if lhs.count != rhs.count { return lhs.count > rhs.count }
            if lhs.userId != rhs.userId { return utf8Precedes(lhs.userId, rhs.userId) }
            return utf8Precedes(lhs.deptName ?? "", rhs.deptName ?? "")
        }
        // Everyone tied with the last place is kept (the threshold above already cut below it): `top 10` may
        // show 12 rows rather than drop two people with the same count as the tenth.
        return ranked
    }

    /// The rows of a period that pass a filter, newest first, for drill-down lists.
    /// - Parameter limit: the most rows to return, `nil` for all.
    public func instanceRows(period: DayRange?, filter: StatisticsFilter = .none, limit: Int? = nil) -> [Int] {
        guard let resolved = resolve(filter) else { return [] }
        var rows: [Int] = []
        withKernelColumns(needsDays: false) { columns in
            let filter = resolved.view
            func collect<Newest: Sequence<Int>>(_ newestFirst: Newest) {
                for row in newestFirst where columns.passes(row, filter) {
                    rows.append(row)
                    if let limit, rows.count >= limit { break }
                }
            }
            selectRows(rowRange(for: period), filter: resolved).withMorsel { morsel in
                switch morsel {
                case .range(let range): collect(range.reversed())
                case .listed(let listed): collect(listed.reversed().lazy.map { Int($0) })
                }
            }
        }
        return rows
    }

    /// The processing days of a row, `nil` unless it is COMPLETED with a finish time.
    public func processingDays(ofRow row: Int) -> Int? {
        let days = derivedRows().days[row]
        return days == Self.noDays ? nil : Int(days)
    }

    // MARK: - Filters

    /// Turns filter strings into code sets once per query; `nil` when no alternative can match (every one names
    /// only values absent from the store), so the query can skip the scan.
    /// - Complexity: O(values × dictionary bytes) plus O(users) for a `user` condition; never per row.
    func resolve(_ filter: StatisticsFilter) -> ResolvedFilter? {
        if filter.isEmpty { return ResolvedFilter(terms: [], words: []) }
        var terms: [ResolvedFilter.Term] = []
        var words: [UInt64] = []
        var selectedUsers: Set<UInt32>? = []
        var selectedDepts: Set<UInt32>? = []
        func codes(_ names: [String], in dictionary: StringDictionary, missing: String) -> Set<UInt32> {
            Set(
                names.flatMap { name -> [UInt32] in
                    let code = dictionary.code(of: name).map { [$0] } ?? []
                    return name == missing ? code + [0] : code
                }
            )
        }
        alternatives: for conditions in filter.scopedAlternatives {
            var term = ResolvedFilter.Term()
            if let names = conditions.deptNames {
                let found = codes(names, in: table.deptName.dictionary, missing: StatisticsFilter.missingDeptName)
                if found.isEmpty { continue alternatives }
                term.dept = .init(accepting: found, bitmapWords: table.deptName.dictionary.count, into: &words)
                selectedDepts?.formUnion(found)
            } else {
                selectedDepts = nil
            }
            if let names = conditions.categories {
                let found = codes(names, in: categoryDictionary, missing: StatisticsFilter.missingCategory)
                if found.isEmpty { continue alternatives }
                term.category = .init(accepting: found, bitmapWords: categoryDictionary.count, into: &words)
            }
            if let users = conditions.users {
                let found = Set(userCodes(users))
                if found.isEmpty { continue alternatives }
                term.user = .init(accepting: found, bitmapWords: table.userId.dictionary.count, into: &words)
                selectedUsers?.formUnion(found)
            } else {
                selectedUsers = nil
            }
            if let statuses = conditions.statuses {
                term.statuses = statuses.reduce(0) { $0 | 1 << UInt64($1.rawValue) }
            }
            if let results = conditions.results {
                term.results = results.reduce(0) { $0 | 1 << UInt64($1?.rawValue ?? 0) }
            }
            terms.append(term)
        }
        return terms.isEmpty
            ? nil
            : ResolvedFilter(
                terms: terms,
                words: words,
                users: selectedUsers.map { $0.sorted() },
                depts: selectedDepts.map { $0.sorted() }
            )
    }

    /// The user-id codes a `user` condition selects: each value as a user id, and the users whose latest name it
    /// is.
    /// - Complexity: O(users) per value (see ``userCode(of:)``), plus O(users) per value that is a name.
    private func userCodes(_ values: [String]) -> [UInt32] {
        var codes: [UInt32] = []
        let latest = proposerIndex().latestName
        for value in values {
            let (id, name) = userCode(of: value)
            if let id { codes.append(id) }
            guard let name else { continue }
            // Code 0 (no user) has no latest name.
            codes += latest.positions(of: name).drop { $0 == 0 }
        }
        return codes
    }

    /// The codes of a `user=` filter value as a user id and as a user name, each `nil` when the table holds none.
    /// - Complexity: O(users / 8) word compares (``DictionaryFingerprints``), after O(user bytes) once.
    public func userCode(of value: String) -> (id: UInt32?, name: UInt32?) {
        let fingerprints = userFingerprints.withLock { built in
            if let built { return built }
            let made = (
                ids: DictionaryFingerprints(table.userId.dictionary),
                names: DictionaryFingerprints(table.userName.dictionary)
            )
            built = made
            return made
        }
        return (
            fingerprints.ids.code(of: value, in: table.userId.dictionary),
            fingerprints.names.code(of: value, in: table.userName.dictionary)
        )
    }
}

/// The count of the `limit`-th largest entry, found with a histogram of counts instead of a sort.
/// - Complexity: O(n + largest count).
func rankThreshold<Counts: Collection<Int>>(_ counts: Counts, limit: Int) -> Int {
    let largest = counts.max() ?? 0
    var histogram = [Int](repeating: 0, count: largest + 1)
    for count in counts { histogram[count] += 1 }
    var seen = 0
    var count = largest
    while count > 0 {
        seen += histogram[count]
        if seen >= limit { return count }
        count -= 1
    }
    return 0
}

/// A filter in code space, as the kernels test it: per alternative, for each filtered text column one code or a
/// bitmap of the accepted codes, and bit masks of the accepted status and result bytes. Testing a row is a few
/// compares, loads and bit tests, with no string or hash work; the first alternative is held by value so that a
/// kernel keeps it in registers.
struct ResolvedFilter: @unchecked Sendable {
    /// The test of one dictionary-coded column.
    struct CodeTest: Sendable {
        /// ``any``, ``single`` (the code must equal ``code``) or the offset of a bitmap in ``ResolvedFilter/words``.
        var offset = CodeTest.any
        /// The one accepted code when ``offset`` is ``single``.
        var code: UInt32 = 0

        static let any = -1
        static let single = -2

        /// A test that accepts the codes: one code compared, several looked up in a bitmap appended to `words`.
        init(accepting codes: Set<UInt32>, bitmapWords count: Int, into words: inout [UInt64]) {
            if codes.count == 1 {
                offset = Self.single
                code = codes.first!
                return
            }
            offset = words.count
            words.append(contentsOf: repeatElement(0, count: (max(count, 1) + 63) >> 6))
            for code in codes { words[offset + Int(code >> 6)] |= 1 << UInt64(code & 63) }
        }

        init() {}

        /// Whether a row's code passes.
        @inline(__always)
        func admits(_ value: UInt32, _ words: UnsafeBufferPointer<UInt64>) -> Bool {
            if offset == Self.any { return true }
            if offset == Self.single { return value == code }
            return words[offset &+ Int(value &>> 6)] & (1 &<< UInt64(value & 63)) != 0
        }
    }

    /// One alternative.
    struct Term: Sendable {
        var dept = CodeTest()
        var category = CodeTest()
        var user = CodeTest()
        /// Bit `s` set: status byte `s` passes; all bits set: no status condition.
        var statuses = UInt64.max
        /// Bit `r` set: result byte `r` passes (bit 0: no result); all bits set: no result condition.
        var results = UInt64.max
    }

    /// Owns the memory behind ``others`` and ``words``, which never changes after creation.
    private final class Storage: @unchecked Sendable {
        let terms: UnsafeMutableBufferPointer<Term>
        let words: UnsafeMutableBufferPointer<UInt64>

        init(_ terms: ArraySlice<Term>, _ words: [UInt64]) {
            self.terms = .allocate(capacity: terms.count)
            _ = self.terms.initialize(from: terms)
            self.words = .allocate(capacity: words.count)
            _ = self.words.initialize(from: words)
        }

        deinit {
            terms.deallocate()
            words.deallocate()
        }
    }

    private let storage: Storage
    /// Whether the filter keeps every row (it has no alternative).
    let isEmpty: Bool
    /// The first alternative (unused when ``isEmpty``).
    let first: Term
    /// The other alternatives.
    let others: UnsafeBufferPointer<Term>
    /// The code bitmaps of all terms, one after another.
    let words: UnsafeBufferPointer<UInt64>
    /// Every user code the filter can accept, ascending, when each alternative has a `user` condition (only those
    /// users' rows can pass); `nil` otherwise.
    let users: [UInt32]?
    /// Every department-name code the filter can accept (0 for none), ascending, when each alternative has a `dept`
    /// condition; `nil` otherwise.
    let depts: [UInt32]?
    /// Whether only open instances (NEW or RUNNING) can pass: every alternative keeps no other status.
    let openOnly: Bool
    /// The one column every alternative tests, when none tests anything else: the filter then keeps the rows whose
    /// code in that column ``admits(soleColumnCode:)``; `nil` for a filter without alternatives or of more columns.
    let soleColumn: FilterColumn?
    /// Whether every alternative tests users and nothing else: the filter then keeps exactly the rows of ``users``.
    let testsOnlyUsers: Bool
    /// The filter that keeps every row, which kernels skip testing.
    static let everything = ResolvedFilter(terms: [], words: [])

    /// What a kernel loop tests rows against: the filter's parts without its owner, a value that holds no
    /// reference, so that a kernel copies it into registers once instead of reloading it for every row. Valid
    /// while the filter lives.
    struct View {
        let isEmpty: Bool
        let first: Term
        let others: UnsafeBufferPointer<Term>
        let words: UnsafeBufferPointer<UInt64>
    }

    /// The view a kernel loop reads.
    var view: View { View(isEmpty: isEmpty, first: first, others: others, words: words) }

    /// Creates a filter from its alternatives, none for one that keeps every row, and their bitmaps.
    /// - Parameters:
    ///   - users: the user codes some alternative accepts, when every alternative has a `user` condition.
    ///   - depts: the department-name codes some alternative accepts, when every alternative has a `dept` condition.
    init(terms: [Term], words: [UInt64], users: [UInt32]? = nil, depts: [UInt32]? = nil) {
        isEmpty = terms.isEmpty
        self.users = terms.isEmpty ? nil : users
        self.depts = terms.isEmpty ? nil : depts
        openOnly = !terms.isEmpty && terms.allSatisfy { $0.statuses & ~InstanceStatus.openMask == 0 }
        soleColumn = Self.soleColumn(of: terms)
        testsOnlyUsers = !terms.isEmpty && terms.allSatisfy { $0.testsUser && $0.testedColumns.isEmpty }
        first = terms.first ?? Term()
        storage = Storage(terms.dropFirst(), words)
        others = UnsafeBufferPointer(storage.terms)
        self.words = UnsafeBufferPointer(storage.words)
    }
}

extension ResolvedFilter {
    /// Whether some alternative accepts a code of ``soleColumn`` (`false` without one).
    /// - Complexity: O(alternatives).
    func admits(soleColumnCode code: UInt32) -> Bool {
        guard let soleColumn, !isEmpty else { return false }
        func accepts(_ term: Term) -> Bool {
            switch soleColumn {
            case .dept: term.dept.admits(code, words)
            case .category: term.category.admits(code, words)
            case .status: code < 64 && term.statuses & 1 << UInt64(code) != 0
            case .result: code < 64 && term.results & 1 << UInt64(code) != 0
            }
        }
        return accepts(first) || others.contains(where: accepts)
    }

    /// For each column the filter can test, the alternatives that accept each code as bits (bit `t`: the `t`-th
    /// alternative; an alternative without a condition on the column accepts every code): a row passes when the
    /// masks of its department, category, status and result codes share a bit, a test without branches. `nil`
    /// for a filter without alternatives, with more than 64, or with a user condition.
    /// - Complexity: O(alternatives × codes).
    func termMasks(deptCodes: Int, categoryCodes: Int) -> TermMasks? {
        let terms = [first] + others
        guard !isEmpty, terms.count <= 64, !terms.contains(where: \.testsUser) else { return nil }
        var masks = TermMasks(
            dept: [UInt64](repeating: 0, count: max(deptCodes, 1)),
            category: [UInt64](repeating: 0, count: max(categoryCodes, 1)),
            status: [UInt64](repeating: 0, count: 64),
            result: [UInt64](repeating: 0, count: 64)
        )
        for (index, term) in terms.enumerated() {
            let bit: UInt64 = 1 << UInt64(index)
            for code in masks.dept.indices where term.dept.admits(UInt32(code), words) { masks.dept[code] |= bit }
            for code in masks.category.indices where term.category.admits(UInt32(code), words) {
                masks.category[code] |= bit
            }
            for code in 0..<64 where term.statuses & 1 << UInt64(code) != 0 { masks.status[code] |= bit }
            for code in 0..<64 where term.results & 1 << UInt64(code) != 0 { masks.result[code] |= bit }
        }
        return masks
    }

    /// The column every term tests, when each tests exactly that one.
    private static func soleColumn(of terms: [Term]) -> FilterColumn? {
        var sole: FilterColumn?
        for term in terms {
            let tested = term.testedColumns
            guard !term.testsUser, tested.count == 1, sole == nil || sole == tested[0] else { return nil }
            sole = tested[0]
        }
        return sole
    }
}

extension ResolvedFilter.Term {
    /// Whether the alternative has a user condition.
    var testsUser: Bool { user.offset != ResolvedFilter.CodeTest.any }

    /// The other columns the alternative has a condition on.
    var testedColumns: [FilterColumn] {
        [
            dept.offset != ResolvedFilter.CodeTest.any ? .dept : nil,
            category.offset != ResolvedFilter.CodeTest.any ? .category : nil,
            statuses != .max ? .status : nil,
            results != .max ? .result : nil,
        ].compactMap { $0 }
    }
}

/// Per-column masks of a filter's alternatives (see ``ResolvedFilter/termMasks(deptCodes:categoryCodes:)``).
struct TermMasks: Sendable {
    /// By department-name code.
    var dept: [UInt64]
    /// By category code.
    var category: [UInt64]
    /// By status byte.
    var status: [UInt64]
    /// By result byte.
    var result: [UInt64]
}

/// The benefit field's codes and, per dictionary entry, its value in cents split into a high part (`cents >> 32`)
/// and a low part (`cents & 0xFFFF_FFFF`), both 0 for text that is not a supported number. Sums of the two parts
/// cannot overflow for up to 2^31 rows (see ``BenefitTotal``).
struct BenefitValues: Sendable {
    let codes: CodeArray
    let high: [Int]
    let low: [Int]

    /// Reads `column`, or stands for a table without the field (every row missing).
    /// - Complexity: O(dictionary entries), plus O(rows) without the field.
    init(_ column: DictionaryColumn?, rows: Int) {
        codes = column?.codes ?? .u8([UInt8](repeating: 0, count: rows))
        let entries = column?.dictionary ?? StringDictionary()
        // Amounts outside ValueLimits are refused where data enters; should one get here anyway, it counts as
        // text, so no query can overflow on it.
        let cents = (0..<entries.count).map { code -> Int64 in
            guard let text = entries[UInt32(code)], case .cents(let cents) = ValueLimits.benefitAmount(text) else {
                return 0
            }
            return cents
        }
        high = cents.map { Int($0 >> 32) }
        low = cents.map { Int($0 & 0xFFFF_FFFF) }
    }
}

/// For each row, the previous row with the same user id (and with the same department id), or a value that never
/// counts: a row `i` in a range starting at `low` is the first of its user there exactly when `user[i] < low`.
struct PreviousOccurrences: Sendable {
    /// Previous row of the same user, -1 for the first; `Int32.max` for rows without a user id.
    let user: [Int32]
    /// Previous row of the same department id, -1 for the first; `Int32.max` for rows without one. Empty where
    /// departments are counted otherwise (see ``StatisticsEngine/departmentPresence()``).
    let dept: [Int32]
}

extension StatisticsEngine {
    /// The department ids present in each block of rows, built once (O(n)); `nil` when there are more department
    /// ids than ``BlockPresence/maximumValues``.
    func departmentPresence() -> BlockPresence? {
        if let built = departmentBlocks.withLock({ $0 }) { return built }
        let built = BlockPresence(codes: table.deptId.codes, values: table.deptId.dictionary.count)
        return departmentBlocks.withLock { cached in
            if cached == nil { cached = .some(built) }
            return cached!
        }
    }

    /// Distinct department ids of an unfiltered row range, from the block presence or else from `occurrences`.
    /// - Complexity: O(blocks × ids / 64 + 8192) with the block presence, else O(rows / workers).
    func distinctDepartments(in rows: Range<Int>, occurrences: PreviousOccurrences) -> Int {
        if let presence = departmentPresence() { return presence.distinct(in: rows) }
        return countBefore(occurrences.dept, in: rows)
    }

    /// The rows of `rows` whose previous occurrence lies before the range: its distinct values.
    /// - Complexity: O(rows / workers), a sequential read of one Int32 column.
    func countBefore(_ previous: [Int32], in rows: Range<Int>) -> Int {
        let low = Int32(truncatingIfNeeded: rows.lowerBound)
        final class Tally {
            var count = 0
        }
        return previous.withUnsafeBufferPointer { previous in
            let shared = UnsafeTransfer(value: previous)
            return runMorsels(
                rows: rows,
                options: options,
                makeState: { Tally() },
                body: { morsel, tally in tally.count &+= Self.countBefore(shared.value, morsel, low) },
                combine: { $0.count += $1.count }
            ).count
        }
    }

    /// The previous-occurrence columns, built once (O(n)) on the first unfiltered distinct count; the department
    /// column only when there are too many department ids for ``departmentPresence()``.
    func previousOccurrences() -> PreviousOccurrences {
        if let built = occurrences.withLock({ $0 }) { return built }
        func build(_ codes: CodeArray, values: Int) -> [Int32] {
            var last = [Int32](repeating: -1, count: max(values, 1))
            var previous = [Int32](repeating: .max, count: table.rowCount)
            for row in 0..<table.rowCount {
                let code = Int(codes[row])
                if code == 0 { continue }
                previous[row] = last[code]
                last[code] = Int32(truncatingIfNeeded: row)
            }
            return previous
        }
        let built = PreviousOccurrences(
            user: build(table.userId.codes, values: table.userId.dictionary.count),
            dept: departmentPresence() == nil ? build(table.deptId.codes, values: table.deptId.dictionary.count) : []
        )
        return occurrences.withLock { cached in
            if cached == nil { cached = built }
            return cached!
        }
    }

    /// The group codes of a kernel key, or `nil` for the single group.
    func groupCodes(_ key: GroupKey) -> CodeArray? {
        switch key {
        case .single: return nil
        case .deptName: return table.deptName.codes
        case .user: return table.userId.codes
        case .userSlots: return nil
        case .status: return .u8(table.status)
        case .result: return .u8(table.result)
        case .form(let codes, _): return codes
        }
    }

    /// The monthly totals of a grouping (by its description), built on first use by an engine that builds indexes;
    /// `nil` in one that does not, or for a grouping of too many values.
    /// - Complexity: O(n) once, then O(1).
    func monthlyTotals(_ pairKey: String, codes: CodeArray, groupCount: Int) -> MonthlyTotals? {
        monthlyTotals(pairKey, groupCount: groupCount) { monthScan($0, codes: codes, groupCount: groupCount) }
    }

    /// The monthly totals under `cacheKey`, built with `scan` on first use by an engine that builds indexes.
    private func monthlyTotals(
        _ cacheKey: String,
        groupCount: Int,
        scan: (Range<Int>) -> [RangeTotals]
    ) -> MonthlyTotals? {
        if let built = monthlyTotalsCache.withLock({ $0[cacheKey] }) { return built }
        guard options.buildsIndexes else { return nil }
        let built = MonthlyTotals(days: days, rowCount: table.rowCount, groupCount: groupCount, scan: scan)
        return monthlyTotalsCache.withLock { cached in
            if cached[cacheKey] == nil { cached[cacheKey] = .some(built) }
            return cached[cacheKey]!
        }
    }

    /// The additive totals of `rows` per group from whole months (see ``MonthlyTotals``), with the benefit sums
    /// when `benefit` (kept apart, so that only a query that sums benefits reads the field); `nil` when the rows hold
    /// no whole month or the engine keeps no monthly totals.
    /// - Parameters:
    ///   - scan: totals a range of rows per group, every figure but the benefit.
    ///   - benefitScan: the benefit sums of a range of rows per group.
    private func monthlyTotals(
        _ cacheKey: String,
        of rows: Range<Int>,
        groupCount: Int,
        benefit: Bool,
        scan: (Range<Int>) -> [RangeTotals],
        benefitScan: (Range<Int>) -> [RangeTotals]
    ) -> [RangeTotals]? {
        guard var totals = monthlyTotals(cacheKey, groupCount: groupCount, scan: scan)?.totals(of: rows, scan: scan)
        else { return nil }
        guard benefit else { return totals }
        guard
            let sums = monthlyTotals(cacheKey + "|benefit", groupCount: groupCount, scan: benefitScan)?
                .totals(of: rows, scan: benefitScan)
        else { return nil }
        for group in totals.indices { totals[group].add(sums[group]) }
        return totals
    }

    /// The benefit sums of a row range per group (every row in group 0 without `codes`); the other figures stay 0.
    /// - Complexity: O(rows).
    func benefitTotals(_ rows: Range<Int>, codes: CodeArray?, groupCount: Int) -> [RangeTotals] {
        let values = benefitValues()
        var high = [Int](repeating: 0, count: max(groupCount, 1))
        var low = [Int](repeating: 0, count: max(groupCount, 1))
        values.codes.withCodeBuffer { benefit in
            values.high.withUnsafeBufferPointer { highs in
                values.low.withUnsafeBufferPointer { lows in
                    guard let codes else {
                        for row in rows {
                            let code = Int(benefit[row])
                            high[0] &+= highs[code]
                            low[0] &+= lows[code]
                        }
                        return
                    }
                    codes.withCodeBuffer { groups in
                        for row in rows {
                            let group = Int(groups[row])
                            let code = Int(benefit[row])
                            high[group] &+= highs[code]
                            low[group] &+= lows[code]
                        }
                    }
                }
            }
        }
        return high.indices.map { group in
            var totals = RangeTotals()
            totals.benefitHigh = high[group]
            totals.benefitLow = low[group]
            return totals
        }
    }

    /// The additive totals of a row range per group, with every figure ``MonthlyTotals`` keeps.
    func monthScan(_ rows: Range<Int>, codes: CodeArray, groupCount: Int) -> [RangeTotals] {
        unfilteredGroupTotals(
            rows: rows,
            codes: codes,
            groupCount: groupCount,
            processing: true,
            outcomes: true,
            pairs: nil,
            departments: false
        )
    }

    /// The group codes of a grouped key.
    private func codes(of key: GroupKey) -> CodeArray {
        groupCodes(key) ?? .u8([UInt8](repeating: 0, count: table.rowCount))
    }

    /// Previous-occurrence columns of (user, group) and, when `departments`, (department id, group) pairs of one
    /// grouping, each built once on the first unfiltered query that counts them.
    /// - Returns: columns whose `dept` is empty unless `departments` is set or an earlier call built it.
    /// - Complexity: O(n) for each column built; a user seldom has more than one group, and only those extra pairs
    ///   are hashed.
    func pairOccurrences(_ name: String, groups: CodeArray, departments: Bool) -> PreviousOccurrences {
        let cached = groupPairs.withLock({ $0[name] })
        if let cached, !departments || !cached.dept.isEmpty || table.rowCount == 0 { return cached }
        func build(_ values: CodeArray, count: Int) -> [Int32] {
            var primaryGroup = [UInt32](repeating: .max, count: max(count, 1))
            var primaryLast = [Int32](repeating: -1, count: max(count, 1))
            var others: [UInt64: Int32] = [:]
            var previous = [Int32](repeating: .max, count: table.rowCount)
            for row in 0..<table.rowCount {
                let value = Int(values[row])
                let group = groups[row]
                if value == 0 { continue }
                let current = Int32(truncatingIfNeeded: row)
                if primaryGroup[value] == .max {
                    primaryGroup[value] = group
                    previous[row] = -1
                    primaryLast[value] = current
                } else if primaryGroup[value] == group {
                    previous[row] = primaryLast[value]
                    primaryLast[value] = current
                } else {
                    let key = UInt64(value) << 32 | UInt64(group)
                    previous[row] = others[key] ?? -1
                    others[key] = current
                }
            }
            return previous
        }
        let built = PreviousOccurrences(
            user: cached?.user ?? build(table.userId.codes, count: table.userId.dictionary.count),
            dept: departments ? build(table.deptId.codes, count: table.deptId.dictionary.count) : []
        )
        return groupPairs.withLock { stored in
            if let earlier = stored[name], earlier.dept.count >= built.dept.count { return earlier }
            stored[name] = built
            return built
        }
    }

    /// The one department name a filter keeps and the department grouping's pair columns, when the filter keeps
    /// exactly that name's rows and the pair columns are built (see ``prepareIndexes()``); `nil` otherwise.
    func oneDepartmentPairs(_ filter: ResolvedFilter) -> (name: UInt32, pairs: PreviousOccurrences)? {
        guard filter.soleColumn == .dept, let names = filter.depts, names.count == 1,
            let pairs = groupPairs.withLock({ $0["\(GroupingKey.dimension(.dept))"] })
        else { return nil }
        return (names[0], pairs)
    }

    /// Distinct users and, when `departments`, department ids of the selected rows of one department name, when
    /// ``oneDepartmentPairs(_:)`` gives the name and its pair columns; `nil` otherwise.
    ///
    /// A row is its user's first in the period's rows of that name exactly when the same user's previous row of the
    /// same name lies before the period, so the users are counted without a bitmap; the few department ids are
    /// marked in a small table.
    /// - Complexity: O(selected rows / workers + department ids × workers).
    func distinctInOneDepartment(
        _ selection: RowSelection,
        filter: ResolvedFilter,
        departments: Bool
    ) -> (users: Int, depts: Int)? {
        guard let (name, pairs) = oneDepartmentPairs(filter) else { return nil }
        let low = Int32(truncatingIfNeeded: selection.range.lowerBound)
        let deptIds = departments ? table.deptId.dictionary.count : 0
        final class Tally {
            var users = 0
            var seen: [Bool]
            init(_ deptIds: Int) { seen = [Bool](repeating: false, count: deptIds) }
        }
        let tally = pairs.user.withUnsafeBufferPointer { previous in
            table.deptName.codes.withCodeBuffer { nameCodes in
                table.deptId.codes.withCodeBuffer { idCodes in
                    let shared = UnsafeTransfer(value: previous)
                    return runMorsels(
                        selection: selection,
                        options: options,
                        makeState: { Tally(deptIds) },
                        body: { morsel, tally in
                            let columns = OneDepartmentColumns(
                                name: name,
                                previous: shared.value,
                                names: selection.passesFilter && selection.listed != nil ? nil : nameCodes,
                                ids: departments ? idCodes : nil
                            )
                            tally.seen.withUnsafeMutableBufferPointer { seen in
                                switch morsel {
                                case .range(let rows): tally.users &+= columns.firstRows(rows, low: low, seen: seen)
                                case .listed(let rows): tally.users &+= columns.firstRows(rows, low: low, seen: seen)
                                }
                            }
                        },
                        combine: { total, part in
                            total.users += part.users
                            for index in part.seen.indices where part.seen[index] { total.seen[index] = true }
                        }
                    )
                }
            }
        }
        // Department id 0 is a missing one, which counts as no department.
        return (tally.users, tally.seen.dropFirst().count { $0 })
    }

    /// ``distinctInOneDepartment(_:filter:departments:)`` of each of some ascending, disjoint row ranges (calendar
    /// buckets), the ranges shared among the workers; `nil` under the same conditions.
    /// - Complexity: O(selected rows / workers + ranges × department ids).
    func distinctInOneDepartment(
        buckets: [Range<Int>],
        filter: ResolvedFilter,
        departments: Bool
    ) -> [(users: Int, depts: Int)]? {
        guard let (name, pairs) = oneDepartmentPairs(filter), !buckets.isEmpty else { return nil }
        // The name's rows from the department index when there is one, else every row of each bucket tested.
        let indexRows = departmentRows(of: name)
        let listed = indexRows ?? []
        let indexed = indexRows != nil
        let deptIds = departments ? table.deptId.dictionary.count : 0
        var counts = [(users: Int, depts: Int)](repeating: (0, 0), count: buckets.count)
        pairs.user.withUnsafeBufferPointer { previous in
            table.deptName.codes.withCodeBuffer { nameCodes in
                table.deptId.codes.withCodeBuffer { idCodes in
                    listed.withUnsafeBufferPointer { listed in
                        counts.withUnsafeMutableBufferPointer { counts in
                            let columns = OneDepartmentColumns(
                                name: name,
                                previous: previous,
                                names: indexed ? nil : nameCodes,
                                ids: departments ? idCodes : nil
                            )
                            let shared = UnsafeTransfer(value: (columns, counts, listed))
                            // Buckets differ in size: each worker takes the next untaken one.
                            let nextBucket = Atomic<Int>(0)
                            let workers = min(max(options.workers, 1), buckets.count)
                            DispatchQueue.concurrentPerform(iterations: workers) { _ in
                                let (columns, counts, listed) = shared.value
                                var seen = [Bool](repeating: false, count: deptIds)
                                seen.withUnsafeMutableBufferPointer { seen in
                                    while true {
                                        let index = nextBucket.add(1, ordering: .relaxed).oldValue
                                        guard index < buckets.count else { break }
                                        let rows = buckets[index]
                                        let low = Int32(truncatingIfNeeded: rows.lowerBound)
                                        let users: Int
                                        if indexed {
                                            let start = listed.partitionPoint { Int($0) >= rows.lowerBound }
                                            let end = listed[start...].partitionPoint { Int($0) >= rows.upperBound }
                                            users = columns.firstRows(
                                                listed[start..<end].lazy.map { Int($0) },
                                                low: low,
                                                seen: seen
                                            )
                                        } else {
                                            users = columns.firstRows(rows, low: low, seen: seen)
                                        }
                                        // Department id 0 is a missing one, which counts as no department.
                                        var depts = 0
                                        for id in seen.indices.dropFirst() where seen[id] {
                                            depts += 1
                                            seen[id] = false
                                        }
                                        counts[index] = (users, depts)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return counts
    }

    /// Distinct users and, when `departments`, department ids per group in a row range, from the pair columns.
    /// - Complexity: O(rows / workers + groups × workers).
    func distinctPairCounts(
        in rows: Range<Int>,
        groupCount: Int,
        groups: CodeArray,
        pairs: PreviousOccurrences,
        departments: Bool
    ) -> (users: [Int], depts: [Int]) {
        let low = Int32(truncatingIfNeeded: rows.lowerBound)
        final class Tally {
            var users: [Int]
            var depts: [Int]
            init(_ groups: Int) {
                users = [Int](repeating: 0, count: groups)
                depts = [Int](repeating: 0, count: groups)
            }
        }
        let tally = pairs.user.withUnsafeBufferPointer { users in
            pairs.dept.withUnsafeBufferPointer { depts in
                groups.withCodeBuffer { groupCodes in
                    let shared = UnsafeTransfer(value: (users, depts))
                    return runMorsels(
                        rows: rows,
                        options: options,
                        makeState: { Tally(groupCount) },
                        body: { morsel, tally in
                            let (users, depts) = shared.value
                            for row in morsel where users[row] < low { tally.users[Int(groupCodes[row])] &+= 1 }
                            guard departments else { return }
                            for row in morsel where depts[row] < low { tally.depts[Int(groupCodes[row])] &+= 1 }
                        },
                        combine: { total, part in
                            for group in 0..<groupCount {
                                total.users[group] += part.users[group]
                                total.depts[group] += part.depts[group]
                            }
                        }
                    )
                }
            }
        }
        return (tally.users, tally.depts)
    }

    /// Distinct users and, when `departments`, departments of a row range: rows whose previous occurrence lies
    /// before the range.
    /// - Complexity: O(rows / workers), a sequential read of one Int32 column, plus the departments' count.
    func distinctCounts(
        in rows: Range<Int>,
        occurrences: PreviousOccurrences,
        departments: Bool
    ) -> (users: Int, depts: Int) {
        let users = countBefore(occurrences.user, in: rows)
        return (users, departments ? distinctDepartments(in: rows, occurrences: occurrences) : 0)
    }
}

/// Parses an amount such as `35662.88`, `1,200` or `500元`; `nil` for anything that is not a number.
func parseAmount(_ text: String) -> Double? {
    // Fast path: plain ASCII numbers, as DingTalk's NumberField and MoneyField send them.
    if text.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || $0 == 46 || $0 == 45 }) {
        return Double(text).flatMap { $0.isFinite ? $0 : nil }
    }
    var cleaned = text.trimmingCharacters(in: .whitespaces)
    cleaned.removeAll { $0 == "," || $0 == "，" || $0 == "¥" || $0 == "￥" }
    if cleaned.hasSuffix("元") { cleaned.removeLast() }
    guard let value = Double(cleaned), value.isFinite else { return nil }
    return value
}

extension StatisticsEngine {
    /// Builds the indexes that queries without a filter read — the derived row columns, the previous-occurrence
    /// columns, the proposer partitions, the pair columns of the department grouping, and the packed rows and
    /// monthly totals of the department and category groupings — so that later queries, even a first one-month
    /// query, find them ready.
    ///
    /// Then it frees the table's creation and finish times and its benefit field where the snapshot can decode them
    /// again: the statistics read the day index and the derived days instead, and whatever needs the seconds or
    /// the amounts (a `benefit_sum`, `list`, an export) decodes them again.
    ///
    /// A REPL or a server calls it in the background once a store is loaded; queries asked meanwhile are answered
    /// as before (an index a query needs first is built by whichever gets there first, once). Does nothing when
    /// the engine builds no indexes (a process that answers one query) or the table is too small to need them.
    /// - Complexity: O(n) per index, about a second for ten million rows on two cores.
    public func prepareIndexes() {
        guard options.buildsIndexes, options.derivedColumnKernels, table.rowCount >= options.occurrenceScanRows
        else { return }
        _ = derivedRows()
        _ = previousOccurrences()
        _ = proposerIndex()
        _ = proposerPartitions()
        let dept = "\(GroupingKey.dimension(.dept))"
        _ = pairOccurrences(dept, groups: table.deptName.codes, departments: false)
        _ = packedGroupRows(
            dept,
            codes: table.deptName.codes,
            groupCount: table.deptName.dictionary.count,
            firstRows: true
        )
        _ = packedGroupRows(
            "\(GroupingKey.dimension(.category))",
            codes: categoryCodes,
            groupCount: categoryDictionary.count,
            firstRows: false
        )
        for column in [FilterColumn.dept, .category] {
            let grouping = columnGrouping(column)
            _ = monthlyTotals(grouping.pairKey, codes: grouping.codes, groupCount: grouping.groupCount)
        }
        table.releaseDecodedColumns()
    }
}

/// The columns that count one department name's distinct users and department ids in some rows (see
/// ``StatisticsEngine/distinctInOneDepartment(_:filter:departments:)``); valid only inside the calls that lend the
/// buffers.
struct OneDepartmentColumns {
    /// The department name's code.
    let name: UInt32
    /// Each row's previous row of the same user and department name (the department grouping's pair column).
    let previous: UnsafeBufferPointer<Int32>
    /// The department name codes, `nil` when every row visited is of the name (rows listed for it).
    let names: CodeBuffer?
    /// The department id codes, `nil` when departments are not counted.
    let ids: CodeBuffer?

    /// The number of `rows` of the name that are their user's first at or after row `low`; marks the department
    /// id of each row of the name in `seen` when ids are counted.
    @inline(__always)
    func firstRows<Rows: Sequence<Int>>(_ rows: Rows, low: Int32, seen: UnsafeMutableBufferPointer<Bool>) -> Int {
        var users = 0
        if let names {
            for row in rows where names[row] == name {
                users &+= Self.isBefore(previous[row], low)
                if let ids { seen[Int(ids[row])] = true }
            }
        } else if let ids {
            for row in rows {
                users &+= Self.isBefore(previous[row], low)
                seen[Int(ids[row])] = true
            }
        } else {
            for row in rows { users &+= Self.isBefore(previous[row], low) }
        }
        return users
    }

    /// 1 when a previous row (-1 for none) lies before row `low`, else 0: the sign of their difference, without a
    /// branch, since whether a proposer proposed before is as good as random row to row.
    @inline(__always)
    static func isBefore(_ previous: Int32, _ low: Int32) -> Int {
        Int(UInt32(bitPattern: previous &- low) >> 31)
    }
}

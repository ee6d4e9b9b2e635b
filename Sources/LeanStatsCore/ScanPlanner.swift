/// How one statistics call reads its rows and which kernel it runs, decided in one place
/// (``StatisticsEngine/plan(_:rows:filter:options:)``) from the query's shape, its filter, what it computes and
/// which indexes exist.
struct ScanPlan {
    /// The kernel family.
    enum Kernel: Equatable {
        /// Unfiltered: per-range totals over the derived columns (flag bytes, narrowed days), distinct values from
        /// previous-occurrence scans when ``ScanPlan/distinctByOccurrences``.
        case rangeTotals
        /// Unfiltered `by` from the table's first row that counts instances, agreements and participants only:
        /// one histogram of the grouping's packed rows (falls back to ``rangeTotals`` where rows cannot be packed).
        case packedHistogram
        /// `top N` (with a filter, over rows not listed: only the rows a bitmap of the filter marks), and unfiltered
        /// `by user` of counts and agreements only: counters over the proposer partitions.
        case proposerPartitions
        /// The general kernel: tests every selected row against the filter and updates per-group state.
        case filtered
        /// One group's proposers and departments under a filter an outcome cube answers, over the period's range
        /// (``StatisticsEngine/distinctUnderCubeFilter(_:filter:column:departments:)``); the other figures come
        /// from the cube or the monthly totals.
        case cubeFilterScan
        /// `by dept|category` of instances, outcomes and departments under a filter an outcome cube would answer
        /// but for the grouping's column (``StatisticsEngine/groupedUnderCubeFilter(_:filter:column:groups:groupCount:departments:)``):
        /// each block's admitted rows listed, then counted per group.
        case groupedFilterScan
    }

    /// The rows to visit: the period's range, or the rows in it of the users or departments the filter names.
    let rows: RowSelection
    /// The kernel family.
    let kernel: Kernel
    /// Whether participants and departments are counted by scanning previous-occurrence columns (built once)
    /// instead of per-row bitmaps; only without a filter.
    let distinctByOccurrences: Bool
    /// Whether the additive figures (counts, outcomes, processing days, benefit sums) are added up from the
    /// grouping's monthly totals (``MonthlyTotals``) where the period holds a whole month; the kernel answers
    /// otherwise.
    var fromMonths = false
    /// The outcome cube (``OutcomeCube``) whose admitted cells give the additive figures and open ages over the
    /// period's whole months, `nil` for none.
    var cube: OutcomeCube?
}

/// A column a filter tests whose codes are also the groups of a grouping with monthly totals.
enum FilterColumn: Sendable, Equatable {
    case dept, category, status, result

    /// The column whose codes are the groups of a `by` grouping, `nil` for the others.
    init?(_ grouping: GroupingKey) {
        switch grouping {
        case .dimension(.dept): self = .dept
        case .dimension(.category): self = .category
        case .dimension(.status): self = .status
        case .dimension(.result): self = .result
        default: return nil
        }
    }
}

/// What a statistics call computes, as far as choosing a plan goes.
enum ScanShape {
    /// One group: `overview`, `efficiency`, one calendar bucket.
    case single
    /// `by month|quarter|year`: contiguous buckets of the period.
    case calendar
    /// `by DIM`: groups of a dictionary-coded column (`isUser` for one group per proposer; `column` when the groups
    /// are the codes of a column filters test).
    case grouped(pairKey: String, isUser: Bool, column: FilterColumn? = nil)
    /// `top N`: proposers ranked by (user, department) pair.
    case ranking
}

extension StatisticsEngine {
    /// Chooses the rows and kernel of one statistics call.
    ///
    /// - A filter runs the general kernel (a `top N` over rows not listed: the proposer partitions, counting only the
    ///   rows a bitmap of the filter marks); when every alternative names users or departments, only their rows are
    ///   visited (``selectRows(_:filter:ranking:)``).
    /// - Without a filter, the kernels over derived columns answer whatever does not need the benefit field;
    ///   distinct counts come from previous-occurrence columns for long ranges (or when already built), else from
    ///   bitmaps in the general kernel.
    /// - Without a filter, in an engine that builds indexes, a query of additive figures only (no `participants`
    ///   or `depts`) adds up monthly totals: a grouping whose kernel would be the per-range totals, or any
    ///   `benefit_sum`, which no kernel over derived columns sums (not `by user`: too many groups to keep).
    /// - With a filter that tests one column only (``ResolvedFilter/soleColumn``: department, category, status or
    ///   result), the same figures come from that column's monthly totals: one group sums the groups the filter
    ///   admits, and a grouping by that column keeps only those groups.
    /// - Else, with a filter that tests at most one of department and category besides the status and the result
    ///   (and a grouping by none, by calendar buckets, or by that column, the status or the result), the additive
    ///   figures and open ages come from that column's outcome cube (``OutcomeCube``), over a period that holds a
    ///   whole month.
    /// - One group's proposers and departments under such a filter, with otherwise only figures a cube holds, are
    ///   counted by ``ScanPlan/Kernel/cubeFilterScan`` over the period's range, unless the filter's department
    ///   names list few rows.
    /// - Complexity: O(1), plus O(log n) per selected user, and O(n) once to build the user index or an outcome
    ///   cube.
    func plan(
        _ shape: ScanShape,
        rows: Range<Int>,
        filter: ResolvedFilter,
        options statistics: StatisticsOptions
    ) -> ScanPlan {
        let additive =
            options.derivedColumnKernels && options.buildsIndexes
            && statistics.isDisjoint(with: [.distinct, .departments])
        // A filter answered from whole months lists no rows, unless percentiles or open ages still read them.
        let filteredFromMonths: Bool
        switch shape {
        case .single: filteredFromMonths = additive && filter.soleColumn != nil
        case .grouped(_, _, let column): filteredFromMonths = additive && column != nil && filter.soleColumn == column
        case .calendar, .ranking: filteredFromMonths = false
        }
        let wholeMonth = MonthlyTotals.holdsWholeMonth(rows, days: days)
        // Otherwise a filter of one coded column, the status and the result adds up an outcome cube's cells.
        var cube: OutcomeCube?
        if !filteredFromMonths, wholeMonth, options.derivedColumnKernels, options.buildsIndexes,
            statistics.isSubset(of: [.processing, .outcomes, .openAge])
        {
            let column: FilterColumn? =
                switch shape {
                case .single, .calendar: filter.cubeColumn(grouping: nil)
                case .grouped(_, false, let grouping?): filter.cubeColumn(grouping: grouping)
                case .grouped, .ranking: nil
                }
            cube = column.flatMap { outcomeCube($0) }
        }
        if case .single = shape, cube == nil, wholeMonth, scansUnderCubeFilter(filter, options: statistics) {
            return ScanPlan(rows: RowSelection(rows), kernel: .cubeFilterScan, distinctByOccurrences: false)
        }
        let listsRows =
            cube == nil
            && (!filteredFromMonths || !statistics.isDisjoint(with: [.percentiles, .openAge]) || !wholeMonth)
        var plan = kernelPlan(shape, rows: rows, filter: filter, options: statistics, listsRows: listsRows)
        plan.cube = cube
        if case .grouped(_, false, let grouping?) = shape, cube == nil, plan.kernel == .filtered,
            scansGroupsUnderCubeFilter(filter, grouping: grouping, options: statistics)
        {
            plan = ScanPlan(rows: plan.rows, kernel: .groupedFilterScan, distinctByOccurrences: false)
        }
        switch shape {
        case .single:
            plan.fromMonths = filteredFromMonths || additive && filter.isEmpty && statistics.contains(.benefit)
        case .grouped(_, let isUser, _):
            plan.fromMonths =
                filteredFromMonths
                || additive && filter.isEmpty && !isUser
                    && (plan.kernel == .rangeTotals || statistics.contains(.benefit))
        case .calendar, .ranking: break
        }
        return plan
    }

    /// Whether one group's `statistics` under `filter` are best counted by ``ScanPlan/Kernel/cubeFilterScan``:
    /// they include proposers or departments and otherwise only figures an outcome cube holds, the filter is one a
    /// cube answers, and it names no one department (whose pair columns count it quicker) and no department names
    /// whose rows are under a quarter of the table (the general kernel visits those few rows quicker).
    private func scansUnderCubeFilter(_ filter: ResolvedFilter, options statistics: StatisticsOptions) -> Bool {
        let distinctFigures: StatisticsOptions = [.distinct, .departments]
        guard options.derivedColumnKernels, options.buildsIndexes, !statistics.isDisjoint(with: distinctFigures),
            statistics.subtracting(distinctFigures).isSubset(of: [.processing, .outcomes, .openAge]),
            let column = filter.cubeColumn(grouping: nil), outcomeCube(column) != nil,
            oneDepartmentPairs(filter) == nil
        else { return false }
        guard let depts = filter.depts, let index = codeRowIndex(deptRows, table.deptName) else { return true }
        return index.rowCount(of: depts) * 4 >= table.rowCount
    }

    /// Whether a grouping by `grouping`'s codes of `statistics` under `filter` is best counted by
    /// ``ScanPlan/Kernel/groupedFilterScan``: only instances, outcomes and departments, a grouping by department
    /// or category, and a filter an outcome cube answers that tests the other of the two.
    private func scansGroupsUnderCubeFilter(
        _ filter: ResolvedFilter,
        grouping: FilterColumn,
        options statistics: StatisticsOptions
    ) -> Bool {
        guard options.derivedColumnKernels, options.buildsIndexes, statistics.isSubset(of: [.outcomes, .departments]),
            grouping == .dept || grouping == .category, let column = filter.cubeColumn(grouping: nil),
            column != grouping, filter.cubeColumn(grouping: grouping) == nil, outcomeCube(column) != nil
        else { return false }
        return true
    }

    /// The rows and kernel of one statistics call, before the choice of monthly totals.
    private func kernelPlan(
        _ shape: ScanShape,
        rows: Range<Int>,
        filter: ResolvedFilter,
        options statistics: StatisticsOptions,
        listsRows: Bool
    ) -> ScanPlan {
        guard filter.isEmpty else {
            let ranking = if case .ranking = shape { true } else { false }
            let selected = listsRows ? selectRows(rows, filter: filter, ranking: ranking) : RowSelection(rows)
            // A filtered ranking over rows not listed counts the partitions' entries whose rows pass.
            let partitions =
                ranking && selected.listed == nil && options.derivedColumnKernels
                && (options.buildsIndexes || hasProposerPartitions)
            return ScanPlan(
                rows: selected,
                kernel: partitions ? .proposerPartitions : .filtered,
                distinctByOccurrences: false
            )
        }
        // Previous-occurrence columns count users and departments together.
        let distinct = !statistics.isDisjoint(with: [.distinct, .departments])
        let longRange = rows.count >= options.occurrenceScanRows && options.buildsIndexes
        let derived = options.derivedColumnKernels && !statistics.contains(.benefit)
        switch shape {
        case .single, .calendar:
            let occurrences = distinct && (longRange || hasPreviousOccurrences)
            let kernel: ScanPlan.Kernel = derived && (occurrences || !distinct) ? .rangeTotals : .filtered
            return ScanPlan(rows: RowSelection(rows), kernel: kernel, distinctByOccurrences: occurrences)
        case .grouped(_, true, _)
        where statistics.isEmpty && options.derivedColumnKernels
            && (options.buildsIndexes || hasProposerPartitions):
            return ScanPlan(rows: RowSelection(rows), kernel: .proposerPartitions, distinctByOccurrences: false)
        case .grouped(let pairKey, let isUser, _):
            let pairs = !isUser && distinct && (longRange || hasPairOccurrences(pairKey))
            guard derived && !isUser && (pairs || !distinct) else {
                return ScanPlan(rows: RowSelection(rows), kernel: .filtered, distinctByOccurrences: pairs)
            }
            let packs =
                rows.lowerBound == 0 && !rows.isEmpty
                && statistics.isDisjoint(with: [.processing, .outcomes, .departments])
            return ScanPlan(
                rows: RowSelection(rows),
                kernel: packs ? .packedHistogram : .rangeTotals,
                distinctByOccurrences: pairs
            )
        case .ranking:
            let partitions = options.derivedColumnKernels && (options.buildsIndexes || hasProposerPartitions)
            return ScanPlan(
                rows: RowSelection(rows),
                kernel: partitions ? .proposerPartitions : .filtered,
                distinctByOccurrences: false
            )
        }
    }

    /// The rows a filter can pass: when every alternative names users, only their rows; else, when every
    /// alternative names departments, only theirs; and when every alternative keeps open instances only, only the
    /// open rows, if they are fewer. Rows are listed only if they are at most a third of the table (an eighth for
    /// the `top N` ranking, which sorts the pairs of listed rows); else the whole range is visited. Listed rows skip
    /// the filter's unpredictable branches, so even a department of a quarter of the rows is answered two to three
    /// times faster from its list (10M rows: `overview 2025 where dept=生产部` 6.5 → 2.4 ms,
    /// `overview all where dept in (…three…)`, 31% of the rows, 40 → 28 ms). Rows listed for a filter that tests
    /// nothing else (users only, departments only, both open statuses only) all pass it, and the kernels skip
    /// testing them (``RowSelection/passesFilter``). Only an engine that builds indexes (or has built one) lists rows.
    func selectRows(_ rows: Range<Int>, filter: ResolvedFilter, ranking: Bool = false) -> RowSelection {
        guard !rows.isEmpty, options.derivedColumnKernels else { return RowSelection(rows) }
        let listing: (index: CodeRowIndex, codes: [UInt32])?
        if let users = filter.users {
            listing = codeRowIndex(userRows, table.userId).map { ($0, users) }
        } else if let depts = filter.depts {
            listing = codeRowIndex(deptRows, table.deptName).map { ($0, depts) }
        } else {
            listing = nil
        }
        let listedCount = listing.map { $0.index.rowCount(of: $0.codes) } ?? Int.max
        let mostListed = table.rowCount / (ranking ? 8 : 3)
        if filter.openOnly, let open = openRows(), open.count <= min(listedCount, mostListed) {
            let everyOpen =
                filter.soleColumn == .status
                && filter.admits(soleColumnCode: UInt32(InstanceStatus.new.rawValue))
                && filter.admits(soleColumnCode: UInt32(InstanceStatus.running.rawValue))
            return openRows(in: rows, passFilter: everyOpen) ?? RowSelection(rows)
        }
        guard let listing, listedCount <= mostListed else { return RowSelection(rows) }
        return RowSelection(
            range: rows,
            listed: listing.index.rows(of: listing.codes, in: rows),
            passesFilter: filter.users != nil ? filter.testsOnlyUsers : filter.soleColumn == .dept
        )
    }

    /// The rows of one department name code, ascending, from the department row index (built on first use by an
    /// engine that builds indexes); `nil` in an engine without it.
    func departmentRows(of name: UInt32) -> ArraySlice<Int32>? {
        guard let index = codeRowIndex(deptRows, table.deptName), Int(name) + 1 < index.starts.count else { return nil }
        return index.rows[Int(index.starts[Int(name)])..<Int(index.starts[Int(name) + 1])]
    }

    /// The rows of open instances (NEW or RUNNING), ascending, built on first use by an engine that builds indexes;
    /// `nil` until then in one that does not.
    /// - Complexity: O(n) once (a pass over the status bytes), then O(1); 4 B per open instance.
    func openRows() -> [Int32]? {
        if let built = openRowsCache.withLock({ $0 }) { return built }
        guard options.buildsIndexes, options.derivedColumnKernels else { return nil }
        var open: [Int32] = []
        table.status.withUnsafeBufferPointer { status in
            for row in status.indices where InstanceStatus.isOpen(byte: status[row]) {
                open.append(Int32(truncatingIfNeeded: row))
            }
        }
        return openRowsCache.withLock { cached in
            if cached == nil { cached = open }
            return cached!
        }
    }

    /// The rows `age_days` visits: over a long range without listed rows, only the open ones (where the engine lists
    /// them); else the selection itself.
    func openAgeRows(_ rows: RowSelection) -> RowSelection {
        guard rows.listed == nil, rows.range.count >= listedRowsPerWorker else { return rows }
        return openRows(in: rows.range) ?? rows
    }

    /// The open rows of a range as a selection (`passFilter`: a filter that keeps every open row and no other), or
    /// `nil` without ``openRows()``.
    /// - Complexity: O(log open), plus a copy of the range's share unless it holds every open row.
    func openRows(in range: Range<Int>, passFilter: Bool = false) -> RowSelection? {
        guard let open = openRows() else { return nil }
        let low = open.partitionPoint { Int($0) >= range.lowerBound }
        let high = open[low...].partitionPoint { Int($0) >= range.upperBound }
        return RowSelection(
            range: range,
            listed: low == 0 && high == open.count ? open : Array(open[low..<high]),
            passesFilter: passFilter
        )
    }

    /// The row index of a dictionary column, built on first use when the engine builds indexes, else `nil` until
    /// something else built it.
    /// - Complexity: O(n) once, then O(1).
    private func codeRowIndex(_ cache: Locked<CodeRowIndex?>, _ column: DictionaryColumn) -> CodeRowIndex? {
        if let built = cache.withLock({ $0 }) { return built }
        guard options.buildsIndexes else { return nil }
        let built = CodeRowIndex(codes: column.codes, codeCount: column.dictionary.count)
        return cache.withLock { cached in
            if cached == nil { cached = built }
            return cached!
        }
    }
}

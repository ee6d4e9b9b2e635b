import LeanStatsTestSupport
import Testing

@testable import LeanStatsCore

/// The parallel kernels must give exactly what one worker and a naive reference give.
struct ParallelKernelTests {
    let clock = try! ZoneClock(identifier: "Asia/Shanghai")

    static let sizes = [0, 1, 2, 15, 16, 17, 31, 32, 33, 64, 65, 200, 1000]

    func engines(
        _ records: [InstanceRecord],
        bitmapBits: Int = 1 << 26
    ) -> (serial: StatisticsEngine, parallel: StatisticsEngine) {
        var builder = InstanceTableBuilder()
        for record in records { builder.upsert(record) }
        let table = builder.build()
        return (
            StatisticsEngine(
                table: table,
                clock: clock,
                options: KernelOptions(workers: 1, morselSize: 1 << 30, distinctBitmapBits: bitmapBits)
            ),
            StatisticsEngine(
                table: table,
                clock: clock,
                // The parallel engine counts distinct values of unfiltered ranges from the previous-occurrence
                // columns at every size; the serial one keeps the bitmaps: both must equal the reference.
                options: KernelOptions(
                    workers: 4,
                    morselSize: 16,
                    distinctBitmapBits: bitmapBits,
                    occurrenceScanRows: 0
                )
            )
        )
    }

    @Test(arguments: sizes)
    func parallelRunsAgreeWithOneWorkerAndWithTheReference(size: Int) {
        let records = randomInstances(count: size, seed: UInt64(size) + 7)
        let (serial, parallel) = engines(records)
        let reference = ReferenceStatistics(records: records, clock: clock)
        let periods: [DayRange?] = [
            nil,
            DayRange(from: CivilDate(year: 2024, month: 3, day: 1), through: CivilDate(year: 2024, month: 8, day: 31)),
        ]
        let filters = [
            StatisticsFilter.none, StatisticsFilter(deptName: "生产部"), StatisticsFilter(status: .completed),
            StatisticsFilter(category: "安全改善"),
            StatisticsFilter(alternatives: [
                FilterConditions(deptNames: ["生产部", "质量部"], statuses: [.completed, .running]),
                FilterConditions(categories: ["安全改善", StatisticsFilter.missingCategory]),
            ]),
            StatisticsFilter(alternatives: [FilterConditions(users: ["user3", "员工5", "新名7"], results: [.agree, nil])]),
            StatisticsFilter(alternatives: [
                FilterConditions(deptNames: [StatisticsFilter.missingDeptName, "设备部"]),
                FilterConditions(deptNames: ["没有这个部门"]),
            ]),
        ]
        for period in periods {
            for filter in filters {
                #expect(
                    parallel.overview(period: period, filter: filter) == serial.overview(period: period, filter: filter)
                )
                #expect(parallel.overview(period: period, filter: filter) == reference.overview(period, filter))
                for dimension in Dimension.allCases {
                    let expected = reference.grouped(by: dimension, period, filter)
                    #expect(serial.grouped(by: dimension, period: period, filter: filter) == expected, "\(dimension)")
                    #expect(parallel.grouped(by: dimension, period: period, filter: filter) == expected, "\(dimension)")
                }
                #expect(parallel.topProposers(10, period: period, filter: filter) == reference.top(10, period, filter))
                #expect(
                    serial.topProposers(1000, period: period, filter: filter) == reference.top(1000, period, filter)
                )
            }
        }
    }

    @Test(arguments: [0, 1 << 26])
    func distinctCountsAreExactInBothBitmapAndFirstGroupMode(bitmapBits: Int) {
        // A zero bitmap budget forces the first-group table with its list of users seen in several groups.
        let records = randomInstances(count: 3000, seed: 99, users: 300)
        let (serial, parallel) = engines(records, bitmapBits: bitmapBits)
        let reference = ReferenceStatistics(records: records, clock: clock)
        for dimension in Dimension.allCases {
            #expect(parallel.grouped(by: dimension, period: nil) == reference.grouped(by: dimension, nil))
            #expect(serial.grouped(by: dimension, period: nil) == reference.grouped(by: dimension, nil))
        }
        #expect(parallel.overview(period: nil) == reference.overview(nil))
    }
}

/// The kernels over derived columns (flag bytes, narrowed days, pair partitions) must give exactly what the
/// general filtered kernels give, for every statistic, period and grouping.
struct DerivedColumnKernelTests {
    let clock = try! ZoneClock(identifier: "Asia/Shanghai")

    /// May 2024, a month of the random histories.
    let may2024 = DayRange(
        from: CivilDate(year: 2024, month: 5, day: 1),
        through: CivilDate(year: 2024, month: 5, day: 31)
    )

    /// A table of random instances.
    func randomTable(count: Int, seed: UInt64, users: Int) -> InstanceTable {
        var builder = InstanceTableBuilder()
        for record in randomInstances(count: count, seed: seed, users: users) { builder.upsert(record) }
        return builder.build()
    }

    /// A table of random instances from forty departments `部门0` … `部门39` (those without one keep none).
    func fortyDepartmentTable(count: Int, seed: UInt64, users: Int) -> InstanceTable {
        var records = randomInstances(count: count, seed: seed, users: users)
        for index in records.indices where records[index].originatorDeptName != nil {
            records[index].originatorDeptName = "部门\(index % 40)"
        }
        var builder = InstanceTableBuilder()
        for record in records { builder.upsert(record) }
        return builder.build()
    }

    func engine(_ table: InstanceTable, derived: Bool, workers: Int, indexes: Bool = true) -> StatisticsEngine {
        StatisticsEngine(
            table: table,
            clock: clock,
            options: KernelOptions(
                workers: workers,
                morselSize: 37,
                occurrenceScanRows: 0,
                derivedColumnKernels: derived,
                buildsIndexes: indexes
            )
        )
    }

    @Test(arguments: [0, 1, 17, 500, 4000])
    func derivedColumnKernelsAgreeWithTheGeneralKernels(size: Int) {
        let records = randomInstances(count: size, seed: UInt64(size) + 31, users: max(size / 6, 1))
        var builder = InstanceTableBuilder()
        for record in records { builder.upsert(record) }
        let table = builder.build()
        let general = engine(table, derived: false, workers: 1)
        let reference = ReferenceStatistics(records: records, clock: clock)
        for (workers, indexes) in [(1, true), (3, true), (2, false)] {
            let derived = engine(table, derived: true, workers: workers, indexes: indexes)
            let periods: [DayRange?] = [
                nil,
                DayRange(
                    from: CivilDate(year: 2024, month: 2, day: 10),
                    through: CivilDate(year: 2024, month: 11, day: 3)
                ),
            ]
            for period in periods {
                for options in [StatisticsOptions.all, .standard, [.processing], [.distinct], [.departments], []] {
                    #expect(
                        derived.overview(period: period, options: options)
                            == general.overview(period: period, options: options)
                    )
                    for dimension in Dimension.allCases {
                        #expect(
                            derived.grouped(by: .dimension(dimension), period: period, options: options)
                                == general.grouped(by: .dimension(dimension), period: period, options: options),
                            "\(dimension) \(options)"
                        )
                    }
                }
                // Departments alone: the same `depts` as with every distinct count, and no participants.
                for dimension in [Dimension.dept, .category, .month, .user] {
                    let alone = derived.grouped(by: .dimension(dimension), period: period, options: [.departments])
                    let standard = derived.grouped(by: .dimension(dimension), period: period, options: .standard)
                    #expect(alone.map(\.depts) == standard.map(\.depts), "\(dimension)")
                    #expect(alone.allSatisfy { $0.participants == 0 }, "\(dimension)")
                }
                for limit in [1, 3, 10, 1000] {
                    #expect(derived.topProposers(limit, period: period) == reference.top(limit, period, .none))
                }
            }
        }
    }

    @Test func rankingsOverLongAndShortPartitionSlicesAgreeWithTheGeneralKernel() {
        // 40k rows: all history reads whole partitions' counters, one month only the pairs it touched.
        let table = randomTable(count: 40_000, seed: 78, users: 900)
        let general = engine(table, derived: false, workers: 1)
        let derived = engine(table, derived: true, workers: 2)
        for period in [nil, may2024] {
            for limit in [1, 10, 100] {
                #expect(derived.topProposers(limit, period: period) == general.topProposers(limit, period: period))
            }
        }
    }

    @Test func rankingsOverPairsInSeveralPartitionsAgreeWithTheGeneralKernel() {
        // More pairs than one partition holds: pair numbers past the first partition must survive their packing.
        let table = randomTable(count: 100_000, seed: 79, users: 45_000)
        #expect(table.userId.dictionary.count > 32_768, "more users than one partition of pairs holds")
        let general = engine(table, derived: false, workers: 1)
        let derived = engine(table, derived: true, workers: 2)
        for period in [nil, may2024] {
            for limit in [1, 10, 200] {
                #expect(derived.topProposers(limit, period: period) == general.topProposers(limit, period: period))
            }
            // `by user` of counts and agreements adds the partitions' pair counts up per user.
            for limit in [10, nil] {
                #expect(
                    derived.grouped(by: .dimension(.user), period: period, options: [], limit: limit)
                        == general.grouped(by: .dimension(.user), period: period, options: [], limit: limit)
                )
            }
        }
    }

    @Test func rankingsOfRangesEndingInsideOrAtTheEdgeOfA65536RowBlockAgreeWithTheGeneralKernel() {
        // 150k rows over 500 days: the partitions' 65 536-row blocks end near days 218 and 437.
        let table = randomTable(count: 150_000, seed: 80, users: 2000)
        let general = engine(table, derived: false, workers: 1)
        let derived = engine(table, derived: true, workers: 2)
        let block = 1 << ProposerPartitions.blockShift
        let partitions = derived.proposerPartitions()
        let place = derived.proposerIndex().places(of: table)
        var listed = 0
        for partition in 0..<(partitions.starts.count - 1) {
            // Each entry's row, read block by block.
            var rows: [Int] = []
            for block in 0..<(partitions.blocksPerPartition - 1) {
                let first = partition * partitions.blocksPerPartition + block
                for entry in partitions.blockStarts[first]..<partitions.blockStarts[first + 1] {
                    rows.append(block << ProposerPartitions.blockShift | Int(partitions.lowRows[entry]))
                }
            }
            #expect(rows.count == partitions.starts[partition + 1] - partitions.starts[partition])
            #expect(zip(rows, rows.dropFirst()).allSatisfy { $0 < $1 })
            #expect(rows.allSatisfy { place[$0] != 0 })
            listed += rows.count
            for row in [0, 1, block - 1, block, block + 1, 2 * block, table.rowCount - 1, table.rowCount] {
                let expected = partitions.starts[partition] + rows.count { $0 < row }
                #expect(partitions.firstEntry(in: partition, atOrAfter: row) == expected, "\(partition) \(row)")
            }
        }
        #expect(listed == place.count { $0 != 0 })
        let edgeDate = derived.clock.date(at: table.createTime[block])
        let periods: [DayRange?] = [
            nil,
            DayRange(from: CivilDate(year: 2024, month: 7, day: 20), through: edgeDate),
            DayRange(from: edgeDate, through: CivilDate(year: 2025, month: 3, day: 1)),
            DayRange(from: CivilDate(year: 2024, month: 2, day: 1), through: CivilDate(year: 2025, month: 4, day: 30)),
        ]
        for period in periods {
            for limit in [1, 10, 100] {
                #expect(derived.topProposers(limit, period: period) == general.topProposers(limit, period: period))
            }
            #expect(
                derived.grouped(by: .dimension(.user), period: period)
                    == general.grouped(by: .dimension(.user), period: period)
            )
        }
    }

    /// An engine whose indexes are prepared as a REPL's are; ranges under 1000 rows build no index of their own.
    func prepared(_ table: InstanceTable) -> StatisticsEngine {
        let engine = StatisticsEngine(
            table: table,
            clock: clock,
            options: KernelOptions(workers: 2, morselSize: 37, occurrenceScanRows: 1000)
        )
        engine.prepareIndexes()
        return engine
    }

    @Test func shortRangesAnsweredFromPreparedIndexesAgreeWithTheGeneralKernels() {
        let table = randomTable(count: 4000, seed: 77, users: 600)
        let general = engine(table, derived: false, workers: 1)
        // Ranges under 1000 rows build no index of their own; prepared ones are used for them.
        let prepared = self.prepared(table)
        let month = may2024
        #expect(general.overview(period: month).count > 0)
        for options in [StatisticsOptions.all, .standard, [.distinct]] {
            #expect(
                prepared.overview(period: month, options: options) == general.overview(period: month, options: options)
            )
            for dimension in [Dimension.dept, .category, .month] {
                #expect(
                    prepared.grouped(by: .dimension(dimension), period: month, options: options)
                        == general.grouped(by: .dimension(dimension), period: month, options: options)
                )
            }
        }
        #expect(prepared.topProposers(10, period: month) == general.topProposers(10, period: month))
    }

    @Test func proposersAndDepartmentsOfOneDepartmentNameCountedFromThePairColumnsAgreeWithTheGeneralKernels() throws {
        let records = randomInstances(count: 4000, seed: 83, users: 300)
        var builder = InstanceTableBuilder()
        for record in records { builder.upsert(record) }
        let table = builder.build()
        let general = engine(table, derived: false, workers: 1)
        let prepared = self.prepared(table)
        let spring = DayRange(
            from: CivilDate(year: 2024, month: 3, day: 17),
            through: CivilDate(year: 2024, month: 9, day: 2)
        )
        let single = StatisticsFilter(deptName: "生产部")
        let missing = StatisticsFilter(alternatives: [FilterConditions(deptNames: [StatisticsFilter.missingDeptName])])
        // A user proposes from several departments here, so a count over two names at once would be wrong.
        #expect(Set(records.filter { $0.originatorUserId == "user3" }.map(\.originatorDeptName)).count > 1)
        for filter in [single, missing] {
            let resolved = try #require(prepared.resolve(filter))
            let rows = RowSelection(prepared.rowRange(for: spring))
            let counts = try #require(prepared.distinctInOneDepartment(rows, filter: resolved, departments: true))
            let expected = general.overview(period: spring, filter: filter, options: .all)
            #expect(counts.users == expected.participants && counts.depts == expected.depts)
            #expect(expected.participants > 0)
        }
        // Periods starting on sixty days, so that some start at a row whose proposer proposes again within them.
        for month in 1...6 {
            for day in stride(from: 1, through: 28, by: 3) {
                let period = DayRange(
                    from: CivilDate(year: 2024, month: month, day: day),
                    through: CivilDate(year: 2024, month: 12, day: 31)
                )
                let rows = RowSelection(prepared.rowRange(for: period))
                for filter in [single, missing] {
                    let counts = prepared.distinctInOneDepartment(
                        rows,
                        filter: prepared.resolve(filter)!,
                        departments: true
                    )
                    let expected = general.overview(period: period, filter: filter, options: .all)
                    #expect(counts?.users == expected.participants && counts?.depts == expected.depts)
                }
            }
        }
        let twoNames = StatisticsFilter(alternatives: [FilterConditions(deptNames: ["生产部", "质量部"])])
        let notSole = StatisticsFilter(alternatives: [FilterConditions(deptNames: ["生产部"], statuses: [.completed])])
        // Two names, or a name and a status, are left to the general kernels.
        for filter in [twoNames, notSole] {
            let resolved = try #require(prepared.resolve(filter))
            let counts = prepared.distinctInOneDepartment(
                RowSelection(0..<table.rowCount),
                filter: resolved,
                departments: true
            )
            #expect(counts == nil)
        }
        for period in [nil, may2024, spring] {
            for filter in [single, missing, twoNames, notSole] {
                expectOverviewsAndGroupsAgree(
                    prepared,
                    general,
                    period: period,
                    filter: filter,
                    options: [.all, .standard, [.distinct], [.departments]]
                )
            }
        }
    }

    @Test func calendarBucketsAddedUpFromOutcomeCubesAndPairColumnsAgreeWithTheGeneralKernels() throws {
        let table = randomTable(count: 6000, seed: 91, users: 300)
        let general = engine(table, derived: false, workers: 1)
        let prepared = self.prepared(table)
        let filters = [
            StatisticsFilter(deptName: "生产部"),
            StatisticsFilter(alternatives: [FilterConditions(deptNames: [StatisticsFilter.missingDeptName])]),
            StatisticsFilter(alternatives: [FilterConditions(deptNames: ["生产部", "质量部"])]),
            StatisticsFilter(alternatives: [FilterConditions(deptNames: ["生产部"], statuses: [.completed])]),
            StatisticsFilter(alternatives: [FilterConditions(categories: ["安全改善"])]),
        ]
        // Periods that start and end inside months, so that buckets hold whole months, parts of months, or both.
        var periods: [DayRange?] = [nil]
        for (month, day) in [(1, 1), (2, 14), (3, 31), (6, 2)] {
            periods.append(
                DayRange(
                    from: CivilDate(year: 2024, month: month, day: day),
                    through: CivilDate(year: 2024, month: month + 5, day: 20)
                )
            )
        }
        let optionSets: [StatisticsOptions] = [
            [.outcomes, .distinct], [.outcomes, .processing, .distinct, .departments], [.outcomes, .openAge],
            [.outcomes],
        ]
        var participants = 0
        for period in periods {
            for filter in filters {
                for options in optionSets {
                    for dimension in [Dimension.month, .quarter, .year] {
                        let buckets = expectGroupsAgree(prepared, general, dimension, period, filter, options)
                        participants += buckets.reduce(0) { $0 + $1.participants }
                    }
                }
            }
        }
        #expect(participants > 0)
    }

    @Test func proposersAndDepartmentsUnderAFilterAnOutcomeCubeAnswersAgreeWithTheGeneralKernels() throws {
        let table = randomTable(count: 80_000, seed: 97, users: 150_000)
        let general = engine(table, derived: false, workers: 1)
        // Most users propose once, so a row left out changes the count.
        let scanning = blockScanningEngine(table)
        let twoNames = try [1, 2].map { try #require(table.deptName.dictionary[$0]) }
        let filters = [
            StatisticsFilter(alternatives: [FilterConditions(categories: ["安全改善"])]),
            StatisticsFilter(alternatives: [FilterConditions(statuses: [.completed])]),
            StatisticsFilter(alternatives: [FilterConditions(results: [.refuse, nil])]),
            StatisticsFilter(alternatives: [FilterConditions(deptNames: twoNames, statuses: [.completed])]),
            StatisticsFilter(alternatives: [
                FilterConditions(categories: ["安全改善"], statuses: [.running]),
                FilterConditions(categories: ["质量改善", StatisticsFilter.missingCategory]),
            ]),
        ]
        let periods: [DayRange?] = [
            nil,
            DayRange(from: CivilDate(year: 2024, month: 2, day: 9), through: CivilDate(year: 2024, month: 10, day: 30)),
        ]
        for period in periods {
            for filter in filters {
                let resolved = try #require(scanning.resolve(filter))
                let rows = period.map { scanning.rowRange(for: $0) } ?? 0..<table.rowCount
                let column = try #require(resolved.cubeColumn(grouping: nil))
                let counts = scanning.distinctUnderCubeFilter(rows, filter: resolved, column: column, departments: true)
                let expected = general.overview(period: period, filter: filter, options: .all)
                #expect(counts.users == expected.participants && counts.depts == expected.depts, "\(filter)")
                #expect(expected.participants > 0)
                // The planner picks the scan for these figures over a period of whole months.
                #expect(
                    scanning.plan(.single, rows: rows, filter: resolved, options: [.outcomes, .distinct]).kernel
                        == .cubeFilterScan
                )
                #expect(
                    scanning.overview(period: period, filter: filter, options: [.outcomes, .distinct, .departments])
                        == general.overview(
                            period: period,
                            filter: filter,
                            options: [.outcomes, .distinct, .departments]
                        )
                )
            }
        }
    }

    @Test func groupsOfDepartmentOrCategoryUnderAFilterOfTheOtherAgreeWithTheGeneralKernels() throws {
        let table = fortyDepartmentTable(count: 200_000, seed: 101, users: 3000)
        let general = engine(table, derived: false, workers: 1)
        // Over ranges and over listed rows: twelve of the forty departments are listed (7500 rows a morsel), and
        // all their rows pass a filter of names only.
        let scanning = blockScanningEngine(table)
        let names = (0..<12).map { "部门\($0)" }
        let cases: [(StatisticsFilter, Dimension)] = [
            (StatisticsFilter(alternatives: [FilterConditions(categories: ["安全改善"])]), .dept),
            (StatisticsFilter(alternatives: [FilterConditions(categories: ["安全改善"], results: [.agree])]), .dept),
            (StatisticsFilter(alternatives: [FilterConditions(deptNames: names)]), .category),
            (StatisticsFilter(alternatives: [FilterConditions(deptNames: names, statuses: [.completed])]), .category),
            (
                StatisticsFilter(alternatives: [
                    FilterConditions(deptNames: [names[0], StatisticsFilter.missingDeptName]),
                    FilterConditions(deptNames: [names[1]], statuses: [.running]),
                ]), .category
            ),
        ]
        let periods: [DayRange?] = [
            nil,
            DayRange(from: CivilDate(year: 2024, month: 2, day: 9), through: CivilDate(year: 2024, month: 10, day: 30)),
        ]
        var departments = 0
        var listed = 0
        for period in periods {
            for (filter, dimension) in cases {
                let resolved = try #require(scanning.resolve(filter))
                let rows = period.map { scanning.rowRange(for: $0) } ?? 0..<table.rowCount
                let column: FilterColumn = dimension == .dept ? .dept : .category
                let shape = ScanShape.grouped(
                    pairKey: "\(GroupingKey.dimension(dimension))",
                    isUser: false,
                    column: column
                )
                for options: StatisticsOptions in [[], [.outcomes], [.outcomes, .departments]] {
                    let plan = scanning.plan(shape, rows: rows, filter: resolved, options: options)
                    #expect(plan.kernel == .groupedFilterScan)
                    listed += plan.rows.listed == nil ? 0 : 1
                    let groups = expectGroupsAgree(scanning, general, dimension, period, filter, options)
                    departments += groups.reduce(0) { $0 + $1.depts }
                }
            }
        }
        #expect(departments > 0 && listed > 0)
    }

    @Test func departmentPairsAreBuiltOnlyOnceAQueryCountsDepartmentsPerGroup() {
        let table = randomTable(count: 4000, seed: 79, users: 600)
        let general = engine(table, derived: false, workers: 1)
        let prepared = self.prepared(table)
        let key = "\(GroupingKey.dimension(.dept))"
        #expect(prepared.hasPairOccurrences(key))
        #expect(!prepared.hasPairOccurrences(key, departments: true))
        for period in [may2024, nil] {
            let participants = prepared.grouped(by: .dimension(.dept), period: period, options: [.distinct, .outcomes])
            #expect(
                participants == general.grouped(by: .dimension(.dept), period: period, options: [.distinct, .outcomes])
            )
            #expect(participants.contains { $0.participants > 1 })
        }
        #expect(!prepared.hasPairOccurrences(key, departments: true))
        let departments = prepared.grouped(by: .dimension(.dept), period: may2024, options: .all)
        #expect(departments == general.grouped(by: .dimension(.dept), period: may2024, options: .all))
        #expect(departments.contains { $0.depts > 0 })
        #expect(prepared.hasPairOccurrences(key, departments: true))
    }

    @Test
    func processingDaysBeyondSixteenBitsUseTheWideKernel() {
        // A finish time 100 years after creation does not fit the narrowed days; the answer must not change.
        var records = randomInstances(count: 300, seed: 5)
        if let index = records.firstIndex(where: { $0.status == .completed && $0.finishTime != nil }) {
            records[index].finishTime = records[index].createTime + 100 * 366 * 86_400
        }
        var builder = InstanceTableBuilder()
        for record in records { builder.upsert(record) }
        let table = builder.build()
        let derived = engine(table, derived: true, workers: 2)
        let general = engine(table, derived: false, workers: 1)
        #expect(derived.overview(period: nil, options: .all) == general.overview(period: nil, options: .all))
        #expect((derived.overview(period: nil).maxDays ?? 0) > 36_000)
        #expect(derived.overview(period: nil) == ReferenceStatistics(records: records, clock: clock).overview(nil))
        guard case .wide = derived.derivedRows().days else {
            Issue.record("days beyond 32 767 must be held in four bytes")
            return
        }
        #expect(derived.grouped(by: .month, period: nil) == general.grouped(by: .month, period: nil))
    }

    @Test
    func aMonthWithMoreThan65536OpenInstancesKeepsItsProcessingDays() {
        // Each open row adds −32 768 to the narrowed days' lane sums; 70 000 of them in one month's bucket take the
        // eight lanes together past Int32, which must not wrap the month's total days.
        let start: Int64 = 1_714_492_800  // 2024-05-01 00:00 Beijing
        var records: [InstanceRecord] = []
        for index in 0..<70_010 {
            let completed = index % 7_001 == 0
            records.append(
                InstanceRecord(
                    instanceId: "open-\(index)",
                    businessId: "\(index)",
                    title: "提案 \(index)",
                    createTime: start + Int64(index % 86_400),
                    finishTime: completed ? start + Int64(index % 86_400) + 12 * 86_400 : nil,
                    status: completed ? .completed : .running,
                    result: completed ? .agree : nil,
                    originatorUserId: "user\(index % 50)",
                    originatorDeptName: "生产部"
                )
            )
        }
        records.append(
            InstanceRecord(
                instanceId: "june",
                businessId: "june",
                title: "六月",
                createTime: start + 40 * 86_400,
                finishTime: start + 43 * 86_400,
                status: .completed,
                result: .agree
            )
        )
        var builder = InstanceTableBuilder()
        for record in records { builder.upsert(record) }
        let table = builder.build()
        let derived = engine(table, derived: true, workers: 2)
        let general = engine(table, derived: false, workers: 1)
        let months = derived.grouped(by: .dimension(.month), period: nil, options: [.processing, .outcomes])
        #expect(months.map(\.key) == ["2024-05", "2024-06"])
        #expect(months.first?.completed == 10)
        #expect(months.first?.totalDays == 10 * 12)
        #expect(months.first?.avgDays == 12)
        #expect(months == general.grouped(by: .dimension(.month), period: nil, options: [.processing, .outcomes]))
    }

    /// Expects `overview` and every `by` dimension to give the same answer from both engines.
    /// An engine whose morsels the filter scans read in blocks of 4096 and a last, partial block: two workers cut a
    /// range into morsels of an eighth of it, at most 10 000 rows, so a table needs 80 000 rows for the largest.
    func blockScanningEngine(_ table: InstanceTable) -> StatisticsEngine {
        StatisticsEngine(
            table: table,
            clock: clock,
            options: KernelOptions(workers: 2, morselSize: 10_000, occurrenceScanRows: 1000)
        )
    }

    /// The groups `engine` gives for a grouping, after expecting them to equal `general`'s.
    @discardableResult
    func expectGroupsAgree(
        _ engine: StatisticsEngine,
        _ general: StatisticsEngine,
        _ dimension: Dimension,
        _ period: DayRange?,
        _ filter: StatisticsFilter,
        _ options: StatisticsOptions
    ) -> [GroupStatistics] {
        let groups = engine.grouped(by: .dimension(dimension), period: period, filter: filter, options: options)
        let expected = general.grouped(by: .dimension(dimension), period: period, filter: filter, options: options)
        #expect(groups == expected, "\(dimension) \(filter) \(options) \(String(describing: period))")
        return groups
    }

    func expectOverviewsAndGroupsAgree(
        _ indexed: StatisticsEngine,
        _ general: StatisticsEngine,
        period: DayRange?,
        filter: StatisticsFilter,
        options: [StatisticsOptions]
    ) {
        for options in options {
            #expect(
                indexed.overview(period: period, filter: filter, options: options)
                    == general.overview(period: period, filter: filter, options: options)
            )
            for dimension in Dimension.allCases {
                expectGroupsAgree(indexed, general, dimension, period, filter, options)
            }
        }
    }

    @Test
    func filtersOfOpenInstancesAndOpenAgesVisitingOnlyTheOpenRowsAgreeWithTheGeneralKernels() throws {
        // 20 000 rows (more than one worker's share of listed rows), one in twenty open: few enough to be listed.
        var records = randomInstances(count: 20_000, seed: 83, users: 400)
        var open = 0
        for index in records.indices where records[index].status == .new || records[index].status == .running {
            open += 1
            if open % 4 != 0 {
                records[index].status = .completed
                records[index].finishTime = records[index].createTime + 86_400 * Int64(index % 40)
            } else if open % 8 == 0 {
                // An open instance that already carries an agreement still counts as agreed.
                records[index].result = .agree
            }
        }
        var builder = InstanceTableBuilder()
        for record in records { builder.upsert(record) }
        let table = builder.build()
        let general = engine(table, derived: false, workers: 1)
        let indexed = engine(table, derived: true, workers: 3)
        let filters = [
            StatisticsFilter.none,
            StatisticsFilter(alternatives: [FilterConditions(statuses: [.new, .running])]),
            StatisticsFilter(alternatives: [
                FilterConditions(deptNames: ["生产部"], statuses: [.running]),
                FilterConditions(statuses: [.new], results: [nil]),
            ]),
        ]
        for filter in filters {
            for period in [nil, may2024] {
                expectOverviewsAndGroupsAgree(
                    indexed,
                    general,
                    period: period,
                    filter: filter,
                    options: [.all, [.openAge], []]
                )
            }
        }
        let openRows = try #require(indexed.openRowsCache.withLock { $0 })
        #expect(openRows.count > 100 && openRows.count <= table.rowCount / 8)
        #expect(openRows.allSatisfy { [1, 2].contains(table.status[Int($0)]) })
        #expect(openRows.count == table.status.filter { $0 == 1 || $0 == 2 }.count)
    }

    /// All history, one month, whole months with a partial one at each end, and one partial month.
    var periodsAroundWholeMonths: [DayRange?] {
        func day(_ year: Int, _ month: Int, _ day: Int) -> CivilDate { CivilDate(year: year, month: month, day: day) }
        return [
            nil,
            may2024,
            DayRange(from: day(2024, 3, 15), through: day(2024, 7, 10)),
            DayRange(from: day(2024, 6, 3), through: day(2024, 6, 20)),
        ]
    }

    @Test
    func groupsOfWholeMonthsAddedFromMonthlyTotalsAgreeWithTheGeneralKernels() throws {
        let table = randomTable(count: 6000, seed: 87, users: 300)
        let general = engine(table, derived: false, workers: 1)
        let indexed = engine(table, derived: true, workers: 3)
        // And beyond the data at both ends.
        let periods =
            periodsAroundWholeMonths
            + [
                DayRange(
                    from: CivilDate(year: 2000, month: 1, day: 1),
                    through: CivilDate(year: 2099, month: 12, day: 31)
                )
            ]
        for period in periods {
            for options in [
                StatisticsOptions(), [.processing, .outcomes], .standard, [.benefit], [.benefit, .processing],
            ] {
                #expect(
                    indexed.overview(period: period, options: options)
                        == general.overview(period: period, options: options),
                    "\(String(describing: period)) \(options)"
                )
                for dimension in [Dimension.dept, .category, .status, .result] {
                    let groups = indexed.grouped(by: .dimension(dimension), period: period, options: options)
                    #expect(
                        groups == general.grouped(by: .dimension(dimension), period: period, options: options),
                        "\(dimension) \(String(describing: period)) \(options)"
                    )
                }
            }
        }
        let codes = table.deptName.codes
        let months = try #require(
            indexed.monthlyTotals(
                "\(GroupingKey.dimension(.dept))",
                codes: codes,
                groupCount: table.deptName.dictionary.count
            )
        )
        #expect(months.starts.first == 0 && months.starts.last == table.rowCount)
        #expect(indexed.overview(period: nil, options: [.benefit]).benefitSum ?? 0 > 0)
        #expect(months.cells.reduce(0) { $0 + $1.count } == table.rowCount)
    }

    @Test
    func filtersOfOneColumnAddedUpFromThatColumnsMonthlyTotalsAgreeWithTheGeneralKernels() throws {
        let table = randomTable(count: 6000, seed: 97, users: 300)
        let general = engine(table, derived: false, workers: 1)
        let indexed = engine(table, derived: true, workers: 3)
        let periods = periodsAroundWholeMonths
        let filters: [(StatisticsFilter, Dimension)] = [
            (StatisticsFilter(alternatives: [FilterConditions(categories: ["安全改善"])]), .category),
            (
                StatisticsFilter(alternatives: [
                    FilterConditions(categories: ["效率提升", StatisticsFilter.missingCategory]),
                    FilterConditions(categories: ["5S"]),
                ]), .category
            ),
            (
                StatisticsFilter(alternatives: [FilterConditions(deptNames: ["生产部", StatisticsFilter.missingDeptName])]
                ), .dept
            ),
            (StatisticsFilter(alternatives: [FilterConditions(statuses: [.new, .running])]), .status),
            (StatisticsFilter(alternatives: [FilterConditions(results: [nil, .refuse])]), .result),
        ]
        for (filter, dimension) in filters {
            for period in periods {
                for options in [StatisticsOptions(), [.processing, .outcomes], [.benefit, .processing], [.openAge]] {
                    let context = "\(filter) \(String(describing: period)) \(options)"
                    let overview = indexed.overview(period: period, filter: filter, options: options)
                    #expect(
                        overview == general.overview(period: period, filter: filter, options: options),
                        "\(context)"
                    )
                    #expect(overview.count > 0, "\(context)")
                    let groups = indexed.grouped(
                        by: .dimension(dimension),
                        period: period,
                        filter: filter,
                        options: options
                    )
                    #expect(
                        groups
                            == general.grouped(
                                by: .dimension(dimension),
                                period: period,
                                filter: filter,
                                options: options
                            ),
                        "\(context)"
                    )
                }
            }
        }
        // The filters were answered from the columns' monthly totals, not by scanning.
        let cached = indexed.monthlyTotalsCache.withLock { Set($0.keys) }
        for dimension in [Dimension.dept, .category, .status, .result] {
            #expect(cached.contains("\(GroupingKey.dimension(dimension))"), "\(dimension)")
        }
    }

    @Test
    func aFilterTestsASoleColumnOnlyWhenEveryAlternativeTestsThatColumnAlone() throws {
        let indexed = engine(randomTable(count: 500, seed: 99, users: 50), derived: true, workers: 2)
        func sole(_ alternatives: [FilterConditions]) throws -> FilterColumn? {
            try #require(indexed.resolve(StatisticsFilter(alternatives: alternatives))).soleColumn
        }
        #expect(try sole([FilterConditions(deptNames: ["生产部"]), FilterConditions(deptNames: ["质量部"])]) == .dept)
        #expect(try sole([FilterConditions(categories: ["安全改善"])]) == .category)
        #expect(try sole([FilterConditions(statuses: [.new, .running])]) == .status)
        #expect(try sole([FilterConditions(results: [nil])]) == .result)
        #expect(try sole([FilterConditions(deptNames: ["生产部"], statuses: [.running])]) == nil)
        #expect(try sole([FilterConditions(deptNames: ["生产部"]), FilterConditions(categories: ["安全改善"])]) == nil)
        #expect(try sole([FilterConditions(users: ["user1"])]) == nil)
        #expect(try #require(indexed.resolve(.none)).soleColumn == nil)
        let results = try #require(indexed.resolve(StatisticsFilter(alternatives: [FilterConditions(results: [nil])])))
        #expect(results.admits(soleColumnCode: 0))
        #expect(!results.admits(soleColumnCode: UInt32(InstanceResult.agree.rawValue)))
    }

    @Test
    func thePlannerAddsUpMonthsOnlyForAdditiveFiguresUnfilteredOrFilteredOnOneColumn() throws {
        let table = randomTable(count: 3000, seed: 89, users: 200)
        let indexed = engine(table, derived: true, workers: 2)
        let rows = 0..<table.rowCount
        let none = try #require(indexed.resolve(.none))
        let filter = try #require(
            indexed.resolve(StatisticsFilter(alternatives: [FilterConditions(deptNames: ["生产部"])]))
        )
        let dept = ScanShape.grouped(pairKey: "\(GroupingKey.dimension(.dept))", isUser: false, column: .dept)
        let category = ScanShape.grouped(
            pairKey: "\(GroupingKey.dimension(.category))",
            isUser: false,
            column: .category
        )
        #expect(indexed.plan(dept, rows: rows, filter: none, options: [.processing, .outcomes]).fromMonths)
        #expect(indexed.plan(dept, rows: rows, filter: none, options: [.benefit]).fromMonths)
        #expect(!indexed.plan(dept, rows: rows, filter: none, options: .standard).fromMonths)
        // A filter of the grouping's own column (or of one column, for one group) adds up months and lists no
        // rows; one of another column, of two columns, or with distinct counts scans.
        let byMonths = indexed.plan(dept, rows: rows, filter: filter, options: [.processing])
        #expect(byMonths.fromMonths && byMonths.rows.listed == nil)
        #expect(indexed.plan(.single, rows: rows, filter: filter, options: [.processing, .outcomes]).fromMonths)
        #expect(!indexed.plan(category, rows: rows, filter: filter, options: [.processing]).fromMonths)
        #expect(!indexed.plan(dept, rows: rows, filter: filter, options: .standard).fromMonths)
        let twoColumns = try #require(
            indexed.resolve(StatisticsFilter(alternatives: [FilterConditions(deptNames: ["生产部"], statuses: [.new])]))
        )
        #expect(!indexed.plan(.single, rows: rows, filter: twoColumns, options: [.processing]).fromMonths)
        #expect(
            !indexed.plan(.grouped(pairKey: "user", isUser: true), rows: rows, filter: none, options: [.benefit])
                .fromMonths
        )
        #expect(indexed.plan(.single, rows: rows, filter: none, options: [.benefit]).fromMonths)
        #expect(!indexed.plan(.single, rows: rows, filter: none, options: [.processing]).fromMonths)
        let oneShot = engine(table, derived: true, workers: 2, indexes: false)
        #expect(!oneShot.plan(dept, rows: rows, filter: none, options: [.benefit]).fromMonths)
    }

    @Test
    func filtersOfOneCodedColumnWithStatusAndResultAddedFromOutcomeCubesAgreeWithTheGeneralKernels() throws {
        let table = randomTable(count: 8000, seed: 91, users: 300)
        let general = engine(table, derived: false, workers: 1)
        let indexed = engine(table, derived: true, workers: 3)
        let filters = [
            StatisticsFilter(alternatives: [
                FilterConditions(results: [nil]), FilterConditions(deptNames: ["质量部"], statuses: [.terminated]),
            ]),
            StatisticsFilter(alternatives: [FilterConditions(statuses: [.new, .running])]),
            StatisticsFilter(alternatives: [FilterConditions(categories: ["安全改善"], results: [.agree])]),
            StatisticsFilter(alternatives: [
                FilterConditions(deptNames: ["生产部", StatisticsFilter.missingDeptName], statuses: [.completed]),
                FilterConditions(statuses: [.running]),
            ]),
            StatisticsFilter(alternatives: [
                FilterConditions(categories: [StatisticsFilter.missingCategory], statuses: [.running, .new])
            ]),
            StatisticsFilter(alternatives: [FilterConditions(statuses: [.completed], results: [.refuse])]),
        ]
        for filter in filters {
            for period in periodsAroundWholeMonths {
                expectOverviewsAndGroupsAgree(
                    indexed,
                    general,
                    period: period,
                    filter: filter,
                    options: [[.processing, .outcomes, .openAge], [.openAge], [], [.outcomes]]
                )
            }
        }
        // Each filter's cube, over a period that holds a whole month; none for a user, two coded columns or a
        // distinct count.
        let rows = 0..<table.rowCount
        func cube(
            _ conditions: [FilterConditions],
            grouping: FilterColumn?,
            options: StatisticsOptions = []
        )
            throws -> FilterColumn?
        {
            let resolved = try #require(indexed.resolve(StatisticsFilter(alternatives: conditions)))
            let shape =
                grouping.map { ScanShape.grouped(pairKey: "\($0)", isUser: false, column: $0) } ?? ScanShape.single
            let plan = indexed.plan(shape, rows: rows, filter: resolved, options: options)
            #expect(plan.cube == nil || plan.rows.listed == nil, "a cube lists no rows")
            return plan.cube?.column
        }
        let terminated = FilterConditions(deptNames: ["质量部"], statuses: [.terminated])
        #expect(try cube([FilterConditions(results: [nil]), terminated], grouping: nil) == .dept)
        #expect(try cube([FilterConditions(statuses: [.new])], grouping: .category, options: [.openAge]) == .category)
        #expect(try cube([FilterConditions(categories: ["5S"], results: [nil])], grouping: .status) == .category)
        #expect(try cube([terminated], grouping: .category) == nil)
        #expect(try cube([terminated, FilterConditions(categories: ["5S"])], grouping: nil) == nil)
        #expect(try cube([FilterConditions(statuses: [.new], users: ["user1"])], grouping: nil) == nil)
        #expect(try cube([terminated], grouping: nil, options: .standard) == nil)
        #expect(try cube([terminated], grouping: nil, options: [.percentiles]) == nil)
        let builtCubes = indexed.outcomeCube(.dept) != nil && indexed.outcomeCube(.category) != nil
        #expect(builtCubes)
        let oneShotCube = engine(table, derived: true, workers: 2, indexes: false).outcomeCube(.dept) != nil
        #expect(!oneShotCube, "an engine that builds no indexes has no cube")
    }

    @Test
    func departmentFiltersByMonthAnsweredBucketByBucketInParallelAgreeWithTheGeneralKernels() throws {
        // One instance in twenty from a small department: few enough rows to be listed.
        var records = randomInstances(count: 6000, seed: 85, users: 300)
        for index in stride(from: 0, to: records.count, by: 20) { records[index].originatorDeptName = "工艺部" }
        var builder = InstanceTableBuilder()
        for record in records { builder.upsert(record) }
        let table = builder.build()
        let general = engine(table, derived: false, workers: 1)
        let indexed = engine(table, derived: true, workers: 3)
        let filter = StatisticsFilter(alternatives: [FilterConditions(deptNames: ["工艺部"])])
        // A department and a status: the department's rows are listed, and the kernels test the status.
        let running = StatisticsFilter(alternatives: [FilterConditions(deptNames: ["工艺部"], statuses: [.running])])
        let resolved = try #require(indexed.resolve(filter))
        let listed = indexed.selectRows(0..<table.rowCount, filter: resolved)
        #expect(listed.listed != nil && listed.passesFilter)
        let partly = indexed.selectRows(0..<table.rowCount, filter: try #require(indexed.resolve(running)))
        #expect(partly.listed != nil && !partly.passesFilter)
        for filter in [filter, running] {
            for dimension in [Dimension.month, .quarter, .year] {
                let months = indexed.grouped(by: .dimension(dimension), period: nil, filter: filter, options: .all)
                #expect(
                    months == general.grouped(by: .dimension(dimension), period: nil, filter: filter, options: .all)
                )
                #expect(months.count > 1)
            }
        }
    }

    @Test
    func userFiltersVisitingOnlyTheUsersRowsAgreeWithTheGeneralKernels() {
        let table = randomTable(count: 6000, seed: 81, users: 300)
        let general = engine(table, derived: false, workers: 1)
        let indexed = engine(table, derived: true, workers: 3)
        let filters = [
            StatisticsFilter(alternatives: [FilterConditions(users: ["user7"])]),
            StatisticsFilter(alternatives: [
                FilterConditions(users: ["user7", "员工12", "新名40"], results: [.agree, nil])
            ]),
            StatisticsFilter(alternatives: [
                FilterConditions(deptNames: ["生产部"], users: ["user1", "user6"]),
                FilterConditions(statuses: [.running], users: ["user9"]),
            ]),
            // One alternative without a user condition: every row may pass, so the whole range is scanned.
            StatisticsFilter(alternatives: [
                FilterConditions(users: ["user3"]), FilterConditions(categories: ["安全改善"]),
            ]),
        ]
        let periods: [DayRange?] = [nil, may2024]
        for filter in filters {
            for period in periods {
                expectOverviewsAndGroupsAgree(
                    indexed,
                    general,
                    period: period,
                    filter: filter,
                    options: [.all, .standard, [.departments], [.percentiles, .openAge]]
                )
                #expect(
                    indexed.grouped(by: .dimension(.user), period: period, filter: filter, limit: 2)
                        == general.grouped(by: .dimension(.user), period: period, filter: filter, limit: 2)
                )
                #expect(
                    indexed.topProposers(3, period: period, filter: filter)
                        == general.topProposers(3, period: period, filter: filter)
                )
                #expect(
                    indexed.instanceRows(period: period, filter: filter)
                        == general.instanceRows(period: period, filter: filter)
                )
                #expect(
                    indexed.instanceRows(period: period, filter: filter, limit: 5)
                        == general.instanceRows(period: period, filter: filter, limit: 5)
                )
            }
        }
        #expect(indexed.userRows.withLock { $0 != nil }, "the user filters were answered from the user row index")
        #expect(general.userRows.withLock { $0 == nil }, "the general kernels scan the range")
        #expect(!indexed.instanceRows(period: nil, filter: filters[0]).isEmpty)
    }

    @Test
    func filteredRankingsOverTheProposerPartitionsCountOnlyThePassingRowsAcrossRowBlocks() throws {
        // More rows than one 65 536-row block of the partitions: periods start and end inside blocks.
        let table = randomTable(count: 140_000, seed: 101, users: 3000)
        let indexed = engine(table, derived: true, workers: 3)
        // The general kernel counts (user, department) pairs row by row.
        let general = engine(table, derived: false, workers: 1)
        let filters = [
            StatisticsFilter(alternatives: [FilterConditions(categories: ["安全改善"])]),
            StatisticsFilter(alternatives: [
                FilterConditions(deptNames: ["生产部"]), FilterConditions(categories: ["5S"]),
            ]),
            StatisticsFilter(alternatives: [FilterConditions(statuses: [.completed], results: [.agree])]),
            // A user condition: tested row by row instead of through the alternatives' masks.
            StatisticsFilter(alternatives: [FilterConditions(users: ["user7"]), FilterConditions(categories: ["5S"])]),
        ]
        let periods: [DayRange?] = [
            nil,
            may2024,
            DayRange(from: CivilDate(year: 2024, month: 3, day: 15), through: CivilDate(year: 2024, month: 9, day: 10)),
        ]
        for filter in filters {
            for period in periods {
                let resolved = try #require(indexed.resolve(filter))
                let rows = indexed.rowRange(for: period)
                #expect(indexed.plan(.ranking, rows: rows, filter: resolved, options: []).kernel == .proposerPartitions)
                for limit in [1, 10] {
                    let top = indexed.topProposers(limit, period: period, filter: filter)
                    #expect(
                        top == general.topProposers(limit, period: period, filter: filter),
                        "\(filter) \(String(describing: period))"
                    )
                    #expect(!top.isEmpty)
                }
            }
        }
        #expect(table.rowCount > 2 << 16)
    }

    @Test
    func mergingTwoAscendingRunsGivesTheirRowsInOrderWhateverTheirLengths() {
        var random = SeededGenerator(seed: 5)
        let runs: [[Int32]] = [
            [], [7], [1, 2, 3], (0..<500).map { _ in Int32.random(in: 0..<1000, using: &random) }.sorted(),
        ]
        for left in runs {
            for right in runs {
                let merged = mergeSorted(left[...], right[...])
                #expect(merged == (left + right).sorted(), "\(left.count) + \(right.count)")
                // Slices that do not start at index 0 merge as well.
                #expect(
                    mergeSorted(left.dropFirst(), right.dropFirst()) == (left.dropFirst() + right.dropFirst()).sorted()
                )
            }
        }
    }

    @Test
    func theCodeRowIndexListsTheRowsOfSomeCodesInsideARangeInOrder() {
        let table = randomTable(count: 3000, seed: 82, users: 50)
        let index = CodeRowIndex(codes: table.userId.codes, codeCount: table.userId.dictionary.count)
        #expect(index.rows.count == table.rowCount)
        for users: [UInt32] in [[0, 3, 17, 49], [5, 8, 13], [21]] {
            #expect(
                index.rowCount(of: users)
                    == (0..<table.rowCount).filter { users.contains(table.userId.codes[$0]) }.count
            )
            for range in [0..<table.rowCount, 700..<701, 1234..<2345, 5..<5] {
                let expected = range.filter { users.contains(table.userId.codes[$0]) }.map { Int32($0) }
                #expect(index.rows(of: users, in: range) == expected, "\(range)")
                let selection = RowSelection(
                    range: 0..<table.rowCount,
                    listed: index.rows(of: users, in: 0..<table.rowCount)
                )
                #expect(selection.restricted(to: range).listed == expected, "\(range)")
            }
        }
    }

    @Test
    func deptFiltersVisitingOnlyTheDepartmentsRowsAgreeWithTheGeneralKernels() {
        // Forty departments, so that one holds well under an eighth of the rows and its rows are listed.
        let table = fortyDepartmentTable(count: 8000, seed: 83, users: 400)
        let general = engine(table, derived: false, workers: 1)
        let indexed = engine(table, derived: true, workers: 3)
        let filters = [
            StatisticsFilter(deptName: "部门7"),
            StatisticsFilter(alternatives: [FilterConditions(deptNames: ["部门1", "部门2", "部门30"])]),
            StatisticsFilter(alternatives: [FilterConditions(deptNames: [StatisticsFilter.missingDeptName])]),
            StatisticsFilter(alternatives: [
                FilterConditions(deptNames: ["部门3"], statuses: [.completed]),
                FilterConditions(deptNames: ["部门4"], users: ["user9"]),
            ]),
            StatisticsFilter(alternatives: [FilterConditions(deptNames: ["部门5"], users: ["user5", "user45"])]),
        ]
        for filter in filters {
            for period in [nil, may2024] {
                expectOverviewsAndGroupsAgree(
                    indexed,
                    general,
                    period: period,
                    filter: filter,
                    options: [.all, .standard, [.departments, .processing]]
                )
                #expect(
                    indexed.topProposers(5, period: period, filter: filter)
                        == general.topProposers(5, period: period, filter: filter)
                )
                #expect(
                    indexed.instanceRows(period: period, filter: filter, limit: 7)
                        == general.instanceRows(period: period, filter: filter, limit: 7)
                )
            }
        }
        #expect(indexed.deptRows.withLock { $0 != nil }, "the dept filters were answered from the dept row index")
        #expect(!indexed.instanceRows(period: nil, filter: filters[0]).isEmpty)
    }

    @Test
    func proposerRankingsByAFigureKeepTheFirstProposersOfTheWholeRankedOrder() {
        // Forty departments of 8000 rows by 1500 users: one department holds fewer rows than there are users, so
        // its proposers get group slots of their own.
        let table = fortyDepartmentTable(count: 8000, seed: 87, users: 1500)
        let indexed = engine(table, derived: true, workers: 3)
        let general = engine(table, derived: false, workers: 1)
        let rankings = [
            GroupRanking(descending: false) { $0.passRate },
            GroupRanking(descending: true) { $0.passRate },
            // No value without completions: those proposers come last.
            GroupRanking(descending: true) { $0.within30Rate },
            // Nor without a shortest processing time, which a proposer before must not lend them.
            GroupRanking(descending: true) { $0.minDays.map(Double.init) },
        ]
        let filters = [
            StatisticsFilter.none, StatisticsFilter(deptName: "部门7"), StatisticsFilter(category: "安全改善"),
        ]
        for filter in filters {
            for period in [nil, may2024] {
                for ranking in rankings {
                    let whole = indexed.grouped(
                        by: .dimension(.user),
                        period: period,
                        filter: filter,
                        options: [.processing],
                        ranking: ranking
                    )
                    #expect(whole.count > 12)
                    // Values in the ranking's order, no value last, ties by count and then user id.
                    for (left, right) in zip(whole, whole.dropFirst()) {
                        switch (ranking.value(left), ranking.value(right)) {
                        case (let a?, let b?) where a != b: #expect(ranking.descending ? a > b : a < b)
                        case (nil, _?): Issue.record("a proposer without a value before one with")
                        case (_?, nil): break
                        default:
                            #expect(
                                left.count > right.count
                                    || left.count == right.count && utf8Precedes(left.userId!, right.userId!)
                            )
                        }
                    }
                    for limit in [1, 3, 12] {
                        let top = indexed.grouped(
                            by: .dimension(.user),
                            period: period,
                            filter: filter,
                            options: [.processing],
                            ranking: ranking,
                            limit: limit
                        )
                        #expect(top == Array(whole.prefix(limit)), "\(filter) \(limit)")
                        #expect(
                            top
                                == general.grouped(
                                    by: .dimension(.user),
                                    period: period,
                                    filter: filter,
                                    options: [.processing],
                                    ranking: ranking,
                                    limit: limit
                                )
                        )
                    }
                }
            }
        }
    }

    @Test
    func percentilesCountedInHistogramsEqualSortingEachGroupsDaysAlsoWhenKeptForAllHistory() {
        let table = randomTable(count: 5000, seed: 84, users: 200)
        let engine = engine(table, derived: true, workers: 3)
        func expected(_ days: [Int]) -> (Double, Double)? {
            let sorted = days.sorted().map { Int32($0) }
            guard !sorted.isEmpty else { return nil }
            return sorted.withUnsafeBufferPointer { (quantile($0, 0.5), quantile($0, 0.9)) }
        }
        // The first round keeps the departments' histograms of all history unfiltered and the months' histograms;
        // the second reads them off, and the filtered queries and those of days that are not whole months (the
        // middle of May to the middle of June) must still count their own rows.
        let partialMonths = DayRange(
            from: CivilDate(year: 2024, month: 5, day: 10),
            through: CivilDate(year: 2024, month: 6, day: 20)
        )
        for _ in 0..<2 {
            for filter in [StatisticsFilter.none, StatisticsFilter(category: "安全改善")] {
                for period in [nil, may2024, partialMonths] {
                    let rows = engine.instanceRows(period: period, filter: filter)
                    var byDept: [String: [Int]] = [:]
                    for row in rows {
                        guard let days = engine.processingDays(ofRow: row) else { continue }
                        byDept[table.deptName[row] ?? StatisticsEngine.missingDeptLabel, default: []].append(days)
                    }
                    let all = expected(byDept.values.flatMap { $0 })
                    let overview = engine.overview(period: period, filter: filter, options: .percentiles)
                    #expect(
                        overview.p50Days == all?.0 && overview.p90Days == all?.1,
                        "\(filter) \(String(describing: period))"
                    )
                    for group in engine.grouped(
                        by: .dimension(.dept),
                        period: period,
                        filter: filter,
                        options: .percentiles
                    ) {
                        let want = expected(byDept[group.key] ?? [])
                        #expect(group.p50Days == want?.0 && group.p90Days == want?.1, "\(group.key)")
                    }
                }
            }
        }
        #expect(engine.wholeHistoryDayHistograms.withLock { Set($0.keys) } == ["\(GroupingKey.dimension(.dept))"])
        #expect(engine.monthlyDayHistogramsCache.withLock { $0 != nil })
    }
}

import Dispatch
import Foundation

/// What an engine derives per row from status, result and times.
struct DerivedRows: Sendable {
    /// calendar-date(finish) − calendar-date(create) for COMPLETED rows with a finish time, marked as having none
    /// otherwise.
    let days: DayValues
    /// ``RowFlag`` bits of each row: outcome, status and processing-time class.
    let flags: [UInt8]
}

extension StatisticsEngine {
    /// The derived per-row columns, built on first use.
    func derivedRows() -> DerivedRows {
        if let built = derivedCache.withLock({ $0 }) { return built }
        let built = Self.deriveRowColumns(table: table, days: days, clock: clock, options: options)
        return derivedCache.withLock { cached in
            if cached == nil { cached = built }
            return cached!
        }
    }

    /// Derives each row's processing days and ``RowFlag`` bits, in parallel chunks: in two bytes a row, or in
    /// four when some row's days do not fit two.
    /// - Complexity: O(n / workers), twice when the days do not fit two bytes.
    static func deriveRowColumns(
        table: InstanceTable,
        days: DayIndex,
        clock: ZoneClock,
        options: KernelOptions
    ) -> DerivedRows {
        let finish = table.finishTime
        if let narrow = deriveRowColumns(table, finish, days, clock, options, missing: Int16.min) {
            return DerivedRows(days: .narrow(narrow.days), flags: narrow.flags)
        }
        let wide = deriveRowColumns(table, finish, days, clock, options, missing: noDays)!
        return DerivedRows(days: .wide(wide.days), flags: wide.flags)
    }

    /// Derives the days as `Day`, with `missing` marking a row without them; the creation day of each row comes
    /// from `dayIndex`, followed along the chunk's rows.
    /// - Returns: `nil` when some row's days are not a `Day` other than `missing`.
    private static func deriveRowColumns<Day: FixedWidthInteger & SignedInteger & Sendable>(
        _ table: InstanceTable,
        _ finishTime: TimeColumn,
        _ dayIndex: DayIndex,
        _ clock: ZoneClock,
        _ options: KernelOptions,
        missing: Day
    ) -> (days: [Day], flags: [UInt8])? {
        let rows = table.rowCount
        let completed = InstanceStatus.completed.rawValue
        let running = InstanceStatus.running.rawValue
        let agree = InstanceResult.agree.rawValue
        let refuse = InstanceResult.refuse.rawValue
        var days = [Day](repeating: missing, count: rows)
        var flags = [UInt8](repeating: 0, count: rows)
        let chunk = 1 << 16
        let chunks = (rows + chunk - 1) / chunk
        var fits = [Bool](repeating: true, count: chunks)
        table.status.withUnsafeBufferPointer { status in
            table.result.withUnsafeBufferPointer { result in
                finishTime.withTimeBuffer { finish in
                    days.withUnsafeMutableBufferPointer { days in
                        flags.withUnsafeMutableBufferPointer { flags in
                            fits.withUnsafeMutableBufferPointer { fits in
                                let shared = UnsafeTransfer(value: (status, result, finish, days, flags, fits))
                                let work: @Sendable (Int) -> Void = { index in
                                    let (status, result, finish, days, flags, fits) = shared.value
                                    let first = index * chunk
                                    var created = dayIndex.day(ofRow: first)
                                    var nextDay = dayIndex.firstRow(onOrAfterDay: created + 1)
                                    for row in first..<min(rows, first + chunk) {
                                        while row >= nextDay {
                                            created += 1
                                            nextDay = dayIndex.firstRow(onOrAfterDay: created + 1)
                                        }
                                        var bits: UInt8 = 0
                                        bits |= result[row] == agree ? RowFlag.agree : 0
                                        bits |= result[row] == refuse ? RowFlag.refuse : 0
                                        bits |= status[row] == running ? RowFlag.running : 0
                                        if status[row] == completed && finish[row] != InstanceTable.missingTime {
                                            let value = clock.dayNumber(at: finish[row]) - created
                                            if let day = Day(exactly: value), day != missing {
                                                days[row] = day
                                            } else {
                                                fits[index] = false
                                            }
                                            bits |= RowFlag.completed | (value <= 30 ? RowFlag.within30 : 0)
                                        }
                                        flags[row] = bits
                                    }
                                }
                                if options.workers == 1 || chunks <= 1 {
                                    for index in 0..<chunks { work(index) }
                                } else {
                                    DispatchQueue.concurrentPerform(iterations: chunks, execute: work)
                                }
                            }
                        }
                    }
                }
            }
        }
        return fits.allSatisfy { $0 } ? (days, flags) : nil
    }
}

/// What the proposer ranking and user labels need, derived in one pass on first use: each user's latest name and
/// first department name, from which ``places(of:)`` tells for each row whether it counts under that first
/// department, under another one, or not at all (no user id or no user name).
struct ProposerIndex: Sendable {
    /// The user-name code of each user id's most recent named instance (0 when never named), in the width of the
    /// user-name codes, as the two below in that of the department-name codes.
    let latestName: CodeArray
    /// The department-name code of each user's first named instance (0 when never named).
    let firstDept: CodeArray
    /// The department-name code of each user id's most recent instance (0 when it has none).
    let latestDept: CodeArray

    /// The row counts for its user's first department.
    static let primary: UInt8 = 1
    /// The row counts for another department of its user (rare).
    static let other: UInt8 = 2

    /// Derives the index.
    /// - Complexity: O(n).
    init(table: InstanceTable) {
        let users = max(table.userId.dictionary.count, 1)
        var latest = [UInt32](repeating: 0, count: users)
        var first = [UInt32](repeating: .max, count: users)
        var latestDepts = [UInt32](repeating: 0, count: users)
        latest.withUnsafeMutableBufferPointer { latest in
            latestDepts.withUnsafeMutableBufferPointer { latestDepts in
                first.withUnsafeMutableBufferPointer { first in
                    table.userId.codes.withCodeBuffer { userCodes in
                        table.userName.codes.withCodeBuffer { nameCodes in
                            table.deptName.codes.withCodeBuffer { deptCodes in
                                for row in 0..<table.rowCount {
                                    let name = nameCodes[row]
                                    let user = Int(userCodes[row])
                                    latestDepts[user] = deptCodes[row]
                                    if name == 0 { continue }
                                    latest[user] = name
                                    if user == 0 { continue }
                                    if first[user] == .max { first[user] = deptCodes[row] }
                                }
                            }
                        }
                    }
                }
            }
        }
        let deptCodes = table.deptName.dictionary.maxCode
        latestName = CodeArray(latest, maxCode: table.userName.dictionary.maxCode)
        latestDept = CodeArray(latestDepts, maxCode: deptCodes)
        firstDept = CodeArray(first.map { $0 == .max ? 0 : $0 }, maxCode: deptCodes)
    }

    /// Per row of `table` (the table the index was derived from): ``primary``, ``other`` or 0 (no user id or no
    /// user name). Made when needed rather than kept: one byte per row.
    /// - Complexity: O(n).
    func places(of table: InstanceTable) -> [UInt8] {
        var place = [UInt8](repeating: 0, count: table.rowCount)
        place.withUnsafeMutableBufferPointer { place in
            firstDept.withCodeBuffer { first in
                table.userId.codes.withCodeBuffer { userCodes in
                    table.userName.codes.withCodeBuffer { nameCodes in
                        table.deptName.codes.withCodeBuffer { deptCodes in
                            for row in 0..<table.rowCount where nameCodes[row] != 0 && userCodes[row] != 0 {
                                place[row] = first[Int(userCodes[row])] == deptCodes[row] ? Self.primary : Self.other
                            }
                        }
                    }
                }
            }
        }
        return place
    }
}

extension StatisticsEngine {
    /// The proposer index, derived on first use.
    func proposerIndex() -> ProposerIndex {
        if let built = proposers.withLock({ $0 }) { return built }
        let built = ProposerIndex(table: table)
        return proposers.withLock { cached in
            if cached == nil { cached = built }
            return cached!
        }
    }
}

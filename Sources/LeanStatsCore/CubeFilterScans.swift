/// Scans for filters an outcome cube answers (``ResolvedFilter/cubeColumn(grouping:)``: at most one of department and
/// category, besides status and result), for the figures the cube cannot give: one group's distinct proposers and
/// departments, and groupings by the other of department and category.
///
/// The general kernel tests the whole filter and updates every figure row by row; here a block of rows is read in
/// tight passes: one lists the rows the filter admits (a table lookup of each row's code, and outcome when the filter
/// tests it, written without a branch), then the proposer bitmap, the department flags or the group counters are
/// updated from the listed rows only.
extension StatisticsEngine {
    /// The number of rows one pass handles before the next pass reads them: the listed rows stay in the
    /// first-level cache.
    static let admittedBlockRows = 4096

    /// Distinct users and, when `departments`, department ids of the rows of `rows` that `filter` admits, testing
    /// the codes of `column` (the department names for a filter of status and result only) and the outcomes.
    /// - Precondition: every status byte is below 16 and every result byte below 4, as an outcome cube requires.
    /// - Complexity: O(rows / workers + users / 64 × workers).
    func distinctUnderCubeFilter(
        _ rows: Range<Int>,
        filter: ResolvedFilter,
        column: FilterColumn,
        departments: Bool
    ) -> (users: Int, depts: Int) {
        let (admission, testsOutcomes) = admissionTable(filter, column: column)
        let userWords = (table.userId.dictionary.count + 63) / 64 + 1
        let deptIds = departments ? table.deptId.dictionary.count : 0
        final class Tally {
            var users: [UInt64]
            var depts: [UInt8]
            var selected = [Int32](repeating: 0, count: StatisticsEngine.admittedBlockRows)
            init(userWords: Int, deptIds: Int) {
                users = [UInt64](repeating: 0, count: userWords)
                depts = [UInt8](repeating: 0, count: deptIds)
            }
        }
        let tally = admission.withUnsafeBufferPointer { admits in
            table.status.withUnsafeBufferPointer { status in
                table.result.withUnsafeBufferPointer { result in
                    columnGrouping(column).codes.withCodeBuffer { codes in
                        table.userId.codes.withCodeBuffer { users in
                            table.deptId.codes.withCodeBuffer { ids in
                                let shared = UnsafeTransfer(value: (admits, status, result))
                                return runMorsels(
                                    rows: rows,
                                    options: options,
                                    makeState: { Tally(userWords: userWords, deptIds: deptIds) },
                                    body: { morsel, tally in
                                        let (admits, status, result) = shared.value
                                        let outcomes = testsOutcomes ? (status, result) : nil
                                        var start = morsel.lowerBound
                                        while start < morsel.upperBound {
                                            let block = start..<min(start + Self.admittedBlockRows, morsel.upperBound)
                                            tally.selected.withUnsafeMutableBufferPointer { selected in
                                                let count = listAdmitted(block, codes, outcomes, admits, into: selected)
                                                let listed = UnsafeBufferPointer(rebasing: selected[..<count])
                                                tally.users.withUnsafeMutableBufferPointer { bitmap in
                                                    markUsers(listed, users, into: bitmap)
                                                }
                                                if departments {
                                                    tally.depts.withUnsafeMutableBufferPointer { flags in
                                                        markDepartments(listed, ids, into: flags)
                                                    }
                                                }
                                            }
                                            start = block.upperBound
                                        }
                                    },
                                    combine: { total, part in
                                        for word in total.users.indices { total.users[word] |= part.users[word] }
                                        for id in total.depts.indices { total.depts[id] |= part.depts[id] }
                                    }
                                )
                            }
                        }
                    }
                }
            }
        }
        // Code 0 is a missing user or department id, which counts as none.
        tally.users[0] &= ~1
        return (
            tally.users.reduce(0) { $0 + $1.nonzeroBitCount },
            tally.depts.dropFirst().reduce(0) { $0 + Int($1) }
        )
    }
}

/// Lists in `selected` the rows (a block's range, or ``ListedRows``) that `admits` admits, by code (`outcomes`
/// `nil`) or by `code << 6 | status << 2 | result`, and returns their number; each row is written and the count
/// advanced by its admission, with no branch on it.
private func listAdmitted<Rows: Sequence<Int>>(
    _ rows: Rows,
    _ codes: CodeBuffer,
    _ outcomes: (status: UnsafeBufferPointer<UInt8>, result: UnsafeBufferPointer<UInt8>)?,
    _ admits: UnsafeBufferPointer<UInt8>,
    into selected: UnsafeMutableBufferPointer<Int32>
) -> Int {
    @inline(__always)
    func list<Code: FixedWidthInteger>(_ codes: UnsafeBufferPointer<Code>) -> Int {
        var count = 0
        if let (status, result) = outcomes {
            for row in rows {
                selected[count] = Int32(truncatingIfNeeded: row)
                count &+= Int(admits[Int(codes[row]) << 6 | Int(status[row]) << 2 | Int(result[row])])
            }
        } else {
            for row in rows {
                selected[count] = Int32(truncatingIfNeeded: row)
                count &+= Int(admits[Int(codes[row])])
            }
        }
        return count
    }
    switch codes {
    case .u8(let codes): return list(codes)
    case .u16(let codes): return list(codes)
    case .u32(let codes): return list(codes)
    }
}

/// Sets the bit of each listed row's user in `bitmap`.
private func markUsers(
    _ listed: UnsafeBufferPointer<Int32>,
    _ users: CodeBuffer,
    into bitmap: UnsafeMutableBufferPointer<UInt64>
) {
    @inline(__always)
    func mark<Code: FixedWidthInteger>(_ users: UnsafeBufferPointer<Code>) {
        for row in listed {
            let user = Int(users[Int(row)])
            bitmap[user &>> 6] |= 1 &<< UInt64(user & 63)
        }
    }
    switch users {
    case .u8(let users): mark(users)
    case .u16(let users): mark(users)
    case .u32(let users): mark(users)
    }
}

/// Sets the flag of each listed row's department id in `flags`.
private func markDepartments(
    _ listed: UnsafeBufferPointer<Int32>,
    _ ids: CodeBuffer,
    into flags: UnsafeMutableBufferPointer<UInt8>
) {
    @inline(__always)
    func mark<Code: FixedWidthInteger>(_ ids: UnsafeBufferPointer<Code>) {
        for row in listed { flags[Int(ids[Int(row)])] = 1 }
    }
    switch ids {
    case .u8(let ids): mark(ids)
    case .u16(let ids): mark(ids)
    case .u32(let ids): mark(ids)
    }
}

extension StatisticsEngine {
    /// The admission table of a filter an outcome cube answers, by `code << 6 | status << 2 | result` of `column`'s
    /// codes, or by code alone (`testsOutcomes` false) when the filter tests no status or result.
    func admissionTable(_ filter: ResolvedFilter, column: FilterColumn) -> (table: [UInt8], testsOutcomes: Bool) {
        let codeCount = max(columnGrouping(column).groupCount, 1)
        var admits = [UInt8](repeating: 0, count: codeCount << 6)
        for code in 0..<codeCount {
            for status in 0..<16 {
                for result in 0..<4
                where filter.admits(column, code: UInt32(code), status: UInt8(status), result: UInt8(result)) {
                    admits[code << 6 | status << 2 | result] = 1
                }
            }
        }
        let testsOutcomes = (0..<codeCount).contains { code in
            admits[code << 6..<(code + 1) << 6].contains { $0 != admits[code << 6] }
        }
        return testsOutcomes ? (admits, true) : ((0..<codeCount).map { admits[$0 << 6] }, false)
    }

    /// Per group of `groups` (codes below `groupCount`): the instances, agreements, refusals and running instances
    /// and, when `departments`, the distinct department ids, of the selected rows that `filter` admits (one an
    /// outcome cube answers, testing `column`), without the general kernel. Listed rows that all pass the filter
    /// are not tested again.
    /// - Precondition: every status byte is below 16 and every result byte below 4, as an outcome cube requires.
    /// - Complexity: O(selected rows / workers + groups × department ids × workers).
    func groupedUnderCubeFilter(
        _ selection: RowSelection,
        filter: ResolvedFilter,
        column: FilterColumn,
        groups: CodeArray,
        groupCount: Int,
        departments: Bool
    ) -> [RangeTotals] {
        let (admission, testsOutcomes) = admissionTable(filter, column: column)
        let deptIds = departments ? table.deptId.dictionary.count : 0
        let groupCount = max(groupCount, 1)
        let untested = selection.listed != nil && selection.passesFilter
        final class Tally {
            /// Instances, agreements, refusals and running instances, four counters per group.
            var counters: [Int]
            var depts: [UInt8]
            var selected = [Int32](repeating: 0, count: StatisticsEngine.admittedBlockRows)
            var selectedGroups = [Int32](repeating: 0, count: StatisticsEngine.admittedBlockRows)
            init(groupCount: Int, deptIds: Int) {
                counters = [Int](repeating: 0, count: groupCount * 4)
                depts = [UInt8](repeating: 0, count: groupCount * deptIds)
            }
        }
        let tally = admission.withUnsafeBufferPointer { admits in
            table.status.withUnsafeBufferPointer { status in
                table.result.withUnsafeBufferPointer { result in
                    columnGrouping(column).codes.withCodeBuffer { codes in
                        groups.withCodeBuffer { groups in
                            table.deptId.codes.withCodeBuffer { ids in
                                let shared = UnsafeTransfer(value: (admits, status, result))
                                return runMorsels(
                                    selection: selection,
                                    options: options,
                                    makeState: { Tally(groupCount: groupCount, deptIds: deptIds) },
                                    body: { morsel, tally in
                                        let (admits, status, result) = shared.value
                                        let outcomes = testsOutcomes ? (status, result) : nil
                                        func add(_ listed: UnsafeBufferPointer<Int32>) {
                                            tally.counters.withUnsafeMutableBufferPointer { counters in
                                                tally.selectedGroups.withUnsafeMutableBufferPointer { found in
                                                    countOutcomes(listed, groups, status, result, counters, found)
                                                    guard departments else { return }
                                                    tally.depts.withUnsafeMutableBufferPointer { flags in
                                                        markGroupDepartments(
                                                            listed,
                                                            UnsafeBufferPointer(found),
                                                            ids,
                                                            deptIds,
                                                            into: flags
                                                        )
                                                    }
                                                }
                                            }
                                        }
                                        func addAdmitted<Rows: Sequence<Int>>(_ rows: Rows) {
                                            tally.selected.withUnsafeMutableBufferPointer { selected in
                                                let count = listAdmitted(rows, codes, outcomes, admits, into: selected)
                                                add(UnsafeBufferPointer(rebasing: selected[..<count]))
                                            }
                                        }
                                        switch morsel {
                                        case .range(let rows):
                                            var start = rows.lowerBound
                                            while start < rows.upperBound {
                                                let block = start..<min(start + Self.admittedBlockRows, rows.upperBound)
                                                addAdmitted(block)
                                                start = block.upperBound
                                            }
                                        case .listed(let listed):
                                            var start = 0
                                            while start < listed.rows.count {
                                                let end = min(start + Self.admittedBlockRows, listed.rows.count)
                                                let block = UnsafeBufferPointer(rebasing: listed.rows[start..<end])
                                                if untested { add(block) } else { addAdmitted(ListedRows(rows: block)) }
                                                start = end
                                            }
                                        }
                                    },
                                    combine: { total, part in
                                        for index in total.counters.indices {
                                            total.counters[index] += part.counters[index]
                                        }
                                        for index in total.depts.indices { total.depts[index] |= part.depts[index] }
                                    }
                                )
                            }
                        }
                    }
                }
            }
        }
        return (0..<groupCount).map { group in
            var totals = RangeTotals()
            totals.count = tally.counters[group * 4]
            totals.agree = tally.counters[group * 4 + 1]
            totals.refuse = tally.counters[group * 4 + 2]
            totals.running = tally.counters[group * 4 + 3]
            // Department id 0 is a missing one, which counts as none.
            if departments {
                totals.depts = tally.depts[group * deptIds + 1..<(group + 1) * deptIds].reduce(0) { $0 + Int($1) }
            }
            return totals
        }
    }
}

/// Adds each listed row to its group's four counters (instances, agreements, refusals, running instances) in
/// `counters`, and writes the group of the `i`-th listed row to `found[i]`.
private func countOutcomes(
    _ listed: UnsafeBufferPointer<Int32>,
    _ groups: CodeBuffer,
    _ status: UnsafeBufferPointer<UInt8>,
    _ result: UnsafeBufferPointer<UInt8>,
    _ counters: UnsafeMutableBufferPointer<Int>,
    _ found: UnsafeMutableBufferPointer<Int32>
) {
    let agree = InstanceResult.agree.rawValue
    let refuse = InstanceResult.refuse.rawValue
    let running = InstanceStatus.running.rawValue
    @inline(__always)
    func count<Code: FixedWidthInteger>(_ groups: UnsafeBufferPointer<Code>) {
        for (index, row) in listed.enumerated() {
            let row = Int(row)
            let group = Int(groups[row])
            found[index] = Int32(truncatingIfNeeded: group)
            let base = group &* 4
            let outcome = result[row]
            counters[base] &+= 1
            counters[base &+ 1] &+= outcome == agree ? 1 : 0
            counters[base &+ 2] &+= outcome == refuse ? 1 : 0
            counters[base &+ 3] &+= status[row] == running ? 1 : 0
        }
    }
    switch groups {
    case .u8(let groups): count(groups)
    case .u16(let groups): count(groups)
    case .u32(let groups): count(groups)
    }
}

/// Sets the flag of each listed row's (group, department id) in `flags`, `deptIds` flags per group.
private func markGroupDepartments(
    _ listed: UnsafeBufferPointer<Int32>,
    _ groups: UnsafeBufferPointer<Int32>,
    _ ids: CodeBuffer,
    _ deptIds: Int,
    into flags: UnsafeMutableBufferPointer<UInt8>
) {
    @inline(__always)
    func mark<Code: FixedWidthInteger>(_ ids: UnsafeBufferPointer<Code>) {
        for index in listed.indices {
            flags[Int(groups[index]) &* deptIds &+ Int(ids[Int(listed[index])])] = 1
        }
    }
    switch ids {
    case .u8(let ids): mark(ids)
    case .u16(let ids): mark(ids)
    case .u32(let ids): mark(ids)
    }
}

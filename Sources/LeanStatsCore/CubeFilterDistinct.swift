/// Distinct proposers and departments of the rows a filter admits, when the filter is one an outcome cube answers
/// (``ResolvedFilter/cubeColumn(grouping:)``: at most one of department and category, besides status and result).
///
/// The general kernel tests the whole filter and updates every figure row by row; here the cube gives the other
/// figures, so a block of rows is read in tight passes: one lists the rows the filter admits (a table lookup of each
/// row's code, and outcome when the filter tests it, written without a branch), then the proposer bitmap and the
/// department flags are set from the listed rows only.
extension StatisticsEngine {
    /// The number of rows one pass handles before the next pass reads them: the listed rows stay in the
    /// first-level cache.
    static let admittedBlockRows = 4096

    /// Distinct users and, when `departments`, department ids of the rows of `rows` that `filter` admits, testing
    /// the codes of `column` (`nil`: a filter of status and result only) and the outcomes.
    /// - Precondition: every status byte is below 16 and every result byte below 4, as an outcome cube requires.
    /// - Complexity: O(rows / workers + users / 64 × workers).
    func distinctUnderCubeFilter(
        _ rows: Range<Int>,
        filter: ResolvedFilter,
        column: FilterColumn,
        departments: Bool
    ) -> (users: Int, depts: Int) {
        let grouping = columnGrouping(column)
        let codeCount = max(grouping.groupCount, 1)
        // Whether the filter admits a row, by `code << 6 | status << 2 | result`.
        var admits = [UInt8](repeating: 0, count: codeCount << 6)
        for code in 0..<codeCount {
            for status in 0..<16 {
                for result in 0..<4
                where filter.admits(column, code: UInt32(code), status: UInt8(status), result: UInt8(result)) {
                    admits[code << 6 | status << 2 | result] = 1
                }
            }
        }
        // A filter of the code alone is tested with one lookup of the code.
        let testsOutcomes = (0..<codeCount).contains { code in
            admits[code << 6..<(code + 1) << 6].contains { $0 != admits[code << 6] }
        }
        let codeAdmits = (0..<codeCount).map { admits[$0 << 6] }
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
        let tally = (testsOutcomes ? admits : codeAdmits).withUnsafeBufferPointer { admits in
            table.status.withUnsafeBufferPointer { status in
                table.result.withUnsafeBufferPointer { result in
                    grouping.codes.withCodeBuffer { codes in
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

/// Lists in `selected` the rows of `block` that `admits` admits, by code (`outcomes` `nil`) or by
/// `code << 6 | status << 2 | result`, and returns their number; each row is written and the count advanced by
/// its admission, with no branch on it.
private func listAdmitted(
    _ block: Range<Int>,
    _ codes: CodeBuffer,
    _ outcomes: (status: UnsafeBufferPointer<UInt8>, result: UnsafeBufferPointer<UInt8>)?,
    _ admits: UnsafeBufferPointer<UInt8>,
    into selected: UnsafeMutableBufferPointer<Int32>
) -> Int {
    @inline(__always)
    func list<Code: FixedWidthInteger>(_ codes: UnsafeBufferPointer<Code>) -> Int {
        var count = 0
        if let (status, result) = outcomes {
            for row in block {
                selected[count] = Int32(truncatingIfNeeded: row)
                count &+= Int(admits[Int(codes[row]) << 6 | Int(status[row]) << 2 | Int(result[row])])
            }
        } else {
            for row in block {
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

import Foundation

/// Dense group numbers for a `by user` over a few users: the users a `user=` filter names, or the proposers of the
/// listed rows (a department's, say). The per-group state then holds a slot per such user instead of one per
/// proposer of the table (a million at 10M rows), which every query would zero, combine and scan.
final class UserSlots: @unchecked Sendable {
    /// The user codes; group `g` is the user `users[g]`.
    let users: [UInt32]
    /// The group number of each user code, −1 for a user without one. Borrowed from `pool` and reset when released.
    let slots: UnsafeMutableBufferPointer<Int32>
    private let pool: SlotTablePool

    /// Groups for the given user codes (none of them 0), group `g` being the `g`-th.
    init(users: [UInt32], pool: SlotTablePool) {
        slots = pool.take()
        for (group, code) in users.enumerated() { slots[Int(code)] = Int32(group) }
        self.users = users
        self.pool = pool
    }

    /// Groups for the users of some rows (rows without a user id have none), numbered in the order first met.
    /// - Complexity: O(rows).
    init(usersOf rows: [Int32], codes: CodeBuffer, pool: SlotTablePool) {
        let slots = pool.take()
        var users: [UInt32] = []
        for row in rows {
            let code = codes[Int(row)]
            if code != 0, slots[Int(code)] < 0 {
                slots[Int(code)] = Int32(truncatingIfNeeded: users.count)
                users.append(code)
            }
        }
        self.slots = slots
        self.users = users
        self.pool = pool
    }

    deinit {
        for code in users { slots[Int(code)] = -1 }
        pool.give(slots)
    }
}

/// Tables of a slot per user code, all −1, kept between queries: a table is taken for one query's ``UserSlots``
/// and given back reset, so a query touches only its own users' entries.
final class SlotTablePool: @unchecked Sendable {
    /// Entries per table: the number of user codes.
    let size: Int
    private let lock = NSLock()
    private var free: [UnsafeMutableBufferPointer<Int32>] = []

    /// A pool of tables of `size` entries.
    init(size: Int) {
        self.size = max(size, 1)
    }

    /// A table whose entries are all −1.
    func take() -> UnsafeMutableBufferPointer<Int32> {
        lock.lock()
        let table = free.popLast()
        lock.unlock()
        if let table { return table }
        let fresh = UnsafeMutableBufferPointer<Int32>.allocate(capacity: size)
        fresh.initialize(repeating: -1)
        return fresh
    }

    /// Returns a table whose entries are all −1 again.
    func give(_ table: UnsafeMutableBufferPointer<Int32>) {
        lock.lock()
        free.append(table)
        lock.unlock()
    }

    deinit {
        for table in free { table.deallocate() }
    }
}

/// Rows grouped by their user's slot, −1 for a user without one.
struct SlotGroupReader<Code: FixedWidthInteger & UnsignedInteger>: GroupKeyReader {
    let codes: UnsafeBufferPointer<Code>
    let slots: UnsafeMutablePointer<Int32>

    /// A reader of `slots` (a ``UserSlots`` table) over a user column.
    init(codes: UnsafeBufferPointer<Code>, slots: UnsafeMutableBufferPointer<Int32>) {
        self.codes = codes
        self.slots = slots.baseAddress!
    }

    @inline(__always) func group(_ row: Int) -> Int { Int(slots[Int(codes[row])]) }
}

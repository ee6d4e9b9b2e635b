import LeanStatsCore

/// Finds the row of an instance id in a table without copying its dictionary: an open-addressing table of
/// instance-id codes hashed over the dictionary's own bytes, and the row of each code.
struct InstanceIndex: Sendable {
    private var dictionary = StringDictionary()
    /// Codes (0 marks an empty slot); the capacity is a power of two at least twice the entries.
    private var slots: [UInt32] = Array(repeating: 0, count: 16)
    /// Row of each instance-id code, -1 for none.
    private var rowOfCode: [Int32] = []
    /// The indexed table's rows and its place among upserted tables.
    private var rowCount = 0
    private var mark: UpsertMark?

    /// An index of `table`.
    /// - Complexity: O(n) hashing every instance id once.
    init(table: InstanceTable) {
        update(to: table)
    }

    /// Follows `table`, whose instance-id dictionary extends the indexed one (upserts keep codes and append new
    /// entries); rebuilds from scratch otherwise.
    /// - Complexity: O(new ids) hashing, plus O(new rows) to map codes to rows when the indexed rows kept their
    ///   places (``InstanceTable/keepsRows(since:)``), O(n) otherwise.
    mutating func update(to table: InstanceTable) {
        let next = table.instanceId.dictionary
        var first = dictionary.count
        if next.count < dictionary.count || next.offsets[dictionary.count] != dictionary.offsets[dictionary.count] {
            slots = Array(repeating: 0, count: 16)
            first = 1
        }
        if first < 1 { first = 1 }
        dictionary = next
        var capacity = slots.count
        while capacity < 2 * (next.count + 1) { capacity *= 2 }
        if capacity != slots.count {
            slots = Array(repeating: 0, count: capacity)
            first = 1
        }
        for code in first..<max(first, next.count) { insert(UInt32(code)) }
        var firstRow = 0
        if followsCheaply(table) {
            rowOfCode.append(contentsOf: repeatElement(-1, count: next.count - rowOfCode.count))
            firstRow = rowCount
        } else {
            rowOfCode = Array(repeating: -1, count: next.count)
        }
        table.instanceId.codes.withCodeBuffer { codes in
            for row in firstRow..<table.rowCount { rowOfCode[Int(codes[row])] = Int32(row) }
        }
        rowCount = table.rowCount
        mark = table.upsertMark
    }

    /// Whether ``update(to:)`` only adds `table`'s new rows and ids: the indexed rows kept their places in it.
    /// - Complexity: O(1).
    func followsCheaply(_ table: InstanceTable) -> Bool {
        guard let mark else { return false }
        return table.keepsRows(since: mark) && rowCount <= table.rowCount
            && rowOfCode.count <= table.instanceId.dictionary.count
    }

    /// The row holding `id`, `nil` when the table has no such instance.
    func row(of id: String) -> Int? {
        var id = id
        return id.withUTF8 { value -> Int? in
            let mask = slots.count - 1
            var slot = Int(truncatingIfNeeded: XXH64.hash(UnsafeRawBufferPointer(value))) & mask
            while slots[slot] != 0 {
                let code = slots[slot]
                if dictionary.entry(code, equals: value) {
                    let row = rowOfCode[Int(code)]
                    return row >= 0 ? Int(row) : nil
                }
                slot = (slot + 1) & mask
            }
            return nil
        }
    }

    private mutating func insert(_ code: UInt32) {
        let start = dictionary.offsets[Int(code)]
        let end = dictionary.offsets[Int(code) + 1]
        let hash = dictionary.bytes.withUnsafeBytes { raw in
            XXH64.hash(UnsafeRawBufferPointer(rebasing: raw[start..<end]))
        }
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while slots[slot] != 0 { slot = (slot + 1) & mask }
        slots[slot] = code
    }
}

import Dispatch

/// What successive upserts of one table share: a ``DictionaryLookup`` per text column and the row of each
/// instance-id code, so that merging a few changed instances does not re-hash every stored value.
///
/// Tables that descend from one another by upserts form a lineage. Upserts keep every dictionary code and append
/// new entries, so each member's dictionaries start with the entries of its ancestors. The newest member (the tip)
/// may extend the shared indexes in place when it is upserted; an older member still looks values up in them,
/// skipping codes past its own dictionary and rows past its own row count, and its upserts start no new sharing.
final class UpsertLineage: Sendable {
    private struct State {
        /// The generation of the tip.
        var generation = 0
        /// Indexes by column name (`instance_id`, …, `form:NAME`), built on first use.
        var lookups: [String: DictionaryLookup] = [:]
        /// The row of each instance-id code, -1 for none; `nil` until first used or after rows moved.
        var rowOfCode: [Int32]?
        /// The first generation whose rows ``rowOfCode`` describes (rows keep their places from then on).
        var rowsSince = 0
        /// The first generation after the last upsert that may have moved rows.
        var rowsMovedAt = 0
    }

    private let state = Locked(State())

    /// A table's place in a lineage.
    struct Membership: Sendable {
        let lineage: UpsertLineage
        let generation: Int
    }

    /// For each column, the code each entry of `values` has among the first `stored.count` codes of `stored`.
    ///
    /// A missing index is built from `stored` (in parallel over columns) and kept when the caller is the tip.
    /// - Parameters:
    ///   - columns: Column names, the caller's dictionaries and the dictionaries whose entries to look up.
    ///   - generation: The caller's generation.
    /// - Returns: Per column, per entry code of `values` (index 0 included), the stored code or `nil`.
    /// - Complexity: O(bytes of the values) expected, plus O(bytes of `stored`) for an index built now.
    func codes(
        of columns: [(name: String, stored: StringDictionary, values: StringDictionary)],
        generation: Int
    ) -> [[UInt32?]] {
        let missing = state.withLock { state in columns.indices.filter { state.lookups[columns[$0].name] == nil } }
        var built = [DictionaryLookup?](repeating: nil, count: columns.count)
        built.withUnsafeMutableBufferPointer { slots in
            let shared = UnsafeTransfer(value: slots)
            DispatchQueue.concurrentPerform(iterations: missing.count) { index in
                let column = missing[index]
                shared.value[column] = DictionaryLookup(columns[column].stored)
            }
        }
        return state.withLock { state in
            if state.generation == generation {
                for column in missing where state.lookups[columns[column].name] == nil {
                    state.lookups[columns[column].name] = built[column]
                }
            }
            return columns.indices.map { column in
                let (name, stored, values) = columns[column]
                let lookup = built[column] ?? state.lookups[name]!
                return (0..<values.count).map { code -> UInt32? in
                    guard code > 0 else { return 0 }
                    return values.bytes.withUnsafeBufferPointer { bytes in
                        let entry = UnsafeBufferPointer(
                            rebasing: bytes[values.offsets[code]..<values.offsets[code + 1]]
                        )
                        return lookup.code(of: entry, in: stored, below: stored.count)
                    }
                }
            }
        }
    }

    /// The stored row of each instance-id code of `table`, or -1 when it has none.
    /// - Parameters:
    ///   - codes: Instance-id codes of `table`'s dictionary.
    ///   - table: The caller, whose rows are indexed when the lineage has no row index yet.
    ///   - generation: The caller's generation.
    /// - Complexity: O(codes), plus O(rows) when the row index is built now.
    func rows(of codes: [UInt32], in table: InstanceTable, generation: Int) -> [Int32] {
        func rowIndex() -> [Int32] {
            var rows = [Int32](repeating: -1, count: table.instanceId.dictionary.count)
            table.instanceId.codes.withCodeBuffer { codes in
                for row in 0..<table.rowCount { rows[Int(codes[row])] = Int32(row) }
            }
            return rows
        }
        return state.withLock { state in
            var built: [Int32]?
            if state.rowOfCode == nil || generation < state.rowsSince {
                built = rowIndex()
                if state.generation == generation {
                    state.rowOfCode = built
                    state.rowsSince = generation
                }
            }
            let index = built ?? state.rowOfCode!
            return codes.map { code in
                let row = Int(code) < index.count ? index[Int(code)] : -1
                return row < table.rowCount ? row : -1
            }
        }
    }

    /// Whether the members of generations `earlier` through `later` hold their common rows at the same places:
    /// every upsert in between only replaced rows and appended new ones.
    func keepsRowPlaces(from earlier: Int, to later: Int) -> Bool {
        state.withLock { state in earlier <= later && earlier >= state.rowsMovedAt }
    }

    /// Makes a table of the next generation the tip when the caller still is: extends the indexes to `columns`,
    /// which start with the caller's entries.
    /// - Parameters:
    ///   - generation: The caller's generation.
    ///   - columns: The new table's dictionaries by column name.
    ///   - insertedRows: The instance-id code and row of every row the new table appended, when rows kept their
    ///     places; `nil` when they may have moved (the row index is dropped).
    ///   - instanceCount: The size of the new table's instance-id dictionary.
    /// - Returns: The new table's membership, or `nil` when the caller was not the tip.
    /// - Complexity: O(bytes of the new entries) and O(inserted rows), plus an occasional rehash when an index grows.
    func advance(
        from generation: Int,
        to columns: [(name: String, dictionary: StringDictionary)],
        insertedRows: [(code: UInt32, row: Int32)]?,
        instanceCount: Int
    ) -> Membership? {
        state.withLock { state in
            guard state.generation == generation else { return nil }
            for (name, dictionary) in columns where state.lookups[name] != nil {
                state.lookups[name]!.extend(with: dictionary)
            }
            if let insertedRows, state.rowOfCode != nil {
                let missing = instanceCount - state.rowOfCode!.count
                if missing > 0 { state.rowOfCode!.append(contentsOf: repeatElement(-1, count: missing)) }
                for (code, row) in insertedRows { state.rowOfCode![Int(code)] = row }
            } else {
                state.rowOfCode = nil
                state.rowsMovedAt = state.generation + 1
            }
            state.generation += 1
            return Membership(lineage: self, generation: state.generation)
        }
    }
}

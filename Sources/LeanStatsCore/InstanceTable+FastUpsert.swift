/// A table's place among the tables upserted from one another, to ask a later table whether rows stayed put (see
/// ``InstanceTable/keepsRows(since:)``).
public struct UpsertMark: Sendable {
    let membership: UpsertLineage.Membership?
}

extension InstanceTable {
    /// This table's place among the tables upserted from one another; holds none of its columns.
    public var upsertMark: UpsertMark { UpsertMark(membership: upsertMembership.withLock { $0 }) }

    /// Whether every row of the table that gave `mark` is at the same place in this one, with the same instance id:
    /// this table descends from it by upserts that only replaced rows and appended new ones after them.
    /// - Returns: `false` when that is not known (a table never upserted, another lineage, rows that moved).
    /// - Complexity: O(1).
    public func keepsRows(since mark: UpsertMark) -> Bool {
        guard let earlier = mark.membership, let later = upsertMembership.withLock({ $0 }),
            earlier.lineage === later.lineage
        else { return false }
        return later.lineage.keepsRowPlaces(from: earlier.generation, to: later.generation)
    }

    /// Batches up to this many rows try ``fastUpserting(_:sharingIndexes:)`` first.
    static let fastUpsertLimit = 1024

    /// The table's membership in an upsert lineage, starting one when it has none.
    func lineageMembership() -> UpsertLineage.Membership {
        upsertMembership.withLock { membership in
            if let membership { return membership }
            let started = UpsertLineage.Membership(lineage: UpsertLineage(), generation: 0)
            membership = started
            return started
        }
    }

    /// Builds what the fast path of ``upserting(_:sharingIndexes:)`` looks values up in — a hash index of every
    /// text column's dictionary and the row of each instance id — so that the first small upsert into a table just
    /// loaded costs what later ones do. Upserts build them on first use otherwise; tables upserted from this one share them.
    /// - Complexity: O(total bytes of the dictionaries) hashing plus O(n), spread over the cores.
    public func prepareForUpserts() {
        guard rowCount > 0 else { return }
        let membership = lineageMembership()
        let columns = namedTextColumns.map { (name: $0.name, stored: $0.column.dictionary, values: StringDictionary()) }
        _ = membership.lineage.codes(of: columns, generation: membership.generation)
        _ = membership.lineage.rows(of: [], in: self, generation: membership.generation)
    }

    /// ``upserting(_:sharingIndexes:)`` for a small batch whose rows replace stored rows or follow the last one in
    /// creation order, at a cost that does not grow with the dictionaries: batch values are looked up in the lineage's
    /// indexes (``UpsertLineage``), new ones appended to copies of the dictionaries, and the affected columns
    /// copied with the changed rows overwritten and the new rows appended.
    ///
    /// The result equals the general path's, dictionaries included: stored codes stay, and each column's new
    /// entries follow in the order of the batch's dictionary.
    /// - Parameters:
    ///   - batch: Rows in arrival order, as for ``upserting(_:sharingIndexes:)``.
    ///   - sharingIndexes: Whether the new table may take over the shared indexes.
    /// - Returns: The new table and counts, or `nil` when the batch is too large, the table is empty, or a row
    ///   would not end up in creation order (the general path sorts then).
    /// - Complexity: O(n) copying of the columns (memcpy), plus O(b · columns) expected work for b batch rows;
    ///   the first upsert of a lineage also builds the indexes it needs in O(total bytes).
    func fastUpserting(
        _ batch: InstanceTable,
        sharingIndexes: Bool = true
    ) -> (
        table: InstanceTable, counts: UpsertCounts
    )? {
        guard rowCount > 0, batch.rowCount > 0, batch.rowCount <= Self.fastUpsertLimit else { return nil }
        let (formNames, stored, added) = textColumns(joinedWith: batch)
        let names = Self.textColumnNames(formNames: formNames)
        let columnCount = stored.count
        let membership = lineageMembership()

        // Each column's dictionary and the code of every batch dictionary entry in it.
        let looked = (0..<columnCount).filter { stored[$0] != nil && added[$0] != nil }
        let found = membership.lineage.codes(
            of: looked.map { (names[$0], stored[$0]!.dictionary, added[$0]!.dictionary) },
            generation: membership.generation
        )
        var dictionaries: [StringDictionary] = []
        var maps: [[UInt32]] = []
        for column in 0..<columnCount {
            guard let part = added[column]?.dictionary else {
                dictionaries.append(stored[column]!.dictionary)
                maps.append([0])
                continue
            }
            guard let base = stored[column]?.dictionary, let index = looked.firstIndex(of: column) else {
                dictionaries.append(part)
                maps.append(Array(0..<UInt32(part.count)))
                continue
            }
            let (dictionary, map) = Self.extended(base, with: part, found: found[index])
            dictionaries.append(dictionary)
            maps.append(map)
        }
        let incoming: [[UInt32]] = (0..<columnCount).map { column in
            guard let codes = added[column]?.codes else { return Array(repeating: 0, count: batch.rowCount) }
            return (0..<batch.rowCount).map { maps[column][Int(codes[$0])] }
        }

        // Which batch row fills which row: stored rows by row, new rows in order of first appearance.
        let storedIds = stored[0]!.dictionary.count
        let known = incoming[0].filter { Int($0) < storedIds }
        let knownRows =
            known.isEmpty ? [] : membership.lineage.rows(of: known, in: self, generation: membership.generation)
        var storedRowOf: [UInt32: Int] = [:]
        for (code, row) in zip(known, knownRows) where row >= 0 { storedRowOf[code] = Int(row) }
        var counts = UpsertCounts()
        var writerOfRow: [Int: Int] = [:]
        var newRowOf: [UInt32: Int] = [:]
        var appended: [Int] = []
        let same = UpsertRowComparison(table: self, batch: batch, stored: stored, batchCodes: incoming)
        for batchRow in 0..<batch.rowCount {
            let id = incoming[0][batchRow]
            if let row = newRowOf[id] {
                if same.inBatch(appended[row], batchRow) {
                    counts.unchanged += 1
                } else {
                    appended[row] = batchRow
                    counts.updated += 1
                }
            } else if let row = storedRowOf[id] {
                if writerOfRow[row].map({ same.inBatch($0, batchRow) }) ?? same.asStored(row, batchRow) {
                    counts.unchanged += 1
                } else {
                    writerOfRow[row] = batchRow
                    counts.updated += 1
                }
            } else {
                newRowOf[id] = appended.count
                appended.append(batchRow)
                counts.inserted += 1
            }
        }

        // Creation order must hold where rows changed and where they were added, or the general path sorts.
        let writes = writerOfRow.sorted { $0.key < $1.key }.map { (row: $0.key, batchRow: $0.value) }
        let times = createTime.patched(batch.createTime, writes: writes, appending: appended)
        for (row, _) in writes
        where (row > 0 && times[row - 1] > times[row]) || (row + 1 < times.count && times[row] > times[row + 1]) {
            return nil
        }
        for row in rowCount..<times.count where times[row - 1] > times[row] { return nil }

        let columns = (0..<columnCount).map { column in
            let codes = stored[column]?.codes ?? .u8(Array(repeating: 0, count: rowCount))
            return DictionaryColumn(
                dictionary: dictionaries[column],
                codes: codes.patched(
                    writes.map { (row: $0.row, code: incoming[column][$0.batchRow]) },
                    appending: appended.map { incoming[column][$0] },
                    maxCode: dictionaries[column].maxCode
                )
            )
        }
        let table = InstanceTable(
            createTime: times,
            finishTime: finishTime.patched(batch.finishTime, writes: writes, appending: appended),
            status: Self.patched(status, batch.status, writes: writes, appending: appended),
            result: Self.patched(result, batch.result, writes: writes, appending: appended),
            textColumns: Array(columns[0..<7]),
            formFields: formNames.indices.map { FormFieldColumn(name: formNames[$0], column: columns[7 + $0]) }
        )
        guard sharingIndexes else { return (table, counts) }
        let next = membership.lineage.advance(
            from: membership.generation,
            to: zip(names, dictionaries).map { ($0, $1) },
            insertedRows: appended.indices.map { (code: incoming[0][appended[$0]], row: Int32(rowCount + $0)) },
            instanceCount: dictionaries[0].count
        )
        table.upsertMembership.withLock { $0 = next }
        return (table, counts)
    }

    /// Hands the lineage on to a table the general path made from this one, whose dictionaries extend this
    /// table's (rows may have moved, so only the dictionary indexes carry over).
    func passLineage(to table: InstanceTable, formNames: [String]) {
        guard let membership = upsertMembership.withLock({ $0 }) else { return }
        let dictionaries = table.namedTextColumns.map(\.column.dictionary)
        let next = membership.lineage.advance(
            from: membership.generation,
            to: Array(zip(Self.textColumnNames(formNames: formNames), dictionaries)),
            insertedRows: nil,
            instanceCount: dictionaries[0].count
        )
        table.upsertMembership.withLock { $0 = next }
    }

    /// `base` with the entries of `part` that `found` has no stored code for appended in code order, and the
    /// code of every `part` entry in it.
    /// - Complexity: O(bytes of `base`) copying when an entry is new, plus O(bytes of `part`).
    private static func extended(
        _ base: StringDictionary,
        with part: StringDictionary,
        found: [UInt32?]
    )
        -> (StringDictionary, [UInt32])
    {
        var added = StringDictionaryBuilder()
        var map = [UInt32](repeating: 0, count: part.count)
        part.bytes.withUnsafeBufferPointer { bytes in
            for code in 1..<max(part.count, 1) {
                if let known = found[code] {
                    map[code] = known
                } else {
                    let entry = UnsafeBufferPointer(rebasing: bytes[part.offsets[code]..<part.offsets[code + 1]])
                    map[code] = UInt32(base.count - 1) + added.intern(bytes: entry)
                }
            }
        }
        guard added.count > 1 else { return (base, map) }
        var bytes = base.bytes
        bytes.append(contentsOf: added.bytes)
        var offsets = base.offsets
        offsets.append(contentsOf: added.offsets.dropFirst(2).lazy.map { $0 + base.bytes.count })
        return (StringDictionary(bytes: bytes, offsets: offsets), map)
    }

    /// `values` with the written rows taken from `incoming` and the appended batch rows added at the end; `values`
    /// itself, uncopied, when that changes nothing.
    /// - Complexity: O(n) copying when a value changes, plus O(writes + appended).
    private static func patched<Value: Equatable>(
        _ values: [Value],
        _ incoming: [Value],
        writes: [(row: Int, batchRow: Int)],
        appending appended: [Int]
    ) -> [Value] {
        if appended.isEmpty, writes.allSatisfy({ values[$0.row] == incoming[$0.batchRow] }) { return values }
        var values = values
        values.reserveCapacity(values.count + appended.count)
        for write in writes { values[write.row] = incoming[write.batchRow] }
        for batchRow in appended { values.append(incoming[batchRow]) }
        return values
    }
}

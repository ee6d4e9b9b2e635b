import Dispatch

/// How many rows an upsert added, replaced or found already stored.
public struct UpsertCounts: Sendable, Hashable {
    /// Rows whose instance id was new.
    public var inserted = 0
    /// Rows that replaced a stored row with different content.
    public var updated = 0
    /// Rows identical to the stored row with their instance id.
    public var unchanged = 0

    /// Creates counts.
    public init(inserted: Int = 0, updated: Int = 0, unchanged: Int = 0) {
        self.inserted = inserted
        self.updated = updated
        self.unchanged = unchanged
    }
}

extension InstanceTable {
    /// The table with the rows of `batch` upserted one after another, column by column.
    ///
    /// Each batch row is handled as ``InstanceTableBuilder/upsert(_:)`` handles a record: a new instance id adds a
    /// row, a known one (stored, or earlier in the batch) replaces that row unless every value is the same. The
    /// stored dictionaries keep their codes and new values get the next ones, so equal text has equal codes and
    /// rows compare code by code.
    ///
    /// A small batch that only replaces rows or adds rows after the last one in creation order takes a fast path
    /// whose cost does not grow with the dictionaries: values are looked up in hash indexes that successive upserts
    /// share and extend (``UpsertLineage``), and the columns are copied with the changed rows written over. Other
    /// batches merge the dictionaries with ``DictionaryUnion`` and rebuild every column. Both give the same table.
    /// - Parameters:
    ///   - batch: Rows in arrival order; they need not be sorted by creation time and may repeat an instance id (a
    ///     later copy replaces an earlier one).
    ///   - sharingIndexes: Whether the new table takes over the indexes this table shares, when this table is the
    ///     newest to hold them. Pass `false` for a table that is only written out and dropped, so that the table
    ///     kept in memory goes on extending them.
    /// - Returns: The new table, sorted by creation time (ties keep row order), and what happened to the rows.
    /// - Complexity: O(n · columns) copying plus O(b · columns) expected work on the fast path (the first upsert of
    ///   a table also indexes the dictionaries it looks values up in); otherwise O((n + b) · columns) for n stored
    ///   and b batch rows, plus the dictionary merges, plus O((n + b) log(n + b)) when rows end up out of order.
    public func upserting(
        _ batch: InstanceTable,
        sharingIndexes: Bool = true
    ) -> (
        table: InstanceTable, counts: UpsertCounts
    ) {
        // Into an empty table, a batch of distinct instance ids is the table itself (sorted): its dictionaries
        // already hold exactly its values, so there is nothing to merge or compare.
        if rowCount == 0, formFields.isEmpty, batch.hasDistinctInstanceIds {
            let columns = batch.namedTextColumns.map(\.column)
            let table = Self.assembled(
                times: batch.createTime,
                finishes: batch.finishTime,
                statuses: batch.status,
                results: batch.result,
                codes: columns.map(\.codes),
                dictionaries: columns.map(\.dictionary),
                formNames: batch.formFields.map(\.name)
            )
            return (table, UpsertCounts(inserted: batch.rowCount))
        }
        if let fast = fastUpserting(batch, sharingIndexes: sharingIndexes) { return fast }
        return generalUpserting(batch, sharingIndexes: sharingIndexes)
    }

    /// ``upserting(_:sharingIndexes:)`` by merging whole dictionaries and rebuilding every column: any batch, any row order.
    /// - Complexity: O((n + b) · columns) for n stored and b batch rows, plus the dictionary merges, plus
    ///   O((n + b) log(n + b)) when rows end up out of order.
    func generalUpserting(
        _ batch: InstanceTable,
        sharingIndexes: Bool = true
    ) -> (
        table: InstanceTable, counts: UpsertCounts
    ) {
        let (formNames, stored, added) = textColumns(joinedWith: batch)
        let columnCount = stored.count
        // The merged dictionaries and the batch's codes in them, one column per job.
        var merged = [(dictionary: StringDictionary, codes: [UInt32])](
            repeating: (StringDictionary(), []),
            count: columnCount
        )
        merged.withUnsafeMutableBufferPointer { slots in
            let shared = UnsafeTransfer(value: slots)
            DispatchQueue.concurrentPerform(iterations: columnCount) { column in
                let part = added[column]?.dictionary ?? StringDictionary()
                let union = DictionaryUnion(base: stored[column]?.dictionary ?? StringDictionary(), parts: [part])
                let map = union.maps[0]
                let codes =
                    added[column].map { column in
                        column.codes.withCodeBuffer { codes in (0..<batch.rowCount).map { map[Int(codes[$0])] } }
                    } ?? Array(repeating: 0, count: batch.rowCount)
                shared.value[column] = (union.dictionary, codes)
            }
        }

        // Which batch row ends up in which row: `writer[row]` is the batch row that fills it, -1 to keep it.
        var counts = UpsertCounts()
        var writer = [Int32](repeating: -1, count: rowCount)
        writer.reserveCapacity(rowCount + batch.rowCount)
        var rowOfInstance = [Int32](repeating: -1, count: merged[0].dictionary.count)
        instanceId.codes.withCodeBuffer { codes in
            for row in 0..<rowCount { rowOfInstance[Int(codes[row])] = Int32(row) }
        }
        let incoming = merged.map(\.codes)
        let same = UpsertRowComparison(table: self, batch: batch, stored: stored, batchCodes: incoming)
        merged[0].codes.withUnsafeBufferPointer { ids in
            for batchRow in 0..<batch.rowCount {
                let id = Int(ids[batchRow])
                let existing = Int(rowOfInstance[id])
                if existing < 0 {
                    rowOfInstance[id] = Int32(writer.count)
                    writer.append(Int32(batchRow))
                    counts.inserted += 1
                    continue
                }
                let previous = Int(writer[existing])
                if previous >= 0 ? same.inBatch(previous, batchRow) : same.asStored(existing, batchRow) {
                    counts.unchanged += 1
                } else {
                    writer[existing] = Int32(batchRow)
                    counts.updated += 1
                }
            }
        }

        // The columns: stored values, overwritten where a batch row writes.
        let targets = writer
        let storedRows = self.rowCount
        var codes = [[UInt32]](repeating: [], count: columnCount)
        codes.withUnsafeMutableBufferPointer { slots in
            let shared = UnsafeTransfer(value: slots)
            DispatchQueue.concurrentPerform(iterations: columnCount) { column in
                let kept = stored[column].map { $0.codes.widened() } ?? Array(repeating: 0, count: storedRows)
                shared.value[column] = Self.filled(kept, incoming[column], missing: 0, writers: targets)
            }
        }
        let table = Self.assembled(
            times: TimeColumn(Self.filled(Array(createTime), Array(batch.createTime), missing: 0, writers: targets)),
            finishes: TimeColumn(
                Self.filled(
                    Array(finishTime),
                    Array(batch.finishTime),
                    missing: InstanceTable.missingTime,
                    writers: targets
                )
            ),
            statuses: Self.filled(status, batch.status, missing: 0, writers: targets),
            results: Self.filled(result, batch.result, missing: 0, writers: targets),
            codes: codes.map { .u32($0) },
            dictionaries: merged.map(\.dictionary),
            formNames: formNames
        )
        if sharingIndexes { passLineage(to: table, formNames: formNames) }
        return (table, counts)
    }

    /// The form names of this table followed by the batch's new ones, and both tables' text columns in that order
    /// (the seven fixed ones, then one per form name; `nil` where a table lacks the form field).
    func textColumns(
        joinedWith batch: InstanceTable
    ) -> (
        formNames: [String], stored: [DictionaryColumn?], added: [DictionaryColumn?]
    ) {
        var formNames = formFields.map(\.name)
        for field in batch.formFields where !formNames.contains(field.name) { formNames.append(field.name) }
        let stored: [DictionaryColumn?] = fixedTextColumns + formNames.map(formColumn(named:))
        let added: [DictionaryColumn?] = batch.fixedTextColumns + formNames.map(batch.formColumn(named:))
        return (formNames, stored, added)
    }

    /// A table of the given columns in creation order (ties keep row order), each text column's codes as narrow
    /// as its dictionary allows; `codes` and `dictionaries` hold the seven fixed text columns, then one per form
    /// name. Columns already in order and as narrow as can be are kept, not copied.
    private static func assembled(
        times: TimeColumn,
        finishes: TimeColumn,
        statuses: [UInt8],
        results: [UInt8],
        codes: [CodeArray],
        dictionaries: [StringDictionary],
        formNames: [String]
    ) -> InstanceTable {
        var (times, finishes, statuses, results) = (times, finishes, statuses, results)
        let order = Self.creationOrder(times)
        if let order {
            func gather<T>(_ values: [T]) -> [T] { order.map { values[$0] } }
            times = TimeColumn(order.map { times[$0] })
            finishes = TimeColumn(order.map { finishes[$0] })
            statuses = gather(statuses)
            results = gather(results)
        }
        let columns = codes.indices.map { column in
            let dictionary = dictionaries[column]
            let maxCode = dictionary.maxCode
            var codes = codes[column]
            if let order {
                let wide = codes.widened()
                codes = CodeArray(order.map { wide[$0] }, maxCode: maxCode)
            } else if codes.width > CodeArray.width(forMaxCode: maxCode) {
                codes = CodeArray(codes.widened(), maxCode: maxCode)
            }
            return DictionaryColumn(dictionary: dictionary, codes: codes)
        }
        return InstanceTable(
            createTime: times,
            finishTime: finishes,
            status: statuses,
            result: results,
            textColumns: Array(columns[0..<7]),
            formFields: formNames.indices.map { FormFieldColumn(name: formNames[$0], column: columns[7 + $0]) }
        )
    }

    /// Whether every row has an instance id and no two rows share one.
    private var hasDistinctInstanceIds: Bool {
        guard instanceId.dictionary.count - 1 == rowCount else { return false }
        var seen = [UInt64](repeating: 0, count: (instanceId.dictionary.count + 63) / 64)
        return instanceId.codes.withCodeBuffer { codes in
            for row in 0..<rowCount {
                let code = Int(codes[row])
                let bit = UInt64(1) << UInt64(code & 63)
                if code == 0 || seen[code >> 6] & bit != 0 { return false }
                seen[code >> 6] |= bit
            }
            return true
        }
    }

    /// `kept` extended to one value per writer, with each written row taken from `incoming`.
    private static func filled<T>(_ kept: [T], _ incoming: [T], missing: T, writers: [Int32]) -> [T] {
        var values = kept
        values.reserveCapacity(writers.count)
        values.append(contentsOf: repeatElement(missing, count: writers.count - kept.count))
        writers.withUnsafeBufferPointer { writers in
            for row in writers.indices where writers[row] >= 0 { values[row] = incoming[Int(writers[row])] }
        }
        return values
    }

    /// The row order that sorts `times` (ties keep row order), or `nil` when they are sorted already.
    private static func creationOrder(_ times: TimeColumn) -> [Int]? {
        var sorted = true
        for row in times.indices.dropFirst() where times[row] < times[row - 1] {
            sorted = false
            break
        }
        if sorted { return nil }
        return times.indices.sorted { (times[$0], $0) < (times[$1], $1) }
    }
}

/// Whether an upsert's batch rows hold the same values as a stored row or as an earlier batch row, text columns
/// compared by their codes in the merged dictionaries.
struct UpsertRowComparison {
    /// The table upserted into.
    let table: InstanceTable
    /// The batch.
    let batch: InstanceTable
    /// The table's text columns, in the order of `batchCodes` (`nil` for a form field it lacks).
    let stored: [DictionaryColumn?]
    /// Per text column, each batch row's code in the merged dictionary.
    let batchCodes: [[UInt32]]
    /// The creation and finish times of the table and of the batch, read once.
    let times: (create: TimeColumn, finish: TimeColumn, batchCreate: TimeColumn, batchFinish: TimeColumn)

    init(table: InstanceTable, batch: InstanceTable, stored: [DictionaryColumn?], batchCodes: [[UInt32]]) {
        self.table = table
        self.batch = batch
        self.stored = stored
        self.batchCodes = batchCodes
        times = (table.createTime, table.finishTime, batch.createTime, batch.finishTime)
    }

    /// Whether batch row `batchRow` holds what stored row `row` holds.
    func asStored(_ row: Int, _ batchRow: Int) -> Bool {
        guard times.create[row] == times.batchCreate[batchRow],
            times.finish[row] == times.batchFinish[batchRow], table.status[row] == batch.status[batchRow],
            table.result[row] == batch.result[batchRow]
        else { return false }
        return batchCodes.indices.allSatisfy { (stored[$0]?.codes[row] ?? 0) == batchCodes[$0][batchRow] }
    }

    /// Whether batch rows `first` and `second` hold the same values.
    func inBatch(_ first: Int, _ second: Int) -> Bool {
        guard times.batchCreate[first] == times.batchCreate[second],
            times.batchFinish[first] == times.batchFinish[second], batch.status[first] == batch.status[second],
            batch.result[first] == batch.result[second]
        else { return false }
        return batchCodes.allSatisfy { $0[first] == $0[second] }
    }
}

extension InstanceTable {
    /// The table without some rows, e.g. instances DingTalk deleted.
    ///
    /// The dictionaries keep every entry and code, so the result's codes compare with this table's and a later
    /// upsert of a removed instance id finds its old code again.
    /// - Parameter rows: Rows to drop; rows out of range and repeated rows are ignored.
    /// - Returns: The remaining rows in their order (still sorted by creation time).
    /// - Complexity: O(n · columns) for n rows.
    public func removing(rows: some Sequence<Int>) -> InstanceTable {
        var dropped = [Bool](repeating: false, count: rowCount)
        var count = 0
        for row in rows where row >= 0 && row < rowCount && !dropped[row] {
            dropped[row] = true
            count += 1
        }
        guard count > 0 else { return self }
        var kept: [Int] = []
        kept.reserveCapacity(rowCount - count)
        for row in 0..<rowCount where !dropped[row] { kept.append(row) }
        func gather<T>(_ values: [T]) -> [T] { kept.map { values[$0] } }
        func gather(_ column: DictionaryColumn) -> DictionaryColumn {
            let codes = column.codes.withCodeBuffer { codes in kept.map { codes[$0] } }
            let maxCode = column.dictionary.maxCode
            return DictionaryColumn(dictionary: column.dictionary, codes: CodeArray(codes, maxCode: maxCode))
        }
        return InstanceTable(
            createTime: TimeColumn(kept.map { createTime[$0] }),
            finishTime: TimeColumn(kept.map { finishTime[$0] }),
            status: gather(status),
            result: gather(result),
            textColumns: fixedTextColumns.map(gather),
            formFields: formFields.map { FormFieldColumn(name: $0.name, column: gather($0.column)) }
        )
    }
}

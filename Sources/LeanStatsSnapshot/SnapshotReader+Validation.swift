import LeanStatsCore

/// The invariants a snapshot must hold beyond its checksums, checked before any of its numbers sizes an allocation
/// or indexes an array: a file whose checksums are valid but whose footer or values were written wrongly (or
/// crafted) is refused with a ``SnapshotError`` naming the column and byte, never a trap.
extension SnapshotReader {
    /// The most rows a snapshot may declare: codes are 32-bit and every kernel counts rows in 64-bit sums of
    /// 32-bit parts (docs/value-limits.md).
    static let maximumRows = Int(Int32.max)

    /// The most bytes one block may expand to: a numeric block holds at most ``SnapshotLayout/blockElements``
    /// elements of up to 8 bytes, a text block at most ``SnapshotLayout/blockBytes``.
    static let maximumBlockBytes = max(SnapshotLayout.blockElements * 8, SnapshotLayout.blockBytes)

    /// The stream roles, widths and kinds a column of each kind must have.
    private static func expectedStreams(of column: ColumnEntry) -> [(role: String, widths: [Int])]? {
        switch column.kind {
        case "int64": return [("values", [8])]
        case "uint8": return [("values", [1])]
        case "dictionary":
            guard let width = column.codeWidth, [1, 2, 4].contains(width) else { return nil }
            return [("codes", [width]), ("dictionary.bytes", [1]), ("dictionary.offsets", [8])]
        default: return nil
        }
    }

    /// The columns every snapshot holds, with their kinds.
    private static let requiredColumns: [(name: String, kind: String)] = [
        ("create_time", "int64"), ("finish_time", "int64"), ("status", "uint8"), ("result", "uint8"),
        ("instance_id", "dictionary"), ("business_id", "dictionary"), ("title", "dictionary"),
        ("user_id", "dictionary"), ("user_name", "dictionary"), ("dept_id", "dictionary"),
        ("dept_name", "dictionary"),
    ]

    /// Checks the footer's numbers against each other and the file before anything is allocated from them.
    /// - Parameters:
    ///   - footer: The decoded footer.
    ///   - fileSize: The file's size in bytes.
    ///   - footerOffset: Where the footer starts, for errors about the footer itself.
    ///   - expectedGeneration: The generation the file's name gives, `nil` when it has no generation name.
    /// - Throws: ``SnapshotError`` naming the column (or the footer) and the byte offset.
    static func validateFooter(
        _ footer: SnapshotFooter,
        fileSize: Int,
        footerOffset: Int,
        expectedGeneration: Int?
    ) throws(SnapshotError) {
        func footerError(_ message: String) -> SnapshotError {
            SnapshotError(.malformedFooter, message: message, section: "footer", offset: footerOffset)
        }
        guard footer.format == Int(SnapshotLayout.formatVersion) else {
            throw footerError("the footer says format \(footer.format), the header \(SnapshotLayout.formatVersion)")
        }
        guard footer.generation >= 1 else { throw footerError("generation \(footer.generation) is not positive") }
        if let expectedGeneration, expectedGeneration != footer.generation {
            throw SnapshotError(
                .wrongGeneration,
                message: "the file records generation \(footer.generation) but is named for generation "
                    + "\(expectedGeneration) (a file of another generation copied in?); move it away so the store "
                    + "uses its real newest generation",
                section: "footer",
                offset: footerOffset
            )
        }
        guard (0...maximumRows).contains(footer.rowCount) else {
            throw footerError("row count \(footer.rowCount) is outside 0 to \(maximumRows)")
        }
        guard ValueLimits.contains(instant: footer.createdAt) else {
            throw footerError("the write time \(footer.createdAt) is outside \(ValueLimits.instantsText)")
        }
        var names = Set<String>()
        for column in footer.columns {
            let section = "column '\(column.name)'"
            let offset = column.streams.first?.blocks.first?.offset ?? footerOffset
            func columnError(_ message: String, at byte: Int? = nil) -> SnapshotError {
                SnapshotError(.malformedColumn, message: message, section: section, offset: byte ?? offset)
            }
            guard names.insert(column.name).inserted else { throw columnError("the column is stored twice") }
            guard let expected = expectedStreams(of: column) else {
                throw columnError("kind '\(column.kind)' with code width \(column.codeWidth ?? 0) is not readable")
            }
            guard column.streams.count == expected.count else {
                throw columnError("the column has \(column.streams.count) streams, expected \(expected.count)")
            }
            for (stream, want) in zip(column.streams, expected) {
                try validateStream(stream, role: want.role, widths: want.widths, rows: footer.rowCount, columnError)
            }
            if column.kind == "dictionary" {
                let entries = column.streams[2].count - 1
                let codeLimit = 1 << (8 * (column.codeWidth ?? 4))
                guard entries >= 1, entries <= codeLimit, column.streams[1].count <= Int(UInt32.max) else {
                    throw columnError("the dictionary holds \(entries) entries, more than its codes can name")
                }
            }
        }
        for required in requiredColumns {
            guard let column = footer.columns.first(where: { $0.name == required.name }), column.kind == required.kind
            else {
                throw SnapshotError(
                    .malformedColumn,
                    message: "the column is missing or not of kind \(required.kind)",
                    section: "column '\(required.name)'",
                    offset: footerOffset
                )
            }
        }
    }

    /// Checks one stream: its role and width, its element count, and that its blocks add up to it exactly.
    private static func validateStream(
        _ stream: StreamEntry,
        role: String,
        widths: [Int],
        rows: Int,
        _ error: (String, Int?) -> SnapshotError
    ) throws(SnapshotError) {
        guard stream.role == role, widths.contains(stream.width) else {
            throw error("stream '\(stream.role)' of width \(stream.width) is not the expected '\(role)'", nil)
        }
        let encodings = stream.width == 1 ? ["plain"] : ["shuffle", "delta-shuffle"]
        guard encodings.contains(stream.encoding) else {
            throw error("stream '\(role)' has encoding '\(stream.encoding)', expected one of \(encodings)", nil)
        }
        switch role {
        case "values", "codes":
            guard stream.count == rows else {
                throw error("stream '\(role)' holds \(stream.count) elements, expected one per row (\(rows))", nil)
            }
        case "dictionary.offsets":
            guard (2...(Int(UInt32.max) + 1)).contains(stream.count) else {
                throw error("stream '\(role)' holds \(stream.count) offsets, expected 2 to \(Int(UInt32.max) + 1)", nil)
            }
        default:
            guard (0...Int(UInt32.max)).contains(stream.count) else {
                throw error("stream '\(role)' holds \(stream.count) bytes, more than \(UInt32.max)", nil)
            }
        }
        var total = 0
        for block in stream.blocks {
            guard (0...maximumBlockBytes).contains(block.rawLength), block.rawLength % stream.width == 0 else {
                throw error("a block of stream '\(role)' expands to \(block.rawLength) bytes", block.offset)
            }
            total += block.rawLength
            guard total <= stream.count * stream.width else { break }
        }
        guard total == stream.count * stream.width else {
            throw error(
                "the blocks of stream '\(role)' hold \(total) bytes, expected \(stream.count * stream.width)",
                nil
            )
        }
    }

    /// Checks what only the decoded values show: every time inside ``ValueLimits/instants`` (finish times may be
    /// ``InstanceTable/missingTime``), the footer's first and last create times, and every number of the benefit
    /// field within ``ValueLimits/maximumBenefitCents``.
    /// - Throws: ``SnapshotError`` naming the column and the byte of the block that holds the bad value.
    static func validateValues(_ table: InstanceTable, footer: SnapshotFooter) throws(SnapshotError) {
        func valueError(_ column: String, row: Int, _ message: String) -> SnapshotError {
            SnapshotError(
                .malformedColumn,
                message: message,
                section: "column '\(column)'",
                offset: blockOffset(of: row, in: column, columns: footer.columns)
            )
        }
        if let row = table.createTime.firstIndex(where: { !ValueLimits.contains(instant: $0) }) {
            throw valueError(
                "create_time",
                row: row,
                "row \(row) holds time \(table.createTime[row]), outside \(ValueLimits.instantsText)"
            )
        }
        if let row = table.finishTime.firstIndex(where: {
            $0 != InstanceTable.missingTime && !ValueLimits.contains(instant: $0)
        }) {
            throw valueError(
                "finish_time",
                row: row,
                "row \(row) holds time \(table.finishTime[row]), outside \(ValueLimits.instantsText)"
            )
        }
        if table.rowCount > 0,
            footer.firstCreateTime.map({ $0 != table.createTime[0] }) ?? false
                || footer.lastCreateTime.map({ $0 != table.createTime[table.rowCount - 1] }) ?? false
        {
            throw valueError("create_time", row: 0, "the footer's first or last create time disagrees with the column")
        }
        let benefitName = StatisticsEngine.defaultBenefitField
        if let benefit = table.formFields.first(where: { $0.name == benefitName }),
            let column = benefit.storage.columnIfDecoded
        {
            for code in 1..<max(column.dictionary.count, 1) {
                guard let text = column.dictionary[UInt32(code)], case .outOfRange = ValueLimits.benefitAmount(text)
                else { continue }
                throw SnapshotError(
                    .malformedColumn,
                    message: "dictionary entry \(code) '\(text)' is outside the supported amounts "
                        + ValueLimits.benefitText,
                    section: "column 'form:\(benefitName)'",
                    offset: footer.columns.first { $0.name == "form:" + benefitName }?.streams[1].blocks.first?.offset
                )
            }
        }
    }

    /// A broken table invariant as a snapshot error naming the column and the block that holds the row.
    /// - Parameters:
    ///   - error: The broken invariant.
    ///   - columns: The footer's columns, to find the byte offset.
    static func snapshotError(_ error: TableError, columns: [ColumnEntry]) -> SnapshotError {
        let (column, row): (String?, Int?) =
            switch error {
            case .lengthMismatch(let column, _, _): (column, nil)
            case .malformedDictionary(let column): (column, nil)
            case .codeOutOfRange(let column, let row): (column, row)
            case .unsorted(let row): ("create_time", row)
            }
        var message = error.description
        if let column, message.hasPrefix("column '\(column)' ") {
            message = String(message.dropFirst("column '\(column)' ".count))
        }
        return SnapshotError(
            .malformedColumn,
            message: message,
            section: column.map { "column '\($0)'" },
            offset: column.flatMap { column in
                row.map { blockOffset(of: $0, in: column, columns: columns) }
                    ?? columns.first { $0.name == column }?.streams.first?.blocks.first?.offset
            }
        )
    }

    /// The byte offset of the block of a column's first stream that holds `row`.
    static func blockOffset(of row: Int, in column: String, columns: [ColumnEntry]) -> Int? {
        guard let stream = columns.first(where: { $0.name == column })?.streams.first else { return nil }
        var first = 0
        for block in stream.blocks {
            first += block.rawLength / max(stream.width, 1)
            if row < first { return block.offset }
        }
        return stream.blocks.last?.offset
    }
}

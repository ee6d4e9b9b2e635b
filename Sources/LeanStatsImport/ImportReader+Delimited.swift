import Dispatch
import Foundation
import LeanStatsCore

extension ImportReader {
    /// Reads one CSV or TSV export of `ding_process_instances` or `ding_form_component_values`.
    ///
    /// The rows after the header are split at likely record boundaries into pieces that are read in parallel,
    /// each into columns with its own dictionaries. Should a piece not end exactly where the next begins (a CSV
    /// cut inside a quoted line break, or a malformed file), the next piece is read again from where that one
    /// ended, so the result never depends on the split. The pages of a `mapped` file are handed back as its pieces
    /// are read.
    /// - Throws: ``ImportError/Code/unknownFileKind`` when the header fits neither table.
    func readDelimited(
        path: String,
        bytes: UnsafeBufferPointer<UInt8>,
        mapped: Bool,
        into batch: inout ImportAccumulator,
        progress: inout ProgressTicker
    ) throws(ImportError) {
        let reader = DelimitedReader(dialect: DelimitedReader.dialect(of: bytes))
        var header: [String]?
        let afterHeader = reader.forEachRecord(in: bytes, until: reader.firstRecordStart(in: bytes) + 1) { record in
            header = record.texts
        }
        guard let header else { throw ImportError.unknownKind(path, header: []) }
        guard let table = DelimitedTable(header: header) else { throw ImportError.unknownKind(path, header: header) }
        // The instances read so far are merged first: merged, they hold less than their parts beside the form values,
        // and the form rows find their business ids among them as they are read.
        var matcher: FormBusinessMatcher?
        if case .formValues = table {
            batch.mergeInstanceParts()
            matcher = batch.mergedRows.flatMap(FormBusinessMatcher.init)
        }
        let context = PieceContext(
            path: path,
            reader: reader,
            table: table,
            width: header.count,
            clock: clock,
            matcher: matcher,
            rows: afterHeader.offset..<bytes.count
        )

        var boundaries = [afterHeader.offset, bytes.count]
        if bytes.count - afterHeader.offset > pieceBytes {
            let workers = ProcessInfo.processInfo.activeProcessorCount
            let pieces = min(max(workers * 4, (bytes.count - afterHeader.offset) / (64 << 20)), 1024)
            boundaries = reader.recordBoundaries(in: bytes, from: afterHeader.offset, pieces: pieces)
        }
        var pieces: [DelimitedPiece]
        if boundaries.count == 2 {
            pieces = [context.read(bytes, boundaries[0]..<boundaries[1], progress: &progress)]
        } else {
            pieces = [DelimitedPiece](repeating: DelimitedPiece(), count: boundaries.count - 1)
            let shared = Locked((ticker: progress, done: afterHeader.offset))
            pieces.withUnsafeMutableBufferPointer { slots in
                let transfer = UnsafeTransferValue((slots, bytes, boundaries))
                DispatchQueue.concurrentPerform(iterations: slots.count) { index in
                    let (slots, bytes, boundaries) = transfer.value
                    var silent = ProgressTicker(file: path, total: 0, report: nil)
                    slots[index] = context.read(bytes, boundaries[index]..<boundaries[index + 1], progress: &silent)
                    if mapped { FileContents.release(bytes, boundaries[index]..<slots[index].end.offset) }
                    shared.withLock { state in
                        state.done += boundaries[index + 1] - boundaries[index]
                        state.ticker.advance(to: state.done)
                    }
                }
            }
            progress = shared.withLock { $0.ticker }
            // The first piece starts at a record; a piece after one that did not end at its cut started inside
            // a record (a CSV line break in quotes), so it is read again from where the one before really ended.
            for index in pieces.indices.dropFirst() where pieces[index - 1].end.offset != boundaries[index] {
                let start = pieces[index - 1].end.offset
                var silent = ProgressTicker(file: path, total: 0, report: nil)
                pieces[index] = context.read(bytes, start..<max(start, boundaries[index + 1]), progress: &silent)
            }
        }

        var line = afterHeader.line
        for piece in pieces {
            batch.issues += piece.issues.map { ImportIssue(file: $0.file, line: $0.line + line, reason: $0.reason) }
            line += piece.end.line
            if let rows = piece.instances { batch.instanceParts.append(rows) }
            if let rows = piece.formValues { batch.formParts.append(rows) }
        }
        switch table {
        case .instances: batch.instanceTables += 1
        case .formValues: batch.firstFormValuesFile = batch.firstFormValuesFile ?? path
        }
    }
}

/// What one piece of a file gave: its rows, its bad rows (lines counted from the piece's start) and where it ended.
struct DelimitedPiece {
    var instances: InstanceRowsPart?
    var formValues: FormValuesPart?
    var issues: [ImportIssue] = []
    /// The offset after the piece's last record and the number of line breaks the piece spans.
    var end: (offset: Int, line: Int) = (0, 0)
}

/// Everything needed to read a piece of one file; shared read-only by the workers.
private struct PieceContext: @unchecked Sendable {
    let path: String
    let reader: DelimitedReader
    let table: DelimitedTable
    let width: Int
    let clock: ZoneClock
    /// The instances already read, which form rows look their business ids up in.
    let matcher: FormBusinessMatcher?
    /// Where the rows after the header lie in the file.
    let rows: Range<Int>

    /// Reads the records that start in `range` (the last may run past its end).
    func read(
        _ bytes: UnsafeBufferPointer<UInt8>,
        _ range: Range<Int>,
        progress: inout ProgressTicker
    ) -> DelimitedPiece {
        var piece = DelimitedPiece()
        var instances = InstanceRowsPart(joinable: true)
        var formValues = FormValuesPart()
        // Rows take at least a few dozen bytes; reserving too much costs only untouched address space, while
        // growing a column copies it.
        let estimate = max(range.count / 32, 16)
        switch table {
        case .instances:
            instances.createTime.reserveCapacity(estimate)
            instances.finishTime.reserveCapacity(estimate)
            instances.status.reserveCapacity(estimate)
            instances.result.reserveCapacity(estimate)
            for slot in instances.text.indices {
                instances.text[slot].codes.reserveCapacity(estimate)
                instances.text[slot].dictionary = StringDictionaryBuilder(adaptive: true, expectedValues: estimate)
            }
        case .formValues:
            formValues.business.reserveCapacity(estimate)
            formValues.name.reserveCapacity(estimate)
            formValues.value.reserveCapacity(estimate)
            if let matcher {
                formValues.position = matcher.start(
                    at: Double(range.lowerBound - rows.lowerBound) / Double(max(rows.count, 1))
                )
            } else {
                formValues.businessIds = StringDictionaryBuilder(adaptive: true, expectedValues: estimate)
            }
        }
        // The text columns after the instance id, with their positions in the file: the same for every row.
        var others: [(slot: Int, column: Int?)] = []
        if case .instances(let columns) = table {
            others = [
                // The name before the title, whose code predicts the title's.
                (.businessId, columns.businessId), (.userId, columns.originatorUserId),
                (.userName, columns.originatorUserName), (.title, columns.title), (.deptId, columns.originatorDeptId),
                (.deptName, columns.originatorDeptName),
            ].map { (slot: InstanceRowsPart.Slot, column: Int?) in (slot.rawValue, column) }
        }
        piece.end = reader.forEachRecord(in: bytes, from: range.lowerBound, line: 0, until: range.upperBound) {
            record in
            progress.advance(to: record.endOffset)
            do throws(FieldProblem) {
                if let problem = record.problem {
                    throw FieldProblem(reason: problem.description)
                }
                guard record.count == width else {
                    throw FieldProblem(
                        reason: "the row has \(record.count) fields but the header has \(width); "
                            + (reader.dialect == .csv
                                ? "quote fields that contain commas or line breaks" : "escape tabs as \\t")
                    )
                }
                switch table {
                case .instances(let columns): try appendInstance(record, columns, others, to: &instances)
                case .formValues(let columns): try appendFormValue(record, columns, to: &formValues)
                }
            } catch {
                piece.issues.append(ImportIssue(file: path, line: record.line, reason: error.reason))
            }
        }
        switch table {
        case .instances:
            instances.finishInterning()
            piece.instances = instances
        case .formValues:
            formValues.finishInterning()
            piece.formValues = formValues
        }
        // The lookup tables, and the storage the columns outgrew, go back to the system rather than wait for reuse.
        FreedMemory.release()
        return piece
    }

    /// Appends one `ding_process_instances` row; every check runs before anything is appended, so a bad row
    /// leaves no trace (not even a dictionary entry).
    private func appendInstance(
        _ record: DelimitedRecord,
        _ columns: InstanceColumns,
        _ others: [(slot: Int, column: Int?)],
        to rows: inout InstanceRowsPart
    ) throws(FieldProblem) {
        func present(_ column: Int?) -> DelimitedField? {
            guard let column else { return nil }
            let field = record[column]
            return field.isMissing ? nil : field
        }
        let businessId = present(columns.businessId)
        guard let instanceId = present(columns.processInstanceId) ?? businessId else {
            throw FieldProblem(reason: "the row has neither process_instance_id nor business_id")
        }
        guard let createField = present(columns.createTime) else {
            throw InstanceFieldRules.missing("create_time", expected: InstanceFieldRules.timeFormat)
        }
        let createTime = try time(createField, column: "create_time")
        let finishTime = try present(columns.finishTime).map { field throws(FieldProblem) in
            try time(field, column: "finish_time")
        }
        let status = try present(columns.status).map { field throws(FieldProblem) in try self.status(field) }
        let result = try present(columns.result).map { field throws(FieldProblem) in try self.result(field) }

        rows.createTime.append(createTime)
        rows.finishTime.append(finishTime ?? InstanceTable.missingTime)
        rows.status.append(status?.rawValue ?? 0)
        rows.result.append(result?.rawValue ?? 0)
        rows.text[InstanceRowsPart.Slot.instanceId.rawValue].append(instanceId)
        let title = InstanceRowsPart.Slot.title.rawValue
        for (slot, column) in others {
            if let column {
                guard slot == title else {
                    rows.text[slot].append(record[column])
                    continue
                }
                let name = rows.text[InstanceRowsPart.Slot.userName.rawValue].codes.last ?? 0
                rows.text[title].append(record[column], predicted: rows.titleByName.code(after: name))
                rows.titleByName.note(rows.text[title].codes.last!, after: name)
            } else {
                rows.text[slot].codes.append(0)
            }
        }
    }

    /// Appends one `ding_form_component_values` row; a missing value (or DingTalk's placeholder `null`) is kept as
    /// code 0: it sets nothing but counts towards the orphans.
    private func appendFormValue(
        _ record: DelimitedRecord,
        _ columns: FormValueColumns,
        to rows: inout FormValuesPart
    ) throws(FieldProblem) {
        let businessId = record[columns.businessId]
        guard !businessId.isMissing else { throw InstanceFieldRules.missing("business_id") }
        let name = record[columns.componentName]
        guard !name.isMissing else { throw InstanceFieldRules.missing("component_name") }
        let value = record[columns.valueText]
        if !value.isMissing, name.withDecodedBytes(Self.isBenefitField),
            !value.withDecodedBytes(Self.isSmallPlainNumber)
        {
            try InstanceFieldRules.benefit(value.text, field: StatisticsEngine.defaultBenefitField)
        }
        // Form rows come grouped by business id: most repeat the previous row's.
        let previous = rows.business.last ?? 0
        rows.business.append(
            businessId.withDecodedBytes { bytes in
                guard let matcher, rows.position != nil else {
                    return rows.businessIds.intern(bytes: bytes, previous: previous)
                }
                let unmatched = FormBusinessMatcher.unmatched
                if previous != 0, previous & unmatched == 0, matcher.dictionary.entry(previous, equals: bytes) {
                    return previous
                }
                if let code = matcher.code(of: bytes, from: &rows.position!) { return code }
                let local = previous & unmatched != 0 ? previous & ~unmatched : 0
                return rows.businessIds.intern(bytes: bytes, previous: local) | unmatched
            }
        )
        // Each instance's components come in the same order: try the name that followed the previous row's last.
        let previousName = rows.name.last ?? 0
        let predicted = rows.nameAfter.code(after: previousName)
        let nameCode = name.withDecodedBytes { rows.names.intern(bytes: $0, previous: predicted) }
        if Int(nameCode) == rows.values.count { rows.values.append(StringDictionaryBuilder(adaptive: true)) }
        rows.nameAfter.note(nameCode, after: previousName)
        rows.name.append(nameCode)
        rows.value.append(
            value.isMissing
                ? 0
                : value.withDecodedBytes { bytes in
                    Self.isNullPlaceholder(bytes) ? 0 : rows.values[Int(nameCode)].intern(bytes: bytes)
                }
        )
    }

    /// The UTF-8 bytes of the benefit field's name.
    private static let benefitFieldBytes = Array(StatisticsEngine.defaultBenefitField.utf8)

    /// Whether a component name is the benefit field's (compared byte by byte: this runs once per form row).
    @inline(__always)
    private static func isBenefitField(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        bytes.count == benefitFieldBytes.count && memcmp(bytes.baseAddress!, benefitFieldBytes, bytes.count) == 0
    }

    /// Whether a value is digits, points and minus signs only and too short to exceed the supported amounts (13
    /// bytes stay below 10^13), so it needs no closer look.
    @inline(__always)
    private static func isSmallPlainNumber(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        bytes.count <= 13
            && bytes.allSatisfy { ($0 &- UInt8(ascii: "0")) < 10 || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }
    }

    /// Whether a form value is DingTalk's placeholder `null` (compared byte by byte: this runs once per form row).
    @inline(__always)
    private static func isNullPlaceholder(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        bytes.count == 4 && bytes[0] == UInt8(ascii: "n") && bytes[1] == UInt8(ascii: "u")
            && bytes[2] == UInt8(ascii: "l") && bytes[3] == UInt8(ascii: "l")
    }

    /// Reads a local time without building a string; only a value that is not a time is turned into text, for
    /// the reason.
    private func time(_ field: DelimitedField, column: String) throws(FieldProblem) -> Int64 {
        if let local = field.withDecodedBytes(parseLocalSeconds(bytes:)) {
            let instant = clock.instant(localSeconds: local)
            if ValueLimits.contains(instant: instant) { return instant }
            return try InstanceFieldRules.supported(nil, column: column, text: field.text)
        }
        return try InstanceFieldRules.time(field.text, column: column, clock: clock)
    }

    /// Reads a status code, without building a string for the usual upper-case codes.
    private func status(_ field: DelimitedField) throws(FieldProblem) -> InstanceStatus {
        if let status = field.withDecodedBytes(InstanceFieldFastPath.status) { return status }
        return try InstanceFieldRules.status(field.text, column: "status")
    }

    /// Reads a result code, without building a string for the usual lower-case codes.
    private func result(_ field: DelimitedField) throws(FieldProblem) -> InstanceResult {
        if let result = field.withDecodedBytes(InstanceFieldFastPath.result) { return result }
        return try InstanceFieldRules.result(field.text, column: "result")
    }
}

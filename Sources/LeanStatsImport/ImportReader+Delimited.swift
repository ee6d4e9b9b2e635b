import LeanStatsCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension ImportReader {
    /// Reads one CSV or TSV export of `ding_process_instances` or `ding_form_component_values`.
    /// - Throws: ``ImportError/Code/unknownFileKind`` when the header fits neither table.
    func readDelimited(
        path: String,
        bytes: UnsafeBufferPointer<UInt8>,
        into batch: inout ImportAccumulator,
        progress: inout ProgressTicker
    ) throws(ImportError) {
        let reader = DelimitedReader(dialect: DelimitedReader.dialect(of: bytes))
        var table: DelimitedTable?
        var width = 0
        try reader.forEachRecord(in: bytes) { record throws(ImportError) in
            guard let table else {
                let header = record.texts
                guard let found = DelimitedTable(header: header) else {
                    throw ImportError.unknownKind(path, header: header)
                }
                // Room for one row per remaining line, so the arrays do not grow (and copy) while reading.
                let rows = Self.lineCount(UnsafeBufferPointer(rebasing: bytes[record.endOffset...]))
                switch found {
                case .instances:
                    batch.instanceTables += 1
                    batch.records.reserveCapacity(batch.records.count + rows)
                    batch.joinableRecords.reserveCapacity(batch.joinableRecords.count + rows)
                case .formValues:
                    batch.firstFormValuesFile = batch.firstFormValuesFile ?? path
                    batch.formValues.reserveCapacity(batch.formValues.count + rows)
                }
                table = found
                width = record.count
                return
            }
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
                case .instances(let columns):
                    let instance = try instanceRecord(record, columns)
                    batch.joinableRecords.append(batch.records.count)
                    batch.records.append(instance)
                case .formValues(let columns):
                    batch.formValues.append(try formValue(record, columns))
                }
            } catch {
                batch.issues.append(ImportIssue(file: path, line: record.line, reason: error.reason))
            }
        }
        if table == nil { throw ImportError.unknownKind(path, header: []) }
    }

    /// Builds an instance from one `ding_process_instances` row.
    private func instanceRecord(
        _ record: DelimitedRecord,
        _ columns: InstanceColumns
    ) throws(FieldProblem) -> InstanceRecord {
        func value(_ column: Int?) -> String? { column.flatMap { record[$0].value } }
        let businessId = value(columns.businessId)
        guard let instanceId = value(columns.processInstanceId) ?? businessId else {
            throw FieldProblem(reason: "the row has neither process_instance_id nor business_id")
        }
        guard let createField = columns.createTime.map({ record[$0] }), !createField.isMissing else {
            throw InstanceFieldRules.missing("create_time", expected: InstanceFieldRules.timeFormat)
        }
        let createTime = try time(createField, column: "create_time")
        let finishTime = try columns.finishTime.flatMap { column throws(FieldProblem) in
            record[column].isMissing ? nil : try time(record[column], column: "finish_time")
        }
        let status = try columns.status.flatMap { column throws(FieldProblem) in try self.status(record[column]) }
        let result = try columns.result.flatMap { column throws(FieldProblem) in try self.result(record[column]) }
        return InstanceRecord(
            instanceId: instanceId,
            businessId: businessId,
            title: value(columns.title),
            createTime: createTime,
            finishTime: finishTime,
            status: status,
            result: result,
            originatorUserId: value(columns.originatorUserId),
            originatorUserName: value(columns.originatorUserName),
            originatorDeptId: value(columns.originatorDeptId),
            originatorDeptName: value(columns.originatorDeptName)
        )
    }

    /// The number of lines, counting a last line without a line end.
    /// - Complexity: O(n), with libc's vectorised `memchr`.
    private static func lineCount(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return 0 }
        var count = 0
        var index = 0
        while index < bytes.count {
            guard let found = memchr(base + index, Int32(Byte.lineFeed), bytes.count - index) else { break }
            count += 1
            index = base.distance(to: found.assumingMemoryBound(to: UInt8.self)) + 1
        }
        return count + (bytes.last == Byte.lineFeed ? 0 : 1)
    }

    /// Reads a local time, without building a string for the usual `YYYY-MM-DD HH:MM:SS`.
    private func time(_ field: DelimitedField, column: String) throws(FieldProblem) -> Int64 {
        if let local = field.withDecodedBytes(parseLocalSeconds(bytes:)) {
            return clock.instant(localSeconds: local)
        }
        return try InstanceFieldRules.time(field.text, column: column, clock: clock)
    }

    /// Reads a status code, without building a string for the usual upper-case codes.
    private func status(_ field: DelimitedField) throws(FieldProblem) -> InstanceStatus? {
        if field.isMissing { return nil }
        if let status = field.withDecodedBytes(InstanceFieldFastPath.status) { return status }
        return try InstanceFieldRules.status(field.text, column: "status")
    }

    /// Reads a result code, without building a string for the usual lower-case codes.
    private func result(_ field: DelimitedField) throws(FieldProblem) -> InstanceResult? {
        if field.isMissing { return nil }
        if let result = field.withDecodedBytes(InstanceFieldFastPath.result) { return result }
        return try InstanceFieldRules.result(field.text, column: "result")
    }

    /// Reads one `ding_form_component_values` row; a missing value is kept as `nil` (it sets nothing but counts
    /// towards the orphans), and DingTalk's placeholder `"null"` is missing too.
    private func formValue(
        _ record: DelimitedRecord,
        _ columns: FormValueColumns
    ) throws(FieldProblem) -> PendingFormValue {
        guard let businessId = record[columns.businessId].value else {
            throw InstanceFieldRules.missing("business_id")
        }
        guard let name = record[columns.componentName].value else {
            throw InstanceFieldRules.missing("component_name")
        }
        let value = record[columns.valueText].value
        return PendingFormValue(businessId: businessId, name: name, value: value == "null" ? nil : value)
    }
}

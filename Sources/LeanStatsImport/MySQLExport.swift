import Foundation
import LeanStatsCore

/// Writes a table as the original system's two MySQL tables (`docs/import-formats.md` §2, §3):
/// `ding_process_instances.csv` and `ding_form_component_values.csv`, RFC 4180, UTF-8, header row, missing values
/// empty, times as local `YYYY-MM-DD HH:MM:SS`. Importing the two files gives back the same statistics.
public struct MySQLExport: Sendable {
    /// The file name of the instances table.
    public static let instancesFile = "ding_process_instances.csv"
    /// The file name of the form values table.
    public static let formValuesFile = "ding_form_component_values.csv"
    /// The columns of `ding_process_instances`, in order.
    public static let instanceColumns = [
        "business_id", "process_instance_id", "title", "create_time", "finish_time", "status", "result",
        "originator_user_id", "originator_user_name", "originator_dept_id", "originator_dept_name",
    ]

    /// The zone local times are written in.
    public let clock: ZoneClock

    /// Creates an exporter.
    public init(clock: ZoneClock) {
        self.clock = clock
    }

    /// Writes both files into `directory` (created when missing).
    /// - Returns: the number of instance rows and form-value rows written.
    /// - Throws: ``ImportError`` naming the file that could not be written.
    @discardableResult
    public func write(
        _ table: InstanceTable,
        to directory: String
    ) throws(ImportError) -> (instances: Int, formValues: Int) {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw ImportError(
                code: .unreadableFile,
                path: directory,
                message: "cannot create the output directory \(directory): \(error.localizedDescription)"
            )
        }
        var instances = try CSVFileWriter(path: "\(directory)/\(Self.instancesFile)")
        var values = try CSVFileWriter(path: "\(directory)/\(Self.formValuesFile)")
        try instances.writeRow(Self.instanceColumns)
        try values.writeRow(["business_id", "component_name", "value_text"])
        var formRows = 0
        let (instanceIds, businessIds, titles) = (table.instanceId, table.businessId, table.title)
        let (createTimes, finishTimes) = (table.createTime, table.finishTime)
        let formFields = table.formFields.map { (name: $0.name, column: $0.column) }
        for row in 0..<table.rowCount {
            // The form table joins on business_id; an instance without one is keyed by its instance id.
            let business = businessIds[row] ?? instanceIds[row] ?? ""
            let finish = finishTimes[row]
            try instances.writeRow([
                business, instanceIds[row] ?? "", titles[row] ?? "", clock.format(createTimes[row]),
                finish == InstanceTable.missingTime ? "" : clock.format(finish),
                InstanceStatus(rawValue: table.status[row])?.code ?? "",
                InstanceResult(rawValue: table.result[row])?.code ?? "", table.userId[row] ?? "",
                table.userName[row] ?? "", table.deptId[row] ?? "", table.deptName[row] ?? "",
            ])
            for field in formFields {
                guard let value = field.column[row] else { continue }
                try values.writeRow([business, field.name, value])
                formRows += 1
            }
        }
        try instances.close()
        try values.close()
        return (table.rowCount, formRows)
    }
}

/// A buffered RFC 4180 CSV file writer (CRLF-free: rows end with LF, as MySQL and most tools expect).
struct CSVFileWriter {
    private let path: String
    private let handle: FileHandle
    private var buffer: [UInt8] = []

    init(path: String) throws(ImportError) {
        self.path = path
        guard FileManager.default.createFile(atPath: path, contents: nil),
            let handle = FileHandle(forWritingAtPath: path)
        else {
            throw ImportError(
                code: .unreadableFile,
                path: path,
                message: "cannot write \(path); check the directory's permissions"
            )
        }
        self.handle = handle
        buffer.reserveCapacity(1 << 20)
    }

    mutating func writeRow(_ fields: [String]) throws(ImportError) {
        for (index, field) in fields.enumerated() {
            if index > 0 { buffer.append(UInt8(ascii: ",")) }
            let needsQuotes = field.utf8.contains {
                $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 10 || $0 == 13
            }
            if needsQuotes {
                buffer.append(UInt8(ascii: "\""))
                for byte in field.utf8 {
                    if byte == UInt8(ascii: "\"") { buffer.append(byte) }
                    buffer.append(byte)
                }
                buffer.append(UInt8(ascii: "\""))
            } else {
                buffer.append(contentsOf: field.utf8)
            }
        }
        buffer.append(10)
        if buffer.count >= 1 << 20 { try flush() }
    }

    private mutating func flush() throws(ImportError) {
        do {
            try handle.write(contentsOf: buffer)
        } catch {
            throw ImportError(
                code: .unreadableFile,
                path: path,
                message: "cannot write \(path): \(error.localizedDescription)"
            )
        }
        buffer.removeAll(keepingCapacity: true)
    }

    mutating func close() throws(ImportError) {
        try flush()
        do {
            try handle.close()
        } catch {
            throw ImportError(
                code: .unreadableFile,
                path: path,
                message: "cannot close \(path): \(error.localizedDescription)"
            )
        }
    }
}

import Foundation
import LeanStatsCore
import LeanStatsImport
import LeanStatsSnapshot

/// The approval instances an emulator serves, with the contacts directory derived from them.
public struct EmulatorDataset: Sendable {
    /// The instances, in any order.
    public var instances: [InstanceRecord]

    /// Wraps instances.
    /// - Parameter instances: The instances to serve; a later copy of an id replaces an earlier one.
    public init(instances: [InstanceRecord]) {
        var seen: [String: Int] = [:]
        var unique: [InstanceRecord] = []
        for record in instances {
            if let index = seen[record.instanceId] {
                unique[index] = record
            } else {
                seen[record.instanceId] = unique.count
                unique.append(record)
            }
        }
        self.instances = unique
    }

    /// Reads the bundled sample: the two MySQL table exports in a directory (`Data/`).
    /// - Parameter directory: The directory holding `ding_process_instances.csv` and
    ///   `ding_form_component_values.csv`.
    /// - Returns: The sample's instances.
    /// - Throws: ``EmulatorError`` when a file is missing or holds bad rows.
    public static func sample(directory: String) throws(EmulatorError) -> EmulatorDataset {
        let files = [MySQLExport.instancesFile, MySQLExport.formValuesFile].map { "\(directory)/\($0)" }
        for file in files where !FileManager.default.fileExists(atPath: file) {
            throw EmulatorError(
                .data,
                "the sample file \(file) is missing; run from the repository root or pass --sample-dir DIR"
            )
        }
        do {
            let batch = try ImportReader(clock: try beijing()).read(paths: files)
            if let issue = batch.issues.first {
                throw EmulatorError(.data, "the sample has a bad row: \(issue)")
            }
            return EmulatorDataset(instances: batch.records)
        } catch let error as EmulatorError {
            throw error
        } catch {
            throw EmulatorError(.data, "cannot read the sample in \(directory): \(error)")
        }
    }

    /// Reads the newest snapshot of a LeanStats data directory.
    /// - Parameter directory: The data directory.
    /// - Returns: Its instances.
    /// - Throws: ``EmulatorError`` when the directory holds no readable snapshot.
    public static func store(directory: String) throws(EmulatorError) -> EmulatorDataset {
        let loaded: LoadedSnapshot?
        do {
            loaded = try SnapshotStore(directory: directory).loadLatest()
        } catch {
            throw EmulatorError(.data, "cannot read the store \(directory): \(error)")
        }
        guard let table = loaded?.table else {
            throw EmulatorError(.data, "\(directory) holds no snapshot; import data first or serve --sample")
        }
        return EmulatorDataset(instances: (0..<table.rowCount).map(table.record(at:)))
    }

    /// The default emulated "now": midnight (Beijing) at the start of the day after the newest instance, so every
    /// instance is listable and none is in the future. `nil` for an empty dataset.
    public var defaultNow: Int64? {
        guard let newest = instances.map(\.createTime).max() else { return nil }
        let day = (newest + Self.beijingOffset) / 86_400 + 1
        return (day * 86_400 - Self.beijingOffset) * 1000
    }

    /// Beijing's UTC offset in seconds (no daylight saving since 1991).
    static let beijingOffset: Int64 = 8 * 3600

    static func beijing() throws(EmulatorError) -> ZoneClock {
        do {
            return try ZoneClock(identifier: "Asia/Shanghai")
        } catch {
            throw EmulatorError(.data, "the time zone Asia/Shanghai is not installed; install tzdata")
        }
    }
}

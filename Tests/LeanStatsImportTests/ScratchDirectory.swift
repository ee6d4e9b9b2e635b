import Foundation
import LeanStatsCore
import LeanStatsImport

/// A fresh directory for one test's files, removed when the test drops it.
final class ScratchDirectory {
    let path: String

    init() throws {
        let base = FileManager.default.temporaryDirectory.path
        path = "\(base)/leanstats-import-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Writes text as UTF-8 and returns the file's path.
    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        try write(name, bytes: Array(text.utf8))
    }

    /// Writes bytes and returns the file's path.
    @discardableResult
    func write(_ name: String, bytes: [UInt8]) throws -> String {
        let file = "\(path)/\(name)"
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        return file
    }
}

/// The zone the tests read local times in.
let shanghai: ZoneClock = {
    do { return try ZoneClock(identifier: "Asia/Shanghai") } catch { preconditionFailure("\(error)") }
}()

/// A reader in Asia/Shanghai.
let importReader = ImportReader(clock: shanghai)

/// The instances table header in the original column order.
let instancesHeader =
    "business_id,process_instance_id,title,create_time,finish_time,status,result,originator_user_id,"
    + "originator_user_name,originator_dept_id,originator_dept_name"

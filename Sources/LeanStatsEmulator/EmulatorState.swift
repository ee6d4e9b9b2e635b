import Foundation
import LeanStatsCore

/// A user of the emulated contacts directory.
struct EmulatedUser {
    var name: String?
    var departments: [String]
}

/// A department of the emulated contacts directory.
struct EmulatedDepartment {
    var name: String
    var memberCount: Int
}

/// Everything the emulator changes while serving, guarded by one lock.
struct EmulatorState {
    /// The instances, ordered by creation time, then id.
    private(set) var records: [InstanceRecord] = []
    private var index: [String: Int] = [:]
    private(set) var users: [String: EmulatedUser] = [:]
    private(set) var departments: [String: EmulatedDepartment] = [:]
    /// The department tree, heads and admins derived from the records.
    private(set) var organisation = EmulatedOrganisation(records: [])
    /// Login authorisation codes not yet exchanged, with the login name each signs in.
    var authCodes: [String: String] = [:]
    /// Users' access tokens, with the login name each belongs to.
    var userTokens: [String: String] = [:]

    /// The valid access token and when it expires (monotonic nanoseconds).
    var token: String?
    var tokenExpiry: UInt64 = 0
    /// Tokens issued earlier, now expired or revoked.
    var retiredTokens: Set<String> = []

    var statistics = EmulatorStatistics()
    /// Accepted calls per API within the last second (monotonic nanoseconds), for the QPS limit.
    var accepted: [String: [UInt64]] = [:]
    var authenticatedCalls = 0
    /// Quota-bearing calls per month (`YYYY-MM`, Beijing time).
    var quota: [String: Int] = [:]
    /// Rotates through the variants of each fault kind.
    var variants: [String: Int] = [:]
    /// The faults injected now.
    var faults: FaultPlan
    /// Robot messages accepted, in order.
    var robotMessages: [EmulatedMessage] = []
    /// Stream events emitted, in order (`GET /_emulator/events`).
    var emitted: [EmittedEvent] = []
    /// Work notifications accepted, in order.
    var workNotifications: [EmulatedMessage] = []
    /// Accepted robot posts per access token (emulated epoch milliseconds), for the per-minute limit.
    var robotPosts: [String: [Int64]] = [:]
    /// When each throttled robot may post again (emulated epoch milliseconds).
    var robotThrottledUntil: [String: Int64] = [:]

    init(records: [InstanceRecord], faults: FaultPlan) {
        self.records = records
        self.faults = faults
        rebuild()
    }

    /// The record with an id.
    func record(_ id: String) -> InstanceRecord? {
        index[id].map { records[$0] }
    }

    /// Adds or replaces instances and refreshes the contacts directory.
    mutating func upsert(_ changed: [InstanceRecord]) {
        for record in changed {
            if let row = index[record.instanceId] {
                records[row] = record
            } else {
                index[record.instanceId] = records.count
                records.append(record)
            }
        }
        rebuild()
    }

    /// Deletes an instance, as its originator or an admin can in DingTalk.
    /// - Returns: The deleted record, `nil` when there is no such instance.
    mutating func remove(_ id: String) -> InstanceRecord? {
        guard let row = index[id] else { return nil }
        let record = records.remove(at: row)
        rebuild()
        return record
    }

    /// The ids created in `[start, end]` (epoch milliseconds) and not after `now`, in list order.
    func ids(from start: Int64, through end: Int64, now: Int64, users: Set<String>, statuses: Set<String>) -> [String] {
        var low = 0
        var high = records.count
        while low < high {
            let mid = (low + high) / 2
            if records[mid].createTime * 1000 < start { low = mid + 1 } else { high = mid }
        }
        var ids: [String] = []
        var row = low
        let last = min(end, now)
        while row < records.count, records[row].createTime * 1000 <= last {
            let record = records[row]
            row += 1
            if !users.isEmpty && !users.contains(record.originatorUserId ?? "") { continue }
            if !statuses.isEmpty && !statuses.contains(EmulatorRenderer.v1Status(record.status)) { continue }
            ids.append(record.instanceId)
        }
        return ids
    }

    private mutating func rebuild() {
        records.sort { ($0.createTime, $0.instanceId) < ($1.createTime, $1.instanceId) }
        index = [:]
        for (row, record) in records.enumerated() { index[record.instanceId] = row }
        var users: [String: EmulatedUser] = [:]
        var names: [String: [String: Int]] = [:]
        var members: [String: Set<String>] = [:]
        for record in records {
            guard let user = record.originatorUserId else { continue }
            var entry = users[user] ?? EmulatedUser(name: nil, departments: [])
            if let name = record.originatorUserName { entry.name = name }
            if let given = record.originatorDeptId {
                // Approval data names the root department -1; the contacts APIs call it 1.
                let dept = given == "-1" ? "1" : given
                if !entry.departments.contains(dept) { entry.departments.append(dept) }
                members[dept, default: []].insert(user)
                if let name = record.originatorDeptName { names[dept, default: [:]][name, default: 0] += 1 }
            }
            users[user] = entry
        }
        var departments: [String: EmulatedDepartment] = [:]
        for (dept, people) in members {
            let name = names[dept]?.max { ($0.value, $1.key) < ($1.value, $0.key) }?.key ?? "部门\(dept)"
            departments[dept] = EmulatedDepartment(name: name, memberCount: people.count)
        }
        departments["1"] = EmulatedDepartment(name: departments["1"]?.name ?? "总公司", memberCount: users.count)
        self.users = users
        self.departments = departments
        organisation = EmulatedOrganisation(records: records)
    }
}

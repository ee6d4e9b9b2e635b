import LeanStatsCore

/// The organisation the emulator's contacts and login APIs describe, derived deterministically from its instances:
/// departments with a parent each, a head for every department, a few admins and one account outside the
/// organisation. See `docs/dashboard-login.md`.
///
/// The departments are those the instances name (the root, id 1, included). In ascending id order the first
/// quarter hang under the root, and each later one hangs under the departments before it in turn, two at a time
/// (the fifth and sixth under the first, the next two under the second, …), so a larger set is three or more
/// levels deep. A department's head is the originator with the most instances in it (ties: the
/// smaller user id). The admins are the two most active originators who head nothing.
public struct EmulatedOrganisation: Sendable, Equatable {
    /// One department.
    public struct Department: Sendable, Equatable {
        /// The contacts id (the root is 1).
        public var id: Int64
        /// The name, the one most instances of the department carry.
        public var name: String
        /// The parent's id, `nil` for the root.
        public var parentId: Int64?
        /// Distinct originators of the department's instances.
        public var memberCount: Int
    }

    /// The login name of an account that signs in to DingTalk but is not a member of the organisation.
    public static let outsider = "outsider"

    /// Every department, ascending by id.
    public let departments: [Department]
    /// The head of each department (department id → user id).
    public let heads: [Int64: String]
    /// The suggested dashboard admins (for `server.admins`).
    public let admins: [String]
    /// Each member's name and departments, by user id.
    let members: [String: (name: String?, departments: [Int64])]

    public static func == (lhs: EmulatedOrganisation, rhs: EmulatedOrganisation) -> Bool {
        lhs.departments == rhs.departments && lhs.heads == rhs.heads && lhs.admins == rhs.admins
    }

    /// Derives the organisation from instances.
    /// - Parameter records: The instances, in any order.
    public init(records: [InstanceRecord]) {
        var names: [Int64: [String: Int]] = [:]
        var counts: [Int64: [String: Int]] = [:]
        var activity: [String: Int] = [:]
        var members: [String: (name: String?, departments: [Int64])] = [:]
        for record in records {
            guard let user = record.originatorUserId else { continue }
            var member = members[user] ?? (nil, [])
            if let name = record.originatorUserName { member.name = name }
            activity[user, default: 0] += 1
            if let given = record.originatorDeptId, let parsed = Int64(given) {
                // Approval data names the root department -1; the contacts APIs call it 1.
                let dept = parsed == -1 ? 1 : parsed
                if !member.departments.contains(dept) { member.departments.append(dept) }
                counts[dept, default: [:]][user, default: 0] += 1
                if let name = record.originatorDeptName, !name.isEmpty {
                    names[dept, default: [:]][name, default: 0] += 1
                }
            }
            members[user] = member
        }
        let ids = Set(counts.keys).union([1]).sorted()
        let children = ids.filter { $0 != 1 }
        let topLevel = max(1, (children.count + 2) / 4)
        var parents: [Int64: Int64] = [:]
        for (index, id) in children.enumerated() {
            parents[id] = index < topLevel ? 1 : children[(index - topLevel) / 2]
        }
        var heads: [Int64: String] = [:]
        for (dept, users) in counts where dept != 1 {
            heads[dept] = users.max { ($0.value, $1.key) < ($1.value, $0.key) }?.key
        }
        departments = ids.map { id in
            let name = names[id]?.max { ($0.value, $1.key) < ($1.value, $0.key) }?.key
            return Department(
                id: id,
                name: name ?? (id == 1 ? "总公司" : "部门\(id)"),
                parentId: parents[id],
                memberCount: id == 1 ? members.count : counts[id]?.count ?? 0
            )
        }
        self.heads = heads
        let leaders = Set(heads.values)
        admins = Array(
            activity.filter { !leaders.contains($0.key) }
                .sorted { ($0.value, $1.key) > ($1.value, $0.key) }
                .prefix(2).map(\.key)
        )
        self.members = members
    }

    /// The department with an id.
    public func department(_ id: Int64) -> Department? {
        departments.first { $0.id == id }
    }

    /// The direct sub-departments of a department.
    public func children(of id: Int64) -> [Department] {
        departments.filter { $0.parentId == id }
    }

    /// A department and all departments below it.
    public func subtree(of id: Int64) -> [Department] {
        guard let root = department(id) else { return [] }
        return [root] + children(of: id).flatMap { subtree(of: $0.id) }
    }

    /// The departments a user heads.
    public func departmentsHeaded(by userId: String) -> [Int64] {
        heads.filter { $0.value == userId }.map(\.key).sorted()
    }

    /// Every member's user id, sorted.
    public var userIds: [String] { members.keys.sorted() }

    /// Whether a user id is a member of the organisation.
    public func isMember(_ userId: String) -> Bool {
        members[userId] != nil
    }

    /// The union id of a login name: stable, different from the user id, as DingTalk's are.
    static func unionId(of login: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in login.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return "union" + String(hash, radix: 36)
    }
}

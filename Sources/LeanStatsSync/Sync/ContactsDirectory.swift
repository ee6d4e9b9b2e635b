import Foundation
import LeanStatsCore

/// The cache of the contacts APIs: user names and department names and member counts, kept in the snapshot's
/// metadata (`contacts.users`, `contacts.departments`) so that a sync asks DingTalk only about people and
/// departments it has not seen lately.
///
/// The contacts APIs are exempt from the monthly quota but not from the QPS limit. A lookup that fails is not
/// fatal: the sync keeps the name it already has, and a missing permission turns lookups off for the run with one
/// warning.
actor ContactsDirectory {
    /// A cached user.
    struct User: Codable, Sendable, Equatable {
        var name: String?
        var departments: [Int64]
        /// When DingTalk was asked, epoch milliseconds.
        var fetchedAt: Int64
    }

    /// A cached department.
    struct Department: Codable, Sendable, Equatable {
        var name: String?
        var memberCount: Int?
        var fetchedAt: Int64
    }

    static let usersKey = "contacts.users"
    static let departmentsKey = "contacts.departments"
    /// Users are asked about again after a week, departments (for member counts) after a day.
    static let userMaxAge: Int64 = 7 * 86_400_000
    static let departmentMaxAge: Int64 = 86_400_000

    private var users: [String: User]
    private var departments: [String: Department]
    private var pendingUsers: [String: Task<User?, Never>] = [:]
    private var pendingDepartments: [String: Task<Void, Never>] = [:]
    private let client: DingTalkClient?
    private let clock: any SyncClock
    private let warn: @Sendable (String) -> Void
    private var disabled = false

    /// Creates the directory from snapshot metadata.
    /// - Parameters:
    ///   - metadata: The snapshot's metadata.
    ///   - client: The client to ask, or `nil` to only read the cache (`sync.contacts = false`, dry runs).
    ///   - clock: The sync clock, for the age of entries.
    ///   - warn: Receives one line per problem.
    init(
        metadata: [String: String],
        client: DingTalkClient?,
        clock: any SyncClock,
        warn: @escaping @Sendable (String) -> Void
    ) {
        let decoder = JSONDecoder()
        users = metadata[Self.usersKey].flatMap { try? decoder.decode([String: User].self, from: Data($0.utf8)) } ?? [:]
        departments =
            metadata[Self.departmentsKey].flatMap {
                try? decoder.decode([String: Department].self, from: Data($0.utf8))
            }
            ?? [:]
        self.client = client
        self.clock = clock
        self.warn = warn
    }

    /// The user's current name, asking DingTalk when the cache has no recent entry.
    /// - Parameter userId: The user id.
    /// - Returns: The name, or `nil` when unknown.
    func name(of userId: String) async -> String? {
        let now = clock.now()
        if let cached = users[userId], now - cached.fetchedAt < Self.userMaxAge || client == nil || disabled {
            return cached.name
        }
        guard let client, !disabled else { return users[userId]?.name }
        if let pending = pendingUsers[userId] { return await pending.value?.name ?? users[userId]?.name }
        let task = Task.detached { () -> Result<ContactUser?, SyncError> in
            do throws(SyncError) {
                return .success(try await client.user(userId))
            } catch {
                return .failure(error)
            }
        }
        let lookup = Task { () -> User? in
            switch await task.value {
            case .success(let found):
                return User(name: found?.name, departments: found?.departmentIds ?? [], fetchedAt: now)
            case .failure(let error):
                self.failed(error)
                return nil
            }
        }
        pendingUsers[userId] = lookup
        let user = await lookup.value
        pendingUsers[userId] = nil
        if let user { users[userId] = user }
        return users[userId]?.name
    }

    /// Refreshes a department's entry (name, member count) when it is older than a day.
    /// - Parameter id: The department id from approval data (`-1` is the root).
    func noteDepartment(_ id: String) async {
        guard let client, !disabled, let number = Int64(id) else { return }
        let key = number == -1 ? "1" : String(number)
        let now = clock.now()
        if let cached = departments[key], now - cached.fetchedAt < Self.departmentMaxAge { return }
        if let pending = pendingDepartments[key] { return await pending.value }
        let task = Task.detached { () -> Result<ContactDepartment?, SyncError> in
            do throws(SyncError) {
                return .success(try await client.department(number))
            } catch {
                return .failure(error)
            }
        }
        let lookup = Task { () -> Void in
            switch await task.value {
            case .success(let found):
                self.departments[key] = Department(name: found?.name, memberCount: found?.memberCount, fetchedAt: now)
            case .failure(let error):
                self.failed(error)
            }
        }
        pendingDepartments[key] = lookup
        await lookup.value
        pendingDepartments[key] = nil
    }

    private func failed(_ error: SyncError) {
        switch error.code {
        case .cancelled:
            return
        case .permission, .credentials:
            if !disabled {
                disabled = true
                warn("leanstats: contacts lookups are off for this sync: \(error.message)")
            }
        default:
            warn("leanstats: a contacts lookup failed, keeping the names the store has: \(error.message)")
        }
    }

    /// The cache as snapshot metadata.
    func metadata() -> [String: String] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var result: [String: String] = [:]
        if let data = try? encoder.encode(users) { result[Self.usersKey] = String(decoding: data, as: UTF8.self) }
        if let data = try? encoder.encode(departments) {
            result[Self.departmentsKey] = String(decoding: data, as: UTF8.self)
        }
        // Member counts by department name, for `participation_rate` (departments sharing a name add up).
        var headcounts: [String: Int] = [:]
        for department in departments.values {
            guard let name = department.name, let members = department.memberCount else { continue }
            headcounts[name, default: 0] += members
        }
        if !headcounts.isEmpty { DepartmentHeadcounts.encode(headcounts, into: &result) }
        return result
    }

    /// How many users and departments are cached.
    var counts: (users: Int, departments: Int) { (users.count, departments.count) }
}

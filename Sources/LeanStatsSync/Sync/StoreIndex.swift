import LeanStatsCore

/// What the sync needs to know about the store it starts from, read once from the loaded table.
struct StoreIndex: Sendable {
    let table: InstanceTable

    /// Ids of the instances whose status is NEW or RUNNING, oldest first.
    /// - Complexity: O(n).
    func openIds() -> [String] {
        openInstances().map(\.id)
    }

    /// The instances whose status is NEW or RUNNING with their creation times (epoch milliseconds), oldest first.
    /// - Complexity: O(n).
    func openInstances() -> [(id: String, createTime: Int64)] {
        var open: [(id: String, createTime: Int64)] = []
        let instanceIds = table.instanceId
        let createTimes = table.createTime
        for row in 0..<table.rowCount {
            let status = InstanceStatus(rawValue: table.status[row])
            if status == .new || status == .running, let id = instanceIds[row] {
                open.append((id, createTimes[row] * 1000))
            }
        }
        return open
    }

    /// The rows created within `[start, end]` (epoch milliseconds).
    /// - Complexity: O(log n).
    func rows(from start: Int64, through end: Int64) -> Range<Int> {
        let first = lowerBound(Self.ceilSeconds(start))
        let last = lowerBound(Self.floorSeconds(end) + 1)
        return first..<max(first, last)
    }

    /// Ids created within `[start, end]` whose status is final (COMPLETED, TERMINATED, CANCELED).
    func finalIds(from start: Int64, through end: Int64) -> Set<String> {
        var ids = Set<String>()
        let instanceIds = table.instanceId
        for row in rows(from: start, through: end) {
            switch InstanceStatus(rawValue: table.status[row]) {
            case .completed, .terminated, .canceled:
                if let id = instanceIds[row] { ids.insert(id) }
            default:
                break
            }
        }
        return ids
    }

    /// Each user's most recent name in the store.
    /// - Complexity: O(n) over codes, decoding each distinct user once.
    func latestNames() -> [String: String] {
        var nameOfUser: [UInt32: UInt32] = [:]
        for row in 0..<table.rowCount {
            let user = table.userId.codes[row]
            let name = table.userName.codes[row]
            if user != 0 && name != 0 { nameOfUser[user] = name }
        }
        var names: [String: String] = [:]
        for (user, name) in nameOfUser {
            if let id = table.userId.dictionary[user], let text = table.userName.dictionary[name] { names[id] = text }
        }
        return names
    }

    /// The newest creation time, epoch milliseconds.
    var newest: Int64? { table.createTimeBounds.map { $0.upperBound * 1000 } }

    private func lowerBound(_ seconds: Int64) -> Int {
        let createTimes = table.createTime
        var low = 0
        var high = table.rowCount
        while low < high {
            let middle = (low + high) / 2
            if createTimes[middle] < seconds { low = middle + 1 } else { high = middle }
        }
        return low
    }

    private static func ceilSeconds(_ milliseconds: Int64) -> Int64 {
        milliseconds >= 0 ? (milliseconds + 999) / 1000 : milliseconds / 1000
    }

    private static func floorSeconds(_ milliseconds: Int64) -> Int64 {
        milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000
    }
}

import LeanStatsCore

/// The rows of a `list`, made on demand a chunk at a time, so that printing ten million instances holds one chunk
/// of values instead of all of them.
public struct ListRows: Sendable {
    /// The column names (``Query/listColumns``).
    public let columns: [String]
    /// The selected rows of the engine's table, newest first.
    public let selection: [Int]
    /// The data the rows come from.
    let engine: StatisticsEngine
    /// Warnings about the period (``ResultTable/warnings``), printed after the rows.
    public var warnings: [String] = []

    /// How many rows a chunk holds.
    public static let chunkRows = 4096

    /// The number of rows.
    public var count: Int { selection.count }

    /// The values of the selected rows in `range`, in column order.
    /// - Complexity: O(range.count).
    public func values(_ range: Range<Int>) -> [[ResultValue]] {
        let table = engine.table
        let clock = engine.clock
        let category = table.category
        let (businessIds, titles) = (table.businessId, table.title)
        let (createTimes, finishTimes) = (table.createTime, table.finishTime)
        // Decoded only if some instance has no business id.
        lazy var instanceIds = table.instanceId
        return selection[range].map { row -> [ResultValue] in
            func text(_ value: String?) -> ResultValue { value.map(ResultValue.string) ?? .null }
            let finish = finishTimes[row]
            let user = engine.latestName(ofUserCode: table.userId.codes[row]) ?? table.userName[row]
            return [
                text(businessIds[row] ?? instanceIds[row]), text(titles[row]), text(user),
                text(table.deptName[row]), text(category?[row]),
                text(InstanceStatus(rawValue: table.status[row])?.code),
                text(InstanceResult(rawValue: table.result[row])?.code),
                .string(clock.format(createTimes[row])),
                finish == InstanceTable.missingTime ? .null : .string(clock.format(finish)),
                engine.processingDays(ofRow: row).map(ResultValue.int) ?? .null,
            ]
        }
    }

    /// Calls `body` with each chunk of rows in order as a result table, until the rows end or `body` returns
    /// `false`.
    /// - Returns: whether every chunk was handed over.
    @discardableResult
    public func forEachChunk(_ body: (ResultTable) throws -> Bool) rethrows -> Bool {
        var start = 0
        while start < count {
            let end = min(start + Self.chunkRows, count)
            guard try body(ResultTable(columns: columns, rows: values(start..<end))) else { return false }
            start = end
        }
        return true
    }

    /// All rows in one table.
    public var table: ResultTable {
        var table = ResultTable(columns: columns, rows: values(0..<count))
        table.warnings = warnings
        return table
    }
}

/// A query's answer as it is printed: a whole table, or the rows of a `list` to be printed a chunk at a time.
public enum ResultStream: Sendable {
    /// A result small enough to hold: every form but `list`.
    case table(ResultTable)
    /// The rows of a `list`.
    case list(ListRows)

    /// Warnings about the periods, printed on stderr after the result.
    public var warnings: [String] {
        switch self {
        case .table(let table): table.warnings
        case .list(let rows): rows.warnings
        }
    }
}

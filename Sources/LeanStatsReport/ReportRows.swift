import LeanStatsCore

/// A department or category of the period beside its count in the previous period.
public struct ComparedGroup: Sendable, Hashable {
    /// The group's statistics in the period.
    public var current: GroupStatistics
    /// The group's instance count in the previous period (0 when it had none).
    public var previousCount: Int

    /// Creates a row.
    public init(current: GroupStatistics, previousCount: Int) {
        self.current = current
        self.previousCount = previousCount
    }
}

/// One row of the proposer ranking with its place.
public struct RankedProposer: Sendable, Hashable {
    /// The place: 1 for the most proposals; proposers with equal counts share a place (1, 2, 2, 4).
    public var rank: Int
    /// The proposer's statistics.
    public var statistics: ProposerStatistics

    /// Creates a row.
    public init(rank: Int, statistics: ProposerStatistics) {
        self.rank = rank
        self.statistics = statistics
    }

    /// Numbers an already ordered ranking (count descending), giving equal counts the same place.
    /// - Parameter ranking: the engine's `top N` rows.
    /// - Returns: the rows with their places.
    public static func rank(_ ranking: [ProposerStatistics]) -> [RankedProposer] {
        var rows: [RankedProposer] = []
        rows.reserveCapacity(ranking.count)
        for (index, entry) in ranking.enumerated() {
            let rank = index > 0 && ranking[index - 1].count == entry.count ? rows[index - 1].rank : index + 1
            rows.append(RankedProposer(rank: rank, statistics: entry))
        }
        return rows
    }
}

/// One month of the trend.
public struct TrendMonth: Sendable, Hashable {
    /// The first day of the month.
    public var month: CivilDate
    /// The month's statistics (all zero for a month without instances).
    public var statistics: GroupStatistics

    /// Creates a month.
    public init(month: CivilDate, statistics: GroupStatistics) {
        self.month = month
        self.statistics = statistics
    }
}

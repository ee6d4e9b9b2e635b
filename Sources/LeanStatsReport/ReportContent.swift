import LeanStatsCore

/// Every number and row of one report, computed from the statistics engine before anything is written.
///
/// The figures are the engine's own (``StatisticsEngine/overview(period:filter:)``,
/// ``StatisticsEngine/grouped(by:period:filter:distinct:)``, ``StatisticsEngine/topProposers(_:period:filter:)``)
/// for the period and the request's department; the workbook only lays them out, so a cell always equals the
/// query language's answer for the same period.
public struct ReportContent: Sendable {
    /// What the report covers.
    public let request: ReportRequest
    /// The zone that defines days and months, and in which times are shown.
    public let clock: ZoneClock
    /// The latest creation time in the whole store (Unix seconds): how fresh the data is (数据截至). A finish time
    /// is not used, as the last approval step can come long after the newest proposal was synced. `nil` for an
    /// empty store.
    public let asOf: Int64?
    /// The creation days of the store's first and last instance, `nil` for an empty store.
    public let dataSpan: DayRange?
    /// `overview` and `efficiency` of the period.
    public let current: GroupStatistics
    /// `overview` and `efficiency` of the previous period (``ReportPeriod/previous``).
    public let previous: GroupStatistics
    /// `by dept` of the period with `benefit_sum`, each department beside its count in the previous period.
    public let departments: [ComparedGroup]
    /// `by category` of the period with `benefit_sum`, each category beside its count in the previous period.
    public let categories: [ComparedGroup]
    /// `top N` of the period, ranked.
    public let proposers: [RankedProposer]
    /// `by status` of the period.
    public let statuses: [GroupStatistics]
    /// How the processing times of the period's completed instances spread over day brackets.
    public let durations: [DurationBucket]
    /// `by month` over the twelve months ending with the period, one entry per month (empty months included).
    public let trend: [TrendMonth]
    /// Every instance of the period (of the department, if one is requested), in creation order; empty when the
    /// request leaves the 明细 sheet out.
    public let details: [DetailRow]
    /// Whether the form has a `提案名称` field, so that 明细 shows it.
    public let hasProposalNames: Bool

    /// The label of the form field holding a proposal's own name.
    public static let proposalNameField = "提案名称"

    /// The sheets of the workbook, in order: ``ReportWriter/sheetNames`` without 明细 when the request leaves
    /// it out.
    public var sheetNames: [String] {
        request.includesDetails ? ReportWriter.sheetNames : ReportWriter.sheetNames.filter { $0 != "明细" }
    }

    /// Computes the report.
    /// - Parameters:
    ///   - engine: the loaded store.
    ///   - request: the period, department and ranking length.
    /// - Throws: ``ReportError`` with code ``ReportError/Code/unknownDepartment`` when the requested department
    ///   appears nowhere in the store.
    /// - Complexity: O(r) for the r rows of the period and the trend months.
    public init(engine: StatisticsEngine, request: ReportRequest) throws(ReportError) {
        let table = engine.table
        var deptCode: UInt32?
        if let name = request.deptName {
            guard let code = table.deptName.dictionary.code(of: name) else {
                throw Self.unknownDepartment(name, in: table)
            }
            deptCode = code
        }
        let filter = StatisticsFilter(deptName: request.deptName, deptScope: request.deptScope)
        // The scope as one flag per department-name code, so the detail rows are kept without string work.
        let scopeCodes = request.deptScope.map { names in
            var flags = [Bool](repeating: false, count: max(table.deptName.dictionary.count, 1))
            for name in names {
                if let code = table.deptName.dictionary.code(of: name), Int(code) < flags.count {
                    flags[Int(code)] = true
                }
            }
            return flags
        }
        let period = request.period.dayRange
        let previousPeriod = request.period.previous.dayRange

        self.request = request
        clock = engine.clock
        asOf = Self.latestTime(in: table)
        if let bounds = table.createTimeBounds {
            dataSpan = DayRange(
                first: engine.clock.dayNumber(at: bounds.lowerBound),
                last: engine.clock.dayNumber(at: bounds.upperBound)
            )
        } else {
            dataSpan = nil
        }
        current = engine.overview(period: period, filter: filter)
        previous = engine.overview(period: previousPeriod, filter: filter)
        let withBenefit = StatisticsOptions.standard.union(.benefit)
        departments = Self.compare(
            engine.grouped(by: .dimension(.dept), period: period, filter: filter, options: withBenefit),
            with: engine.grouped(by: .dept, period: previousPeriod, filter: filter, distinct: false)
        )
        categories = Self.compare(
            engine.grouped(by: .dimension(.category), period: period, filter: filter, options: withBenefit),
            with: engine.grouped(by: .category, period: previousPeriod, filter: filter, distinct: false)
        )
        proposers = RankedProposer.rank(engine.topProposers(request.topCount, period: period, filter: filter))
        statuses = engine.grouped(by: .status, period: period, filter: filter, distinct: false)
        let months = engine.grouped(
            by: .month,
            period: request.period.trailingDayRange(months: 12),
            filter: filter
        )
        let byMonth = Dictionary(months.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        trend = request.period.trailingMonths(12).map { month in
            TrendMonth(month: month, statistics: byMonth[month.monthText] ?? GroupStatistics(key: month.monthText))
        }
        let rows = engine.rowRange(for: period)
        hasProposalNames = table.formColumn(named: Self.proposalNameField) != nil
        if request.includesDetails {
            details = DetailRow.rows(of: engine, in: rows, deptCode: deptCode, scopeCodes: scopeCodes)
            durations = DurationBucket.count(details.compactMap(\.days))
        } else {
            details = []
            durations = DurationBucket.count(
                rows.compactMap { row in
                    let code = table.deptName.codes[row]
                    guard deptCode.map({ code == $0 }) ?? true, scopeCodes.map({ $0[Int(code)] }) ?? true else {
                        return nil
                    }
                    return engine.processingDays(ofRow: row)
                }
            )
        }
    }

    /// What a reader should know before forwarding the workbook: a period without instances (the workbook then
    /// holds zeros and empty rates) and a previous period without instances (its changes are left empty).
    public var warnings: [String] {
        let scope = request.deptName.map { " of \($0)" } ?? ""
        let covered = dataSpan.map { "the data covers \(Self.text($0)) by creation time" } ?? "the store is empty"
        var warnings: [String] = []
        let period = request.period
        if current.count == 0 {
            warnings.append(
                "no instances\(scope) in \(period) (\(Self.text(period.dayRange))): \(covered); "
                    + "the workbook shows zeros and leaves rates empty"
            )
        }
        if previous.count == 0 && current.count > 0 {
            warnings.append(
                "no instances\(scope) in the previous period \(period.previous) (\(Self.text(period.previous.dayRange))): "
                    + "\(covered); the changes against it are left empty"
            )
        }
        return warnings
    }

    /// `2025-11-01..2025-11-30`.
    static func text(_ range: DayRange) -> String {
        "\(CivilDate(dayNumber: range.first))..\(CivilDate(dayNumber: range.last))"
    }

    /// The latest creation time in the table (the rows are in creation order).
    /// - Complexity: O(1).
    static func latestTime(in table: InstanceTable) -> Int64? {
        table.createTimeBounds?.upperBound
    }

    /// Pairs each group with its count in the previous period (0 when it had none).
    static func compare(_ groups: [GroupStatistics], with previous: [GroupStatistics]) -> [ComparedGroup] {
        let counts = Dictionary(previous.map { ($0.key, $0.count) }, uniquingKeysWith: +)
        return groups.map { ComparedGroup(current: $0, previousCount: counts[$0.key] ?? 0) }
    }

    /// The error for a department the store does not know, listing some it does know.
    static func unknownDepartment(_ name: String, in table: InstanceTable) -> ReportError {
        let dictionary = table.deptName.dictionary
        let known = (1..<max(dictionary.count, 1)).compactMap { dictionary[UInt32($0)] }.sorted(by: utf8Precedes)
        let similar = known.filter { $0.contains(name) || name.contains($0) }
        let shown = (similar.isEmpty ? known : similar).prefix(8)
        let hint =
            shown.isEmpty
            ? "the store holds no department names"
            : (similar.isEmpty ? "known departments: " : "did you mean: ") + shown.joined(separator: ", ")
                + (known.count > shown.count && similar.isEmpty ? ", …" : "")
        return ReportError(.unknownDepartment, "no instance in the store has the department '\(name)'", hint: hint)
    }
}

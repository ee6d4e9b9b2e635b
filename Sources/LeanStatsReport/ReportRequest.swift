/// What a report covers: the period, optionally one department, and the length of the proposer ranking.
public struct ReportRequest: Sendable, Hashable {
    /// The length of the proposer ranking when none is given.
    public static let defaultTopCount = 10

    /// The month, quarter, half-year, year or range.
    public var period: ReportPeriod
    /// Only this department's instances (a per-recipient pack), or every department for `nil`.
    public var deptName: String?
    /// How many proposers the ranking lists.
    public var topCount: Int
    /// Whether the workbook has the 明细 sheet (one row per instance); a year of a large company is left
    /// without it to keep the file small.
    public var includesDetails: Bool

    /// Creates a request.
    /// - Parameters:
    ///   - period: the month, quarter, half-year, year or range.
    ///   - deptName: one department's name, or `nil` for the whole company.
    ///   - topCount: how many proposers the ranking lists (at least 1).
    ///   - includesDetails: whether the workbook has the 明细 sheet.
    /// - Throws: ``ReportError`` with code ``ReportError/Code/invalidTopCount`` when `topCount` is below 1.
    public init(
        period: ReportPeriod,
        deptName: String? = nil,
        topCount: Int = ReportRequest.defaultTopCount,
        includesDetails: Bool = true
    ) throws(ReportError) {
        guard topCount >= 1 else {
            throw ReportError(
                .invalidTopCount,
                "the ranking length \(topCount) is not a positive number",
                hint: "give --top 1 or more (default \(Self.defaultTopCount))"
            )
        }
        self.period = period
        self.deptName = deptName
        self.topCount = topCount
        self.includesDetails = includesDetails
    }
}

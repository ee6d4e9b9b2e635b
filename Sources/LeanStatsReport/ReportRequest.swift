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
    /// Only instances of these departments (the departments a dashboard viewer may see), or no such limit for
    /// `nil`; it narrows ``deptName`` too.
    public var deptScope: Set<String>?

    /// What the report covers, for titles: ``deptName``, else the scope's department (or its first one and how
    /// many there are), `nil` for the whole company.
    public var scopeName: String? {
        if let deptName { return deptName }
        guard let names = deptScope?.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }), let first = names.first
        else { return nil }
        return names.count == 1 ? first : "\(first)等\(names.count)个部门"
    }

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

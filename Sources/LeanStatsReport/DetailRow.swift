import LeanStatsCore

/// One instance as the 明细 sheet lists it.
public struct DetailRow: Sendable, Hashable {
    /// The business id (审批编号).
    public var businessId: String?
    /// The title.
    public var title: String?
    /// The form's `提案名称`, if it has one.
    public var proposalName: String?
    /// The originator's name as recorded on the instance, else the user id.
    public var proposer: String?
    /// The originator's department name.
    public var deptName: String?
    /// The `提案类别` form value.
    public var category: String?
    /// The DingTalk status.
    public var status: InstanceStatus?
    /// The approval result.
    public var result: InstanceResult?
    /// Creation time, Unix seconds.
    public var createTime: Int64
    /// Finish time, Unix seconds, `nil` while open.
    public var finishTime: Int64?
    /// Processing days as `docs/definitions.md` §5 defines them (COMPLETED with a finish time), else `nil`.
    public var days: Int?
    /// The benefit form field (`预计收益(元)`) in yuan, as `benefit_sum` reads it; `nil` when missing or not a
    /// number.
    public var benefit: Double?

    /// Creates a row.
    public init(
        businessId: String?,
        title: String?,
        proposer: String?,
        deptName: String?,
        category: String?,
        status: InstanceStatus?,
        result: InstanceResult?,
        createTime: Int64,
        finishTime: Int64?,
        days: Int?,
        proposalName: String? = nil,
        benefit: Double? = nil
    ) {
        self.businessId = businessId
        self.title = title
        self.proposer = proposer
        self.deptName = deptName
        self.category = category
        self.status = status
        self.result = result
        self.createTime = createTime
        self.finishTime = finishTime
        self.days = days
        self.proposalName = proposalName
        self.benefit = benefit
    }

    /// The rows of a row range, optionally of one department only.
    /// - Parameters:
    ///   - engine: the engine whose table and zone to read.
    ///   - rows: the row range of the period (``StatisticsEngine/rowRange(for:)``).
    ///   - deptCode: the department-name code to keep, or `nil` for every row.
    ///   - scopeCodes: one flag per department-name code, true for the codes to keep, or `nil` for every row.
    /// - Returns: the rows in creation order.
    /// - Complexity: O(r) for r rows in the range, plus O(d) once for the d distinct benefit texts.
    static func rows(
        of engine: StatisticsEngine,
        in rows: Range<Int>,
        deptCode: UInt32?,
        scopeCodes: [Bool]? = nil
    ) -> [DetailRow] {
        let table = engine.table
        let category = table.category
        let names = table.formColumn(named: ReportContent.proposalNameField)
        // Each distinct benefit text is read as a number once; rows look their amount up by code.
        let benefitColumn = table.formColumn(named: engine.benefitField)
        let amounts = benefitColumn.map { column in
            (0..<column.dictionary.count).map { code -> Double? in
                guard let text = column.dictionary[UInt32(code)],
                    case .cents(let cents) = ValueLimits.benefitAmount(text)
                else { return nil }
                return Double(cents) / 100
            }
        }
        let (businessIds, titles) = (table.businessId, table.title)
        let (createTimes, finishTimes) = (table.createTime, table.finishTime)
        var result: [DetailRow] = []
        result.reserveCapacity(rows.count)
        for row in rows {
            if let deptCode, table.deptName.codes[row] != deptCode { continue }
            if let scopeCodes, !scopeCodes[Int(table.deptName.codes[row])] { continue }
            let status = InstanceStatus(rawValue: table.status[row])
            let create = createTimes[row]
            let finish = finishTimes[row] == InstanceTable.missingTime ? nil : finishTimes[row]
            result.append(
                DetailRow(
                    businessId: businessIds[row],
                    title: titles[row],
                    proposer: table.userName[row] ?? table.userId[row],
                    deptName: table.deptName[row],
                    category: category?[row],
                    status: status,
                    result: InstanceResult(rawValue: table.result[row]),
                    createTime: create,
                    finishTime: finish,
                    days: engine.processingDays(ofRow: row),
                    proposalName: names?[row],
                    benefit: benefitColumn.flatMap { amounts?[Int($0.codes[row])] ?? nil }
                )
            )
        }
        return result
    }
}

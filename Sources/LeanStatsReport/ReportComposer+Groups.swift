import LeanStatsCore

extension ReportComposer {
    /// 部门统计: one row per department with its share, pass rate, participants and the previous period's count.
    func writeDepartments(_ sheet: SheetBuilder) throws(ReportError) {
        let rows = content.departments
        let total = content.current.count
        let columns: [SheetBuilder.Column] = [
            .init(title: "部门", style: .text) { .text(rows[$0].current.key) },
            .init(title: "提案数", style: .count, highlight: .dataBars) { .number(Double(rows[$0].current.count)) },
            .init(title: "占比", style: .rate) { .number(Self.share(rows[$0].current.count, of: total)) },
            .init(title: "通过数", style: .count) { .number(Double(rows[$0].current.passed)) },
            .init(title: "通过率", style: .rate, highlight: .colorScale) { .number(rows[$0].current.passRate / 100) },
            .init(title: "参与人数", style: .count) { .number(Double(rows[$0].current.participants)) },
            .init(title: "人均提案数", style: .ratio) { index in
                let group = rows[index].current
                return .number(group.participants == 0 ? nil : Double(group.count) / Double(group.participants))
            },
            .init(title: "上期提案数", style: .count) { .number(Double(rows[$0].previousCount)) },
            .init(title: "增减", style: .countChange) { Self.countChange(rows[$0]) },
            .init(title: Self.benefitTitle, style: .amount) { .number(rows[$0].current.benefitSum ?? 0) },
        ]
        try frame(sheet, title: sheetTitle("部门统计"), width: columns.count + 2 + 8)
        try sheet.list(columns, count: rows.count, headerRow: Self.headerRow)
        try sheet.applyColumnWidths()
        if let chart = try departmentChart(for: sheet.name) {
            try sheet.sheet.insertChart(chart, row: Self.headerRow, column: columns.count + 1, width: 560, height: 340)
        }
    }

    /// 提案类别统计: one row per category with its share, pass rate and the previous period's count.
    func writeCategories(_ sheet: SheetBuilder) throws(ReportError) {
        let rows = content.categories
        let total = content.current.count
        let columns: [SheetBuilder.Column] = [
            .init(title: "提案类别", style: .text) { .text(rows[$0].current.key) },
            .init(title: "提案数", style: .count, highlight: .dataBars) { .number(Double(rows[$0].current.count)) },
            .init(title: "占比", style: .rate) { .number(Self.share(rows[$0].current.count, of: total)) },
            .init(title: "通过数", style: .count) { .number(Double(rows[$0].current.passed)) },
            .init(title: "通过率", style: .rate, highlight: .colorScale) { .number(rows[$0].current.passRate / 100) },
            .init(title: "参与人数", style: .count) { .number(Double(rows[$0].current.participants)) },
            .init(title: "平均处理天数", style: .days) { .number(rows[$0].current.avgDays) },
            .init(title: "上期提案数", style: .count) { .number(Double(rows[$0].previousCount)) },
            .init(title: "增减", style: .countChange) { Self.countChange(rows[$0]) },
            .init(title: Self.benefitTitle, style: .amount) { .number(rows[$0].current.benefitSum ?? 0) },
        ]
        try frame(sheet, title: sheetTitle("提案类别统计"), width: columns.count + 2 + 8)
        try sheet.list(columns, count: rows.count, headerRow: Self.headerRow)
        try sheet.applyColumnWidths()
        if let chart = try categoryChart(for: sheet.name) {
            try sheet.sheet.insertChart(chart, row: Self.headerRow, column: columns.count + 1, width: 520, height: 340)
        }
    }

    /// 个人排行榜: the top proposers with their place, department and pass rate.
    func writeRanking(_ sheet: SheetBuilder) throws(ReportError) {
        let rows = content.proposers
        let columns: [SheetBuilder.Column] = [
            .init(title: "排名", style: .count) { .number(Double(rows[$0].rank)) },
            .init(title: "姓名", style: .text) { .text(rows[$0].statistics.userName) },
            .init(title: "用户ID", style: .text) { .text(rows[$0].statistics.userId) },
            .init(title: "部门", style: .text) { .text(rows[$0].statistics.deptName) },
            .init(title: "提案数", style: .count, highlight: .dataBars) { .number(Double(rows[$0].statistics.count)) },
            .init(title: "通过数", style: .count) { .number(Double(rows[$0].statistics.passed)) },
            .init(title: "通过率", style: .rate, highlight: .colorScale) {
                .number(rows[$0].statistics.passRate / 100)
            },
        ]
        try frame(sheet, title: sheetTitle("个人排行榜（前 \(content.request.topCount) 名）"), width: 7 + 2 + 8)
        try sheet.list(columns, count: rows.count, headerRow: Self.headerRow)
        try sheet.applyColumnWidths()
        if let chart = try rankingChart(for: sheet.name) {
            let height = Double(max(240, min(720, 60 + 26 * rows.count)))
            try sheet.sheet.insertChart(chart, row: Self.headerRow, column: 8, width: 520, height: height)
        }
    }

    /// The header of the expected-benefit columns: the sum of the form field `benefit_sum` reads.
    static let benefitTitle = "预计收益(元)"

    /// A group's change against the previous period; empty when it had no instances then (as `count_change` of
    /// `vs prev`).
    static func countChange(_ row: ComparedGroup) -> SheetBuilder.Value {
        .number(row.previousCount == 0 ? nil : Double(row.current.count - row.previousCount))
    }

    // MARK: - Charts

    /// The first data row of every list sheet.
    private static var firstDataRow: Int { headerRow + 1 }

    /// A column of a list sheet's first `count` data rows.
    private static func listColumn(_ column: Int, count: Int) -> CellRange {
        CellRange(firstRow: firstDataRow, firstColumn: column, lastRow: firstDataRow + count - 1, lastColumn: column)
    }

    /// Column chart of the departments' proposal counts (the largest ``chartLimit``), `nil` with fewer than two
    /// departments (a department pack): one bar says nothing the table does not.
    func departmentChart(for sheet: String) throws(ReportError) -> Chart? {
        let count = min(content.departments.count, Self.chartLimit)
        guard count > 1 else { return nil }
        let chart = try workbook.addChart(.column, for: sheet)
        let series = try chart.addSeries(
            name: "提案数",
            dataSheet: ReportWriter.sheetNames[1],
            categories: Self.listColumn(0, count: count),
            values: Self.listColumn(1, count: count),
            color: ReportColor.accent
        )
        chart.showValues(of: series)
        let limited = content.departments.count > count ? "（前 \(count) 个）" : ""
        chart.style(title: "各部门提案数\(limited)", showLegend: false)
        return chart
    }

    /// Doughnut of the categories' shares (the largest ``chartLimit``), `nil` with fewer than two categories.
    func categoryChart(for sheet: String) throws(ReportError) -> Chart? {
        let count = min(content.categories.count, Self.chartLimit)
        guard count > 1 else { return nil }
        let chart = try workbook.addChart(.doughnut, for: sheet)
        let series = try chart.addSeries(
            name: "提案数",
            dataSheet: ReportWriter.sheetNames[2],
            categories: Self.listColumn(0, count: count),
            values: Self.listColumn(1, count: count),
            color: nil
        )
        // A slice under 3 % has no room for its label; the legend and the table still name it. (Custom labels
        // first: libxlsxwriter turns values on when they are set.)
        let shown = content.categories.prefix(count).map(\.current.count)
        let total = shown.reduce(0, +)
        try chart.hideLabels(of: series, where: shown.map { $0 * 100 < total * 3 })
        chart.showPercentages(of: series)
        let limited = content.categories.count > count ? "（前 \(count) 类）" : ""
        chart.style(title: "提案类别分布\(limited)", showLegend: true)
        return chart
    }

    /// Bar chart of the ranking's proposal counts, first place on top; `nil` for a ranking of fewer than two.
    func rankingChart(for sheet: String) throws(ReportError) -> Chart? {
        let count = content.proposers.count
        guard count > 1 else { return nil }
        let chart = try workbook.addChart(.bar, for: sheet)
        let series = try chart.addSeries(
            name: "提案数",
            dataSheet: ReportWriter.sheetNames[3],
            categories: Self.listColumn(1, count: count),
            values: Self.listColumn(4, count: count),
            color: ReportColor.accent
        )
        chart.showValues(of: series)
        chart.style(title: "个人提案数排行", showLegend: false)
        return chart
    }

    /// Line chart of proposals and passed proposals over the trend's twelve months.
    func trendChart(for sheet: String) throws(ReportError) -> Chart? {
        let count = content.trend.count
        guard count > 0 else { return nil }
        let chart = try workbook.addChart(.line, for: sheet)
        let months = Self.listColumn(0, count: count)
        let dataSheet = ReportWriter.sheetNames[5]
        try chart.addSeries(
            name: "提案数",
            dataSheet: dataSheet,
            categories: months,
            values: Self.listColumn(1, count: count),
            color: ReportColor.accent
        )
        try chart.addSeries(
            name: "通过数",
            dataSheet: dataSheet,
            categories: months,
            values: Self.listColumn(2, count: count),
            color: ReportColor.secondAccent
        )
        chart.style(title: "近 12 个月提案趋势", showLegend: true, categoryFormat: "yyyy-mm")
        return chart
    }
}

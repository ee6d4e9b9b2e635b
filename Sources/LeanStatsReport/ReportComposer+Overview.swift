import LeanStatsCore

extension ReportComposer {
    /// One line of the overview table: a figure of this period and of the previous one.
    struct OverviewFigure {
        /// The figure's name.
        var name: String
        /// This period's value.
        var current: Double?
        /// The previous period's value.
        var previous: Double?
        /// The style of the two values.
        var style: CellStyle
        /// The style of their difference.
        var changeStyle: CellStyle
        /// Whether a relative change (环比) means something (not for rates).
        var showsRelativeChange: Bool
    }

    /// The figures of the overview, in order.
    var overviewFigures: [OverviewFigure] {
        let now = content.current
        let before = content.previous
        func count(_ name: String, _ value: (GroupStatistics) -> Int) -> OverviewFigure {
            OverviewFigure(
                name: name,
                current: Double(value(now)),
                previous: Double(value(before)),
                style: .count,
                changeStyle: .countChange,
                showsRelativeChange: true
            )
        }
        // A rate of a period without instances is unknown rather than 0, so it has no change either.
        func rate(_ name: String, _ value: (GroupStatistics) -> Double?) -> OverviewFigure {
            OverviewFigure(
                name: name,
                current: now.count == 0 ? nil : value(now).map { $0 / 100 },
                previous: before.count == 0 ? nil : value(before).map { $0 / 100 },
                style: .rate,
                changeStyle: .pointChange,
                showsRelativeChange: false
            )
        }
        func perPerson(_ statistics: GroupStatistics) -> Double? {
            statistics.participants == 0 ? nil : Double(statistics.count) / Double(statistics.participants)
        }
        return [
            count("提案数", \.count),
            count("通过数", \.passed),
            rate("通过率", \.passRate),
            count("参与人数", \.participants),
            count("参与部门数", \.depts),
            OverviewFigure(
                name: "人均提案数",
                current: perPerson(now),
                previous: perPerson(before),
                style: .ratio,
                changeStyle: .daysChange,
                showsRelativeChange: true
            ),
            count("已完成审批数", \.completed),
            OverviewFigure(
                name: "平均处理天数",
                current: now.avgDays,
                previous: before.avgDays,
                style: .days,
                changeStyle: .daysChange,
                showsRelativeChange: true
            ),
            rate("30天内完成率", \.within30Rate),
        ]
    }

    /// The overview's summary sentence.
    var summarySentence: String {
        let now = content.current
        let before = content.previous
        guard now.count > 0 else {
            return "本期没有提案。上期（\(content.request.period.previous.label)）共 \(Self.countText(before.count)) 件。"
        }
        var text = "本期共收到精益提案 \(Self.countText(now.count)) 件"
        let difference = now.count - before.count
        if before.count > 0 {
            let direction = difference >= 0 ? "增加" : "减少"
            let relative = Self.percentText(Double(abs(difference)) / Double(before.count))
            text += "，较上期\(direction) \(Self.countText(abs(difference))) 件（\(relative)）"
        }
        text += "；通过 \(Self.countText(now.passed)) 件，通过率 \(Self.percentText(now.passRate / 100))"
        text += "；\(Self.countText(now.participants)) 人参与"
        if content.request.deptName == nil { text += "，覆盖 \(Self.countText(now.depts)) 个部门" }
        if let average = now.avgDays, let within30 = now.within30Rate {
            text += "；已完成审批 \(Self.countText(now.completed)) 件，平均处理 \(Self.decimalText(average)) 天"
            text += "，30 天内完成率 \(Self.percentText(within30 / 100))"
        }
        return text + "。"
    }

    /// 总体概览: title, period line, summary, the figures beside the previous period, and four charts.
    func writeOverview(_ sheet: SheetBuilder) throws(ReportError) {
        let header = Self.headerRow + 1
        try frame(sheet, title: reportTitle, width: 14, headerRow: header, pagesTall: 1)
        try sheet.merged(
            summarySentence,
            CellRange(firstRow: 2, firstColumn: 0, lastRow: 2, lastColumn: 13),
            style: .summary
        )
        try sheet.sheet.setRowHeight(2, 36)
        sheet.sheet.hideGridlines()

        let figures = overviewFigures
        for (offset, title) in ["指标", "本期", "上期", "增减", "环比"].enumerated() {
            try sheet.text(title, row: header, column: offset, style: .header, measured: false)
        }
        for (index, figure) in figures.enumerated() {
            let row = header + 1 + index
            let banded = index % 2 == 1
            try sheet.text(figure.name, row: row, column: 0, style: .label, banded: banded, measured: false)
            try sheet.number(figure.current, row: row, column: 1, style: figure.style, banded: banded)
            try sheet.number(figure.previous, row: row, column: 2, style: figure.style, banded: banded)
            // Rates are stored as fractions and their changes as percentage points.
            let scale = figure.changeStyle == .pointChange ? 100.0 : 1
            // Against a previous period without instances there is nothing to change from (as `vs` in queries).
            let change =
                content.previous.count == 0
                ? nil : figure.current.flatMap { now in figure.previous.map { (now - $0) * scale } }
            try sheet.number(change, row: row, column: 3, style: figure.changeStyle, banded: banded)
            let relative =
                figure.showsRelativeChange ? Self.relativeChange(figure.current, from: figure.previous) : nil
            try sheet.number(relative, row: row, column: 4, style: .rateChange, banded: banded)
            try sheet.sheet.setRowHeight(row, 22)
        }
        for (column, width) in Self.overviewColumnWidths.enumerated() { try sheet.sheet.setColumnWidth(column, width) }
        for column in 6..<14 { try sheet.sheet.setColumnWidth(column, 9) }
        try overviewCharts(sheet, tableBottom: header + figures.count)
    }

    /// The widths of the overview's columns A–F: the figures' table and a gap before the charts.
    static let overviewColumnWidths: [Double] = [16, 12, 12, 12, 11, 2]

    /// The width in pixels of a column `width` characters wide in an 11-point font (Excel's rule).
    static func pixels(ofWidth width: Double) -> Double {
        (width * 7 + 5).rounded(.down)
    }

    /// The overview's charts: the trend beside the figures, departments and categories below.
    private func overviewCharts(_ sheet: SheetBuilder, tableBottom: Int) throws(ReportError) {
        let tableWidth = Self.overviewColumnWidths.prefix(5).reduce(0.0) { $0 + Self.pixels(ofWidth: $1) }
        let rightWidth = 8 * Self.pixels(ofWidth: 9)
        if let trend = try trendChart(for: sheet.name) {
            try sheet.sheet.insertChart(trend, row: Self.headerRow + 1, column: 6, width: rightWidth, height: 302)
        }
        let row = tableBottom + 2
        if let departments = try departmentChart(for: sheet.name) {
            try sheet.sheet.insertChart(departments, row: row, column: 0, width: tableWidth, height: 400)
        }
        if let categories = try categoryChart(for: sheet.name) {
            try sheet.sheet.insertChart(categories, row: row, column: 6, width: rightWidth, height: 400)
        }
    }
}

extension ReportComposer {
    /// 月度趋势: the twelve months ending with the period, months without instances included as zeros.
    func writeTrend(_ sheet: SheetBuilder) throws(ReportError) {
        let months = content.trend
        let columns: [SheetBuilder.Column] = [
            .init(title: "月份", style: .month) { .number(Self.excelDate(months[$0].month)) },
            .init(title: "提案数", style: .count, highlight: .dataBars) { .number(Double(months[$0].statistics.count)) },
            .init(title: "通过数", style: .count) { .number(Double(months[$0].statistics.passed)) },
            .init(title: "通过率", style: .rate, highlight: .colorScale) {
                .number(months[$0].statistics.passRate / 100)
            },
            .init(title: "参与人数", style: .count) { .number(Double(months[$0].statistics.participants)) },
            .init(title: "参与部门数", style: .count) { .number(Double(months[$0].statistics.depts)) },
            .init(title: "平均处理天数", style: .days) { .number(months[$0].statistics.avgDays) },
            .init(title: "30天内完成率", style: .rate) { index in
                let statistics = months[index].statistics
                return .number(statistics.within30Rate.map { $0 / 100 })
            },
        ]
        try frame(sheet, title: sheetTitle("月度趋势（近 12 个月）"), width: 8 + 2 + 8)
        try sheet.list(columns, count: months.count, headerRow: Self.headerRow)
        try sheet.applyColumnWidths(minimum: 9)
        if let chart = try trendChart(for: sheet.name) {
            try sheet.sheet.insertChart(chart, row: Self.headerRow, column: 9, width: 560, height: 340)
        }
    }
}

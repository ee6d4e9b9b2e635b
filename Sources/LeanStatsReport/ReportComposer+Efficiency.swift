import LeanStatsCore

extension ReportComposer {
    /// 处理效率分析: processing time per department (the list), and beside it the whole period's processing
    /// figures, the spread over day brackets and the statuses.
    func writeEfficiency(_ sheet: SheetBuilder) throws(ReportError) {
        let rows = content.departments.map(\.current)
        let columns: [SheetBuilder.Column] = [
            .init(title: "部门", style: .text) { .text(rows[$0].key) },
            .init(title: "提案数", style: .count) { .number(Double(rows[$0].count)) },
            .init(title: "已完成", style: .count, highlight: .dataBars) { .number(Double(rows[$0].completed)) },
            .init(title: "平均处理天数", style: .days) { .number(rows[$0].avgDays) },
            .init(title: "最短天数", style: .wholeDays) { .number(rows[$0].minDays.map(Double.init)) },
            .init(title: "最长天数", style: .wholeDays) { .number(rows[$0].maxDays.map(Double.init)) },
            .init(title: "30天内完成数", style: .count) { .number(Double(rows[$0].within30)) },
            .init(title: "30天内完成率", style: .rate, highlight: .colorScale) { index in
                .number(rows[index].within30Rate.map { $0 / 100 })
            },
        ]
        try frame(sheet, title: sheetTitle("处理效率分析"), width: 8 + 1 + 3)
        try sheet.list(columns, count: rows.count, headerRow: Self.headerRow)

        let side = 9
        let overall = content.current
        let figures: [(String, Double?, CellStyle)] = [
            ("已完成审批数", Double(overall.completed), .count),
            ("平均处理天数", overall.avgDays, .days),
            ("最短处理天数", overall.minDays.map(Double.init), .wholeDays),
            ("最长处理天数", overall.maxDays.map(Double.init), .wholeDays),
            ("30天内完成率", overall.within30Rate.map { $0 / 100 }, .rate),
        ]
        try sheet.list(
            [
                .init(title: "整体处理效率", style: .label) { .text(figures[$0].0) },
                .init(title: "数值", style: .days, rowStyle: { figures[$0].2 }) { .number(figures[$0].1) },
            ],
            count: figures.count,
            headerRow: Self.headerRow,
            firstColumn: side,
            filter: false
        )

        let buckets = content.durations
        let completed = overall.completed
        let bucketRow = Self.headerRow + figures.count + 2
        try sheet.list(
            [
                .init(title: "处理时长", style: .text) { .text(buckets[$0].label) },
                .init(title: "数量", style: .count, highlight: .dataBars) { .number(Double(buckets[$0].count)) },
                .init(title: "占比", style: .rate) { .number(Self.share(buckets[$0].count, of: completed)) },
            ],
            count: completed == 0 ? 0 : buckets.count,
            headerRow: bucketRow,
            firstColumn: side,
            filter: false
        )

        let statuses = content.statuses
        let statusRow = bucketRow + max(buckets.count, 1) + 2
        try sheet.list(
            [
                .init(title: "审批状态", style: .text) { index in
                    .text(Self.statusLabel(InstanceStatus(code: statuses[index].key)) ?? "未知")
                },
                .init(title: "数量", style: .count) { .number(Double(statuses[$0].count)) },
                .init(title: "占比", style: .rate) { .number(Self.share(statuses[$0].count, of: overall.count)) },
            ],
            count: statuses.count,
            headerRow: statusRow,
            firstColumn: side,
            filter: false
        )
        try sheet.applyColumnWidths(fixed: [side - 1: 3])
    }
}

extension ReportComposer {
    /// The most instances 明细 lists: what fits on one sheet below the header, with a row left for the note.
    static var detailLimit: Int { Worksheet.maxRows - headerRow - 2 }

    /// 明细: one row per instance of the period, in creation order, with the form's 提案名称 when it has one and
    /// the expected benefit; text from DingTalk is written as text.
    func writeDetails(_ sheet: SheetBuilder) throws(ReportError) {
        let rows = content.details
        let shown = min(rows.count, Self.detailLimit)
        var columns: [SheetBuilder.Column] = [
            .init(title: "审批编号", style: .text) { .text(rows[$0].businessId) },
            .init(title: "标题", style: .text) { .text(rows[$0].title) },
        ]
        if content.hasProposalNames {
            columns.append(.init(title: ReportContent.proposalNameField, style: .text) { .text(rows[$0].proposalName) })
        }
        columns += [
            .init(title: "发起人", style: .text) { .text(rows[$0].proposer) },
            .init(title: "部门", style: .text) { .text(rows[$0].deptName) },
            .init(title: "提案类别", style: .text) { .text(rows[$0].category) },
            .init(title: "状态", style: .centeredText) { .text(Self.statusLabel(rows[$0].status)) },
            .init(title: "审批结果", style: .centeredText) { .text(Self.resultLabel(rows[$0].result)) },
            .init(title: "创建时间", style: .dateTime) { .number(self.excelDate(rows[$0].createTime)) },
            .init(title: "完成时间", style: .dateTime) { index in
                .number(rows[index].finishTime.map { self.excelDate($0) })
            },
            .init(title: "处理天数", style: .wholeDays) { .number(rows[$0].days.map(Double.init)) },
            .init(title: Self.benefitTitle, style: .amount) { .number(rows[$0].benefit) },
        ]
        try frame(sheet, title: sheetTitle("提案明细（共 \(Self.countText(rows.count)) 件）"), width: columns.count)
        try sheet.list(columns, count: shown, headerRow: Self.headerRow)
        if shown < rows.count {
            try sheet.text(
                "仅列出前 \(Self.countText(shown)) 件（Excel 单表行数上限），其余 \(Self.countText(rows.count - shown)) 件请缩短统计期间后查看",
                row: Self.headerRow + 1 + shown,
                column: 0,
                style: .note,
                measured: false
            )
        }
        try sheet.applyColumnWidths(maximum: 44)
    }
}

import LeanStatsQuery

extension ReportComposer {
    /// The definitions (口径) of `docs/definitions.md` and of this workbook, in Chinese: term and explanation.
    var definitions: [(term: String, text: String)] {
        let zone = content.clock.identifier
        var items: [(String, String)] = [
            (
                "统计对象",
                "一条钉钉审批实例即一件提案，以流程实例 ID 识别（没有流程实例 ID 时以审批编号识别）。"
                    + "同一实例后来的版本替换先前的版本（状态和审批结果随审批进展变化）。"
            ),
            (
                "统计期间",
                "实例的创建时间按 \(zone) 本地时间落在期间内的某一天，即计入该期间；期间首尾两天都包含"
                    + "（原系统 SQL 的 BETWEEN 日期写法会漏掉最后一天，本报告不会）。"
            ),
            ("提案数", "期间内的审批实例数。"),
            ("通过数", "审批结果为“同意”（agree）的实例数。"),
            ("通过率", "通过数 ÷ 提案数；提案数为 0 时留空。单元格存储为小数，按百分比显示。"),
            ("参与人数", "不同发起人用户 ID 的个数。"),
            ("参与部门数", "不同发起部门 ID 的个数。"),
            ("人均提案数", "提案数 ÷ 参与人数。"),
            ("部门统计", "按发起人部门名称分组；没有部门名称的实例归入“未填部门”一行，各行之和等于总体提案数。"),
            ("提案类别统计", "按审批表单字段“提案类别”的取值分组；没有填写类别的实例归入“未分类”一行。"),
            ("占比", "该部门或类别的提案数 ÷ 本期提案数（看板的类别占比与此相同），各行之和为 100%。"),
            ("预计收益(元)", "表单字段“预计收益(元)”中可读作数字的取值之和（如 1,200、500元）；文字不计。"),
            (
                "个人排行榜",
                "按（用户 ID，部门名称）分组，不含没有发起人姓名的实例；姓名取该用户在全部数据中最近一次出现的姓名。"
                    + "按提案数从多到少排列，相同时按用户 ID 排列；提案数相同者名次并列，与最后一名并列者全部列出。"
            ),
            (
                "处理天数",
                "只统计状态为“已完成”（COMPLETED）且有完成时间的实例：处理天数 = 完成日期 − 创建日期，"
                    + "按 \(zone) 本地日历日计算（同 MySQL DATEDIFF）。平均、最短、最长处理天数都基于这些实例。"
            ),
            ("30天内完成率", "处理天数不超过 30 天的实例数 ÷ 已完成实例数；没有已完成实例时留空。"),
            ("排序", "部门和类别按提案数从多到少排列，相同时按名称（UTF-8 字节序）排列；月份按时间先后排列。"),
            (
                "上期与变化",
                "上期为紧邻的上一个同类期间（上月、上季度、上半年或上一年；自定义期间为紧邻其前、同样长度的期间：整月按月数，否则按天数），统计范围与本期相同。“增减”为本期减上期，"
                    + "比率的增减以“个百分点”表示；“环比”为增减 ÷ 上期值，上期为 0 时留空；上期没有实例时增减也留空。"
            ),
            ("月度趋势", "截至本期最后一个月的 12 个月；没有实例的月份显示为 0。"),
            ("明细", "本期全部实例，按创建时间排列；时间为 \(zone) 本地时间，处理天数口径同上。"),
            (
                "数据截至",
                "数据中最新的创建时间（不取完成时间）。报告文件的创建时间即取此值，因此相同的数据生成逐字节相同的文件。"
            ),
        ]
        if let dept = content.request.deptName {
            items.append(("部门报告", "本报告只统计部门“\(dept)”的实例，各表和上期对比均如此。"))
        }
        return items
    }

    /// 口径说明: the definitions as a two-column table.
    func writeDefinitions(_ sheet: SheetBuilder) throws(ReportError) {
        let items = definitions
        try frame(sheet, title: sheetTitle("口径说明"), width: 2)
        sheet.sheet.hideGridlines()
        try sheet.list(
            [
                .init(title: "项目", style: .label) { .text(items[$0].term) },
                .init(title: "口径", style: .paragraph) { .text(items[$0].text) },
            ],
            count: items.count,
            headerRow: Self.headerRow,
            filter: false
        )
        let textWidth = 96
        for (index, item) in items.enumerated() {
            let lines = max(1, (displayWidth(item.text) + textWidth - 1) / textWidth)
            try sheet.sheet.setRowHeight(Self.headerRow + 1 + index, Double(lines) * 16 + 8)
        }
        try sheet.applyColumnWidths(fixed: [0: 16, 1: Double(textWidth + 4)])
    }
}

import LeanStatsQuery

/// One proposer's page (`/person?user=ID&period=…`): their figures, their months and their proposals, answered by
/// the query language with a `user=` filter, so a viewer's scope narrows it like every other route.
struct PersonPage {
    /// The query lines for a user and a period, the value quoted.
    static func lines(user: String, period: String) -> (summary: String, months: String, list: String) {
        let filter = " where user=" + ListPage.quote(user)
        return (
            "by user count,passed,pass_rate,benefit_sum,avg_days,age_days \(period)" + filter,
            "by month count,passed,pass_rate \(period)" + filter,
            "list \(period)" + filter + " limit \(ListPage.limit)"
        )
    }

    /// Renders the page from the answers of the three ``lines(user:period:)``.
    /// - Parameters:
    ///   - summary: the `by user` answer; its first row is the person (a user id matches one row).
    ///   - months: the `by month` answer.
    ///   - list: the `list` answer.
    ///   - period: the period as picked.
    static func render(summary: ResultTable, months: ResultTable, list: ResultTable, period: String) -> String {
        let row = summary.rows.first ?? []
        func value(_ column: String) -> ResultValue {
            guard let index = summary.columns.firstIndex(of: column), index < row.count else { return .null }
            return row[index]
        }
        let name = ListPage.text(value("user"))
        var html = Page.head(title: "提案人 · \(name)")
        html +=
            "<header><div><h1>\(HTML.escape(name))</h1><p class=\"sub\">用户 ID \(HTML.escape(ListPage.text(value("user_id"))))"
        html +=
            " · \(HTML.escape(ListPage.text(value("dept")).isEmpty ? "—" : ListPage.text(value("dept")))) · 期间 \(HTML.escape(period))"
        html += " · <a href=\"/\">返回看板</a></p></div></header><section class=\"cards\">"
        let cards: [(String, ResultValue, String)] = [
            ("提案数", value("count"), ""), ("通过数", value("passed"), ""), ("通过率", value("pass_rate"), "%"),
            ("预计收益(元)", value("benefit_sum"), ""), ("平均处理天数", value("avg_days"), ""),
            ("未结提案平均账龄(天)", value("age_days"), ""),
        ]
        for (title, figure, unit) in cards {
            let shown = ListPage.text(figure)
            html += "<div class=\"card\"><span class=\"k\">\(HTML.escape(title))</span>"
            html += "<span class=\"v\">\(HTML.escape(shown.isEmpty ? "–" : shown + unit))</span></div>"
        }
        html += "</section><h2>按月</h2>" + table(months, headings: ["month": "月份", "count": "提案数"])
        html += "<h2>提案（\(list.rows.count) 条"
        if list.rows.count >= ListPage.limit { html += "，仅显示前 \(ListPage.limit) 条" }
        html += "）</h2>" + table(list, headings: ListPage.headings)
        return html + "</body></html>\n"
    }

    /// A result as an HTML table with Chinese headings where known.
    private static func table(_ result: ResultTable, headings: [String: String]) -> String {
        ListPage.table(
            result,
            headings: headings.merging(["passed": "通过数", "pass_rate": "通过率(%)"]) { first, _ in first }
        )
    }

}

import LeanStatsQuery

/// The drill-down list (`/list?period=…&dept=…&category=…&status=…`): the answer of the query language's `list`
/// form as an HTML table.
struct ListPage {
    /// The most rows one page shows.
    static let limit = 500

    /// The query line for the filters, values always quoted.
    static func query(period: String, dept: String?, category: String?, status: String?) -> String {
        var filters: [String] = []
        if let dept, !dept.isEmpty { filters.append("dept=" + quote(dept)) }
        if let category, !category.isEmpty { filters.append("category=" + quote(category)) }
        if let status, !status.isEmpty { filters.append("status=" + quote(status)) }
        var line = "list " + period
        if !filters.isEmpty { line += " where " + filters.joined(separator: " and ") }
        return line + " limit \(limit)"
    }

    /// A quoted value of the query language (`"` and `\` escaped).
    static func quote(_ value: String) -> String {
        "\"" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    /// Column headings in Chinese.
    static let headings: [String: String] = [
        "business_id": "审批编号", "title": "标题", "user": "提案人", "dept": "部门", "category": "类别",
        "status": "状态", "result": "结果", "created": "创建时间", "finished": "完成时间", "days": "处理天数",
    ]

    /// Renders the page.
    static func render(table: ResultTable, line: String, caption: String) -> String {
        var html = Page.head(title: "提案明细")
        html += "<header><h1>提案明细</h1><p class=\"sub\">\(HTML.escape(caption)) · \(table.rows.count) 条"
        if table.rows.count >= limit { html += "（仅显示前 \(limit) 条）" }
        html += " · <a href=\"/\">返回看板</a></p></header>"
        html += "<p class=\"sub\">查询：<code>\(HTML.escape(line))</code></p>" + Self.table(table, headings: headings)
        return html + "</body></html>\n"
    }

    /// A result as an HTML table, columns headed by `headings` where they name them.
    static func table(_ result: ResultTable, headings: [String: String]) -> String {
        var html = "<div class=\"tbl\"><table><thead><tr>"
        for column in result.columns { html += "<th>\(HTML.escape(headings[column] ?? column))</th>" }
        html += "</tr></thead><tbody>"
        for row in result.rows {
            html += "<tr>" + row.map { "<td>\(HTML.escape(text($0)))</td>" }.joined() + "</tr>"
        }
        return html + "</tbody></table></div>"
    }

    /// A value as the pages show it: numbers with at most one decimal, nothing for `null`.
    static func text(_ value: ResultValue) -> String {
        switch value {
        case .string(let text): text
        case .int(let number): String(number)
        case .double(let number): HTML.decimal(number)
        case .null: ""
        }
    }
}

import LeanStatsCore
import LeanStatsReport

/// The dashboard (`/`): overview cards with the change against the previous period, and server-rendered charts of
/// departments, the monthly trend, categories, top proposers, processing times and open proposals by age, each
/// linking to the drill-down list. All text in Chinese; no external resources.
///
/// What it shows follows the viewer's ``Scope``: everything, the viewer's departments only, or for company totals
/// only the overview cards and the trend, with a note saying why.
struct DashboardPage {
    /// The report figures of the chosen period and department.
    let content: ReportContent
    /// The snapshot the figures come from.
    let snapshot: ServedSnapshot
    /// The period as picked (`2025-11`, `2025-Q4`, `2025`).
    let period: String
    /// The department picked, `nil` for all.
    let dept: String?
    /// Who is looking.
    let viewer: Viewer
    /// Whether people sign in with DingTalk (then the page offers to log out).
    let loginEnabled: Bool

    /// Computes the page's figures.
    /// - Parameters:
    ///   - snapshot: The served store.
    ///   - requested: The period asked for, `nil` for the latest month.
    ///   - requestedDept: The department asked for (one the viewer may see), `nil` for all they may see.
    ///   - viewer: Who is looking; the figures cover only their scope.
    ///   - loginEnabled: Whether people sign in with DingTalk.
    /// - Throws: ``ReportError`` for a period or department the store cannot report on.
    init(
        snapshot: ServedSnapshot,
        period requested: String?,
        dept requestedDept: String?,
        viewer: Viewer = .token,
        loginEnabled: Bool = false
    ) throws(ReportError) {
        let clock = snapshot.engine.clock
        let period =
            requested.flatMap { $0.isEmpty ? nil : $0 } ?? snapshot.months.first
            ?? CivilDate.today(in: clock).monthText
        let dept = requestedDept.flatMap { $0.isEmpty ? nil : $0 }
        let reportPeriod = try ReportPeriod(parsing: period, today: CivilDate.today(in: clock))
        var request = try ReportRequest(period: reportPeriod, deptName: dept, topCount: 10)
        request.deptScope = viewer.scope.departmentNames
        content = try ReportContent(engine: snapshot.engine, request: request)
        self.snapshot = snapshot
        self.period = reportPeriod.description
        self.dept = dept
        self.viewer = viewer
        self.loginEnabled = loginEnabled
    }

    /// The departments of the store the viewer may pick.
    private var pickableDepartments: [String] {
        snapshot.departments.filter { viewer.scope.permits(dept: $0) }
    }

    /// The whole HTML document.
    func render() -> String {
        var html = Page.head(title: "精益提案看板 · \(content.request.period.label)")
        html += "<header><div><h1>精益提案看板</h1>"
        html += "<p class=\"sub\">\(HTML.escape(content.request.period.label))"
        html += dept.map { " · " + HTML.escape($0) } ?? (viewer.scope == .everything ? " · 全部部门" : "")
        if viewer.scope.departmentNames != nil, dept == nil { html += " · 我的部门" }
        if viewer.scope == .companyTotals { html += " · 全公司汇总" }
        html += " · 对比上期 \(HTML.escape(content.request.period.previous.label))</p>"
        if viewer.role != .token {
            html += "<p class=\"sub viewer\">\(HTML.escape(viewer.scopeNote))"
            if loginEnabled { html += " <a href=\"/logout\">退出登录</a>" }
            html += "</p>"
        }
        html += "</div>"
        html += pickers() + "</header>"
        html += "<section class=\"cards\">" + cards() + "</section>"
        guard viewer.scope.showsDetail else {
            html += "<section class=\"grid\">"
            html += panel("月度趋势（近12个月，柱：提案数，线：通过率）", trendChart(), more: nil)
            html += "</section>"
            html += "<footer>数据截至 " + (content.asOf.map { HTML.escape(Page.time($0, clock: content.clock)) } ?? "—")
            html += " · 快照第 \(snapshot.generation) 代</footer>"
            return html + "</body></html>\n"
        }
        html += "<section class=\"grid\">"
        html += panel("各部门提案数与通过率", departmentChart(), more: listLink())
        html += panel("月度趋势（近12个月，柱：提案数，线：通过率）", trendChart(), more: nil)
        html += panel("提案类别占比", categoryChart(), more: nil)
        html += panel("个人排行榜 Top 10", proposerChart(), more: nil)
        html += panel("处理时长分布（已完成）", durationChart(), more: listLink(status: "COMPLETED"))
        html += panel("未结提案账龄（审批中/新建，全部时间）", openAgeChart(), more: listLink(period: "all", status: "RUNNING"))
        html += "</section>"
        html += footer()
        return html + "</body></html>\n"
    }

    // MARK: - Parts

    private func pickers() -> String {
        var html =
            "<form class=\"pick\" method=\"get\" action=\"/\"><label>期间 <select name=\"period\" onchange=\"this.form.submit()\">"
        var options = Self.periodOptions(months: snapshot.months)
        if !options.contains(period) { options.insert(period, at: 0) }
        for option in options {
            html +=
                "<option value=\"\(HTML.escape(option))\"\(option == period ? " selected" : "")>\(HTML.escape(option))</option>"
        }
        guard viewer.scope.showsDetail else {
            return html + "</select></label><noscript><button type=\"submit\">查看</button></noscript></form>"
        }
        let all = viewer.scope == .everything ? "全部部门" : "我的全部部门"
        html +=
            "</select></label><label>部门 <select name=\"dept\" onchange=\"this.form.submit()\"><option value=\"\">\(all)</option>"
        for name in pickableDepartments {
            html +=
                "<option value=\"\(HTML.escape(name))\"\(name == dept ? " selected" : "")>\(HTML.escape(name))</option>"
        }
        html += "</select></label><noscript><button type=\"submit\">查看</button></noscript></form>"
        html += "<form class=\"pick\" method=\"get\" action=\"/\"><label>自定义期间 <input name=\"period\" size=\"22\" "
        html +=
            "placeholder=\"2025-01..2025-06\" value=\"\(period.contains("..") ? HTML.escape(period) : "")\"></label>"
        if let dept { html += "<input type=\"hidden\" name=\"dept\" value=\"\(HTML.escape(dept))\">" }
        html += "<button type=\"submit\">查看</button></form>"
        return html
    }

    /// The periods the picker offers, newest first: the months with data, then per year with data its half-years,
    /// quarters and the year itself (`2025-H2`, `2025-H1`, `2025-Q4`, …, `2025`).
    static func periodOptions(months: [String]) -> [String] {
        var years: [String] = []
        for month in months {
            let year = String(month.prefix(4))
            if years.last != year { years.append(year) }
        }
        return months
            + years.flatMap { year in
                ["\(year)-H2", "\(year)-H1", "\(year)-Q4", "\(year)-Q3", "\(year)-Q2", "\(year)-Q1", year]
            }
    }

    private func cards() -> String {
        let now = content.current
        let before = content.previous
        var html = ""
        html += card("提案总数", String(now.count), change: percentChange(now.count, before.count), link: listLink())
        html += card("通过数", String(now.passed), change: percentChange(now.passed, before.passed), link: listLink())
        html += card(
            "通过率",
            HTML.decimal(now.passRate) + "%",
            change: pointChange(now.passRate, before.count > 0 ? before.passRate : nil),
            link: listLink()
        )
        html += card(
            "参与人数",
            String(now.participants),
            change: percentChange(now.participants, before.participants),
            link: listLink()
        )
        html += card(
            "平均处理天数",
            now.avgDays.map { HTML.decimal($0) } ?? "–",
            change: dayChange(now.avgDays, before.avgDays),
            link: listLink(status: "COMPLETED")
        )
        html += card(
            "30天内办结率",
            now.within30Rate.map { HTML.decimal($0) + "%" } ?? "–",
            change: pointChange(now.within30Rate, before.within30Rate),
            link: listLink(status: "COMPLETED")
        )
        return html
    }

    private func card(_ title: String, _ value: String, change: (text: String, trend: String), link: String) -> String {
        guard viewer.scope.showsDetail else {
            return
                "<div class=\"card\"><span class=\"k\">\(HTML.escape(title))</span><span class=\"v\">\(HTML.escape(value))</span>"
                + "<span class=\"d \(change.trend)\">\(HTML.escape(change.text))</span></div>"
        }
        return
            "<a class=\"card\" href=\"\(link)\"><span class=\"k\">\(HTML.escape(title))</span><span class=\"v\">\(HTML.escape(value))</span>"
            + "<span class=\"d \(change.trend)\">\(HTML.escape(change.text))</span></a>"
    }

    private func percentChange(_ now: Int, _ before: Int) -> (text: String, trend: String) {
        guard before > 0 else { return (now > 0 ? "上期无数据" : "持平", "flat") }
        let change = Double(now - before) / Double(before) * 100
        if now == before { return ("较上期持平", "flat") }
        return ("较上期 \(change > 0 ? "▲" : "▼")\(HTML.decimal(abs(change)))%", change > 0 ? "up" : "down")
    }

    /// The change of a rate in percentage points; `before` is `nil` when the previous period has no base for it.
    private func pointChange(_ now: Double?, _ before: Double?) -> (text: String, trend: String) {
        guard let before else { return ("上期无数据", "flat") }
        guard let now else { return ("本期无数据", "flat") }
        let change = now - before
        if abs(change) < 0.05 { return ("较上期持平", "flat") }
        return ("较上期 \(change > 0 ? "▲" : "▼")\(HTML.decimal(abs(change)))个百分点", change > 0 ? "up" : "down")
    }

    private func dayChange(_ now: Double?, _ before: Double?) -> (text: String, trend: String) {
        guard let now, let before else { return ("上期无数据", "flat") }
        let change = now - before
        if abs(change) < 0.05 { return ("较上期持平", "flat") }
        // Fewer days is better, so a decrease shows as good news.
        return ("较上期 \(change > 0 ? "▲" : "▼")\(HTML.decimal(abs(change)))天", change > 0 ? "down" : "up")
    }

    private func panel(_ title: String, _ chart: String, more: String?) -> String {
        var html = "<div class=\"panel\"><h2>\(HTML.escape(title))</h2>\(chart)"
        if let more { html += "<a class=\"more\" href=\"\(more)\">查看明细 ›</a>" }
        return html + "</div>"
    }

    private func departmentChart() -> String {
        let items = content.departments.prefix(15).map { group in
            SVGChart.Item(
                label: group.current.key,
                value: Double(group.current.count),
                note: "\(group.current.count)件 · \(HTML.decimal(group.current.passRate))%",
                link: listLink(dept: group.current.key)
            )
        }
        return SVGChart.horizontalBars(Array(items), title: "各部门提案数")
    }

    private func trendChart() -> String {
        let items = content.trend.map { month in
            SVGChart.Item(
                label: String(month.month.monthText.suffix(5)),
                value: Double(month.statistics.count),
                note: String(month.statistics.count),
                link: viewer.scope.showsDetail ? listLink(period: month.month.monthText) : "#"
            )
        }
        return SVGChart.columns(items, title: "月度趋势", color: "#2f6fde", line: content.trend.map(\.statistics.passRate))
    }

    private func categoryChart() -> String {
        // The same denominator as the report's 占比: every instance of the period (未分类 is a category row).
        let total = max(content.current.count, 1)
        let items = content.categories.map { group in
            SVGChart.Item(
                label: group.current.key.isEmpty ? "未填写" : group.current.key,
                value: Double(group.current.count),
                note: HTML.decimal(Double(group.current.count) / Double(total) * 100) + "%",
                link: listLink(category: group.current.key)
            )
        }
        return SVGChart.donut(items, title: "提案类别占比", restLink: listLink())
    }

    private func proposerChart() -> String {
        let items = content.proposers.map { row in
            SVGChart.Item(
                label: "\(row.rank). \(row.statistics.userName)",
                value: Double(row.statistics.count),
                note: "\(row.statistics.count)件 · \(row.statistics.deptName ?? "—")",
                link: HTML.link("/person", [("user", row.statistics.userId), ("period", period)])
            )
        }
        return SVGChart.horizontalBars(items, title: "个人排行榜", color: "#8e44ad")
    }

    private func durationChart() -> String {
        let items = content.durations.map { bucket in
            SVGChart.Item(
                label: bucket.label,
                value: Double(bucket.count),
                note: String(bucket.count),
                link: listLink(status: "COMPLETED")
            )
        }
        return SVGChart.columns(items, title: "处理时长分布", color: "#16a085")
    }

    private func openAgeChart() -> String {
        let items = OpenAge.count(
            snapshot: snapshot,
            dept: dept,
            scope: viewer.scope.departmentNames,
            asOf: content.asOf
        ).map { bucket in
            SVGChart.Item(
                label: bucket.label,
                value: Double(bucket.count),
                note: String(bucket.count),
                link: listLink(period: "all", status: "RUNNING")
            )
        }
        return SVGChart.columns(items, title: "未结提案账龄", color: "#c0392b")
    }

    private func footer() -> String {
        var html = "<footer>数据截至 "
        html += content.asOf.map { HTML.escape(Page.time($0, clock: content.clock)) } ?? "—"
        html += " · 快照第 \(snapshot.generation) 代 · "
        html += "<a href=\"\(HTML.link("/api/report", [("period", period), ("dept", dept)]))\">下载 Excel 报表</a> · "
        html += "<a href=\"\(listLink())\">全部明细</a></footer>"
        return html
    }

    /// The drill-down link of this page's period and department, narrowed further.
    private func listLink(
        period: String? = nil,
        dept: String? = nil,
        category: String? = nil,
        status: String? = nil
    )
        -> String
    {
        HTML.link(
            "/list",
            [
                ("period", period ?? self.period), ("dept", dept ?? self.dept), ("category", category),
                ("status", status),
            ]
        )
    }
}

/// Open (NEW or RUNNING) proposals by how long they have been open.
enum OpenAge {
    /// The age brackets in days.
    static let brackets: [(label: String, max: Int?)] = [
        ("7天内", 7), ("8–15天", 15), ("16–30天", 30), ("31–60天", 60), ("60天以上", nil),
    ]

    /// Counts the open instances of the store (of one department, if given, and of the viewer's departments, if
    /// they are limited) into ``brackets`` by their age at `asOf` (the data's as-of time, so an old store reads as
    /// it did when it was synced). The age is in calendar days of the store's zone, as processing time is: the
    /// calendar date of `asOf` − that of the creation.
    /// - Complexity: O(n) over the status column.
    static func count(
        snapshot: ServedSnapshot,
        dept: String?,
        scope: Set<String>?,
        asOf: Int64?
    ) -> [(label: String, count: Int)] {
        let table = snapshot.engine.table
        let clock = snapshot.engine.clock
        var counts = [Int](repeating: 0, count: brackets.count)
        let deptCode = dept.flatMap { table.deptName.dictionary.code(of: $0) }
        if dept != nil && deptCode == nil { return zip(brackets, counts).map { ($0.label, $1) } }
        // The viewer's departments as one flag per department-name code.
        let scopeCodes = scope.map { names in
            var flags = [Bool](repeating: false, count: max(table.deptName.dictionary.count, 1))
            for name in names {
                if let code = table.deptName.dictionary.code(of: name), Int(code) < flags.count {
                    flags[Int(code)] = true
                }
            }
            return flags
        }
        let today = clock.dayNumber(at: asOf ?? 0)
        // The bracket of each age in days up to the last bounded one; older ones go to the last bracket.
        let longest = brackets.compactMap(\.max).max() ?? 0
        let bracketOfAge = (0...longest).map { days in brackets.firstIndex { $0.max.map { days <= $0 } ?? true } ?? 0 }
        let (new, running) = (InstanceStatus.new.rawValue, InstanceStatus.running.rawValue)
        for row in 0..<table.rowCount where table.status[row] == new || table.status[row] == running {
            if let deptCode, table.deptName.codes[row] != deptCode { continue }
            if let scopeCodes, !scopeCodes[Int(table.deptName.codes[row])] { continue }
            let days = max(today - snapshot.engine.creationDay(ofRow: row), 0)
            counts[days <= longest ? bracketOfAge[days] : brackets.count - 1] += 1
        }
        return zip(brackets, counts).map { ($0.label, $1) }
    }
}

/// Server-rendered SVG charts: plain markup that scales with its container (`viewBox`, `width="100%"`), every mark
/// a link to the drill-down list.
enum SVGChart {
    /// One bar, slice or point: a label, a value, text shown beside it and the link it opens.
    struct Item {
        var label: String
        var value: Double
        var note: String
        var link: String
    }

    /// The chart palette.
    static let palette = [
        "#2f6fde", "#16a085", "#f39c12", "#c0392b", "#8e44ad", "#2c3e50", "#27ae60", "#d35400",
        "#7f8c8d", "#1abc9c",
    ]

    /// Horizontal bars, one row per item, labels on the left and the note on the right.
    static func horizontalBars(_ items: [Item], title: String, color: String = "#2f6fde") -> String {
        guard !items.isEmpty else { return empty(title) }
        let rowHeight = 26.0
        let width = 360.0
        let labelWidth = 96.0
        let noteWidth = 92.0
        let height = Double(items.count) * rowHeight + 8
        let maximum = max(items.map(\.value).max() ?? 0, 1)
        var svg = open(title, width: width, height: height)
        for (index, item) in items.enumerated() {
            let y = 4 + Double(index) * rowHeight
            let barWidth = max((width - labelWidth - noteWidth) * item.value / maximum, item.value > 0 ? 2 : 0)
            svg += "<a href=\"\(item.link)\"><title>\(HTML.escape(item.label)) \(HTML.escape(item.note))</title>"
            svg += text(x: labelWidth - 6, y: y + 17, clip(item.label, 7), anchor: "end")
            svg +=
                "<rect x=\"\(labelWidth)\" y=\"\(fmt(y + 4))\" width=\"\(fmt(barWidth))\" height=\"\(fmt(rowHeight - 8))\" rx=\"3\" fill=\"\(color)\"/>"
            svg += text(x: labelWidth + barWidth + 6, y: y + 17, item.note, anchor: "start", muted: true)
            svg += "</a>"
        }
        return svg + "</svg>"
    }

    /// Vertical bars with labels underneath, for brackets and months.
    static func columns(_ items: [Item], title: String, color: String = "#16a085", line: [Double]? = nil) -> String {
        guard !items.isEmpty else { return empty(title) }
        let width = 360.0
        let height = 200.0
        let top = 18.0
        let bottom = 34.0
        let left = 8.0
        let plot = height - top - bottom
        let slot = (width - 2 * left) / Double(items.count)
        let maximum = max(items.map(\.value).max() ?? 0, 1)
        var svg = open(title, width: width, height: height)
        svg +=
            "<line x1=\"\(left)\" y1=\"\(fmt(top + plot))\" x2=\"\(fmt(width - left))\" y2=\"\(fmt(top + plot))\" stroke=\"#ccd\" stroke-width=\"1\"/>"
        for (index, item) in items.enumerated() {
            let barHeight = plot * item.value / maximum
            let x = left + Double(index) * slot + slot * 0.18
            let center = left + Double(index) * slot + slot / 2
            svg += "<a href=\"\(item.link)\"><title>\(HTML.escape(item.label))：\(HTML.escape(item.note))</title>"
            svg +=
                "<rect x=\"\(fmt(x))\" y=\"\(fmt(top + plot - barHeight))\" width=\"\(fmt(slot * 0.64))\" height=\"\(fmt(barHeight))\" rx=\"2\" fill=\"\(color)\"/>"
            svg += text(x: center, y: top + plot - barHeight - 4, item.note, anchor: "middle", size: 10)
            svg += text(
                x: center,
                y: height - bottom + 16,
                item.label,
                anchor: "middle",
                size: items.count > 8 ? 9 : 11
            )
            svg += "</a>"
        }
        if let line, line.count == items.count {
            let points = line.enumerated().map { index, value in
                "\(fmt(left + Double(index) * slot + slot / 2)),\(fmt(top + plot - plot * min(value, 100) / 100))"
            }
            svg +=
                "<polyline points=\"\(points.joined(separator: " "))\" fill=\"none\" stroke=\"#f39c12\" stroke-width=\"2\"/>"
            for point in points {
                let xy = point.split(separator: ",")
                svg += "<circle cx=\"\(xy[0])\" cy=\"\(xy[1])\" r=\"2.5\" fill=\"#f39c12\"/>"
            }
        }
        return svg + "</svg>"
    }

    /// A donut of shares with a legend of the largest slices; small slices beyond the palette are merged.
    static func donut(_ items: [Item], title: String, restLink: String) -> String {
        let total = items.reduce(0) { $0 + $1.value }
        guard total > 0 else { return empty(title) }
        var shown = Array(items.prefix(palette.count - 1))
        if items.count > palette.count - 1 {
            let rest = items.dropFirst(palette.count - 1).reduce(0) { $0 + $1.value }
            shown.append(Item(label: "其他", value: rest, note: HTML.decimal(rest / total * 100) + "%", link: restLink))
        }
        let width = 360.0
        let legendRows = Double(shown.count)
        let height = max(170.0, legendRows * 20 + 12)
        let cx = 80.0
        let cy = height / 2
        let radius = 64.0
        let circumference = 2 * Double.pi * radius
        var svg = open(title, width: width, height: height)
        var offset = 0.0
        for (index, item) in shown.enumerated() {
            let length = circumference * item.value / total
            svg += "<a href=\"\(item.link)\"><title>\(HTML.escape(item.label))：\(HTML.escape(item.note))</title>"
            svg +=
                "<circle cx=\"\(fmt(cx))\" cy=\"\(fmt(cy))\" r=\"\(fmt(radius))\" fill=\"none\" stroke=\"\(palette[index])\" stroke-width=\"26\" stroke-dasharray=\"\(fmt(length)) \(fmt(circumference - length))\" stroke-dashoffset=\"\(fmt(-offset))\" transform=\"rotate(-90 \(fmt(cx)) \(fmt(cy)))\"/>"
            svg += "</a>"
            offset += length
        }
        svg += text(x: cx, y: cy + 5, "\(Int(total))件", anchor: "middle", size: 16)
        for (index, item) in shown.enumerated() {
            let y = (height - legendRows * 20) / 2 + Double(index) * 20
            svg += "<a href=\"\(item.link)\">"
            svg +=
                "<rect x=\"172\" y=\"\(fmt(y + 4))\" width=\"12\" height=\"12\" rx=\"2\" fill=\"\(palette[index])\"/>"
            svg += text(x: 190, y: y + 14, clip(item.label, 8) + "  " + item.note, anchor: "start", size: 11)
            svg += "</a>"
        }
        return svg + "</svg>"
    }

    private static func open(_ title: String, width: Double, height: Double) -> String {
        "<svg class=\"chart\" viewBox=\"0 0 \(fmt(width)) \(fmt(height))\" width=\"100%\" role=\"img\" aria-label=\"\(HTML.escape(title))\" xmlns=\"http://www.w3.org/2000/svg\">"
    }

    private static func empty(_ title: String) -> String {
        open(title, width: 360, height: 60) + text(x: 180, y: 34, "本期无数据", anchor: "middle", muted: true) + "</svg>"
    }

    private static func text(
        x: Double,
        y: Double,
        _ content: String,
        anchor: String,
        size: Int = 12,
        muted: Bool = false
    ) -> String {
        "<text x=\"\(fmt(x))\" y=\"\(fmt(y))\" text-anchor=\"\(anchor)\" font-size=\"\(size)\" fill=\"\(muted ? "#667" : "#223")\">\(HTML.escape(content))</text>"
    }

    /// Shortens a label to `count` characters with an ellipsis.
    static func clip(_ label: String, _ count: Int) -> String {
        label.count <= count ? label : String(label.prefix(count - 1)) + "…"
    }

    /// A coordinate with at most one decimal.
    static func fmt(_ value: Double) -> String {
        let rounded = (value * 10).rounded() / 10
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }
}

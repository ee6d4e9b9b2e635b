/// The look of a cell in the report: font, fill, borders, alignment and number format.
///
/// Every style uses the report's CJK-capable font (``ReportWriter/fontName``); ``Workbook`` turns each style
/// into one libxlsxwriter format the first time a cell uses it.
enum CellStyle: Hashable, CaseIterable {
    /// The sheet title: large, bold, dark blue.
    case title
    /// The line under the title: period, comparison period, as-of time.
    case subtitle
    /// The overview's summary sentence.
    case summary
    /// A heading above a small block (processing-time brackets, statuses).
    case section
    /// A list's column header: bold white on dark blue, centred, wrapped.
    case header
    /// Text from the data or a label: left-aligned with a border.
    case text
    /// Short codes (status, result, rank): centred with a border.
    case centeredText
    /// A row label in bold (overview metric names, totals).
    case label
    /// A long definition: wrapped, top-aligned.
    case paragraph
    /// A small grey note under a list.
    case note
    /// Instances and other counts: `#,##0`.
    case count
    /// A rate stored as a fraction: `0.0%`.
    case rate
    /// Days as a mean: `0.0`.
    case days
    /// Whole days: `0`.
    case wholeDays
    /// A ratio such as proposals per participant: `0.0`.
    case ratio
    /// An amount of money in yuan: `#,##0.00`.
    case amount
    /// A date and time: `yyyy-mm-dd hh:mm`.
    case dateTime
    /// A month: `yyyy-mm`.
    case month
    /// The change of a count: `+#,##0`.
    case countChange
    /// A relative change (环比), stored as a fraction: `+0.0%`.
    case rateChange
    /// The change of a rate in percentage points, stored as points: `+1.5个百分点`.
    case pointChange
    /// The change of a number of days: `+0.0`.
    case daysChange

    /// The Excel number format, `nil` for text styles.
    var numberFormat: String? {
        switch self {
        case .count: "#,##0"
        case .rate: "0.0%"
        case .days, .ratio: "0.0"
        case .amount: "#,##0.00"
        case .wholeDays: "0"
        case .dateTime: "yyyy-mm-dd hh:mm"
        case .month: "yyyy-mm"
        case .countChange: "+#,##0;-#,##0;0"
        case .rateChange: "+0.0%;-0.0%;0.0%"
        case .pointChange: "+0.0\"个百分点\";-0.0\"个百分点\";0.0\"个百分点\""
        case .daysChange: "+0.0;-0.0;0.0"
        case .title, .subtitle, .summary, .section, .header, .text, .centeredText, .label, .paragraph, .note: nil
        }
    }

    /// Whether the style belongs to a table cell (bordered, banded on alternate rows).
    var isTableCell: Bool {
        switch self {
        case .title, .subtitle, .summary, .section, .note, .header: false
        default: true
        }
    }

    /// The number of characters a value takes when shown in this style, East Asian characters counted as two.
    /// - Parameter value: the number as stored.
    func displayedWidth(of value: Double) -> Int {
        switch self {
        case .amount:
            let digits = String(Int(abs(value).rounded(.down))).count
            return digits + (digits - 1) / 3 + 3 + (value < 0 ? 1 : 0)
        case .count, .countChange:
            let digits = String(Int(abs(value).rounded())).count
            return digits + (digits - 1) / 3 + (self == .countChange ? 1 : 0)
        case .rate, .rateChange:
            return String(Int(abs(value * 100).rounded(.down))).count + 3 + (self == .rateChange ? 1 : 0)
        case .pointChange:
            return String(Int(abs(value).rounded(.down))).count + 3 + 10
        case .days, .ratio, .daysChange:
            return String(Int(abs(value).rounded(.down))).count + 2 + (self == .daysChange ? 1 : 0)
        case .wholeDays:
            return String(Int(value.rounded())).count
        case .dateTime:
            return 16
        case .month:
            return 7
        default:
            return String(value).count
        }
    }
}

/// Colours of the report, as `0xRRGGBB`.
enum ReportColor {
    /// Titles and section headings.
    static let navy: UInt32 = 0x1F3864
    /// The fill of column headers.
    static let headerFill: UInt32 = 0x1F4E78
    /// Subtitles and notes.
    static let grey: UInt32 = 0x595959
    /// Table borders.
    static let border: UInt32 = 0xBFBFBF
    /// Every other table row.
    static let band: UInt32 = 0xF2F6FB
    /// The fill of row labels.
    static let labelFill: UInt32 = 0xE9EEF5
    /// The first chart series.
    static let accent: UInt32 = 0x2E75B6
    /// Data bars (a gradient that fades out behind the number).
    static let dataBar: UInt32 = 0x5B9BD5
    /// The second chart series.
    static let secondAccent: UInt32 = 0x70AD47
    /// The low end of a pass-rate colour scale.
    static let low: UInt32 = 0xF8696B
    /// The middle of a pass-rate colour scale.
    static let middle: UInt32 = 0xFFEB84
    /// The high end of a pass-rate colour scale.
    static let high: UInt32 = 0x63BE7B
}

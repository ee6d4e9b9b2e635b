import CXLSXWriter

/// One chart of a ``Workbook`` (`lxw_chart *`, owned by the workbook), filled with series that refer to ranges
/// of a worksheet, then placed with ``Worksheet/insertChart(_:row:column:width:height:)``.
///
/// Every piece of chart text uses the report's font. Each method wraps libxlsxwriter `chart_*` calls.
struct Chart {
    /// The chart types the report uses.
    enum Kind {
        /// Vertical bars.
        case column
        /// Horizontal bars.
        case bar
        /// Lines over categories.
        case line
        /// A ring of slices.
        case doughnut

        /// The libxlsxwriter chart type.
        var rawValue: UInt8 {
            switch self {
            case .column: UInt8(LXW_CHART_COLUMN.rawValue)
            case .bar: UInt8(LXW_CHART_BAR.rawValue)
            case .line: UInt8(LXW_CHART_LINE.rawValue)
            case .doughnut: UInt8(LXW_CHART_DOUGHNUT.rawValue)
            }
        }
    }

    /// The chart.
    let handle: UnsafeMutablePointer<lxw_chart>
    /// Its type.
    let kind: Kind
    /// The sheet it will be placed on, for errors.
    let sheet: String
    /// The font of all chart text.
    let fontName: String

    /// Adds a series whose names and values are ranges of a worksheet. The corresponding libxlsxwriter
    /// functions are `chart_add_series`, `chart_series_set_categories`, `chart_series_set_values` and
    /// `chart_series_set_name`.
    /// - Parameters:
    ///   - name: the series name shown in the legend.
    ///   - dataSheet: the worksheet holding the data.
    ///   - categories: the category labels (one column).
    ///   - values: the values (one column, as long as `categories`).
    ///   - color: the fill (bars, slices are left to the theme when `nil`) or line colour.
    /// - Throws: ``ReportError`` with code ``ReportError/Code/chartFailed``.
    @discardableResult
    func addSeries(
        name: String,
        dataSheet: String,
        categories: CellRange,
        values: CellRange,
        color: UInt32?
    ) throws(ReportError) -> UnsafeMutablePointer<lxw_chart_series> {
        guard let series = chart_add_series(handle, nil, nil) else {
            throw ReportError(.chartFailed, "cannot add the series '\(name)' to a chart", sheet: sheet)
        }
        chart_series_set_categories(
            series,
            dataSheet,
            lxw_row_t(categories.firstRow),
            lxw_col_t(categories.firstColumn),
            lxw_row_t(categories.lastRow),
            lxw_col_t(categories.lastColumn)
        )
        chart_series_set_values(
            series,
            dataSheet,
            lxw_row_t(values.firstRow),
            lxw_col_t(values.firstColumn),
            lxw_row_t(values.lastRow),
            lxw_col_t(values.lastColumn)
        )
        chart_series_set_name(series, SpreadsheetText.label(name))
        if let color {
            switch kind {
            case .line:
                var line = lxw_chart_line(color: color, none: 0, width: 2.25, dash_type: 0, transparency: 0)
                chart_series_set_line(series, &line)
                chart_series_set_marker_type(series, UInt8(LXW_CHART_MARKER_CIRCLE.rawValue))
                chart_series_set_marker_size(series, 5)
                var fill = lxw_chart_fill(color: color, none: 0, transparency: 0)
                chart_series_set_marker_fill(series, &fill)
                chart_series_set_marker_line(series, &line)
            case .column, .bar, .doughnut:
                var fill = lxw_chart_fill(color: color, none: 0, transparency: 0)
                chart_series_set_fill(series, &fill)
            }
        }
        return series
    }

    /// Shows each point's value on the chart (for bars). The corresponding libxlsxwriter functions are
    /// `chart_series_set_labels` and `chart_series_set_labels_font`.
    func showValues(of series: UnsafeMutablePointer<lxw_chart_series>) {
        chart_series_set_labels(series)
        withFont(size: 9, bold: false, color: 0x404040) { chart_series_set_labels_font(series, $0) }
    }

    /// Shows each slice's share in percent (for doughnuts). The corresponding libxlsxwriter functions are
    /// `chart_series_set_labels_options` and `chart_series_set_labels_percentage`.
    func showPercentages(of series: UnsafeMutablePointer<lxw_chart_series>) {
        chart_series_set_labels_options(series, 0, 0, 0)
        chart_series_set_labels_percentage(series)
        chart_series_set_labels_num_format(series, "0%")
        withFont(size: 9, bold: true, color: 0xFFFFFF) { chart_series_set_labels_font(series, $0) }
    }

    /// Hides the labels of some points, e.g. slices too thin for their percentage to fit. The corresponding
    /// libxlsxwriter function is `chart_series_set_labels_custom`.
    /// - Parameters:
    ///   - series: the series.
    ///   - hidden: whether each point's label is hidden, one entry per point.
    /// - Throws: ``ReportError`` with code ``ReportError/Code/chartFailed`` when libxlsxwriter refuses.
    func hideLabels(of series: UnsafeMutablePointer<lxw_chart_series>, where hidden: [Bool]) throws(ReportError) {
        guard hidden.contains(true) else { return }
        var labels = hidden.map { hide in
            var label = lxw_chart_data_label()
            label.hide = hide ? 1 : 0
            return label
        }
        let status = labels.withUnsafeMutableBufferPointer { buffer in
            var pointers: [UnsafeMutablePointer<lxw_chart_data_label>?] = (0..<buffer.count).map {
                buffer.baseAddress! + $0
            }
            pointers.append(nil)
            return pointers.withUnsafeMutableBufferPointer { chart_series_set_labels_custom(series, $0.baseAddress) }
        }
        if status != LXW_NO_ERROR {
            throw ReportError(library: status, .chartFailed, "cannot set the data labels of a chart", sheet: sheet)
        }
    }

    /// Sets the title, legend and axes in the report's look. The corresponding libxlsxwriter functions are
    /// `chart_title_set_name`, `chart_title_set_name_font`, `chart_legend_set_position`, `chart_legend_set_font`,
    /// `chart_axis_set_num_font`, `chart_axis_set_num_format`, `chart_axis_major_gridlines_set_line` and
    /// `chart_axis_set_reverse`.
    /// - Parameters:
    ///   - title: the chart title.
    ///   - showLegend: whether to show the legend (below the plot; right of it for doughnuts).
    ///   - valueFormat: the number format of the value axis.
    ///   - categoryFormat: the number format of the category axis, for categories that are dates.
    func style(title: String, showLegend: Bool, valueFormat: String = "#,##0", categoryFormat: String? = nil) {
        chart_title_set_name(handle, SpreadsheetText.label(title))
        withFont(size: 12, bold: true, color: ReportColor.navy) { chart_title_set_name_font(handle, $0) }
        if showLegend {
            let position = kind == .doughnut ? LXW_CHART_LEGEND_RIGHT : LXW_CHART_LEGEND_BOTTOM
            chart_legend_set_position(handle, UInt8(position.rawValue))
            withFont(size: 9, bold: false, color: 0x404040) { chart_legend_set_font(handle, $0) }
        } else {
            chart_legend_set_position(handle, UInt8(LXW_CHART_LEGEND_NONE.rawValue))
        }
        var border = lxw_chart_line(color: 0xD9D9D9, none: 0, width: 0.75, dash_type: 0, transparency: 0)
        chart_chartarea_set_line(handle, &border)
        if kind == .doughnut {
            chart_set_hole_size(handle, 50)
            return
        }
        // libxlsxwriter names axes by direction: a bar chart's categories are on its vertical (y) axis.
        guard var categoryAxis = handle.pointee.x_axis, var valueAxis = handle.pointee.y_axis else { return }
        if kind == .bar { swap(&categoryAxis, &valueAxis) }
        withFont(size: 9, bold: false, color: 0x404040) { font in
            chart_axis_set_num_font(categoryAxis, font)
            chart_axis_set_num_font(valueAxis, font)
        }
        chart_axis_set_num_format(valueAxis, valueFormat)
        if let categoryFormat { chart_axis_set_num_format(categoryAxis, categoryFormat) }
        chart_axis_set_min(valueAxis, 0)
        var grid = lxw_chart_line(color: 0xE7E6E6, none: 0, width: 0.75, dash_type: 0, transparency: 0)
        chart_axis_major_gridlines_set_line(valueAxis, &grid)
        if kind == .bar {
            // Categories run top-down in the order of the list: the first place at the top.
            chart_axis_set_reverse(categoryAxis)
        }
        if kind == .column || kind == .bar { chart_set_series_gap(handle, 60) }
    }

    /// Calls `body` with a chart font in the report's font face; libxlsxwriter copies the font.
    private func withFont(
        size: Double,
        bold: Bool,
        color: UInt32,
        _ body: (UnsafeMutablePointer<lxw_chart_font>) -> Void
    ) {
        fontName.withCString { name in
            var font = lxw_chart_font()
            font.name = UnsafeMutablePointer(mutating: name)
            font.size = size
            font.bold = bold ? 1 : 0
            font.color = color
            font.charset = 134
            body(&font)
        }
    }
}

/// The result of a query: named columns and rows of values, ready for a ``ResultFormatter``.
public struct ResultTable: Sendable, Hashable {
    /// The column names, which are also the JSON keys, in order.
    public var columns: [String]
    /// The rows; each has one value per column (a shorter row reads as `null` in the missing columns).
    public var rows: [[ResultValue]]
    /// Whether the result is one object rather than a list (`overview`, `efficiency`): JSON prints the first row as
    /// an object instead of an array of objects.
    public var isSingleObject: Bool
    /// Sentences about how far the data supports the answer, e.g. a comparison period the data does not cover;
    /// printed on stderr by `leanstats query` and the REPL and sent as `X-LeanStats-Warning` headers by the HTTP
    /// API, never part of the formatted result.
    public var warnings: [String] = []

    /// Creates a result.
    /// - Parameters:
    ///   - columns: the column names in order.
    ///   - rows: one array of values per row, in column order.
    ///   - isSingleObject: whether the result is one object (exactly one row) rather than a list.
    public init(columns: [String], rows: [[ResultValue]], isSingleObject: Bool = false) {
        self.columns = columns
        self.rows = rows
        self.isSingleObject = isSingleObject
    }

    /// The value of a row in a column, `null` when the row is short.
    func value(_ row: [ResultValue], _ column: Int) -> ResultValue {
        column < row.count ? row[column] : .null
    }

    /// The rows as printed: the first row (or one of `null`s when there is none) for a single object, else all.
    var objectRows: [[ResultValue]] {
        guard isSingleObject else { return rows }
        return [rows.first ?? Array(repeating: .null, count: columns.count)]
    }
}

/// One cell of a ``ResultTable``.
public enum ResultValue: Sendable, Hashable, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByStringLiteral
{
    /// A whole number, e.g. a count.
    case int(Int)
    /// A fraction, e.g. a rate or an average; never NaN or infinite (formatters print those as missing).
    case double(Double)
    /// Text, e.g. a department name or a month.
    case string(String)
    /// A missing value, e.g. `avg_days` when nothing qualifies.
    case null

    /// Creates an ``int(_:)`` from a literal.
    public init(integerLiteral value: Int) { self = .int(value) }

    /// Creates a ``double(_:)`` from a literal.
    public init(floatLiteral value: Double) { self = .double(value) }

    /// Creates a ``string(_:)`` from a literal.
    public init(stringLiteral value: String) { self = .string(value) }

    /// Whether the value is a number (and so right-aligned in a table).
    var isNumber: Bool {
        switch self {
        case .int: true
        case .double(let value): value.isFinite
        case .string, .null: false
        }
    }

    /// The number as tables, CSV and Markdown print it: integers as digits, doubles rounded half away from zero to
    /// at most two decimals without trailing zeros (`71.43`, `12.5`, `50`); `nil` for text, `null` and non-finite
    /// numbers. JSON keeps ``numberText``'s full precision.
    public var roundedNumberText: String? {
        switch self {
        case .int(let value): String(value)
        case .double(let value): value.isFinite ? TableFormatter.twoDecimals(value) : nil
        case .string, .null: nil
        }
    }

    /// The unrounded text of a number for CSV and JSON: integers as digits, doubles with Swift's shortest
    /// round-trip `description` (`71.42857142857143`, `50.0`); `nil` for text, `null` and non-finite doubles.
    var numberText: String? {
        switch self {
        case .int(let value): String(value)
        case .double(let value): value.isFinite ? value.description : nil
        case .string, .null: nil
        }
    }
}

import LeanStatsCore
import LeanStatsQuery

/// A cell reference split into its column letters and 1-based row.
func splitReference(_ reference: String) -> (column: String, row: Int) {
    let letters = reference.prefix { $0.isLetter }
    return (String(letters), Int(reference.dropFirst(letters.count)) ?? 0)
}

extension Dictionary where Key == String, Value == CellValue {
    /// The row (1-based) whose column-A cell holds `label`, searching below `after`.
    func row(labeled label: String, in column: String = "A", after: Int = 0) -> Int? {
        self.compactMap { reference, value -> Int? in
            let (letters, row) = splitReference(reference)
            return letters == column && row > after && value.text == label ? row : nil
        }.min()
    }

    /// The number in a cell.
    func number(_ reference: String) -> Double? { self[reference]?.number }

    /// The text in a cell.
    func text(_ reference: String) -> String? { self[reference]?.text }

    /// The list header titles of a row by column letter.
    func headers(row: Int) -> [String: String] {
        var titles: [String: String] = [:]
        for (reference, value) in self {
            let (letters, number) = splitReference(reference)
            if number == row, let text = value.text { titles[text] = letters }
        }
        return titles
    }

    /// The number of consecutive filled rows in a column starting at `first`.
    func filledRows(in column: String, from first: Int) -> Int {
        var row = first
        while self[column + String(row)] != nil { row += 1 }
        return row - first
    }
}

extension ResultValue {
    /// The value as a number, `nil` for text and `null`.
    var double: Double? {
        switch self {
        case .int(let value): Double(value)
        case .double(let value): value
        default: nil
        }
    }

    /// The value as text, `nil` otherwise.
    var string: String? {
        if case .string(let value) = self { return value }
        return nil
    }
}

extension ResultTable {
    /// The value of a named column in a row.
    func value(_ row: Int, _ column: String) -> ResultValue {
        guard let index = columns.firstIndex(of: column), index < rows[row].count else { return .null }
        return rows[row][index]
    }
}

/// Whether two numbers agree to within rounding noise.
func same(_ a: Double?, _ b: Double?) -> Bool {
    switch (a, b) {
    case (nil, nil): true
    case (let a?, let b?): abs(a - b) <= 1e-9 * max(1, abs(a), abs(b))
    default: false
    }
}

/// The Excel serial of a calendar day.
func excelSerial(_ date: CivilDate) -> Double { Double(date.dayNumber + 25_569) }

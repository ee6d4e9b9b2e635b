/// A line of the query language that cannot be read: where, what is wrong and what was expected.
///
/// ``description`` is one sentence for logs and stderr, e.g.
/// `unknown metric 'pass_rat' at column 9; did you mean 'pass_rate'?`; ``rendered(line:)`` adds the line and a
/// caret under the offending word for terminals.
public struct QueryError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of mistake the line holds; stable for scripts and tests.
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// The line has no words.
        case emptyQuery
        /// The first word is not a command.
        case unknownCommand
        /// `by` is not followed by a dimension.
        case missingDimension
        /// The word after `by` is not a dimension.
        case unknownDimension
        /// `by DIM` is not followed by metrics, or a `,` by a metric.
        case missingMetric
        /// A word in the metric list or after `order by` is not a metric.
        case unknownMetric
        /// A metric is listed twice.
        case duplicateMetric
        /// Two metrics are separated by a space instead of `,`.
        case missingComma
        /// The line ends where a period belongs.
        case missingPeriod
        /// The word where a period belongs is not one, or names a date that does not exist.
        case invalidPeriod
        /// `top` is not followed by a positive whole number.
        case invalidCount
        /// `where` or `and` is not followed by a filter.
        case missingFilter
        /// The filter key is not `dept`, `category`, `status`, `user` or `result`.
        case unknownFilter
        /// The same filter key is given twice in one `and` group.
        case duplicateFilter
        /// A filter key is not followed by `=` or `in`.
        case missingEquals
        /// A filter has no value after `=`, or an empty one.
        case missingValue
        /// The `status=` value is not a DingTalk status code or status name.
        case unknownStatus
        /// The `result=` value is not `agree`, `refuse` or `none`.
        case unknownResult
        /// A `dept`, `category` or `user` value names nothing the store holds (checked when the query runs).
        case unknownValue
        /// An `in` list or a parenthesised group is not opened or not closed.
        case missingParenthesis
        /// The filter multiplies out to more `or` alternatives than a query may have.
        case tooManyAlternatives
        /// A quoted value is not closed.
        case unterminatedQuote
        /// `order` is not followed by `by`.
        case missingKeyword
        /// `limit` is not followed by a positive whole number.
        case invalidLimit
        /// A word where the line should end or another clause should start.
        case unexpectedWord
    }

    /// What kind of mistake this is.
    public var code: Code
    /// The 1-based column of the offending word, counted in characters; one past the last word when something is
    /// missing at the end of the line.
    public var column: Int
    /// The offending word as written (quotes included); empty when something is missing at the end of the line.
    public var word: String
    /// What is wrong, e.g. `unknown metric 'pass_rat'`.
    public var message: String
    /// What was expected or how to fix it, e.g. `expected one of count, passed, …`.
    public var hint: String?
    /// The valid word nearest to the offending one, when it is close enough to be a likely typo.
    public var suggestion: String?

    /// Creates an error.
    /// - Parameters:
    ///   - code: what kind of mistake this is.
    ///   - column: the 1-based column of the word, in characters.
    ///   - word: the offending word as written.
    ///   - message: what is wrong.
    ///   - hint: what was expected.
    ///   - suggestion: a likely intended word.
    public init(
        _ code: Code,
        column: Int,
        word: String,
        _ message: String,
        hint: String? = nil,
        suggestion: String? = nil
    ) {
        self.code = code
        self.column = column
        self.word = word
        self.message = message
        self.hint = hint
        self.suggestion = suggestion
    }

    /// One line: the message, the column, and the suggestion if there is one, else what was expected.
    public var description: String {
        var text = "\(message) at column \(column)"
        if let suggestion {
            text += "; did you mean '\(suggestion)'?"
        } else if let hint {
            text += "; \(hint)"
        }
        return text
    }

    /// Three lines for a terminal: the query line, a caret line marking the word, and ``description``.
    ///
    /// The marker is `^` followed by `~` up to the word's display width, placed with East Asian wide characters
    /// counted as two columns (see ``displayWidth(_:)``) and tabs copied, so it lines up under the word in a
    /// terminal whatever script precedes it.
    /// - Parameter line: the query line the error came from.
    /// - Returns: the three lines joined by `\n`, without a trailing newline.
    public func rendered(line: String) -> String {
        var caretLine = ""
        var remaining = max(column - 1, 0)
        for character in line where remaining > 0 {
            remaining -= 1
            caretLine += character == "\t" ? "\t" : String(repeating: " ", count: displayWidth(character))
        }
        caretLine += String(repeating: " ", count: remaining)
        caretLine += "^" + String(repeating: "~", count: max(displayWidth(word) - 1, 0))
        return "\(line)\n\(caretLine)\n\(description)"
    }
}

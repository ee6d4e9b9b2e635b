/// One word or punctuation mark of a query line.
struct Token: Sendable, Hashable {
    /// What kind of token this is.
    enum Kind: Sendable, Hashable {
        /// A run of characters without whitespace, `,`, `=` or `"`.
        case word
        /// A double-quoted value; ``Token/text`` holds it without quotes and escapes.
        case quoted
        /// `,`
        case comma
        /// `=`
        case equals
    }

    /// What kind of token this is.
    var kind: Kind
    /// The value: the word itself, or the contents of a quoted value with `\"` and `\\` resolved.
    var text: String
    /// The characters as written in the line, quotes included.
    var source: String
    /// The 1-based column of the first character, counted in characters.
    var column: Int

    /// The column just after the token.
    var endColumn: Int { column + source.count }

    /// Whether this is an unquoted word equal to a keyword, ignoring case.
    func isKeyword(_ keyword: String) -> Bool {
        kind == .word && text.lowercased() == keyword
    }
}

/// Splits a query line into tokens.
///
/// Whitespace (any `Character.isWhitespace`, including the ideographic space) separates words; `,` and `=` are
/// tokens of their own; `"` starts a quoted value that runs to the next unescaped `"`, inside which `\"` stands for
/// a quote and `\\` for a backslash (any other backslash is kept as written).
enum QueryLexer {
    /// Tokenizes one line.
    /// - Parameter line: the query text.
    /// - Returns: the tokens, in order.
    /// - Throws: ``QueryError`` with code ``QueryError/Code/unterminatedQuote`` when a quote is not closed.
    /// - Complexity: O(n) in the number of characters.
    static func tokenize(_ line: String) throws(QueryError) -> [Token] {
        let characters = Array(line)
        var tokens: [Token] = []
        var index = 0
        while index < characters.count {
            let character = characters[index]
            let start = index
            switch character {
            case _ where character.isWhitespace:
                index += 1
            case ",", "=":
                index += 1
                let text = String(character)
                tokens.append(
                    Token(kind: character == "," ? .comma : .equals, text: text, source: text, column: start + 1)
                )
            case "\"":
                var value = ""
                index += 1
                var closed = false
                while index < characters.count {
                    let inner = characters[index]
                    if inner == "\"" {
                        closed = true
                        index += 1
                        break
                    }
                    if inner == "\\", index + 1 < characters.count,
                        characters[index + 1] == "\"" || characters[index + 1] == "\\"
                    {
                        value.append(characters[index + 1])
                        index += 2
                    } else {
                        value.append(inner)
                        index += 1
                    }
                }
                let source = String(characters[start..<index])
                guard closed else {
                    throw QueryError(
                        .unterminatedQuote,
                        column: start + 1,
                        word: source,
                        "unterminated quote",
                        hint: "close the value with '\"' (write \\\" for a quote inside it)"
                    )
                }
                tokens.append(Token(kind: .quoted, text: value, source: source, column: start + 1))
            default:
                while index < characters.count, !Self.endsWord(characters[index]) { index += 1 }
                let text = String(characters[start..<index])
                tokens.append(Token(kind: .word, text: text, source: text, column: start + 1))
            }
        }
        return tokens
    }

    /// Whether a character ends an unquoted word.
    static func endsWord(_ character: Character) -> Bool {
        character.isWhitespace || character == "," || character == "=" || character == "\""
    }

    /// The text as an unquoted word when that reads back the same, otherwise quoted with `"` and `\` escaped.
    static func quoteIfNeeded(_ value: String) -> String {
        if !value.isEmpty, !value.contains(where: endsWord) { return value }
        var quoted = "\""
        for character in value {
            if character == "\"" || character == "\\" { quoted.append("\\") }
            quoted.append(character)
        }
        quoted.append("\"")
        return quoted
    }
}

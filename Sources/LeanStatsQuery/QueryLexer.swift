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
        /// `(` at the start of a word
        case openParenthesis
        /// `)` that closes no `(` of its own word
        case closeParenthesis
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
/// Whitespace (any `Character.isWhitespace`, including the ideographic space) separates words; `,` and `=` (and
/// their full-width forms `，` and `＝`) are tokens of their own; `(` (or `（`) is one at the start of a word, and
/// `)` (or `）`) is one unless it closes a `(` of the same word, so `预计收益(元)` stays one word (`in(` is the
/// keyword and a parenthesis); `"` starts a quoted value that runs to the next unescaped `"`, inside which `\"` stands for
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
            case ",", "，", "=", "＝", "(", "（", ")", "）":
                index += 1
                let kind: Token.Kind =
                    switch character {
                    case ",", "，": .comma
                    case "=", "＝": .equals
                    case "(", "（": .openParenthesis
                    default: .closeParenthesis
                    }
                let text = kind == .comma ? "," : kind == .equals ? "=" : String(character)
                tokens.append(Token(kind: kind, text: text, source: String(character), column: start + 1))
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
                var open = 0
                while index < characters.count, !Self.endsWord(characters[index]) {
                    // `in(` is the keyword and its list, not one word.
                    if Self.isOpening(characters[index]), index - start == 2,
                        String(characters[start..<index]).lowercased() == "in"
                    {
                        break
                    }
                    if Self.isOpening(characters[index]) {
                        open += 1
                    } else if Self.isClosing(characters[index]) {
                        guard open > 0 else { break }
                        open -= 1
                    }
                    index += 1
                }
                let text = String(characters[start..<index])
                tokens.append(Token(kind: .word, text: text, source: text, column: start + 1))
            }
        }
        return tokens
    }

    /// Whether a character ends an unquoted word (parentheses aside, see ``tokenize(_:)``).
    static func endsWord(_ character: Character) -> Bool {
        character.isWhitespace || character == "," || character == "=" || character == "\"" || character == "，"
            || character == "＝"
    }

    /// `(` or `（`.
    static func isOpening(_ character: Character) -> Bool { character == "(" || character == "（" }

    /// `)` or `）`.
    static func isClosing(_ character: Character) -> Bool { character == ")" || character == "）" }

    /// Whether the text reads back as one unquoted word: not empty, no character that ends a word, not starting
    /// with a parenthesis, and its parentheses balanced (an open one would swallow the `)` of an `in` list).
    static func readsAsWord(_ value: String) -> Bool {
        guard let first = value.first, !isOpening(first), !value.contains(where: endsWord) else { return false }
        var open = 0
        for character in value {
            if isOpening(character) {
                open += 1
            } else if isClosing(character) {
                guard open > 0 else { return false }
                open -= 1
            }
        }
        return open == 0
    }

    /// The text as an unquoted word when that reads back the same, otherwise quoted with `"` and `\` escaped.
    static func quoteIfNeeded(_ value: String) -> String {
        if readsAsWord(value) { return value }
        var quoted = "\""
        for character in value {
            if character == "\"" || character == "\\" { quoted.append("\\") }
            quoted.append(character)
        }
        quoted.append("\"")
        return quoted
    }
}

import Foundation
import LeanStatsCore
import LeanStatsQuery

/// What Tab offers for the word before the cursor, worked out from the words before it.
///
/// The completer knows the language's words (``ReplVocabulary``), the dot commands (``DotCommand``) and the
/// department and category names of the loaded store; it reads the text up to the cursor and proposes
/// candidates for the word being typed:
///
/// - the first word: a verb, or a dot command when it starts with `.`;
/// - after `by` a dimension, after the dimension or a `,` a metric, after `order` the word `by`, after `order by` a
///   metric, after `where`, `and`, `or` or an opening parenthesis a filter key (with its `=`), after `vs` `prev`
///   or `yoy`;
/// - after `dept=` or in `dept in (…)` a department name (or 未填部门), after `category=` a category name (or
///   未分类), after `user=` a user's most recent name, after `status=` a status code or name, after `result=` a
///   result; names that would not read back as one word are inserted in double quotes;
/// - after `.mode` a mode, after `.timer` or `.bom` `on` or `off`, after `.read` or `.output` a file name;
/// - anywhere else a keyword or `all`.
///
/// Words match case-insensitively, as the parser reads keywords.
struct ReplCompleter {
    /// One proposal.
    struct Candidate: Hashable {
        /// The text that replaces the word, quoted when it has to be.
        var text: String
        /// What follows a sole candidate: a space, `=` after a filter key, nothing after a directory.
        var terminator: String
        /// How the candidate is shown in a list.
        var display: String
    }

    /// What the completer found.
    struct Completion: Hashable {
        /// The word being completed, as typed from its start to the cursor (an opening quote included).
        var word: String
        /// The candidates in the order they are listed.
        var candidates: [Candidate]
    }

    /// What Tab does to the line.
    enum Edit: Hashable {
        /// Nothing to offer: ring the bell.
        case beep
        /// Delete `count` Unicode scalars before the cursor (the word) and insert `text` in their place.
        case replace(count: Int, text: String)
        /// Several candidates and no longer common prefix: show these below the line.
        case list([String])
    }

    /// Department names of the loaded store.
    var departments: [String]
    /// Category names of the loaded store.
    var categories: [String]
    /// The users' most recent names in the loaded store, asked for on the first `user=` completion (working them
    /// out reads every row once).
    var users: () -> [String] = { [] }

    /// The edit Tab makes to a line whose text up to the cursor is `textBeforeCursor`.
    /// - Parameter textBeforeCursor: the line from its start to the cursor.
    /// - Returns: a replacement when one candidate or a longer common prefix is found, else the list or a beep.
    func edit(for textBeforeCursor: String) -> Edit {
        let completion = complete(textBeforeCursor)
        let candidates = completion.candidates
        guard let first = candidates.first else { return .beep }
        let wordLength = completion.word.unicodeScalars.count
        if candidates.count == 1 {
            return .replace(count: wordLength, text: first.text + first.terminator)
        }
        let common = candidates.dropFirst().reduce(first.text) { prefix, candidate in
            String(zip(prefix, candidate.text).prefix { $0 == $1 }.map(\.0))
        }
        if common.count > completion.word.count {
            return .replace(count: wordLength, text: common)
        }
        return .list(candidates.map(\.display))
    }

    /// The candidates for the word before the cursor.
    /// - Parameter textBeforeCursor: the line from its start to the cursor.
    /// - Returns: the word being completed and what could replace it.
    func complete(_ textBeforeCursor: String) -> Completion {
        let trimmed = textBeforeCursor.drop { $0.isWhitespace }
        if trimmed.hasPrefix(".") { return completeDotCommand(String(trimmed)) }
        let (tokens, word) = Self.split(textBeforeCursor)
        guard let word else { return Completion(word: "", candidates: []) }
        let prefix = word.hasPrefix("\"") ? Self.unquoted(word) : word
        let quote = word.hasPrefix("\"")
        func words(_ list: [String], terminator: String = " ") -> Completion {
            Completion(
                word: word,
                candidates: Self.matching(list, prefix: prefix, quote: quote, terminator: terminator)
            )
        }
        guard let previous = tokens.last else { return words(ReplVocabulary.verbs) }
        switch previous {
        case .equals:
            let key = tokens.count >= 2 ? tokens[tokens.count - 2] : .equals
            return words(values(of: key.word))
        case .comma:
            if let key = Self.keyOfOpenList(tokens) { return words(values(of: key)) }
            return words(ReplVocabulary.metrics)
        case .openParenthesis:
            if let key = Self.keyOfOpenList(tokens) { return words(values(of: key)) }
            return words(ReplVocabulary.filterKeys, terminator: "=")
        case .quoted, .closeParenthesis:
            return words(ReplVocabulary.keywords)
        case .word(let text):
            switch text.lowercased() {
            case "where", "and", "or":
                return words(ReplVocabulary.filterKeys, terminator: "=")
            case "in":
                return words([])
            case "order":
                return words(["by"])
            case "vs":
                return words(ReplVocabulary.comparisons)
            case "by":
                let afterOrder = tokens.count >= 2 && tokens[tokens.count - 2].word?.lowercased() == "order"
                return words(afterOrder ? ReplVocabulary.metrics : ReplVocabulary.dimensions)
            case "top", "limit":
                return words([])
            default:
                let isDimensionOfBy =
                    tokens.count == 2 && tokens[0].word?.lowercased() == "by"
                    && ReplVocabulary.dimensions.contains(text.lowercased())
                return words(
                    isDimensionOfBy ? ReplVocabulary.metrics : ReplVocabulary.keywords + ReplVocabulary.periodWords
                )
            }
        }
    }

    /// The values a filter key takes: the store's names for `dept`, `category` (with the words for none) and `user`,
    /// the fixed words for `status` and `result`, nothing to offer for others.
    private func values(of key: String?) -> [String] {
        switch key?.lowercased() {
        case "dept": departments + [StatisticsFilter.missingDeptName]
        case "category": categories + [StatisticsFilter.missingCategory]
        case "user": users()
        case "status": ReplVocabulary.statuses
        case "result": ReplVocabulary.results
        default: []
        }
    }

    /// The filter key of the `in (…)` list the cursor is in, `nil` outside one.
    static func keyOfOpenList(_ tokens: [Token]) -> String? {
        guard let open = tokens.lastIndex(of: .openParenthesis), !tokens[open...].contains(.closeParenthesis),
            open >= 2, tokens[open - 1].word?.lowercased() == "in"
        else { return nil }
        return tokens[open - 2].word
    }

    /// Completion inside a dot command: its name, then its argument.
    private func completeDotCommand(_ text: String) -> Completion {
        guard let space = text.firstIndex(where: \.isWhitespace) else {
            let names = DotCommand.allCases.map(\.name)
            return Completion(word: text, candidates: Self.matching(names, prefix: text, quote: false, terminator: " "))
        }
        let argument = String(text[space...].drop { $0.isWhitespace })
        func words(_ list: [String]) -> Completion {
            Completion(
                word: argument,
                candidates: Self.matching(list, prefix: argument, quote: false, terminator: "")
            )
        }
        switch DotCommand(name: String(text[..<space])) {
        case .mode: return words(ReplMode.allCases.map(\.description))
        case .timer, .bom: return words(["on", "off"])
        case .read, .output: return Completion(word: argument, candidates: Self.files(matching: argument))
        default: return Completion(word: argument, candidates: [])
        }
    }

    /// Files and directories whose path starts with `prefix`; `~/` is read as the home directory.
    private static func files(matching prefix: String) -> [Candidate] {
        let slash = prefix.lastIndex(of: "/").map { prefix.index(after: $0) } ?? prefix.startIndex
        let directory = String(prefix[..<slash])
        let base = String(prefix[slash...])
        let listed = directory.isEmpty ? "." : (directory as NSString).expandingTildeInPath
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: listed) else { return [] }
        return entries.filter { $0.hasPrefix(base) && ($0.hasPrefix(".") == base.hasPrefix(".")) }.sorted().map {
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: listed + "/" + $0, isDirectory: &isDirectory)
            let name = exists && isDirectory.boolValue ? $0 + "/" : $0
            return Candidate(text: directory + name, terminator: "", display: name)
        }
    }

    /// The candidates among `list` that start with `prefix`, ignoring case, quoted where the lexer needs it.
    ///
    /// When one candidate needs quotes (a space, `,`, `=`, `"` or an unbalanced parenthesis in it) all are quoted, so that their common prefix
    /// (`"生产`) can still be inserted and the rest typed inside the quotes.
    private static func matching(_ list: [String], prefix: String, quote: Bool, terminator: String) -> [Candidate] {
        let lowered = prefix.lowercased()
        var seen = Set<String>()
        let names = list.filter { $0.lowercased().hasPrefix(lowered) && seen.insert($0).inserted }
        let quoteAll = quote || names.contains { Query.canonicalValue($0) != $0 }
        return names.map { Candidate(text: quoteAll ? quoted($0) : $0, terminator: terminator, display: $0) }
    }

    /// A value in double quotes with `\` and `"` escaped, as the query lexer reads it.
    static func quoted(_ value: String) -> String {
        "\"" + value.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"") + "\""
    }

    /// The value of a quoted word that may still be open: the quote removed and escapes resolved.
    static func unquoted(_ word: String) -> String {
        var value = ""
        var escaped = false
        for character in word.dropFirst() {
            if escaped {
                value.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else {
                value.append(character)
            }
        }
        return value
    }

    /// A finished token before the word being completed.
    enum Token: Hashable {
        /// A word.
        case word(String)
        /// A closed double-quoted value.
        case quoted(String)
        /// `,`
        case comma
        /// `=`
        case equals
        /// `(` at the start of a word
        case openParenthesis
        /// `)` that closes no `(` of its own word
        case closeParenthesis

        /// The text of a word, `nil` for anything else.
        var word: String? {
            if case .word(let text) = self { return text }
            return nil
        }
    }

    /// Splits the text before the cursor as the query lexer would: the finished tokens and the word being typed
    /// (empty after a separator, an open quote included; `nil` right after a closing quote, where nothing fits).
    static func split(_ text: String) -> (tokens: [Token], word: String?) {
        var tokens: [Token] = []
        var current = ""
        var inQuote = false
        var escaped = false
        var afterQuote = false
        func finishWord() {
            if !current.isEmpty { tokens.append(.word(current)) }
            current = ""
        }
        for character in text {
            afterQuote = false
            if inQuote {
                current.append(character)
                if escaped {
                    escaped = false
                } else if character == "\\" {
                    escaped = true
                } else if character == "\"" {
                    tokens.append(.quoted(unquoted(String(current.dropLast()))))
                    current = ""
                    inQuote = false
                    afterQuote = true
                }
                continue
            }
            switch character {
            case _ where character.isWhitespace: finishWord()
            case ",", "，":
                finishWord()
                tokens.append(.comma)
            case "=", "＝":
                finishWord()
                tokens.append(.equals)
            case "(", "（":
                // At the start of a word (or after `in`) a parenthesis; inside a name such as 预计收益(元) a letter.
                if current.isEmpty || current.lowercased() == "in" {
                    finishWord()
                    tokens.append(.openParenthesis)
                } else {
                    current.append(character)
                }
            case ")", "）":
                let opened = current.filter { $0 == "(" || $0 == "（" }.count
                if opened > current.filter({ $0 == ")" || $0 == "）" }).count {
                    current.append(character)
                } else {
                    finishWord()
                    tokens.append(.closeParenthesis)
                }
            case "\"":
                finishWord()
                current = "\""
                inQuote = true
            default: current.append(character)
            }
        }
        return (tokens, afterQuote ? nil : current)
    }
}

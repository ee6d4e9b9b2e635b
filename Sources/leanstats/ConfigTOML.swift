import Foundation

/// A value of the TOML subset LeanStats reads.
enum ConfigValue: Equatable {
    case string(String)
    case integer(Int64)
    case float(Double)
    case boolean(Bool)
    case array([ConfigValue])

    /// The kind of value, for messages.
    var kind: String {
        switch self {
        case .string: "a string"
        case .integer: "an integer"
        case .float: "a number"
        case .boolean: "a boolean"
        case .array: "an array"
        }
    }
}

/// Why a configuration file cannot be read, with the line.
struct ConfigSyntaxError: Error, CustomStringConvertible {
    let file: String
    let line: Int
    let reason: String

    var description: String { "config error: \(file):\(line): \(reason)" }
}

/// Parses the subset of TOML 1.0 that `leanstats.toml` needs: `[section]` tables, `key = value` pairs, basic and
/// literal strings (with escapes), integers, floats, booleans, and arrays of those (which may span lines), with
/// `#` comments. Dotted keys, inline tables, arrays of tables and date-times are reported as unsupported.
enum ConfigTOML {
    /// Parses a file's text into section → key → value (keys before any section go to section "").
    /// - Parameters:
    ///   - text: The file's content.
    ///   - file: The file's path, for messages.
    /// - Returns: The values with the line each was defined on.
    /// - Throws: ``ConfigSyntaxError`` for anything outside the subset, a duplicate key or a malformed value.
    static func parse(_ text: String, file: String) throws -> [String: [String: (value: ConfigValue, line: Int)]] {
        var sections: [String: [String: (value: ConfigValue, line: Int)]] = [:]
        var section = ""
        var scanner = Scanner(bytes: Array(text.utf8), file: file)
        while !scanner.atEnd {
            scanner.skipBlanksAndComments(newlines: true)
            if scanner.atEnd { break }
            let line = scanner.line
            if scanner.peek == UInt8(ascii: "[") {
                scanner.advance()
                if scanner.peek == UInt8(ascii: "[") {
                    throw scanner.error("arrays of tables ([[…]]) are not supported")
                }
                scanner.skipBlanks()
                var name = try scanner.bareKey()
                scanner.skipBlanks()
                // A nested table such as [alerts.thresholds] is the section "alerts.thresholds".
                while scanner.peek == UInt8(ascii: ".") {
                    scanner.advance()
                    scanner.skipBlanks()
                    name += "." + (try scanner.bareKey())
                    scanner.skipBlanks()
                }
                try scanner.expect(UInt8(ascii: "]"), "']' after the section name")
                section = name
                if sections[section] != nil && !sections[section]!.isEmpty {
                    throw ConfigSyntaxError(file: file, line: line, reason: "section [\(name)] appears twice")
                }
                sections[section, default: [:]] = sections[section] ?? [:]
            } else {
                let key = try scanner.key()
                scanner.skipBlanks()
                if scanner.peek == UInt8(ascii: ".") { throw scanner.error("dotted keys (a.b = …) are not supported") }
                try scanner.expect(UInt8(ascii: "="), "'=' after the key '\(key)'")
                scanner.skipBlanks()
                scanner.secretKey = isSecret(key) ? key : nil
                let value = try scanner.value()
                scanner.secretKey = nil
                if sections[section]?[key] != nil {
                    throw ConfigSyntaxError(file: file, line: line, reason: "the key '\(key)' is defined twice")
                }
                sections[section, default: [:]][key] = (value, line)
            }
            scanner.skipBlanksAndComments(newlines: false)
            if !scanner.atEnd && scanner.peek != UInt8(ascii: "\n") && scanner.peek != UInt8(ascii: "\r") {
                throw scanner.error("unexpected text after the value; put one key = value per line")
            }
        }
        return sections
    }

    /// Whether a key holds a secret whose value no message may show: `app_secret`, `password`, `token`, `secret`,
    /// and any key ending in `_secret`, `_password` or `_token` (a `…_file` key names a file and is not secret).
    /// - Parameter key: The key, without its section.
    /// - Returns: `true` for a secret key.
    static func isSecret(_ key: String) -> Bool {
        let name = key.lowercased()
        return ["secret", "password", "token"].contains(name)
            || ["_secret", "_password", "_token"].contains { name.hasSuffix($0) }
    }

    /// A cursor over the file's bytes.
    private struct Scanner {
        let bytes: [UInt8]
        let file: String
        var position = 0
        var line = 1
        /// The key whose value is being read when it is a secret: errors then describe the value without showing
        /// any of it.
        var secretKey: String?

        init(bytes: [UInt8], file: String) {
            self.bytes = bytes
            self.file = file
            if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { position = 3 }
        }

        var atEnd: Bool { position >= bytes.count }
        var peek: UInt8? { atEnd ? nil : bytes[position] }

        mutating func advance() {
            if bytes[position] == UInt8(ascii: "\n") { line += 1 }
            position += 1
        }

        func error(_ reason: String) -> ConfigSyntaxError {
            ConfigSyntaxError(file: file, line: line, reason: reason)
        }

        mutating func skipBlanks() {
            while let byte = peek, byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") { advance() }
        }

        mutating func skipBlanksAndComments(newlines: Bool) {
            while let byte = peek {
                if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") {
                    advance()
                } else if byte == UInt8(ascii: "#") {
                    while let next = peek, next != UInt8(ascii: "\n") { advance() }
                } else if newlines && (byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r")) {
                    advance()
                } else {
                    return
                }
            }
        }

        mutating func expect(_ byte: UInt8, _ what: String) throws(ConfigSyntaxError) {
            guard peek == byte else { throw error("expected \(what)") }
            advance()
        }

        mutating func bareKey() throws(ConfigSyntaxError) -> String {
            let start = position
            while let byte = peek, Self.isBare(byte) { advance() }
            guard position > start else { throw error("expected a name (letters, digits, '_' or '-')") }
            return String(decoding: bytes[start..<position], as: UTF8.self)
        }

        mutating func key() throws(ConfigSyntaxError) -> String {
            if peek == UInt8(ascii: "\"") || peek == UInt8(ascii: "'") {
                guard case .string(let text) = try value() else { throw error("expected a key") }
                return text
            }
            return try bareKey()
        }

        static func isBare(_ byte: UInt8) -> Bool {
            (byte >= 48 && byte <= 57) || (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122)
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }

        mutating func value() throws(ConfigSyntaxError) -> ConfigValue {
            guard let byte = peek else { throw error("expected a value") }
            switch byte {
            case UInt8(ascii: "\""):
                return .string(try basicString())
            case UInt8(ascii: "'"):
                return .string(try literalString())
            case UInt8(ascii: "["):
                return try array()
            case UInt8(ascii: "{"):
                throw error("inline tables ({…}) are not supported; use a [section]")
            default:
                return try scalar()
            }
        }

        mutating func basicString() throws(ConfigSyntaxError) -> String {
            advance()
            if peek == UInt8(ascii: "\""), position + 1 < bytes.count, bytes[position + 1] == UInt8(ascii: "\"") {
                throw error("multi-line strings (\"\"\") are not supported")
            }
            var result: [UInt8] = []
            while true {
                guard let byte = peek, byte != UInt8(ascii: "\n") else { throw error("unterminated string") }
                advance()
                if byte == UInt8(ascii: "\"") { break }
                guard byte == UInt8(ascii: "\\") else {
                    result.append(byte)
                    continue
                }
                guard let escape = peek else { throw error("unterminated string") }
                advance()
                switch escape {
                case UInt8(ascii: "n"): result.append(10)
                case UInt8(ascii: "t"): result.append(9)
                case UInt8(ascii: "r"): result.append(13)
                case UInt8(ascii: "b"): result.append(8)
                case UInt8(ascii: "f"): result.append(12)
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): result.append(escape)
                case UInt8(ascii: "u"), UInt8(ascii: "U"):
                    let count = escape == UInt8(ascii: "u") ? 4 : 8
                    guard position + count <= bytes.count,
                        let scalar = UInt32(
                            String(decoding: bytes[position..<(position + count)], as: UTF8.self),
                            radix: 16
                        ),
                        let character = Unicode.Scalar(scalar)
                    else { throw error("a bad \\u escape") }
                    for _ in 0..<count { advance() }
                    result += Array(String(Character(character)).utf8)
                default:
                    if let secretKey {
                        throw error(
                            "an unknown escape in the value of \(secretKey) (not shown: it is a secret); write \\\\ "
                                + "for a backslash, or use a literal string '…'"
                        )
                    }
                    throw error("an unknown escape \\\(Character(Unicode.Scalar(escape)))")
                }
            }
            return String(decoding: result, as: UTF8.self)
        }

        mutating func literalString() throws(ConfigSyntaxError) -> String {
            advance()
            let start = position
            while let byte = peek, byte != UInt8(ascii: "'") {
                if byte == UInt8(ascii: "\n") { throw error("unterminated string") }
                advance()
            }
            guard peek == UInt8(ascii: "'") else { throw error("unterminated string") }
            let text = String(decoding: bytes[start..<position], as: UTF8.self)
            advance()
            return text
        }

        mutating func array() throws(ConfigSyntaxError) -> ConfigValue {
            advance()
            var items: [ConfigValue] = []
            while true {
                skipBlanksAndComments(newlines: true)
                guard let byte = peek else { throw error("unterminated array") }
                if byte == UInt8(ascii: "]") {
                    advance()
                    return .array(items)
                }
                items.append(try value())
                skipBlanksAndComments(newlines: true)
                if peek == UInt8(ascii: ",") {
                    advance()
                } else if peek != UInt8(ascii: "]") {
                    throw error("expected ',' or ']' in the array")
                }
            }
        }

        mutating func scalar() throws(ConfigSyntaxError) -> ConfigValue {
            let start = position
            while let byte = peek, byte != UInt8(ascii: "#"), byte != UInt8(ascii: ","), byte != UInt8(ascii: "]"),
                byte != UInt8(ascii: "\n"), byte != UInt8(ascii: "\r")
            {
                advance()
            }
            let text = String(decoding: bytes[start..<position], as: UTF8.self).trimmingCharacters(in: .whitespaces)
            if let value = ConfigValue(scalar: text) { return value }
            if let secretKey {
                throw error(
                    "the value of \(secretKey) is not quoted (not shown: it is a secret); write \(secretKey) = \"…\""
                )
            }
            throw error("'\(text)' is not a value; quote strings (\"…\")")
        }
    }
}

extension ConfigValue {
    /// Reads an unquoted TOML scalar: a boolean, an integer (with `_` separators, hex/octal/binary) or a float.
    init?(scalar text: String) {
        switch text {
        case "true": self = .boolean(true)
        case "false": self = .boolean(false)
        default:
            let plain = text.replacingOccurrences(of: "_", with: "")
            if plain.isEmpty { return nil }
            for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] where plain.hasPrefix(prefix) {
                guard let value = Int64(plain.dropFirst(2), radix: radix) else { return nil }
                self = .integer(value)
                return
            }
            if let value = Int64(plain) {
                self = .integer(value)
            } else if let value = Double(plain), plain.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) {
                self = .float(value)
            } else {
                return nil
            }
        }
    }
}

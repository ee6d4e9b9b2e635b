import Foundation
import LeanStatsQuery
import LeanStatsService

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The configuration of `docs/configuration.md`: a TOML file (`--config`, default `./leanstats.toml` when present)
/// whose every key `section.key` can be overridden by the environment variable `LEANSTATS_<SECTION>_<KEY>`, and
/// whose secret keys may instead name a file readable only by its owner (`key_file`).
struct ConfigFile {
    /// The file read, `nil` when there is none.
    let path: String?
    private let values: [String: [String: (value: ConfigValue, line: Int)]]
    private let environment: [String: String]

    /// The keys that hold secrets; each also has a `_file` variant.
    static let secretKeys: Set<String> = [
        "dingtalk.app_secret", "alerts.password", "server.token", "alerts.robot_secret", "report.robot_secret",
    ]

    /// The keys this tool reads, by section, for warnings about typos. `[alerts.thresholds]` is its own section.
    static let knownKeys: [String: [String]] = [
        "dingtalk": [
            "api", "api_url", "oapi_url", "app_key", "app_secret", "app_secret_file", "process_code", "login_url",
        ],
        "sync": [
            "qps", "timeout_s", "retries", "monthly_call_budget", "monthly_push_budget", "catch_up_hours", "stream",
            "concurrency",
            "batch_size", "backoff_ms", "backoff_max_ms", "list_cap", "max_response_mib", "contacts",
        ],
        "schedule": ["daily", "weekly_full", "monthly_report"],
        "alerts": [
            "smtp_url", "tls", "username", "password", "password_file", "from", "to", "stale_after_h", "timeout_s",
            "robot_webhook", "robot_secret", "robot_secret_file",
        ],
        "alerts.thresholds": AlertMetric.allCases.map(\.rawValue),
        "report": ["to", "robot_webhook", "robot_secret", "robot_secret_file", "agent_id", "to_userids"],
        "server": [
            "host", "port", "token", "token_file", "allowed_hosts", "max_connections", "max_connections_per_client",
            "header_timeout_s", "session_hours", "login", "public_url", "admins",
        ],
    ]

    /// Reads the configuration.
    /// - Parameters:
    ///   - explicitPath: The `--config` option; when `nil`, `./leanstats.toml` is read if it exists.
    ///   - environment: The process environment.
    ///   - warn: Receives warnings (unknown keys).
    /// - Throws: ``CommandFailure`` when the file is missing, unreadable, malformed, or holds a secret while others
    ///   may read it.
    init(
        explicitPath: String?,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        warn: (String) -> Void = printError
    ) throws {
        self.environment = environment
        let candidate = explicitPath ?? "leanstats.toml"
        guard FileManager.default.fileExists(atPath: candidate) else {
            if let explicitPath {
                throw CommandFailure("config error: the config file \(explicitPath) does not exist")
            }
            path = nil
            values = [:]
            return
        }
        guard let data = FileManager.default.contents(atPath: candidate) else {
            throw CommandFailure("config error: cannot read \(candidate); check its permissions")
        }
        path = candidate
        do {
            values = try ConfigTOML.parse(String(decoding: data, as: UTF8.self), file: candidate)
        } catch {
            throw CommandFailure("\(error)")
        }
        for warning in Self.unknownKeyWarnings(values, file: candidate) { warn(warning) }
        for (section, keys) in values {
            for key in keys.keys where Self.secretKeys.contains("\(section).\(key)") {
                if let mode = Self.groupOrOtherMode(candidate) {
                    throw CommandFailure(
                        "config error: \(candidate) holds \(section).\(key) but is readable by group or others "
                            + "(mode \(mode)); run chmod 600 \(candidate), or move the secret to \(key)_file or "
                            + Self.variable(section, key)
                    )
                }
            }
        }
    }

    /// The environment variable of a key: `LEANSTATS_DINGTALK_APP_SECRET`, `LEANSTATS_ALERTS_THRESHOLDS_QUERY_LATENCY_MS`.
    static func variable(_ section: String, _ key: String) -> String {
        "LEANSTATS_\(section.uppercased().replacingOccurrences(of: ".", with: "_"))_\(key.uppercased())"
    }

    /// Where a key's value comes from, for messages.
    func source(_ section: String, _ key: String) -> String {
        if environment[Self.variable(section, key)] != nil { return Self.variable(section, key) }
        if let line = values[section]?[key]?.line, let path { return "\(path):\(line)" }
        return "\(section).\(key)"
    }

    /// The raw value of a key: the environment wins over the file. Environment values are strings.
    func raw(_ section: String, _ key: String) -> ConfigValue? {
        if let text = environment[Self.variable(section, key)] { return .string(text) }
        return values[section]?[key]?.value
    }

    /// A string value.
    /// - Throws: ``CommandFailure`` when the key holds another type.
    func string(_ section: String, _ key: String) throws -> String? {
        switch raw(section, key) {
        case nil: return nil
        case .string(let text): return text
        case .some(let value):
            throw wrongType(section, key, expected: "a string", found: value.kind)
        }
    }

    /// A list of strings: a TOML array of strings, a single string, or (from the environment) a comma list.
    /// - Throws: ``CommandFailure`` when the key holds another type.
    func strings(_ section: String, _ key: String) throws -> [String]? {
        switch raw(section, key) {
        case nil: return nil
        case .string(let text):
            return text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        case .array(let items):
            return try items.map { item in
                guard case .string(let text) = item else {
                    throw CommandFailure("config error: \(source(section, key)): \(section).\(key) must list strings")
                }
                return text
            }
        case .some(let value):
            throw wrongType(section, key, expected: "a string or an array of strings", found: value.kind)
        }
    }

    /// An integer value (environment text is parsed).
    /// - Throws: ``CommandFailure`` when the value is not a whole number.
    func integer(_ section: String, _ key: String) throws -> Int? {
        switch raw(section, key) {
        case nil: return nil
        case .integer(let value): return Int(value)
        case .string(let text):
            if let value = Int(text.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "_", with: "")) {
                return value
            }
            throw wrongType(section, key, expected: "a whole number", found: "'\(text)'")
        case .some(let value):
            throw wrongType(section, key, expected: "a whole number", found: value.kind)
        }
    }

    /// The error for a value of the wrong type, naming where it came from.
    private func wrongType(_ section: String, _ key: String, expected: String, found: String) -> CommandFailure {
        CommandFailure("config error: \(source(section, key)): \(section).\(key) must be \(expected), not \(found)")
    }

    /// A number value (integer or float; environment text is parsed).
    /// - Throws: ``CommandFailure`` when the value is not a number.
    func number(_ section: String, _ key: String) throws -> Double? {
        switch raw(section, key) {
        case nil: return nil
        case .integer(let value): return Double(value)
        case .float(let value): return value
        case .string(let text):
            if let value = Double(text.trimmingCharacters(in: .whitespaces)) { return value }
            throw wrongType(section, key, expected: "a number", found: "'\(text)'")
        case .some(let value):
            throw wrongType(section, key, expected: "a number", found: value.kind)
        }
    }

    /// A boolean value (`true`/`false`, or from the environment also `1`/`0`, `yes`/`no`).
    /// - Throws: ``CommandFailure`` when the value is not a boolean.
    func boolean(_ section: String, _ key: String) throws -> Bool? {
        switch raw(section, key) {
        case nil: return nil
        case .boolean(let value): return value
        case .string(let text):
            switch text.lowercased() {
            case "true", "1", "yes", "on": return true
            case "false", "0", "no", "off": return false
            default:
                throw wrongType(section, key, expected: "true or false", found: "'\(text)'")
            }
        case .some(let value):
            throw wrongType(section, key, expected: "true or false", found: value.kind)
        }
    }

    /// A secret: the key itself (environment, then file), else the content of the file named by `key_file`, which
    /// must be readable only by its owner.
    /// - Throws: ``CommandFailure`` when the secret file is missing, empty, or readable by group or others.
    func secret(_ section: String, _ key: String) throws -> String? {
        if let value = try string(section, key), !value.isEmpty { return value }
        guard let file = try string(section, key + "_file"), !file.isEmpty else { return nil }
        let name = "\(section).\(key)_file"
        var info = stat()
        guard stat(file, &info) == 0 else {
            throw CommandFailure("config error: \(name) names \(file), which does not exist")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw CommandFailure("config error: \(name) names \(file), which is not a regular file")
        }
        if let mode = Self.groupOrOtherMode(file) {
            throw CommandFailure(
                "config error: \(name) names \(file), which is readable by group or others (mode \(mode)); run chmod 600 \(file)"
            )
        }
        guard let data = FileManager.default.contents(atPath: file) else {
            throw CommandFailure("config error: cannot read \(file) (\(name)); check its owner and permissions")
        }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw CommandFailure("config error: \(file) (\(name)) is empty") }
        return text
    }

    /// Warnings, in file order, for sections and keys this tool does not read: a typo ("did you mean"), or a key
    /// written in the wrong section (a threshold under `[alerts]` instead of `[alerts.thresholds]`).
    /// - Parameters:
    ///   - values: The parsed file.
    ///   - file: The file's path, for the messages.
    /// - Returns: One line per unknown section or key.
    static func unknownKeyWarnings(
        _ values: [String: [String: (value: ConfigValue, line: Int)]],
        file: String
    ) -> [String] {
        let sections = knownKeys.keys.sorted()
        var warnings: [(line: Int, text: String)] = []
        for (section, keys) in values {
            guard let known = knownKeys[section] else {
                // An empty section has no line of its own; it sorts first.
                let line = keys.values.map(\.line).min()
                let place = line.map { "\(file):\($0)" } ?? file
                let what = section.isEmpty ? "keys outside any section" : "unknown section [\(section)]"
                let hint =
                    section.isEmpty
                    ? "; put them under [dingtalk], [sync], [schedule], [alerts], [report] or [server]"
                    : Suggestion.nearest(to: section, among: sections).map { "; did you mean [\($0)]?" } ?? ""
                warnings.append((line ?? 0, "\(place): \(what)\(hint)"))
                continue
            }
            for (key, entry) in keys where !known.contains(key) {
                var hint = ""
                let homes = sections.filter { knownKeys[$0]!.contains(key) }
                if let nearest = Suggestion.nearest(to: key, among: known) {
                    hint = "; did you mean \(nearest)?"
                } else if !homes.isEmpty {
                    hint = "; it belongs in " + homes.map { "[\($0)]" }.joined(separator: " or ")
                }
                warnings.append((entry.line, "\(file):\(entry.line): unknown key \(section).\(key)\(hint)"))
            }
        }
        return warnings.sorted { $0.line < $1.line }.map { "leanstats: warning: \($0.text)" }
    }

    /// The octal mode of a file that group or others may access, `nil` when only the owner may.
    static func groupOrOtherMode(_ path: String) -> String? {
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & 0o077 != 0 else { return nil }
        return "0" + String(info.st_mode & 0o777, radix: 8)
    }
}

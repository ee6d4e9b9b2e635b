import Foundation

/// A parsed JSON object, read leniently: DingTalk sends numbers as JSON numbers or numeric strings and booleans as
/// booleans or `"true"` (`docs/dingtalk-api-notes.md` §1).
///
/// It wraps what `JSONSerialization` returns, which is never mutated after parsing; hence `@unchecked Sendable`.
struct JSONObject: @unchecked Sendable {
    /// The parsed object.
    let fields: [String: Any]
    /// The JSON text it was parsed from (empty for nested objects).
    let text: [UInt8]

    /// Parses a body; `nil` when it is not a JSON object.
    init?(_ bytes: [UInt8]) {
        guard !bytes.isEmpty,
            let object = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any]
        else { return nil }
        fields = object
        text = bytes
    }

    /// Wraps a nested object.
    init(fields: [String: Any]) {
        self.fields = fields
        self.text = []
    }

    /// A nested object.
    func object(_ key: String) -> JSONObject? {
        (fields[key] as? [String: Any]).map(JSONObject.init(fields:))
    }

    /// A value as text: strings as they are, numbers in decimal; `nil` for absent, null or other values.
    func text(_ key: String) -> String? {
        Self.text(fields[key])
    }

    /// A whole number given as a JSON number or a numeric string.
    func integer(_ key: String) -> Int64? {
        Self.integer(fields[key])
    }

    /// An array of strings (numbers become text); `nil` when absent or not an array.
    func strings(_ key: String) -> [String]? {
        (fields[key] as? [Any]).map { $0.compactMap(Self.text) }
    }

    /// Whether the object has a non-null value for a key.
    func has(_ key: String) -> Bool {
        fields[key] != nil && !(fields[key] is NSNull)
    }

    static func text(_ value: Any?) -> String? {
        if let string = value as? String { return string }
        if let number = value as? NSNumber {
            if let integer = integer(number) { return String(integer) }
            return number.stringValue
        }
        return nil
    }

    static func integer(_ value: Any?) -> Int64? {
        if let string = value as? String { return Int64(string.trimmingCharacters(in: .whitespaces)) }
        if let number = value as? NSNumber {
            let double = number.doubleValue
            guard double.rounded() == double, abs(double) < 9.2e18 else { return nil }
            return number.int64Value
        }
        return nil
    }

    /// Serialises a JSON-compatible value (for request bodies).
    static func encode(_ object: [String: Any]) -> [UInt8] {
        Array((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8))
    }
}

import Foundation
import LeanStatsCore

extension DingTalkInstanceDecoder {
    /// Turns one entry of `form_component_values` / `formComponentValues` into a form field.
    ///
    /// Entries without a name (`TextNote`, the top entry of a `DDBizSuite`) and entries without a value are
    /// dropped. Select fields carry their label (from `extValue` when `value` is absent); multi-select fields carry
    /// their labels joined with `,`; every other type keeps its value text as DingTalk wrote it.
    /// - Parameter component: One component object.
    /// - Returns: The field, or `nil` when the entry has no name or no value.
    static func formField(_ component: [String: Any]) -> FormField? {
        guard let name = lookup(component, ["name"]).flatMap({ presentText($0.value) }) else { return nil }
        let type = lookup(component, ["component_type", "componentType"]).flatMap { text($0.value) }
        let rawValue = lookup(component, ["value"])?.value
        let value = rawValue.flatMap(presentText) ?? rawValue.flatMap(jsonText)
        let extValue = lookup(component, ["ext_value", "extValue"])?.value
        let resolved: String?
        switch type {
        case "DDSelectField":
            resolved = value ?? extValue.flatMap { labels(in: $0) }?.first
        case "DDMultiSelectField":
            resolved =
                (rawValue.flatMap { labels(in: $0) } ?? extValue.flatMap { labels(in: $0) })
                .map { $0.joined(separator: ",") } ?? value
        default:
            resolved = value
        }
        guard let resolved, !resolved.isEmpty, resolved != "null" else { return nil }
        return FormField(name: name, value: resolved)
    }

    /// The option labels in a select value: a label object, an array of labels or label objects, or such JSON
    /// written into a string; empty for an empty array. `nil` when the value is none of these.
    private static func labels(in value: Any) -> [String]? {
        var decoded = value
        if let string = value as? String {
            guard let first = string.utf8.first(where: { $0 != UInt8(ascii: " ") }),
                first == UInt8(ascii: "[") || first == UInt8(ascii: "{"),
                let object = try? JSONSerialization.jsonObject(with: Data(string.utf8))
            else { return nil }
            decoded = object
        }
        func label(_ item: Any) -> String? {
            if let object = item as? [String: Any] {
                return lookup(object, ["label", "value"]).flatMap { presentText($0.value) }
            }
            return presentText(item)
        }
        if let object = decoded as? [String: Any] { return label(object).map { [$0] } }
        guard let items = decoded as? [Any] else { return nil }
        return items.compactMap(label)
    }

    /// An array or object value (some exports keep tables and attachments as JSON, not as JSON text) as compact
    /// JSON text.
    private static func jsonText(_ value: Any) -> String? {
        guard value is [Any] || value is [String: Any],
            let data = try? JSONSerialization.data(withJSONObject: value, options: [.withoutEscapingSlashes])
        else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}

import Foundation

/// Department member counts from the DingTalk contacts directory, kept in the snapshot metadata so that
/// `participation_rate` can divide participants by headcount.
public enum DepartmentHeadcounts {
    /// The snapshot metadata key: a JSON object of department name → member count.
    public static let metadataKey = "contacts.dept_headcount"

    /// Reads the headcounts from snapshot metadata; empty when absent or malformed.
    public static func decode(from metadata: [String: String]) -> [String: Int] {
        guard let text = metadata[metadataKey], let data = text.data(using: .utf8),
            let object = try? JSONDecoder().decode([String: Int].self, from: data)
        else { return [:] }
        return object
    }

    /// Writes headcounts into snapshot metadata (sorted keys, so the same counts give the same bytes).
    public static func encode(_ headcounts: [String: Int], into metadata: inout [String: String]) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(headcounts) else { return }
        metadata[metadataKey] = String(decoding: data, as: UTF8.self)
    }
}

import LeanStatsCore

/// One change in a journal: upserted instances, removed instances or updated metadata keys.
public enum JournalEntry: Sendable, Equatable {
    /// Instances upserted in this order (a later copy of an instance id replaces an earlier one).
    case records([InstanceRecord])
    /// Metadata keys set to these values; keys not named keep theirs.
    case metadata([String: String])
    /// Instances removed by id (DingTalk deleted them); ids not stored are ignored.
    case removals([String])

    /// The record kind byte in the journal framing.
    var kind: UInt8 {
        switch self {
        case .records: JournalLayout.recordsKind
        case .metadata: JournalLayout.metadataKind
        case .removals: JournalLayout.removalsKind
        }
    }

    /// The payload bytes (docs/journal-format.md, "Payloads").
    func encodedPayload() -> [UInt8] {
        var encoder = JournalEncoder()
        switch self {
        case .records(let records):
            encoder.varint(UInt64(records.count))
            for record in records { encoder.record(record) }
        case .metadata(let values):
            encoder.varint(UInt64(values.count))
            for key in values.keys.sorted() {
                encoder.string(key)
                encoder.string(values[key]!)
            }
        case .removals(let ids):
            encoder.varint(UInt64(ids.count))
            for id in ids { encoder.string(id) }
        }
        return encoder.bytes
    }

    /// Decodes a payload whose checksum already matched.
    /// - Throws: ``SnapshotError`` with code `.malformedJournal` when the bytes do not decode as the kind says.
    static func decode(kind: UInt8, payload: ArraySlice<UInt8>) throws(SnapshotError) -> JournalEntry {
        var decoder = JournalDecoder(bytes: payload)
        switch kind {
        case JournalLayout.recordsKind:
            let count = try decoder.count()
            var records: [InstanceRecord] = []
            records.reserveCapacity(count)
            for _ in 0..<count { records.append(try decoder.record()) }
            try decoder.finish()
            return .records(records)
        case JournalLayout.metadataKind:
            let count = try decoder.count()
            var values: [String: String] = [:]
            for _ in 0..<count {
                let key = try decoder.string()
                values[key] = try decoder.string()
            }
            try decoder.finish()
            return .metadata(values)
        case JournalLayout.removalsKind:
            let count = try decoder.count()
            var ids: [String] = []
            ids.reserveCapacity(count)
            for _ in 0..<count { ids.append(try decoder.string()) }
            try decoder.finish()
            return .removals(ids)
        default:
            throw SnapshotError(.malformedJournal, message: "unknown journal record kind \(kind)")
        }
    }
}

/// Writes the journal's payload encoding: LEB128 varints, zigzag times, length-prefixed UTF-8.
struct JournalEncoder {
    var bytes: [UInt8] = []

    mutating func varint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    mutating func signed(_ value: Int64) {
        varint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    mutating func string(_ value: String) {
        var value = value
        value.withUTF8 { utf8 in
            varint(UInt64(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    /// `nil` as 0, a string as its byte count + 1 and its bytes.
    mutating func optional(_ value: String?) {
        guard var value else { return bytes.append(0) }
        value.withUTF8 { utf8 in
            varint(UInt64(utf8.count) + 1)
            bytes.append(contentsOf: utf8)
        }
    }

    mutating func record(_ record: InstanceRecord) {
        string(record.instanceId)
        optional(record.businessId)
        optional(record.title)
        signed(record.createTime)
        if let finish = record.finishTime {
            bytes.append(1)
            signed(finish)
        } else {
            bytes.append(0)
        }
        bytes.append(record.status?.rawValue ?? 0)
        bytes.append(record.result?.rawValue ?? 0)
        optional(record.originatorUserId)
        optional(record.originatorUserName)
        optional(record.originatorDeptId)
        optional(record.originatorDeptName)
        varint(UInt64(record.formFields.count))
        for field in record.formFields {
            string(field.name)
            string(field.value)
        }
    }
}

/// Reads what ``JournalEncoder`` wrote, refusing anything out of bounds.
struct JournalDecoder {
    let bytes: ArraySlice<UInt8>
    var position: Int

    init(bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        position = bytes.startIndex
    }

    private func malformed(_ what: String) -> SnapshotError {
        SnapshotError(.malformedJournal, message: "journal record payload is malformed (\(what))")
    }

    mutating func byte() throws(SnapshotError) -> UInt8 {
        guard position < bytes.endIndex else { throw malformed("ends early") }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func varint() throws(SnapshotError) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let next = try byte()
            guard shift < 64 else { throw malformed("varint too long") }
            value |= UInt64(next & 0x7F) << shift
            if next < 0x80 { return value }
            shift += 7
        }
    }

    /// A count that cannot exceed the bytes left (every element takes at least one byte).
    mutating func count() throws(SnapshotError) -> Int {
        let value = try varint()
        guard value <= UInt64(bytes.endIndex - position) else { throw malformed("count \(value) too large") }
        return Int(value)
    }

    mutating func signed() throws(SnapshotError) -> Int64 {
        let raw = try varint()
        return Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1)
    }

    private mutating func text(length: Int) throws(SnapshotError) -> String {
        guard length <= bytes.endIndex - position else { throw malformed("string overruns the record") }
        defer { position += length }
        guard let value = String(validating: bytes[position..<position + length], as: UTF8.self) else {
            throw malformed("string is not UTF-8")
        }
        return value
    }

    mutating func string() throws(SnapshotError) -> String {
        try text(length: try count())
    }

    mutating func optional() throws(SnapshotError) -> String? {
        let marker = try varint()
        if marker == 0 { return nil }
        guard marker - 1 <= UInt64(bytes.endIndex - position) else { throw malformed("string overruns the record") }
        return try text(length: Int(marker - 1))
    }

    mutating func record() throws(SnapshotError) -> InstanceRecord {
        let instanceId = try string()
        let businessId = try optional()
        let title = try optional()
        let createTime = try signed()
        let finishTime: Int64?
        switch try byte() {
        case 0: finishTime = nil
        case 1: finishTime = try signed()
        default: throw malformed("bad finish-time flag")
        }
        let statusCode = try byte()
        let resultCode = try byte()
        guard statusCode == 0 || InstanceStatus(rawValue: statusCode) != nil,
            resultCode == 0 || InstanceResult(rawValue: resultCode) != nil
        else { throw malformed("unknown status or result code") }
        let userId = try optional()
        let userName = try optional()
        let deptId = try optional()
        let deptName = try optional()
        let fieldCount = try count()
        var fields: [FormField] = []
        fields.reserveCapacity(fieldCount)
        for _ in 0..<fieldCount {
            let name = try string()
            fields.append(FormField(name: name, value: try string()))
        }
        return InstanceRecord(
            instanceId: instanceId,
            businessId: businessId,
            title: title,
            createTime: createTime,
            finishTime: finishTime,
            status: InstanceStatus(rawValue: statusCode),
            result: InstanceResult(rawValue: resultCode),
            originatorUserId: userId,
            originatorUserName: userName,
            originatorDeptId: deptId,
            originatorDeptName: deptName,
            formFields: fields
        )
    }

    func finish() throws(SnapshotError) {
        guard position == bytes.endIndex else { throw malformed("\(bytes.endIndex - position) bytes left over") }
    }
}

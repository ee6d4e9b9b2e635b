import LeanStatsCore

/// A `ding_form_component_values` row waiting for the join.
struct PendingFormValue {
    var businessId: String
    var name: String
    /// `nil` when the row's value is missing: it still counts for the orphan count but sets nothing.
    var value: String?
}

/// What the files of one import command have given so far.
struct ImportAccumulator {
    var records: [InstanceRecord] = []
    var issues: [ImportIssue] = []
    var formValues: [PendingFormValue] = []
    /// Indices into `records` of the instances read from `ding_process_instances` files; only they join form
    /// values (JSON instances carry their own form).
    var joinableRecords: [Int] = []
    var instanceTables = 0
    var firstFormValuesFile: String?

    /// Attaches the form values to their instances and returns the batch.
    ///
    /// Form values attach in file order; a later value for the same component name replaces an earlier one in
    /// its place. Every copy of an instance with the business id gets the value.
    /// - Complexity: O(r + f·k) for r records, f form rows and k fields per instance.
    consuming func joined() -> ImportBatch {
        guard !formValues.isEmpty else { return ImportBatch(records: records, issues: issues, orphanFormValues: 0) }
        var firstRecord: [String: Int] = [:]
        var laterRecords: [String: [Int]] = [:]
        firstRecord.reserveCapacity(joinableRecords.count)
        for index in joinableRecords {
            guard let businessId = records[index].businessId else { continue }
            if firstRecord[businessId] == nil {
                firstRecord[businessId] = index
            } else {
                laterRecords[businessId, default: []].append(index)
            }
        }
        var orphans = 0
        for row in formValues {
            guard let first = firstRecord[row.businessId] else {
                orphans += 1
                continue
            }
            guard let value = row.value else { continue }
            Self.set(row.name, value, in: &records[first])
            for index in laterRecords[row.businessId] ?? [] {
                Self.set(row.name, value, in: &records[index])
            }
        }
        return ImportBatch(records: records, issues: issues, orphanFormValues: orphans)
    }

    private static func set(_ name: String, _ value: String, in record: inout InstanceRecord) {
        if let position = record.formFields.firstIndex(where: { $0.name == name }) {
            record.formFields[position].value = value
        } else {
            record.formFields.append(FormField(name: name, value: value))
        }
    }
}

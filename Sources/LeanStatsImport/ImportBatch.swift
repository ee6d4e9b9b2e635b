import LeanStatsCore

/// Everything one import command read: the good rows, the bad rows and how many form values had no instance.
public struct ImportBatch: Sendable {
    /// The instances in file order, as columns; a later copy of an instance id comes later and should replace the
    /// earlier one (``LeanStatsCore/InstanceTable/upserting(_:sharingIndexes:)`` does). The rows are not sorted by creation time.
    public var rows: InstanceTable
    /// The rows that could not be read, in file order.
    public var issues: [ImportIssue]
    /// The number of `ding_form_component_values` rows whose `business_id` matches no instance in the files.
    public var orphanFormValues: Int

    /// Creates a batch.
    /// - Parameters:
    ///   - rows: The instances in file order.
    ///   - issues: The rows that could not be read.
    ///   - orphanFormValues: The number of form rows without an instance.
    public init(rows: InstanceTable = .empty, issues: [ImportIssue] = [], orphanFormValues: Int = 0) {
        self.rows = rows
        self.issues = issues
        self.orphanFormValues = orphanFormValues
    }

    /// The instances in file order, one record each (form fields in column order).
    /// - Complexity: O(n · columns); builds every string, so meant for small batches and tests.
    public var records: [InstanceRecord] {
        (0..<rows.rowCount).map(rows.record(at:))
    }
}

import LeanStatsCore

/// Everything one import command read: the good records, the bad rows and how many form values had no instance.
public struct ImportBatch: Sendable {
    /// The instances in file order; a later copy of an instance id comes later and should replace the earlier one.
    public var records: [InstanceRecord]
    /// The rows that could not be read, in file order.
    public var issues: [ImportIssue]
    /// The number of `ding_form_component_values` rows whose `business_id` matches no instance in the files.
    public var orphanFormValues: Int

    /// Creates a batch.
    /// - Parameters:
    ///   - records: The instances in file order.
    ///   - issues: The rows that could not be read.
    ///   - orphanFormValues: The number of form rows without an instance.
    public init(records: [InstanceRecord] = [], issues: [ImportIssue] = [], orphanFormValues: Int = 0) {
        self.records = records
        self.issues = issues
        self.orphanFormValues = orphanFormValues
    }
}

/// Which of the original system's tables a CSV/TSV file holds, and where its columns are.
///
/// Columns are found by header name (case and surrounding white space ignored), so their order is free and extra
/// columns are ignored.
enum DelimitedTable {
    /// `ding_process_instances`.
    case instances(InstanceColumns)
    /// `ding_form_component_values`.
    case formValues(FormValueColumns)

    /// Recognises a header.
    /// - Parameter header: The header fields as written.
    /// - Returns: The table, or `nil` when the header fits neither.
    init?(header: [String]) {
        let names = header.map { $0.trimmingWhitespace().lowercased() }
        func column(_ name: String) -> Int? { names.firstIndex(of: name) }
        if let businessId = column("business_id"), let name = column("component_name"), let value = column("value_text")
        {
            self = .formValues(FormValueColumns(businessId: businessId, componentName: name, valueText: value))
            return
        }
        let columns = InstanceColumns(
            businessId: column("business_id"),
            processInstanceId: column("process_instance_id"),
            title: column("title"),
            createTime: column("create_time"),
            finishTime: column("finish_time"),
            status: column("status"),
            result: column("result"),
            originatorUserId: column("originator_user_id") ?? column("originator_userid"),
            originatorUserName: column("originator_user_name"),
            originatorDeptId: column("originator_dept_id"),
            originatorDeptName: column("originator_dept_name")
        )
        guard columns.businessId != nil || columns.processInstanceId != nil, columns.createTime != nil else {
            return nil
        }
        self = .instances(columns)
    }
}

/// The positions of the `ding_process_instances` columns in a file; `nil` for a column the file lacks.
struct InstanceColumns {
    var businessId: Int?
    var processInstanceId: Int?
    var title: Int?
    var createTime: Int?
    var finishTime: Int?
    var status: Int?
    var result: Int?
    var originatorUserId: Int?
    var originatorUserName: Int?
    var originatorDeptId: Int?
    var originatorDeptName: Int?
}

/// The positions of the `ding_form_component_values` columns in a file.
struct FormValueColumns {
    var businessId: Int
    var componentName: Int
    var valueText: Int
}

extension String {
    /// The text without leading and trailing spaces, tabs and line breaks.
    func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[first...last])
    }
}

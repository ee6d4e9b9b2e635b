/// The in-memory store: one row per approval instance, in typed contiguous columns, ordered by creation time.
///
/// Text columns are dictionary-encoded (``DictionaryColumn``); status and result are one-byte codes
/// (``InstanceStatus`` / ``InstanceResult`` raw values, 0 = missing); times are Unix seconds with
/// ``InstanceTable/missingTime`` for an absent finish time. Rows are sorted by `createTime` (ties keep
/// insertion order), so a period is a row range found by binary search.
///
/// Instance ids, business ids, titles and form fields may be ``DeferredColumn``s that decode on first use; read
/// such a property once before a loop over rows (`let titles = table.title`), not once per row.
public struct InstanceTable: Sendable, Equatable {
    /// The value stored in `finishTime` for an instance that has not finished.
    public static let missingTime = Int64.min

    /// Creation times, ascending; decoded again on first use when released (see ``releaseDecodedColumns()``).
    public var createTime: TimeColumn { createTimeStorage.column }
    /// Finish times, ``missingTime`` while open; decoded again on first use when released.
    public var finishTime: TimeColumn { finishTimeStorage.column }
    /// ``InstanceStatus`` raw values, 0 when unknown.
    public let status: [UInt8]
    /// ``InstanceResult`` raw values, 0 when none.
    public let result: [UInt8]
    /// Process instance ids (unique per row), decoded on first use when loaded lazily.
    public var instanceId: DictionaryColumn { instanceIdStorage.column }
    /// Business ids (审批编号), decoded on first use when loaded lazily.
    public var businessId: DictionaryColumn { businessIdStorage.column }
    /// Titles, decoded on first use when loaded lazily.
    public var title: DictionaryColumn { titleStorage.column }
    /// Originator user ids.
    public let userId: DictionaryColumn
    /// Originator names as recorded on each instance.
    public let userName: DictionaryColumn
    /// Originator department ids.
    public let deptId: DictionaryColumn
    /// Originator department names.
    public let deptName: DictionaryColumn
    /// Every form field seen, in order of first appearance.
    public let formFields: [FormFieldColumn]
    private let instanceIdStorage: DeferredColumn
    private let businessIdStorage: DeferredColumn
    private let titleStorage: DeferredColumn
    private let createTimeStorage: DeferredTimes
    private let finishTimeStorage: DeferredTimes
    /// The earliest and latest creation time, `nil` when empty; known without decoding the times.
    public let createTimeBounds: ClosedRange<Int64>?
    /// The table's place among the tables it was upserted from and into (see ``UpsertLineage``), set on first
    /// upsert.
    let upsertMembership = Locked<UpsertLineage.Membership?>(nil)

    /// The number of instances.
    public var rowCount: Int { createTimeStorage.rowCount }

    /// A table without rows.
    public static let empty = InstanceTable(
        createTime: [],
        finishTime: [],
        status: [],
        result: [],
        instanceId: .emptyColumn,
        businessId: .emptyColumn,
        title: .emptyColumn,
        userId: .emptyColumn,
        userName: .emptyColumn,
        deptId: .emptyColumn,
        deptName: .emptyColumn,
        formFields: []
    )

    /// Creates a table from columns that all have the same row count and are sorted by `createTime`.
    /// - Throws: ``TableError`` when the columns disagree in length, are unsorted or hold out-of-range codes.
    public init(
        createTime: [Int64],
        finishTime: [Int64],
        status: [UInt8],
        result: [UInt8],
        instanceId: DictionaryColumn,
        businessId: DictionaryColumn,
        title: DictionaryColumn,
        userId: DictionaryColumn,
        userName: DictionaryColumn,
        deptId: DictionaryColumn,
        deptName: DictionaryColumn,
        formFields: [FormFieldColumn],
        validate: Bool
    ) throws(TableError) {
        try self.init(
            createTime: createTime,
            finishTime: finishTime,
            status: status,
            result: result,
            instanceId: DeferredColumn(instanceId),
            businessId: DeferredColumn(businessId),
            title: DeferredColumn(title),
            userId: userId,
            userName: userName,
            deptId: deptId,
            deptName: deptName,
            formFields: formFields,
            validate: validate
        )
    }

    /// Creates a table whose instance ids, business ids and titles may be decoded on first use.
    ///
    /// Validation checks the row count of a column that is not decoded yet; whoever decodes it checks the rest.
    /// - Throws: ``TableError`` when the columns disagree in length, are unsorted or hold out-of-range codes.
    public init(
        createTime: [Int64],
        finishTime: [Int64],
        status: [UInt8],
        result: [UInt8],
        instanceId: DeferredColumn,
        businessId: DeferredColumn,
        title: DeferredColumn,
        userId: DictionaryColumn,
        userName: DictionaryColumn,
        deptId: DictionaryColumn,
        deptName: DictionaryColumn,
        formFields: [FormFieldColumn],
        validate: Bool
    ) throws(TableError) {
        try self.init(
            createTime: DeferredTimes(TimeColumn(createTime)),
            finishTime: DeferredTimes(TimeColumn(finishTime)),
            status: status,
            result: result,
            instanceId: instanceId,
            businessId: businessId,
            title: title,
            userId: userId,
            userName: userName,
            deptId: deptId,
            deptName: deptName,
            formFields: formFields,
            validate: validate
        )
    }

    /// Creates a table whose times may be released and decoded again, and whose instance ids, business ids and
    /// titles may be decoded on first use.
    /// - Throws: ``TableError`` when the columns disagree in length, are unsorted or hold out-of-range codes.
    public init(
        createTime: DeferredTimes,
        finishTime: DeferredTimes,
        status: [UInt8],
        result: [UInt8],
        instanceId: DeferredColumn,
        businessId: DeferredColumn,
        title: DeferredColumn,
        userId: DictionaryColumn,
        userName: DictionaryColumn,
        deptId: DictionaryColumn,
        deptName: DictionaryColumn,
        formFields: [FormFieldColumn],
        validate: Bool
    ) throws(TableError) {
        self.createTimeStorage = createTime
        self.finishTimeStorage = finishTime
        self.createTimeBounds = Self.bounds(of: createTime.column)
        self.status = status
        self.result = result
        self.instanceIdStorage = instanceId
        self.businessIdStorage = businessId
        self.titleStorage = title
        self.userId = userId
        self.userName = userName
        self.deptId = deptId
        self.deptName = deptName
        self.formFields = formFields
        if validate { try self.validate() }
    }

    init(
        createTime: TimeColumn,
        finishTime: TimeColumn,
        status: [UInt8],
        result: [UInt8],
        instanceId: DictionaryColumn,
        businessId: DictionaryColumn,
        title: DictionaryColumn,
        userId: DictionaryColumn,
        userName: DictionaryColumn,
        deptId: DictionaryColumn,
        deptName: DictionaryColumn,
        formFields: [FormFieldColumn]
    ) {
        self.createTimeStorage = DeferredTimes(createTime)
        self.finishTimeStorage = DeferredTimes(finishTime)
        self.createTimeBounds = Self.bounds(of: createTime)
        self.status = status
        self.result = result
        self.instanceIdStorage = DeferredColumn(instanceId)
        self.businessIdStorage = DeferredColumn(businessId)
        self.titleStorage = DeferredColumn(title)
        self.userId = userId
        self.userName = userName
        self.deptId = deptId
        self.deptName = deptName
        self.formFields = formFields
    }

    /// Creates a table whose seven fixed text columns come in stored order: instance id, business id, title, user
    /// id, user name, dept id, dept name (the order of ``namedTextColumns``).
    init(
        createTime: TimeColumn,
        finishTime: TimeColumn,
        status: [UInt8],
        result: [UInt8],
        textColumns columns: [DictionaryColumn],
        formFields: [FormFieldColumn]
    ) {
        precondition(columns.count == 7, "a table has seven fixed text columns")
        self.init(
            createTime: createTime,
            finishTime: finishTime,
            status: status,
            result: result,
            instanceId: columns[0],
            businessId: columns[1],
            title: columns[2],
            userId: columns[3],
            userName: columns[4],
            deptId: columns[5],
            deptName: columns[6],
            formFields: formFields
        )
    }

    public static func == (lhs: InstanceTable, rhs: InstanceTable) -> Bool {
        lhs.createTime == rhs.createTime && lhs.finishTime == rhs.finishTime && lhs.status == rhs.status
            && lhs.result == rhs.result && lhs.userId == rhs.userId && lhs.userName == rhs.userName
            && lhs.deptId == rhs.deptId && lhs.deptName == rhs.deptName && lhs.formFields == rhs.formFields
            && lhs.instanceId == rhs.instanceId && lhs.businessId == rhs.businessId && lhs.title == rhs.title
    }

    /// All dictionary columns with their stored names, for the snapshot writer and `describe`; decodes every
    /// deferred column.
    public var namedTextColumns: [(name: String, column: DictionaryColumn)] {
        Array(zip(Self.textColumnNames(formNames: formFields.map(\.name)), fixedTextColumns + formFields.map(\.column)))
    }

    /// The seven fixed text columns in stored order (instance id, business id, title, user id, user name, dept id,
    /// dept name); decodes the deferred ones.
    var fixedTextColumns: [DictionaryColumn] { [instanceId, businessId, title, userId, userName, deptId, deptName] }

    /// The stored names of the text columns of a table with the given form fields, in ``namedTextColumns`` order.
    static func textColumnNames(formNames: [String]) -> [String] {
        ["instance_id", "business_id", "title", "user_id", "user_name", "dept_id", "dept_name"]
            + formNames.map { "form:" + $0 }
    }

    /// The column of a form field, if any instance has it.
    public func formColumn(named name: String) -> DictionaryColumn? {
        formFields.first(where: { $0.name == name })?.column
    }

    /// The `提案类别` column, if any instance has one.
    public var category: DictionaryColumn? { formColumn(named: categoryFieldName) }

    /// The row of an instance as a record.
    /// - Complexity: O(form fields); decodes deferred columns on the first call.
    public func record(at row: Int) -> InstanceRecord {
        InstanceRecord(
            instanceId: instanceId[row] ?? "",
            businessId: businessId[row],
            title: title[row],
            createTime: createTime[row],
            finishTime: finishTime[row] == Self.missingTime ? nil : finishTime[row],
            status: InstanceStatus(rawValue: status[row]),
            result: InstanceResult(rawValue: result[row]),
            originatorUserId: userId[row],
            originatorUserName: userName[row],
            originatorDeptId: deptId[row],
            originatorDeptName: deptName[row],
            formFields: formFields.compactMap { field in
                field.column[row].map { FormField(name: field.name, value: $0) }
            }
        )
    }

    /// The first and last of ascending creation times, `nil` when there are none.
    private static func bounds(of times: TimeColumn) -> ClosedRange<Int64>? {
        guard let first = times.first, let last = times.last, first <= last else { return nil }
        return first...last
    }

    /// Frees the creation and finish times, and the columns decoded at load only to check them (the benefit
    /// field), where a snapshot file can decode them again; the next reader of one decodes it. For a long-lived
    /// process whose statistics engine has derived what it reads from them.
    public func releaseDecodedColumns() {
        createTimeStorage.release()
        finishTimeStorage.release()
        for field in formFields { field.storage.release() }
    }

    /// Whether the creation and finish times are in memory now.
    public var timesAreInMemory: Bool { createTimeStorage.isInMemory && finishTimeStorage.isInMemory }

    /// Checks the invariants that the statistics rely on; a deferred column that is not decoded yet is checked
    /// only for its row count.
    /// - Throws: ``TableError`` naming the first broken invariant.
    /// - Complexity: O(n · columns).
    public func validate() throws(TableError) {
        let rows = rowCount
        func check(_ name: String, _ count: Int) throws(TableError) {
            if count != rows { throw TableError.lengthMismatch(column: name, expected: rows, found: count) }
        }
        try check("finish_time", finishTime.count)
        try check("status", status.count)
        try check("result", result.count)
        let eager = [("user_id", userId), ("user_name", userName), ("dept_id", deptId), ("dept_name", deptName)]
        for (name, column) in eager { try column.validate(name: name, rows: rows) }
        let deferred =
            [("instance_id", instanceIdStorage), ("business_id", businessIdStorage), ("title", titleStorage)]
            + formFields.map { ("form:" + $0.name, $0.storage) }
        for (name, storage) in deferred {
            if let column = storage.columnIfDecoded {
                try column.validate(name: name, rows: rows)
            } else {
                try check(name, storage.rowCount)
            }
        }
        if let row = firstUnsortedRow() { throw TableError.unsorted(row: row) }
        if (status.max() ?? 0) > 5, let row = status.firstIndex(where: { $0 > 5 }) {
            throw TableError.codeOutOfRange(column: "status", row: row)
        }
        if (result.max() ?? 0) > 2, let row = result.firstIndex(where: { $0 > 2 }) {
            throw TableError.codeOutOfRange(column: "result", row: row)
        }
    }
}

extension InstanceTable {
    /// The first row created before the row above it, `nil` when the rows are in order.
    func firstUnsortedRow() -> Int? {
        createTime.withTimeBuffer { times in
            var previous = Int64.min
            for row in 0..<times.count {
                if times[row] < previous { return row }
                previous = times[row]
            }
            return nil
        }
    }
}

/// A broken table invariant, found when columns are read back from disk.
public enum TableError: Error, Sendable, Equatable, CustomStringConvertible {
    case lengthMismatch(column: String, expected: Int, found: Int)
    case malformedDictionary(column: String)
    case codeOutOfRange(column: String, row: Int)
    case unsorted(row: Int)

    public var description: String {
        switch self {
        case .lengthMismatch(let column, let expected, let found):
            "column '\(column)' has \(found) rows, expected \(expected)"
        case .malformedDictionary(let column):
            "the dictionary of column '\(column)' is malformed"
        case .codeOutOfRange(let column, let row):
            "column '\(column)' holds an out-of-range code at row \(row)"
        case .unsorted(let row):
            "rows are not ordered by create time at row \(row)"
        }
    }
}

extension DictionaryColumn {
    /// A column with no rows and an empty dictionary.
    public static let emptyColumn = DictionaryColumn(dictionary: StringDictionary(), codes: .u8([]))

    /// Checks that the column has `rows` codes, a well-formed dictionary and no code beyond it.
    /// - Parameters:
    ///   - name: the column's stored name, for the error.
    ///   - rows: the table's row count.
    /// - Throws: ``TableError`` naming the column.
    /// - Complexity: O(n), vectorised when every code is in range.
    public func validate(name: String, rows: Int) throws(TableError) {
        if codes.count != rows { throw TableError.lengthMismatch(column: name, expected: rows, found: codes.count) }
        guard dictionary.isWellFormed else { throw TableError.malformedDictionary(column: name) }
        let limit = UInt32(dictionary.count)
        if codes.maxCode >= limit, let row = (0..<rows).first(where: { codes[$0] >= limit }) {
            throw TableError.codeOutOfRange(column: name, row: row)
        }
    }
}

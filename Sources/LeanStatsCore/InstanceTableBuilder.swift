/// What an upsert did to the table.
public enum UpsertOutcome: Sendable, Equatable {
    /// The instance id was new.
    case inserted
    /// The instance existed and some field changed; the new copy replaced it.
    case updated
    /// The instance existed with exactly the same content.
    case unchanged
}

/// Accumulates instances, replacing earlier copies by instance id, and produces a sorted ``InstanceTable``.
///
/// Starting from an existing table keeps its dictionary codes, so building after a small import touches only the
/// new values.
public struct InstanceTableBuilder: Sendable {
    private var createTime: [Int64] = []
    private var finishTime: [Int64] = []
    private var status: [UInt8] = []
    private var result: [UInt8] = []
    private var text: [TextColumnBuilder]
    private var formNames: [String] = []
    private var formIndex: [String: Int] = [:]
    private var forms: [TextColumnBuilder] = []
    /// Row of each instance-id code, -1 for none.
    private var rowOfInstance: [Int] = []
    private var isSorted = true

    private static let instanceIdSlot = 0
    private static let textColumnCount = 7

    /// The number of rows so far.
    public var rowCount: Int { createTime.count }

    /// An empty builder.
    public init() {
        text = (0..<Self.textColumnCount).map { _ in TextColumnBuilder() }
    }

    /// A builder holding every row of `table`.
    /// - Complexity: O(n) plus hashing each distinct string once.
    public init(table: InstanceTable) {
        createTime = Array(table.createTime)
        finishTime = Array(table.finishTime)
        status = table.status
        result = table.result
        text = [
            table.instanceId, table.businessId, table.title, table.userId, table.userName, table.deptId,
            table.deptName,
        ].map(TextColumnBuilder.init)
        for field in table.formFields {
            formIndex[field.name] = forms.count
            formNames.append(field.name)
            forms.append(TextColumnBuilder(field.column))
        }
        rowOfInstance = Array(repeating: -1, count: table.instanceId.dictionary.count)
        for row in 0..<table.rowCount {
            rowOfInstance[Int(text[Self.instanceIdSlot].codes[row])] = row
        }
    }

    /// Adds an instance, or replaces the row with the same instance id.
    /// - Returns: whether the row was inserted, updated or already identical.
    @discardableResult
    public mutating func upsert(_ record: InstanceRecord) -> UpsertOutcome {
        let idCode = text[Self.instanceIdSlot].dictionary.intern(record.instanceId)
        if Int(idCode) >= rowOfInstance.count {
            rowOfInstance.append(contentsOf: repeatElement(-1, count: Int(idCode) + 1 - rowOfInstance.count))
        }
        let existing = rowOfInstance[Int(idCode)]
        let row: Int
        if existing >= 0 {
            if sameContent(row: existing, as: record) { return .unchanged }
            row = existing
        } else {
            row = rowCount
            rowOfInstance[Int(idCode)] = row
            createTime.append(0)
            finishTime.append(InstanceTable.missingTime)
            status.append(0)
            result.append(0)
            for index in text.indices { text[index].codes.append(0) }
            for index in forms.indices { forms[index].codes.append(0) }
        }
        if row > 0 && record.createTime < createTime[row - 1] { isSorted = false }
        if row + 1 < rowCount && record.createTime > createTime[row + 1] { isSorted = false }
        createTime[row] = record.createTime
        finishTime[row] = record.finishTime ?? InstanceTable.missingTime
        status[row] = record.status?.rawValue ?? 0
        result[row] = record.result?.rawValue ?? 0
        // Slot 0 (the instance id) is already interned above.
        text[0].codes[row] = idCode
        text[1].codes[row] = text[1].dictionary.intern(record.businessId)
        text[2].codes[row] = text[2].dictionary.intern(record.title)
        text[3].codes[row] = text[3].dictionary.intern(record.originatorUserId)
        text[4].codes[row] = text[4].dictionary.intern(record.originatorUserName)
        text[5].codes[row] = text[5].dictionary.intern(record.originatorDeptId)
        text[6].codes[row] = text[6].dictionary.intern(record.originatorDeptName)
        if existing >= 0 {
            for index in forms.indices { forms[index].codes[row] = 0 }
        }
        for (position, field) in record.formFields.enumerated() {
            // Records of one template list their fields in the same order: try the column of the same position.
            let index: Int
            if position < formNames.count && formNames[position] == field.name {
                index = position
            } else {
                index = formColumnIndex(field.name)
            }
            forms[index].codes[row] = forms[index].dictionary.intern(field.value)
        }
        return existing >= 0 ? .updated : .inserted
    }

    private mutating func formColumnIndex(_ name: String) -> Int {
        if let index = formIndex[name] { return index }
        formIndex[name] = forms.count
        formNames.append(name)
        var column = TextColumnBuilder()
        column.codes = Array(repeating: 0, count: rowCount)
        forms.append(column)
        return forms.count - 1
    }

    private func sameContent(row: Int, as record: InstanceRecord) -> Bool {
        guard createTime[row] == record.createTime,
            finishTime[row] == (record.finishTime ?? InstanceTable.missingTime),
            status[row] == (record.status?.rawValue ?? 0), result[row] == (record.result?.rawValue ?? 0)
        else { return false }
        let values = [
            record.instanceId, record.businessId, record.title, record.originatorUserId,
            record.originatorUserName, record.originatorDeptId, record.originatorDeptName,
        ]
        for (index, value) in values.enumerated() where text[index].value(at: row) != normalized(value) {
            return false
        }
        var expected: [String: String] = [:]
        for field in record.formFields where !field.value.isEmpty { expected[field.name] = field.value }
        var present = 0
        for (index, name) in formNames.enumerated() {
            let stored = forms[index].value(at: row)
            if stored != expected[name] { return false }
            if stored != nil { present += 1 }
        }
        return present == expected.count
    }

    /// The finished table, rows ordered by creation time (ties keep insertion order).
    /// - Complexity: O(n log n) when rows arrived out of order, O(n) otherwise.
    public func build() -> InstanceTable {
        var order = Array(0..<rowCount)
        if !isSorted {
            order.sort { (createTime[$0], $0) < (createTime[$1], $1) }
        }
        func gather<T>(_ column: [T]) -> [T] { isSorted ? column : order.map { column[$0] } }
        func finish(_ builder: TextColumnBuilder) -> DictionaryColumn {
            let dictionary = builder.dictionary.build()
            return DictionaryColumn(
                dictionary: dictionary,
                codes: CodeArray(gather(builder.codes), maxCode: dictionary.maxCode)
            )
        }
        let columns = text.map(finish)
        return InstanceTable(
            createTime: TimeColumn(gather(createTime)),
            finishTime: TimeColumn(gather(finishTime)),
            status: gather(status),
            result: gather(result),
            textColumns: columns,
            formFields: zip(formNames, forms).map { FormFieldColumn(name: $0, column: finish($1)) }
        )
    }
}

private func normalized(_ value: String?) -> String? {
    guard let value, !value.isEmpty else { return nil }
    return value
}

/// A text column under construction: a growing dictionary and 32-bit codes.
struct TextColumnBuilder: Sendable {
    var dictionary = StringDictionaryBuilder()
    var codes: [UInt32] = []

    init() {}

    init(_ column: DictionaryColumn) {
        dictionary = StringDictionaryBuilder(column.dictionary)
        codes = column.codes.widened()
    }

    func value(at row: Int) -> String? { dictionary[codes[row]] }
}

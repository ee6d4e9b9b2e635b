import Dispatch
import LeanStatsCore

/// What the files of one import command have given so far: parts of rows in file order, each with its own
/// dictionaries, and the bad rows.
struct ImportAccumulator {
    var instanceParts: [InstanceRowsPart] = []
    var formParts: [FormValuesPart] = []
    var issues: [ImportIssue] = []
    var instanceTables = 0
    var firstFormValuesFile: String?

    /// Merges the parts into one batch of rows and attaches the form values to their instances.
    ///
    /// Form values attach in file order; a later value for the same component name replaces an earlier one.
    /// Every copy of an instance with the business id gets the value; only instances from
    /// `ding_process_instances` files take form values (JSON instances carry their own form).
    ///
    /// Each part's share of a column is freed as soon as that column is merged, and the columns are merged a few
    /// at a time (the two id columns, the largest, alone), so the parts and the merged batch are held side by side
    /// only for the columns at hand, not in full.
    /// - Complexity: O(r + f) for r instance rows and f form rows, plus the dictionary merges.
    consuming func joined() -> ImportBatch {
        var timer = PhaseTimer()
        var parts = instanceParts
        instanceParts = []
        var formParts = self.formParts
        self.formParts = []
        let rowCount = parts.reduce(0) { $0 + $1.rowCount }
        var starts = [0]
        for part in parts { starts.append(starts[starts.count - 1] + part.rowCount) }

        // The seven text columns.
        let slotCount = InstanceRowsPart.Slot.allCases.count
        var textDictionaries = [StringDictionary](repeating: StringDictionary(), count: slotCount)
        var textCodes = [[UInt32]](repeating: [], count: slotCount)
        let groups: [[InstanceRowsPart.Slot]] = [
            [.instanceId], [.businessId], [.title, .userId, .userName, .deptId, .deptName],
        ]
        for group in groups {
            var sources = group.map { slot in parts.map { $0.text[slot.rawValue] } }
            for slot in group {
                for index in parts.indices { parts[index].text[slot.rawValue] = TextPart() }
            }
            var merged = [(dictionary: StringDictionary, codes: [UInt32])](
                repeating: (StringDictionary(), []),
                count: group.count
            )
            // The columns of a group are merged side by side: each merge has a serial part that the others overlap.
            sources.withUnsafeMutableBufferPointer { sources in
                merged.withUnsafeMutableBufferPointer { results in
                    let shared = UnsafeTransferValue((sources, results))
                    DispatchQueue.concurrentPerform(iterations: group.count) { index in
                        let (sources, results) = shared.value
                        results[index] = Self.merged(&sources[index], rowCount: rowCount)
                    }
                }
            }
            for (index, slot) in group.enumerated() {
                (textDictionaries[slot.rawValue], textCodes[slot.rawValue]) = merged[index]
            }
            FreedMemory.release()
        }
        timer.lap("join: text columns")

        let businessSlot = InstanceRowsPart.Slot.businessId.rawValue
        let businessMaps = FormBusinessJoin.maps(
            formParts.map(\.businessIds),
            dictionary: textDictionaries[businessSlot],
            rowCodes: textCodes[businessSlot]
        )
        for index in formParts.indices { formParts[index].businessIds = StringDictionaryBuilder() }
        FreedMemory.release()
        timer.lap("join: form business ids")
        // Form columns: the form files' component names first, then the JSON instances' own fields.
        var formNames: [String] = []
        var formIndex: [String: Int] = [:]
        func column(_ name: String) -> Int {
            if let index = formIndex[name] { return index }
            formIndex[name] = formNames.count
            formNames.append(name)
            return formNames.count - 1
        }
        let nameColumns = formParts.map { part in
            let names = part.names.build()
            return [-1] + (1..<names.count).map { column(names[UInt32($0)]!) }
        }
        let ownColumns = parts.map { part in part.forms.map { column($0.name) } }
        var formSources = [[FormSource]](repeating: [], count: formNames.count)
        for (index, part) in parts.enumerated() {
            for position in part.forms.indices {
                formSources[ownColumns[index][position]].append(.own(index, position))
            }
        }
        for (index, part) in formParts.enumerated() {
            for code in 1..<part.values.count {
                formSources[nameColumns[index][code]].append(.joined(index, code))
            }
        }
        // One form column at a time, its sources' dictionaries freed once merged.
        var formDictionaries: [StringDictionary] = []
        var formMaps: [[[UInt32]]] = []
        for sources in formSources {
            let union = DictionaryUnion(
                base: StringDictionary(),
                builders: sources.map { source in
                    switch source {
                    case .own(let index, let field): parts[index].forms[field].values.dictionary
                    case .joined(let index, let code): formParts[index].values[code]
                    }
                }
            )
            for source in sources {
                switch source {
                case .own(let index, let field): parts[index].forms[field].values.dictionary = StringDictionaryBuilder()
                case .joined(let index, let code): formParts[index].values[code] = StringDictionaryBuilder()
                }
            }
            formDictionaries.append(union.dictionary)
            formMaps.append(union.maps)
        }
        FreedMemory.release()

        timer.lap("join: form unions")
        // The rows each business id reaches: the first joinable row, and the later copies.
        var firstRow = [Int32](repeating: -1, count: textDictionaries[businessSlot].count)
        var laterRows: [Int: [Int]] = [:]
        for (index, part) in parts.enumerated() where part.joinable {
            for row in starts[index]..<starts[index + 1] {
                let code = Int(textCodes[businessSlot][row])
                guard code != 0 else { continue }
                if firstRow[code] < 0 {
                    firstRow[code] = Int32(row)
                } else {
                    laterRows[code, default: []].append(row)
                }
            }
        }
        // Every form column's codes in one buffer, column after column.
        var formCodes = [UInt32](repeating: 0, count: formNames.count * rowCount)
        for (column, sources) in formSources.enumerated() {
            for (position, source) in sources.enumerated() {
                guard case .own(let index, let field) = source else { continue }
                let map = formMaps[column][position]
                for (offset, local) in parts[index].forms[field].values.codes.enumerated() {
                    formCodes[column * rowCount + starts[index] + offset] = map[Int(local)]
                }
                parts[index].forms[field].values.codes = []
            }
        }
        // Where each form part's values land: (column, position of the source in that column) by name code.
        var valueMaps = formParts.map { part in
            [(column: Int, map: [UInt32])](repeating: (-1, []), count: part.values.count)
        }
        for (column, sources) in formSources.enumerated() {
            for (position, source) in sources.enumerated() {
                guard case .joined(let index, let code) = source else { continue }
                valueMaps[index][code] = (column, formMaps[column][position])
            }
        }
        formMaps = []
        let orphans = Self.joinFormValues(
            formParts,
            into: &formCodes,
            rowCount: rowCount,
            businessMaps: businessMaps,
            valueMaps: valueMaps,
            rows: (first: firstRow, later: laterRows)
        )
        formParts = []
        FreedMemory.release()
        timer.lap("join: form codes")
        func maxCode(_ dictionary: StringDictionary) -> UInt32 { UInt32(max(dictionary.count - 1, 0)) }
        var textColumns: [DictionaryColumn] = []
        for slot in textCodes.indices {
            let codes = CodeArray(textCodes[slot], maxCode: maxCode(textDictionaries[slot]))
            textCodes[slot] = []
            textColumns.append(DictionaryColumn(dictionary: textDictionaries[slot], codes: codes))
        }
        let formFields = formNames.indices.map { column in
            FormFieldColumn(
                name: formNames[column],
                column: DictionaryColumn(
                    dictionary: formDictionaries[column],
                    codes: CodeArray(
                        formCodes[(column * rowCount)..<((column + 1) * rowCount)],
                        maxCode: maxCode(formDictionaries[column])
                    )
                )
            )
        }
        formCodes = []
        /// One fixed-width column of every part, end to end, each part's share freed once copied.
        func concatenated<Value>(_ column: WritableKeyPath<InstanceRowsPart, [Value]>) -> [Value] {
            if parts.count == 1 { return parts[0][keyPath: column] }
            var values: [Value] = []
            values.reserveCapacity(rowCount)
            for index in parts.indices {
                values += parts[index][keyPath: column]
                parts[index][keyPath: column] = []
            }
            return values
        }
        // Without validation the initialiser cannot throw; the rows are a batch, not yet a sorted table.
        let rows = try! InstanceTable(
            createTime: concatenated(\.createTime),
            finishTime: concatenated(\.finishTime),
            status: concatenated(\.status),
            result: concatenated(\.result),
            instanceId: textColumns[0],
            businessId: textColumns[1],
            title: textColumns[2],
            userId: textColumns[3],
            userName: textColumns[4],
            deptId: textColumns[5],
            deptName: textColumns[6],
            formFields: formFields,
            validate: false
        )
        return ImportBatch(rows: rows, issues: issues, orphanFormValues: orphans)
    }

    /// One text column of every part merged: the union of the parts' dictionaries and the codes in it, end to end.
    /// The parts' dictionaries are freed once the union is built, and each part's codes once translated.
    private static func merged(_ parts: inout [TextPart], rowCount: Int) -> (StringDictionary, [UInt32]) {
        let union = DictionaryUnion(base: StringDictionary(), builders: parts.map(\.dictionary))
        var codes: [UInt32] = []
        codes.reserveCapacity(rowCount)
        for index in parts.indices { parts[index].dictionary = StringDictionaryBuilder() }
        for index in parts.indices {
            union.maps[index].withUnsafeBufferPointer { map in
                codes.append(contentsOf: parts[index].codes.lazy.map { map[Int($0)] })
            }
            parts[index].codes = []
        }
        return (union.dictionary, codes)
    }

    /// Writes the values of the form parts' rows into `codes` (one run of `rowCount` codes per form column) and
    /// returns the number of form rows whose business id no joinable instance has.
    ///
    /// A later row for the same instance and component name replaces an earlier one; every copy of an instance
    /// gets the value.
    private static func joinFormValues(
        _ formParts: [FormValuesPart],
        into codes: inout [UInt32],
        rowCount: Int,
        businessMaps: [[UInt32]],
        valueMaps: [[(column: Int, map: [UInt32])]],
        rows: (first: [Int32], later: [Int: [Int]])
    ) -> Int {
        var orphans = 0
        // Written without per-row bounds or uniqueness checks.
        codes.withUnsafeMutableBufferPointer { flat in
            rows.first.withUnsafeBufferPointer { firstRow in
                for (index, part) in formParts.enumerated() {
                    let targets = valueMaps[index].map { (offset: max($0.column, 0) * rowCount, map: $0.map) }
                    businessMaps[index].withUnsafeBufferPointer { businessMap in
                        for row in 0..<part.rowCount {
                            let business = Int(businessMap[Int(part.business[row])])
                            guard business != 0, firstRow[business] >= 0 else {
                                orphans += 1
                                continue
                            }
                            let local = part.value[row]
                            guard local != 0 else { continue }
                            let target = targets[Int(part.name[row])]
                            let code = target.map[Int(local)]
                            flat[target.offset + Int(firstRow[business])] = code
                            if !rows.later.isEmpty, let later = rows.later[business] {
                                for row in later { flat[target.offset + row] = code }
                            }
                        }
                    }
                }
            }
        }
        return orphans
    }

    /// Where the values of a form column come from.
    private enum FormSource {
        /// Field `field` of instance part `part`.
        case own(_ part: Int, _ field: Int)
        /// Component name `code` of form part `part`.
        case joined(_ part: Int, _ code: Int)
    }
}

/// Moves values the workers only read, or write at disjoint places, into a concurrent closure.
struct UnsafeTransferValue<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

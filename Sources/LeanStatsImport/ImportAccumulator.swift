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
    /// - Complexity: O(r + f) for r instance rows and f form rows, plus the dictionary merges.
    consuming func joined() -> ImportBatch {
        var timer = PhaseTimer()
        let parts = instanceParts
        let rowCount = parts.reduce(0) { $0 + $1.rowCount }
        var starts = [0]
        for part in parts { starts.append(starts[starts.count - 1] + part.rowCount) }

        // The seven text columns.
        let slots = InstanceRowsPart.Slot.allCases
        let own = slots.map { slot in parts.map { $0.text[slot.rawValue].dictionary } }
        // The columns are merged side by side: each merge has a serial part that the other can overlap.
        var merged = [DictionaryUnion?](repeating: nil, count: slots.count)
        merged.withUnsafeMutableBufferPointer { results in
            let shared = UnsafeTransferValue((results, own))
            DispatchQueue.concurrentPerform(iterations: slots.count) { index in
                let (results, own) = shared.value
                results[index] = DictionaryUnion(base: StringDictionary(), builders: own[index])
            }
        }
        let unions = merged.map { $0! }
        timer.lap("join: text unions")
        let text = Self.concatenated(
            slots.map { slot in parts.map { $0.text[slot.rawValue].codes } },
            maps: unions.map(\.maps),
            rowCount: rowCount
        )

        let businessMaps = FormBusinessJoin.maps(
            formParts.map(\.businessIds),
            dictionary: unions[1].dictionary,
            rowCodes: text[1]
        )
        timer.lap("join: text codes, form business ids")
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
        var formSources = [[(dictionary: StringDictionaryBuilder, origin: FormSource)]](
            repeating: [],
            count: formNames.count
        )
        for (index, part) in parts.enumerated() {
            for (position, field) in part.forms.enumerated() {
                formSources[ownColumns[index][position]].append(
                    (field.values.dictionary, .own(index, position))
                )
            }
        }
        for (index, part) in formParts.enumerated() {
            for code in 1..<part.values.count {
                formSources[nameColumns[index][code]].append((part.values[code], .joined(index, code)))
            }
        }
        let formUnions = formSources.map { sources in
            DictionaryUnion(base: StringDictionary(), builders: sources.map(\.dictionary))
        }

        timer.lap("join: form unions")
        // The rows each business id reaches: the first joinable row, and the later copies.
        var firstRow = [Int32](repeating: -1, count: unions[1].dictionary.count)
        var laterRows: [Int: [Int]] = [:]
        for (index, part) in parts.enumerated() where part.joinable {
            let map = unions[1].maps[index]
            for (offset, local) in part.text[InstanceRowsPart.Slot.businessId.rawValue].codes.enumerated() {
                let code = Int(map[Int(local)])
                guard code != 0 else { continue }
                if firstRow[code] < 0 {
                    firstRow[code] = Int32(starts[index] + offset)
                } else {
                    laterRows[code, default: []].append(starts[index] + offset)
                }
            }
        }
        // Every form column's codes in one buffer, column after column.
        var formCodes = [UInt32](repeating: 0, count: formNames.count * rowCount)
        for (column, sources) in formSources.enumerated() {
            for (position, source) in sources.enumerated() {
                guard case .own(let index, let field) = source.origin else { continue }
                let map = formUnions[column].maps[position]
                for (offset, local) in parts[index].forms[field].values.codes.enumerated() {
                    formCodes[column * rowCount + starts[index] + offset] = map[Int(local)]
                }
            }
        }
        // Where each form part's values land: (column, position of the source in that column) by name code.
        var valueMaps = formParts.map { part in
            [(column: Int, map: [UInt32])](repeating: (-1, []), count: part.values.count)
        }
        for (column, sources) in formSources.enumerated() {
            for (position, source) in sources.enumerated() {
                guard case .joined(let index, let code) = source.origin else { continue }
                valueMaps[index][code] = (column, formUnions[column].maps[position])
            }
        }
        let orphans = Self.joinFormValues(
            formParts,
            into: &formCodes,
            rowCount: rowCount,
            businessMaps: businessMaps,
            valueMaps: valueMaps,
            rows: (first: firstRow, later: laterRows)
        )

        timer.lap("join: form codes")
        func dictionaryColumn(_ dictionary: StringDictionary, _ codes: [UInt32]) -> DictionaryColumn {
            DictionaryColumn(dictionary: dictionary, codes: .u32(codes))
        }
        // Without validation the initialiser cannot throw; the rows are a batch, not yet a sorted table.
        let rows = try! InstanceTable(
            createTime: parts.flatMap(\.createTime),
            finishTime: parts.flatMap(\.finishTime),
            status: parts.flatMap(\.status),
            result: parts.flatMap(\.result),
            instanceId: dictionaryColumn(unions[0].dictionary, text[0]),
            businessId: dictionaryColumn(unions[1].dictionary, text[1]),
            title: dictionaryColumn(unions[2].dictionary, text[2]),
            userId: dictionaryColumn(unions[3].dictionary, text[3]),
            userName: dictionaryColumn(unions[4].dictionary, text[4]),
            deptId: dictionaryColumn(unions[5].dictionary, text[5]),
            deptName: dictionaryColumn(unions[6].dictionary, text[6]),
            formFields: formNames.indices.map {
                FormFieldColumn(
                    name: formNames[$0],
                    column: dictionaryColumn(
                        formUnions[$0].dictionary,
                        Array(formCodes[($0 * rowCount)..<(($0 + 1) * rowCount)])
                    )
                )
            },
            validate: false
        )
        return ImportBatch(rows: rows, issues: issues, orphanFormValues: orphans)
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

    /// Each column's part codes, translated by the part's map and laid end to end; the columns in parallel.
    private static func concatenated(_ columns: [[[UInt32]]], maps: [[[UInt32]]], rowCount: Int) -> [[UInt32]] {
        var result = [[UInt32]](repeating: [], count: columns.count)
        result.withUnsafeMutableBufferPointer { slots in
            let shared = UnsafeTransferValue((slots, columns, maps))
            DispatchQueue.concurrentPerform(iterations: columns.count) { column in
                let (slots, columns, maps) = shared.value
                var codes: [UInt32] = []
                codes.reserveCapacity(rowCount)
                for (part, local) in columns[column].enumerated() {
                    let map = maps[column][part]
                    map.withUnsafeBufferPointer { map in
                        codes.append(contentsOf: local.lazy.map { map[Int($0)] })
                    }
                }
                slots[column] = codes
            }
        }
        return result
    }
}

/// Moves values the workers only read, or write at disjoint places, into a concurrent closure.
struct UnsafeTransferValue<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

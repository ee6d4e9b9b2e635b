import Dispatch
import LeanStatsCore

/// What the files of one import command have given so far: parts of rows in file order, each with its own
/// dictionaries, and the bad rows.
struct ImportAccumulator {
    /// Instance rows of earlier parts, already merged (see ``mergeInstanceParts()``); they come before
    /// `instanceParts`.
    var mergedRows: MergedInstanceRows?
    var instanceParts: [InstanceRowsPart] = []
    var formParts: [FormValuesPart] = []
    var issues: [ImportIssue] = []
    var instanceTables = 0
    var firstFormValuesFile: String?

    /// Merges the instance parts read so far into ``mergedRows``, when none of them carries form fields of its own.
    ///
    /// Merged rows take less memory than the parts they come from (no hashes, one dictionary per column), so this
    /// runs before a form-values file is read, which would otherwise be held beside the parts.
    mutating func mergeInstanceParts() {
        guard !instanceParts.isEmpty, instanceParts.allSatisfy({ $0.forms.isEmpty }) else { return }
        var timer = PhaseTimer()
        var parts = instanceParts
        instanceParts = []
        mergedRows = Self.merged(mergedRows.take(), &parts, settingInstanceIdsAside: true)
        FreedMemory.release()
        timer.lap("merge instance rows")
    }

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
        var starts = [mergedRows?.rowCount ?? 0]
        for part in parts { starts.append(starts[starts.count - 1] + part.rowCount) }
        var rows = Self.merged(mergedRows.take(), &parts, settingInstanceIdsAside: false)
        let rowCount = rows.rowCount
        timer.lap("join: text columns")

        let businessSlot = InstanceRowsPart.Slot.businessId.rawValue
        // Uncopied: a column of distinct ids has 32-bit codes.
        let businessCodes = rows.codes[businessSlot].widened()
        var businessMaps = FormBusinessJoin.maps(
            formParts.map(\.businessIds),
            dictionary: rows.dictionaries[businessSlot],
            rowCodes: businessCodes
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
            // Taken out of the parts, so that the union frees each once copied.
            let builders = sources.map { source in
                switch source {
                case .own(let index, let field):
                    defer { parts[index].forms[field].values.dictionary = StringDictionaryBuilder() }
                    return parts[index].forms[field].values.dictionary
                case .joined(let index, let code):
                    defer { formParts[index].values[code] = StringDictionaryBuilder() }
                    return formParts[index].values[code]
                }
            }
            let union = DictionaryUnion(base: StringDictionary(), builders: consume builders)
            formDictionaries.append(union.dictionary)
            formMaps.append(union.maps)
        }
        FreedMemory.release()

        timer.lap("join: form unions")
        // The rows each business id reaches: the first joinable row, and the later copies.
        var firstRow = [Int32](repeating: -1, count: rows.dictionaries[businessSlot].count)
        var laterRows: [Int: [Int]] = [:]
        for range in rows.joinable {
            for row in range {
                let code = Int(businessCodes[row])
                guard code != 0 else { continue }
                if firstRow[code] < 0 {
                    firstRow[code] = Int32(row)
                } else {
                    laterRows[code, default: []].append(row)
                }
            }
        }
        var formCodes = FormCodeColumns(maxCodes: formDictionaries.map(\.maxCode), rowCount: rowCount)
        formCodes.withWriter { writer in
            for (column, sources) in formSources.enumerated() {
                for (position, source) in sources.enumerated() {
                    guard case .own(let index, let field) = source else { continue }
                    let map = formMaps[column][position]
                    parts[index].forms[field].values.withCodeBuffer { codes in
                        // The part's own row count: its times are already merged away.
                        for offset in 0..<(starts[index + 1] - starts[index]) {
                            writer.set(map[Int(codes[offset])], column: column, row: starts[index] + offset)
                        }
                    }
                    parts[index].forms[field].values.releaseCodes()
                }
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
            businessMaps: businessMaps,
            valueMaps: valueMaps,
            rows: (first: firstRow, later: laterRows)
        )
        // Everything but the table's columns goes before the instance ids come back, the import's largest moment.
        formParts = []
        parts = []
        (businessMaps, valueMaps, firstRow, laterRows) = ([], [], [], [:])
        FreedMemory.release()
        timer.lap("join: form codes")
        rows.restoreInstanceIds()
        // The compressed copy and the restore's work arrays go back before the snapshot is written beside the table.
        FreedMemory.release()
        timer.lap("join: restore instance ids")
        var textColumns: [DictionaryColumn] = []
        for slot in rows.codes.indices {
            textColumns.append(DictionaryColumn(dictionary: rows.dictionaries[slot], codes: rows.codes[slot]))
        }
        let formFields = formNames.indices.map { column in
            FormFieldColumn(
                name: formNames[column],
                column: DictionaryColumn(dictionary: formDictionaries[column], codes: formCodes.columns[column])
            )
        }
        formCodes = FormCodeColumns(maxCodes: [], rowCount: 0)
        // Without validation the initialiser cannot throw; the rows are a batch, not yet a sorted table.
        let table = try! InstanceTable(
            createTime: DeferredTimes(rows.createTime),
            finishTime: DeferredTimes(rows.finishTime),
            status: rows.status,
            result: rows.result,
            instanceId: DeferredColumn(textColumns[0]),
            businessId: DeferredColumn(textColumns[1]),
            title: DeferredColumn(textColumns[2]),
            userId: textColumns[3],
            userName: textColumns[4],
            deptId: textColumns[5],
            deptName: textColumns[6],
            formFields: formFields,
            validate: false
        )
        return ImportBatch(rows: table, issues: issues, orphanFormValues: orphans)
    }

    /// `base` followed by the instance parts' rows: the parts' text columns merged into `base`'s dictionaries (whose
    /// codes stay) and their fixed-width columns appended. The parts keep only their form fields: each part's
    /// share of a column is freed once merged. With `settingInstanceIdsAside`, the instance ids are set aside
    /// (``MergedInstanceRows/parkInstanceIds()``) as soon as they are merged, before the columns after them.
    private static func merged(
        _ base: consuming MergedInstanceRows?,
        _ parts: inout [InstanceRowsPart],
        settingInstanceIdsAside: Bool
    )
        -> MergedInstanceRows
    {
        var timer = PhaseTimer()
        var rows = base ?? MergedInstanceRows()
        if !parts.isEmpty { rows.restoreInstanceIds() }
        let rowCount = rows.rowCount + parts.reduce(0) { $0 + $1.rowCount }
        var start = rows.rowCount
        for part in parts {
            if part.joinable, part.rowCount > 0 {
                if let last = rows.joinable.last, last.upperBound == start {
                    rows.joinable[rows.joinable.count - 1] = last.lowerBound..<(start + part.rowCount)
                } else {
                    rows.joinable.append(start..<(start + part.rowCount))
                }
            }
            start += part.rowCount
        }
        /// One fixed-width column of every part appended to `base`'s, each part's share freed once copied.
        func append<Value>(
            _ values: inout [Value],
            _ column: WritableKeyPath<InstanceRowsPart, [Value]>
        ) {
            if values.isEmpty, parts.count == 1 {
                values = parts[0][keyPath: column]
                parts[0][keyPath: column] = []
                return
            }
            values.reserveCapacity(rowCount)
            for index in parts.indices {
                values += parts[index][keyPath: column]
                parts[index][keyPath: column] = []
            }
        }
        /// One time column of every part appended to `base`'s, each part's share freed once copied.
        func appendTimes(_ values: inout TimeColumn, _ column: WritableKeyPath<InstanceRowsPart, [Int64]>) {
            var taken = parts.indices.map { index in
                defer { parts[index][keyPath: column] = [] }
                return parts[index][keyPath: column]
            }
            let head = values
            values = []
            values = TimeColumn(concatenating: head, &taken)
        }
        appendTimes(&rows.createTime, \.createTime)
        appendTimes(&rows.finishTime, \.finishTime)
        append(&rows.status, \.status)
        append(&rows.result, \.result)
        FreedMemory.release()
        timer.lap("merge: fixed-width columns")
        // Each merge holds its sources and its result side by side. The ids of distinct values go first, and the
        // instance ids are set aside once merged; then the columns of repeated values, and last the user ids, whose
        // merge (too varied to be deduplicated while they were read) dedupes every row, with the least beside it.
        let groups: [[InstanceRowsPart.Slot]] = [
            [.businessId], [.instanceId], [.title, .userName, .deptId, .deptName], [.userId],
        ]
        for group in groups {
            var sources = group.map { slot in
                (
                    base: (dictionary: rows.dictionaries[slot.rawValue], codes: rows.codes[slot.rawValue]),
                    parts: parts.map { $0.text[slot.rawValue] }
                )
            }
            for slot in group {
                rows.codes[slot.rawValue] = .u8([])
                for index in parts.indices { parts[index].text[slot.rawValue] = TextPart() }
            }
            var merged = [(dictionary: StringDictionary, codes: CodeArray)](
                repeating: (StringDictionary(), .u8([])),
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
                (rows.dictionaries[slot.rawValue], rows.codes[slot.rawValue]) = merged[index]
            }
            timer.lap("merge: \(group.map { "\($0)" }.joined(separator: ", "))")
            if settingInstanceIdsAside, group == [.instanceId] {
                rows.parkInstanceIds()
                timer.lap("merge: instance ids set aside")
            }
            FreedMemory.release()
        }
        return rows
    }

    /// One text column: `base` and then every part, merged into the union of their dictionaries (`base`'s codes
    /// stay), with the codes end to end in the narrowest width the union needs (a column of a few thousand
    /// departments or people takes two bytes a row, not four). The parts' dictionaries are freed once the union is
    /// built, and each part's codes once translated.
    private static func merged(
        _ column: inout (base: (dictionary: StringDictionary, codes: CodeArray), parts: [TextPart]),
        rowCount: Int
    ) -> (StringDictionary, CodeArray) {
        let baseCodes = column.base.codes
        let baseDictionary = column.base.dictionary
        column.base = (StringDictionary(), .u8([]))
        var parts = column.parts
        column.parts = []
        guard !parts.isEmpty else { return (baseDictionary, baseCodes) }
        let builders = parts.indices.map { index in
            defer { parts[index].dictionary = StringDictionaryBuilder() }
            return parts[index].dictionary
        }
        let union = DictionaryUnion(base: consume baseDictionary, builders: consume builders)
        func translated<Code: FixedWidthInteger>(_: Code.Type) -> [Code] {
            var codes: [Code] = []
            codes.reserveCapacity(rowCount)
            baseCodes.withCodeBuffer { base in
                for row in 0..<baseCodes.count { codes.append(Code(truncatingIfNeeded: base[row])) }
            }
            func translate<Local: FixedWidthInteger>(
                _ local: UnsafeBufferPointer<Local>,
                _ map: UnsafeBufferPointer<UInt32>
            ) {
                codes.append(contentsOf: local.lazy.map { Code(truncatingIfNeeded: map[Int($0)]) })
            }
            for index in parts.indices {
                union.maps[index].withUnsafeBufferPointer { map in
                    parts[index].withCodeBuffer { local in
                        switch local {
                        case .u8(let values): translate(values, map)
                        case .u16(let values): translate(values, map)
                        case .u32(let values): translate(values, map)
                        }
                    }
                }
                parts[index].releaseCodes()
            }
            return codes
        }
        switch CodeArray.width(forMaxCode: union.dictionary.maxCode) {
        case 1: return (union.dictionary, .u8(translated(UInt8.self)))
        case 2: return (union.dictionary, .u16(translated(UInt16.self)))
        default: return (union.dictionary, .u32(translated(UInt32.self)))
        }
    }

    /// Writes the values of the form parts' rows into `codes` and returns the number of form rows whose business id
    /// no joinable instance has.
    ///
    /// A later row for the same instance and component name replaces an earlier one; every copy of an instance
    /// gets the value.
    private static func joinFormValues(
        _ formParts: [FormValuesPart],
        into codes: inout FormCodeColumns,
        businessMaps: [[UInt32]],
        valueMaps: [[(column: Int, map: [UInt32])]],
        rows: (first: [Int32], later: [Int: [Int]])
    ) -> Int {
        var orphans = 0
        // Written without per-row bounds or uniqueness checks.
        codes.withWriter { writer in
            rows.first.withUnsafeBufferPointer { firstRow in
                for (index, part) in formParts.enumerated() {
                    let targets = valueMaps[index].map { (column: max($0.column, 0), map: $0.map) }
                    // A piece matched while reading marks the ids it left to the join; the others are instance codes.
                    let mark = part.position == nil ? 0 : FormBusinessMatcher.unmatched
                    businessMaps[index].withUnsafeBufferPointer { businessMap in
                        part.nameCodes.withCodeBuffer { names in
                            for row in 0..<part.rowCount {
                                let stored = part.business[row]
                                let business =
                                    mark == 0 || stored & mark != 0
                                    ? Int(businessMap[Int(stored & ~mark)]) : Int(stored)
                                guard business != 0, firstRow[business] >= 0 else {
                                    orphans += 1
                                    continue
                                }
                                let local = part.value[row]
                                guard local != 0 else { continue }
                                let target = targets[Int(names[row])]
                                let code = target.map[Int(local)]
                                writer.set(code, column: target.column, row: Int(firstRow[business]))
                                if !rows.later.isEmpty, let later = rows.later[business] {
                                    for row in later { writer.set(code, column: target.column, row: row) }
                                }
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

/// Instance rows merged from parts: the fixed-width columns, and each text column's dictionary and codes, held
/// as narrow as the table they become.
struct MergedInstanceRows {
    var createTime: TimeColumn = []
    var finishTime: TimeColumn = []
    var status: [UInt8] = []
    var result: [UInt8] = []
    /// The text columns' dictionaries and codes, in ``InstanceRowsPart/Slot`` order.
    var dictionaries = [StringDictionary](repeating: StringDictionary(), count: InstanceRowsPart.Slot.allCases.count)
    var codes = [CodeArray](repeating: .u8([]), count: InstanceRowsPart.Slot.allCases.count)
    /// The rows that came from `ding_process_instances` files, which form values join.
    var joinable: [Range<Int>] = []
    /// The instance id column while it is set aside (its dictionary and codes are then empty).
    private var parkedInstanceIds: ParkedTextColumn?

    var rowCount: Int { createTime.count }

    /// Sets the instance id column aside, compressed, until ``restoreInstanceIds()``: form values never read it.
    mutating func parkInstanceIds() {
        let slot = InstanceRowsPart.Slot.instanceId.rawValue
        guard parkedInstanceIds == nil, let parked = ParkedTextColumn(dictionaries[slot], codes[slot]) else { return }
        parkedInstanceIds = parked
        dictionaries[slot] = StringDictionary()
        codes[slot] = .u8([])
    }

    /// Brings back the instance id column set aside by ``parkInstanceIds()``, if it is.
    mutating func restoreInstanceIds() {
        guard var parked = parkedInstanceIds.take() else { return }
        let slot = InstanceRowsPart.Slot.instanceId.rawValue
        (dictionaries[slot], codes[slot]) = parked.restore()
    }
}

/// Moves values the workers only read, or write at disjoint places, into a concurrent closure.
struct UnsafeTransferValue<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

import LeanStatsCore
import LeanStatsTestSupport
import Testing

/// Upserting a whole batch of rows agrees with upserting its records one by one.
struct UpsertTests {
    /// The records as batch rows: columns in record order, dictionaries in order of first appearance.
    static func batch(_ records: [InstanceRecord]) throws -> InstanceTable {
        var text = [StringDictionaryBuilder](repeating: StringDictionaryBuilder(), count: 7)
        var codes = [[UInt32]](repeating: [], count: 7)
        var formNames: [String] = []
        var forms: [(dictionary: StringDictionaryBuilder, codes: [UInt32])] = []
        for (row, record) in records.enumerated() {
            let values = [
                record.instanceId, record.businessId, record.title, record.originatorUserId,
                record.originatorUserName, record.originatorDeptId, record.originatorDeptName,
            ]
            for (slot, value) in values.enumerated() { codes[slot].append(text[slot].intern(value)) }
            for index in forms.indices { forms[index].codes.append(0) }
            for field in record.formFields {
                if !formNames.contains(field.name) {
                    formNames.append(field.name)
                    forms.append((StringDictionaryBuilder(), Array(repeating: 0, count: row + 1)))
                }
                let index = formNames.firstIndex(of: field.name)!
                forms[index].codes[row] = forms[index].dictionary.intern(field.value)
            }
        }
        let columns = (0..<7).map { DictionaryColumn(dictionary: text[$0].build(), codes: .u32(codes[$0])) }
        return try InstanceTable(
            createTime: records.map(\.createTime),
            finishTime: records.map { $0.finishTime ?? InstanceTable.missingTime },
            status: records.map { $0.status?.rawValue ?? 0 },
            result: records.map { $0.result?.rawValue ?? 0 },
            instanceId: columns[0],
            businessId: columns[1],
            title: columns[2],
            userId: columns[3],
            userName: columns[4],
            deptId: columns[5],
            deptName: columns[6],
            formFields: formNames.indices.map {
                FormFieldColumn(
                    name: formNames[$0],
                    column: DictionaryColumn(dictionary: forms[$0].dictionary.build(), codes: .u32(forms[$0].codes))
                )
            },
            validate: false
        )
    }

    @Test(arguments: [0, 1, 2])
    func aBatchUpsertsLikeItsRecordsOneByOne(seed: UInt64) throws {
        var stored = InstanceTableBuilder()
        if seed > 0 { for record in randomInstances(count: 400, seed: seed) { stored.upsert(record) } }
        let table = stored.build()
        // New instances, exact copies, changed copies (status, name, a form field removed) and repeats in the batch.
        let fresh = randomInstances(count: 300, seed: seed + 10)
        var changed = (0..<table.rowCount).filter { $0 % 3 == 0 }.map(table.record(at:))
        for index in changed.indices {
            switch index % 3 {
            case 0: changed[index].status = .canceled
            case 1: changed[index].originatorUserName = "改名\(index)"
            default: changed[index].formFields.removeAll()
            }
        }
        let copies = (0..<table.rowCount).filter { $0 % 3 == 1 }.map(table.record(at:))
        let incoming =
            fresh + copies + changed + fresh.prefix(50)
            + changed.prefix(20).map { record in
                var record = record
                record.title = "又改了"
                return record
            }

        var expected = InstanceTableBuilder(table: table)
        var expectedCounts = UpsertCounts()
        for record in incoming {
            switch expected.upsert(record) {
            case .inserted: expectedCounts.inserted += 1
            case .updated: expectedCounts.updated += 1
            case .unchanged: expectedCounts.unchanged += 1
            }
        }
        let (upserted, counts) = table.upserting(try Self.batch(incoming))
        #expect(counts == expectedCounts)
        #expect(upserted == expected.build())
        try upserted.validate()
    }

    @Test func distinctInstancesIntoAnEmptyTableComeOutSortedAsOneByOne() throws {
        // Shuffled, so the rows must be put in creation order; every id is new.
        var random = SeededGenerator(seed: 11)
        let records = randomInstances(count: 600, seed: 4).shuffled(using: &random)
        var expected = InstanceTableBuilder()
        for record in records { expected.upsert(record) }
        let (upserted, counts) = InstanceTable.empty.upserting(try Self.batch(records))
        #expect(counts == UpsertCounts(inserted: 600))
        #expect(upserted == expected.build())
        #expect(Array(upserted.createTime) == upserted.createTime.sorted())
        try upserted.validate()
    }

    @Test func upsertingTheSameRowsAgainChangesNothing() throws {
        let records = randomInstances(count: 500, seed: 3)
        let (first, _) = InstanceTable.empty.upserting(try Self.batch(records))
        let (second, counts) = first.upserting(try Self.batch(records))
        #expect(counts == UpsertCounts(unchanged: 500))
        #expect(second == first)
    }
}

/// Removing rows (instances deleted in DingTalk) keeps every other row, in order, with the same values.
struct RemoveRowsTests {
    /// Every row of a table as a record.
    private func records(_ table: InstanceTable) -> [InstanceRecord] {
        (0..<table.rowCount).map { table.record(at: $0) }
    }

    @Test func removingRowsKeepsTheOthersInOrderAndARemovedIdCanBeUpsertedAgain() {
        var builder = InstanceTableBuilder()
        for record in randomInstances(count: 300, seed: 77) { builder.upsert(record) }
        let table = builder.build()
        let all = records(table)
        let removed = [0, 17, 17, 150, 299, 500, -1]
        let smaller = table.removing(rows: removed)
        let kept = all.enumerated().filter { ![0, 17, 150, 299].contains($0.offset) }.map(\.element)
        #expect(smaller.rowCount == 296)
        #expect(records(smaller) == kept)
        #expect(smaller.instanceId.dictionary == table.instanceId.dictionary, "codes must stay comparable")
        #expect(table.removing(rows: []) == table)
        // Upserting a removed record again gives the table it was removed from, row values and order alike.
        var back = InstanceTableBuilder()
        back.upsert(all[150])
        let restored = smaller.upserting(back.build())
        #expect(restored.counts == UpsertCounts(inserted: 1))
        #expect(
            records(restored.table) == kept.filter { $0.createTime <= all[150].createTime } + [all[150]]
                + kept.filter { $0.createTime > all[150].createTime }
        )
    }
}

import LeanStatsCore
import LeanStatsTestSupport
import Testing

/// The columnar table: upsert, ordering, dictionary widths, round trip to records.
struct TableTests {
    @Test func upsertReportsInsertedUpdatedAndUnchanged() {
        var builder = InstanceTableBuilder()
        let first = InstanceRecord(instanceId: "a", createTime: 100, status: .running, originatorUserId: "u")
        #expect(builder.upsert(first) == .inserted)
        #expect(builder.upsert(first) == .unchanged)
        var later = first
        later.status = .completed
        #expect(builder.upsert(later) == .updated)
        #expect(builder.rowCount == 1)
        #expect(builder.build().record(at: 0).status == .completed)
    }

    @Test func formFieldOrderDoesNotMakeAnIdenticalCopyLookChanged() {
        var builder = InstanceTableBuilder()
        builder.upsert(InstanceRecord(instanceId: "x", createTime: 1, formFields: [FormField(name: "B", value: "2")]))
        let record = InstanceRecord(
            instanceId: "a",
            createTime: 5,
            formFields: [FormField(name: "A", value: "1"), FormField(name: "B", value: "2")]
        )
        builder.upsert(record)
        var reordered = record
        reordered.formFields.reverse()
        #expect(builder.upsert(reordered) == .unchanged)
        var dropped = record
        dropped.formFields.removeFirst()
        #expect(builder.upsert(dropped) == .updated)
    }

    @Test func rowsComeOutOrderedByCreateTimeWithTiesInArrivalOrder() {
        var builder = InstanceTableBuilder()
        for (id, time) in [("c", 30), ("a", 10), ("b", 10), ("d", 20)] {
            builder.upsert(InstanceRecord(instanceId: id, createTime: Int64(time)))
        }
        let table = builder.build()
        #expect(table.createTime == [10, 10, 20, 30])
        #expect((0..<4).map { table.instanceId[$0]! } == ["a", "b", "d", "c"])
    }

    @Test func dictionaryCodesUseTheNarrowestWidthThatFits() {
        var builder = InstanceTableBuilder()
        for index in 0..<300 {
            builder.upsert(
                InstanceRecord(instanceId: "i\(index)", createTime: Int64(index), originatorDeptName: "d\(index % 3)")
            )
        }
        let table = builder.build()
        #expect(table.deptName.codes.width == 1)
        #expect(table.instanceId.codes.width == 2)
    }

    @Test func positionsOfACodeAreFoundInEveryWidthAcrossBlockEdges() {
        var generator = SplitMix(seed: 17)
        for maxCode in [UInt32(200), 60_000, 3_000_000] {
            // 1003 codes: a last, partial word; the sought code sits at word edges too.
            var codes = (0..<1003).map { _ in UInt32(generator.next() % UInt64(maxCode)) }
            for position in [0, 7, 8, 63, 64, 999, 1002] { codes[position] = maxCode }
            let array = CodeArray(codes, maxCode: maxCode)
            for code in [maxCode, codes[500], maxCode + 1] {
                let expected = codes.indices.filter { codes[$0] == code }.map(UInt32.init)
                #expect(array.positions(of: code) == expected, "\(array.width) \(code)")
            }
        }
    }

    @Test func recordsRoundTripThroughTheTable() {
        let records = randomInstances(count: 300, seed: 5)
        var builder = InstanceTableBuilder()
        for record in records { builder.upsert(record) }
        let table = builder.build()
        let back = Dictionary(
            uniqueKeysWithValues: (0..<table.rowCount).map { (table.record(at: $0).instanceId, table.record(at: $0)) }
        )
        for record in records {
            let stored = back[record.instanceId]!
            #expect(stored.createTime == record.createTime)
            #expect(stored.finishTime == record.finishTime)
            #expect(stored.originatorDeptName == record.originatorDeptName)
            #expect(Set(stored.formFields) == Set(record.formFields))
        }
        #expect(throws: Never.self) { try table.validate() }
    }

    @Test func aBuilderStartedFromATableKeepsItsRowsAndReplacesById() {
        var builder = InstanceTableBuilder()
        builder.upsert(InstanceRecord(instanceId: "a", createTime: 10, status: .running))
        builder.upsert(InstanceRecord(instanceId: "b", createTime: 20, status: .running))
        var next = InstanceTableBuilder(table: builder.build())
        #expect(next.upsert(InstanceRecord(instanceId: "a", createTime: 10, status: .running)) == .unchanged)
        #expect(next.upsert(InstanceRecord(instanceId: "a", createTime: 25, status: .completed)) == .updated)
        let table = next.build()
        #expect(table.rowCount == 2)
        #expect(table.instanceId[1] == "a")
        #expect(table.status == [InstanceStatus.running.rawValue, InstanceStatus.completed.rawValue])
    }
}

import LeanStatsCore
import Testing

@testable import LeanStatsImport

/// The pieces an import uses to keep its peak memory down give back exactly what went in.
struct ImportMemoryTests {
    @Test func aColumnSetAsideComesBackWithTheSameEntriesAndCodes() throws {
        var builder = StringDictionaryBuilder()
        // Over 4 MiB of text (several compressed blocks), and rows without a value (code 0).
        let codes = (0..<300_000).map { $0 % 7 == 0 ? 0 : builder.intern("SYN\($0)-实例-\($0 * 31)") }
        let dictionary = builder.build()
        for column in [CodeArray.u32(codes), CodeArray(codes.map { $0 % 200 }, maxCode: 199)] {
            var parked = try #require(ParkedTextColumn(dictionary, column))
            #expect(parked.compressedCount < dictionary.bytes.count / 2)
            let (restored, restoredCodes) = parked.restore()
            #expect(parked.compressedCount == 0)
            #expect(restored == dictionary)
            #expect(restoredCodes == column)
        }
        var empty = try #require(ParkedTextColumn(StringDictionary(), .u8([])))
        #expect(empty.restore().0 == StringDictionary())
    }

    @Test func formCodeColumnsTakeTheWidthOfTheirDictionariesAndKeepEveryWrite() {
        var columns = FormCodeColumns(maxCodes: [12, 40_000, 70_000], rowCount: 5)
        columns.withWriter { writer in
            writer.set(12, column: 0, row: 4)
            writer.set(40_000, column: 1, row: 0)
            writer.set(70_000, column: 2, row: 2)
            writer.set(1, column: 2, row: 4)
        }
        #expect(columns.columns == [.u8([0, 0, 0, 0, 12]), .u16([40_000, 0, 0, 0, 0]), .u32([0, 0, 70_000, 0, 1])])
    }

    @Test func formValuesJoinedAfterTheInstanceIdsWereSetAsideKeepEveryInstanceId() throws {
        let directory = try ScratchDirectory()
        var instances = "business_id,process_instance_id,title,create_time,finish_time,status,result,"
        instances += "originator_user_id,originator_user_name,originator_dept_id,originator_dept_name\n"
        var forms = "business_id,component_name,value_text\n"
        for row in 0..<3000 {
            instances += "B\(row),PROC-\(row),t,2025-01-01 00:00:\(String(format: "%02d", row % 60)),,RUNNING,,"
            instances += "u\(row % 40),n\(row % 40),d1,生产部\n"
            forms += "B\(row),提案类别,类别\(row % 5)\n"
        }
        let instancesPath = try directory.write("ding_process_instances.csv", instances)
        let formsPath = try directory.write("ding_form_component_values.csv", forms)
        let batch = try ImportReader(clock: shanghai, pieceBytes: 4096).read(paths: [instancesPath, formsPath])
        let table = batch.rows
        #expect(table.rowCount == 3000)
        #expect(Set((0..<3000).map { table.instanceId[$0] ?? "" }) == Set((0..<3000).map { "PROC-\($0)" }))
        let category = try #require(table.formFields.first { $0.name == "提案类别" })
        for row in [0, 1234, 2999] {
            let id = try #require(table.instanceId[row])
            let number = try #require(Int(id.dropFirst(5)))
            #expect(category.column[row] == "类别\(number % 5)")
        }
    }
}

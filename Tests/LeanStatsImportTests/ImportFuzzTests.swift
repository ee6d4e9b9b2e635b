import Foundation
import LeanStatsCore
import LeanStatsTestSupport
import Testing

@testable import LeanStatsImport

/// Mutated import files (bit flips, truncations, splices, numeric extremes) are read or refused with an
/// ``ImportError``, never a crash; whatever they load can be queried.
struct ImportFuzzTests {
    static let instancesCSV =
        [
            "business_id,process_instance_id,title,create_time,finish_time,status,result,originator_user_id,"
                + "originator_user_name,originator_dept_id,originator_dept_name",
            #"202511010001,PI-1,"改善, 一",2025-11-01 09:15:00,2025-11-20 10:00:00,COMPLETED,agree,u1,张三,d1,生产部"#,
            #"202511020002,PI-2,title two,2025-11-02 10:00:00,\N,RUNNING,,u2,李四,d2,质量部"#,
            #"202511030003,,"quoted ""x""",2025-11-03 11:30:00,2025-12-01 08:00:00,COMPLETED,refuse,u1,张三,d1,生产部"#,
        ].joined(separator: "\n") + "\n"

    static let formsCSV =
        [
            "business_id,component_name,value_text",
            "202511010001,提案类别,安全改善",
            "202511010001,预计收益(元),35662.88",
            #"202511020002,预计收益(元),"1,200元""#,
            "202511030003,提案类别,效率",
        ].joined(separator: "\n") + "\n"

    static let jsonLines =
        [
            legacyResponse, v1Response,
            #"{"process_instance_id":"PI-9","create_time":1762000000000,"finish_time":"1763000000000","status":"COMPLETED","result":"agree","form_component_values":[{"name":"预计收益(元)","value":"500"}]}"#,
        ].joined(separator: "\n") + "\n"

    /// Reads the files and, when that succeeds, runs the statistics over what was read.
    static func readAndQuery(_ files: [(name: String, bytes: [UInt8])]) throws {
        let directory = try ScratchDirectory()
        let paths = try files.map { try directory.write($0.name, bytes: $0.bytes) }
        let batch: ImportBatch
        do {
            batch = try importReader.read(paths: paths)
        } catch {
            #expect(!error.message.isEmpty)
            return
        }
        var builder = InstanceTableBuilder()
        for record in batch.records {
            #expect(ValueLimits.contains(instant: record.createTime))
            builder.upsert(record)
        }
        let engine = StatisticsEngine(table: builder.build(), clock: shanghai)
        let overview = engine.overview(period: nil, options: .all)
        #expect(overview.count == engine.table.rowCount)
        _ = engine.grouped(by: .dimension(.month), period: nil, options: .all)
        for row in 0..<engine.table.rowCount { _ = shanghai.format(engine.table.createTime[row]) }
    }

    @Test func mutatedJSONLinesAndArraysAreReadOrRefused() throws {
        var mutator = ByteMutator(seed: 0x1150)
        let lines = Array(Self.jsonLines.utf8)
        let array = Array(("[" + Self.jsonLines.split(separator: "\n").joined(separator: ",\n") + "]").utf8)
        for round in 0..<300 {
            let seed = round % 2 == 0 ? lines : array
            try Self.readAndQuery([(round % 2 == 0 ? "details.jsonl" : "details.json", mutator.mutate(seed))])
        }
    }

    @Test func mutatedCSVExportsAreReadOrRefused() throws {
        var mutator = ByteMutator(seed: 0xC5F)
        let instances = Array(Self.instancesCSV.utf8)
        let forms = Array(Self.formsCSV.utf8)
        for round in 0..<300 {
            let mutateForms = round % 3 == 0
            try Self.readAndQuery([
                (MySQLExport.instancesFile, mutateForms ? instances : mutator.mutate(instances)),
                (MySQLExport.formValuesFile, mutateForms ? mutator.mutate(forms) : forms),
            ])
        }
    }

    @Test func mutatedTSVExportsAreReadOrRefused() throws {
        var mutator = ByteMutator(seed: 0x75F)
        let tsv = Array(
            Self.instancesCSV.replacingOccurrences(of: ",", with: "\t").replacingOccurrences(of: "\"", with: "").utf8
        )
        for _ in 0..<200 {
            try Self.readAndQuery([("ding_process_instances.tsv", mutator.mutate(tsv))])
        }
    }
}

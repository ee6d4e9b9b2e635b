import Foundation
import LeanStatsTestSupport
import Testing

/// Values that used to trap a command later are refused where they enter, with one line naming file, line and
/// field, and the store stays as it was.
struct HostileInputTests {
    /// A store holding the first generation of one good instance.
    static func store(in directory: TemporaryDirectory) throws -> String {
        let store = directory.file("store")
        let good = try directory.write(
            "good.jsonl",
            #"{"process_instance_id":"G1","create_time":"2025-11-03 09:00:00","originator_dept_name":"生产部","form_component_values":[{"name":"预计收益(元)","value":"1200"}]}"#
                + "\n"
        )
        let result = try LeanStats.run(["import", "--data", store, good])
        #expect(result.status == 0, "\(result.stderr)")
        return store
    }

    @Test(arguments: [
        (#""create_time":1e30"#, "create_time '1e+30' is outside the supported time range"),
        (#""createTime":"9999999999999999999999999""#, "createTime '9999999999999999999999999' is outside the"),
        (
            #""create_time":"2025-11-04 09:00:00","form_component_values":[{"name":"预计收益(元)","value":"1e17"}]"#,
            "form field 预计收益(元) '1e17' is outside the supported amounts"
        ),
    ])
    func anImportOfAnOutOfRangeValueFailsNamingFileLineAndFieldAndLeavesTheStore(fields: String, reason: String) throws
    {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try Self.store(in: directory)
        let bad = try directory.write("bad.jsonl", #"{"process_instance_id":"B1",\#(fields)}"# + "\n")
        let result = try LeanStats.run(["import", "--data", store, bad])
        #expect(result.status != 0)
        #expect(result.stderr.contains("\(bad):1: \(reason)"), "\(result.stderr)")
        let query = try LeanStats.run(["query", "--data", store, "--format", "csv", "by dept count,benefit_sum all"])
        #expect(query.status == 0, "\(query.stderr)")
        #expect(query.stdout == "dept,count,benefit_sum\n生产部,1,1200\n")
        let files = try FileManager.default.contentsOfDirectory(atPath: store).filter { $0.hasSuffix(".lsnap") }
        #expect(files == ["snapshot-00000001.lsnap"])
    }

    @Test func importingACharacterDeviceIsRefusedAtOnce() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let result = try LeanStats.run(["import", "--data", directory.file("store"), "/dev/zero"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("/dev/zero is not a regular file (it is a character device)"))
    }

    @Test func anOlderGenerationCopiedInIsReportedByVerifyAndSkippedByQueries() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try Self.store(in: directory)
        let second = try directory.write(
            "second.jsonl",
            #"{"process_instance_id":"G2","create_time":"2025-11-05 09:00:00","originator_dept_name":"质量部"}"# + "\n"
        )
        #expect(try LeanStats.run(["import", "--data", store, second]).status == 0)
        try FileManager.default.copyItem(
            atPath: "\(store)/snapshot-00000001.lsnap",
            toPath: "\(store)/snapshot-00000003.lsnap"
        )
        let verify = try LeanStats.run(["snapshot", "verify", "--data", store])
        #expect(verify.status != 0)
        #expect(
            verify.stdout.contains(
                "DAMAGED  \(store)/snapshot-00000003.lsnap  snapshot error: the file records generation 1 but is "
                    + "named for generation 3"
            ),
            "\(verify.stdout)"
        )
        let query = try LeanStats.run(["query", "--data", store, "--format", "csv", "overview all"])
        #expect(query.status == 0)
        #expect(query.stdout.hasPrefix("count,passed,pass_rate,participants,depts\n2,"), "\(query.stdout)")
    }
}

import LeanStatsCore
import LeanStatsImport
import Testing

struct InstancesTableTests {
    @Test func readsEveryColumnOfAnInstancesCSV() throws {
        let directory = try ScratchDirectory()
        let file = try directory.write(
            "ding_process_instances.csv",
            instancesHeader + "\n"
                + "202511030915000123456,PI-1,\"张三提交的精益提案, 第2版\",2025-11-03 09:15:00,2025-11-20 17:45:30,"
                + "completed,Agree,u-1,张三,42,生产部\n"
        )
        let batch = try importReader.read(paths: [file])
        #expect(batch.issues.isEmpty)
        let record = try #require(batch.records.first)
        #expect(
            record
                == InstanceRecord(
                    instanceId: "PI-1",
                    businessId: "202511030915000123456",
                    title: "张三提交的精益提案, 第2版",
                    createTime: 1_762_132_500,
                    finishTime: 1_763_631_930,
                    status: .completed,
                    result: .agree,
                    originatorUserId: "u-1",
                    originatorUserName: "张三",
                    originatorDeptId: "42",
                    originatorDeptName: "生产部"
                )
        )
    }

    @Test func matchesColumnsByNameInAnyOrderAndIgnoresExtraColumns() throws {
        let directory = try ScratchDirectory()
        let file = try directory.write(
            "export.csv",
            " Create_Time ,extra,ORIGINATOR_DEPT_NAME,business_id,status\n"
                + "2025-11-03 09:15:00,ignored,质量部,B-1,RUNNING\n"
        )
        let record = try #require(try importReader.read(paths: [file]).records.first)
        #expect(record.instanceId == "B-1")
        #expect(record.businessId == "B-1")
        #expect(record.originatorDeptName == "质量部")
        #expect(record.status == .running)
        #expect(record.createTime == 1_762_132_500)
        #expect(record.title == nil)
    }

    @Test func emptyNULLAndBackslashNAreMissingAndOtherTextIsKeptAsIs() throws {
        let directory = try ScratchDirectory()
        let file = try directory.write(
            "i.csv",
            instancesHeader + "\nB-1,NULL,\\N,2025-11-03 09:15:00,,,NULL,\\N,\"\", 7 ,  生产部 \n"
        )
        let record = try #require(try importReader.read(paths: [file]).records.first)
        #expect(record.instanceId == "B-1")
        #expect(record.title == nil)
        #expect(record.finishTime == nil)
        #expect(record.status == nil)
        #expect(record.result == nil)
        #expect(record.originatorUserId == nil)
        #expect(record.originatorUserName == nil)
        #expect(record.originatorDeptId == " 7 ")
        #expect(record.originatorDeptName == "  生产部 ")
    }

    @Test func byteOrderMarkAndCRLFFileReadsLikeAPlainOne() throws {
        let directory = try ScratchDirectory()
        let text =
            instancesHeader
            + "\r\nB-1,PI-1,t,2025-11-03 09:15:00,,RUNNING,,u,n,1,d\r\nB-2,PI-2,t,2025-11-03 09:15:00,,,,u,n,1,d"
        let file = try directory.write("bom.csv", bytes: [0xEF, 0xBB, 0xBF] + Array(text.utf8))
        let batch = try importReader.read(paths: [file])
        #expect(batch.issues.isEmpty)
        #expect(batch.records.map(\.instanceId) == ["PI-1", "PI-2"])
        #expect(batch.records[0].originatorDeptName == "d")
    }

    @Test func badRowAfterAMultiLineFieldIsReportedAtItsPhysicalLine() throws {
        let directory = try ScratchDirectory()
        let file = try directory.write(
            "i.csv",
            instancesHeader + "\n"
                + "B-1,PI-1,\"line one\nline two\nline three\",2025-11-03 09:15:00,,,,u,n,1,d\n"
                + "B-2,PI-2,t,2025-13-01 00:00:00,,,,u,n,1,d\n"
                + "B-3,PI-3,t,2025-11-03 09:15:00,,,,u,n,1,d\n"
        )
        let batch = try importReader.read(paths: [file])
        #expect(batch.records.map(\.instanceId) == ["PI-1", "PI-3"])
        #expect(batch.records[0].title == "line one\nline two\nline three")
        #expect(
            batch.issues.map(\.description) == [
                "\(file):5: create_time '2025-13-01 00:00:00' is not a time; expected YYYY-MM-DD HH:MM:SS (local time)"
            ]
        )
    }

    @Test(arguments: [
        ("B-1,PI-1,t,,,,,u,n,1,d", "create_time is missing; expected YYYY-MM-DD HH:MM:SS"),
        ("B-1,PI-1,t,yesterday,,,,u,n,1,d", "create_time 'yesterday' is not a time"),
        (
            "B-1,PI-1,t,2025-11-03 09:15:00,2025-11-31 10:00:00,,,u,n,1,d",
            "finish_time '2025-11-31 10:00:00' is not a time"
        ),
        (
            "B-1,PI-1,t,2025-11-03 09:15:00,,DONE,,u,n,1,d",
            "status 'DONE' is not one of NEW, RUNNING, COMPLETED, TERMINATED, CANCELED"
        ),
        ("B-1,PI-1,t,2025-11-03 09:15:00,,,yes,u,n,1,d", "result 'yes' is not one of agree, refuse"),
        (",NULL,t,2025-11-03 09:15:00,,,,u,n,1,d", "the row has neither process_instance_id nor business_id"),
        ("B-1,PI-1,t,2025-11-03 09:15:00,,,,u,n,1,d,surplus", "the row has 12 fields but the header has 11"),
        ("B-1,PI-1,t,2025-11-03 09:15:00,,,,u,n,1", "the row has 10 fields but the header has 11"),
        ("B-1,PI-1,\"t\"x,2025-11-03 09:15:00,,,,u,n,1,d", "text follows a closing quote"),
    ])
    func rejectsABadRowWithItsLineAndReason(row: String, reason: String) throws {
        let directory = try ScratchDirectory()
        let file = try directory.write(
            "bad.csv",
            instancesHeader + "\nB-0,PI-0,t,2025-01-01 00:00:00,,,,u,n,1,d\n\(row)\n"
        )
        let batch = try importReader.read(paths: [file])
        #expect(batch.records.map(\.instanceId) == ["PI-0"])
        let issue = try #require(batch.issues.first)
        #expect(batch.issues.count == 1)
        #expect(issue.file == file)
        #expect(issue.line == 3)
        #expect(issue.reason.hasPrefix(reason), "\(issue.reason)")
    }

    @Test func unterminatedQuoteIsABadRowAtTheLineItStarts() throws {
        let directory = try ScratchDirectory()
        let file = try directory.write(
            "bad.csv",
            instancesHeader + "\nB-1,PI-1,t,2025-01-01 00:00:00,,,,u,n,1,d\nB-2,PI-2,\"open,2025-01-01 00:00:00\nB-3\n"
        )
        let batch = try importReader.read(paths: [file])
        #expect(batch.records.map(\.instanceId) == ["PI-1"])
        #expect(batch.issues.map(\.line) == [3])
        #expect(batch.issues.first?.reason.contains("no closing quote") == true)
    }

    @Test func mysqlBatchTSVWithEscapesAndBackslashN() throws {
        let directory = try ScratchDirectory()
        let header = instancesHeader.replacingOccurrences(of: ",", with: "\t")
        let row = [
            "B-1", #"\N"#, #"标题\t含制表符\n第二行"#, "2025-11-03 09:15:00", #"\N"#, "RUNNING", #"\N"#, "u-1",
            #"back\\slash"#, "-1", "生产部",
        ].joined(separator: "\t")
        let file = try directory.write("ding_process_instances.tsv", header + "\n" + row + "\n")
        let batch = try importReader.read(paths: [file])
        #expect(batch.issues.isEmpty)
        let record = try #require(batch.records.first)
        #expect(record.instanceId == "B-1")
        #expect(record.title == "标题\t含制表符\n第二行")
        #expect(record.finishTime == nil)
        #expect(record.result == nil)
        #expect(record.status == .running)
        #expect(record.originatorUserName == "back\\slash")
        #expect(record.originatorDeptId == "-1")
    }

    @Test func recordsComeOutInFileOrderAcrossFiles() throws {
        let directory = try ScratchDirectory()
        let first = try directory.write(
            "a.csv",
            instancesHeader + "\nB-1,PI-1,t,2025-01-01 00:00:00,,RUNNING,,u,n,1,d\n"
        )
        let second = try directory.write(
            "b.csv",
            instancesHeader + "\nB-1,PI-1,t,2025-01-01 00:00:00,2025-01-02 00:00:00,COMPLETED,agree,u,n,1,d\n"
        )
        let batch = try importReader.read(paths: [first, second])
        #expect(batch.records.map(\.instanceId) == ["PI-1", "PI-1"])
        #expect(batch.records.map(\.status) == [.running, .completed])
    }

    @Test func headerOnlyFileGivesNoRecordsAndNoIssues() throws {
        let directory = try ScratchDirectory()
        let file = try directory.write("empty.csv", instancesHeader + "\n")
        let batch = try importReader.read(paths: [file])
        #expect(batch.records.isEmpty)
        #expect(batch.issues.isEmpty)
    }
}

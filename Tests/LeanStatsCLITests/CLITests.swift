import Foundation
import LeanStatsTestSupport
import Testing

/// The `leanstats` executable as users run it: real processes, real files.
@Suite(.serialized)
struct CLITests {
    static let sample = ["Data/ding_process_instances.csv", "Data/ding_form_component_values.csv"]

    @Test func versionPrintsTheProductNameAndItsVersion() throws {
        let result = try LeanStats.run(["--version"])
        #expect(result.status == 0)
        #expect(result.stdout.wholeMatch(of: /leanstats \d{4}\.\d{1,2}\.\d+\n/) != nil, "\(result.stdout)")
    }

    @Test func aGBKExportFromChineseExcelImportsLikeItsUTF8Original() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let converted = directory.file("gbk.csv")
        let iconv = Process()
        iconv.executableURL = URL(fileURLWithPath: "/bin/sh")
        iconv.arguments = ["-c", "iconv -f UTF-8 -t GBK \"$0\" > \"$1\"", Self.sample[0], converted]
        try iconv.run()
        iconv.waitUntilExit()
        try #require(iconv.terminationStatus == 0)
        let gbk = try LeanStats.run(["import", "--data", directory.file("gbk"), converted])
        #expect(gbk.status == 0, "\(gbk.stderr)")
        let utf8 = try LeanStats.run(["import", "--data", directory.file("utf8"), Self.sample[0]])
        #expect(utf8.status == 0)
        let line = "by dept count,pass_rate all"
        let fromGBK = try LeanStats.run(["query", "--data", directory.file("gbk"), "--format", "json", line])
        let fromUTF8 = try LeanStats.run(["query", "--data", directory.file("utf8"), "--format", "json", line])
        #expect(fromGBK.stdout == fromUTF8.stdout)
        #expect(fromGBK.stdout.contains("\"生产部\""))
    }

    @Test func importingTheSampleThenQueryingGivesJSONInTheSpecShape() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let imported = try LeanStats.run(["import", "--data", directory.path] + Self.sample)
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stdout.contains("2400 new"))
        let overview = try LeanStats.run(["query", "--data", directory.path, "--format", "json", "overview 2025-11"])
        #expect(overview.status == 0)
        #expect(overview.stdout.hasPrefix("{\"count\":"))
        #expect(overview.stdout.contains("\"pass_rate\":"))
        let byDept = try LeanStats.run([
            "query", "--data", directory.path, "--format", "json", "by dept pass_rate 2025-11",
        ])
        #expect(byDept.stdout.hasPrefix("[{\"dept\":\"生产部\",\"pass_rate\":"))
    }

    @Test func importingTheSameFilesTwiceChangesNothing() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        _ = try LeanStats.run(["import", "--data", directory.path] + Self.sample)
        let again = try LeanStats.run(["import", "--data", directory.path] + Self.sample)
        #expect(again.status == 0)
        #expect(again.stdout.contains("0 new, 0 updated, 2400 unchanged; the store is unchanged"))
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter {
            $0.hasSuffix(".lsnap")
        }
        #expect(files == ["snapshot-00000001.lsnap"])
    }

    @Test func aBadRowStopsTheImportWithFileAndLineAndChangesNothing() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        _ = try LeanStats.run(["import", "--data", directory.path] + Self.sample)
        let before = try LeanStats.run(["query", "--data", directory.path, "--format", "csv", "overview all"])
        let bad = try directory.write(
            "bad.csv",
            """
            business_id,process_instance_id,create_time,status
            b1,p-new-1,2025-11-03 10:00:00,COMPLETED
            b2,p-new-2,yesterday,COMPLETED
            """
        )
        let failed = try LeanStats.run(["import", "--data", directory.path, bad])
        #expect(failed.status != 0)
        #expect(failed.stderr.contains("bad.csv:3:"))
        #expect(failed.stderr.contains("nothing was changed"))
        let after = try LeanStats.run(["query", "--data", directory.path, "--format", "csv", "overview all"])
        #expect(after.stdout == before.stdout)
        let skipped = try LeanStats.run(["import", "--data", directory.path, "--skip-bad", bad])
        #expect(skipped.status == 0)
        #expect(skipped.stdout.contains("1 new"))
        #expect(skipped.stdout.contains("skipped 1 bad rows"))
    }

    @Test func aWrongQueryPointsAtTheWordAndExitsNonZero() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        _ = try LeanStats.run(["import", "--data", directory.path] + Self.sample)
        let result = try LeanStats.run(["query", "--data", directory.path, "by dept pass_rat 2025-11"])
        #expect(result.status == 1)
        #expect(result.stdout.isEmpty)
        #expect(
            result.stderr
                == "by dept pass_rat 2025-11\n        ^~~~~~~~\nunknown metric 'pass_rat' at column 9; did you mean 'pass_rate'?\n"
        )
    }

    @Test func aMisspelledDepartmentIsRefusedWithASuggestionInTheQueryCommandAndTheRepl() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        _ = try LeanStats.run(["import", "--data", directory.path] + Self.sample)
        let line = "by dept count 2025-11 where dept=生产部门"
        let message = "unknown dept '生产部门' at column 34; did you mean '生产部'?"
        let result = try LeanStats.run(["query", "--data", directory.path, line])
        #expect(result.status == 1)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr == line + "\n" + String(repeating: " ", count: 33) + "^~~~~~~~\n" + message + "\n")
        let repl = try LeanStats.run(
            ["repl", "--data", directory.path],
            stdin: line + "\nlist 2025-11 where dept in (生产部，质量部) and status=审批中 limit 1\n"
        )
        #expect(repl.status == 1)
        #expect(repl.stderr.contains("line 1: " + message))
        #expect(repl.stdout.contains("RUNNING"))
    }

    @Test func queryingAnEmptyStoreSaysHowToGetData() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let result = try LeanStats.run(["query", "--data", directory.path, "overview all"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("no data in \(directory.path)"))
        #expect(result.stderr.contains("leanstats import"))
    }

    @Test func theReplReadsOneQueryPerLineFromAPipeAndSurvivesBadLines() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        _ = try LeanStats.run(["import", "--data", directory.path] + Self.sample)
        let result = try LeanStats.run(
            ["repl", "--data", directory.path],
            stdin: ".mode csv\n.timer on\noverview 2025-11\nnonsense here\ntrend 2025-10..2025-11\n"
        )
        #expect(result.status == 1)
        #expect(result.stdout.hasPrefix("count,passed,pass_rate,participants,depts\n"))
        #expect(result.stdout.contains("month,count,passed,pass_rate,participants\n2025-10,"))
        let timings = result.stderr.split(separator: "\n").filter { $0.hasPrefix("time: ") && $0.hasSuffix(" ms") }
        #expect(timings.count == 2)
        #expect(result.stderr.contains("line 4: unknown"))
    }

    @Test func snapshotVerifyFailsOnADamagedFileAndQueriesFallBackToTheOlderGeneration() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        _ = try LeanStats.run(["import", "--data", directory.path, Self.sample[0], Self.sample[1]])
        let extra = try directory.write(
            "extra.csv",
            "business_id,process_instance_id,create_time,status\nx1,px1,2025-11-05 10:00:00,RUNNING\n"
        )
        _ = try LeanStats.run(["import", "--data", directory.path, extra])
        let newest = directory.file("snapshot-00000002.lsnap")
        var bytes = try Data(contentsOf: URL(fileURLWithPath: newest))
        bytes[bytes.count / 2] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: newest))
        let verify = try LeanStats.run(["snapshot", "verify", "--data", directory.path])
        #expect(verify.status == 1)
        #expect(verify.stdout.contains("DAMAGED"))
        #expect(verify.stdout.contains("snapshot-00000002.lsnap"))
        let query = try LeanStats.run(["query", "--data", directory.path, "--format", "csv", "overview all"])
        #expect(query.status == 0)
        #expect(query.stdout.hasPrefix("count,passed,pass_rate,participants,depts\n2400,"))
        #expect(query.stderr.contains("using the older snapshot"))
    }

    @Test func snapshotInfoDescribesRowsColumnsAndTimeRange() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        _ = try LeanStats.run(["import", "--data", directory.path] + Self.sample)
        let info = try LeanStats.run(["snapshot", "info", "--data", directory.path])
        #expect(info.status == 0)
        #expect(info.stdout.contains("instances:   2400"))
        #expect(info.stdout.contains("created:     2024-12-01"))
        #expect(info.stdout.contains("form:提案类别"))
        #expect(info.stdout.contains("ratio"))
    }

    @Test func exportThenImportGivesTheSameStatistics() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let first = directory.file("first")
        let second = directory.file("second")
        _ = try LeanStats.run(["gen", "--rows", "3000", "--seed", "9", "--data", first])
        let exported = try LeanStats.run(["export", "csv", "--data", first, "--out", directory.file("csv")])
        #expect(exported.status == 0)
        let imported = try LeanStats.run(
            [
                "import", "--data", second, directory.file("csv/ding_process_instances.csv"),
                directory.file("csv/ding_form_component_values.csv"),
            ])
        #expect(imported.status == 0, "\(imported.stderr)")
        for line in [
            "overview all", "by dept count,passed,participants,depts,avg_days,min_days,max_days,within30_rate all",
            "by category count,pass_rate all", "trend all", "top 10 all", "efficiency all", "by status count all",
        ] {
            let a = try LeanStats.run(["query", "--data", first, "--format", "json", line])
            let b = try LeanStats.run(["query", "--data", second, "--format", "json", line])
            #expect(a.status == 0)
            #expect(a.stdout == b.stdout, "\(line)")
        }
    }

    @Test func badFlagsGiveAUsageErrorAndUnknownZonesAClearLine() throws {
        let flag = try LeanStats.run(["query", "--frmat", "json", "overview all"])
        #expect(flag.status != 0)
        #expect(flag.stderr.contains("--frmat"))
        let zone = try LeanStats.run(["query", "--tz", "Mars/Base", "--data", "/nonexistent", "overview all"])
        #expect(zone.status == 1)
        #expect(zone.stderr.contains("no data") || zone.stderr.contains("Mars/Base"))
    }

    @Test func theDemoSyncsTheSampleFromTheEmulatorPrintsTheLatestMonthAndWritesItsReport() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let demo = try LeanStats.run(["demo", "--data", directory.file("store")])
        #expect(demo.status == 0, "\(demo.stderr)")
        #expect(demo.stdout.contains("> overview 2025-11"))
        #expect(demo.stdout.contains("生产部"))
        #expect(demo.stderr.contains("fetched 2400 instances"))
        let workbook = directory.file("store/report-2025-11.xlsx")
        #expect(demo.stdout.contains(workbook))
        let bytes = try Data(contentsOf: URL(fileURLWithPath: workbook))
        #expect(bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]))  // a zip package, as every xlsx is
    }
}

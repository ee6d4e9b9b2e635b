import Foundation
import LeanStatsTestSupport
import Testing

/// A store holding the bundled sample, for REPL tests; ``remove()`` deletes it.
struct SampleStore {
    /// The directory of the store and of any scratch files.
    let directory: TemporaryDirectory

    /// Imports `Data/` into a fresh store.
    init() throws {
        directory = try TemporaryDirectory(prefix: "leanstats-repl")
        let imported = try LeanStats.run(["import", "--data", path] + CLITests.sample)
        try #require(imported.status == 0, "\(imported.stderr)")
    }

    /// The store path.
    var path: String { directory.file("store") }

    /// Runs `leanstats repl --data STORE` with `input` on a pipe.
    func repl(_ input: String, options: [String] = []) throws -> CommandOutput {
        try LeanStats.run(["repl", "--data", path] + options, stdin: input, environment: ["LEANSTATS_HISTORY": ""])
    }

    /// Deletes the store and the scratch files.
    func remove() { directory.remove() }
}

/// Golden tests for what the REPL's dot commands print, driven through a pipe.
@Suite(.serialized)
struct ReplDotCommandTests {
    @Test func helpListsTheDotCommandsAndTheQueryWords() throws {
        let store = try SampleStore()
        defer { store.remove() }
        let result = try store.repl(".help\n")
        #expect(result.status == 0)
        #expect(result.stdout.isEmpty)
        let commands = try #require(result.stderr.range(of: "Dot commands:\n"))
        #expect(
            result.stderr[commands.lowerBound...] == """
                Dot commands:
                  .help                                show this text
                  .mode table|csv|json|jsonl|markdown  how results are printed
                  .timer on|off                        print each query's time on stderr
                  .bom on|off                          start CSV output with a UTF-8 byte order mark (for Excel)
                  .output [FILE]                       send results to FILE, or back to stdout
                  .read FILE                           run the queries and dot commands in FILE
                  .reload                              load the newest snapshot of the store
                  .quit                                leave (also .exit and Ctrl-D)

                """
        )
        let queries = result.stderr[..<commands.lowerBound].split(separator: "\n")
        #expect(queries.first == "Queries, one per line (Tab completes words and department and category names):")
        #expect(queries.contains { $0.hasPrefix("  verbs:") && $0.contains(" overview by top efficiency trend") })
        #expect(queries.contains { $0.hasPrefix("  dimensions:") && $0.contains(" dept category user month status") })
        #expect(queries.contains { $0.hasPrefix("  metrics:") && $0.contains(" count passed pass_rate participants") })
        #expect(
            queries.contains { $0.hasPrefix("  keywords:") && $0.contains("where and or in order by asc desc limit") }
        )
    }

    @Test func modeAndTimerAnswerMistakesWithOneLineAndShowTheCurrentSetting() throws {
        let store = try SampleStore()
        defer { store.remove() }
        let result = try store.repl(".mode\n.mode xml\n.mode csv\n.mode\n.timer\n.timer maybe\n.bom\n.bom yes\n")
        #expect(result.status == 1)
        #expect(result.stdout.isEmpty)
        #expect(
            result.stderr == """
                mode: table
                line 2: error: unknown mode 'xml'; .mode takes table, csv, json, jsonl or markdown
                mode: csv
                timer: off
                line 6: error: .timer takes on or off, not 'maybe'
                bom: off
                line 8: error: .bom takes on or off, not 'yes'
                leanstats repl: 3 of 8 lines failed (line 2, line 6, line 8)

                """
        )
    }

    @Test func anUnknownDotCommandPointsToHelpAndTheSessionGoesOn() throws {
        let store = try SampleStore()
        defer { store.remove() }
        let result = try store.repl(".tables\n.mode csv\noverview 2025-11\n")
        #expect(result.status == 1)
        #expect(
            result.stderr
                == "line 1: error: unknown command '.tables'; type .help for the list\n"
                + "leanstats repl: 1 of 3 lines failed (line 1)\n"
        )
        #expect(result.stdout == "count,passed,pass_rate,participants,depts\n234,89,38.03,127,13\n")
    }

    @Test func theTimerPrintsExactlyOneMillisecondLinePerQueryAndNothingElseEndsInMs() throws {
        let store = try SampleStore()
        defer { store.remove() }
        let result = try store.repl(
            """
            .timer on
            overview 2025-11
            by dept count 2025-11 limit 3ms
            .read /nonexistent/queries.ms
            by dept count,pass_rate 2025-11
            .timer off
            trend 2025
            .help

            """
        )
        #expect(result.status == 1)
        let lines = result.stderr.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        let timings = lines.filter { $0.hasPrefix("time: ") }
        #expect(timings.count == 2)
        for line in timings {
            #expect(line.wholeMatch(of: /time: \d+\.\d{3} ms/) != nil, "\(line)")
        }
        let others = lines.filter { !$0.hasPrefix("time: ") }
        #expect(others.contains { $0.hasPrefix("by dept count 2025-11 limit 3ms") })
        #expect(others.contains("line 4: error: cannot read '/nonexistent/queries.ms': No such file or directory"))
        #expect(others.last == "leanstats repl: 2 of 8 lines failed (line 3, line 4)")
        for line in others {
            #expect(!line.trimmingCharacters(in: .whitespaces).lowercased().hasSuffix("ms"), "\(line)")
        }
    }

    @Test func outputSendsResultsToAFileAndBackToStdout() throws {
        let store = try SampleStore()
        defer { store.remove() }
        let file = store.directory.file("out.csv")
        let result = try store.repl(
            """
            .mode csv
            .output \(file)
            overview 2025-11
            by status count 2025-11
            .output
            efficiency 2025-11
            .output /nonexistent/out.csv
            overview 2025-10

            """
        )
        #expect(result.status == 1)
        #expect(
            try String(contentsOfFile: file, encoding: .utf8) == """
                count,passed,pass_rate,participants,depts
                234,89,38.03,127,13
                status,count
                COMPLETED,127
                RUNNING,107

                """
        )
        #expect(result.stdout.hasPrefix("avg_days,min_days,max_days,completed,within30_rate\n"))
        #expect(result.stdout.contains("count,passed,pass_rate,participants,depts\n215,"))
        #expect(
            result.stderr
                == "line 7: error: cannot write '/nonexistent/out.csv': No such file or directory\n"
                + "leanstats repl: 1 of 8 lines failed (line 7)\n"
        )
        let again = try store.repl(".output \(file)\n.mode json\noverview 2025-11\n")
        #expect(again.status == 0)
        #expect(try String(contentsOfFile: file, encoding: .utf8).hasPrefix("{\"count\":234,"))
    }

    @Test func readRunsTheLinesOfAFileAndStopsAtQuitOrAFileThatReadsItself() throws {
        let store = try SampleStore()
        defer { store.remove() }
        let queries = try store.directory.write(
            "queries.txt",
            "-- a comment\n.mode csv\noverview 2025-11\n\nnonsense\nby status count 2025-11\n"
        )
        let result = try store.repl(".read \(queries)\n.read /nonexistent/queries.txt\n.read\n")
        #expect(result.status == 1)
        #expect(
            result.stdout == """
                count,passed,pass_rate,participants,depts
                234,89,38.03,127,13
                status,count
                COMPLETED,127
                RUNNING,107

                """
        )
        #expect(result.stderr.hasPrefix("nonsense\n^~~~~~~~\n\(queries):5: unknown command 'nonsense' at column 1;"))
        #expect(
            result.stderr.hasSuffix(
                """
                line 2: error: cannot read '/nonexistent/queries.txt': No such file or directory
                line 3: error: .read takes a file name
                leanstats repl: 3 of 3 lines failed (\(queries):5, line 2, line 3)

                """
            )
        )

        let quitting = try store.directory.write("quit.txt", ".mode csv\noverview 2025-11\n.quit\noverview 2025-10\n")
        let quit = try store.repl(".read \(quitting)\ntrend 2025\n")
        #expect(quit.stdout == "count,passed,pass_rate,participants,depts\n234,89,38.03,127,13\n")

        let looping = store.directory.file("loop.txt")
        try store.directory.write("loop.txt", ".read \(looping)\n")
        let loop = try store.repl(".read \(looping)\n.mode csv\noverview 2025-11\n")
        #expect(loop.status == 1)
        #expect(
            loop.stderr.hasPrefix(
                "\(looping):1: error: .read nested more than 16 deep; is '\(looping)' reading itself?\n"
            )
        )
        #expect(loop.stdout.hasPrefix("count,"))
    }

    @Test func markdownModePrintsAPipeTableWithNumbersRightAligned() throws {
        let store = try SampleStore()
        defer { store.remove() }
        let result = try store.repl(".mode markdown\nby status count,pass_rate 2025-11\noverview 2025-11\n")
        #expect(result.status == 0)
        #expect(
            result.stdout == """
                | status    | count | pass_rate |
                | --------- | ----: | --------: |
                | COMPLETED |   127 |     70.08 |
                | RUNNING   |   107 |         0 |
                | count | passed | pass_rate | participants | depts |
                | ----: | -----: | --------: | -----------: | ----: |
                |   234 |     89 |     38.03 |          127 |    13 |

                """
        )
        let option = try store.repl("by dept count 2025-11 where dept=生产部\n", options: ["--format", "markdown"])
        #expect(option.stdout == "| dept   | count |\n| ------ | ----: |\n| 生产部 |   120 |\n")
    }

    @Test func markdownEscapesPipesAndBackslashesInNames() throws {
        let store = try SampleStore()
        defer { store.remove() }
        let odd = try store.directory.write(
            "odd.csv",
            "business_id,process_instance_id,create_time,status,originator_dept_name\n"
                + "o1,po1,2030-01-05 10:00:00,RUNNING,研发|测试\no2,po2,2030-01-06 10:00:00,RUNNING,C:\\temp\n"
        )
        let imported = try LeanStats.run(["import", "--data", store.path, odd])
        #expect(imported.status == 0, "\(imported.stderr)")
        let result = try store.repl(".mode markdown\nby dept count 2030-01\n")
        #expect(
            result.stdout == """
                | dept       | count |
                | ---------- | ----: |
                | C:\\\\temp   |     1 |
                | 研发\\|测试 |     1 |

                """
        )
    }

    @Test func bomStartsEachCSVOutputOnceForExcel() throws {
        let store = try SampleStore()
        defer { store.remove() }
        let piped = try store.repl(
            "overview 2025-11\nby status count 2025-11\n",
            options: ["--format", "csv", "--bom"]
        )
        #expect(piped.stdout.hasPrefix("\u{FEFF}count,passed,"))
        #expect(piped.stdout.filter { $0 == "\u{FEFF}" }.count == 1)
        #expect(piped.stdout.contains("\nstatus,count\n"))

        let file = store.directory.file("excel.csv")
        let switched = try store.repl(".bom on\n.mode csv\n.output \(file)\nby dept count 2025-11 limit 1\n")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
        #expect(Array(bytes.prefix(3)) == [0xEF, 0xBB, 0xBF])
        #expect(String(decoding: bytes.dropFirst(3), as: UTF8.self) == "dept,count\n生产部,120\n")
        #expect(switched.stdout.isEmpty)
    }

    @Test func pipedInputHasNoPromptOrBannerAndToleratesWindowsLineEnds() throws {
        let store = try SampleStore()
        defer { store.remove() }
        let result = try store.repl("\u{FEFF}.mode csv\r\noverview 2025-11\r\n\r\n# done\r\nby status count 2025-11")
        #expect(result.status == 0)
        #expect(result.stderr.isEmpty)
        #expect(
            result.stdout
                == "count,passed,pass_rate,participants,depts\n234,89,38.03,127,13\n"
                + "status,count\nCOMPLETED,127\nRUNNING,107\n"
        )
    }

    @Test func pipedLinesThatFailAreNamedByLineNumberAllLinesRunAndTheExitStatusIsOne() throws {
        let store = try SampleStore()
        defer { store.remove() }
        let bad = try store.repl(".mode csv\nby dept pass_rat 2025-11\noverview 2025-11\n.nothing\n.mode cvs\n")
        #expect(bad.status == 1)
        #expect(bad.stdout == "count,passed,pass_rate,participants,depts\n234,89,38.03,127,13\n")
        #expect(
            bad.stderr == """
                by dept pass_rat 2025-11
                        ^~~~~~~~
                line 2: unknown metric 'pass_rat' at column 9; did you mean 'pass_rate'?
                line 4: error: unknown command '.nothing'; type .help for the list
                line 5: error: unknown mode 'cvs'; did you mean 'csv'? (.mode takes table, csv, json, jsonl or markdown)
                leanstats repl: 3 of 5 lines failed (line 2, line 4, line 5)

                """
        )
        let good = try store.repl("overview 2025-11\n")
        #expect(good.status == 0)
        #expect(good.stderr.isEmpty)
    }

    @Test func unreadableInputFailsWithTheSystemReason() throws {
        let store = try SampleStore()
        defer { store.remove() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "exec \"$0\" repl --data \"$1\" < /", LeanStats.executable, store.path]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 1)
        #expect(stderr == "leanstats: cannot read standard input: Is a directory\n")
    }

    @Test func reloadPicksUpANewSnapshotWithoutRestarting() throws {
        let store = try SampleStore()
        defer { store.remove() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: LeanStats.executable)
        process.arguments = ["repl", "--data", store.path, "--format", "csv"]
        let input = Pipe()
        let output = Pipe()
        let errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        input.fileHandleForWriting.write(Data("overview all\n".utf8))
        var first = Data()
        while first.filter({ $0 == UInt8(ascii: "\n") }).count < 2 {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            first.append(chunk)
        }
        #expect(String(decoding: first, as: UTF8.self).hasPrefix("count,passed,pass_rate,participants,depts\n2400,"))

        let extra = try store.directory.write(
            "extra.csv",
            "business_id,process_instance_id,create_time,status\nx1,px1,2025-11-05 10:00:00,RUNNING\n"
        )
        let imported = try LeanStats.run(["import", "--data", store.path, extra])
        #expect(imported.status == 0, "\(imported.stderr)")

        input.fileHandleForWriting.write(Data(".reload\noverview all\n".utf8))
        try input.fileHandleForWriting.close()
        let rest = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(rest.hasPrefix("count,passed,pass_rate,participants,depts\n2401,"))
        #expect(stderr == "loaded 2401 instances\n")
    }
}

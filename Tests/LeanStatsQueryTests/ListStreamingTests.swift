import LeanStatsCore
import LeanStatsQuery
import Testing

/// A `list` is printed a chunk of rows at a time; the text must be the same as when the whole result is rendered.
struct ListStreamingTests {
    /// Three chunks and a bit of synthetic history, with names of every width.
    static let executor: QueryExecutor = {
        let clock = LanguageExtensionTests.clock
        let history = SyntheticHistory(rows: ListRows.chunkRows * 3 + 17, seed: 7)
        return QueryExecutor(engine: StatisticsEngine(table: history.table(clock: clock), clock: clock))
    }()

    /// The pieces the formatter writes for a query, joined, and whether it finished.
    static func streamed(_ line: String, _ format: OutputFormat, stopAfter pieces: Int = .max) throws -> (String, Bool)
    {
        let stream = try executor.stream(try Query(parsing: line))
        var text = ""
        var written = 0
        let complete = format.formatter(csvByteOrderMark: true).write(
            stream,
            isCancelled: { written >= pieces },
            emit: {
                text += $0
                written += 1
            }
        )
        return (text, complete)
    }

    @Test(arguments: OutputFormat.allCases)
    func aListWrittenInChunksIsTheSameTextAsTheWholeResult(format: OutputFormat) throws {
        for line in ["list all", "list 2025 where status=RUNNING", "list 2025-11 limit 5", "list 1999"] {
            let whole = format.formatter(csvByteOrderMark: true).render(try Self.executor.run(line))
            let (streamed, complete) = try Self.streamed(line, format)
            #expect(complete)
            #expect(streamed == whole, "\(line) as \(format)")
        }
    }

    @Test func aListOfMoreThanOneChunkReallyIsWrittenInPieces() throws {
        let stream = try Self.executor.stream(try Query(parsing: "list all"))
        guard case .list(let rows) = stream else {
            Issue.record("list is not streamed")
            return
        }
        #expect(rows.count == ListRows.chunkRows * 3 + 17)
        var pieces: [Int] = []
        _ = OutputFormat.jsonl.formatter(csvByteOrderMark: false).write(
            stream,
            isCancelled: { false },
            emit: { pieces.append($0.split(separator: "\n").count) }
        )
        #expect(pieces == [ListRows.chunkRows, ListRows.chunkRows, ListRows.chunkRows, 17])
    }

    @Test(arguments: OutputFormat.allCases)
    func cancellingStopsBetweenChunksAndSaysItDidNotFinish(format: OutputFormat) throws {
        let (text, complete) = try Self.streamed("list all", format, stopAfter: 2)
        #expect(!complete)
        let lines = text.split(separator: "\n").count
        #expect(lines > 0)
        #expect(lines < ListRows.chunkRows * 2 + 3)
    }

    @Test func otherFormsAreWrittenWhole() throws {
        let (text, complete) = try Self.streamed("by dept count all", .csv)
        #expect(complete)
        #expect(
            text
                == OutputFormat.csv.formatter(csvByteOrderMark: true).render(try Self.executor.run("by dept count all"))
        )
    }
}

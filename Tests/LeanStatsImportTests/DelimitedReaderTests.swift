import LeanStatsImport
import Testing

/// Splits text with a reader and returns each record's line and decoded values.
private func split(_ text: String, _ dialect: DelimitedReader.Dialect = .csv) -> [(line: Int, values: [String?])] {
    split(bytes: Array(text.utf8), dialect)
}

private func split(bytes: [UInt8], _ dialect: DelimitedReader.Dialect) -> [(line: Int, values: [String?])] {
    var out: [(line: Int, values: [String?])] = []
    _ = bytes.withUnsafeBufferPointer { buffer in
        DelimitedReader(dialect: dialect).forEachRecord(in: buffer) { record in
            out.append((record.line, record.values))
        }
    }
    return out
}

private func problems(_ text: String) -> [DelimitedRecord.Problem?] {
    var out: [DelimitedRecord.Problem?] = []
    _ = Array(text.utf8).withUnsafeBufferPointer { buffer in
        DelimitedReader(dialect: .csv).forEachRecord(in: buffer) { out.append($0.problem) }
    }
    return out
}

struct DelimitedReaderTests {
    @Test func quotedFieldsKeepCommasAndDoubledQuotes() {
        let records = split("a,b,c\n\"x, y\",\"say \"\"hi\"\"\",plain\n")
        #expect(records.count == 2)
        #expect(records[1].values == ["x, y", "say \"hi\"", "plain"])
    }

    @Test func lineBreaksInsideQuotesCountTowardsLaterLineNumbers() {
        let text = "h1,h2\n\"one\nstill one\r\nand more\",x\nnext,y\n"
        let records = split(text)
        #expect(records.map(\.line) == [1, 2, 5])
        #expect(records[1].values == ["one\nstill one\r\nand more", "x"])
        #expect(records[2].values == ["next", "y"])
    }

    @Test func byteOrderMarkIsStrippedAndCRLFEndsLines() {
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("id,name\r\n1,张三\r\n2,李四".utf8)
        let records = split(bytes: bytes, .csv)
        #expect(records.map(\.values) == [["id", "name"], ["1", "张三"], ["2", "李四"]])
        #expect(records.map(\.line) == [1, 2, 3])
    }

    @Test func aRecordWiderThanAnyBeforeKeepsEveryFieldAndTheNarrowerRecordsAfterIt() {
        // The field list starts with room for 16 fields and grows on the wide record, in both dialects.
        let wide = (1...70).map { "f\($0)" }
        for (dialect, delimiter) in [(DelimitedReader.Dialect.csv, ","), (.tsv, "\t")] {
            let text = ["a\(delimiter)b", wide.joined(separator: delimiter), "x\(delimiter)y"].joined(separator: "\n")
            let records = split(text, dialect)
            #expect(records.map(\.values) == [["a", "b"], wide, ["x", "y"]], "\(dialect)")
        }
    }

    @Test func trailingDelimiterMakesAnEmptyLastField() {
        let records = split("a,b,\n1,2,")
        #expect(records.map(\.values.count) == [3, 3])
        #expect(records[1].values[2] == nil)
    }

    @Test func blankLinesAreSkippedButCounted() {
        let records = split("a\n\n\nb\n")
        #expect(records.map(\.line) == [1, 4])
    }

    @Test func emptyNULLAndBackslashNAreMissingInCSV() {
        let records = split("a,b,c,d,e\n,NULL,\\N,\"\",null\n")
        #expect(records[1].values == [nil, nil, nil, nil, "null"])
    }

    @Test func malformedQuotesAreFlaggedNotSwallowed() {
        #expect(problems("a,b\n\"x\"y,z\n1,2\n") == [nil, .textAfterClosingQuote, nil])
        #expect(problems("a,b\n1,\"never closed\n2,3\n") == [nil, .unterminatedQuote])
    }

    @Test func tsvDecodesMySQLBackslashEscapes() {
        let row = [#"tab\there"#, #"line\none\\back"#, #"nul\0x"#].joined(separator: "\t")
        let text = "a\tb\tc\n" + row + "\n" + #"\N"# + "\tNULL\t\n"
        let records = split(text, .tsv)
        #expect(records.count == 3)
        #expect(records[1].values == ["tab\there", "line\none\\back", "nul\u{0}x"])
        #expect(records[2].values == [nil, nil, nil])
    }

    @Test func tsvEscapedLiteralLineBreakStaysInTheFieldAndCountsALine() {
        // SELECT … INTO OUTFILE writes a backslash before a real line break or tab inside a field.
        let text = "a\tb\n" + "first\\\nsecond\tx\\\ty\n" + "next\tz\n"
        let records = split(text, .tsv)
        #expect(records.map(\.line) == [1, 2, 4])
        #expect(records[1].values == ["first\nsecond", "x\ty"])
        #expect(records[2].values == ["next", "z"])
    }

    @Test(arguments: [("a,b\n1,2", DelimitedReader.Dialect.csv), ("a\tb\n1\t2", .tsv), ("a b,c\nx\ty", .csv)])
    func dialectFollowsTheFirstLine(text: String, expected: DelimitedReader.Dialect) {
        let dialect = Array(text.utf8).withUnsafeBufferPointer { DelimitedReader.dialect(of: $0) }
        #expect(dialect == expected)
    }
}

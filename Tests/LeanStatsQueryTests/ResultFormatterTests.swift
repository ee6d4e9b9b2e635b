import Testing

@testable import LeanStatsQuery

struct ResultFormatterTests {
    static let byDept = ResultTable(
        columns: ["dept", "count", "pass_rate", "avg_days"],
        rows: [
            ["生产部", 7, .double(71.42857142857143), 3.5],
            ["质量管理部", 12, 50.0, .null],
            ["IT", 3, .double(100.0 / 3.0), 12.0],
        ]
    )

    static let overview = ResultTable(
        columns: ["count", "passed", "pass_rate", "participants", "depts"],
        rows: [[22, 12, .double(54.54545454545455), 9, 4]],
        isSingleObject: true
    )

    // MARK: - Width

    @Test(
        arguments: [
            ("abc", 3), ("生产部", 6), ("ｆｕｌｌ", 8), ("한국어", 6), ("かな", 4), ("。、", 4), ("e\u{301}", 1),
            ("🙂", 2), ("👨‍👩‍👧", 2), ("❤️", 2), ("❤", 1), ("\u{200B}", 0), ("", 0), ("a\u{7}b", 2), ("Ω", 1),
            ("\u{1100}\u{1161}\u{11A8}", 2), ("𠀋", 2), ("ﾊﾝｶｸ", 4), ("一\u{301}", 2), ("部门a", 5), ("a\u{7F}b", 2),
        ] as [(String, Int)]
    )
    func measuresTerminalColumns(text: String, width: Int) {
        #expect(displayWidth(text) == width)
    }

    @Test func findsControlCharactersFromTheirBytesExactlyWhereTheirGeneralCategoryIsControl() {
        // Every scalar of one and two UTF-8 bytes, between an ASCII letter and a Chinese one.
        let wrong = (UInt32(0)..<0x800).compactMap(Unicode.Scalar.init).filter { scalar in
            let text = "x" + String(Character(scalar)) + "生"
            return TableFormatter.hasControlCharacter(text) != (scalar.properties.generalCategory == .control)
        }
        #expect(wrong.isEmpty, "\(wrong.map(\.value))")
        #expect(TableFormatter.escaped("生产\u{85}部") == "生产\\u{85}部")
        #expect(TableFormatter.escaped("生产部¢") == "生产部¢")
    }

    // MARK: - Table

    @Test func alignsChineseTextAndRightAlignsNumbers() {
        #expect(
            TableFormatter().render(Self.byDept) == """
                dept        count  pass_rate  avg_days
                ----------  -----  ---------  --------
                生产部          7      71.43       3.5
                质量管理部     12         50         –
                IT              3      33.33        12

                """
        )
    }

    @Test func printsASingleObjectAsOneRow() {
        #expect(
            TableFormatter().render(Self.overview) == """
                count  passed  pass_rate  participants  depts
                -----  ------  ---------  ------------  -----
                   22      12      54.55             9      4

                """
        )
    }

    @Test func saysSoWhenThereAreNoRows() {
        let empty = ResultTable(columns: ["month", "count"], rows: [])
        #expect(
            TableFormatter().render(empty) == """
                month  count
                -----  -----
                (0 rows)

                """
        )
    }

    @Test func keepsEachRowOnOneLine() {
        let table = ResultTable(columns: ["dept", "n"], rows: [["a\nb\tc", 1]])
        #expect(
            TableFormatter().render(table) == """
                dept     n
                -------  -
                a\\nb\\tc  1

                """
        )
    }

    @Test(
        arguments: [
            (71.42857142857143, "71.43"), (50.0, "50"), (12.5, "12.5"), (0.005, "0.01"), (-0.001, "0"),
            (-1.25, "-1.25"), (0.1 + 0.2, "0.3"), (2.999, "3"), (1e20, "1e+20"),
            (123456789012345.678, "123456789012346"),
            (-7.0, "-7"), (0.07, "0.07"),
        ] as [(Double, String)]
    )
    func showsAtMostTwoDecimalsInTheTable(value: Double, text: String) {
        #expect(TableFormatter.twoDecimals(value) == text)
    }

    // MARK: - CSV

    @Test func writesRFC4180WithNumbersRoundedLikeTheTable() {
        let table = ResultTable(
            columns: ["dept", "count", "pass_rate", "note,with comma"],
            rows: [
                ["生产部", 7, .double(71.42857142857143), "plain"],
                ["a,b", 1, 50.0, #"say "hi""#],
                ["line\nbreak", 0, .null, "cr\rhere"],
            ]
        )
        #expect(
            CSVFormatter(lineEnding: .crlf).render(table)
                == "dept,count,pass_rate,\"note,with comma\"\r\n"
                + "生产部,7,71.43,plain\r\n"
                + "\"a,b\",1,50,\"say \"\"hi\"\"\"\r\n"
                + "\"line\nbreak\",0,,\"cr\rhere\"\r\n"
        )
    }

    @Test func startsWithAByteOrderMarkOnRequest() {
        let table = ResultTable(columns: ["dept"], rows: [["生产部"]])
        let text = CSVFormatter(byteOrderMark: true).render(table)
        #expect(Array(text.utf8.prefix(3)) == [0xEF, 0xBB, 0xBF])
        #expect(text == "\u{FEFF}dept\n生产部\n")
        #expect(OutputFormat.csv.formatter(csvByteOrderMark: true).render(table) == text)
        #expect(CSVFormatter(lineEnding: .crlf).render(table) == "dept\r\n生产部\r\n")
    }

    @Test func writesOnlyTheHeaderForNoRows() {
        #expect(CSVFormatter().render(ResultTable(columns: ["month", "count"], rows: [])) == "month,count\n")
    }

    // MARK: - JSON

    @Test func writesTheExampleOfTheSpecification() {
        let table = ResultTable(columns: ["dept", "pass_rate"], rows: [["生产部", .double(71.42857142857143)]])
        #expect(JSONFormatter().render(table) == #"[{"dept":"生产部","pass_rate":71.42857142857143}]"# + "\n")
    }

    @Test func writesAnArrayOfObjectsInColumnOrder() {
        #expect(
            JSONFormatter().render(Self.byDept)
                == #"[{"dept":"生产部","count":7,"pass_rate":71.42857142857143,"avg_days":3.5},"#
                + #"{"dept":"质量管理部","count":12,"pass_rate":50.0,"avg_days":null},"#
                + #"{"dept":"IT","count":3,"pass_rate":33.333333333333336,"avg_days":12.0}]"# + "\n"
        )
    }

    @Test func writesOneObjectForOverview() {
        #expect(
            JSONFormatter().render(Self.overview)
                == #"{"count":22,"passed":12,"pass_rate":54.54545454545455,"participants":9,"depts":4}"# + "\n"
        )
    }

    @Test func writesNullsForASingleObjectWithoutARow() {
        let table = ResultTable(columns: ["avg_days", "completed"], rows: [], isSingleObject: true)
        #expect(JSONFormatter().render(table) == #"{"avg_days":null,"completed":null}"# + "\n")
    }

    @Test func writesAnEmptyArrayForNoRows() {
        #expect(JSONFormatter().render(ResultTable(columns: ["dept"], rows: [])) == "[]\n")
    }

    @Test func escapesQuotesBackslashesAndControlCharacters() {
        let table = ResultTable(columns: ["k\"ey"], rows: [["a\"b\\c\nd\t\u{1F}e/生产🙂\u{7F}"]])
        #expect(
            JSONFormatter().render(table)
                == #"[{"k\"ey":"a\"b\\c\u000ad\u0009\u001fe/生产🙂"# + "\u{7F}" + #""}]"# + "\n"
        )
    }

    @Test(arguments: [
        (ResultValue.int(0), "0"), (.int(-42), "-42"), (.double(50.0), "50.0"), (.double(0.1), "0.1"),
        (.double(1e-7), "1e-07"), (.double(1e16), "1e+16"), (.double(-0.5), "-0.5"), (.double(.nan), "null"),
        (.double(.infinity), "null"), (.null, "null"), (.string(""), #""""#),
    ])
    func printsNumbersUnrounded(value: ResultValue, json: String) {
        #expect(JSONText.value(value) == json)
    }

    // MARK: - JSON Lines

    @Test func writesOneObjectPerLine() {
        #expect(
            JSONLinesFormatter().render(Self.byDept)
                == #"{"dept":"生产部","count":7,"pass_rate":71.42857142857143,"avg_days":3.5}"# + "\n"
                + #"{"dept":"质量管理部","count":12,"pass_rate":50.0,"avg_days":null}"# + "\n"
                + #"{"dept":"IT","count":3,"pass_rate":33.333333333333336,"avg_days":12.0}"# + "\n"
        )
        #expect(JSONLinesFormatter().render(Self.overview).split(separator: "\n").count == 1)
        #expect(JSONLinesFormatter().render(ResultTable(columns: ["dept"], rows: [])) == "")
    }

    // MARK: - Formats

    @Test func offersTheFormatsOfTheCommandLine() {
        #expect(OutputFormat.allCases.map(\.rawValue) == ["table", "csv", "json", "jsonl"])
        #expect(OutputFormat(rawValue: "jsonl") == .jsonl)
        for format in OutputFormat.allCases {
            #expect(format.render(Self.byDept) == format.formatter().render(Self.byDept))
        }
        #expect(OutputFormat.json.render(Self.byDept) == JSONFormatter().render(Self.byDept))
    }

    @Test func readsShortRowsAsNull() {
        let table = ResultTable(columns: ["a", "b"], rows: [[1]])
        #expect(JSONFormatter().render(table) == #"[{"a":1,"b":null}]"# + "\n")
        #expect(CSVFormatter(lineEnding: .lf).render(table) == "a,b\n1,\n")
    }
}

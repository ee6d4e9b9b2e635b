import Testing

@testable import LeanStatsQuery

struct QueryLexerTests {
    @Test func splitsWordsPunctuationAndQuotedValuesWithCharacterColumns() throws {
        let tokens = try QueryLexer.tokenize(#"where 部门="生产 \"一\" 部",x = y\z"#)
        #expect(tokens.map(\.kind) == [.word, .word, .equals, .quoted, .comma, .word, .equals, .word])
        #expect(tokens.map(\.text) == ["where", "部门", "=", #"生产 "一" 部"#, ",", "x", "=", #"y\z"#])
        #expect(tokens.map(\.source)[3] == #""生产 \"一\" 部""#)
        #expect(tokens.map(\.column) == [1, 7, 9, 10, 22, 23, 25, 27])
    }

    @Test func keepsABackslashThatEscapesNothing() throws {
        #expect(try QueryLexer.tokenize(#""a\nb\\""#).map(\.text) == [#"a\nb\"#])
    }

    @Test func readsAnEmptyOrBlankLineAsNoTokens() throws {
        #expect(try QueryLexer.tokenize("").isEmpty)
        #expect(try QueryLexer.tokenize(" \t\u{3000} ").isEmpty)
    }

    @Test func reportsTheOpeningQuoteOfAnUnterminatedValue() {
        #expect(
            throws: QueryError(
                .unterminatedQuote,
                column: 6,
                word: #""a \" b"#,
                "unterminated quote",
                hint: #"close the value with '"' (write \" for a quote inside it)"#
            )
        ) {
            try QueryLexer.tokenize(#"dept="a \" b"#)
        }
    }
}

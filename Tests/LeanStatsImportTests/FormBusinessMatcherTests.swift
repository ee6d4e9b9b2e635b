import LeanStatsCore
import Testing

@testable import LeanStatsImport

/// Form rows find the instance rows already read that their business ids name, within bounded searches.
struct FormBusinessMatcherTests {
    /// Merged rows whose business ids are B-0 … B-(count - 1), in row order.
    private func rows(_ count: Int) -> MergedInstanceRows {
        var rows = MergedInstanceRows()
        var builder = StringDictionaryBuilder()
        let slot = InstanceRowsPart.Slot.businessId.rawValue
        rows.createTime = TimeColumn([Int64](repeating: 0, count: count))
        rows.codes[slot] = .u32((0..<count).map { builder.intern("B-\($0)") })
        rows.dictionaries[slot] = builder.build()
        return rows
    }

    private func code(
        _ matcher: FormBusinessMatcher,
        _ id: String,
        _ position: inout FormBusinessMatcher.Position
    )
        -> UInt32?
    {
        var id = id
        return id.withUTF8 { matcher.code(of: $0, from: &position) }
    }

    @Test func aPieceFindsItsPlaceFromAWrongGuessAndThenFollowsTheRows() throws {
        let matcher = try #require(FormBusinessMatcher(rows(5000)))
        var position = matcher.start(at: 0.9)
        #expect(position.cursor == 4500)
        #expect(code(matcher, "B-10", &position).map { matcher.dictionary[$0] } == "B-10")
        #expect(position.cursor == 11)
        // The next instances, one after a gap of fifteen without form rows, and one before.
        #expect(code(matcher, "B-11", &position).map { matcher.dictionary[$0] } == "B-11")
        #expect(code(matcher, "B-27", &position).map { matcher.dictionary[$0] } == "B-27")
        #expect(code(matcher, "B-26", &position).map { matcher.dictionary[$0] } == "B-26")
        #expect(code(matcher, "B-x", &position) == nil)
        #expect(position.cursor == 27)
    }

    @Test func aPieceWhoseIdsAreMostlyMissingStopsSearchingAfterItsBudget() throws {
        let matcher = try #require(FormBusinessMatcher(rows(5000)))
        var position = matcher.start(at: 0)
        #expect(code(matcher, "B-0", &position) != nil)
        for index in 0..<FormBusinessMatcher.missesBeforeGivingUp {
            #expect(code(matcher, "missing-\(index)", &position) == nil)
        }
        #expect(position.misses == FormBusinessMatcher.missesBeforeGivingUp)
        // Given up: even the very next instance is left to the join.
        #expect(code(matcher, "B-1", &position) == nil)
        #expect(position.misses == FormBusinessMatcher.missesBeforeGivingUp)
    }

    @Test func noMatcherIsMadeForNoRows() {
        #expect(FormBusinessMatcher(MergedInstanceRows()) == nil)
    }
}

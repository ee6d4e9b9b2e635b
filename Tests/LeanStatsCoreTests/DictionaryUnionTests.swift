import LeanStatsCore
import Testing

/// Merging dictionaries gives what one builder fed every value in order would give.
struct DictionaryUnionTests {
    private func dictionary(_ values: [String]) -> StringDictionary {
        var builder = StringDictionaryBuilder()
        for value in values { _ = builder.intern(value) }
        return builder.build()
    }

    private func strings(_ dictionary: StringDictionary) -> [String] {
        (1..<dictionary.count).map { dictionary[UInt32($0)]! }
    }

    @Test(arguments: [10, 5_000, 70_000])
    func partsMergeInOrderOfFirstAppearanceWithTheBaseKeepingItsCodes(valuesPerPart: Int) {
        let base = dictionary(["b3", "a", "b0"])
        let parts = (0..<3).map { part in
            dictionary((0..<valuesPerPart).map { "b\(($0 * 7 + part * valuesPerPart / 2) % (valuesPerPart * 2))" })
        }
        let union = DictionaryUnion(base: base, parts: parts)
        var expected = StringDictionaryBuilder(base)
        for part in parts {
            for code in 1..<part.count { _ = expected.intern(part[UInt32(code)]) }
        }
        #expect(union.dictionary == expected.build())
        for (index, part) in parts.enumerated() {
            #expect(union.maps[index][0] == 0)
            for code in 1..<part.count {
                #expect(union.dictionary[union.maps[index][code]] == part[UInt32(code)])
            }
        }
    }

    @Test func nearlyUniqueValuesWithAFewRepeatsMergeLikeOneBuilder() {
        // Ids seldom repeat, so their bytes are compared where they lie; the repeats must still be found.
        let parts = (0..<3).map { part in
            dictionary((0..<30_000).map { "SYN\(part)-\($0)" } + (part > 0 ? ["SYN0-17", "SYN\(part - 1)-29999"] : []))
        }
        let union = DictionaryUnion(base: StringDictionary(), parts: parts)
        var expected = StringDictionaryBuilder()
        for part in parts {
            for code in 1..<part.count { _ = expected.intern(part[UInt32(code)]) }
        }
        #expect(union.dictionary == expected.build())
        #expect(union.dictionary.count == 90_001)
        #expect(union.dictionary[union.maps[2][30_001]] == "SYN0-17")
    }

    @Test func distinctIdsAreNumberedInOrderAfterTheBase() {
        // No two hashes are equal, so the union numbers every entry without comparing bytes.
        let base = dictionary((0..<1000).map { "BASE-\($0)" })
        let parts = (0..<2).map { part in dictionary((0..<30_000).map { "SYN\(part)-\($0)" }) }
        let union = DictionaryUnion(base: base, parts: parts)
        var expected = StringDictionaryBuilder(base)
        for part in parts {
            for code in 1..<part.count { _ = expected.intern(part[UInt32(code)]) }
        }
        #expect(union.dictionary == expected.build())
        #expect(union.maps[0][1] == 1001)
        #expect(union.maps[1][30_000] == 61_000)
        #expect(union.dictionary[union.maps[1][5]] == "SYN1-4")
    }

    @Test func aLookUpOnlyPartFindsEntriesButAddsNone() {
        let base = dictionary(["x"])
        let own = dictionary(["y", "z"])
        let lookups = dictionary(["z", "q", "x", "y"])
        let union = DictionaryUnion(base: base, parts: [own, lookups], lookupOnly: [false, true])
        #expect(strings(union.dictionary) == ["x", "y", "z"])
        #expect(union.maps[1] == [0, 3, 0, 1, 2])
    }

    @Test func aSinglePartWithoutBaseIsItsOwnDictionary() {
        let part = dictionary(["p", "q"])
        let union = DictionaryUnion(base: StringDictionary(), parts: [part])
        #expect(union.dictionary == part)
        #expect(union.maps == [[0, 1, 2]])
    }

    @Test func adaptiveBuildersOfMostlyNewValuesStopLookingUpAndTheUnionStillDedupes() {
        // Part 0 is nearly unique (ids) with repeats after its sample; part 1 repeats a few values (categories).
        let ids = (0..<10_000).map { "id-\($0)" } + (0..<500).map { "id-\($0 * 7)" }
        let categories = (0..<10_000).map { "类别 \($0 % 15)" } + ["id-3"]
        var builders = [StringDictionaryBuilder(adaptive: true), StringDictionaryBuilder(adaptive: true)]
        var codes: [[UInt32]] = [[], []]
        for (part, values) in [ids, categories].enumerated() {
            for value in values { codes[part].append(builders[part].intern(value)) }
        }
        #expect(builders[0].appendsOnly)
        #expect(!builders[1].appendsOnly)
        #expect(builders[0].count == ids.count + 1)

        let union = DictionaryUnion(base: dictionary(["类别 2"]), builders: builders)
        var expected = StringDictionaryBuilder(dictionary(["类别 2"]))
        for value in ids + categories { _ = expected.intern(value) }
        #expect(union.dictionary == expected.build())
        for (part, values) in [ids, categories].enumerated() {
            #expect(codes[part].map { union.dictionary[union.maps[part][Int($0)]] } == values)
        }
    }

    @Test func anAdaptiveBuilderDecidesAtTheFirstNewValueAfterItsSampleEvenWhenTheSampleEndsOnARepeat() {
        var builder = StringDictionaryBuilder(adaptive: true)
        for index in 0..<4095 { _ = builder.intern("id-\(index)") }
        _ = builder.intern("id-0")
        #expect(!builder.appendsOnly, "the 4096th value is a repeat: nothing decided yet")
        _ = builder.intern("id-4095")
        #expect(builder.appendsOnly, "the first new value after the sample decides: ids append")
    }

    @Test func anAdaptiveBuilderOfNamesThatRepeatOnceInEightKeepsLookingUp() {
        // A few ten thousand names or titles: about seven in eight values of a piece's sample are new.
        var builder = StringDictionaryBuilder(adaptive: true)
        var codes: [UInt32] = []
        for index in 0..<20_000 { codes.append(builder.intern("姓名\(index % 8 == 7 ? index - 7 : index)")) }
        #expect(!builder.appendsOnly)
        #expect(builder.count == 17_500 + 1)
        #expect(codes[7] == codes[0])
    }

    @Test func internWithThePreviousCodeGivesTheCodePlainInternGives() {
        var hinted = StringDictionaryBuilder()
        var plain = StringDictionaryBuilder()
        var previous: UInt32 = 0
        for value in ["a", "a", "b", "a", "bb", "bb", "", "c"] {
            let code = Array(value.utf8).withUnsafeBufferPointer { hinted.intern(bytes: $0, previous: previous) }
            #expect(code == plain.intern(value))
            previous = code
        }
        #expect(hinted.build() == plain.build())
    }
}

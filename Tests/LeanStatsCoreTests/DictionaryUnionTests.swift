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

import Testing

@testable import LeanStatsCore

/// Looking a value up through its fingerprint finds exactly the code a full comparison of every entry finds.
struct DictionaryFingerprintsTests {
    @Test func everyEntryIsFoundAtItsCodeAndNearMissesAreNotFound() {
        var builder = StringDictionaryBuilder()
        var values: [String] = []
        // Ids that differ in one digit, Chinese names of two to four characters, and values of one byte: many
        // share a length, and among 20 000 entries about eighty share each fingerprint.
        for index in 0..<8000 { values.append("user\(100_000 + index)") }
        let family = Array("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗")
        let given = Array("芳鹏伟敏静丽强磊军洋勇艳杰娟涛明超秀霞平")
        for index in 0..<12_000 {
            var name = String(family[index % family.count]) + String(given[(index / family.count) % given.count])
            if index >= 400 { name += String(given[(index / 400) % given.count]) }
            if index >= 8000 { name += String(family[(index / 8000) % family.count]) }
            values.append(name)
        }
        values += ["a", "b", "é"]
        for value in values { _ = builder.intern(value) }
        let dictionary = builder.build()
        let fingerprints = DictionaryFingerprints(dictionary)
        #expect(dictionary.count > 15_000)
        for code in 1..<dictionary.count {
            let value = dictionary[UInt32(code)]!
            #expect(fingerprints.code(of: value, in: dictionary) == UInt32(code), "\(value)")
        }
        for absent in ["", "user", "user99999", "user1000000", "王", "王芳鹏伟敏", "c", "e", "user100000 "] {
            #expect(fingerprints.code(of: absent, in: dictionary) == dictionary.code(of: absent))
            #expect(fingerprints.code(of: absent, in: dictionary) == nil, "\(absent)")
        }
    }

    @Test func anEmptyDictionaryFindsNothing() {
        let dictionary = StringDictionary()
        #expect(DictionaryFingerprints(dictionary).code(of: "王芳", in: dictionary) == nil)
    }
}

/// One byte of each entry's hash in a large ``StringDictionary`` (user ids, user names), so that finding a value's
/// code compares eight fingerprints per word and the bytes of only the entries whose fingerprint matches (about one
/// in 256), instead of the bytes of every entry of the same length.
///
/// 1 B per entry: a million users cost 1 MB, against the 8 MB or more of a hash table of codes.
struct DictionaryFingerprints: Sendable {
    /// One fingerprint per code (code 0's is never matched), padded with zeros to whole words.
    private let words: [UInt64]
    /// The number of codes, including code 0.
    private let count: Int

    /// Fingerprints the entries of `dictionary`.
    /// - Complexity: O(total bytes), once.
    init(_ dictionary: StringDictionary) {
        count = dictionary.count
        var words = [UInt64](repeating: 0, count: (dictionary.count + 7) / 8)
        dictionary.bytes.withUnsafeBufferPointer { bytes in
            words.withUnsafeMutableBytes { fingerprints in
                for code in 1..<max(dictionary.count, 1) {
                    let entry = UnsafeBufferPointer(
                        rebasing: bytes[dictionary.offsets[code]..<dictionary.offsets[code + 1]]
                    )
                    fingerprints[code] = Self.fingerprint(entry)
                }
            }
        }
        self.words = words
    }

    /// The fingerprint of some bytes: the top byte of the dictionary hash.
    @inline(__always)
    private static func fingerprint(_ value: UnsafeBufferPointer<UInt8>) -> UInt8 {
        UInt8(truncatingIfNeeded: StringDictionaryBuilder.hash(value) >> 56)
    }

    /// The code of `value` in `dictionary` (the one these fingerprints were made of), `nil` when it holds no such
    /// entry; the empty string is never an entry.
    /// - Complexity: O(codes / 8) word compares, plus a byte compare per fingerprint match.
    func code(of value: String, in dictionary: StringDictionary) -> UInt32? {
        var value = value
        return value.withUTF8 { value -> UInt32? in
            guard !value.isEmpty else { return nil }
            let repeated = UInt64(Self.fingerprint(value)) &* 0x0101_0101_0101_0101
            let lows: UInt64 = 0x0101_0101_0101_0101
            let highs: UInt64 = 0x8080_8080_8080_8080
            return words.withUnsafeBufferPointer { words -> UInt32? in
                for index in words.indices {
                    // A byte of `difference` is zero where the fingerprint matches; the test may also flag a byte
                    // above a matching one, which the byte compare then rejects.
                    let difference = words[index] ^ repeated
                    guard (difference &- lows) & ~difference & highs != 0 else { continue }
                    for lane in 0..<8 where (difference >> (lane * 8)) & 0xFF == 0 {
                        let code = index * 8 + lane
                        if code > 0, code < count, dictionary.entry(UInt32(code), equals: value) {
                            return UInt32(code)
                        }
                    }
                }
                return nil
            }
        }
    }
}

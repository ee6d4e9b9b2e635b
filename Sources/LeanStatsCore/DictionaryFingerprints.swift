/// One byte of each entry's hash in a large ``StringDictionary`` (user ids, user names), so that finding a value's
/// code compares eight fingerprints per word (``scanPositions(of:in:_:)``) and the bytes of only the entries whose
/// fingerprint matches (about one in 256), instead of the bytes of every entry of the same length.
///
/// 1 B per entry: a million users cost 1 MB, against the 8 MB or more of a hash table of codes.
struct DictionaryFingerprints: Sendable {
    /// One fingerprint per code (code 0's is never matched).
    private let fingerprints: [UInt8]

    /// Fingerprints the entries of `dictionary`.
    /// - Complexity: O(total bytes), once.
    init(_ dictionary: StringDictionary) {
        var fingerprints = [UInt8](repeating: 0, count: dictionary.count)
        dictionary.bytes.withUnsafeBufferPointer { bytes in
            for code in 1..<max(dictionary.count, 1) {
                let entry = UnsafeBufferPointer(
                    rebasing: bytes[dictionary.offsets[code]..<dictionary.offsets[code + 1]]
                )
                fingerprints[code] = Self.fingerprint(entry)
            }
        }
        self.fingerprints = fingerprints
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
            var found: UInt32?
            fingerprints.withUnsafeBufferPointer { fingerprints in
                scanPositions(of: Self.fingerprint(value), in: fingerprints) { code in
                    if code > 0, dictionary.entry(UInt32(code), equals: value) { found = UInt32(code) }
                    return found == nil
                }
            }
            return found
        }
    }
}

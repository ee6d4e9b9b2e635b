/// A hash index over the entries of a ``StringDictionary``: the code of a value without scanning or re-hashing the
/// dictionary.
///
/// Open addressing over codes, hashed with ``StringDictionaryBuilder``'s byte hash; each slot holds a code in the
/// low 32 bits (0 marks an empty slot) and the high 32 bits of its hash above it, so most mismatches never touch
/// the dictionary's bytes. The index knows only codes; lookups compare bytes against the dictionary passed in,
/// which must start with the entries the index was built from (``extend(with:)`` follows a dictionary that grew
/// by appended entries).
struct DictionaryLookup: Sendable {
    /// The slots; the capacity is a power of two with at most three in four slots in use.
    private var slots: [UInt64]
    /// The number of codes indexed, including code 0.
    private(set) var count: Int

    /// An index of every entry of `dictionary`.
    /// - Complexity: O(total bytes) hashing plus O(entries) table work.
    init(_ dictionary: StringDictionary) {
        slots = Array(repeating: 0, count: Self.capacity(for: dictionary.count))
        count = 1
        extend(with: dictionary)
    }

    /// Indexes the entries of `dictionary` past ``count``.
    /// - Precondition: `dictionary` starts with the entries indexed so far.
    /// - Complexity: O(bytes of the new entries), plus a rehash of every entry when the table has to grow.
    mutating func extend(with dictionary: StringDictionary) {
        guard dictionary.count > count else { return }
        let first = count
        count = dictionary.count
        dictionary.bytes.withUnsafeBufferPointer { bytes in
            dictionary.offsets.withUnsafeBufferPointer { offsets in
                if Self.capacity(for: count) > slots.count {
                    slots = Array(repeating: 0, count: Self.capacity(for: count))
                    for code in 1..<count { insert(code, bytes: bytes, offsets: offsets) }
                } else {
                    for code in first..<count { insert(code, bytes: bytes, offsets: offsets) }
                }
            }
        }
    }

    /// The code of `value` among the first `limit` codes of `dictionary`, `nil` when none holds it.
    /// - Parameters:
    ///   - value: The UTF-8 bytes; empty bytes have code 0.
    ///   - dictionary: A dictionary whose first entries are the indexed ones (it may be shorter or longer).
    ///   - limit: Codes at or past it are skipped (they belong to a longer dictionary than `dictionary`).
    /// - Complexity: O(length of the value) expected.
    func code(of value: UnsafeBufferPointer<UInt8>, in dictionary: StringDictionary, below limit: Int) -> UInt32? {
        guard !value.isEmpty else { return 0 }
        let hash = StringDictionaryBuilder.hash(value)
        let tag = hash & 0xFFFF_FFFF_0000_0000
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let entry = slots[slot]
            if entry == 0 { return nil }
            let code = UInt32(truncatingIfNeeded: entry)
            if entry & 0xFFFF_FFFF_0000_0000 == tag, Int(code) < limit, dictionary.entry(code, equals: value) {
                return code
            }
            slot = (slot + 1) & mask
        }
    }

    private mutating func insert(_ code: Int, bytes: UnsafeBufferPointer<UInt8>, offsets: UnsafeBufferPointer<Int>) {
        let hash = StringDictionaryBuilder.hash(UnsafeBufferPointer(rebasing: bytes[offsets[code]..<offsets[code + 1]]))
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while slots[slot] != 0 { slot = (slot + 1) & mask }
        slots[slot] = hash & 0xFFFF_FFFF_0000_0000 | UInt64(code)
    }

    /// The smallest power of two (at least 16) with `count` entries filling at most three in four slots.
    private static func capacity(for count: Int) -> Int {
        var capacity = 16
        while capacity * 3 < count * 4 { capacity *= 2 }
        return capacity
    }
}

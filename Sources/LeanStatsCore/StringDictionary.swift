import Foundation

/// An immutable list of distinct strings stored as one UTF-8 buffer plus offsets; code 0 means "missing".
///
/// Strings are materialised only when asked for, so a dictionary of ten million titles is two arrays, not ten
/// million heap objects.
public struct StringDictionary: Sendable, Equatable {
    /// The UTF-8 bytes of every entry, back to back.
    public let bytes: [UInt8]
    /// `offsets[code] ..< offsets[code + 1]` is the entry's byte range; `offsets[0] == offsets[1] == 0`.
    public let offsets: [Int]

    /// A dictionary holding only the missing entry (code 0).
    public init() {
        self.bytes = []
        self.offsets = [0, 0]
    }

    /// Creates a dictionary from its stored parts.
    /// - Precondition: `offsets` starts with `[0, 0]`, is ascending and ends at `bytes.count`.
    public init(bytes: [UInt8], offsets: [Int]) {
        self.bytes = bytes
        self.offsets = offsets
    }

    /// Whether the stored parts describe a well-formed dictionary (used to validate data read from disk).
    public var isWellFormed: Bool {
        guard offsets.count >= 2, offsets[0] == 0, offsets[1] == 0, offsets.last == bytes.count else { return false }
        for index in 1..<offsets.count where offsets[index] < offsets[index - 1] { return false }
        return true
    }

    /// The number of codes, including code 0.
    public var count: Int { offsets.count - 1 }

    /// The largest code (0 for a dictionary with no entries).
    public var maxCode: UInt32 { UInt32(max(count - 1, 0)) }

    /// The string of a code; `nil` for code 0.
    public subscript(code: UInt32) -> String? {
        let index = Int(code)
        guard index > 0, index < count else { return nil }
        return String(decoding: bytes[offsets[index]..<offsets[index + 1]], as: UTF8.self)
    }

    /// Whether the entry of `code` holds exactly `value`'s bytes.
    @inline(__always)
    public func entry(_ code: UInt32, equals value: UnsafeBufferPointer<UInt8>) -> Bool {
        Self.entry(Int(code), in: bytes, offsets: offsets, equals: value)
    }

    /// Whether entry `code` of the entries stored as `bytes` and `offsets` holds exactly `value`'s bytes (shared
    /// with ``StringDictionaryBuilder``, which stores its entries the same way).
    @inline(__always)
    static func entry(_ code: Int, in bytes: [UInt8], offsets: [Int], equals value: UnsafeBufferPointer<UInt8>) -> Bool
    {
        let start = offsets[code]
        guard offsets[code + 1] - start == value.count else { return false }
        guard !value.isEmpty else { return true }
        return bytes.withUnsafeBufferPointer { all in
            StringDictionaryBuilder.bytesEqual(all.baseAddress! + start, value.baseAddress!, count: value.count)
        }
    }

    /// The code of a string, or `nil` when the dictionary does not contain it.
    /// - Complexity: O(n) in the total byte size; used once per query for filter values, never per row.
    public func code(of value: String) -> UInt32? {
        let target = Array(value.utf8)
        for index in 1..<count where offsets[index + 1] - offsets[index] == target.count {
            if bytes[offsets[index]..<offsets[index + 1]].elementsEqual(target) { return UInt32(index) }
        }
        return nil
    }
}

/// Builds a ``StringDictionary`` while mapping strings to their codes.
///
/// Lookups hash and compare the UTF-8 bytes directly in an open-addressing table of codes (no `String` hashing,
/// no Unicode normalisation): two values are the same entry exactly when their bytes are equal.
public struct StringDictionaryBuilder: Sendable {
    private(set) var bytes: [UInt8] = []
    private(set) var offsets: [Int] = [0, 0]
    /// Open-addressing slots: the code in the low 32 bits (0 marks an empty slot; code 0 is never stored) and the
    /// high 32 bits of the hash above it, so most mismatches are rejected without touching the entry's bytes.
    private var slots: [UInt64] = Array(repeating: 0, count: 16)
    /// The hash of each code's bytes, to skip byte comparisons and to rehash without rereading; empty once the
    /// builder appends only (a ``DictionaryUnion`` hashes such entries itself, in parallel).
    private(set) var hashes: [UInt64] = [0]
    /// Whether the builder has yet to decide whether to stop looking values up (see
    /// ``init(adaptive:expectedValues:)``).
    private var deciding: Bool
    /// About how many values an adaptive builder will see, or 0 when unknown.
    private var expectedValues = 0
    /// Non-empty values interned so far, while an adaptive builder still decides.
    private var lookups = 0
    /// Whether the builder stopped looking values up: each value then gets a new code, so entries may repeat and
    /// only a ``DictionaryUnion`` turns them into a dictionary.
    public private(set) var appendsOnly = false

    /// Values an adaptive builder looks up before it decides, and the share of them that must be new for it to
    /// stop looking up.
    private static let adaptiveSample = 4096
    private static let adaptiveNewShare = (numerator: 15, denominator: 16)

    /// An empty builder (only code 0).
    public init() { deciding = false }

    /// An empty builder for one piece of a column that a ``DictionaryUnion`` merges afterwards.
    ///
    /// When `adaptive`, the builder decides after a few thousand values whether to go on looking values up: if
    /// by then more than fifteen in sixteen were new (ids, free text), it appends every further value as a new
    /// entry, since a piece-local table would only repeat the work of the union's cache-sized partitions. Codes
    /// stay unique per row value only while ``appendsOnly`` is false.
    ///
    /// The decision is taken at the first new value from the 4096th lookup on. A column of some ten thousand
    /// distinct names or titles has about seven in eight new values in such a sample and keeps its table; one
    /// of a million user ids or of unique instance ids has 99–100% and appends. Appending names instead costs
    /// the union a dedupe of every row: on 10M synthetic rows, 1.5 more CPU seconds and 0.7 GB more memory
    /// than looking them up in the piece.
    /// - Parameters:
    ///   - adaptive: Whether the builder may stop looking values up.
    ///   - expectedValues: About how many values will be interned, to reserve room once the builder appends.
    public init(adaptive: Bool, expectedValues: Int = 0) {
        deciding = adaptive
        self.expectedValues = expectedValues
    }

    /// A builder that keeps every code of an existing dictionary.
    /// - Complexity: O(total bytes).
    public init(_ dictionary: StringDictionary) {
        deciding = false
        bytes = dictionary.bytes
        offsets = dictionary.offsets
        hashes.reserveCapacity(dictionary.count)
        bytes.withUnsafeBufferPointer { all in
            for code in 1..<dictionary.count {
                hashes.append(Self.hash(UnsafeBufferPointer(rebasing: all[offsets[code]..<offsets[code + 1]])))
            }
        }
        rehash(capacity: Self.capacity(for: dictionary.count))
    }

    /// The number of codes so far, including code 0.
    public var count: Int { offsets.count - 1 }

    /// The code of a value, adding it when new; `nil` and the empty string map to code 0.
    /// - Complexity: amortised O(length of the value).
    public mutating func intern(_ value: String?) -> UInt32 {
        guard var value, !value.isEmpty else { return 0 }
        value.makeContiguousUTF8()
        return value.utf8.withContiguousStorageIfAvailable { intern(bytes: $0) }!
    }

    /// The code of a UTF-8 byte sequence, adding it when new; the empty sequence maps to code 0.
    public mutating func intern(bytes value: UnsafeBufferPointer<UInt8>) -> UInt32 {
        guard !value.isEmpty else { return 0 }
        if appendsOnly { return append(value) }
        let hash = Self.hash(value)
        if deciding { lookups += 1 }
        precondition(!slots.isEmpty, "a builder that finished interning keeps no lookup table")
        let (found, slot) = probe(value, hash: hash)
        if let found { return found }
        let code = append(value, hash: hash)
        slots[slot] = hash & 0xFFFF_FFFF_0000_0000 | UInt64(code)
        if count * 2 > slots.count { rehash(capacity: slots.count * 2) }
        if deciding, lookups >= Self.adaptiveSample { decideAppending() }
        return code
    }

    /// Adds a value as a new entry without looking it up; its hash is kept when given.
    @inline(__always)
    private mutating func append(_ value: UnsafeBufferPointer<UInt8>, hash: UInt64? = nil) -> UInt32 {
        let code = UInt32(count)
        bytes.append(contentsOf: value)
        offsets.append(bytes.count)
        if let hash { hashes.append(hash) }
        return code
    }

    /// An adaptive builder's one decision, after its sample: stop looking up when nearly every value was new.
    private mutating func decideAppending() {
        deciding = false
        let share = Self.adaptiveNewShare
        if (count - 1) * share.denominator > lookups * share.numerator {
            appendsOnly = true
            slots = []
            // Nothing is looked up any more: the hashes would only be 8 bytes per entry the union can do without.
            hashes = []
            // Every further value becomes an entry: room for them now saves copying as the arrays grow.
            if expectedValues > count {
                offsets.reserveCapacity(expectedValues + 1)
                bytes.reserveCapacity(bytes.count / (count - 1) * expectedValues * 9 / 8)
            }
        }
    }

    /// Frees the lookup table once nothing more will be interned or looked up: a builder that only feeds a
    /// ``DictionaryUnion`` needs its entries and their hashes, not the table (8–32 bytes per entry).
    ///
    /// Afterwards ``intern(bytes:)`` and ``code(of:)`` stop the program; entries, hashes and the union work as
    /// before.
    public mutating func finishInterning() {
        deciding = false
        slots = []
    }

    /// The code of a UTF-8 byte sequence already in the builder, or `nil`; adds nothing.
    /// - Precondition: the builder still looks values up (``appendsOnly`` is false).
    public func code(of value: UnsafeBufferPointer<UInt8>) -> UInt32? {
        precondition(!appendsOnly && !slots.isEmpty, "an appending or finished builder keeps no lookup table")
        guard !value.isEmpty else { return 0 }
        return probe(value, hash: Self.hash(value)).code
    }

    /// The code of `value` when the table holds it, and otherwise the empty slot where it goes.
    @inline(__always)
    private func probe(_ value: UnsafeBufferPointer<UInt8>, hash: UInt64) -> (code: UInt32?, slot: Int) {
        let tag = hash & 0xFFFF_FFFF_0000_0000
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let entry = slots[slot]
            if entry == 0 { return (nil, slot) }
            if entry & 0xFFFF_FFFF_0000_0000 == tag {
                let code = UInt32(truncatingIfNeeded: entry)
                if equals(Int(code), value) { return (code, slot) }
            }
            slot = (slot + 1) & mask
        }
    }

    /// Calls `body` with the bytes of a code's entry.
    public func withEntry<Result>(_ code: Int, _ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        bytes.withUnsafeBufferPointer { all in
            body(UnsafeBufferPointer(rebasing: all[offsets[code]..<offsets[code + 1]]))
        }
    }

    /// The code of a UTF-8 byte sequence like ``intern(bytes:)``, trying `previous` first: rows that repeat the
    /// value of the row before them skip the hashing and the probe.
    @inline(__always)
    public mutating func intern(bytes value: UnsafeBufferPointer<UInt8>, previous: UInt32) -> UInt32 {
        if previous != 0, !value.isEmpty, equals(Int(previous), value) { return previous }
        return intern(bytes: value)
    }

    @inline(__always)
    private func equals(_ code: Int, _ value: UnsafeBufferPointer<UInt8>) -> Bool {
        StringDictionary.entry(code, in: bytes, offsets: offsets, equals: value)
    }

    /// Whether two byte runs of `count` bytes are equal, compared eight bytes at a time (short ids and names are
    /// most of what is compared, where a call to `memcmp` costs more than the comparison).
    @inline(__always)
    static func bytesEqual(_ left: UnsafePointer<UInt8>, _ right: UnsafePointer<UInt8>, count: Int) -> Bool {
        let left = UnsafeRawPointer(left)
        let right = UnsafeRawPointer(right)
        guard count >= 8 else {
            var index = 0
            while index < count {
                if left.load(fromByteOffset: index, as: UInt8.self) != right.load(fromByteOffset: index, as: UInt8.self)
                {
                    return false
                }
                index += 1
            }
            return true
        }
        var index = 0
        while index + 8 <= count {
            if left.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                != right.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            {
                return false
            }
            index += 8
        }
        // The last, partial word overlaps the one before it.
        return index == count
            || left.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
                == right.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
    }

    private static func capacity(for count: Int) -> Int {
        var capacity = 16
        while capacity < count * 2 { capacity *= 2 }
        return capacity
    }

    private mutating func rehash(capacity: Int) {
        var table = [UInt64](repeating: 0, count: capacity)
        let mask = capacity - 1
        for code in 1..<max(count, 1) {
            let hash = hashes[code]
            var slot = Int(truncatingIfNeeded: hash) & mask
            while table[slot] != 0 { slot = (slot + 1) & mask }
            table[slot] = (hash & 0xFFFF_FFFF_0000_0000) | UInt64(code)
        }
        slots = table
    }

    /// A fast 64-bit hash of bytes: each 8-byte word is folded in by a full 128-bit multiply whose halves are
    /// combined, and the result is finished with a multiply–xorshift.
    ///
    /// A plain multiply per word (the low 64 bits only) let the digits of numbered values cancel out: one in a
    /// hundred of "改善提案 1" … "改善提案 10000000" shared a hash, which sent a union of them down its slow path.
    @inline(__always)
    static func hash(_ value: UnsafeBufferPointer<UInt8>) -> UInt64 {
        @inline(__always) func fold(_ state: UInt64, _ key: UInt64) -> UInt64 {
            let product = state.multipliedFullWidth(by: key)
            return product.high ^ product.low
        }
        var hash: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(value.count)
        let raw = UnsafeRawBufferPointer(value)
        var index = 0
        while index + 8 <= raw.count {
            hash = fold(hash ^ raw.loadUnaligned(fromByteOffset: index, as: UInt64.self), 0xFF51_AFD7_ED55_8CCD)
            index += 8
        }
        if index < raw.count {
            var tail: UInt64 = 0
            if raw.count >= 8 {
                // The last eight bytes, overlapping the previous word: no byte loop for the usual longer values.
                tail = raw.loadUnaligned(fromByteOffset: raw.count - 8, as: UInt64.self)
            } else {
                var shift: UInt64 = 0
                while index < raw.count {
                    tail |= UInt64(raw[index]) << shift
                    shift += 8
                    index += 1
                }
            }
            hash = fold(hash ^ tail, 0xC4CE_B9FE_1A85_EC53)
        }
        hash ^= hash >> 29
        hash &*= 0xC4CE_B9FE_1A85_EC53
        return hash ^ (hash >> 32)
    }

    /// The string of a code; `nil` for code 0.
    public subscript(code: UInt32) -> String? {
        let index = Int(code)
        guard index > 0, index < count else { return nil }
        return String(decoding: bytes[offsets[index]..<offsets[index + 1]], as: UTF8.self)
    }

    /// The finished dictionary.
    /// - Precondition: the builder has not stopped looking values up (``appendsOnly``); such a builder's entries
    ///   become a dictionary through ``DictionaryUnion/init(base:builders:lookupOnly:)``.
    public func build() -> StringDictionary {
        precondition(!appendsOnly, "an appending builder's entries may repeat; merge it with DictionaryUnion")
        return StringDictionary(bytes: bytes, offsets: offsets)
    }
}

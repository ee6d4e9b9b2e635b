/// Dictionary codes of one column, stored in the narrowest unsigned width that holds the largest code.
public enum CodeArray: Sendable, Equatable {
    case u8([UInt8])
    case u16([UInt16])
    case u32([UInt32])

    /// Narrows 32-bit codes to the smallest width that fits `maxCode`; 32-bit codes are kept uncopied.
    /// - Complexity: O(n).
    public init(_ codes: [UInt32], maxCode: UInt32) {
        self = Self.width(forMaxCode: maxCode) == 4 ? .u32(codes) : CodeArray(codes[...], maxCode: maxCode)
    }

    /// Narrows a run of 32-bit codes to the smallest width that fits `maxCode`, copying them once.
    /// - Complexity: O(n).
    public init(_ codes: ArraySlice<UInt32>, maxCode: UInt32) {
        switch Self.width(forMaxCode: maxCode) {
        case 1: self = .u8(codes.map { UInt8(truncatingIfNeeded: $0) })
        case 2: self = .u16(codes.map { UInt16(truncatingIfNeeded: $0) })
        default: self = .u32(Array(codes))
        }
    }

    /// The number of rows.
    public var count: Int {
        switch self {
        case .u8(let codes): codes.count
        case .u16(let codes): codes.count
        case .u32(let codes): codes.count
        }
    }

    /// The bytes per code (1, 2 or 4) of the narrowest width that holds `maxCode`.
    public static func width(forMaxCode maxCode: UInt32) -> Int {
        maxCode <= UInt32(UInt8.max) ? 1 : maxCode <= UInt32(UInt16.max) ? 2 : 4
    }

    /// Bytes per code: 1, 2 or 4.
    public var width: Int {
        switch self {
        case .u8: 1
        case .u16: 2
        case .u32: 4
        }
    }

    /// The code of one row.
    @inline(__always)
    public subscript(row: Int) -> UInt32 {
        switch self {
        case .u8(let codes): UInt32(codes[row])
        case .u16(let codes): UInt32(codes[row])
        case .u32(let codes): codes[row]
        }
    }

    /// The positions whose code is `code`, ascending.
    /// - Complexity: O(n), eight bytes of codes compared per word; only words holding the code are read twice.
    public func positions(of code: UInt32) -> [UInt32] {
        switch self {
        case .u8(let codes): Self.positions(of: code, in: codes)
        case .u16(let codes): Self.positions(of: code, in: codes)
        case .u32(let codes): Self.positions(of: code, in: codes)
        }
    }

    private static func positions<Code: FixedWidthInteger & UnsignedInteger>(
        of code: UInt32,
        in codes: [Code]
    )
        -> [UInt32]
    {
        guard let code = Code(exactly: code) else { return [] }
        var found: [UInt32] = []
        codes.withUnsafeBufferPointer { codes in
            scanPositions(of: code, in: codes) { position in
                found.append(UInt32(position))
                return true
            }
        }
        return found
    }

    /// The largest code (0 for no rows).
    /// - Complexity: O(n), vectorised.
    public var maxCode: UInt32 {
        switch self {
        case .u8(let codes): UInt32(codes.max() ?? 0)
        case .u16(let codes): UInt32(codes.max() ?? 0)
        case .u32(let codes): codes.max() ?? 0
        }
    }

    /// All codes widened to 32 bits.
    /// - Complexity: O(n).
    public func widened() -> [UInt32] {
        switch self {
        case .u8(let codes): codes.map(UInt32.init)
        case .u16(let codes): codes.map(UInt32.init)
        case .u32(let codes): codes
        }
    }

    /// The codes with some rows overwritten and rows appended, as narrow as `maxCode` allows (the width
    /// ``init(_:maxCode:)`` picks); the same storage, uncopied, when that changes nothing.
    /// - Parameters:
    ///   - writes: Rows to overwrite and their new codes.
    ///   - appended: Codes of rows to add at the end.
    ///   - maxCode: The largest code the column's dictionary has.
    /// - Complexity: O(n) copying (a memcpy while the width stays) when a code changes, plus O(writes + appended).
    public func patched(
        _ writes: [(row: Int, code: UInt32)],
        appending appended: [UInt32],
        maxCode: UInt32
    )
        -> CodeArray
    {
        func patch<Code: FixedWidthInteger>(_ codes: [Code]) -> [Code] {
            var codes = codes
            codes.reserveCapacity(codes.count + appended.count)
            for write in writes { codes[write.row] = Code(truncatingIfNeeded: write.code) }
            for code in appended { codes.append(Code(truncatingIfNeeded: code)) }
            return codes
        }
        let width = Self.width(forMaxCode: maxCode)
        if width == self.width, appended.isEmpty, writes.allSatisfy({ self[$0.row] == $0.code }) { return self }
        switch self {
        case .u8(let codes) where width == 1: return .u8(patch(codes))
        case .u16(let codes) where width == 2: return .u16(patch(codes))
        case .u32(let codes) where width == 4: return .u32(patch(codes))
        default: return CodeArray(patch(widened()), maxCode: maxCode)
        }
    }

    /// Calls `body` with a typed view of the codes that is valid only inside the call.
    @inline(__always)
    public func withCodeBuffer<R>(_ body: (CodeBuffer) throws -> R) rethrows -> R {
        switch self {
        case .u8(let codes): try codes.withUnsafeBufferPointer { try body(.u8($0)) }
        case .u16(let codes): try codes.withUnsafeBufferPointer { try body(.u16($0)) }
        case .u32(let codes): try codes.withUnsafeBufferPointer { try body(.u32($0)) }
        }
    }
}

/// A borrowed, typed view of a ``CodeArray`` for kernels; valid only inside `withCodeBuffer`.
public enum CodeBuffer: @unchecked Sendable {
    case u8(UnsafeBufferPointer<UInt8>)
    case u16(UnsafeBufferPointer<UInt16>)
    case u32(UnsafeBufferPointer<UInt32>)

    /// The code of one row, without bounds checks beyond the buffer's own.
    @inline(__always)
    public subscript(row: Int) -> UInt32 {
        switch self {
        case .u8(let codes): UInt32(codes[row])
        case .u16(let codes): UInt32(codes[row])
        case .u32(let codes): codes[row]
        }
    }
}

/// A dictionary-encoded text column: one code per row and the strings they stand for (code 0 = missing).
public struct DictionaryColumn: Sendable, Equatable {
    /// The distinct values.
    public let dictionary: StringDictionary
    /// One code per row.
    public let codes: CodeArray

    /// Creates a column from its parts.
    public init(dictionary: StringDictionary, codes: CodeArray) {
        self.dictionary = dictionary
        self.codes = codes
    }

    /// The value of a row, `nil` when missing.
    public subscript(row: Int) -> String? { dictionary[codes[row]] }
}

/// A form field stored as a column, named after the form component label.
public struct FormFieldColumn: Sendable, Equatable {
    /// The component label, e.g. `提案类别` or `预计收益(元)`.
    public let name: String
    /// Where the values live: in memory, or decoded on first use.
    public let storage: DeferredColumn

    /// The values; read once before a loop over rows, since a deferred column takes a lock on each read.
    public var column: DictionaryColumn { storage.column }

    /// Creates a named form-field column.
    public init(name: String, column: DictionaryColumn) {
        self.name = name
        self.storage = DeferredColumn(column)
    }

    /// Creates a named form-field column that may be decoded on first use.
    public init(name: String, storage: DeferredColumn) {
        self.name = name
        self.storage = storage
    }

    public static func == (lhs: FormFieldColumn, rhs: FormFieldColumn) -> Bool {
        lhs.name == rhs.name && lhs.column == rhs.column
    }
}

/// Calls `visit` with each position of `codes` holding `code`, ascending, until it returns `false`: eight bytes of
/// codes are compared per word, and only words holding the code are read twice.
/// - Complexity: O(n).
@inline(__always)
func scanPositions<Code: FixedWidthInteger & UnsignedInteger>(
    of code: Code,
    in codes: UnsafeBufferPointer<Code>,
    _ visit: (Int) -> Bool
) {
    let perWord = 8 / MemoryLayout<Code>.size
    // The lowest and the highest bit of each code's lane in a word.
    var lows: UInt64 = 0
    for lane in 0..<perWord { lows |= 1 << UInt64(lane * Code.bitWidth) }
    let highs = lows << UInt64(Code.bitWidth - 1)
    let repeated = UInt64(code) &* lows
    let raw = UnsafeRawBufferPointer(codes)
    let words = codes.count / perWord
    for word in 0..<words {
        // A lane of `difference` is zero where the code matches; the test may also flag a lane above a matching
        // one, which the comparison per code then rejects.
        let difference = raw.loadUnaligned(fromByteOffset: word * 8, as: UInt64.self) ^ repeated
        guard (difference &- lows) & ~difference & highs != 0 else { continue }
        for position in word * perWord..<(word + 1) * perWord where codes[position] == code {
            guard visit(position) else { return }
        }
    }
    for position in words * perWord..<codes.count where codes[position] == code {
        guard visit(position) else { return }
    }
}

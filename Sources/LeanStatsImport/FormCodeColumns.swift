import LeanStatsCore

/// The codes of the form columns while form values are joined to their instances, each column in the width its
/// dictionary needs from the start: a column of a dozen categories takes one byte a row while it is filled, and
/// becomes the table's column without a copy.
struct FormCodeColumns {
    private(set) var columns: [CodeArray]

    /// Columns of `rowCount` zero codes (no value) for dictionaries whose largest codes are `maxCodes`.
    init(maxCodes: [UInt32], rowCount: Int) {
        columns = maxCodes.map { maxCode in
            switch CodeArray.width(forMaxCode: maxCode) {
            case 1: .u8([UInt8](repeating: 0, count: rowCount))
            case 2: .u16([UInt16](repeating: 0, count: rowCount))
            default: .u32([UInt32](repeating: 0, count: rowCount))
            }
        }
    }

    /// Calls `body` with a writer of every column; the writer is valid only inside the call.
    mutating func withWriter<R>(_ body: (FormCodeWriter) -> R) -> R {
        var pointers: [UnsafeMutableRawPointer] = []
        let widths = columns.map(\.width)
        return Self.withPointers(&columns, from: 0, &pointers) { body(FormCodeWriter(pointers: $0, widths: widths)) }
    }

    /// Gathers a stable address of each column's codes, one column inside the next.
    private static func withPointers<R>(
        _ columns: inout [CodeArray],
        from index: Int,
        _ pointers: inout [UnsafeMutableRawPointer],
        _ body: ([UnsafeMutableRawPointer]) -> R
    ) -> R {
        guard index < columns.count else { return body(pointers) }
        func next<Code>(_ values: inout [Code], _ pointers: inout [UnsafeMutableRawPointer]) -> R {
            values.withUnsafeMutableBytes { bytes in
                // An empty column is never written: any address serves.
                pointers.append(bytes.baseAddress ?? UnsafeMutableRawPointer(bitPattern: MemoryLayout<Code>.alignment)!)
                return withPointers(&columns, from: index + 1, &pointers, body)
            }
        }
        // Each column is taken out while its address is lent, so that its storage is not shared (and so not copied).
        switch columns[index] {
        case .u8(var values):
            columns[index] = .u8([])
            let result = next(&values, &pointers)
            columns[index] = .u8(values)
            return result
        case .u16(var values):
            columns[index] = .u8([])
            let result = next(&values, &pointers)
            columns[index] = .u16(values)
            return result
        case .u32(var values):
            columns[index] = .u8([])
            let result = next(&values, &pointers)
            columns[index] = .u32(values)
            return result
        }
    }
}

/// Writes codes into ``FormCodeColumns`` without bounds checks; valid only inside
/// ``FormCodeColumns/withWriter(_:)``.
struct FormCodeWriter {
    let pointers: [UnsafeMutableRawPointer]
    let widths: [Int]

    /// Sets the code of `row` in `column`; the code must fit the column's width.
    @inline(__always)
    func set(_ code: UInt32, column: Int, row: Int) {
        let base = pointers[column]
        switch widths[column] {
        case 1: base.storeBytes(of: UInt8(truncatingIfNeeded: code), toByteOffset: row, as: UInt8.self)
        case 2: base.storeBytes(of: UInt16(truncatingIfNeeded: code), toByteOffset: row * 2, as: UInt16.self)
        default: base.storeBytes(of: code, toByteOffset: row * 4, as: UInt32.self)
        }
    }
}

/// A column of instants (Unix seconds, or ``InstanceTable/missingTime``) held in four bytes a row where it can be.
///
/// When every instant lies within 2³² − 2 seconds (136 years) of the column's earliest one, the column keeps
/// that earliest instant once and each row as an unsigned 32-bit offset from it, with `UInt32.max` for a missing
/// time; otherwise it keeps the 64-bit seconds. Both read back exactly the values they were made from, so the
/// choice is invisible to readers. A store's creation and finish times nearly always fit: that halves the
/// 16 bytes per instance the two time columns would take in memory.
public struct TimeColumn: RandomAccessCollection, Sendable, Equatable, ExpressibleByArrayLiteral {
    /// How the values are held.
    enum Storage: Sendable {
        /// `base + offset` per row, `UInt32.max` for ``InstanceTable/missingTime``.
        case offsets(base: Int64, values: [UInt32])
        /// The seconds themselves.
        case seconds([Int64])
    }

    /// The offset that stands for ``InstanceTable/missingTime``.
    static let missingOffset = UInt32.max

    let storage: Storage

    /// Holds `values` in four bytes each when they fit, else as they are.
    /// - Complexity: O(n).
    public init(_ values: [Int64]) {
        var low = Int64.max
        var high = Int64.min
        for value in values where value != InstanceTable.missingTime {
            low = Swift.min(low, value)
            high = Swift.max(high, value)
        }
        guard let base = Self.offsetBase(low: low, high: high) else {
            storage = .seconds(values)
            return
        }
        storage = .offsets(base: base, values: values.map { Self.offset($0, from: base) })
    }

    /// The base of a column of offsets whose instants lie in `low...high` (`low > high`: no instant at all, base
    /// 0), or `nil` when they span too far for four bytes.
    private static func offsetBase(low: Int64, high: Int64) -> Int64? {
        guard low <= high else { return 0 }
        let (span, overflow) = high.subtractingReportingOverflow(low)
        return !overflow && span < Int64(missingOffset) ? low : nil
    }

    /// The offset of `time` from `base`, which must lie within the offsets' span of it.
    @inline(__always)
    private static func offset(_ time: Int64, from base: Int64) -> UInt32 {
        time == InstanceTable.missingTime ? missingOffset : UInt32(truncatingIfNeeded: time &- base)
    }

    /// `head`'s values followed by every part's, each part emptied as soon as it is copied: an import appends
    /// the parts it read in parallel without holding their seconds and the whole column side by side.
    /// - Complexity: O(n) time; the parts' 8 bytes a row are freed one part at a time.
    public init(concatenating head: TimeColumn, _ parts: inout [[Int64]]) {
        guard parts.contains(where: { !$0.isEmpty }) else {
            parts = []
            self = head
            return
        }
        var low = Int64.max
        var high = Int64.min
        func note(_ value: Int64) {
            guard value != InstanceTable.missingTime else { return }
            low = Swift.min(low, value)
            high = Swift.max(high, value)
        }
        head.withTimeBuffer { buffer in for row in 0..<head.count { note(buffer[row]) } }
        for part in parts { for value in part { note(value) } }
        let total = parts.reduce(head.count) { $0 + $1.count }
        guard let base = Self.offsetBase(low: low, high: high) else {
            var values = Array(head)
            values.reserveCapacity(total)
            for index in parts.indices {
                values += parts[index]
                parts[index] = []
            }
            self.init(values)
            return
        }
        var values: [UInt32] = []
        values.reserveCapacity(total)
        head.withTimeBuffer { buffer in
            for row in 0..<head.count { values.append(Self.offset(buffer[row], from: base)) }
        }
        for index in parts.indices {
            values.append(contentsOf: parts[index].lazy.map { Self.offset($0, from: base) })
            parts[index] = []
        }
        self.init(storage: .offsets(base: base, values: values))
    }

    public init(arrayLiteral elements: Int64...) {
        self.init(elements)
    }

    private init(storage: Storage) {
        self.storage = storage
    }

    public var startIndex: Int { 0 }

    public var endIndex: Int {
        switch storage {
        case .offsets(_, let values): values.count
        case .seconds(let values): values.count
        }
    }

    public subscript(position: Int) -> Int64 {
        switch storage {
        case .offsets(let base, let values):
            let offset = values[position]
            return offset == Self.missingOffset ? InstanceTable.missingTime : base &+ Int64(offset)
        case .seconds(let values):
            return values[position]
        }
    }

    /// Bytes of memory per row: 4 or 8.
    public var bytesPerRow: Int {
        if case .offsets = storage { return 4 }
        return 8
    }

    public static func == (lhs: TimeColumn, rhs: TimeColumn) -> Bool {
        if case .offsets(let leftBase, let left) = lhs.storage, case .offsets(let rightBase, let right) = rhs.storage,
            leftBase == rightBase
        {
            return left == right
        }
        return lhs.elementsEqual(rhs)
    }

    /// Calls `body` with a reader of the column that indexes without checking bounds.
    public func withTimeBuffer<R>(_ body: (TimeBuffer) throws -> R) rethrows -> R {
        switch storage {
        case .offsets(let base, let values):
            try values.withUnsafeBufferPointer { try body(TimeBuffer(base: base, offsets: $0, seconds: nil)) }
        case .seconds(let values):
            try values.withUnsafeBufferPointer { try body(TimeBuffer(base: 0, offsets: nil, seconds: $0)) }
        }
    }

    /// Calls `body` with the column as 64-bit seconds, widening it into a temporary buffer when it is held as
    /// offsets (for writers that store the seconds).
    /// - Complexity: O(n) time and 8n bytes of memory for a column of offsets, O(1) otherwise.
    public func withUnsafeSeconds<R>(_ body: (UnsafeBufferPointer<Int64>) throws -> R) rethrows -> R {
        switch storage {
        case .offsets:
            try Array(self).withUnsafeBufferPointer(body)
        case .seconds(let values):
            try values.withUnsafeBufferPointer(body)
        }
    }

    /// The column with `writes` replaced and `appended` added from `incoming`; the column itself (no copy) when
    /// neither changes anything.
    /// - Complexity: O(n) when something changes, O(writes) otherwise.
    func patched(_ incoming: TimeColumn, writes: [(row: Int, batchRow: Int)], appending appended: [Int]) -> TimeColumn {
        if appended.isEmpty, writes.allSatisfy({ self[$0.row] == incoming[$0.batchRow] }) { return self }
        if case .offsets(let base, var values) = storage {
            func offset(_ time: Int64) -> UInt32? {
                if time == InstanceTable.missingTime { return Self.missingOffset }
                let (value, overflow) = time.subtractingReportingOverflow(base)
                return !overflow && value >= 0 && value < Int64(Self.missingOffset) ? UInt32(value) : nil
            }
            let fits =
                writes.allSatisfy({ offset(incoming[$0.batchRow]) != nil })
                && appended.allSatisfy({ offset(incoming[$0]) != nil })
            if fits {
                values.reserveCapacity(values.count + appended.count)
                for write in writes { values[write.row] = offset(incoming[write.batchRow])! }
                for batchRow in appended { values.append(offset(incoming[batchRow])!) }
                return TimeColumn(storage: .offsets(base: base, values: values))
            }
        }
        var values = Array(self)
        values.reserveCapacity(values.count + appended.count)
        for write in writes { values[write.row] = incoming[write.batchRow] }
        for batchRow in appended { values.append(incoming[batchRow]) }
        return TimeColumn(values)
    }
}

/// Unchecked reads of a ``TimeColumn``; valid only inside ``TimeColumn/withTimeBuffer(_:)``.
public struct TimeBuffer: @unchecked Sendable {
    let base: Int64
    let offsets: UnsafeBufferPointer<UInt32>?
    let seconds: UnsafeBufferPointer<Int64>?

    /// The instant of `row`, ``InstanceTable/missingTime`` when it has none.
    @inline(__always)
    public subscript(row: Int) -> Int64 {
        if let offsets {
            let offset = offsets[row]
            return offset == TimeColumn.missingOffset ? InstanceTable.missingTime : base &+ Int64(offset)
        }
        return seconds.unsafelyUnwrapped[row]
    }

    /// The number of rows.
    public var count: Int { offsets?.count ?? seconds?.count ?? 0 }
}

import Foundation

/// A time column that is in memory for good, or one that its snapshot file can decode again.
///
/// A snapshot reader decodes the creation and finish times at load (their values are checked there) and hands the
/// decoded column over together with a way to decode it again. A long-lived process (REPL, server) calls
/// ``release()`` once its statistics engine has derived what it reads from the times; the next reader that needs
/// the seconds (`list`, exports, report details, an upsert) decodes them again, under a lock, and keeps them.
public final class DeferredTimes: @unchecked Sendable {
    /// The number of rows, known without decoding.
    public let rowCount: Int
    /// A column made in memory, read without the lock; never released.
    private let ready: TimeColumn?
    private let lock = NSLock()
    private var decoded: TimeColumn?
    private let decode: (@Sendable () -> TimeColumn)?

    /// Wraps a column made in memory.
    public init(_ column: TimeColumn) {
        rowCount = column.count
        ready = column
        decode = nil
    }

    /// A column decoded already that `decode` can produce again after a ``release()``.
    /// - Parameter decode: called from whichever thread first reads ``column`` after a release.
    public init(decoded column: TimeColumn, decode: @escaping @Sendable () -> TimeColumn) {
        rowCount = column.count
        ready = nil
        decoded = column
        self.decode = decode
    }

    /// The column, decoded again now if it was released.
    /// - Complexity: O(1) while in memory; decoding costs what decoding the column's blocks costs.
    public var column: TimeColumn {
        if let ready { return ready }
        lock.lock()
        defer { lock.unlock() }
        if let decoded { return decoded }
        let column = decode!()
        precondition(column.count == rowCount, "a time column decoded to the wrong number of rows")
        decoded = column
        return column
    }

    /// Whether the column is in memory now.
    public var isInMemory: Bool { ready != nil || lock.withLock { decoded != nil } }

    /// Frees the decoded column if it can be decoded again; a column made in memory stays.
    public func release() {
        guard ready == nil else { return }
        lock.withLock { decoded = nil }
    }
}

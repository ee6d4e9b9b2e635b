import Foundation

/// A text column that is either in memory already or produced the first time it is read.
///
/// Snapshot readers use it for the columns the statistics never touch (instance ids, titles, most form fields):
/// their blocks are checked at load, but decoded only when a command lists, exports or rewrites them. The first
/// reader decodes under a lock; every later read returns the same column. Columns created in memory skip the lock.
/// A column decoded at load to check its values (the benefit field) keeps its decoder, so that a long-lived process
/// can ``release()`` it and the next reader decodes it again.
public final class DeferredColumn: @unchecked Sendable {
    /// The number of rows the column will have, known without decoding it.
    public let rowCount: Int
    /// What produced the column in memory from the start, read without the lock.
    private let ready: DictionaryColumn?
    private let lock = NSLock()
    private var decoded: DictionaryColumn?
    private var decode: (@Sendable () -> DictionaryColumn)?
    /// Whether ``release()`` frees the decoded column (it keeps its decoder).
    private let releasable: Bool

    /// Wraps a column that is already in memory.
    public init(_ column: DictionaryColumn) {
        rowCount = column.codes.count
        ready = column
        releasable = false
    }

    /// A column decoded already that `decode` can produce again after a ``release()``.
    /// - Parameter decode: called from whichever thread first reads ``column`` after a release.
    public init(decoded column: DictionaryColumn, decode: @escaping @Sendable () -> DictionaryColumn) {
        rowCount = column.codes.count
        ready = nil
        decoded = column
        self.decode = decode
        releasable = true
    }

    /// A column that `decode` produces on first use.
    /// - Parameters:
    ///   - rowCount: the number of rows `decode` will return.
    ///   - decode: called at most once, from whichever thread first reads ``column``.
    public init(rowCount: Int, decode: @escaping @Sendable () -> DictionaryColumn) {
        self.rowCount = rowCount
        ready = nil
        self.decode = decode
        releasable = false
    }

    /// The column, decoded now if this is the first read.
    /// - Complexity: O(1) after the first read; the first read costs whatever decoding costs.
    public var column: DictionaryColumn {
        if let ready { return ready }
        lock.lock()
        defer { lock.unlock() }
        if let decoded { return decoded }
        let column = decode!()
        precondition(column.codes.count == rowCount, "a deferred column decoded to the wrong number of rows")
        decoded = column
        if !releasable { decode = nil }
        return column
    }

    /// Frees the decoded column if it was made with ``init(decoded:decode:)``; other columns stay.
    public func release() {
        guard releasable else { return }
        lock.withLock { decoded = nil }
    }

    /// The column if it is in memory, without decoding it.
    public var columnIfDecoded: DictionaryColumn? {
        if let ready { return ready }
        return lock.withLock { decoded }
    }
}

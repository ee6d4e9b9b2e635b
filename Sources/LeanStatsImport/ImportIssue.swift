/// One bad row of an import file: where it is and why it was not loaded.
///
/// Issues do not stop reading; the caller decides whether to stop the import or to load the good rows
/// (`--skip-bad`).
public struct ImportIssue: Error, Sendable, Hashable, CustomStringConvertible {
    /// The path of the file as it was given to the reader.
    public let file: String
    /// The 1-based physical line on which the bad row starts (the header is line 1).
    public let line: Int
    /// Why the row was rejected, naming the column and the bad value where there is one.
    public let reason: String

    /// Creates an issue.
    /// - Parameters:
    ///   - file: The path of the file as given.
    ///   - line: The 1-based line on which the row starts.
    ///   - reason: Why the row was rejected.
    public init(file: String, line: Int, reason: String) {
        self.file = file
        self.line = line
        self.reason = reason
    }

    /// The issue as `file:line: reason`, the shape compilers use so editors can jump to it.
    public var description: String { "\(file):\(line): \(reason)" }
}

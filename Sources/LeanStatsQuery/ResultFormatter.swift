/// Turns a ``ResultTable`` into text for stdout.
public protocol ResultFormatter: Sendable {
    /// Renders the whole result.
    /// - Parameter table: the result.
    /// - Returns: the text, ending with a newline unless it is empty.
    func render(_ table: ResultTable) -> String
}

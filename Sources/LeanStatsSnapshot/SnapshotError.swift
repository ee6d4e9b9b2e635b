/// Everything that can go wrong reading or writing snapshot files, with where it happened.
///
/// The description is one sentence a user can act on, e.g.
/// `snapshot error: checksum mismatch in column 'dept_name' at byte 81920 of leanstats-data/snapshot-00000042.lsnap`.
public struct SnapshotError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure this is.
    public enum Code: String, Sendable {
        case io
        case badMagic
        case unsupportedVersion
        case truncated
        case checksumMismatch
        case malformedFooter
        case malformedColumn
        /// The file's footer records another generation than its name says (an older file copied in).
        case wrongGeneration
        case compression
        case locked
        case noSnapshot
        /// A journal record passed its checksum but does not decode, or a damaged record is followed by good ones.
        case malformedJournal
    }

    /// The kind of failure.
    public var code: Code
    /// What happened, in words.
    public var message: String
    /// The file, when one is involved.
    public var file: String?
    /// The part of the file: `header`, `footer`, `trailer` or `column 'NAME'`.
    public var section: String?
    /// The byte offset in the file where the damage starts.
    public var offset: Int?

    /// Creates an error.
    public init(_ code: Code, message: String, file: String? = nil, section: String? = nil, offset: Int? = nil) {
        self.code = code
        self.message = message
        self.file = file
        self.section = section
        self.offset = offset
    }

    /// The same error, located in a file.
    func located(in file: String) -> SnapshotError {
        var copy = self
        if copy.file == nil { copy.file = file }
        return copy
    }

    public var description: String {
        var text = "snapshot error: \(message)"
        if let section { text += " in \(section)" }
        if let offset { text += " at byte \(offset)" }
        if let file { text += " of \(file)" }
        return text
    }
}

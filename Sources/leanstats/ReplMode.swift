import ArgumentParser
import LeanStatsQuery

/// How the REPL prints results: one of the query formats (``OutputFormat``) or Markdown, which only the REPL has.
struct ReplMode: Hashable, Sendable, CustomStringConvertible {
    private enum Kind: Hashable, Sendable {
        case format(OutputFormat)
        case markdown
    }

    private let kind: Kind

    /// The mode of a query output format.
    init(_ format: OutputFormat) { kind = .format(format) }

    private init(_ kind: Kind) { self.kind = kind }

    /// A Markdown table (``MarkdownFormatter``).
    static let markdown = ReplMode(.markdown)

    /// Aligned columns, the default.
    static let table = ReplMode(.table)

    /// Every mode, in the order `.help` lists them: the query formats, then `markdown`.
    static var allCases: [ReplMode] { OutputFormat.allCases.map(ReplMode.init) + [.markdown] }

    /// The mode named as in `.mode NAME`, or `nil`.
    init?(name: String) {
        guard let mode = Self.allCases.first(where: { $0.description == name.lowercased() }) else { return nil }
        self = mode
    }

    /// The name used by `.mode` and `--format`.
    var description: String {
        switch kind {
        case .format(let format): format.rawValue
        case .markdown: "markdown"
        }
    }

    /// Whether results are CSV, which may start with a byte order mark.
    var isCSV: Bool { kind == .format(.csv) }

    /// The formatter; CSV without a byte order mark, which the session writes once at the start of each output.
    var formatter: any ResultFormatter {
        switch kind {
        case .format(let format): format.formatter(csvByteOrderMark: false)
        case .markdown: MarkdownFormatter()
        }
    }
}

extension ReplMode: ExpressibleByArgument {
    init?(argument: String) { self.init(name: argument) }

    static var allValueStrings: [String] { allCases.map(\.description) }
}

/// A problem with a whole import file (as opposed to one bad row, an ``ImportIssue``): the command cannot go on.
public struct ImportError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong.
    public enum Code: String, Sendable, Hashable {
        /// The file could not be opened or read.
        case unreadableFile
        /// The file is neither DingTalk JSON nor one of the two known MySQL tables.
        case unknownFileKind
        /// A `ding_form_component_values` file was given without a `ding_process_instances` file to join it to.
        case formValuesWithoutInstances
        /// A JSON file is not valid JSON.
        case invalidJSON
        /// The path names a device, socket or other file that is neither a regular file nor a pipe.
        case notRegularFile
        /// The file is larger than ``ImportError/maximumFileBytes``.
        case fileTooLarge
        /// A CSV/TSV file is neither UTF-8 nor GB18030/GBK text, or is UTF-8 with damaged bytes in it.
        case unknownEncoding
    }

    /// What went wrong.
    public let code: Code
    /// The path of the file as it was given.
    public let path: String
    /// The 1-based line of the problem, when there is one.
    public let line: Int?
    /// What is wrong and how to fix it, naming the file.
    public let message: String

    /// Creates an error; prefer the factory functions, which phrase the message consistently.
    /// - Parameters:
    ///   - code: What went wrong.
    ///   - path: The file as given.
    ///   - line: The 1-based line of the problem, if any.
    ///   - message: The full sentence shown to the user.
    public init(code: Code, path: String, line: Int? = nil, message: String) {
        self.code = code
        self.path = path
        self.line = line
        self.message = message
    }

    /// One sentence, e.g. `import error: cannot read x.csv: No such file or directory (errno 2); check …`.
    public var description: String { "import error: \(message)" }

    static func unreadable(_ path: String, errno code: Int32, reason: String) -> ImportError {
        ImportError(
            code: .unreadableFile,
            path: path,
            message: "cannot read \(path): \(reason) (errno \(code)); check the path and that the file is readable"
        )
    }

    /// The largest file an import reads: 16 GiB.
    public static let maximumFileBytes = 16 << 30

    static func notRegular(_ path: String, kind: String) -> ImportError {
        ImportError(
            code: .notRegularFile,
            path: path,
            message: "\(path) is not a regular file (it is \(kind)); import reads regular files and pipes only"
        )
    }

    static func tooLarge(_ path: String, limit: Int) -> ImportError {
        ImportError(
            code: .fileTooLarge,
            path: path,
            message: "\(path) is larger than \(limit) bytes, the most one import file may hold; "
                + "split it into several files"
        )
    }

    static func unknownEncoding(_ path: String, line: Int?, detail: String) -> ImportError {
        ImportError(
            code: .unknownEncoding,
            path: path,
            line: line,
            message: "\(path) is not readable text: \(detail); save it from Excel as \"CSV UTF-8 (逗号分隔)\" "
                + "(or convert it: iconv -f GB18030 -t UTF-8) and import it again"
        )
    }

    static func damagedUTF8(_ path: String, line: Int, byte: UInt8) -> ImportError {
        let hex = String(byte, radix: 16, uppercase: true)
        return ImportError(
            code: .unknownEncoding,
            path: path,
            line: line,
            message: "\(path) is UTF-8 text with a byte that is not UTF-8 (0x\(hex) at line \(line)); the file is "
                + "damaged or mixes encodings: fix or remove that line, or export the file again"
        )
    }

    static func unknownKind(_ path: String, header: [String]) -> ImportError {
        let found = header.isEmpty ? "no header row" : "header columns " + header.joined(separator: ", ")
        return ImportError(
            code: .unknownFileKind,
            path: path,
            line: 1,
            message: "\(path) is not a known import file: found \(found); expected DingTalk instance JSON "
                + "(.json/.jsonl) or a CSV/TSV export of ding_process_instances "
                + "(business_id or process_instance_id, create_time, …) or ding_form_component_values "
                + "(business_id, component_name, value_text) with a header row"
        )
    }

    static func formValuesWithoutInstances(_ path: String) -> ImportError {
        ImportError(
            code: .formValuesWithoutInstances,
            path: path,
            message: "\(path) holds ding_form_component_values rows but no ding_process_instances file was given; "
                + "pass both files in the same import command"
        )
    }

    static func invalidJSON(_ path: String, line: Int, detail: String) -> ImportError {
        ImportError(
            code: .invalidJSON,
            path: path,
            line: line,
            message: "\(path):\(line) is not valid JSON (\(detail)); export the file again or fix it by hand"
        )
    }
}

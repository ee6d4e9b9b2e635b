import LeanStatsCore

/// Reads the files of one `leanstats import` command into rows of instances.
///
/// Each file is recognised by its content: DingTalk instance JSON (a JSON array, JSON Lines, or concatenated
/// objects; legacy or v1.0 detail shapes, see ``DingTalkInstanceDecoder``), or a CSV/TSV export of the original
/// system's `ding_process_instances` or `ding_form_component_values` table, recognised by its header. Form values
/// join the instances of the `ding_process_instances` files on `business_id`.
///
/// Bad rows do not stop reading: they come back as ``ImportIssue``s beside the good rows. Problems with a
/// whole file throw an ``ImportError``.
public struct ImportReader: Sendable {
    /// The zone local times are read in.
    public let clock: ZoneClock
    /// The decoder for DingTalk JSON objects.
    let decoder: DingTalkInstanceDecoder
    /// CSV/TSV files whose rows take more bytes than this are split into pieces read in parallel.
    public let pieceBytes: Int
    /// How many bytes pass between two progress reports.
    static let progressStep = 1 << 20

    /// Creates a reader.
    /// - Parameters:
    ///   - clock: The zone of the local times in CSV/TSV files (the store's configured zone); DingTalk JSON is read
    ///     in Beijing time, as DingTalk writes it.
    ///   - pieceBytes: Files whose rows take more bytes than this are read in parallel pieces (16 MiB by default);
    ///     the result is the same either way.
    public init(clock: ZoneClock, pieceBytes: Int = 16 << 20) {
        self.clock = clock
        // DingTalk writes Beijing time whatever the store's zone: read it as `leanstats sync` does (a system
        // without that zone cannot sync either; its store's zone is the best guess left).
        self.decoder = DingTalkInstanceDecoder(clock: (try? ZoneClock(identifier: "Asia/Shanghai")) ?? clock)
        self.pieceBytes = max(pieceBytes, 1)
    }

    /// Reads all files of one import command; rows come out in file order (a later copy of an instance id
    /// comes later).
    /// - Parameters:
    ///   - paths: The files, in the order given on the command line.
    ///   - progress: Called about every megabyte of each file and once when a file is done, with the file's path,
    ///     the bytes read so far and the file's size.
    /// - Returns: The rows, the bad rows and the number of form values without an instance.
    /// - Throws: ``ImportError`` when a file cannot be read, is of no known kind or is not valid JSON, or when
    ///   form values come without an instances file.
    /// - Complexity: O(n) in the total size of the files, plus O(f) hashing for f form-value rows.
    public func read(
        paths: [String],
        progress: (@Sendable (_ file: String, _ bytesDone: Int, _ bytesTotal: Int) -> Void)? = nil
    ) throws(ImportError) -> ImportBatch {
        var batch = ImportAccumulator()
        var timer = PhaseTimer()
        for path in paths {
            try FileContents.withContents(path) { buffer, mapped throws(ImportError) in
                var ticker = ProgressTicker(file: path, total: buffer.count, report: progress)
                switch ImportFileKind(path: path, bytes: buffer) {
                case .json(let layout):
                    try readJSON(path: path, bytes: buffer, layout: layout, into: &batch, progress: &ticker)
                case .delimited:
                    switch TextEncoding.detect(buffer, mapped: mapped) {
                    case .utf8:
                        try readDelimited(path: path, bytes: buffer, mapped: mapped, into: &batch, progress: &ticker)
                    case .gb18030:
                        let text = try GB18030Converter.utf8(from: buffer, path: path)
                        ticker = ProgressTicker(file: path, total: text.count, report: progress)
                        try text.withUnsafeBufferPointer { converted throws(ImportError) in
                            try readDelimited(
                                path: path,
                                bytes: converted,
                                mapped: false,
                                into: &batch,
                                progress: &ticker
                            )
                        }
                    case .damagedUTF8(let offset):
                        let line = buffer.prefix(offset).reduce(1) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 }
                        throw ImportError.damagedUTF8(path, line: line, byte: buffer[offset])
                    }
                }
                ticker.finish()
            }
            timer.lap("read \(path)")
        }
        if let formsPath = batch.firstFormValuesFile, batch.instanceTables == 0 {
            throw ImportError.formValuesWithoutInstances(formsPath)
        }
        let joined = (consume batch).joined()
        timer.lap("join")
        return joined
    }
}

/// How a file is to be read.
enum ImportFileKind {
    /// The layouts of DingTalk JSON files.
    enum JSONLayout {
        /// One JSON array whose `[` is at this offset and line.
        case array(start: Int, line: Int)
        /// JSON Lines (`.jsonl`, `.ndjson`): one object per line.
        case lines(start: Int)
        /// Objects one after another, one per line or pretty-printed.
        case concatenated(start: Int)
    }

    case json(JSONLayout)
    case delimited

    /// Recognises a file: JSON by its extension (`.json`, `.jsonl`, `.ndjson`) or its first character (`{`, `[`),
    /// delimited text otherwise.
    init(path: String, bytes: UnsafeBufferPointer<UInt8>) {
        let start = bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF ? 3 : 0
        var line = 1
        let first = JSONTextSplitter.skipWhitespace(bytes, from: start, line: &line)
        let firstByte = first < bytes.count ? bytes[first] : nil
        let name = path.split(separator: "/").last ?? ""
        let fileExtension = name.contains(".") ? name.split(separator: ".").last?.lowercased() ?? "" : ""
        let isJSONName = ["json", "jsonl", "ndjson"].contains(fileExtension)
        guard isJSONName || firstByte == UInt8(ascii: "{") || firstByte == UInt8(ascii: "[") else {
            self = .delimited
            return
        }
        if firstByte == UInt8(ascii: "[") {
            self = .json(.array(start: first, line: line))
        } else if fileExtension == "jsonl" || fileExtension == "ndjson" {
            self = .json(.lines(start: start))
        } else {
            self = .json(.concatenated(start: start))
        }
    }
}

/// Calls the progress callback about every ``ImportReader/progressStep`` bytes of one file.
struct ProgressTicker {
    let file: String
    let total: Int
    let report: (@Sendable (String, Int, Int) -> Void)?
    private var next = ImportReader.progressStep

    init(file: String, total: Int, report: (@Sendable (String, Int, Int) -> Void)?) {
        self.file = file
        self.total = total
        self.report = report
    }

    /// Notes that everything before `offset` is read.
    @inline(__always)
    mutating func advance(to offset: Int) {
        guard offset >= next, let report else { return }
        report(file, offset, total)
        next = offset + ImportReader.progressStep
    }

    /// Reports the file as done.
    func finish() {
        report?(file, total, total)
    }
}

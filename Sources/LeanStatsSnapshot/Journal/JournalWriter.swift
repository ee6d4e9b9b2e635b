import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The open journal a ``LiveStore`` appends to: one `write` and one `fdatasync` per batch of entries.
///
/// Owned by one ``LiveStore`` and used only under its lock.
final class JournalWriter {
    /// The journal file.
    let path: String
    /// The generation the journal sits on.
    let generation: Int
    /// The file's size: the end of the last durable record.
    private(set) var size: Int
    /// Records appended since the file was created (or opened).
    private(set) var records = 0
    private var descriptor: Int32
    /// Set when a failed append could not be undone; every later append fails with it.
    private var broken: SnapshotError?

    private init(path: String, generation: Int, size: Int, records: Int, descriptor: Int32) {
        self.records = records
        self.path = path
        self.generation = generation
        self.size = size
        self.descriptor = descriptor
    }

    /// Creates an empty journal durably: header written to a temporary file, fsync'ed, renamed into place and the
    /// directory fsync'ed, so a journal file that exists always has its whole header.
    static func create(path: String, generation: Int) throws(SnapshotError) -> JournalWriter {
        let temporary = "\(path).\(getpid()).tmp"
        unlink(temporary)
        var file = try DurableFile(creating: temporary)
        do {
            try file.write(JournalLayout.header(base: generation))
            try file.syncAndClose()
            try DurableFile.publish(temporary, as: path)
        } catch {
            unlink(temporary)
            throw error
        }
        return try open(path: path, generation: generation, validEnd: JournalLayout.headerSize, records: 0)
    }

    /// Opens an existing journal for appending, cutting off a torn tail after `validEnd` first.
    static func open(
        path: String,
        generation: Int,
        validEnd: Int,
        records: Int
    ) throws(SnapshotError) -> JournalWriter {
        let descriptor = Glibc.open(path, O_RDWR | O_CLOEXEC)
        if descriptor < 0 { throw DurableFile.failure("cannot open", path) }
        var info = stat()
        if fstat(descriptor, &info) != 0 {
            Glibc.close(descriptor)
            throw DurableFile.failure("cannot stat", path)
        }
        if Int(info.st_size) > validEnd {
            if ftruncate(descriptor, off_t(validEnd)) != 0 || fdatasync(descriptor) != 0 {
                let error = DurableFile.failure("cannot cut the torn tail off", path)
                Glibc.close(descriptor)
                throw error
            }
        }
        return JournalWriter(
            path: path,
            generation: generation,
            size: validEnd,
            records: records,
            descriptor: descriptor
        )
    }

    /// Appends entries as one write and makes them durable before returning; a reader applies all of them or, when
    /// the write was torn, none.
    /// - Returns: The bytes appended.
    /// - Throws: ``SnapshotError``; the file is cut back to its previous size, so a failed append leaves nothing.
    @discardableResult
    func append(_ entries: [JournalEntry]) throws(SnapshotError) -> Int {
        if let broken { throw broken }
        var bytes: [UInt8] = []
        for (index, entry) in entries.enumerated() {
            bytes += JournalLayout.frame(entry, commits: index == entries.count - 1)
        }
        var written = 0
        var failure: SnapshotError?
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { raw in
                pwrite(descriptor, raw.baseAddress! + written, raw.count - written, off_t(size + written))
            }
            if result < 0 {
                if errno == EINTR { continue }
                failure = DurableFile.failure("cannot append to", path)
                break
            }
            written += result
        }
        if failure == nil && fdatasync(descriptor) != 0 { failure = DurableFile.failure("cannot fdatasync", path) }
        if let failure {
            if ftruncate(descriptor, off_t(size)) != 0 {
                broken = SnapshotError(
                    .io,
                    message: "the journal could not be cut back after a failed append; reopen the store",
                    file: path
                )
            }
            throw failure
        }
        size += bytes.count
        records += entries.count
        return bytes.count
    }

    /// Closes the file. Idempotent.
    func close() {
        if descriptor >= 0 { Glibc.close(descriptor) }
        descriptor = -1
    }

    deinit { close() }
}

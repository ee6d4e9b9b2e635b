import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a workbook goes: checked before any work, written beside the target and moved into place at the end.
///
/// Creating a destination checks the `--out` path (an `.xlsx` name in an existing directory, not a directory
/// itself) and creates the temporary file the workbook is written to, in the target's directory; so a path that
/// cannot be written fails at once, and a failed report never leaves half a file under the target name.
/// ``commit()`` renames the finished file over the target; a destination dropped without committing removes its
/// temporary file.
public final class ReportDestination {
    /// The file the report ends up in.
    public let path: String
    /// The file the workbook is written to first.
    let temporaryPath: String
    /// Whether ``commit()`` moved the temporary file into place.
    private var committed = false

    /// Checks the target and reserves the temporary file beside it.
    /// - Parameter path: the `.xlsx` file to write.
    /// - Throws: ``ReportError`` with code ``ReportError/Code/unwritableOutput`` saying what is wrong with the path.
    public init(path: String) throws(ReportError) {
        func refuse(_ message: String, _ hint: String) -> ReportError {
            ReportError(.unwritableOutput, message, hint: hint, path: path.isEmpty ? nil : path)
        }
        guard !path.isEmpty else {
            throw refuse("the output path is empty", "give --out FILE.xlsx")
        }
        let url = URL(fileURLWithPath: path)
        guard url.pathExtension.lowercased() == "xlsx" else {
            throw refuse("the output file must end in .xlsx", "Excel refuses an xlsx workbook under another name")
        }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw refuse("the output path is a directory", "give a file name inside it, e.g. \(path)/report.xlsx")
        }
        let directory = url.deletingLastPathComponent().path
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) else {
            throw refuse("the output directory \(directory) does not exist", "create it first or choose another --out")
        }
        guard isDirectory.boolValue else {
            throw refuse("\(directory) is not a directory", "choose another --out")
        }
        if access(path, F_OK) == 0 && access(path, W_OK) != 0 {
            throw refuse("the output file exists and is read-only", "make it writable or choose another --out")
        }
        let temporary = "\(directory)/.\(url.lastPathComponent).\(getpid()).tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard descriptor >= 0 else {
            let reason = String(cString: strerror(errno))
            throw refuse("cannot create files in \(directory): \(reason)", "choose a directory you may write to")
        }
        close(descriptor)
        self.path = path
        temporaryPath = temporary
    }

    deinit {
        if !committed { unlink(temporaryPath) }
    }

    /// Moves the finished workbook into place, replacing any earlier file of that name.
    /// - Throws: ``ReportError`` with code ``ReportError/Code/unwritableOutput`` when the rename fails.
    public func commit() throws(ReportError) {
        guard !committed else { return }
        guard rename(temporaryPath, path) == 0 else {
            let reason = String(cString: strerror(errno))
            throw ReportError(
                .unwritableOutput,
                "cannot move the finished workbook into place: \(reason)",
                hint: "check the permissions of the directory",
                path: path
            )
        }
        committed = true
    }
}

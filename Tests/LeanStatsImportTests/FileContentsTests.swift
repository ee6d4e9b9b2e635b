import Testing

@testable import LeanStatsImport

/// Large files are mapped, small ones read; either way the bytes are the file's.
struct FileContentsTests {
    @Test(arguments: [10, FileContents.mappingThreshold + 12_345])
    func aFileGivesTheSameBytesMappedOrRead(size: Int) throws {
        let scratch = try ScratchDirectory()
        let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 9) }
        let path = try scratch.write("data.csv", bytes: bytes)
        let seen = try FileContents.withContents(path) { Array($0) }
        #expect(seen == bytes)
        #expect(try FileContents.read(path) == bytes)
    }

    @Test func aMissingFileIsReportedWithItsPath() throws {
        let scratch = try ScratchDirectory()
        let path = "\(scratch.path)/absent.csv"
        #expect(throws: ImportError.self) { try FileContents.withContents(path) { $0.count } }
    }
}

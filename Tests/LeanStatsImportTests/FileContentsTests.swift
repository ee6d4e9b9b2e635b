import Testing

@testable import LeanStatsImport

/// Large files are mapped, small ones read; either way the bytes are the file's.
struct FileContentsTests {
    @Test(arguments: [10, FileContents.mappingThreshold + 12_345])
    func aFileGivesTheSameBytesMappedOrRead(size: Int) throws {
        let scratch = try ScratchDirectory()
        let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 9) }
        let path = try scratch.write("data.csv", bytes: bytes)
        let (seen, mapped) = try FileContents.withContents(path) { bytes, mapped in (Array(bytes), mapped) }
        #expect(seen == bytes)
        #expect(mapped == (size >= FileContents.mappingThreshold))
        #expect(try FileContents.read(path) == bytes)
    }

    @Test func aMissingFileIsReportedWithItsPath() throws {
        let scratch = try ScratchDirectory()
        let path = "\(scratch.path)/absent.csv"
        #expect(throws: ImportError.self) { try FileContents.withContents(path) { bytes, _ in bytes.count } }
    }

    @Test func releasedPagesOfAMappedFileReadBackAsTheFile() throws {
        let scratch = try ScratchDirectory()
        let bytes = (0..<(FileContents.mappingThreshold * 3 + 777)).map {
            UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 12)
        }
        let path = try scratch.write("data.csv", bytes: bytes)
        let seen = try FileContents.withContents(path) { mapped, isMapped in
            #expect(isMapped)
            let before = Array(mapped)
            FileContents.release(mapped, 100..<(mapped.count - 100))
            FileContents.release(mapped, 0..<mapped.count)
            return (before, Array(mapped))
        }
        #expect(seen.0 == bytes)
        #expect(seen.1 == bytes)
    }
}

import Foundation
import LeanStatsCore
import LeanStatsImport
import Testing

/// CSV files saved by Excel on Chinese Windows are GB18030/GBK, not UTF-8.
struct TextEncodingTests {
    /// Two instances with Chinese titles, names and departments, as UTF-8 text.
    static let chineseInstances =
        instancesHeader + "\n"
        + "202511030915000123456,PI-1,\"张三提交的精益提案，第2版\",2025-11-03 09:15:00,2025-11-20 17:45:30,"
        + "COMPLETED,agree,u-1,张三,42,生产部\n"
        + "202511040915000123457,PI-2,质量改善：减少返工,2025-11-04 09:15:00,,RUNNING,,u-2,李四,43,质量部\n"

    /// The bytes of `text` in `encoding`, converted by the system's `iconv` program.
    static func converted(_ text: String, to encoding: String) throws -> [UInt8] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/iconv")
        process.arguments = ["-f", "UTF-8", "-t", encoding]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(Data(text.utf8))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        return Array(data)
    }

    @Test(arguments: ["GB18030", "GBK"])
    func aChineseExcelCSVImportsTheSameRecordsAsItsUTF8Copy(encoding: String) throws {
        let directory = try ScratchDirectory()
        let utf8File = try directory.write("utf8.csv", Self.chineseInstances)
        let legacyBytes = try Self.converted(Self.chineseInstances, to: encoding)
        #expect(legacyBytes != Array(Self.chineseInstances.utf8))
        let legacyFile = try directory.write("excel.csv", bytes: legacyBytes)
        let expected = try importReader.read(paths: [utf8File]).records
        let batch = try importReader.read(paths: [legacyFile])
        #expect(batch.issues.isEmpty)
        #expect(batch.records == expected)
        #expect(batch.records.map(\.originatorDeptName) == ["生产部", "质量部"])
        #expect(batch.records.first?.title == "张三提交的精益提案，第2版")
    }

    @Test func bytesThatAreNeitherUTF8NorGB18030AreRefusedWithTheLineAndHowToResave() throws {
        let directory = try ScratchDirectory()
        // 0xFF is never part of a GB18030 character, nor of UTF-8.
        let bytes = Array((instancesHeader + "\nB-1,P-1,t,2025-11-03 09:15:00,,RUNNING,,u,").utf8) + [0xFF, 0x0A]
        let path = try directory.write("broken.csv", bytes: bytes)
        let error = #expect(throws: ImportError.self) { try importReader.read(paths: [path]) }
        #expect(error?.code == .unknownEncoding)
        #expect(error?.line == 2)
        #expect(error?.description.contains("0xFF at line 2") == true)
        #expect(error?.description.contains("CSV UTF-8") == true)
    }

    @Test func utf8WithOneDamagedByteIsRefusedInsteadOfReadAsGB18030() throws {
        let directory = try ScratchDirectory()
        var text = instancesHeader + "\n"
        for index in 0..<20 {
            text += "B-\(index),P-\(index),精益提案\(index),2025-11-03 09:15:00,,RUNNING,,u,张三,1,生产部\n"
        }
        var bytes = Array(text.utf8)
        let damaged = bytes.lastIndex(of: UInt8(ascii: "\n"))! - 1
        bytes[damaged] = 0xC3
        let path = try directory.write("damaged.csv", bytes: bytes)
        let error = #expect(throws: ImportError.self) { try importReader.read(paths: [path]) }
        #expect(error?.code == .unknownEncoding)
        #expect(error?.line == 21)
        #expect(error?.description.contains("damaged") == true)
    }

    @Test func aByteOrderMarkMeansUTF8EvenBeforeDamagedBytes() throws {
        let directory = try ScratchDirectory()
        let bytes = [0xEF, 0xBB, 0xBF] + Array(Self.chineseInstances.utf8)
        let path = try directory.write("bom.csv", bytes: bytes)
        let batch = try importReader.read(paths: [path])
        #expect(batch.records.map(\.originatorDeptName) == ["生产部", "质量部"])
    }
}

import LeanStatsImport
import Synchronization
import Testing

struct ImportProgressTests {
    @Test func progressIsReportedAboutEveryMegabyteAndAtTheEnd() throws {
        let directory = try ScratchDirectory()
        var text = instancesHeader + "\n"
        for index in 0..<40_000 {
            text += "B-\(index),PI-\(index),某某提交的精益提案,2025-11-03 09:15:00,,RUNNING,,user-\(index),某某,42,生产部\n"
        }
        let path = try directory.write("big.csv", text)
        let total = text.utf8.count
        let calls = Mutex<[(String, Int, Int)]>([])
        let batch = try importReader.read(paths: [path]) { file, done, size in
            calls.withLock { $0.append((file, done, size)) }
        }
        #expect(batch.records.count == 40_000)
        let reported = calls.withLock { $0 }
        #expect(reported.count == total / (1 << 20) + 1)
        #expect(reported.allSatisfy { $0.0 == path && $0.2 == total })
        #expect(reported.map(\.1) == reported.map(\.1).sorted())
        #expect(reported.last?.1 == total)
        #expect(reported.first.map { $0.1 >= 1 << 20 && $0.1 < (1 << 20) + 200 } == true)
    }
}

import LeanStatsCore
import Testing

@testable import LeanStatsImport

/// Titles are looked up starting from the title last seen with the row's originator name; whatever that guess is,
/// every row keeps its own title.
struct TitleByNameTests {
    @Test func aNameWhoseTitlesChangeOrGoMissingKeepsEachRowsOwnTitle() throws {
        let directory = try ScratchDirectory()
        let names = ["张三", "李四", "", "王五"]
        var text = instancesHeader + "\n"
        var expected: [(name: String?, title: String?)] = []
        for index in 0..<500 {
            let name = names[index % names.count]
            // Mostly "<name>提交的精益提案"; every seventh row another form, every eleventh no title.
            let title =
                index % 11 == 0 ? "" : index % 7 == 0 ? "\(name)提交的合理化建议" : "\(name)提交的精益提案"
            text += "B-\(index),PI-\(index),\(title),2025-11-03 09:15:00,,RUNNING,,u\(index % 4),\(name),7,生产部\n"
            expected.append((name.isEmpty ? nil : name, title.isEmpty ? nil : title))
        }
        let path = try directory.write("i.csv", text)
        for reader in [ImportReader(clock: shanghai, pieceBytes: 4096), ImportReader(clock: shanghai)] {
            let batch = try reader.read(paths: [path])
            #expect(batch.records.map(\.originatorUserName) == expected.map(\.name))
            #expect(batch.records.map(\.title) == expected.map(\.title))
        }
    }
}

import LeanStatsCore
import LeanStatsTestSupport
import Testing

@testable import LeanStatsImport

/// Files read in parallel pieces give exactly what one sequential pass gives: rows, bad rows and their lines.
struct ParallelPiecesTests {
    /// Splits every file of more than 4 KiB into pieces.
    private let piecewise = ImportReader(clock: shanghai, pieceBytes: 4096)
    /// Reads every file in one piece.
    private let sequential = ImportReader(clock: shanghai, pieceBytes: .max)

    /// An instances CSV whose fields hold commas, doubled quotes and line breaks (LF and CRLF), with missing values
    /// written every way, and rows that are bad in every way; returns the text and the expected bad lines.
    private func awkwardInstances(rows: Int, lineEnd: String) -> (text: String, badLines: [Int: String]) {
        var random = SeededGenerator(seed: 7)
        var text = instancesHeader + lineEnd
        var line = 2
        var bad: [Int: String] = [:]
        for index in 0..<rows {
            let start = line
            var title = "提案 \(index)"
            switch random.next() % 6 {
            case 0: title = "\"多行\(lineEnd)标题, 第\(index)版\(lineEnd)\""
            case 1: title = "\"他说 \"\"好\"\", 然后\""
            case 2: title = "\"\""
            case 3: title = "NULL"
            default: break
            }
            line += title.components(separatedBy: lineEnd).count - 1
            var create = "2025-11-03 09:15:\(index % 6)0"
            var result = index % 2 == 0 ? "agree" : ""
            var extra = ""
            switch random.next() % 40 {
            case 0:
                create = "2025-13-03 09:15:00"
                bad[start] = "create_time '2025-13-03 09:15:00' is not a time"
            case 1:
                result = "maybe"
                bad[start] = "result 'maybe' is not one of agree, refuse"
            case 2:
                extra = ",surplus"
                bad[start] = "the row has 12 fields but the header has 11"
            default: break
            }
            text += "B-\(index),PI-\(index),\(title),\(create),,COMPLETED,\(result),u\(index % 97),\\N,7,生产部\(extra)"
            text += lineEnd
            line += 1
        }
        return (text, bad)
    }

    @Test(arguments: ["\n", "\r\n"])
    func quotedFieldsAcrossPieceBoundariesReadAsInOnePass(lineEnd: String) throws {
        let directory = try ScratchDirectory()
        let (text, bad) = awkwardInstances(rows: 3000, lineEnd: lineEnd)
        let path = try directory.write("i.csv", text)
        let parallel = try piecewise.read(paths: [path])
        let single = try sequential.read(paths: [path])
        #expect(parallel.records == single.records)
        #expect(parallel.issues == single.issues)
        #expect(parallel.records.count == 3000 - bad.count)
        #expect(parallel.issues.map(\.line) == bad.keys.sorted())
        for issue in parallel.issues {
            #expect(issue.reason.hasPrefix(bad[issue.line] ?? "?"), "\(issue)")
        }
        #expect(parallel.records.contains { $0.title?.contains("\(lineEnd)标题, 第") == true })
        #expect(parallel.records.contains { $0.title?.hasPrefix("他说 \"好\", 然后") == true })
    }

    @Test func formValuesInPiecesJoinAndCountOrphansAsInOnePass() throws {
        let directory = try ScratchDirectory()
        let (instances, _) = awkwardInstances(rows: 2000, lineEnd: "\n")
        var forms = "business_id,component_name,value_text\n"
        for index in stride(from: 0, to: 2600, by: 1) {
            forms += "B-\(index),提案类别,\"类别, \(index % 15)\"\nB-\(index),说明,\(index % 3 == 0 ? "null" : "第\(index)条")\n"
        }
        let paths = [try directory.write("i.csv", instances), try directory.write("f.csv", forms)]
        let parallel = try piecewise.read(paths: paths)
        let single = try sequential.read(paths: paths)
        #expect(parallel.records == single.records)
        #expect(parallel.orphanFormValues == single.orphanFormValues)
        #expect(parallel.orphanFormValues >= 1200)
    }

    @Test func formRowsInAnyOrderAndWithGapsJoinTheSameInstances() throws {
        let directory = try ScratchDirectory()
        let (instances, _) = awkwardInstances(rows: 2000, lineEnd: "\n")
        // Instances without form rows, one by one and in runs longer than the join's window of following rows.
        let listed = (0..<2100).filter { $0 % 5 != 0 && !(700..<760).contains($0) }
        var random = SeededGenerator(seed: 5)
        var expected: [InstanceRecord] = []
        var orphans: Int?
        for order in [listed, listed.reversed(), listed.shuffled(using: &random)] {
            var forms = "business_id,component_name,value_text\n"
            for index in order { forms += "B-\(index),提案类别,类别\(index % 15)\nB-\(index),预计收益(元),\(index)\n" }
            let paths = [try directory.write("i.csv", instances), try directory.write("f.csv", forms)]
            let batch = try piecewise.read(paths: paths)
            // Rows for ids past the last instance, and for the bad instance rows, which were not read.
            #expect(batch.orphanFormValues == orphans ?? batch.orphanFormValues)
            #expect(batch.orphanFormValues >= 2 * listed.filter { $0 >= 2000 }.count)
            if expected.isEmpty {
                expected = batch.records
                orphans = batch.orphanFormValues
                for record in expected {
                    let index = Int(record.businessId!.dropFirst(2))!
                    let category = record.formFields.first { $0.name == "提案类别" }?.value
                    #expect(category == (listed.contains(index) ? "类别\(index % 15)" : nil), "\(index)")
                }
            } else {
                #expect(batch.records == expected)
            }
        }
    }

    @Test func formRowsJoinInstancesOfLaterFilesAsWhenReadAfterThem() throws {
        let directory = try ScratchDirectory()
        let (instances, _) = awkwardInstances(rows: 2000, lineEnd: "\n")
        // The same instances in two files, the second also repeating one of the first's (a later copy).
        let lines = instances.split(separator: "\n", omittingEmptySubsequences: false)
        let cut = lines.firstIndex { $0.hasPrefix("B-1000,") }!
        let first = lines[..<cut].joined(separator: "\n") + "\n"
        let second = ([lines[0], lines[1]] + lines[cut...]).joined(separator: "\n")
        var forms = "business_id,component_name,value_text\n"
        for index in (0..<2100).filter({ $0 % 7 != 3 }) {
            forms += "B-\(index),提案类别,类别\(index % 15)\nB-\(index),提案名称,第\(index)条\n"
        }
        let (one, two, values) = (
            try directory.write("i1.csv", first), try directory.write("i2.csv", second),
            try directory.write("f.csv", forms)
        )
        let expected = try piecewise.read(paths: [one, two, values])
        #expect(expected.records.count > 1800)
        #expect(expected.records.filter { $0.businessId == "B-0" }.count == 2)
        for record in expected.records {
            let index = Int(record.businessId!.dropFirst(2))!
            let name = record.formFields.first { $0.name == "提案名称" }?.value
            #expect(name == (index % 7 == 3 ? nil : "第\(index)条"), "\(index)")
        }
        for order in [[one, values, two], [values, one, two]] {
            let batch = try piecewise.read(paths: order)
            #expect(batch.records == expected.records)
            #expect(batch.orphanFormValues == expected.orphanFormValues)
        }
    }

    @Test func moreComponentNamesThanAByteHoldsAllJoinTheirInstances() throws {
        let directory = try ScratchDirectory()
        var instances = instancesHeader + "\n"
        var forms = "business_id,component_name,value_text\n"
        for index in 0..<20 {
            instances += "B-\(index),PI-\(index),t,2025-11-03 09:15:00,,RUNNING,,u,n,7,d\n"
            for field in 0..<300 { forms += "B-\(index),字段\(field),\(index * 1000 + field)\n" }
        }
        let paths = [try directory.write("i.csv", instances), try directory.write("f.csv", forms)]
        for reader in [piecewise, sequential] {
            let batch = try reader.read(paths: paths)
            #expect(batch.records.count == 20)
            for (index, record) in batch.records.enumerated() {
                #expect(record.formFields.count == 300)
                #expect(record.formFields.first { $0.name == "字段299" }?.value == "\(index * 1000 + 299)")
            }
        }
    }

    @Test func tsvEscapedLineBreaksAcrossPieceBoundariesReadAsInOnePass() throws {
        let directory = try ScratchDirectory()
        var text = instancesHeader.replacingOccurrences(of: ",", with: "\t") + "\n"
        for index in 0..<3000 {
            let title = index % 4 == 0 ? "多行\\\n标题\\t\(index)\\\\" : "标题 \(index)"
            text += "B-\(index)\tPI-\(index)\t\(title)\t2025-11-03 09:15:00\t\\N\tRUNNING\t\\N\tu\t名\t7\t部\n"
        }
        let path = try directory.write("i.tsv", text)
        let parallel = try piecewise.read(paths: [path])
        #expect(parallel.records == (try sequential.read(paths: [path])).records)
        #expect(parallel.records.count == 3000)
        #expect(parallel.records[4].title == "多行\n标题\t4\\")
    }

    @Test func aStrayQuoteThatMisleadsTheSplitStillReadsAsInOnePass() throws {
        let directory = try ScratchDirectory()
        // The quoted multi-line titles put cuts inside records, which the reader must notice and repair; a quote
        // inside an unquoted field (5" pipe) and an unterminated quote at the end must not confuse the repair.
        var text = instancesHeader + "\nB-0,PI-0,5\" pipe,2025-11-03 09:15:00,,,,u,n,7,d\n"
        for index in 1..<3000 {
            text += "B-\(index),PI-\(index),\"第\(index)行\n第二行\",2025-11-03 09:15:00,,,,u,n,7,d\n"
        }
        text += "B-x,PI-x,\"unterminated,2025-11-03 09:15:00,,,,u,n,7,d\n"
        let path = try directory.write("i.csv", text)
        let parallel = try piecewise.read(paths: [path])
        let single = try sequential.read(paths: [path])
        #expect(parallel.records == single.records)
        #expect(parallel.issues == single.issues)
        #expect(parallel.records.count == 3000)
        #expect(parallel.issues.map(\.line) == [6001])
    }

    @Test func recordBoundariesFallAfterLineEndsAndTSVCutsSkipEscapedOnes() {
        var text = "h\n"
        for index in 0..<2000 { text += "a\\\nb\t\(index)\r\nplain\t\(index)\n" }
        let bytes = Array(text.utf8)
        for dialect in [DelimitedReader.Dialect.csv, .tsv] {
            let cuts = bytes.withUnsafeBufferPointer {
                DelimitedReader(dialect: dialect).recordBoundaries(in: $0, from: 2, pieces: 8)
            }
            #expect(cuts.count > 2)
            #expect(cuts.first == 2 && cuts.last == bytes.count)
            #expect(cuts == cuts.sorted())
            for cut in cuts.dropFirst().dropLast() {
                #expect(bytes[cut - 1] == UInt8(ascii: "\n"))
                // A TSV cut never follows the escaped line break inside "a\<LF>b".
                if dialect == .tsv { #expect(bytes[cut] == UInt8(ascii: "a") || bytes[cut] == UInt8(ascii: "p")) }
            }
        }
    }
}

import Foundation
import LeanStatsCore
import LeanStatsQuery
import LeanStatsReport
import LeanStatsTestSupport
import Testing

/// Names with control characters or text that looks like an `_xHHHH_` escape still give a workbook whose every
/// XML part is well-formed and whose text reads back as written, control characters aside.
struct HostileTextTests {
    static let clock = try! ZoneClock(identifier: "Asia/Shanghai")
    static let dept = "生产\u{1}部 _x0041_"
    static let category = "安全\u{7}改善 _X004a_"
    static let title = "提案\u{0}一\r\n第二行\u{1F}"

    static let engine: StatisticsEngine = {
        var builder = InstanceTableBuilder()
        let names = [dept, "质量\u{B}部", dept]
        for index in 0..<3 {
            let create = clock.parseLocal("2025-11-0\(index + 3) 10:00:00")!
            builder.upsert(
                InstanceRecord(
                    instanceId: "T-\(index)",
                    businessId: "B-\(index)",
                    title: index == 0 ? title : "提案 \(index)",
                    createTime: create,
                    finishTime: create + 86_400,
                    status: .completed,
                    result: .agree,
                    originatorUserId: "u\(index)",
                    originatorUserName: "张\u{2}三_x0030_",
                    originatorDeptId: "\(index % 2)",
                    originatorDeptName: names[index],
                    formFields: [FormField(name: categoryFieldName, value: index == 1 ? "质量改善" : category)]
                )
            )
        }
        return StatisticsEngine(table: builder.build(), clock: clock)
    }()

    private func written(dept: String? = nil) throws -> (XLSXPackage, TemporaryDirectory) {
        let directory = try TemporaryDirectory(prefix: "leanstats-report-text")
        let request = try ReportRequest(
            period: try ReportPeriod(parsing: "2025-11", today: CivilDate(year: 2025, month: 12, day: 5)),
            deptName: dept,
            topCount: 10
        )
        let path = directory.file("report.xlsx")
        try ReportWriter().write(try ReportContent(engine: Self.engine, request: request), to: path)
        return (try XLSXPackage(path: path), directory)
    }

    /// Every XML part parses.
    private func expectWellFormed(_ package: XLSXPackage) {
        for (path, data) in package.parts where path.hasSuffix(".xml") || path.hasSuffix(".rels") {
            #expect(throws: Never.self, "\(path) is well-formed") { _ = try XMLNode.parse(data) }
        }
    }

    @Test func controlCharactersInNamesLeaveEveryPartWellFormed() throws {
        let (package, directory) = try written()
        defer { directory.remove() }
        expectWellFormed(package)
        #expect(package.parts.keys.contains { $0.hasPrefix("xl/charts/chart") })
    }

    @Test func cellsReadBackAsWrittenWithoutControlCharacters() throws {
        let (package, directory) = try written()
        defer { directory.remove() }
        let strings = Set(try package.sharedStrings())
        #expect(strings.contains("生产部 _x0041_"))
        #expect(strings.contains("质量部"))
        #expect(strings.contains("安全改善 _X004a_"))
        #expect(strings.contains("提案一\n第二行"))
        #expect(strings.contains("张三_x0030_"))
        #expect(!strings.contains("生产部 A"), "the literal text was not decoded as an escape")
        for text in strings {
            #expect(!text.unicodeScalars.contains { $0.value < 0x20 && $0 != "\t" && $0 != "\n" }, "\(text)")
        }
    }

    @Test func chartCategoriesReadBackAsTheCellsTheyReferTo() throws {
        let (package, directory) = try written()
        defer { directory.remove() }
        var categories = Set<String>()
        for (path, data) in package.parts where path.hasPrefix("xl/charts/chart") {
            for category in try XMLNode.parse(data).all("cat") {
                for value in category.all("v") { categories.insert(XLSXPackage.decodingEscapes(value.text)) }
            }
        }
        #expect(categories.contains("生产部 _x0041_"))
        #expect(categories.contains("安全改善 _X004a_"))
        #expect(!categories.contains { $0.unicodeScalars.contains { $0.value < 0x20 } })
    }

    @Test func aDepartmentPackNamedWithControlCharactersHasCleanTitlesHeadersAndProperties() throws {
        let (package, directory) = try written(dept: Self.dept)
        defer { directory.remove() }
        expectWellFormed(package)
        let core = try package.xml("docProps/core.xml")
        #expect(core.first("title")?.text.contains("生产部 _x0041_") == true)
        let header = try package.sheet(ReportWriter.sheetNames[0]).first("oddHeader")?.text ?? ""
        #expect(XLSXPackage.decodingEscapes(header).contains("生产部 _x0041_"), "\(header)")
        #expect(try package.sharedStrings().contains { $0.contains("生产部 _x0041_") })
    }
}

import LeanStatsImport
import Testing

struct ImportErrorTests {
    @Test func missingFileNamesThePathAndTheSystemReason() throws {
        let directory = try ScratchDirectory()
        let path = directory.path + "/nope.csv"
        let error = #expect(throws: ImportError.self) { try importReader.read(paths: [path]) }
        #expect(error?.code == .unreadableFile)
        #expect(error?.path == path)
        #expect(
            error?.description
                == "import error: cannot read \(path): No such file or directory (errno 2); check the path and that the file is readable"
        )
    }

    @Test func directoryIsUnreadable() throws {
        let directory = try ScratchDirectory()
        let error = #expect(throws: ImportError.self) { try importReader.read(paths: [directory.path]) }
        #expect(error?.code == .unreadableFile)
        #expect(error?.description.contains("Is a directory") == true)
    }

    @Test func unknownHeaderNamesTheColumnsFoundAndExpected() throws {
        let directory = try ScratchDirectory()
        let path = try directory.write("people.csv", "user_id,name\n1,张三\n")
        let error = #expect(throws: ImportError.self) { try importReader.read(paths: [path]) }
        #expect(error?.code == .unknownFileKind)
        let text = error?.description ?? ""
        #expect(text.contains("user_id, name"))
        #expect(text.contains("create_time"))
        #expect(text.contains("component_name"))
    }

    @Test func instancesHeaderWithoutCreateTimeIsUnknown() throws {
        let directory = try ScratchDirectory()
        let path = try directory.write("i.csv", "business_id,process_instance_id,title\nB,P,t\n")
        let error = #expect(throws: ImportError.self) { try importReader.read(paths: [path]) }
        #expect(error?.code == .unknownFileKind)
    }

    @Test func emptyFileIsUnknown() throws {
        let directory = try ScratchDirectory()
        let path = try directory.write("empty.csv", "")
        let error = #expect(throws: ImportError.self) { try importReader.read(paths: [path]) }
        #expect(error?.code == .unknownFileKind)
        #expect(error?.description.contains("no header row") == true)
    }

    @Test func issueDescriptionIsFileColonLineColonReason() {
        #expect(ImportIssue(file: "a.csv", line: 7, reason: "why").description == "a.csv:7: why")
    }
}

import LeanStatsCore
import LeanStatsImport
import Testing

struct FormValueJoinTests {
    private let instances =
        instancesHeader + "\n"
        + "B-1,PI-1,t,2025-11-03 09:15:00,,,,u,n,1,d\n"
        + "B-2,,t,2025-11-03 09:15:00,,,,u,n,1,d\n"

    @Test func categoryJoinsOnBusinessIdIntoFormFields() throws {
        let directory = try ScratchDirectory()
        let forms = try directory.write(
            "ding_form_component_values.csv",
            "business_id,component_name,value_text\nB-1,提案名称,减少换模时间\nB-1,提案类别,效率\nB-2,提案类别,安全改善\n"
        )
        let batch = try importReader.read(paths: [try directory.write("i.csv", instances), forms])
        #expect(batch.orphanFormValues == 0)
        #expect(
            batch.records[0].formFields == [
                FormField(name: "提案名称", value: "减少换模时间"), FormField(name: "提案类别", value: "效率"),
            ]
        )
        #expect(batch.records[0].formValue(categoryFieldName) == "效率")
        #expect(batch.records[1].formValue(categoryFieldName) == "安全改善")
    }

    @Test func laterValueForTheSameComponentWinsInTheFirstPosition() throws {
        let directory = try ScratchDirectory()
        let forms = try directory.write(
            "f.csv",
            "business_id,component_name,value_text\nB-1,提案类别,效率\nB-1,提案名称,x\nB-1,提案类别,质量\n"
        )
        let batch = try importReader.read(paths: [try directory.write("i.csv", instances), forms])
        #expect(
            batch.records[0].formFields == [FormField(name: "提案类别", value: "质量"), FormField(name: "提案名称", value: "x")]
        )
    }

    @Test func missingValuesAreSkippedAndDoNotOverwrite() throws {
        let directory = try ScratchDirectory()
        let forms = try directory.write(
            "f.csv",
            "business_id,component_name,value_text\nB-1,提案类别,效率\nB-1,提案类别,NULL\nB-1,说明,null\nB-1,附件,\n"
        )
        let batch = try importReader.read(paths: [try directory.write("i.csv", instances), forms])
        #expect(batch.records[0].formFields == [FormField(name: "提案类别", value: "效率")])
    }

    @Test func rowsWithoutAnInstanceAreCountedAsOrphans() throws {
        let directory = try ScratchDirectory()
        let forms = try directory.write(
            "f.csv",
            "business_id,component_name,value_text\nB-9,提案类别,效率\nB-1,提案类别,质量\nB-8,提案类别,NULL\n"
        )
        let batch = try importReader.read(paths: [try directory.write("i.csv", instances), forms])
        #expect(batch.orphanFormValues == 2)
        #expect(batch.records[0].formValue(categoryFieldName) == "质量")
        #expect(batch.records[1].formFields.isEmpty)
    }

    @Test func formValuesFileMayComeFirstAndReachEveryCopyOfAnInstance() throws {
        let directory = try ScratchDirectory()
        let forms = try directory.write("f.tsv", "value_text\tcomponent_name\tbusiness_id\n效率\t提案类别\tB-1\n")
        let first = try directory.write("a.csv", instances)
        let second = try directory.write(
            "b.csv",
            instancesHeader + "\nB-1,PI-1,t,2025-11-03 09:15:00,,COMPLETED,agree,u,n,1,d\n"
        )
        let batch = try importReader.read(paths: [forms, first, second])
        #expect(batch.records.map(\.instanceId) == ["PI-1", "B-2", "PI-1"])
        #expect(batch.records.map { $0.formValue(categoryFieldName) } == ["效率", nil, "效率"])
    }

    @Test func instancesMergedBeforeAFormFileKeepTheirOrderAndTakeValuesFromLaterFormFiles() throws {
        let directory = try ScratchDirectory()
        let header = "business_id,component_name,value_text\n"
        let first = try directory.write("a.csv", instances)
        let forms = try directory.write("f.csv", header + "B-1,提案类别,效率\nB-2,提案类别,安全改善\n")
        let second = try directory.write(
            "b.csv",
            instancesHeader + "\nB-1,PI-1,t,2025-11-03 09:15:00,,COMPLETED,agree,u,n,1,d\n"
                + "B-3,PI-3,t2,2025-11-04 10:00:00,,,,v,m,2,e\n"
        )
        let moreForms = try directory.write("g.csv", header + "B-3,提案类别,质量\nB-2,提案类别,成本\n")
        let batch = try importReader.read(paths: [first, forms, second, moreForms])
        #expect(batch.orphanFormValues == 0)
        #expect(batch.records.map(\.instanceId) == ["PI-1", "B-2", "PI-1", "PI-3"])
        #expect(batch.records.map(\.originatorUserName) == ["n", "n", "n", "m"])
        #expect(batch.records.map(\.originatorDeptName) == ["d", "d", "d", "e"])
        #expect(batch.records.map { $0.status } == [nil, nil, .completed, nil])
        #expect(batch.records.map { $0.formValue(categoryFieldName) } == ["效率", "成本", "效率", "质量"])
    }

    @Test func formRowWithoutBusinessIdIsABadRow() throws {
        let directory = try ScratchDirectory()
        let forms = try directory.write("f.csv", "business_id,component_name,value_text\n,提案类别,效率\nB-1,,效率\n")
        let batch = try importReader.read(paths: [try directory.write("i.csv", instances), forms])
        #expect(
            batch.issues.map(\.description) == [
                "\(forms):2: business_id is missing", "\(forms):3: component_name is missing",
            ]
        )
    }

    @Test func formValuesWithoutAnInstancesFileAreAnError() throws {
        let directory = try ScratchDirectory()
        let forms = try directory.write("f.csv", "business_id,component_name,value_text\nB-1,提案类别,效率\n")
        let error = #expect(throws: ImportError.self) { try importReader.read(paths: [forms]) }
        #expect(error?.code == .formValuesWithoutInstances)
        #expect(error?.description.contains(forms) == true)
        #expect(error?.description.contains("ding_process_instances") == true)
    }
}

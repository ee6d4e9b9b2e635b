import LeanStatsCore
import LeanStatsImport
import Testing

/// A legacy `/topapi/processinstance/get` response on one line, with the id and name carried beside it.
let legacyResponse = #"""
    {"errcode":0,"errmsg":"ok","request_id":"10c0pggajcsu7","process_instance_id":"PI-L1","originator_user_name":"测试用户","process_instance":{"title":"测试用户提交的精益提案","create_time":"2020-12-21 15:30:26","finish_time":"2020-12-21 15:30:27","originator_userid":"user456","originator_dept_id":"433xxx","originator_dept_name":"测试2","status":"COMPLETED","result":"agree","business_id":"20201","form_component_values":[{"component_type":"TextField","name":"提案名称","id":"TextField_1","value":"减少换模时间"},{"component_type":"DDSelectField","name":"提案类别","id":"DDSelectField_1","value":"效率","ext_value":"{\"label\":\"效率\",\"key\":\"option_1\"}"}]}}
    """#

/// A v1.0 `/v1.0/workflow/processInstances` response on one line, with the id carried beside it.
let v1Response = #"""
    {"processInstanceId":"eNxe43IIT8S4oQBRC_CrhQ00221776324877","result":{"title":"张三提交的精益提案","createTime":"2026-04-16T15:34Z","originatorUserId":"093204182627445986","originatorDeptId":"-1","originatorDeptName":"生产部","status":"RUNNING","result":"","businessId":"202604161534000376553","formComponentValues":[{"componentType":"DDSelectField","id":"DDSelectField-JZ9IZXWF","name":"提案类别","value":"效率","extValue":"{\"label\":\"效率\",\"key\":\"option_1\"}"}]},"success":true}
    """#

struct DingTalkJSONImportTests {
    private func read(_ name: String, _ text: String) throws -> (batch: ImportBatch, path: String) {
        let directory = try ScratchDirectory()
        let path = try directory.write(name, text)
        return (try importReader.read(paths: [path]), path)
    }

    @Test func legacyWrappedResponseInJSONLinesGivesEveryField() throws {
        let batch = try read("details.jsonl", legacyResponse + "\n").batch
        #expect(batch.issues.isEmpty)
        let record = try #require(batch.records.first)
        #expect(
            record
                == InstanceRecord(
                    instanceId: "PI-L1",
                    businessId: "20201",
                    title: "测试用户提交的精益提案",
                    createTime: 1_608_535_826,
                    finishTime: 1_608_535_827,
                    status: .completed,
                    result: .agree,
                    originatorUserId: "user456",
                    originatorUserName: "测试用户",
                    originatorDeptId: "433xxx",
                    originatorDeptName: "测试2",
                    formFields: [FormField(name: "提案名称", value: "减少换模时间"), FormField(name: "提案类别", value: "效率")]
                )
        )
    }

    @Test func bareLegacyProcessInstanceCarriesItsIdInside() throws {
        let text =
            #"{"process_instance_id":"PI-2","originator_user_name":"李四","create_time":"2020-12-21 15:30:26","status":"running","result":"","originator_userid":"u2"}"#
        let record = try #require(try read("bare.jsonl", text).batch.records.first)
        #expect(record.instanceId == "PI-2")
        #expect(record.originatorUserName == "李四")
        #expect(record.status == .running)
        #expect(record.result == nil)
        #expect(record.finishTime == nil)
    }

    @Test func v1WrappedResponseReadsZTimesAsShanghaiWallTimeWithTheSecondsFromTheId() throws {
        let record = try #require(try read("v1.jsonl", v1Response).batch.records.first)
        #expect(record.instanceId == "eNxe43IIT8S4oQBRC_CrhQ00221776324877")
        // 2026-04-16T15:34Z read as Beijing wall time is 1_776_324_840; the id's trailing epoch seconds fall inside
        // that minute and give the seconds back, as a sync does.
        #expect(record.createTime == 1_776_324_877)
        #expect(record.status == .running)
        #expect(record.result == nil)
        #expect(record.businessId == "202604161534000376553")
        #expect(record.originatorUserId == "093204182627445986")
        #expect(record.originatorDeptId == "-1")
        #expect(record.originatorDeptName == "生产部")
        #expect(record.formValue(categoryFieldName) == "效率")
    }

    @Test func bareV1ResultWithNameAndFinishTime() throws {
        let text =
            #"{"processInstanceId":"PI-3","originatorUserName":"王五","title":"x","createTime":"2026-04-16T15:34Z","finishTime":"2026-04-18T10:02Z","status":"COMPLETED","result":"refuse","businessId":"B-3","originatorUserId":"u3"}"#
        let record = try #require(try read("bare-v1.jsonl", text).batch.records.first)
        #expect(record.instanceId == "PI-3")
        #expect(record.originatorUserName == "王五")
        #expect(record.finishTime == 1_776_477_720)
        #expect(record.result == .refuse)
    }

    @Test func prettyPrintedArrayReportsABadElementAtTheLineItStarts() throws {
        let text = """
            [
              {
                "processInstanceId": "PI-1",
                "createTime": "2026-04-16T15:34Z"
              },
              {
                "processInstanceId": "PI-2",
                "createTime": "2026-04-31T15:34Z"
              },
              \(v1Response)
            ]
            """
        let (batch, path) = try read("export.json", text)
        #expect(batch.records.map(\.instanceId) == ["PI-1", "eNxe43IIT8S4oQBRC_CrhQ00221776324877"])
        #expect(
            batch.issues.map(\.description) == [
                "\(path):6: createTime '2026-04-31T15:34Z' is not a time; expected YYYY-MM-DDTHH:MMZ (local time)"
            ]
        )
    }

    @Test func concatenatedPrettyPrintedObjectsInAJSONFile() throws {
        let text =
            "{\n  \"process_instance_id\": \"A\",\n  \"create_time\": \"2025-01-01 00:00:00\"\n}\n"
            + "{\"process_instance_id\": \"B\", \"create_time\": \"2025-01-01 00:00:00\"}\n"
        let batch = try read("two.json", text).batch
        #expect(batch.records.map(\.instanceId) == ["A", "B"])
        #expect(batch.records.map(\.createTime) == [1_735_660_800, 1_735_660_800])
    }

    @Test func epochMillisecondsAsNumbersOrDigitStrings() throws {
        let text =
            #"{"process_instance_id":"A","create_time":1608535826000,"finish_time":"1608535827000","originator_dept_id":433}"#
        let record = try #require(try read("ms.jsonl", text).batch.records.first)
        #expect(record.createTime == 1_608_535_826)
        #expect(record.finishTime == 1_608_535_827)
        #expect(record.originatorDeptId == "433")
    }

    @Test func nonZeroErrcodeIsABadRowWithTheMessage() throws {
        let text =
            #"{"errcode":88,"errmsg":"access_token is blank","sub_code":"40000"}"# + "\n"
            + #"{"errcode":"0","process_instance_id":"A","process_instance":{"create_time":"2025-01-01 00:00:00"}}"#
            + "\n"
            + #"{"code":"processInstanceNotExist","message":"审批实例不存在","requestid":"r1"}"#
        let (batch, path) = try read("errors.jsonl", text)
        #expect(batch.records.map(\.instanceId) == ["A"])
        #expect(
            batch.issues.map(\.description) == [
                "\(path):1: DingTalk returned errcode 88: access_token is blank",
                "\(path):3: DingTalk returned error processInstanceNotExist: 审批实例不存在",
            ]
        )
    }

    @Test func formComponentsAreNormalised() throws {
        let components = #"""
            [{"componentType":"TextareaField","name":"说明","value":"null"},
             {"componentType":"DDSelectField","name":"提案类别","value":"","extValue":"{\"label\":\"安全改善\",\"key\":\"option_2\"}"},
             {"componentType":"DDMultiSelectField","name":"涉及部门","value":"[\"无/NO\",\"生产部\"]","extValue":"[{\"label\":\"无/NO\"}]"},
             {"componentType":"DDMultiSelectField","name":"空多选","value":"[]"},
             {"componentType":"TextNote","value":"请认真填写"},
             {"componentType":"FancyNewField","name":"新组件","value":"{\"a\":1}"},
             {"componentType":"TableField","name":"明细","value":"[{\"rowValue\":[{\"label\":\"物品\",\"value\":\"电脑\"}]}]"},
             {"componentType":"NumberField","name":"节约金额","value":6786},
             {"componentType":"DDAttachment","name":"附件","value":"null"}]
            """#
        let text =
            #"{"processInstanceId":"A","result":{"createTime":"2026-04-16T15:34Z","formComponentValues":"#
            + components.replacingOccurrences(of: "\n", with: "") + "}}"
        let record = try #require(try read("form.jsonl", text).batch.records.first)
        #expect(
            record.formFields == [
                FormField(name: "提案类别", value: "安全改善"),
                FormField(name: "涉及部门", value: "无/NO,生产部"),
                FormField(name: "新组件", value: #"{"a":1}"#),
                FormField(name: "明细", value: #"[{"rowValue":[{"label":"物品","value":"电脑"}]}]"#),
                FormField(name: "节约金额", value: "6786"),
            ]
        )
    }

    @Test func missingFieldsAreFineButCreateTimeAndIdAreNot() throws {
        let text =
            #"{"businessId":"B-only","createTime":"2026-04-16T15:34Z"}"# + "\n"
            + #"{"processInstanceId":"no-time","title":"x"}"# + "\n"
            + #"{"createTime":"2026-04-16T15:34Z","title":"no id"}"# + "\n"
            + #"{"result":{"createTime":"2026-04-16T15:34Z","tasks":[{"pcUrl":"aflow.dingtalk.com?procInsId=FROM-URL&taskId=1"}]}}"#
            + "\n"
            + #"{"process_instance_id":"bad-status","create_time":"2025-01-01 00:00:00","status":"PAUSED"}"#
        let (batch, path) = try read("partial.jsonl", text)
        #expect(batch.records.map(\.instanceId) == ["B-only", "FROM-URL"])
        #expect(batch.records[0].title == nil)
        #expect(batch.records[0].originatorUserId == nil)
        #expect(
            batch.issues.map(\.description) == [
                "\(path):2: the create time (create_time / createTime) is missing",
                "\(path):3: no instance id: put process_instance_id / processInstanceId beside the detail",
                "\(path):5: status 'PAUSED' is not one of NEW, RUNNING, COMPLETED, TERMINATED, CANCELED",
            ]
        )
    }

    @Test func corruptJSONLineIsABadRowAndTheRestIsRead() throws {
        let text =
            #"{"process_instance_id":"A","create_time":"2025-01-01 00:00:00"}"# + "\n\n"
            + #"{"process_instance_id":"B","create_time":"# + "\n"
            + #"{"process_instance_id":"C","create_time":"2025-01-01 00:00:00"}"# + "\n"
        for name in ["lines.jsonl", "lines.json"] {
            let (batch, path) = try read(name, text)
            #expect(batch.records.map(\.instanceId) == ["A", "C"], "\(name)")
            #expect(batch.issues.map(\.file) == [path])
            #expect(batch.issues.map(\.line) == [3], "\(name)")
            #expect(batch.issues.first?.reason.hasPrefix("not valid JSON") == true)
        }
    }

    @Test func syntaxErrorInsideAPrettyPrintedObjectNamesItsLineAndColumnInTheFile() throws {
        let text =
            "{\n  \"process_instance_id\": \"A\",\n  \"create_time\": x\n}\n"
            + #"{"process_instance_id":"B","create_time":"2025-01-01 00:00:00"}"#
        let (batch, path) = try read("pretty.json", text)
        #expect(batch.records.map(\.instanceId) == ["B"])
        let issue = try #require(batch.issues.first)
        #expect(issue.file == path && issue.line == 1)
        #expect(issue.reason.hasPrefix("not valid JSON"))
        // Foundation reports an offset into the value; the reason names the place in the file instead.
        #expect(issue.reason.contains("line 3, column 18"), "\(issue.reason)")
    }

    @Test func brokenArrayIsAnInvalidJSONErrorWithItsLine() throws {
        let directory = try ScratchDirectory()
        let path = try directory.write(
            "broken.json",
            "[\n" + #"{"process_instance_id":"A","create_time":"2025-01-01 00:00:00"}"# + "\n{\"a\":1} x\n]"
        )
        let error = #expect(throws: ImportError.self) { try importReader.read(paths: [path]) }
        #expect(error?.code == .invalidJSON)
        #expect(error?.line == 3)
        #expect(error?.description.contains("\(path):3") == true)
    }

    @Test func jsonFileWithNoJSONAtAllIsAnError() throws {
        let directory = try ScratchDirectory()
        let path = try directory.write("notes.json", "this is not json\nneither is this\n")
        let error = #expect(throws: ImportError.self) { try importReader.read(paths: [path]) }
        #expect(error?.code == .invalidJSON)
        #expect(error?.line == 1)
    }

    @Test func nonObjectElementIsABadRow() throws {
        let (batch, path) = try read(
            "mixed.json",
            "[1, {\"process_instance_id\":\"A\",\"create_time\":\"2025-01-01 00:00:00\"}]"
        )
        #expect(batch.records.map(\.instanceId) == ["A"])
        #expect(batch.issues == [ImportIssue(file: path, line: 1, reason: "the JSON value is not an object")])
    }
}

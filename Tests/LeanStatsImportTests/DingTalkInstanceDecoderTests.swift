import Foundation
import LeanStatsCore
import LeanStatsImport
import Testing

struct DingTalkInstanceDecoderTests {
    private let decoder = DingTalkInstanceDecoder(clock: shanghai)

    @Test func decodesAnHTTPBodyAndTheCallersIdWins() throws {
        let record = try decoder.decode(Data(v1Response.utf8), instanceId: "FROM-CALLER")
        #expect(record.instanceId == "FROM-CALLER")
        #expect(record.createTime == 1_776_324_840)
        let fromBytes = try decoder.decode(Array(legacyResponse.utf8))
        #expect(fromBytes.instanceId == "PI-L1")
        #expect(fromBytes.formValue(categoryFieldName) == "效率")
    }

    @Test func taskProcessInstanceIdComesBeforeTheBusinessId() throws {
        let body =
            #"{"result":{"createTime":"2026-04-16T15:34Z","businessId":"B-1","tasks":[{"taskId":1,"processInstanceId":"PI-TASK"}]}}"#
        #expect(try decoder.decode(Data(body.utf8)).instanceId == "PI-TASK")
    }

    @Test func errorsCarryACode() {
        let cases: [(String, DingTalkDecodingError.Code)] = [
            ("{not json", .invalidJSON),
            ("[1,2]", .notAnObject),
            (#"{"errcode":40014,"errmsg":"不合法的access_token"}"#, .apiError),
            (#"{"processInstanceId":"A"}"#, .missingValue),
            (#"{"processInstanceId":"A","createTime":"soon"}"#, .invalidValue),
            (#"{"processInstanceId":"A","createTime":"2026-04-16T15:34Z","result":"maybe"}"#, .invalidValue),
        ]
        for (body, code) in cases {
            let error = #expect(throws: DingTalkDecodingError.self) { try decoder.decode(Data(body.utf8)) }
            #expect(error?.code == code, "\(body)")
        }
    }

    @Test func selectLabelComesFromExtValueWhenTheValueIsNull() throws {
        let body =
            #"{"process_instance_id":"A","create_time":"2025-01-01 00:00:00","form_component_values":[{"component_type":"DDSelectField","name":"提案类别","value":"null","ext_value":"{\"label\":\"质量\",\"key\":\"option_3\"}"}]}"#
        #expect(try decoder.decode(Data(body.utf8)).formFields == [FormField(name: "提案类别", value: "质量")])
    }
}

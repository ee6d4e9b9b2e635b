import Foundation
import LeanStatsCore
import LeanStatsEmulator
import LeanStatsImport
import LeanStatsTestSupport
import Testing

@testable import LeanStatsSync

/// How an approval event maps onto the stored record, and that the mapping matches what a detail fetch decodes.
@Suite(.serialized) struct ApprovalEventEffectTests {
    static let stored = InstanceRecord(
        instanceId: "inst-1",
        businessId: "202512011030000000001",
        title: "提案",
        createTime: 1_764_556_200,
        status: .running,
        originatorUserId: "user1",
        originatorDeptId: "2",
        formFields: [FormField(name: "提案类别", value: "安全改善")]
    )

    static func event(
        _ kind: ApprovalEvent.Kind,
        _ type: String,
        result: String? = nil,
        finish: Int64? = nil
    )
        -> ApprovalEvent
    {
        ApprovalEvent(
            eventId: "e1",
            kind: kind,
            type: ApprovalEvent.EventType(type),
            processInstanceId: "inst-1",
            result: result,
            createTime: stored.createTime * 1000,
            finishTime: finish
        )
    }

    @Test func aFinishCompletesTheRecordWithTheResultAndTheFinishTimeAtTheDetailsPrecision() {
        let finish: Int64 = 1_764_815_437_250  // …:37.250
        var completed = Self.stored
        completed.status = .completed
        completed.result = .refuse
        completed.finishTime = 1_764_815_437
        let event = Self.event(.instanceChange, "finish", result: "refuse", finish: finish)
        #expect(event.effect(on: Self.stored, api: .legacy) == .update(completed))
        completed.finishTime = 1_764_815_400
        #expect(event.effect(on: Self.stored, api: .v1) == .update(completed))
        #expect(event.effect(on: completed, api: .v1) == .unchanged)
    }

    @Test func aTerminateEndsTheRecordWithoutAResult() {
        var terminated = Self.stored
        terminated.status = .terminated
        terminated.finishTime = 1_764_815_437
        let event = Self.event(.instanceChange, "terminate", finish: 1_764_815_437_000)
        #expect(event.effect(on: Self.stored, api: .legacy) == .update(terminated))
    }

    @Test(arguments: ["start", "finish", "cancel", "comment", "redirect", "whatever"])
    func taskEventsLeaveAStoredRecordUnchanged(type: String) {
        let event = Self.event(.taskChange, type, result: "agree", finish: 1_764_815_437_000)
        #expect(event.effect(on: Self.stored, api: .v1) == .unchanged)
    }

    @Test func theStartOfAStoredInstanceChangesNothing() {
        #expect(Self.event(.instanceChange, "start").effect(on: Self.stored, api: .v1) == .unchanged)
    }

    @Test(
        arguments: [
            ("start", nil, nil, ApprovalEventEffect.FetchReason.unknownInstance, false),
            ("finish", "agree", 1_764_815_437_000, .unknownInstance, false),
            ("delete", nil, nil, .deleted, true),
            ("archive", nil, nil, .incompleteEvent, true),
            ("finish", nil, 1_764_815_437_000, .incompleteEvent, true),
            ("finish", "agree", nil, .incompleteEvent, true),
            ("terminate", nil, nil, .incompleteEvent, true),
        ] as [(String, String?, Int64?, ApprovalEventEffect.FetchReason, Bool)]
    )
    func eventsThatLackWhatTheStoreNeedsAskForTheDetail(
        type: String,
        result: String?,
        finish: Int64?,
        reason: ApprovalEventEffect.FetchReason,
        stored: Bool
    ) {
        let event = Self.event(.instanceChange, type, result: result, finish: finish)
        #expect(event.effect(on: stored ? Self.stored : nil, api: .v1) == .fetchDetail(reason))
    }

    @Test func anEventFrameDecodesWithItsHeadersAndItsDataString() throws {
        let text = #"""
            {"specVersion":"1.0","type":"EVENT","headers":{"messageId":"m1","topic":"*","eventType":"bpms_instance_change",
            "eventId":"e9","eventBornTime":"1683533823336"},"data":"{\"processInstanceId\":\"p1\",\"processCode\":\"PROC-1\",
            \"type\":\"finish\",\"result\":\"agree\",\"createTime\":1495592305000,\"finishTime\":1495592272000,
            \"staffId\":\"manager75\",\"title\":\"t\"}"}
            """#
        let frame = try #require(StreamFrame(text: text.replacingOccurrences(of: "\n", with: "")))
        let event = try #require(ApprovalEvent.decode(headers: frame.headers, data: frame.data))
        #expect(
            event
                == ApprovalEvent(
                    eventId: "e9",
                    kind: .instanceChange,
                    type: .finish,
                    processInstanceId: "p1",
                    processCode: "PROC-1",
                    result: "agree",
                    createTime: 1_495_592_305_000,
                    finishTime: 1_495_592_272_000,
                    staffId: "manager75",
                    title: "t",
                    eventBornTime: 1_683_533_823_336
                )
        )
        let ack = try #require(JSONObject(Array(frame.ack(success: true).utf8)))
        #expect(ack.integer("code") == 200 && ack.object("headers")?.text("messageId") == "m1")
        #expect(ack.text("data") == #"{"status":"SUCCESS","message":"success"}"#)
        #expect(JSONObject(Array(frame.ack(success: false).utf8))?.text("data")?.contains("LATER") == true)
    }

    @Test(arguments: [DingTalkAPI.v1, .legacy])
    func anEventUpdatedRecordEqualsTheRecordALaterDetailFetchDecodes(api: DingTalkAPI) async throws {
        var records = SyncHarness.newest(4)
        for index in records.indices {
            records[index].status = .running
            records[index].result = nil
            records[index].finishTime = nil
        }
        let fixture = try await StreamTests.Fixture.started(records: records, api: api)
        defer { Task { await fixture.stop() } }
        let client = DingTalkClient(
            settings: fixture.harness.settings(api: api),
            transport: CurlTransport(timeoutSeconds: 5)
        )
        let decoder = DingTalkInstanceDecoder(clock: try ZoneClock(identifier: "Asia/Shanghai"))
        func detail(_ id: String) async throws -> InstanceRecord {
            try decoder.decodeReconciled(Data(try await client.instanceDetail(id)), instanceId: id).record
        }
        let finished = records[0].instanceId
        let terminated = records[1].instanceId
        let before = [finished: try await detail(finished), terminated: try await detail(terminated)]
        fixture.harness.emulator.update(finished) {
            $0.status = .completed
            $0.result = .agree
            $0.finishTime = $0.createTime + 3 * 86_400 + 37
        }
        fixture.harness.emulator.update(terminated) {
            $0.status = .terminated
            $0.finishTime = $0.createTime + 86_400 + 59
        }
        let events = try await fixture.waitForEvents(2)
        for event in events {
            guard case .update(let updated) = event.effect(on: before[event.processInstanceId], api: api) else {
                Issue.record("\(event.type) gave no update")
                continue
            }
            #expect(updated == (try await detail(event.processInstanceId)))
        }
        #expect(Set(events.map(\.type)) == [.finish, .terminate])
    }
}

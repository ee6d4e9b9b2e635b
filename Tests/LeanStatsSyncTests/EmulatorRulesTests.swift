import Foundation
import LeanStatsEmulator
import Testing

@testable import LeanStatsSync

/// The emulator enforces DingTalk's rules with each family's error shapes (`docs/dingtalk-api-notes.md` §11).
struct EmulatorRulesTests {
    let harness: SyncHarness
    let transport = CurlTransport(timeoutSeconds: 5)

    init() throws {
        harness = try SyncHarness(records: SyncHarness.newest(30))
    }

    private func send(
        _ method: HTTPRequest.Method,
        _ path: String,
        body: [String: Any]? = nil,
        headers: [HTTPHeader] = []
    )
        async throws -> (status: Int, json: [String: Any])
    {
        let request = HTTPRequest(
            method: method,
            url: harness.server.baseURL + path,
            headers: headers + [HTTPHeader("Content-Type", "application/json")],
            body: body.map { Array(try! JSONSerialization.data(withJSONObject: $0)) }
        )
        let response = try await transport.send(request)
        let json = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:]
        return (response.status, json)
    }

    private func v1Token() async throws -> String {
        let options = harness.emulator.options
        let (_, json) = try await send(
            .post,
            "/v1.0/oauth2/accessToken",
            body: ["appKey": options.appKey, "appSecret": options.appSecret]
        )
        return json["accessToken"] as? String ?? ""
    }

    private func legacyToken() async throws -> String {
        let options = harness.emulator.options
        let (_, json) = try await send(.get, "/gettoken?appkey=\(options.appKey)&appsecret=\(options.appSecret)")
        return json["access_token"] as? String ?? ""
    }

    @Test func faultsCanBeSwitchedOnAndOffWhileServing() async throws {
        defer { harness.tearDown() }
        let options = harness.emulator.options
        let token = ["appKey": options.appKey, "appSecret": options.appSecret]
        #expect(try await send(.post, "/v1.0/oauth2/accessToken", body: token).status == 200)
        try harness.emulator.setFaults(FaultPlan(failEvery: 1))
        #expect(harness.emulator.faults == FaultPlan(failEvery: 1))
        #expect(try await send(.post, "/v1.0/oauth2/accessToken", body: token).status >= 500)
        try harness.emulator.setFaults(FaultPlan())
        #expect(try await send(.post, "/v1.0/oauth2/accessToken", body: token).status == 200)
        #expect(harness.emulator.statistics.faults["fail"] == 1)
        #expect(throws: EmulatorError.self) { try harness.emulator.setFaults(FaultPlan(slowEvery: 0)) }
        #expect(harness.emulator.faults == FaultPlan())
    }

    @Test func bothFamiliesShareOneTokenThatIsRenewedWhileValid() async throws {
        defer { harness.tearDown() }
        let first = try await v1Token()
        let second = try await legacyToken()
        #expect(!first.isEmpty && first == second)
        #expect(harness.emulator.statistics.tokensIssued == 1)
        let (status, json) = try await send(.post, "/v1.0/oauth2/accessToken", body: ["appKey": "x", "appSecret": "y"])
        #expect(status == 400 && json["code"] as? String == "invalidClientIdOrSecret")
        let (legacyStatus, legacy) = try await send(.get, "/gettoken?appkey=x&appsecret=y")
        #expect(legacyStatus == 200 && (legacy["errcode"] as? Int) == 40096)
    }

    @Test func eachFamilyRejectsTheOtherFamilysTokenStyle() async throws {
        defer { harness.tearDown() }
        let token = try await v1Token()
        let id = harness.emulator.instances[0].instanceId
        let (status, json) = try await send(
            .get,
            "/v1.0/workflow/processInstances?processInstanceId=\(id)&access_token=\(token)"
        )
        #expect(status == 400 && json["code"] as? String == "AuthenticationFailed.MissingParameter")
        let (legacyStatus, legacy) = try await send(
            .post,
            "/topapi/processinstance/get",
            body: ["process_instance_id": id],
            headers: [HTTPHeader("x-acs-dingtalk-access-token", token)]
        )
        #expect(legacyStatus == 200 && (legacy["errcode"] as? Int) == 88 && legacy["sub_code"] as? String == "40000")
    }

    @Test func listingEnforcesTheWindowThePageSizeAndTheProcessCode() async throws {
        defer { harness.tearDown() }
        let token = try await v1Token()
        let header = [HTTPHeader("x-acs-dingtalk-access-token", token)]
        let now = harness.emulator.clock.now()
        let code = harness.emulator.options.processCode
        func query(
            _ start: Int64,
            _ end: Int64,
            size: Int = 20,
            code: String = code
        ) async throws -> (Int, [String: Any]) {
            try await send(
                .post,
                "/v1.0/workflow/processes/instanceIds/query",
                body: ["processCode": code, "startTime": start, "endTime": end, "nextToken": 0, "maxResults": size],
                headers: header
            )
        }
        let day: Int64 = 86_400_000
        let tooLong = try await query(now - 121 * day, now)
        #expect(tooLong.0 == 400 && tooLong.1["code"] as? String == "invalidEndTime")
        let tooOld = try await query(now - 366 * day, now - 300 * day)
        #expect(tooOld.0 == 400 && tooOld.1["code"] as? String == "invalidEndTime")
        let bigPage = try await query(now - 10 * day, now, size: 21)
        #expect(bigPage.0 == 400 && bigPage.1["code"] as? String == "invalidMaxResults")
        let unknown = try await query(now - 10 * day, now, code: "PROC-NOPE")
        #expect(unknown.0 == 400 && unknown.1["code"] as? String == "invalidProcessCode")
        let page = try await query(now - 120 * day, now)
        let result = page.1["result"] as? [String: Any]
        #expect((result?["list"] as? [String])?.count == 20)
        #expect(result?["nextToken"] as? String == "20", "nextToken is a string in the response")

        let legacy = try await legacyToken()
        let (_, window) = try await send(
            .post,
            "/topapi/processinstance/listids?access_token=\(legacy)",
            body: [
                "process_code": code, "start_time": String(now - 200 * day), "end_time": now, "size": "20",
                "cursor": "0",
            ]
        )
        #expect((window["errcode"] as? Int) == 400002)
        let (_, last) = try await send(
            .post,
            "/topapi/processinstance/listids?access_token=\(legacy)",
            body: ["process_code": code, "start_time": now - 100 * day, "end_time": now, "size": 20, "cursor": 20]
        )
        let lastResult = last["result"] as? [String: Any]
        #expect((lastResult?["list"] as? [String])?.count == 10)
        #expect(lastResult?["next_cursor"] == nil, "next_cursor is omitted on the last page")
    }

    @Test func detailsCarryNoInstanceIdAndWriteEmptyFieldsAsNull() async throws {
        defer { harness.tearDown() }
        let token = try await v1Token()
        let record = harness.emulator.instances.first { $0.status == .running }!
        let (status, json) = try await send(
            .get,
            "/v1.0/workflow/processInstances?processInstanceId=\(record.instanceId)",
            headers: [HTTPHeader("x-acs-dingtalk-access-token", token)]
        )
        #expect(status == 200)
        let text = String(decoding: try JSONSerialization.data(withJSONObject: json), as: UTF8.self)
        #expect(!text.contains(record.instanceId), "the detail names its own id")
        let result = json["result"] as? [String: Any]
        #expect(result?["result"] as? String == "", "result is empty while running")
        #expect((result?["createTime"] as? String)?.hasSuffix("Z") == true)
        #expect((result?["createTime"] as? String)?.count == 17, "minute precision: yyyy-MM-ddTHH:mmZ")
        let values = result?["formComponentValues"] as? [[String: Any]] ?? []
        #expect(values.contains { $0["value"] as? String == "null" })
        let (missing, error) = try await send(
            .get,
            "/v1.0/workflow/processInstances?processInstanceId=NOPE",
            headers: [HTTPHeader("x-acs-dingtalk-access-token", token)]
        )
        #expect(missing == 400 && error["code"] as? String == "processInstanceNotExist")
        let legacy = try await legacyToken()
        let (_, unknownPath) = try await send(.post, "/topapi/v2/user/notexist?access_token=\(legacy)", body: [:])
        #expect((unknownPath["errcode"] as? Int) == 22)
    }

    @Test func theQPSLimitIsEnforcedPerAPI() throws {
        defer { harness.tearDown() }
        var options = SyncHarness.fastEmulator(qps: 3)
        options.appKey = "k"
        let emulator = try DingTalkEmulator(
            dataset: EmulatorDataset(instances: SyncHarness.newest(3)),
            options: options
        )
        let request = HTTPServerRequest(
            method: "GET",
            path: "/gettoken",
            query: ["appkey": "k", "appsecret": options.appSecret]
        )
        // Straight to the handler, so the five calls surely fall within one second.
        let codes = (0..<5).map { _ in
            let response = emulator.handle(request)
            let json = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any]
            return json?["errcode"] as? Int ?? -99
        }
        #expect(codes == [0, 0, 0, 90018, 90018])
        #expect(emulator.statistics.qpsRejections == 2)
        let other = emulator.handle(HTTPServerRequest(method: "POST", path: "/v1.0/oauth2/accessToken"))
        #expect(other.status == 400, "another API has its own limit")
    }
}

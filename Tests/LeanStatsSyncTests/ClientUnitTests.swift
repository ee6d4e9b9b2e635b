import Foundation
import LeanStatsCore
import LeanStatsImport
import Testing

@testable import LeanStatsSync

/// How answers are classified, windows planned and v1.0 times settled.
struct ClientUnitTests {
    private func classify(
        _ status: Int,
        _ body: String,
        call: DingTalkCall = .detail(instanceId: "x"),
        legacy: Bool,
        headers: [String: String] = [:]
    )
        -> DingTalkReply
    {
        DingTalkReply.classify(
            HTTPResponse(status: status, headers: headers, body: Array(body.utf8)),
            call: call,
            legacy: legacy
        )
    }

    @Test func legacyAnswersAreReadByErrcodeAndSubCode() {
        guard
            case .authentication = classify(
                200,
                #"{"errcode":88,"sub_code":"40014","sub_msg":"不合法的access_token"}"#,
                legacy: true
            )
        else {
            Issue.record("88/40014 is an invalid token")
            return
        }
        guard case .authentication = classify(200, #"{"errcode":42001,"errmsg":"access_token超时"}"#, legacy: true) else {
            Issue.record("42001 is an expired token")
            return
        }
        guard
            case .throttled = classify(
                200,
                #"{"errcode":88,"errmsg":"ding talk error[subcode=90002,submsg=…]"}"#,
                legacy: true
            )
        else {
            Issue.record("a subcode inside errmsg counts")
            return
        }
        guard case .throttled = classify(200, #"{"errcode":90018,"errmsg":"qps"}"#, legacy: true) else {
            Issue.record("90018 throttles")
            return
        }
        guard case .quotaExhausted = classify(200, #"{"errcode":90020,"errmsg":"month"}"#, legacy: true) else {
            Issue.record("90020 is the monthly quota")
            return
        }
        guard case .transient = classify(200, #"{"errcode":-1,"errmsg":"系统繁忙"}"#, legacy: true) else {
            Issue.record("-1 is transient")
            return
        }
        guard
            case .failure(.credentials, _) = classify(
                200,
                #"{"errcode":40096,"errmsg":"bad"}"#,
                call: .token,
                legacy: true
            )
        else {
            Issue.record("40096 is bad credentials")
            return
        }
        guard case .failure(.permission, _) = classify(200, #"{"errcode":60011,"errmsg":"no"}"#, legacy: true) else {
            Issue.record("60011 is a missing permission")
            return
        }
        guard
            case .failure(.notFound, _) = classify(
                200,
                #"{"errcode":60121,"errmsg":"找不到该用户"}"#,
                call: .user(userId: "u"),
                legacy: true
            )
        else {
            Issue.record("60121 is an unknown user")
            return
        }
    }

    @Test func v1AnswersAreReadByStatusAndCode() {
        guard
            case .authentication = classify(
                400,
                #"{"code":"InvalidAuthentication","message":"不合法的access_token"}"#,
                legacy: false
            )
        else {
            Issue.record("InvalidAuthentication refreshes the token")
            return
        }
        guard
            case .throttled = classify(
                403,
                #"{"code":"Forbidden.AccessDenied.QpsLimitForAppkeyAndApi","message":"qps"}"#,
                legacy: false
            )
        else {
            Issue.record("QpsLimit throttles")
            return
        }
        guard case .throttled(let wait, _) = classify(429, "", legacy: false, headers: ["retry-after": "3"]), wait == 3
        else {
            Issue.record("429 honours Retry-After")
            return
        }
        guard
            case .quotaExhausted = classify(
                403,
                #"{"code":"Forbidden.AccessDenied.ApiCountLimitForOrg","message":"m"}"#,
                legacy: false
            )
        else {
            Issue.record("ApiCountLimitForOrg is the monthly quota")
            return
        }
        guard
            case .failure(.processCode, _) = classify(
                400,
                #"{"code":"invalidProcessCode","message":"m"}"#,
                legacy: false
            )
        else {
            Issue.record("invalidProcessCode")
            return
        }
        guard case .transient(.server, _) = classify(503, "", legacy: false) else {
            Issue.record("HTTP 503 is transient")
            return
        }
        guard case .transient(.invalidResponse, _) = classify(200, "<html>banned</html>", legacy: false) else {
            Issue.record("an HTML page is transient")
            return
        }
        guard
            case .throttled(let punish, _) = classify(200, #"{"status":1111,"wait":5,"punish":"deny"}"#, legacy: false),
            punish == 5
        else {
            Issue.record("the IP ban JSON throttles for its wait")
            return
        }
        guard case .transient(.invalidResponse, _) = classify(200, #"{"result":{"title":"x""#, legacy: false) else {
            Issue.record("truncated JSON is transient")
            return
        }
    }

    @Test func windowsCoverTheRangeInPiecesOfAtMost120DaysNewestFirst() {
        let now: Int64 = 1_764_518_400_000
        let from = SyncPlanner.oldestStart(now: now)
        let windows = SyncPlanner.windows(from: from, to: now, processCodes: ["A", "B"])
        #expect(windows.count == 8)
        #expect(windows.prefix(2).map(\.processCode) == ["A", "B"])
        let a = windows.filter { $0.processCode == "A" }
        #expect(a.first?.end == now && a.last?.start == from)
        for window in a { #expect(window.end - window.start <= SyncPlanner.maxWindow) }
        for (newer, older) in zip(a, a.dropFirst()) { #expect(older.end == newer.start - 1) }
        #expect(now - from < SyncPlanner.lookback)
        let halves = SyncPlanner.split(a[0])!
        #expect(halves[0].end == a[0].end && halves[1].start == a[0].start && halves[1].end + 1 == halves[0].start)
    }

    @Test func v1TimesAreCheckedAgainstTheBusinessIdAndGetTheirSecondsBackFromTheId() throws {
        let beijing = try ZoneClock(identifier: "Asia/Shanghai")
        let wall = beijing.parseLocal("2025-11-30 21:53")!
        var record = InstanceRecord(
            instanceId: "SYN0000000004e38a6e1764510787",
            businessId: "202511302153000002399",
            createTime: wall,
            finishTime: wall + 600
        )
        #expect(InstanceTimeReconciler.reconcile(&record, beijing: beijing) == .consistent)
        #expect(record.createTime == 1_764_510_787, "seconds from the id")
        var utc = InstanceRecord(
            instanceId: "x",
            businessId: "202511302153000002399",
            createTime: wall - 8 * 3600,
            finishTime: wall
        )
        #expect(InstanceTimeReconciler.reconcile(&utc, beijing: beijing) == .shiftedFromUTC)
        #expect(utc.createTime == wall && utc.finishTime == wall + 8 * 3600)
        var odd = InstanceRecord(instanceId: "y", businessId: "202511300000000000001", createTime: wall)
        #expect(InstanceTimeReconciler.reconcile(&odd, beijing: beijing) == .inconsistent)
        #expect(odd.createTime == wall)
    }

    @Test func retryDelaysGrowWithJitterAndHonourRetryAfterUpToTheCap() {
        var settings = SyncSettings()
        settings.backoffMilliseconds = 100
        settings.backoffMaxMilliseconds = 1000
        let policy = RetryPolicy(settings: settings)
        for attempt in 1...6 {
            let delay = policy.delay(attempt: attempt)
            let full = min(Duration.milliseconds(100 * (1 << (attempt - 1))), .milliseconds(1000))
            #expect(delay >= full / 2 && delay <= full)
        }
        #expect(policy.delay(attempt: 1, retryAfter: 0.5) >= .milliseconds(500))
        #expect(policy.delay(attempt: 1, retryAfter: 60) == .milliseconds(1000))
    }
}

import Foundation

/// What one DingTalk answer means for the caller, whichever family produced it (`docs/dingtalk-api-notes.md` §9, §10).
enum DingTalkReply: Sendable {
    /// The call worked.
    case success(JSONObject)
    /// The access token is invalid or expired: refresh it and try again, once.
    case authentication(String)
    /// Throttled: wait (at least `retryAfter` seconds when the server said so) and try again.
    case throttled(retryAfter: Double?, String)
    /// A transient failure: back off and try again. The code says what to report when the retries run out:
    /// `.server` (HTTP 5xx, `errcode` -1/15), `.invalidResponse` (a body that is not JSON, truncated, or lacks
    /// what every answer has) or `.network` (timeouts, refused or broken connections).
    case transient(SyncError.Code, String)
    /// The organisation's monthly quota is used up: stop cleanly.
    case quotaExhausted(String)
    /// A permanent failure of this kind: do not retry.
    case failure(SyncError.Code, String)

    /// Whether the call counts against the monthly quota. DingTalk does not count throttled calls or calls lost to
    /// network errors (`docs/dingtalk-api-notes.md` §10); answered calls, refusals included, count, and so does an
    /// answer that arrived damaged, since the server may well have done the work: the budget errs on the safe side.
    var isCountedCall: Bool {
        switch self {
        case .success, .failure, .transient(.invalidResponse, _): true
        case .authentication, .throttled, .transient, .quotaExhausted: false
        }
    }

    /// Classifies a response.
    /// - Parameters:
    ///   - response: The HTTP response.
    ///   - call: The call it answers.
    ///   - legacy: Whether the answer has the legacy shape (HTTP 200 with `errcode`).
    static func classify(_ response: HTTPResponse, call: DingTalkCall, legacy: Bool) -> DingTalkReply {
        let retryAfter = response.header("retry-after").flatMap { Double($0.trimmingCharacters(in: .whitespaces)) }
        if response.status == 429 {
            return .throttled(retryAfter: retryAfter, "HTTP 429 Too Many Requests")
        }
        let object = JSONObject(response.body)
        if response.status >= 500 {
            let code = object?.text("code") ?? object?.text("errcode") ?? ""
            return .transient(.server, "HTTP \(response.status)\(code.isEmpty ? "" : " \(code)")")
        }
        guard let object else { return unreadable(response, retryAfter: retryAfter) }
        // The IP-level block answers {"status":1111,"wait":5,"source":"x5","punish":"deny"} (§8.2, §9).
        if object.has("punish") || object.integer("status") == 1111 {
            let wait = object.integer("wait").map(Double.init)
            return .throttled(
                retryAfter: wait,
                "the server is refusing this IP for now (punish \(object.text("punish") ?? "?"))"
            )
        }
        return legacy
            ? classifyLegacy(object, status: response.status, call: call)
            : classifyV1(object, status: response.status, call: call)
    }

    /// A body that is not a JSON object: an HTML error or ban page, a truncated body, an empty one. DingTalk's own
    /// answers are always JSON, so this is a proxy, a ban or a broken transfer: worth retrying (a 403 as
    /// throttling), and reported as an unreadable answer when the retries run out.
    private static func unreadable(_ response: HTTPResponse, retryAfter: Double?) -> DingTalkReply {
        let text = String(decoding: response.body.prefix(200), as: UTF8.self)
        let kind =
            response.body.isEmpty
            ? "an empty body"
            : text.contains("<") ? "an HTML page instead of JSON" : "a body that is not valid JSON (truncated?)"
        if response.status == 403 {
            return .throttled(retryAfter: retryAfter, "HTTP 403 with \(kind) (the IP may be banned for a while)")
        }
        return .transient(.invalidResponse, "HTTP \(response.status) with \(kind)")
    }

    /// Legacy answers: HTTP 200 with `errcode`; 88 is a wrapper whose `sub_code` (or `subcode=` in the message)
    /// says what happened.
    private static func classifyLegacy(_ object: JSONObject, status: Int, call: DingTalkCall) -> DingTalkReply {
        guard let errcode = object.text("errcode") else {
            return status == 200
                ? .transient(.invalidResponse, "HTTP 200 without errcode")
                : .failure(.request, "HTTP \(status) without errcode")
        }
        if errcode == "0" { return .success(object) }
        let errmsg = object.text("errmsg") ?? ""
        var code = errcode
        var message = errmsg
        if errcode == "88" {
            if let sub = object.text("sub_code") ?? subcode(in: errmsg) {
                code = sub
                message = object.text("sub_msg") ?? errmsg
            }
        }
        let detail = "errcode \(code): \(message)"
        switch code {
        case "40014", "42001", "40000", "41001":
            return call == .token ? .failure(.credentials, detail) : .authentication(detail)
        case "40001":
            return call == .token ? .failure(.credentials, detail) : .authentication(detail)
        case "40096", "40089":
            return .failure(.credentials, detail)
        case "40035" where call == .token:
            return .failure(.credentials, detail)
        case "90020":
            return .quotaExhausted(detail)
        case "-1", "15", "isp.-1":
            return .transient(.server, detail)
        case "60011", "43007", "50002", "60020":
            return .failure(.permission, detail)
        case "60121", "33012", "60003":
            return .failure(call.isContacts ? .notFound : .request, detail)
        case "830001":
            return .failure(.processCode, detail)
        default:
            if code.hasPrefix("900"), code.count == 5 { return .throttled(retryAfter: nil, detail) }
            if call.isDetail { return .failure(.notFound, detail) }
            if case .listIds = call, message.localizedCaseInsensitiveContains("process") {
                return .failure(message.contains("不存在") ? .processCode : .request, detail)
            }
            return .failure(.request, detail)
        }
    }

    /// The `subcode=NNN` inside a wrapped legacy message such as `ding talk error[subcode=90002,submsg=…]`.
    private static func subcode(in message: String) -> String? {
        guard let range = message.range(of: "subcode=") else { return nil }
        let code = message[range.upperBound...].prefix { $0 != "," && $0 != "]" && $0 != " " }
        return code.isEmpty ? nil : String(code)
    }

    /// v1.0 answers: HTTP 200 with the result, or HTTP 4xx with `{"code","message","requestid"}`.
    private static func classifyV1(_ object: JSONObject, status: Int, call: DingTalkCall) -> DingTalkReply {
        if status == 200 {
            if object.has("result") || object.has("accessToken") || object.has("unionId") || object.has("endpoint") {
                return .success(object)
            }
            return .transient(.invalidResponse, "HTTP 200 without a result")
        }
        let code = object.text("code") ?? ""
        let detail = "\(code.isEmpty ? "HTTP \(status)" : code): \(object.text("message") ?? "")"
        switch code {
        case "InvalidAuthentication":
            return call.needsToken ? .authentication(detail) : .failure(.credentials, detail)
        case "invalidClientIdOrSecret", "unauthorized.client", "Unauthorized":
            return .failure(.credentials, detail)
        case "Forbidden.AccessDenied.ApiCountLimitForOrg", "integrated.qps.exceed":
            return .quotaExhausted(detail)
        case "Forbidden.AccessDenied.AccessTokenPermissionDenied", "Forbidden.AccessDenied.IpNotInWhiteList":
            return .failure(.permission, detail)
        case "invalidProcessCode", "processCodeError":
            return .failure(.processCode, detail)
        case "processInstanceNotExist", "aflowProcessInstNotExist":
            return .failure(call.isDetail ? .deleted : .notFound, detail)
        case "processInstanceIdError":
            return .failure(.notFound, detail)
        case "systemError", "internalError", "unknownError", "service.timeout", "ServiceUnavailable":
            return .transient(.server, detail)
        default:
            let lower = code.lowercased()
            if lower.contains("qpslimit") || lower.contains("qpmlimit") || lower.contains("qps.exceed")
                || lower.contains("too.frequent") || lower.hasPrefix("throttling")
            {
                return .throttled(retryAfter: nil, detail)
            }
            if status == 401 { return call.needsToken ? .authentication(detail) : .failure(.credentials, detail) }
            if status == 403 { return .failure(.permission, detail) }
            return .failure(.request, detail)
        }
    }
}

extension DingTalkReply {
    /// The outcome's name in statistics and metrics.
    var outcomeName: String {
        switch self {
        case .success: "ok"
        case .authentication: "auth"
        case .throttled: "throttled"
        case .transient: "transient"
        case .quotaExhausted: "quota"
        case .failure: "error"
        }
    }
}

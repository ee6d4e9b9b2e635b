import Foundation

/// The injected faults: each kind rotates through the shapes DingTalk (or the network) is known to produce.
extension DingTalkEmulator {
    /// Counts a fault and returns which variant of its kind to produce.
    @discardableResult
    func noteFault(_ kind: String) -> Int {
        state.withLock { state in
            state.statistics.faults[kind, default: 0] += 1
            defer { state.variants[kind, default: 0] += 1 }
            return state.variants[kind, default: 0]
        }
    }

    /// A transient failure: HTTP 5xx, or legacy errcode -1 (系统繁忙) or 15 (remote service error).
    func failure(_ route: EmulatorRoute, variant: Int) -> HTTPServerResponse {
        switch (route.isLegacy, variant % 3) {
        case (true, 0):
            return legacyError(-1, "系统繁忙")
        case (true, 1):
            return legacyError(15, "Remote service error", sub: ("isp.-1", "服务不可用"))
        case (false, 0):
            return v1Error(500, "systemError", "系统错误")
        case (false, 1):
            return v1Error(503, "service.timeout", "服务超时")
        default:
            return HTTPServerResponse(
                status: 502,
                headers: [("Content-Type", "text/html")],
                body: Array("<html><head><title>502 Bad Gateway</title></head><body>502 Bad Gateway</body></html>".utf8)
            )
        }
    }

    /// A throttling answer: legacy 90018, 88 with sub_code 90018, or 88 whose message names subcode 90002;
    /// v1.0 HTTP 403 `QpsLimitForAppkeyAndApi` / `QpsLimitForApi`, or HTTP 429 with `Retry-After`.
    func throttled(_ route: EmulatorRoute, variant: Int) -> HTTPServerResponse {
        switch (route.isLegacy, variant % 3) {
        case (true, 0):
            return legacyError(90018, "当前企业对该接口的调用频率超过限制(QPS)，请降低调用频率")
        case (true, 1):
            return legacyError(
                88,
                "ding talk error[subcode=90018,submsg=当前企业对该接口的调用频率超过限制]",
                sub: ("90018", "当前企业对该接口的调用频率超过限制")
            )
        case (true, _):
            return legacyError(
                88,
                "ding talk error[subcode=90002,submsg=您的服务器调用钉钉开放平台当前接口的所有请求都被暂时禁用了, apiPath(\(route.api)), 请求总次数超过了 20 次]"
            )
        case (false, 0):
            return v1Error(403, "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi", "调用该接口超过QPS限制")
        case (false, 1):
            return v1Error(403, "Forbidden.AccessDenied.QpsLimitForApi", "该接口调用已超过QPS限制")
        case (false, _):
            return v1Error(
                429,
                "Throttling",
                "Request was denied due to flow control",
                headers: [("Retry-After", "1")]
            )
        }
    }

    /// A broken answer: an HTML ban page, the IP-ban JSON, the real answer's JSON cut short (with a matching
    /// length), or the real answer cut off mid-transfer. For the last two the server did the work; only the bytes
    /// on the way back are damaged.
    func garbage(_ route: EmulatorRoute, request: HTTPServerRequest, variant: Int) -> HTTPServerResponse {
        switch variant % 4 {
        case 0:
            let page = """
                <!DOCTYPE html><html><head><meta charset="utf-8"><title>访问被拒绝</title></head>
                <body><h1>您的访问过于频繁，已被暂时禁止</h1><p>请稍后再试。</p></body></html>
                """
            return HTTPServerResponse(
                status: 200,
                headers: [("Content-Type", "text/html;charset=utf-8")],
                body: Array(page.utf8)
            )
        case 1:
            return .json(200, ["status": 1111, "wait": 1, "source": "x5", "punish": "deny", "uuid": requestId()])
        case 2:
            var response = handleWithoutFaults(route, request: request)
            response.body = Array(response.body.prefix(max(1, response.body.count / 2)))
            return response
        default:
            var response = handleWithoutFaults(route, request: request)
            response.truncateAfter = response.body.count / 2
            return response
        }
    }
}

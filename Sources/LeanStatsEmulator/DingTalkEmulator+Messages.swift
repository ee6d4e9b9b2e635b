import Foundation
import LeanStatsCore

/// A message the emulator accepted from a group robot post or a work notification.
public struct EmulatedMessage: Sendable, Equatable {
    /// The robot's `access_token`, or the app's access token for a work notification.
    public var accessToken: String
    /// The signature's timestamp (Unix milliseconds), `nil` for an unsigned post or a work notification.
    public var timestamp: Int64?
    /// The `msgtype`: `markdown`, `actionCard`, `text`, … (`action_card` etc. for work notifications).
    public var messageType: String
    /// The message's title (`markdown.title`, `actionCard.title`, `action_card.title`), empty when it has none.
    public var title: String
    /// The JSON of the message (the robot's body, or the work notification's `msg`).
    public var json: [UInt8]
    /// For a work notification: the agent id and the user ids.
    public var agentId: Int64?
    public var userIds: [String]
    /// When it arrived, emulated Unix milliseconds.
    public var received: Int64
}

/// The group robot (`/robot/send`) and work notifications (`asyncsend_v2`), and the inspection routes that show
/// what they received (`GET /_emulator/robot/messages`, `GET /_emulator/work/messages`).
extension DingTalkEmulator {
    /// The robot messages accepted so far, in order.
    public var robotMessages: [EmulatedMessage] { state.withLock { $0.robotMessages } }

    /// The work notifications accepted so far, in order.
    public var workNotifications: [EmulatedMessage] { state.withLock { $0.workNotifications } }

    /// Answers the inspection routes; `nil` for every other request. They bypass faults, limits and statistics.
    func inspect(_ request: HTTPServerRequest) -> HTTPServerResponse? {
        if let answer = inspectState(request) { return answer }
        let messages: [EmulatedMessage]
        switch (request.method, request.path) {
        case ("GET", "/_emulator/robot/messages"): messages = robotMessages
        case ("GET", "/_emulator/work/messages"): messages = workNotifications
        case ("GET", "/_emulator/statistics"): return statisticsResponse()
        default: return nil
        }
        let items: [[String: Any]] = messages.map { message in
            var item: [String: Any] = [
                "access_token": message.accessToken, "msgtype": message.messageType, "title": message.title,
                "received": message.received,
                "message": (try? JSONSerialization.jsonObject(with: Data(message.json))) ?? [String: Any](),
            ]
            if let timestamp = message.timestamp { item["timestamp"] = timestamp }
            if let agentId = message.agentId {
                item["agent_id"] = agentId
                item["userid_list"] = message.userIds
            }
            return item
        }
        return .json(200, ["messages": items])
    }

    /// `POST /robot/send?access_token=T[&timestamp=MS&sign=S]`: checks the token, the signature (timestamp within
    /// an hour of the real clock), the keyword and the per-minute limit, then records the message.
    func robotSend(_ request: HTTPServerRequest) -> HTTPServerResponse {
        let reset = state.withLock { state -> Bool in
            guard state.statistics.faults["robot-reset", default: 0] < options.robotConnectionResets else {
                return false
            }
            state.statistics.faults["robot-reset", default: 0] += 1
            return true
        }
        if reset {
            var response = HTTPServerResponse(status: 500)
            response.resetConnection = true
            return response
        }
        let token = request.query["access_token"] ?? ""
        guard token == options.robotAccessToken else {
            return legacyError(300_001, "token is not exist")
        }
        var timestamp: Int64?
        if let secret = options.robotSecret {
            guard let given = request.query["timestamp"].flatMap({ Int64($0) }), let sign = request.query["sign"]
            else {
                return robotRefusal(
                    310_000,
                    "sign not match, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]"
                )
            }
            let real = EmulatorClock.realMilliseconds()
            guard abs(real - given) <= 3_600_000 else {
                return robotRefusal(
                    310_000,
                    "invalid timestamp, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]"
                )
            }
            let code = SHA256.hmac(key: Array(secret.utf8), message: Array("\(given)\n\(secret)".utf8))
            guard Data(code).base64EncodedString() == sign else {
                return robotRefusal(
                    310_000,
                    "sign not match, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]"
                )
            }
            timestamp = given
        }
        guard let body = Self.jsonObject(request.body), let type = body["msgtype"] as? String,
            let content = body[type] as? [String: Any]
        else {
            return legacyError(40035, "缺少参数 msgtype")
        }
        if let keyword = options.robotKeyword, !String(decoding: request.body, as: UTF8.self).contains(keyword) {
            return robotRefusal(
                310_000,
                "keywords not in content, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]"
            )
        }
        let now = clock.now()
        let admitted = state.withLock { state -> Bool in
            if let until = state.robotThrottledUntil[token], now < until { return false }
            var posts = state.robotPosts[token, default: []]
            posts.removeAll { now - $0 >= 60_000 }
            guard posts.count < options.robotMessagesPerMinute else {
                state.robotThrottledUntil[token] = now + 600_000
                state.robotPosts[token] = posts
                return false
            }
            posts.append(now)
            state.robotPosts[token] = posts
            state.robotMessages.append(
                EmulatedMessage(
                    accessToken: token,
                    timestamp: timestamp,
                    messageType: type,
                    title: content["title"] as? String ?? "",
                    json: request.body,
                    agentId: nil,
                    userIds: [],
                    received: now
                )
            )
            return true
        }
        guard admitted else {
            return robotRefusal(130_101, "send too fast, exceed 20 times per minute")
        }
        return .json(200, ["errcode": 0, "errmsg": "ok"])
    }

    /// `POST /topapi/message/corpconversation/asyncsend_v2`: records the notification (the token was checked and
    /// the call counted before).
    func workNotification(_ request: HTTPServerRequest) -> HTTPServerResponse {
        guard let body = Self.legacyParameters(request), let agentId = Self.integer(body["agent_id"]) else {
            return legacyError(40035, "缺少参数 agent_id")
        }
        let users = (Self.text(body["userid_list"]) ?? "").split(separator: ",").map {
            $0.trimmingCharacters(in: .whitespaces)
        }.filter { !$0.isEmpty }
        guard !users.isEmpty else {
            return legacyError(40035, "缺少参数 userid_list")
        }
        guard let msg = body["msg"] as? [String: Any], let type = msg["msgtype"] as? String,
            let content = msg[type] as? [String: Any],
            let json = try? JSONSerialization.data(withJSONObject: msg, options: [.sortedKeys])
        else {
            return legacyError(40035, "缺少参数 msg")
        }
        let now = clock.now()
        let taskId = state.withLock { state -> Int in
            state.workNotifications.append(
                EmulatedMessage(
                    accessToken: request.query["access_token"] ?? "",
                    timestamp: nil,
                    messageType: type,
                    title: content["title"] as? String ?? "",
                    json: Array(json),
                    agentId: agentId,
                    userIds: users,
                    received: now
                )
            )
            return state.workNotifications.count
        }
        return .json(200, ["errcode": 0, "errmsg": "ok", "task_id": taskId, "request_id": requestId()])
    }

    private func robotRefusal(_ code: Int, _ message: String) -> HTTPServerResponse {
        state.withLock { $0.statistics.robotRejections[code, default: 0] += 1 }
        return .json(200, ["errcode": code, "errmsg": message])
    }
}

import Foundation
import LeanStatsCore

/// One approval event an instance change produces: its `eventType` and the body that becomes the frame's `data`.
struct StreamEvent: @unchecked Sendable {
    var type: String
    var body: [String: Any]
}

/// The Stream gateway's HTTP side (`POST /v1.0/gateway/connections/open`), the events instance changes produce, and
/// the statistics route (`docs/dingtalk-api-notes.md` §12.4).
extension DingTalkEmulator {
    /// `POST /v1.0/gateway/connections/open`: checks `clientId` / `clientSecret` like the token API and answers the
    /// WebSocket endpoint with a ticket for one connection.
    func openStreamConnection(_ request: HTTPServerRequest) -> HTTPServerResponse {
        guard let body = Self.jsonObject(request.body) else {
            return v1Error(400, "MissingParameter", "body is mandatory")
        }
        guard body["clientId"] as? String == options.appKey, body["clientSecret"] as? String == options.appSecret
        else {
            return v1Error(400, "invalidClientIdOrSecret", "无效的clientId或者clientSecret")
        }
        let subscriptions = body["subscriptions"] as? [[String: Any]] ?? []
        guard subscriptions.contains(where: { $0["type"] as? String == "EVENT" && $0["topic"] as? String == "*" })
        else {
            return v1Error(400, "invalidSubscriptions", "EVENT subscriptions must use topic *")
        }
        guard let endpoint = streamHub.endpoint() else {
            return v1Error(503, "ServiceUnavailable", "the Stream gateway is not running")
        }
        let ticket = streamHub.issueTicket()
        state.withLock { $0.statistics.streamTickets += 1 }
        return .json(200, ["endpoint": endpoint, "ticket": ticket])
    }

    /// The events DingTalk would push for a change of one instance: `start` for a new instance, `finish` (with the
    /// result) when it completes, `terminate` when it is terminated or cancelled; task events only when
    /// ``EmulatorOptions/streamTaskEvents`` asks.
    func streamEvents(from old: InstanceRecord?, to new: InstanceRecord) -> [StreamEvent] {
        var events: [StreamEvent] = []
        if old == nil {
            events.append(instanceEvent(new, type: "start"))
            if options.streamTaskEvents { events.append(taskEvent(new, type: "start", result: nil)) }
        }
        let wasOpen = old.map { [.new, .running, nil].contains($0.status) } ?? true
        guard wasOpen else { return events }
        switch new.status {
        case .completed:
            if options.streamTaskEvents { events.append(taskEvent(new, type: "finish", result: new.result?.code)) }
            events.append(instanceEvent(new, type: "finish"))
        case .terminated, .canceled:
            if options.streamTaskEvents { events.append(taskEvent(new, type: "cancel", result: nil)) }
            events.append(instanceEvent(new, type: "terminate"))
        case .new, .running, nil:
            break
        }
        return events
    }

    /// The event of a deleted instance (its shape is undocumented; the listener fetches the detail for it).
    func deleteEvent(_ record: InstanceRecord) -> StreamEvent {
        instanceEvent(record, type: "delete")
    }

    private func instanceEvent(_ record: InstanceRecord, type: String) -> StreamEvent {
        var body: [String: Any] = [
            "processInstanceId": record.instanceId, "processCode": options.processCode, "bizCategoryId": "",
            "businessId": record.businessId ?? "", "title": record.title ?? "", "type": type,
            "createTime": record.createTime * 1000, "staffId": record.originatorUserId ?? "",
            "url": "https://aflow.dingtalk.com/dingtalk/mobile/homepage.htm?procInsId=\(record.instanceId)",
            "businessType": "",
        ]
        if type != "start", let finish = record.finishTime { body["finishTime"] = finish * 1000 }
        if type == "finish", let result = record.result { body["result"] = result.code }
        return StreamEvent(type: "bpms_instance_change", body: body)
    }

    private func taskEvent(_ record: InstanceRecord, type: String, result: String?) -> StreamEvent {
        var body: [String: Any] = [
            "processInstanceId": record.instanceId, "processCode": options.processCode, "bizCategoryId": "",
            "businessId": record.businessId ?? "", "title": record.title ?? "", "type": type,
            "taskId": Int64(abs(record.instanceId.hashValue % 1_000_000_000)), "remark": "",
            "createTime": record.createTime * 1000, "staffId": EmulatorRenderer.approver,
        ]
        if type != "start", let finish = record.finishTime { body["finishTime"] = finish * 1000 }
        if let result { body["result"] = result }
        return StreamEvent(type: "bpms_task_change", body: body)
    }

    /// Hands events to the gateway, off the state lock.
    func emit(_ events: [StreamEvent]) {
        guard !events.isEmpty else { return }
        state.withLock { $0.statistics.eventsEmitted += events.count }
        let now = clock.now()
        recordEmitted(events, emulatedAt: now)
        streamHub.emit(events.map { ($0.type, $0.body) }, bornTime: now)
    }

    /// Adds what the Stream gateway reports to the statistics.
    static func record(_ item: StreamHub.StreamCount, month: String, in statistics: inout EmulatorStatistics) {
        switch item {
        case .push(let redelivery):
            statistics.pushes += 1
            statistics.pushesPerMonth[month, default: 0] += 1
            if redelivery { statistics.redeliveries += 1 }
        case .overQuota:
            statistics.pushesOverQuota += 1
        case .ticket(let accepted):
            if !accepted { statistics.streamTicketRejections += 1 }
        case .connection: statistics.streamConnections += 1
        case .ack: statistics.streamAcks += 1
        case .ping: statistics.streamPings += 1
        case .pong: statistics.streamPongs += 1
        case .lost: statistics.eventsLost += 1
        case .fault(let kind): statistics.faults[kind, default: 0] += 1
        }
    }

    /// `GET /_emulator/statistics`: calls and pushes, in total and per month, and the events not yet acknowledged
    /// (`stream_pending`), as JSON.
    func statisticsResponse() -> HTTPServerResponse {
        let statistics = self.statistics
        return .json(
            200,
            [
                "requests": statistics.requests, "requests_per_api": statistics.requestsPerAPI,
                "quota_calls": statistics.quotaCalls, "quota_calls_per_month": statistics.quotaCallsPerMonth,
                "pushes": statistics.pushes, "pushes_per_month": statistics.pushesPerMonth,
                "pushes_over_quota": statistics.pushesOverQuota,
                "redeliveries": statistics.redeliveries, "events_emitted": statistics.eventsEmitted,
                "events_lost": statistics.eventsLost, "stream_acks": statistics.streamAcks,
                "stream_tickets": statistics.streamTickets, "stream_connections": statistics.streamConnections,
                "stream_ticket_rejections": statistics.streamTicketRejections, "stream_pings": statistics.streamPings,
                "stream_pongs": statistics.streamPongs, "faults": statistics.faults,
                "stream_pending": streamHub.pendingCount(),
            ]
        )
    }
}

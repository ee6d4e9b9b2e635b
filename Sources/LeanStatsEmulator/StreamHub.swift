import Foundation
import LeanStatsCore

/// One event the emulated Stream gateway has to deliver.
struct StreamPush: Sendable {
    var messageId: String
    var eventId: String
    var eventType: String
    var bornTime: Int64
    /// The event body as a JSON string (the frame's `data`).
    var data: String
    /// When it was last sent (monotonic nanoseconds), `nil` while queued.
    var sentAt: UInt64?
    /// How often it was sent.
    var sends = 0
}

/// What a connection's writer does next.
enum StreamAction: Sendable, Equatable {
    /// Send a text frame; `isPush` when it is an EVENT frame (a push counted against the quota).
    case frame(String, isPush: Bool)
    /// Close the connection.
    case close
}

/// The emulated Stream gateway's state, independent of the WebSocket server: tickets, the queue of undelivered
/// events, events waiting for an ack, and the Stream faults (`docs/dingtalk-api-notes.md` §12.4).
///
/// One connection is current at a time (the newest); events go to it, or wait in a bounded queue while no client
/// is connected. An event not acknowledged `SUCCESS` within the ack timeout is sent again.
final class StreamHub: Sendable {
    private struct State {
        var endpoint: String?
        var gatewayStarting = false
        var stopped = false
        var tickets: [String: UInt64] = [:]
        var current: Int?
        var nextConnection = 0
        var wakes: [Int: AsyncStream<Void>.Continuation] = [:]
        var queue: [StreamPush] = []
        var inFlight: [StreamPush] = []
        var delivered = 0
        var acks = 0
        var lastPing: UInt64 = 0
        var pings: Set<String> = []
        var sequence = 0
        /// Pushes sent per month, for the push quota.
        var pushes: [String: Int] = [:]
    }

    private let state = Locked(State())
    private let options: EmulatorOptions
    private let faults: @Sendable () -> FaultPlan
    private let count: @Sendable (StreamCount) -> Void
    private let month: @Sendable () -> String

    /// What the hub reports to the emulator's statistics.
    enum StreamCount: Sendable {
        case push(redelivery: Bool)
        /// A push refused with errCode 20001 because the month's push quota is used up.
        case overQuota
        case ticket(accepted: Bool)
        case connection
        case ack
        case ping
        case pong
        case lost
        case fault(String)
    }

    init(
        options: EmulatorOptions,
        faults: @escaping @Sendable () -> FaultPlan,
        month: @escaping @Sendable () -> String,
        count: @escaping @Sendable (StreamCount) -> Void
    ) {
        self.options = options
        self.faults = faults
        self.month = month
        self.count = count
    }

    // MARK: - Endpoint and tickets

    /// Marks the WebSocket server as starting, so `connections/open` waits for its endpoint.
    func gatewayStarting() { state.withLock { $0.gatewayStarting = true } }

    /// Records the WebSocket endpoint once the server listens.
    func setEndpoint(_ endpoint: String) { state.withLock { $0.endpoint = endpoint } }

    /// The endpoint, waiting up to five seconds for a starting server; `nil` when no gateway serves.
    func endpoint() -> String? {
        for _ in 0..<500 {
            let (endpoint, starting) = state.withLock { ($0.endpoint, $0.gatewayStarting && !$0.stopped) }
            if endpoint != nil || !starting { return endpoint }
            usleep(10_000)
        }
        return nil
    }

    /// Issues a ticket valid for one connection within ``EmulatorOptions/streamTicketSeconds``.
    func issueTicket() -> String {
        let ticket = UUID().uuidString.lowercased()
        let expiry = Self.now() + UInt64(max(1, options.streamTicketSeconds)) * 1_000_000_000
        state.withLock { $0.tickets[ticket] = expiry }
        return ticket
    }

    /// Uses up a ticket; `false` when it is unknown, used or expired.
    func redeem(_ ticket: String) -> Bool {
        let now = Self.now()
        let valid = state.withLock { state -> Bool in
            guard let expiry = state.tickets.removeValue(forKey: ticket) else { return false }
            return now < expiry
        }
        count(.ticket(accepted: valid))
        return valid
    }

    // MARK: - Connections

    /// Makes a new connection the current one; the previous one is closed. Events sent but not acknowledged go out
    /// again on the new connection.
    /// - Parameter wake: Wakes the connection's writer.
    /// - Returns: The connection's number.
    func attach(_ wake: AsyncStream<Void>.Continuation) -> Int {
        let (id, previous) = state.withLock { state -> (Int, AsyncStream<Void>.Continuation?) in
            state.nextConnection += 1
            let id = state.nextConnection
            let previous = state.current.flatMap { state.wakes[$0] }
            state.current = id
            state.wakes[id] = wake
            for index in state.inFlight.indices { state.inFlight[index].sentAt = nil }
            state.queue.insert(contentsOf: state.inFlight, at: 0)
            state.inFlight = []
            return (id, previous)
        }
        count(.connection)
        previous?.yield()
        wake.yield()
        return id
    }

    /// Forgets a closed connection.
    func detach(_ id: Int) {
        state.withLock { state in
            state.wakes[id] = nil
            if state.current == id { state.current = nil }
        }
    }

    /// Closes every connection and refuses new ones.
    func stop() {
        let wakes = state.withLock { state -> [AsyncStream<Void>.Continuation] in
            state.stopped = true
            state.current = nil
            state.endpoint = nil
            return Array(state.wakes.values)
        }
        for wake in wakes { wake.finish() }
    }

    // MARK: - Events

    /// Queues events for delivery; while no client is connected they wait (at most
    /// ``EmulatorOptions/streamQueueLimit``), or are lost under ``FaultPlan/streamLoseWhileDisconnected``.
    /// - Parameter events: `(eventType, body)` pairs; the body becomes the frame's `data`.
    func emit(_ events: [(type: String, body: [String: Any])], bornTime: Int64) {
        guard !events.isEmpty else { return }
        let lose = faults().streamLoseWhileDisconnected
        var lost = 0
        let wake = state.withLock { state -> AsyncStream<Void>.Continuation? in
            for event in events {
                if state.current == nil && lose {
                    lost += 1
                    continue
                }
                state.sequence += 1
                let data = (try? JSONSerialization.data(withJSONObject: event.body, options: [.sortedKeys])) ?? Data()
                state.queue.append(
                    StreamPush(
                        messageId: "msg-\(state.sequence)-\(UUID().uuidString.prefix(8))",
                        eventId: UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased(),
                        eventType: event.type,
                        bornTime: bornTime,
                        data: String(decoding: data, as: UTF8.self)
                    )
                )
                if state.queue.count > max(1, options.streamQueueLimit) {
                    state.queue.removeFirst()
                    lost += 1
                }
            }
            return state.current.flatMap { state.wakes[$0] }
        }
        for _ in 0..<lost { count(.lost) }
        wake?.yield()
    }

    /// Events queued or sent but not yet acknowledged.
    func pendingCount() -> Int {
        state.withLock { $0.queue.count + $0.inFlight.count }
    }

    /// Handles a client's text frame: an ack (`SUCCESS` settles the event) or a ping reply.
    func receive(_ text: String) {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any],
            let headers = object["headers"] as? [String: Any], let messageId = headers["messageId"] as? String
        else { return }
        let withhold = faults().streamWithholdAckEvery
        enum Reply { case pong, ack, withheld, later, unknown }
        let reply = state.withLock { state -> Reply in
            if state.pings.remove(messageId) != nil { return .pong }
            guard let index = state.inFlight.firstIndex(where: { $0.messageId == messageId }) else { return .unknown }
            let data = (object["data"] as? String).map { Data($0.utf8) } ?? Data()
            let status = ((try? JSONSerialization.jsonObject(with: data)) as? [String: Any])?["status"] as? String
            guard status == "SUCCESS" else { return .later }
            state.acks += 1
            if let every = withhold, state.acks % every == 0 { return .withheld }
            state.inFlight.remove(at: index)
            return .ack
        }
        switch reply {
        case .pong: count(.pong)
        case .ack: count(.ack)
        case .withheld: count(.fault("stream-withhold-ack"))
        case .later, .unknown: break
        }
    }

    /// What a connection's writer sends now: redeliveries of unacknowledged events, queued events (with the faults),
    /// and a SYSTEM ping when one is due.
    /// - Parameter id: The connection.
    /// - Returns: The actions, in order.
    func work(for id: Int) -> [StreamAction] {
        let now = Self.now()
        let plan = faults()
        let ackTimeout = UInt64(max(1, options.streamAckTimeoutMilliseconds)) * 1_000_000
        let month = month()
        let quota = options.monthlyPushQuota
        var counts: [StreamCount] = []
        let actions = state.withLock { state -> [StreamAction] in
            guard state.current == id, !state.stopped else { return [.close] }
            var actions: [StreamAction] = []
            /// One EVENT frame: a push, or an errCode 20001 frame without content once the quota is used up.
            func send(_ push: StreamPush) {
                if let quota, state.pushes[month, default: 0] >= quota {
                    actions.append(.frame(eventFrame(push, connection: id, overQuota: true), isPush: false))
                    counts.append(.overQuota)
                } else {
                    state.pushes[month, default: 0] += 1
                    actions.append(.frame(eventFrame(push, connection: id, overQuota: false), isPush: true))
                    counts.append(.push(redelivery: push.sends > 1))
                }
            }
            for index in state.inFlight.indices {
                guard let sent = state.inFlight[index].sentAt, now - sent >= ackTimeout else { continue }
                state.inFlight[index].sentAt = now
                state.inFlight[index].sends += 1
                send(state.inFlight[index])
            }
            while !state.queue.isEmpty {
                var push = state.queue.removeFirst()
                push.sentAt = now
                push.sends += 1
                state.inFlight.append(push)
                send(push)
                // The faults count first deliveries only, so a redelivery cannot trigger the same fault forever.
                guard push.sends == 1 else { continue }
                state.delivered += 1
                let serial = state.delivered
                if let every = plan.streamDuplicateEvery, serial % every == 0 {
                    push.sends += 1
                    send(push)
                    counts.append(.fault("stream-duplicate"))
                }
                if let every = plan.streamDropEvery, serial % every == 0 {
                    state.current = nil
                    actions.append(.close)
                    counts.append(.fault("stream-drop"))
                    return actions
                }
                if let every = plan.streamDisconnectEvery, serial % every == 0 {
                    state.current = nil
                    let reason = ["reason": "persistent connection is timeout"]
                    actions.append(.frame(systemFrame("disconnect", data: reason, connection: id).text, isPush: false))
                    counts.append(.fault("stream-disconnect"))
                    return actions
                }
            }
            if let interval = options.streamPingMilliseconds,
                now - state.lastPing >= UInt64(max(1, interval)) * 1_000_000
            {
                state.lastPing = now
                let ping = systemFrame("ping", data: ["opaque": UUID().uuidString.lowercased()], connection: id)
                state.pings.insert(ping.messageId)
                actions.append(.frame(ping.text, isPush: false))
                counts.append(.ping)
            }
            return actions
        }
        for item in counts { count(item) }
        return actions
    }

    // MARK: - Frames

    private func eventFrame(_ push: StreamPush, connection: Int, overQuota: Bool) -> String {
        var headers: [String: String] = [
            "appId": options.appKey, "connectionId": "conn-\(connection)", "contentType": "application/json",
            "messageId": push.messageId, "time": String(push.bornTime), "topic": "*", "eventType": push.eventType,
            "eventId": push.eventId, "eventBornTime": String(push.bornTime), "eventCorpId": "dingleanstatsemulator",
            "eventUnifiedAppId": "leanstats-emulator-app",
        ]
        guard overQuota else { return Self.frame(type: "EVENT", headers: headers, data: push.data) }
        headers["errCode"] = "20001"
        let refusal = #"{"errCode":20001,"errMsg":"推送次数已超过本月限额"}"#
        return Self.frame(type: "EVENT", headers: headers, data: refusal)
    }

    private func systemFrame(
        _ topic: String,
        data: [String: String],
        connection: Int
    ) -> (text: String, messageId: String) {
        let messageId = "sys-\(UUID().uuidString.lowercased())"
        let headers = [
            "connectionId": "conn-\(connection)", "contentType": "application/json", "messageId": messageId,
            "time": String(Int64(Date().timeIntervalSince1970 * 1000)), "topic": topic,
        ]
        let body = (try? JSONSerialization.data(withJSONObject: data, options: [.sortedKeys])) ?? Data()
        return (Self.frame(type: "SYSTEM", headers: headers, data: String(decoding: body, as: UTF8.self)), messageId)
    }

    private static func frame(type: String, headers: [String: String], data: String) -> String {
        let object: [String: Any] = ["specVersion": "1.0", "type": type, "headers": headers, "data": data]
        let bytes = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return String(decoding: bytes, as: UTF8.self)
    }

    static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }
}

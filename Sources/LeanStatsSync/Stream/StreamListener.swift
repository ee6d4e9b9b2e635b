import Foundation
import LeanStatsCore
import Logging
import WSClient

/// Receives approval events over DingTalk's Stream protocol and hands each to a handler, once
/// (`docs/dingtalk-api-notes.md` §12.1).
///
/// ``run()`` opens a connection (a ticket from `connections/open`, then a WebSocket to `endpoint?ticket=…`), answers
/// SYSTEM pings, acknowledges every EVENT frame, and reconnects with a new ticket when the gateway asks
/// (`disconnect`) or the connection breaks, after a jittered exponential backoff that resets after a healthy
/// connection. A WebSocket ping keeps the connection alive. Approval events are decoded into ``ApprovalEvent``s; the
/// acknowledgement `SUCCESS` is sent only after the handler returns, so what the handler stores is stored before
/// DingTalk forgets the event; a throwing handler gets `LATER`, and DingTalk delivers the event again. Events whose
/// id was acknowledged before are acknowledged and dropped. Other event types are acknowledged and ignored.
public final class StreamListener: Sendable {
    /// Handles one event; throwing asks for redelivery.
    public typealias Handler = @Sendable (ApprovalEvent) async throws -> Void

    private let configuration: StreamConfiguration
    private let client: DingTalkClient
    private let handler: Handler
    private let report: @Sendable (StreamStatus) -> Void
    private let counters = Locked(StreamStatistics())
    private let seen: Locked<RecentIds>

    /// Creates a listener; nothing happens until ``run()``.
    /// - Parameters:
    ///   - configuration: Credentials, hosts and intervals.
    ///   - transport: The HTTP transport for `connections/open` (``CurlTransport`` in production).
    ///   - status: Called with what happens, for logging; must not block.
    ///   - handler: Called with each approval event, one at a time, in arrival order.
    public init(
        configuration: StreamConfiguration,
        transport: any HTTPTransport,
        status: @escaping @Sendable (StreamStatus) -> Void = { _ in },
        handler: @escaping Handler
    ) {
        self.configuration = configuration
        self.client = DingTalkClient(settings: configuration.settings, transport: transport)
        self.handler = handler
        self.report = status
        self.seen = Locked(RecentIds(capacity: configuration.dedupeCapacity))
    }

    /// What the listener did so far.
    public var statistics: StreamStatistics { counters.withLock { $0 } }

    /// Listens until the task is cancelled, reconnecting whenever the connection ends.
    ///
    /// The connection runs on ``DedicatedExecutor/stream``, so pings are answered and events acknowledged on time
    /// while queries or imports keep every core busy.
    /// - Throws: ``SyncError`` only for what retrying cannot fix: `.credentials`, `.permission`, `.configuration`.
    public func run() async throws(SyncError) {
        try await withTaskExecutorPreference(DedicatedExecutor.stream) { () async throws(SyncError) in
            try await listen()
        }
    }

    /// Starts ``run()`` in a task that begins on ``DedicatedExecutor/stream``, so not even the first step waits for
    /// a thread of the shared pool; cancel the task to stop listening.
    /// - Returns: The listening task; it fails with the ``SyncError`` that ``run()`` throws.
    public func start() -> Task<Void, any Error> {
        Task(executorPreference: DedicatedExecutor.stream) { try await self.run() }
    }

    private func listen() async throws(SyncError) {
        var attempt = 0
        var generator = SystemRandomNumberGenerator()
        while !Task.isCancelled {
            var outcome = SessionOutcome()
            do {
                let ticket = try await client.openStreamConnection(
                    userAgent: configuration.userAgent,
                    localIp: configuration.localIp
                )
                outcome = try await session(ticket)
                report(.disconnected(reason: outcome.disconnectRequested ? "the gateway asked to reconnect" : "closed"))
            } catch let error as SyncError {
                if [.credentials, .permission, .configuration].contains(error.code) { throw error }
                if Task.isCancelled { return }
                report(.gatewayFailed(error))
            } catch {
                if Task.isCancelled { return }
                report(.disconnected(reason: String(describing: error)))
            }
            if Task.isCancelled { return }
            attempt = outcome.healthy ? 1 : attempt + 1
            let delay =
                outcome.disconnectRequested ? 0 : configuration.backoff.delay(attempt: attempt, using: &generator)
            counters.withLock { $0.reconnects += 1 }
            report(.reconnecting(attempt: attempt, afterMilliseconds: delay))
            do {
                try await Task.sleep(for: .milliseconds(delay))
            } catch {
                return
            }
        }
    }

    /// How one connection ended.
    private struct SessionOutcome: Sendable {
        /// It lasted long enough or carried a frame.
        var healthy = false
        /// The gateway sent SYSTEM `disconnect`.
        var disconnectRequested = false
    }

    /// Runs one WebSocket connection until it closes.
    private func session(_ ticket: StreamTicket) async throws -> SessionOutcome {
        let opened = ContinuousClock.now
        let outcome = Locked(SessionOutcome())
        let keepAlive = Duration.milliseconds(max(1, configuration.keepAliveMilliseconds))
        let logger = Logger(label: "leanstats.stream") { _ in SwiftLogNoOpLogHandler() }
        let maximumFrame = configuration.maximumFrameBytes
        try await WebSocketClient.connect(
            url: ticket.url,
            configuration: WebSocketClientConfiguration(
                maxFrameSize: maximumFrame,
                autoPing: .enabled(timePeriod: keepAlive)
            ),
            logger: logger
        ) { inbound, outbound, _ in
            self.counters.withLock { $0.connectionsOpened += 1 }
            self.report(.connected(endpoint: ticket.endpoint))
            for try await message in inbound.messages(maxSize: maximumFrame) {
                guard case .text(let text) = message, let frame = StreamFrame(text: text) else { continue }
                outcome.withLock { $0.healthy = true }
                switch frame.type {
                case .system where frame.topic == "ping":
                    try await outbound.write(.text(frame.reply(data: frame.data)))
                    self.counters.withLock { $0.pingsAnswered += 1 }
                case .system where frame.topic == "disconnect":
                    outcome.withLock { $0.disconnectRequested = true }
                    self.counters.withLock { $0.disconnectsObeyed += 1 }
                    try await outbound.close(.normalClosure, reason: "disconnect")
                    return
                case .system:
                    continue
                case .event:
                    let success = await self.receive(frame)
                    try await outbound.write(.text(frame.ack(success: success)))
                    self.counters.withLock { counters in
                        if success { counters.acks += 1 } else { counters.laterReplies += 1 }
                    }
                case .callback:
                    try await outbound.write(.text(frame.ack(success: true)))
                    self.counters.withLock { $0.acks += 1 }
                }
            }
        }
        var result = outcome.withLock { $0 }
        if ContinuousClock.now - opened >= .milliseconds(configuration.healthyAfterMilliseconds) {
            result.healthy = true
        }
        return result
    }

    /// Handles one EVENT frame; returns whether to acknowledge it `SUCCESS`.
    private func receive(_ frame: StreamFrame) async -> Bool {
        if let code = Self.errorCode(frame), code == "20001" {
            counters.withLock { $0.pushQuotaErrors += 1 }
            report(.pushQuotaExhausted(message: "DingTalk's monthly push quota is used up (errCode 20001)"))
            return true
        }
        guard let event = ApprovalEvent.decode(headers: frame.headers, data: frame.data) else {
            counters.withLock { $0.eventsIgnored += 1 }
            return true
        }
        let key = event.eventId.isEmpty ? frame.messageId : event.eventId
        if seen.withLock({ $0.contains(key) }) {
            counters.withLock { $0.duplicatesDropped += 1 }
            return true
        }
        do {
            try await handler(event)
        } catch {
            report(.handlerFailed(eventId: key, message: String(describing: error)))
            return false
        }
        seen.withLock { $0.insert(key) }
        counters.withLock { $0.eventsDelivered += 1 }
        return true
    }

    /// The `errCode` of a push DingTalk could not deliver with content, from the headers or the data.
    private static func errorCode(_ frame: StreamFrame) -> String? {
        if let code = frame.headers["errCode"] { return code }
        return JSONObject(Array(frame.data.utf8))?.text("errCode")
    }
}

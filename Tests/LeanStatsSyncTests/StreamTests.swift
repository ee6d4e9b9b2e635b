import Foundation
import LeanStatsCore
import LeanStatsEmulator
import LeanStatsImport
import LeanStatsTestSupport
import Logging
import Testing
import WSClient

@testable import LeanStatsSync

/// The Stream client against the emulator's Stream gateway, over real WebSockets on loopback.
@Suite(.serialized) struct StreamTests {
    /// A listener connected to an emulator, recording what its handler receives.
    final class Fixture: Sendable {
        let harness: SyncHarness
        let listener: StreamListener
        let received = Locked<[ApprovalEvent]>([])
        let attempts = Locked<[String: Int]>([:])
        let statuses = Locked<[StreamStatus]>([])
        let task: Locked<Task<Void, any Error>?> = Locked(nil)

        /// - Parameters:
        ///   - options: The emulator's options (the Stream intervals shortened here).
        ///   - failFirst: Whether the handler throws on each event's first delivery.
        ///   - records: The instances the emulator starts with.
        ///   - api: The API family of the settings.
        ///   - keepAliveMilliseconds: The WebSocket ping period; short, because on a loaded machine the client
        ///     sometimes misses the emulator's close after a drop fault and only the missed pong reveals the dead
        ///     connection (within two periods).
        init(
            options: EmulatorOptions = SyncHarness.fastEmulator(),
            failFirst: Bool = false,
            records: [InstanceRecord] = SyncHarness.newest(5),
            api: DingTalkAPI = .v1,
            keepAliveMilliseconds: Int = 1000,
            onReceived: @escaping @Sendable (Int) -> Void = { _ in }
        ) throws {
            harness = try SyncHarness(records: records, options: options)
            var configuration = StreamConfiguration(settings: harness.settings(api: api))
            configuration.backoff = StreamBackoff(initialMilliseconds: 20, maximumMilliseconds: 100)
            configuration.keepAliveMilliseconds = keepAliveMilliseconds
            let received = received
            let attempts = attempts
            let statuses = statuses
            listener = StreamListener(
                configuration: configuration,
                transport: CurlTransport(timeoutSeconds: 5),
                status: { status in statuses.withLock { $0.append(status) } },
                handler: { event in
                    let attempt = attempts.withLock { counts -> Int in
                        counts[event.eventId, default: 0] += 1
                        return counts[event.eventId]!
                    }
                    if failFirst && attempt == 1 { throw CancellationError() }
                    onReceived(
                        received.withLock {
                            $0.append(event)
                            return $0.count
                        }
                    )
                }
            )
        }

        /// A fixture whose listener is connected.
        static func started(
            options: EmulatorOptions = SyncHarness.fastEmulator(),
            failFirst: Bool = false,
            records: [InstanceRecord] = SyncHarness.newest(5),
            api: DingTalkAPI = .v1,
            keepAliveMilliseconds: Int = 1000
        ) async throws -> Fixture {
            let fixture = try Fixture(
                options: options,
                failFirst: failFirst,
                records: records,
                api: api,
                keepAliveMilliseconds: keepAliveMilliseconds
            )
            try await fixture.start()
            return fixture
        }

        /// Starts the listener and waits for its first connection.
        func start() async throws {
            let listener = listener
            task.withLock { $0 = listener.start() }
            do {
                try await Self.wait("the first connection") { listener.statistics.connectionsOpened >= 1 }
            } catch var timeout as WaitTimeout {
                timeout.what += "; the listener reported: \(statuses.withLock { $0 })"
                throw timeout
            }
        }

        /// Stops the listener and the emulator.
        func stop() async {
            let task = task.withLock { $0 }
            task?.cancel()
            _ = await task?.result
            harness.tearDown()
        }

        /// Waits until the handler has received `count` events.
        func waitForEvents(_ count: Int, seconds: Double = 180) async throws -> [ApprovalEvent] {
            try await Self.wait("\(count) events", seconds: seconds) { self.received.withLock { $0.count } >= count }
            return received.withLock { $0 }
        }

        /// Polls a condition on the listener's own thread, so a test starved of the shared pool does not time out
        /// while the listener works. The default is long: the emulator's gateway (Hummingbird) decides each WebSocket
        /// upgrade in an unstructured task on the shared pool, and while the suite's blocking tests hold every thread
        /// of that pool (up to a minute on two cores) no connection or reconnection can complete.
        static func wait(_ what: String, seconds: Double = 180, _ condition: () -> Bool) async throws {
            try await withTaskExecutorPreference(DedicatedExecutor.stream) {
                let deadline = Date().addingTimeInterval(seconds)
                while !condition() {
                    guard Date() < deadline else { throw WaitTimeout(what: what) }
                    try await Task.sleep(for: .milliseconds(10))
                }
            }
        }
    }

    struct WaitTimeout: Error, CustomStringConvertible {
        var what: String
        var description: String { "timed out waiting for \(what)" }
    }

    /// New running instances, each with a distinct id.
    static func newInstances(_ count: Int, from first: Int = 0) -> [InstanceRecord] {
        (first..<(first + count)).map { index in
            InstanceRecord(
                instanceId: "stream-test-\(index)",
                businessId: "20251201093\(String(format: "%010d", index))",
                title: "提案 \(index)",
                createTime: 1_764_552_600 + Int64(index),
                status: .running,
                originatorUserId: "user\(index % 3)",
                originatorDeptId: "2"
            )
        }
    }

    @Test func theClientReceivesAndAcknowledgesEventsForInsertedAndFinishedInstances() async throws {
        let fixture = try await Fixture.started()
        defer { Task { await fixture.stop() } }
        let record = Self.newInstances(1)[0]
        fixture.harness.emulator.insert([record])
        fixture.harness.emulator.update(record.instanceId) {
            $0.status = .completed
            $0.result = .refuse
            $0.finishTime = record.createTime + 86_400 + 7
        }
        let events = try await fixture.waitForEvents(2)
        #expect(events.map(\.type) == [.start, .finish])
        #expect(events.allSatisfy { $0.processInstanceId == record.instanceId && $0.kind == .instanceChange })
        #expect(events[1].result == "refuse")
        #expect(events[1].finishTime == (record.createTime + 86_400 + 7) * 1000)
        #expect(events[0].createTime == record.createTime * 1000)
        #expect(events[0].staffId == "user0")
        try await Fixture.wait("two acks") { fixture.harness.emulator.statistics.streamAcks == 2 }
        let statistics = fixture.harness.emulator.statistics
        #expect(statistics.pushes == 2)
        #expect(statistics.pushesPerMonth.values.reduce(0, +) == 2)
        #expect(statistics.eventsLost == 0)
        #expect(fixture.listener.statistics.acks == 2)
        #expect(fixture.listener.statistics.eventsDelivered == 2)
    }

    @Test func eventsArriveAndAreAcknowledgedWhileEveryThreadOfTheSharedPoolIsBlocked() async throws {
        let threads = ProcessInfo.processInfo.activeProcessorCount
        let release = DispatchSemaphore(value: 0)
        let blocked = Locked(0)
        let receivedWhileBlocked = Locked(0)
        let fixture = try Fixture(onReceived: { count in
            receivedWhileBlocked.withLock { $0 = blocked.withLock { $0 } == threads ? count : $0 }
            if count == 2 { for _ in 0..<threads { release.signal() } }
        })
        try await fixture.start()
        defer { Task { await fixture.stop() } }
        let record = Self.newInstances(1)[0]
        let emulator = fixture.harness.emulator
        // As many tasks as the shared pool has threads, each blocking its thread; the last to start makes the
        // emulator emit two events, which only the listener's own thread can receive until they are released.
        let blockers = (0..<threads).map { _ in
            Task.detached {
                let arrived = blocked.withLock { count in
                    count += 1
                    return count
                }
                if arrived == threads {
                    emulator.insert([record])
                    emulator.update(record.instanceId) {
                        $0.status = .completed
                        $0.result = .agree
                        $0.finishTime = record.createTime + 600
                    }
                }
                return release.wait(timeout: .now() + 30) == .success
            }
        }
        for blocker in blockers { #expect(await blocker.value, "released by the second event, not by the timeout") }
        #expect(receivedWhileBlocked.withLock { $0 } == 2)
        try await Fixture.wait("two acks") { emulator.statistics.streamAcks == 2 }
    }

    @Test func taskEventsArePushedOnlyWhenAskedFor() async throws {
        var options = SyncHarness.fastEmulator()
        options.streamTaskEvents = true
        let fixture = try await Fixture.started(options: options)
        defer { Task { await fixture.stop() } }
        let record = Self.newInstances(1)[0]
        fixture.harness.emulator.insert([record])
        fixture.harness.emulator.update(record.instanceId) {
            $0.status = .completed
            $0.result = .agree
            $0.finishTime = record.createTime + 600
        }
        let events = try await fixture.waitForEvents(4)
        #expect(events.map(\.kind) == [.instanceChange, .taskChange, .taskChange, .instanceChange])
        #expect(events[2].result == "agree" && events[2].staffId != record.originatorUserId)
    }

    @Test func systemPingsAreAnsweredWithTheirData() async throws {
        var options = SyncHarness.fastEmulator()
        options.streamPingMilliseconds = 50
        let fixture = try await Fixture.started(options: options)
        defer { Task { await fixture.stop() } }
        try await Fixture.wait("three answered pings") { fixture.harness.emulator.statistics.streamPongs >= 3 }
        #expect(fixture.listener.statistics.pingsAnswered >= 3)
    }

    @Test func aDisconnectLeadsToANewTicketAndNoEventIsLost() async throws {
        var options = SyncHarness.fastEmulator()
        options.faults.streamDisconnectEvery = 3
        let fixture = try await Fixture.started(options: options)
        defer { Task { await fixture.stop() } }
        for record in Self.newInstances(10) {
            fixture.harness.emulator.insert([record])
            try await Task.sleep(for: .milliseconds(5))
        }
        let events = try await fixture.waitForEvents(10)
        #expect(Set(events.map(\.processInstanceId)).count == 10)
        let statistics = fixture.harness.emulator.statistics
        #expect(statistics.faults["stream-disconnect"] == 3)
        #expect(statistics.streamTickets >= 4)
        #expect(statistics.streamConnections == statistics.streamTickets)
        #expect(fixture.listener.statistics.disconnectsObeyed == 3)
        try await Task.sleep(for: .milliseconds(100))
        #expect(fixture.received.withLock { $0.count } == 10)
    }

    @Test func duplicatedEventsReachTheHandlerOnce() async throws {
        var options = SyncHarness.fastEmulator()
        options.faults.streamDuplicateEvery = 2
        let fixture = try await Fixture.started(options: options)
        defer { Task { await fixture.stop() } }
        fixture.harness.emulator.insert(Self.newInstances(6))
        _ = try await fixture.waitForEvents(6)
        try await Fixture.wait("three duplicates dropped") { fixture.listener.statistics.duplicatesDropped == 3 }
        #expect(fixture.received.withLock { $0.count } == 6)
        #expect(fixture.harness.emulator.statistics.pushes == 9)
    }

    @Test func aThrowingHandlerGetsTheEventAgainAndStoresItOnce() async throws {
        var options = SyncHarness.fastEmulator()
        options.streamAckTimeoutMilliseconds = 250
        let fixture = try await Fixture.started(options: options, failFirst: true)
        defer { Task { await fixture.stop() } }
        fixture.harness.emulator.insert(Self.newInstances(3))
        let events = try await fixture.waitForEvents(3)
        #expect(Set(events.map(\.eventId)).count == 3)
        #expect(fixture.attempts.withLock { $0.values.allSatisfy { $0 == 2 } })
        #expect(fixture.listener.statistics.laterReplies == 3)
        #expect(fixture.harness.emulator.statistics.redeliveries >= 3)
        #expect(fixture.statuses.withLock { $0.contains { if case .handlerFailed = $0 { true } else { false } } })
    }

    @Test func withheldAcksAreDeliveredAgainAndDroppedAsDuplicates() async throws {
        var options = SyncHarness.fastEmulator()
        options.faults.streamWithholdAckEvery = 2
        options.streamAckTimeoutMilliseconds = 250
        let fixture = try await Fixture.started(options: options)
        defer { Task { await fixture.stop() } }
        fixture.harness.emulator.insert(Self.newInstances(4))
        _ = try await fixture.waitForEvents(4)
        try await Fixture.wait("redelivered events dropped") { fixture.listener.statistics.duplicatesDropped >= 2 }
        #expect(fixture.received.withLock { $0.count } == 4)
        #expect(fixture.harness.emulator.statistics.redeliveries >= 2)
    }

    @Test func aDroppedConnectionReconnectsAndLosesNothing() async throws {
        var options = SyncHarness.fastEmulator()
        options.faults.streamDropEvery = 2
        let fixture = try await Fixture.started(options: options)
        defer { Task { await fixture.stop() } }
        for record in Self.newInstances(8) {
            fixture.harness.emulator.insert([record])
            try await Task.sleep(for: .milliseconds(3))
        }
        let events = try await fixture.waitForEvents(8)
        #expect(Set(events.map(\.processInstanceId)).count == 8)
        #expect(fixture.harness.emulator.statistics.faults["stream-drop"] == 4)
        try await Fixture.wait("the fourth reconnection") { fixture.listener.statistics.reconnects >= 4 }
        #expect(fixture.harness.emulator.statistics.eventsLost == 0)
    }

    @Test func eventsEmittedWhileDisconnectedAreQueuedUnlessTheLossFaultDropsThem() async throws {
        let fixture = try Fixture()
        defer { Task { await fixture.stop() } }
        let emulator = fixture.harness.emulator
        emulator.insert(Self.newInstances(2))
        var plan = FaultPlan()
        plan.streamLoseWhileDisconnected = true
        try emulator.setFaults(plan)
        emulator.insert(Self.newInstances(3, from: 2))
        #expect(emulator.statistics.eventsLost == 3)
        try await fixture.start()
        // The two queued events arriving show that the gateway has the connection, so the next one is not lost.
        _ = try await fixture.waitForEvents(2)
        emulator.insert(Self.newInstances(1, from: 5))
        let events = try await fixture.waitForEvents(3)
        #expect(events.map(\.processInstanceId) == ["stream-test-0", "stream-test-1", "stream-test-5"])
    }

    @Test func pushesBeyondTheMonthlyQuotaArriveAsErrCode20001AndTheListenerStaysConnected() async throws {
        var options = SyncHarness.fastEmulator()
        options.monthlyPushQuota = 2
        let fixture = try await Fixture.started(options: options)
        defer { Task { await fixture.stop() } }
        fixture.harness.emulator.insert(Self.newInstances(4))
        _ = try await fixture.waitForEvents(2)
        try await Fixture.wait("two refused pushes") { fixture.listener.statistics.pushQuotaErrors == 2 }
        try await Fixture.wait("all four acknowledged") { fixture.harness.emulator.statistics.streamAcks == 4 }
        #expect(fixture.received.withLock { $0.count } == 2)
        #expect(fixture.listener.statistics.connectionsOpened == 1)
        let statistics = fixture.harness.emulator.statistics
        #expect(statistics.pushes == 2 && statistics.pushesOverQuota == 2)
        #expect(
            fixture.statuses.withLock {
                $0.contains(.pushQuotaExhausted(message: "DingTalk's monthly push quota is used up (errCode 20001)"))
            }
        )
    }

    @Test func aHundredDropsDisconnectsDuplicatesAndWithheldAcksLoseAndRepeatNothing() async throws {
        var options = SyncHarness.fastEmulator()
        options.faults.streamDropEvery = 3
        options.faults.streamDisconnectEvery = 5
        options.faults.streamDuplicateEvery = 3
        options.faults.streamWithholdAckEvery = 5
        options.streamAckTimeoutMilliseconds = 250
        // A short keep-alive, so a connection whose close went unnoticed is found dead within a second.
        let fixture = try await Fixture.started(options: options, keepAliveMilliseconds: 250)
        defer { Task { await fixture.stop() } }
        var generator = SeededGenerator(seed: 15)
        var next = 0
        while next < 240 {
            let count = Int.random(in: 1...6, using: &generator)
            fixture.harness.emulator.insert(Self.newInstances(min(count, 240 - next), from: next))
            next += count
            try await Task.sleep(for: .milliseconds(Int.random(in: 0...4, using: &generator)))
        }
        let events = try await fixture.waitForEvents(240)
        try await Task.sleep(for: .milliseconds(300))
        let received = fixture.received.withLock { $0 }
        #expect(received.count == 240)
        #expect(Set(received.map(\.processInstanceId)).count == 240)
        #expect(events.count >= 240)
        let faults = fixture.harness.emulator.statistics.faults
        #expect((faults["stream-drop"] ?? 0) + (faults["stream-disconnect"] ?? 0) >= 100)
        #expect(fixture.harness.emulator.statistics.eventsLost == 0)
    }

    @Test func theGatewayRejectsAMissingUsedOrExpiredTicket() async throws {
        var options = SyncHarness.fastEmulator()
        options.streamTicketSeconds = 1
        let harness = try SyncHarness(records: [], options: options)
        defer { harness.tearDown() }
        let client = DingTalkClient(settings: harness.settings(api: .v1), transport: CurlTransport(timeoutSeconds: 5))
        let ticket = try await client.openStreamConnection(userAgent: "test", localIp: "127.0.0.1")
        #expect(ticket.endpoint.hasPrefix("ws://127.0.0.1:") && ticket.endpoint.hasSuffix("/connect"))
        #expect(try await Self.connects(ticket.url))
        #expect(try await !Self.connects(ticket.url))
        #expect(try await !Self.connects(ticket.endpoint))
        let late = try await client.openStreamConnection(userAgent: "test", localIp: "127.0.0.1")
        try await Task.sleep(for: .milliseconds(1100))
        #expect(try await !Self.connects(late.url))
        #expect(harness.emulator.statistics.streamTicketRejections == 3)
    }

    /// Whether a WebSocket upgrade to `url` succeeds.
    static func connects(_ url: String) async throws -> Bool {
        do {
            try await WebSocketClient.connect(url: url, logger: .init(label: "test") { _ in SwiftLogNoOpLogHandler() })
            {
                _,
                outbound,
                _ in
                try await outbound.close(.normalClosure, reason: nil)
            }
            return true
        } catch let error as WebSocketClientError where error == .webSocketUpgradeFailed {
            return false
        }
    }

    @Test func wrongCredentialsStopTheListenerWithACredentialsError() async throws {
        let harness = try SyncHarness(records: [])
        defer { harness.tearDown() }
        var settings = harness.settings(api: .v1)
        settings.appSecret = "not-the-secret"
        let listener = StreamListener(
            configuration: StreamConfiguration(settings: settings),
            transport: CurlTransport(timeoutSeconds: 5)
        ) { _ in }
        let error = await #expect(throws: SyncError.self) { try await listener.run() }
        #expect(error?.code == .credentials)
        #expect(error?.message.contains("dingtalk.app_secret") == true)
        #expect(error?.message.contains("not-the-secret") == false)
    }

    @Test func statusesReadAsLogLines() {
        #expect("\(StreamStatus.connected(endpoint: "wss://gw/connect"))" == "connected to wss://gw/connect")
        #expect(
            "\(StreamStatus.reconnecting(attempt: 2, afterMilliseconds: 1500))" == "reconnecting in 1.5 s (attempt 2)"
        )
        #expect("\(StreamStatus.reconnecting(attempt: 1, afterMilliseconds: 0))" == "reconnecting now (attempt 1)")
        #expect(
            "\(StreamStatus.gatewayFailed(SyncError(.network, "api.dingtalk.com cannot be reached")))"
                == "cannot open a Stream connection: api.dingtalk.com cannot be reached"
        )
        #expect(
            "\(StreamStatus.handlerFailed(eventId: "e1", message: "disk full"))"
                == "event e1 not stored (disk full); DingTalk delivers it again"
        )
    }

    @Test func theBackoffDoublesFromItsStartUpToItsCapWithJitter() {
        let backoff = StreamBackoff()
        #expect(
            (1...8).map { backoff.ceiling(attempt: $0) } == [1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000]
        )
        #expect(backoff.ceiling(attempt: 1000) == 60_000)
        var generator = SeededGenerator(seed: 7)
        for attempt in 1...10 {
            let ceiling = backoff.ceiling(attempt: attempt)
            let delays = (0..<50).map { _ in backoff.delay(attempt: attempt, using: &generator) }
            #expect(delays.allSatisfy { $0 >= ceiling / 2 && $0 <= ceiling })
            #expect(Set(delays).count > 1, "jittered")
        }
    }

    @Test func aListenerThatCannotConnectBacksOffLongerEachTimeUpToTheCap() async throws {
        let harness = try SyncHarness(records: [])
        var settings = harness.settings(api: .v1)
        harness.tearDown()
        // Nothing listens on port 1: every attempt is refused at once.
        settings.apiURL = "http://127.0.0.1:1"
        settings.retries = 0
        var configuration = StreamConfiguration(settings: settings)
        configuration.backoff = StreamBackoff(initialMilliseconds: 10, maximumMilliseconds: 40)
        let statuses = Locked<[StreamStatus]>([])
        let listener = StreamListener(
            configuration: configuration,
            transport: CurlTransport(timeoutSeconds: 2),
            status: { status in statuses.withLock { $0.append(status) } },
            handler: { _ in }
        )
        let task = listener.start()
        try await Fixture.wait("six attempts") {
            statuses.withLock { $0.filter { if case .reconnecting = $0 { true } else { false } }.count >= 6 }
        }
        task.cancel()
        _ = await task.result
        let waits = statuses.withLock { $0 }.compactMap { status -> (Int, Int)? in
            if case .reconnecting(let attempt, let delay) = status { (attempt, delay) } else { nil }
        }
        #expect(Array(waits.map(\.0).prefix(6)) == [1, 2, 3, 4, 5, 6])
        for (attempt, delay) in waits {
            let ceiling = configuration.backoff.ceiling(attempt: attempt)
            #expect(delay >= ceiling / 2 && delay <= ceiling && delay <= 40)
        }
        #expect(statuses.withLock { $0.contains { if case .gatewayFailed = $0 { true } else { false } } })
    }
}

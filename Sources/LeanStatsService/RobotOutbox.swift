import Foundation

/// The queue in front of one robot: it posts messages in order, at most 20 a minute (deferring, never dropping,
/// the ones over the limit), and when DingTalk throttles the robot (`errcode` 130101) it keeps the message and
/// posts it again after the 10-minute throttle, saying so in the log (`docs/dingtalk-delivery.md`).
///
/// A message DingTalk refuses for another reason is logged with the reason and dropped.
public actor RobotOutbox {
    /// How long DingTalk throttles a robot after 130101.
    public static let throttleMilliseconds: Int64 = 600_000

    /// The robot.
    public let messenger: RobotMessenger
    private let clock: @Sendable () -> Int64
    private let log: @Sendable (String) -> Void
    private let sleep: @Sendable (Int64) async throws -> Void
    private var pending: [RobotMessage] = []
    private var window = RobotRateWindow()
    private var throttledUntil: Int64 = 0
    private var draining: Task<Void, Never>?

    /// Creates an outbox.
    /// - Parameters:
    ///   - messenger: Posts to the robot.
    ///   - clock: Now, Unix milliseconds.
    ///   - sleep: Waits this many milliseconds; throws when the waiting task is cancelled.
    ///   - log: Receives one line per message sent, deferred, throttled or refused; never a secret.
    public init(
        messenger: RobotMessenger,
        clock: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) },
        sleep: @escaping @Sendable (Int64) async throws -> Void = { try await Task.sleep(for: .milliseconds($0)) },
        log: @escaping @Sendable (String) -> Void
    ) {
        self.messenger = messenger
        self.clock = clock
        self.sleep = sleep
        self.log = log
    }

    /// Messages waiting to be posted.
    public var pendingCount: Int { pending.count }

    /// Queues a message and starts posting.
    /// - Parameter message: The message.
    public func enqueue(_ message: RobotMessage) {
        pending.append(message)
        if draining == nil {
            draining = Task { await self.drain() }
        }
    }

    /// Waits until every queued message was posted or refused (or the waiting task is cancelled).
    public func flush() async {
        while let draining {
            await draining.value
            if Task.isCancelled { return }
        }
    }

    private func drain() async {
        defer { draining = nil }
        while let message = pending.first {
            let now = clock()
            let wake = max(window.nextSlot(now: now), throttledUntil)
            if wake > now {
                if wake > throttledUntil {
                    log(
                        "robot: 20 messages in the last minute; '\(message.title)' waits \((wake - now + 999) / 1000) s"
                    )
                }
                do {
                    try await sleep(wake - now)
                } catch {
                    return
                }
                continue
            }
            window.record(now: now)
            switch await messenger.post(message, now: now) {
            case .sent:
                pending.removeFirst()
                log("robot message sent: \(message.title)")
            case .throttled(let error):
                throttledUntil = clock() + Self.throttleMilliseconds
                log("robot message kept, posted again in 10 minutes: \(message.title): \(error.message)")
            case .failed(let error):
                pending.removeFirst()
                log("robot message not sent: \(message.title): \(error.message)")
            }
        }
    }
}

/// Carries the latencies of served queries to ``ServiceRunner/observeQueryLatency(milliseconds:)`` in the order
/// they were measured, one at a time, without making the request threads wait for the runner (which may be
/// mailing).
///
/// When the runner falls behind, the oldest readings not yet fed are dropped: only the newest matter for whether a
/// threshold is crossed.
public final class QueryLatencyFeed: Sendable {
    private let continuation: AsyncStream<Double>.Continuation
    private let consumer: Task<Void, Never>

    /// Starts feeding a runner.
    /// - Parameters:
    ///   - runner: Receives the readings.
    ///   - capacity: How many readings may wait.
    public init(runner: ServiceRunner, capacity: Int = 256) {
        let (stream, continuation) = AsyncStream.makeStream(
            of: Double.self,
            bufferingPolicy: .bufferingNewest(capacity)
        )
        self.continuation = continuation
        consumer = Task {
            for await milliseconds in stream {
                await runner.observeQueryLatency(milliseconds: milliseconds)
            }
        }
    }

    /// Queues one reading; returns at once. Safe from any thread.
    /// - Parameter milliseconds: The query's latency.
    public func record(milliseconds: Double) {
        continuation.yield(milliseconds)
    }

    /// Stops taking readings and waits until the queued ones have been fed (and their alerts sent).
    public func finish() async {
        continuation.finish()
        await consumer.value
    }
}

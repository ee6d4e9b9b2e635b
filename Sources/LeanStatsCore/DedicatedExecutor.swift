import Foundation

/// A task executor with one thread of its own, for network conversations that must keep their timing while the
/// shared concurrency pool (as many threads as cores) is busy with long queries, imports or blocking work.
///
/// Tasks run on it when started with `Task(executorPreference:)` or inside `withTaskExecutorPreference`; their child
/// tasks inherit it. Work given to it must not block for long: every task preferring it shares its one thread.
public final class DedicatedExecutor: TaskExecutor, @unchecked Sendable {
    /// The executor of Stream connections: the client's listener and the emulator's gateway.
    public static let stream = DedicatedExecutor(name: "leanstats-stream")

    private let condition = NSCondition()
    private var queue: [UnownedJob] = []

    /// Starts the executor's thread, which lives as long as the process.
    /// - Parameter name: The thread's name, as debuggers and `top -H` show it.
    public init(name: String) {
        let thread = Thread { self.serve() }
        thread.name = name
        thread.start()
    }

    /// Queues a job to run on the executor's thread.
    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        queue.append(job)
        condition.signal()
        condition.unlock()
    }

    private func serve() {
        var batch: [UnownedJob] = []
        while true {
            condition.lock()
            while queue.isEmpty { condition.wait() }
            swap(&batch, &queue)
            condition.unlock()
            for job in batch { job.runSynchronously(on: asUnownedTaskExecutor()) }
            batch.removeAll(keepingCapacity: true)
        }
    }
}

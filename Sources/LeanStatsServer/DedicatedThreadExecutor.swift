import Foundation

/// A task executor with threads of its own, for the HTTP edge's tasks.
///
/// The edge's connections, requests and route handlers run here instead of on the process's shared cooperative
/// pool, so code elsewhere in the process that blocks pool threads (synchronous waits, long computations) cannot
/// stall the server, and a route that computes for a while holds one of these threads only.
final class DedicatedThreadExecutor: TaskExecutor, @unchecked Sendable {
    private let condition = NSCondition()
    /// Jobs waiting to run, oldest first from `head`; guarded by `condition`.
    private var jobs: [UnownedJob] = []
    private var head = 0

    /// Starts the threads.
    /// - Parameters:
    ///   - threads: How many threads run jobs.
    ///   - name: The threads' name, for debuggers and `top -H`.
    init(threads: Int, name: String) {
        for index in 0..<max(1, threads) {
            let thread = Thread { [self] in runJobs() }
            thread.name = "\(name)-\(index)"
            thread.start()
        }
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    private func runJobs() {
        while true {
            condition.lock()
            while head == jobs.count { condition.wait() }
            let job = jobs[head]
            head += 1
            if head == jobs.count {
                jobs.removeAll(keepingCapacity: true)
                head = 0
            }
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}

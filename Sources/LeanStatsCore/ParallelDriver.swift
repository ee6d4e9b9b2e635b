import Dispatch
import Foundation
import Synchronization

/// How the kernels split work: how many workers and how many rows each morsel has.
public struct KernelOptions: Sendable, Hashable {
    /// Worker threads (at most this many run at once).
    public var workers: Int
    /// Rows per morsel; each worker takes the next untaken morsel when it finishes one.
    public var morselSize: Int
    /// Largest per-worker bitmap (in bits) for exact distinct counts; larger problems switch to the
    /// first-group table (8 MiB by default).
    public var distinctBitmapBits: Int

    /// Unfiltered ranges at least this long count distinct values with (and, the first time, build) the
    /// previous-occurrence columns; shorter ones, such as one month, use bitmaps and never wait for the build.
    public var occurrenceScanRows: Int

    /// Whether queries without a filter run the kernels over the derived per-row columns (flag bytes, narrowed
    /// days, previous occurrences); off, every query runs the general filtered kernels (the reference they are
    /// tested against).
    public var derivedColumnKernels: Bool

    /// Whether the first large query builds the indexes that make later ones faster (previous-occurrence columns,
    /// pair columns, proposer partitions); a process that answers one query and exits does better without.
    public var buildsIndexes: Bool

    /// Creates options; values below 1 are raised to 1.
    public init(
        workers: Int,
        morselSize: Int,
        distinctBitmapBits: Int = 1 << 26,
        occurrenceScanRows: Int = 1 << 18,
        derivedColumnKernels: Bool = true,
        buildsIndexes: Bool = true
    ) {
        self.workers = max(1, workers)
        self.morselSize = max(1, morselSize)
        self.distinctBitmapBits = max(0, distinctBitmapBits)
        self.occurrenceScanRows = max(0, occurrenceScanRows)
        self.derivedColumnKernels = derivedColumnKernels
        self.buildsIndexes = buildsIndexes
    }

    /// One worker per active core, 64 Ki rows per morsel.
    public static var `default`: KernelOptions {
        KernelOptions(workers: ProcessInfo.processInfo.activeProcessorCount, morselSize: 64 * 1024)
    }

    /// The default split without index building, for a process that answers one query.
    public static var oneQuery: KernelOptions {
        var options = KernelOptions.default
        options.buildsIndexes = false
        return options
    }

    /// A single worker: the reference the parallel runs must agree with.
    public static let serial = KernelOptions(workers: 1, morselSize: Int.max / 2)
}

/// Wraps a value that is safe to share because every worker touches a disjoint part of it
/// (swift-nio's `UnsafeTransfer`).
struct UnsafeTransfer<Value>: @unchecked Sendable {
    let value: Value
}

/// Runs `body` over the morsels of `rows` on up to `options.workers` threads, each with its own state from
/// `makeState`, then combines the states in worker order.
/// - Complexity: O(rows / workers) per worker plus the states' combine cost.
func runMorsels<State: AnyObject>(
    rows: Range<Int>,
    options: KernelOptions,
    makeState: () -> State,
    body: (Range<Int>, State) -> Void,
    combine: (State, State) -> Void
) -> State {
    // A short range gets smaller morsels, at least four per worker, so no worker is left with most of it.
    let morselSize = min(options.morselSize, max(rows.count / (options.workers * 4), 1))
    let morselCount = (rows.count + morselSize - 1) / morselSize
    let workers = min(options.workers, max(morselCount, 1))
    @Sendable func morsel(_ index: Int) -> Range<Int> {
        let start = rows.lowerBound + index * morselSize
        return start..<min(start + morselSize, rows.upperBound)
    }
    if workers == 1 {
        let state = makeState()
        for index in 0..<morselCount { body(morsel(index), state) }
        return state
    }
    var states = [State](repeating: makeState(), count: workers)
    for worker in 1..<workers { states[worker] = makeState() }
    // Each worker starts with the morsel of its own number, then takes the next untaken one: a worker whose
    // core is busy elsewhere leaves its share to the others instead of holding up the result.
    let nextMorsel = Atomic<Int>(workers)
    withoutActuallyEscaping(body) { body in
        states.withUnsafeMutableBufferPointer { slots in
            let shared = UnsafeTransfer(value: (slots, body))
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                let (slots, body) = shared.value
                var index = worker
                while index < morselCount {
                    body(morsel(index), slots[worker])
                    index = nextMorsel.wrappingAdd(1, ordering: .relaxed).oldValue
                }
            }
        }
    }
    for worker in 1..<workers { combine(states[0], states[worker]) }
    return states[0]
}

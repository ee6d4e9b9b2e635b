import Testing

@testable import LeanStatsCore

/// The morsel driver hands every row of a range to exactly one worker, however the workers race for morsels.
struct ParallelDriverTests {
    /// One worker's rows, in the order it was given them.
    final class Seen {
        var rows: [Int] = []
    }

    @Test(arguments: [1, 2, 3, 8])
    func everyRowOfTheRangeIsCountedOnceWhateverTheNumberOfWorkers(workers: Int) {
        let options = KernelOptions(workers: workers, morselSize: 7)
        for rows in [0..<1000, 13..<14, 5..<5, 100..<131] {
            let seen = runMorsels(
                rows: rows,
                options: options,
                makeState: { Seen() },
                body: { morsel, seen in seen.rows.append(contentsOf: morsel) },
                combine: { $0.rows += $1.rows }
            )
            #expect(seen.rows.sorted() == Array(rows), "\(rows) on \(workers) workers")
        }
    }
}

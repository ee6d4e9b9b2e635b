import Foundation
import LeanStatsTestSupport
import Testing

/// A writer killed with SIGKILL at any moment leaves a store that loads, with either the old or the new content.
struct CrashSafetyTests {
    @Test func aSnapshotWriterKilledMidWriteLeavesTheOldOrTheNewGeneration() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = directory.file("store")
        let reference = directory.file("reference")
        let arguments = ["gen", "--rows", "60000", "--seed"]
        _ = try LeanStats.run(arguments + ["1", "--data", store])
        _ = try LeanStats.run(arguments + ["2", "--data", reference])
        let query = ["query", "--format", "csv", "by month count,passed,participants all", "--data"]
        let old = try LeanStats.run(query + [store]).stdout
        let new = try LeanStats.run(query + [reference]).stdout
        #expect(old != new)
        var sawOld = false
        for delay in [0.05, 0.3, 0.6, 0.9, 1.2, 1.5, 1.8, 2.4] {
            let (process, _, _) = try LeanStats.start(arguments + ["2", "--replace", "--data", store])
            Thread.sleep(forTimeInterval: delay)
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let after = try LeanStats.run(query + [store])
            #expect(after.status == 0, "\(after.stderr)")
            #expect(after.stdout == old || after.stdout == new, "after a kill at \(delay) s")
            if after.stdout == old { sawOld = true }
            let verify = try LeanStats.run(["snapshot", "verify", "--data", store])
            #expect(verify.status == 0, "\(verify.stdout)")
            if after.stdout == new { break }
        }
        #expect(sawOld, "no kill landed before the new generation was published; the test proved nothing")
    }
}

import Foundation
import LeanStatsImport
import Testing

/// Throughput of the instances CSV reader; run with `LEANSTATS_PERF=1 swift test -c release --filter ImportPerformance`.
struct ImportPerformanceTests {
    @Test(.enabled(if: ProcessInfo.processInfo.environment["LEANSTATS_PERF"] == "1"))
    func instancesCSVReadsAtLeastAMillionRowsPerSecond() throws {
        let rows = 1_000_000
        let directory = try ScratchDirectory()
        let departments = ["生产部", "质量部", "设备部", "仓储物流部", "安全环保部"]
        let names = ["张三", "李四", "王五", "赵六", "欧阳修"]
        var text = instancesHeader + "\n"
        text.reserveCapacity(rows * 200)
        for index in 0..<rows {
            let day = 1 + index % 28
            let hour = index % 24
            let minute = index % 60
            let created =
                "2025-11-\(day < 10 ? "0" : "")\(day) \(hour < 10 ? "0" : "")\(hour):\(minute < 10 ? "0" : "")\(minute):07"
            let finished = index % 3 == 0 ? "" : "2025-12-\(day < 10 ? "0" : "")\(day) 10:00:00"
            let status = index % 3 == 0 ? "RUNNING" : "COMPLETED"
            let result = index % 3 == 0 ? "" : index % 5 == 0 ? "refuse" : "agree"
            let name = names[index % names.count]
            text +=
                "2025110\(String(100_000_000_000_000 + index)),eNxe43IIT8S4oQBRC_CrhQ\(String(10_000_000_000_000 + index)),"
                + "\(name)提交的精益提案,\(created),\(finished),\(status),\(result),0932041826\(String(10_000_000 + index % 5000)),"
                + "\(name),\(index % 40),\(departments[index % departments.count])\n"
        }
        let path = try directory.write("ding_process_instances.csv", text)
        var best = Duration.seconds(1000)
        for _ in 0..<3 {
            let start = ContinuousClock.now
            let batch = try importReader.read(paths: [path])
            let elapsed = ContinuousClock.now - start
            #expect(batch.records.count == rows)
            #expect(batch.issues.isEmpty)
            best = min(best, elapsed)
        }
        let seconds = Double(best.components.seconds) + Double(best.components.attoseconds) / 1e18
        let rate = Double(rows) / seconds
        print("instances CSV: \(rows) rows, \(text.utf8.count / 1_000_000) MB in \(seconds) s = \(Int(rate)) rows/s")
        #expect(rate >= 1_000_000)
    }
}

import LeanStatsCore

/// A plant with known rates for quota planning, built from ``randomInstances(count:seed:users:)``: 100 instances in
/// August 2025, `perMonth` in each of September, October and November, and 200 in the first half of December
/// (Beijing time). The newest `open` instances are RUNNING; every other one COMPLETED `processingDays` after its
/// creation.
/// - Parameters:
///   - perMonth: Instances created in each of the three full months before the newest one.
///   - open: Instances left RUNNING.
///   - processingDays: Days from creation to completion.
/// - Returns: The records, oldest first.
public func steadyPlant(perMonth: Int = 1000, open: Int = 300, processingDays: Int64 = 5) -> [InstanceRecord] {
    // Beijing midnight of 2025-08-01, -09-01, -10-01, -11-01, -12-01 and -12-16, as epoch seconds.
    let starts: [Int64] = [1_753_977_600, 1_756_656_000, 1_759_248_000, 1_761_926_400, 1_764_518_400, 1_765_814_400]
    let counts = [100, perMonth, perMonth, perMonth, 200]
    var records = randomInstances(count: counts.reduce(0, +), seed: 11)
    var position = 0
    for (month, count) in counts.enumerated() {
        let step = (starts[month + 1] - starts[month]) / Int64(count)
        for index in 0..<count {
            records[position].createTime = starts[month] + Int64(index) * step
            position += 1
        }
    }
    for index in records.indices {
        let isOpen = index >= records.count - open
        records[index].status = isOpen ? .running : .completed
        records[index].result = isOpen ? nil : .agree
        records[index].finishTime = isOpen ? nil : records[index].createTime + processingDays * 86_400
    }
    return records
}

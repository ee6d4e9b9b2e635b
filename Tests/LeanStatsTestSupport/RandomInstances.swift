import LeanStatsCore

/// A small, fast, seeded pseudo-random generator (SplitMix64) so that test data is the same on every run.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// Creates a generator from a seed.
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random but plausible instances for property tests: few departments and categories, users who change
/// department and name, missing values, instances at day boundaries.
public func randomInstances(count: Int, seed: UInt64, users: Int = 40) -> [InstanceRecord] {
    var random = SeededGenerator(seed: seed)
    let depts = ["生产部", "质量部", "设备部", "仓储物流部", "=HYPERLINK", "Admin"]
    let categories = ["安全改善", "效率提升", "质量改善", "成本节约", "5S"]
    let start: Int64 = 1_704_038_400  // 2023-12-31 16:00 UTC = 2024-01-01 00:00 Beijing
    var records: [InstanceRecord] = []
    records.reserveCapacity(count)
    for index in 0..<count {
        let user = Int.random(in: 0..<users, using: &random)
        let deptIndex = (user + (Int.random(in: 0..<10, using: &random) == 0 ? 1 : 0)) % depts.count
        let create =
            start + Int64.random(in: 0..<(86_400 * 500), using: &random) / 60 * 60
            + (Int.random(in: 0..<20, using: &random) == 0 ? 86_399 - (start % 86_400) : 0)
        let status = InstanceStatus.allCases.randomElement(using: &random)!
        let finish: Int64? =
            status == .running || Int.random(in: 0..<15, using: &random) == 0
            ? nil : create + Int64.random(in: 0..<(86_400 * 45), using: &random)
        let result: InstanceResult? =
            status == .completed
            ? (Int.random(in: 0..<10, using: &random) < 7 ? .agree : .refuse) : nil
        var fields: [FormField] = []
        if Int.random(in: 0..<8, using: &random) != 0 {
            fields.append(FormField(name: categoryFieldName, value: categories.randomElement(using: &random)!))
        }
        if Int.random(in: 0..<3, using: &random) == 0 {
            fields.append(FormField(name: "预计收益(元)", value: String(Int.random(in: 0..<50_000, using: &random))))
        }
        records.append(
            InstanceRecord(
                instanceId: "inst-\(seed)-\(index)",
                businessId: "2024\(index)",
                title: "提案 \(index)",
                createTime: create,
                finishTime: finish,
                status: status,
                result: result,
                originatorUserId: Int.random(in: 0..<30, using: &random) == 0 ? nil : "user\(user)",
                originatorUserName: Int.random(in: 0..<25, using: &random) == 0
                    ? nil : (Int.random(in: 0..<5, using: &random) == 0 ? "新名\(user)" : "员工\(user)"),
                originatorDeptId: Int.random(in: 0..<30, using: &random) == 0 ? nil : "d\(deptIndex)",
                originatorDeptName: Int.random(in: 0..<12, using: &random) == 0 ? nil : depts[deptIndex],
                formFields: fields
            )
        )
    }
    return records
}

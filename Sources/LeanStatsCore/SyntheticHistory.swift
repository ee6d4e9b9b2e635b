import Foundation

/// A deterministic synthetic history of lean proposals, realistic enough to exercise the statistics:
/// Zipf-sized departments, about one proposer per ten instances with skewed activity, 15 categories, a
/// Spring Festival dip, ~10 % still running, ~70 % agreed among completed, log-normal processing times around
/// ten days, and some instances without department name or category.
public struct SyntheticHistory: Sendable {
    /// Instances to generate.
    public var rows: Int
    /// The seed; the same seed gives the same history.
    public var seed: UInt64
    /// The first month (inclusive).
    public var firstMonth: CivilDate
    /// The last month (inclusive).
    public var lastMonth: CivilDate

    /// Creates a generator. By default the history covers the five years before `lastMonth`.
    public init(
        rows: Int,
        seed: UInt64,
        firstMonth: CivilDate? = nil,
        lastMonth: CivilDate = CivilDate(year: 2025, month: 11, day: 1)
    ) {
        self.rows = rows
        self.seed = seed
        self.lastMonth = CivilDate(year: lastMonth.year, month: lastMonth.month, day: 1)
        self.firstMonth = firstMonth ?? CivilDate(year: lastMonth.year - 5, month: lastMonth.month, day: 1)
    }

    static let departmentStems = [
        "生产", "质量", "设备", "仓储物流", "采购", "人力资源", "财务", "研发", "安环", "销售", "工艺", "计划", "总装", "冲压",
        "焊装", "涂装", "注塑", "机加", "模具", "信息",
    ]
    static let categories = [
        "安全改善", "质量改善", "效率提升", "成本节约", "5S管理", "设备改善", "环境改善", "工艺优化", "物流改善", "节能降耗",
        "自动化", "防错", "管理创新", "服务改善", "其他",
    ]
    static let surnames = Array("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢")
    static let givenNames = Array("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍鹏辉斌宇浩凯健俊帆帅旭宁")

    /// Generates the instances in creation-time order.
    /// - Parameter clock: the zone whose local time the history is laid out in.
    public func records(clock: ZoneClock) -> [InstanceRecord] {
        var random = SplitMix(seed: seed)
        let departmentCount = max(3, min(300, rows / 2000 + 12))
        let departments = (0..<departmentCount).map { index -> String in
            let stem = Self.departmentStems[index % Self.departmentStems.count]
            return index < Self.departmentStems.count ? "\(stem)部" : "\(stem)\(index / Self.departmentStems.count + 1)部"
        }
        let userCount = max(1, rows / 10)
        // Zipf-like department sizes: user u belongs to department floor(d · (u/U)^2).
        func department(ofUser user: Int) -> Int {
            let share = Double(user) / Double(userCount)
            return min(departmentCount - 1, Int(Double(departmentCount) * share * share))
        }
        func name(ofUser user: Int) -> String {
            let surname = Self.surnames[user % Self.surnames.count]
            let given = Self.givenNames[(user / Self.surnames.count) % Self.givenNames.count]
            let second =
                user >= Self.surnames.count * Self.givenNames.count
                ? String(Self.givenNames[(user / 7) % Self.givenNames.count]) : ""
            return "\(surname)\(given)\(second)"
        }
        let names = (0..<userCount).map(name(ofUser:))
        let titles = names.map { "\($0)提交的精益提案" }
        // Month weights with a Spring Festival dip in February.
        var months: [(start: Int64, end: Int64, weight: Double)] = []
        var month = firstMonth
        while month <= lastMonth {
            let next =
                month.month == 12
                ? CivilDate(year: month.year + 1, month: 1, day: 1)
                : CivilDate(year: month.year, month: month.month + 1, day: 1)
            let weight = month.month == 2 ? 0.55 : (month.month == 1 ? 0.85 : 1.0 + 0.1 * Double(month.month % 3))
            months.append((clock.startOfDay(month.dayNumber), clock.startOfDay(next.dayNumber), weight))
            month = next
        }
        let totalWeight = months.reduce(0) { $0 + $1.weight }
        var records: [InstanceRecord] = []
        records.reserveCapacity(rows)
        var produced = 0
        for (index, slot) in months.enumerated() {
            let share = slot.weight / totalWeight
            let count =
                index == months.count - 1
                ? rows - produced : min(rows - produced, Int((Double(rows) * share).rounded()))
            var times = (0..<count).map { _ in slot.start + Int64(random.next() % UInt64(slot.end - slot.start)) }
            times.sort()
            for create in times {
                let serial = produced
                produced += 1
                // Skewed activity: squaring a uniform draw favours low user numbers.
                let draw = random.unit()
                let user = min(userCount - 1, Int(draw * draw * Double(userCount)))
                let dept = department(ofUser: user)
                let roll = random.unit()
                let status: InstanceStatus
                if create > months.last!.end - 86_400 * 45 && roll < 0.45 || roll < 0.10 {
                    status = .running
                } else if roll < 0.14 {
                    status = .terminated
                } else {
                    status = .completed
                }
                let days = exp(log(10.0) + 0.6 * random.gaussian())
                let finish: Int64? = status == .running ? nil : create + Int64(days * 86_400)
                let result: InstanceResult? = status == .completed ? (random.unit() < 0.7 ? .agree : .refuse) : nil
                let userName = names[user]
                var fields = [FormField(name: "提案名称", value: "改善提案 \(serial + 1)")]
                if random.unit() > 0.03 {
                    let category = Int(random.unit() * random.unit() * Double(Self.categories.count))
                    fields.append(FormField(name: categoryFieldName, value: Self.categories[category]))
                }
                fields.append(FormField(name: "预计收益(元)", value: String(Int(exp(7 + 1.2 * random.gaussian())))))
                // 审批编号: yyyyMMddHHmm of the local creation time, then a 9-digit serial.
                let localSeconds = create + clock.offset(at: create)
                let day = CivilDate(dayNumber: Int(localSeconds / 86_400))
                let minuteOfDay = Int(localSeconds % 86_400) / 60
                let businessId =
                    pad(day.year, 4) + pad(day.month, 2) + pad(day.day, 2) + pad(minuteOfDay / 60, 2)
                    + pad(minuteOfDay % 60, 2) + pad(serial % 1_000_000_000, 9)
                records.append(
                    InstanceRecord(
                        instanceId: "SYN" + pad16Hex(seed &* 0x9E37 &+ UInt64(serial)) + String(create),
                        businessId: businessId,
                        title: titles[user],
                        createTime: create,
                        finishTime: finish,
                        status: status,
                        result: result,
                        originatorUserId: "u" + pad(user, 7),
                        originatorUserName: userName,
                        originatorDeptId: String(100 + dept),
                        originatorDeptName: random.unit() < 0.02 ? nil : departments[dept],
                        formFields: fields
                    )
                )
            }
        }
        return records
    }
}

/// Sixteen lower-case hex digits.
private func pad16Hex(_ value: UInt64) -> String {
    let text = String(value, radix: 16)
    return String(repeating: "0", count: 16 - text.count) + text
}

/// SplitMix64 with a few distributions, for ``SyntheticHistory``.
struct SplitMix {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }

    /// Standard normal (Box–Muller).
    mutating func gaussian() -> Double {
        let u = max(unit(), 1e-12)
        return (-2 * log(u)).squareRoot() * cos(2 * .pi * unit())
    }
}

import Dispatch
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

    /// Generates the instances in creation-time order, as records.
    /// - Parameter clock: the zone whose local time the history is laid out in.
    /// - Returns: the rows of ``table(clock:)``, one record each.
    public func records(clock: ZoneClock) -> [InstanceRecord] {
        let table = table(clock: clock)
        return (0..<table.rowCount).map(table.record(at:))
    }

    /// Generates the history straight into columns, in creation-time order.
    ///
    /// The table is the one an ``InstanceTableBuilder`` makes from the same instances (dictionaries in order of
    /// first appearance), built without a record or a string per row: the random draws run in one sequential
    /// pass (so the history depends only on the seed), then each text column is formatted as bytes, the columns
    /// in parallel.
    /// - Parameter clock: the zone whose local time the history is laid out in.
    /// - Returns: the history as a sorted table.
    /// - Complexity: O(rows).
    public func table(clock: ZoneClock) -> InstanceTable {
        SyntheticDraws(history: self, clock: clock).table(history: self, clock: clock)
    }
}

/// The random part of a ``SyntheticHistory``: one value per row and column, drawn in the order the original
/// record-by-record generator drew them, so a seed keeps giving the same history.
private struct SyntheticDraws {
    var createTime: [Int64] = []
    var finishTime: [Int64] = []
    var status: [UInt8] = []
    var result: [UInt8] = []
    var user: [Int32] = []
    /// The department name is left out (the department id stays).
    var deptNameMissing: [Bool] = []
    /// Index into ``SyntheticHistory/categories``, -1 for none.
    var category: [Int8] = []
    var amount: [Int] = []
    let userCount: Int
    let departmentCount: Int

    init(history: SyntheticHistory, clock: ZoneClock) {
        let rows = history.rows
        departmentCount = max(3, min(300, rows / 2000 + 12))
        userCount = max(1, rows / 10)
        var random = SplitMix(seed: history.seed)
        // Month weights with a Spring Festival dip in February.
        var months: [(start: Int64, end: Int64, weight: Double)] = []
        var month = history.firstMonth
        while month <= history.lastMonth {
            let next =
                month.month == 12
                ? CivilDate(year: month.year + 1, month: 1, day: 1)
                : CivilDate(year: month.year, month: month.month + 1, day: 1)
            let weight = month.month == 2 ? 0.55 : (month.month == 1 ? 0.85 : 1.0 + 0.1 * Double(month.month % 3))
            months.append((clock.startOfDay(month.dayNumber), clock.startOfDay(next.dayNumber), weight))
            month = next
        }
        let totalWeight = months.reduce(0) { $0 + $1.weight }
        createTime.reserveCapacity(rows)
        finishTime.reserveCapacity(rows)
        status.reserveCapacity(rows)
        result.reserveCapacity(rows)
        user.reserveCapacity(rows)
        deptNameMissing.reserveCapacity(rows)
        category.reserveCapacity(rows)
        amount.reserveCapacity(rows)
        let runningAfter = (months.last?.end ?? 0) - 86_400 * 45
        var produced = 0
        for (index, slot) in months.enumerated() {
            let share = slot.weight / totalWeight
            let count =
                index == months.count - 1
                ? rows - produced : min(rows - produced, Int((Double(rows) * share).rounded()))
            let first = createTime.count
            for _ in 0..<count {
                createTime.append(slot.start + Int64(random.next() % UInt64(slot.end - slot.start)))
            }
            createTime[first...].sort()
            for row in first..<(first + count) {
                let create = createTime[row]
                produced += 1
                // Skewed activity: squaring a uniform draw favours low user numbers.
                let draw = random.unit()
                user.append(Int32(min(userCount - 1, Int(draw * draw * Double(userCount)))))
                let roll = random.unit()
                let state: InstanceStatus
                if create > runningAfter && roll < 0.45 || roll < 0.10 {
                    state = .running
                } else if roll < 0.14 {
                    state = .terminated
                } else {
                    state = .completed
                }
                status.append(state.rawValue)
                let days = exp(log(10.0) + 0.6 * random.gaussian())
                finishTime.append(state == .running ? InstanceTable.missingTime : create + Int64(days * 86_400))
                result.append(
                    state == .completed
                        ? (random.unit() < 0.7 ? InstanceResult.agree : InstanceResult.refuse).rawValue : 0
                )
                if random.unit() > 0.03 {
                    category.append(Int8(random.unit() * random.unit() * Double(SyntheticHistory.categories.count)))
                } else {
                    category.append(-1)
                }
                amount.append(Int(exp(7 + 1.2 * random.gaussian())))
                deptNameMissing.append(random.unit() < 0.02)
            }
        }
    }

    /// Zipf-like department sizes: user u belongs to department floor(d · (u/U)^2).
    func department(ofUser user: Int) -> Int {
        let share = Double(user) / Double(userCount)
        return min(departmentCount - 1, Int(Double(departmentCount) * share * share))
    }

    func name(ofUser user: Int) -> String {
        let surnames = SyntheticHistory.surnames
        let givenNames = SyntheticHistory.givenNames
        let surname = surnames[user % surnames.count]
        let given = givenNames[(user / surnames.count) % givenNames.count]
        let second =
            user >= surnames.count * givenNames.count ? String(givenNames[(user / 7) % givenNames.count]) : ""
        return "\(surname)\(given)\(second)"
    }

    /// The columns: each text column is one job, and the jobs run on all cores.
    func table(history: SyntheticHistory, clock: ZoneClock) -> InstanceTable {
        let rows = createTime.count
        let stems = SyntheticHistory.departmentStems
        let departments = (0..<departmentCount).map { index -> [UInt8] in
            let stem = stems[index % stems.count]
            return Array((index < stems.count ? "\(stem)部" : "\(stem)\(index / stems.count + 1)部").utf8)
        }
        // Names repeat across users: one entry per distinct name, shared by the name and title columns.
        var nameEntries = StringDictionaryBuilder()
        let nameOfUser = (0..<userCount).map { Int(nameEntries.intern(name(ofUser: $0))) }
        let names = nameEntries.build()
        let deptOfUser = (0..<userCount).map(department(ofUser:))
        let categories = SyntheticHistory.categories.map { Array($0.utf8) }
        let titleSuffix = Array("提交的精益提案".utf8)
        let (seed, createTime, user, category, amount, deptNameMissing) =
            (history.seed, self.createTime, self.user, self.category, self.amount, self.deptNameMissing)
        let userCount = self.userCount
        let departmentCount = self.departmentCount
        @Sendable func appendName(_ name: Int, _ out: inout [UInt8]) {
            out.append(contentsOf: names.bytes[names.offsets[name]..<names.offsets[name + 1]])
        }
        let jobs: [@Sendable () -> DictionaryColumn] = [
            {
                uniqueTextColumn(rows: rows) { row, out in
                    // "SYN", 16 hex digits of a seed-dependent serial, then the creation time.
                    out.append(contentsOf: "SYN".utf8)
                    out.appendHex16(seed &* 0x9E37 &+ UInt64(row))
                    out.appendDecimal(Int(createTime[row]), width: 1)
                }
            },
            {
                uniqueTextColumn(rows: rows) { row, out in
                    // 审批编号: yyyyMMddHHmm of the local creation time, then a 9-digit serial.
                    let create = createTime[row]
                    let localSeconds = create + clock.offset(at: create)
                    let day = CivilDate(dayNumber: Int(localSeconds / 86_400))
                    let minuteOfDay = Int(localSeconds % 86_400) / 60
                    out.appendDecimal(day.year, width: 4)
                    out.appendDecimal(day.month, width: 2)
                    out.appendDecimal(day.day, width: 2)
                    out.appendDecimal(minuteOfDay / 60, width: 2)
                    out.appendDecimal(minuteOfDay % 60, width: 2)
                    out.appendDecimal(row % 1_000_000_000, width: 9)
                }
            },
            {
                keyedTextColumn(
                    rows: rows,
                    keys: names.count,
                    key: { nameOfUser[Int(user[$0])] },
                    text: { name, out in
                        appendName(name, &out)
                        out.append(contentsOf: titleSuffix)
                    }
                )
            },
            {
                keyedTextColumn(
                    rows: rows,
                    keys: userCount,
                    key: { Int(user[$0]) },
                    text: { user, out in
                        out.append(UInt8(ascii: "u"))
                        out.appendDecimal(user, width: 7)
                    }
                )
            },
            { keyedTextColumn(rows: rows, keys: names.count, key: { nameOfUser[Int(user[$0])] }, text: appendName) },
            {
                keyedTextColumn(
                    rows: rows,
                    keys: departmentCount,
                    key: { deptOfUser[Int(user[$0])] },
                    text: { dept, out in
                        out.appendDecimal(100 + dept, width: 1)
                    }
                )
            },
            {
                keyedTextColumn(
                    rows: rows,
                    keys: departmentCount,
                    key: { deptNameMissing[$0] ? -1 : deptOfUser[Int(user[$0])] },
                    text: { dept, out in out.append(contentsOf: departments[dept]) }
                )
            },
            {
                uniqueTextColumn(rows: rows) { row, out in
                    out.append(contentsOf: "改善提案 ".utf8)
                    out.appendDecimal(row + 1, width: 1)
                }
            },
            {
                keyedTextColumn(
                    rows: rows,
                    keys: categories.count,
                    key: { Int(category[$0]) },
                    text: { category, out in
                        out.append(contentsOf: categories[category])
                    }
                )
            },
            {
                keyedTextColumn(
                    rows: rows,
                    keys: (amount.max() ?? 0) + 1,
                    key: { amount[$0] },
                    text: { amount, out in
                        out.appendDecimal(amount, width: 1)
                    }
                )
            },
        ]
        var columns = [DictionaryColumn](repeating: .emptyColumn, count: jobs.count)
        columns.withUnsafeMutableBufferPointer { slots in
            let shared = UnsafeTransfer(value: slots)
            DispatchQueue.concurrentPerform(iterations: jobs.count) { job in shared.value[job] = jobs[job]() }
        }
        let proposalName = FormFieldColumn(name: "提案名称", column: columns[7])
        let categoryColumn = FormFieldColumn(name: categoryFieldName, column: columns[8])
        let amountColumn = FormFieldColumn(name: "预计收益(元)", column: columns[9])
        // Form columns appear in the order an instance first lists its fields: the category sits between name and
        // amount, unless the first instance has none.
        let formFields: [FormFieldColumn]
        if rows == 0 {
            formFields = []
        } else if category[0] >= 0 {
            formFields = [proposalName, categoryColumn, amountColumn]
        } else if categoryColumn.column.dictionary.count > 1 {
            formFields = [proposalName, amountColumn, categoryColumn]
        } else {
            formFields = [proposalName, amountColumn]
        }
        return InstanceTable(
            createTime: TimeColumn(createTime),
            finishTime: TimeColumn(finishTime),
            status: status,
            result: result,
            textColumns: Array(columns[0..<7]),
            formFields: formFields
        )
    }
}

/// A column whose values are known by a small integer key, filled in order of first appearance so that a row
/// costs an array look-up instead of hashing its text.
/// - Parameters:
///   - rows: the number of rows.
///   - keys: the number of distinct keys; keys are `0..<keys`.
///   - key: the key of a row, -1 for a missing value.
///   - text: appends the text of a key.
/// - Complexity: O(rows + total bytes of the distinct values).
private func keyedTextColumn(
    rows: Int,
    keys: Int,
    key: (Int) -> Int,
    text: (Int, inout [UInt8]) -> Void
) -> DictionaryColumn {
    var codeOfKey = [UInt32](repeating: 0, count: keys)
    var bytes: [UInt8] = []
    var offsets: [Int] = [0, 0]
    let codes = (0..<rows).map { row -> UInt32 in
        let key = key(row)
        guard key >= 0 else { return 0 }
        let known = codeOfKey[key]
        if known != 0 { return known }
        text(key, &bytes)
        offsets.append(bytes.count)
        let code = UInt32(offsets.count - 2)
        codeOfKey[key] = code
        return code
    }
    return DictionaryColumn(
        dictionary: StringDictionary(bytes: bytes, offsets: offsets),
        codes: CodeArray(codes, maxCode: UInt32(offsets.count - 2))
    )
}

/// A column whose rows all hold different text: row r gets code r + 1.
/// - Parameters:
///   - rows: the number of rows.
///   - format: appends the text of one row.
/// - Complexity: O(total bytes).
private func uniqueTextColumn(rows: Int, format: (Int, inout [UInt8]) -> Void) -> DictionaryColumn {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(rows * 24)
    var offsets: [Int] = [0, 0]
    offsets.reserveCapacity(rows + 2)
    for row in 0..<rows {
        format(row, &bytes)
        offsets.append(bytes.count)
    }
    return DictionaryColumn(
        dictionary: StringDictionary(bytes: bytes, offsets: offsets),
        codes: CodeArray((0..<rows).map { UInt32($0 + 1) }, maxCode: UInt32(rows))
    )
}

extension [UInt8] {
    /// Appends a number in decimal, its digits zero-padded to at least `width`.
    @inline(__always)
    mutating func appendDecimal(_ value: Int, width: Int) {
        if value < 0 { append(UInt8(ascii: "-")) }
        let magnitude = value.magnitude
        var divisor: UInt = 1
        var digits = 1
        while digits < 20, magnitude / divisor >= 10 {
            divisor *= 10
            digits += 1
        }
        for _ in digits..<Swift.max(width, digits) { append(UInt8(ascii: "0")) }
        var rest = magnitude
        while divisor > 0 {
            append(UInt8(ascii: "0") + UInt8(rest / divisor))
            rest %= divisor
            divisor /= 10
        }
    }

    /// Appends the 16 lower-case hex digits of a number.
    @inline(__always)
    mutating func appendHex16(_ value: UInt64) {
        for shift in stride(from: 60, through: 0, by: -4) {
            let digit = UInt8((value >> UInt64(shift)) & 0xF)
            append(digit < 10 ? UInt8(ascii: "0") + digit : UInt8(ascii: "a") - 10 + digit)
        }
    }
}

/// SplitMix64 with a few distributions, for ``SyntheticHistory`` and other seeded generators: the same seed gives
/// the same sequence on every platform.
public struct SplitMix: Sendable {
    private var state: UInt64

    /// Creates a generator.
    /// - Parameter seed: The seed.
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    public mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }

    /// Standard normal (Box–Muller).
    public mutating func gaussian() -> Double {
        let u = max(unit(), 1e-12)
        return (-2 * log(u)).squareRoot() * cos(2 * .pi * unit())
    }
}

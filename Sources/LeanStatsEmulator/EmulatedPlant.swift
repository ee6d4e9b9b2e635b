import Foundation
import LeanStatsCore

/// How an ``EmulatedPlant`` behaves.
public struct PlantSettings: Sendable, Equatable {
    /// New proposals a month (365.25 / 12 days), spread evenly with jitter.
    public var perMonth = 1000.0
    /// The median days from creation to approval (or refusal); log-normal.
    public var medianDays = 10.0
    /// The standard deviation of the natural log of those days.
    public var spread = 0.3
    /// The share of approved-or-refused proposals that are refused.
    public var refusedShare = 0.15
    /// The share of proposals the originator terminates (revokes), usually soon after creating them.
    public var terminatedShare = 0.12
    /// The median days before a termination; log-normal with spread 0.5.
    public var terminateMedianDays = 1.0
    /// The days of history before the start, so the start is a steady state with its open backlog.
    public var historyDays = 130
    /// The seed; the same seed and settings give the same plant.
    public var seed: UInt64 = 1

    /// The defaults: 1,000 proposals a month, a median of 10 days to approval, about 300 open at any time.
    public init() {}

    /// Checks the values.
    /// - Throws: ``EmulatorError`` with code `.option` naming the option to fix.
    public func validate() throws(EmulatorError) {
        if !(perMonth > 0 && perMonth <= 1_000_000) {
            throw EmulatorError(.option, "--plant-rate must be between 1 and 1000000 proposals a month")
        }
        if !(medianDays > 0 && medianDays <= 365) {
            throw EmulatorError(.option, "--plant-median-days must be between 0 and 365")
        }
    }
}

/// What one step of an ``EmulatedPlant`` changed.
public struct PlantChanges: Sendable, Equatable {
    /// Proposals created in the step, as created (RUNNING), oldest first.
    public var created: [InstanceRecord] = []
    /// Proposals finished (approved, refused) or terminated in the step, in their final form, in order of finish.
    public var finished: [InstanceRecord] = []

    /// No changes.
    public init() {}
}

/// A deterministic lean-proposal plant driven by emulated time: proposals arrive at a steady rate across the
/// departments, users and forms of a ``SyntheticHistory``, and each is approved or refused after a log-normal delay
/// (or terminated by its originator soon after), decided when it is created. It starts in a steady state, with
/// ``PlantSettings/historyDays`` of history and the proposals still open then.
///
/// With the defaults about 32.9 proposals arrive a day and the mean time open is about 9.3 days (88 % decided after
/// a mean 10.5 days, 12 % terminated after about a day), so about 305 are open at any time.
public struct EmulatedPlant: Sendable {
    /// The settings.
    public let settings: PlantSettings
    /// How far the plant has run, epoch milliseconds.
    public private(set) var now: Int64
    /// The proposals at the start: history and the open backlog, to serve with ``EmulatorDataset``.
    public private(set) var backlog: [InstanceRecord] = []

    private var random: SplitMix
    private let templates: [InstanceRecord]
    private var nextArrival: Int64
    private var serial = 0
    /// Open proposals with their final form, by finish time.
    private var pending: [(finish: Int64, record: InstanceRecord)] = []

    /// One day in milliseconds.
    static let day: Int64 = 86_400_000

    /// Creates a plant in its steady state at `start`.
    /// - Parameters:
    ///   - settings: Rates, delays and seed.
    ///   - start: The emulated "now" the plant starts at, epoch milliseconds.
    /// - Throws: ``EmulatorError`` for settings out of range.
    public init(settings: PlantSettings = PlantSettings(), start: Int64) throws(EmulatorError) {
        try settings.validate()
        self.settings = settings
        let zone = try EmulatorDataset.beijing()
        let startDate = zone.date(at: start / 1000)
        templates = SyntheticHistory(rows: 2000, seed: settings.seed, lastMonth: startDate).records(clock: zone)
        random = SplitMix(seed: settings.seed ^ 0x5EED_0F_91A7)
        now = start - Int64(settings.historyDays) * Self.day
        nextArrival = now
        var history: [String: InstanceRecord] = [:]
        let changes = advance(to: start)
        for record in changes.created + changes.finished { history[record.instanceId] = record }
        backlog = history.values.sorted { ($0.createTime, $0.instanceId) < ($1.createTime, $1.instanceId) }
    }

    /// Proposals open now.
    public var openCount: Int { pending.count }

    /// The time between two arrivals, milliseconds.
    private var spacing: Double { Double(Self.day) * QuotaPlannerMonth.days / settings.perMonth }

    /// Runs the plant until `time`.
    /// - Parameter time: Epoch milliseconds; a time before ``now`` changes nothing.
    /// - Returns: The proposals created and finished since ``now``.
    public mutating func advance(to time: Int64) -> PlantChanges {
        var changes = PlantChanges()
        guard time > now else { return changes }
        while nextArrival <= time {
            changes.created.append(arrive(at: nextArrival))
            let jitter = (random.unit() - 0.5) * 0.8
            nextArrival += Int64((spacing * (1 + jitter)).rounded())
        }
        pending.sort { $0.finish < $1.finish }
        let due = pending.prefix { $0.finish <= time }
        changes.finished = due.map(\.record)
        pending.removeFirst(due.count)
        now = time
        return changes
    }

    /// Runs the plant until `time` and applies the changes to an emulator: created proposals are inserted, finished
    /// ones updated in place.
    /// - Parameters:
    ///   - time: Epoch milliseconds, usually the emulator clock's now.
    ///   - emulator: The emulator serving the plant.
    /// - Returns: The changes applied.
    @discardableResult
    public mutating func advance(to time: Int64, applyingTo emulator: DingTalkEmulator) -> PlantChanges {
        let changes = advance(to: time)
        if !changes.created.isEmpty { emulator.insert(changes.created) }
        for final in changes.finished {
            emulator.update(final.instanceId) { $0 = final }
        }
        return changes
    }

    /// Creates one proposal and decides its fate.
    private mutating func arrive(at time: Int64) -> InstanceRecord {
        let template = templates[Int(random.next() % UInt64(templates.count))]
        let seconds = time / 1000
        var record = template
        serial += 1
        // Like DingTalk's ids, they end in the creation time's epoch seconds.
        record.instanceId = "PLANT\(settings.seed)n\(serial)x\(seconds)"
        record.businessId = nil
        record.createTime = seconds
        record.status = .running
        record.result = nil
        record.finishTime = nil
        var final = record
        let days: Double
        if random.unit() < settings.terminatedShare {
            days = exp(log(settings.terminateMedianDays) + 0.5 * random.gaussian())
            final.status = .terminated
        } else {
            days = exp(log(settings.medianDays) + settings.spread * random.gaussian())
            final.status = .completed
            final.result = random.unit() < settings.refusedShare ? .refuse : .agree
        }
        let finish = seconds + max(60, Int64(days * 86_400))
        final.finishTime = finish
        pending.append((finish * 1000, final))
        return record
    }
}

/// The average calendar month, as the quota planner counts it.
enum QuotaPlannerMonth {
    static let days = 365.25 / 12
}

import LeanStatsCore

/// What the scheduler remembers between runs (`serve-schedule.json` in the data directory).
public struct SchedulerState: Codable, Sendable, Equatable {
    /// Per job (``ServiceJob/rawValue``), the latest fire time (Unix seconds) that has been dealt with.
    public var handled: [String: Int64] = [:]
    /// Per job, its latest run.
    public var lastRuns: [String: JobRun] = [:]

    /// An empty state: nothing handled yet.
    public init() {}
}

/// One run of a job, for the log and the state file.
public struct JobRun: Codable, Sendable, Equatable {
    /// How a run ended.
    public enum Outcome: String, Codable, Sendable {
        /// It did its work.
        case succeeded
        /// It failed (the summary says why).
        case failed
    }

    /// The job.
    public var job: ServiceJob
    /// The fire time it ran for (Unix seconds).
    public var fireTime: Int64
    /// When it started and finished (Unix seconds).
    public var started: Int64
    public var finished: Int64
    /// How it ended.
    public var outcome: Outcome
    /// Its one-line summary (a sync's summary line, the report's path, the error).
    public var summary: String

    /// Creates a run record.
    public init(
        job: ServiceJob,
        fireTime: Int64,
        started: Int64,
        finished: Int64,
        outcome: Outcome,
        summary: String
    ) {
        self.job = job
        self.fireTime = fireTime
        self.started = started
        self.finished = finished
        self.outcome = outcome
        self.summary = summary
    }
}

/// A job whose time has come.
public struct DueJob: Sendable, Equatable {
    /// The job.
    public var job: ServiceJob
    /// The scheduled time it runs for (Unix seconds).
    public var fireTime: Int64
    /// Whether the time was missed (the service was down or busy) and this is the one catch-up run.
    public var isCatchUp: Bool
}

/// Decides which jobs are due, from the schedule, the state and the current time. Pure logic: the clock is an
/// argument, so tests drive it through days, weeks, months, downtime and daylight-saving changes.
///
/// A job is due when its latest fire time at or before now has not been handled. However many fire times passed
/// while the service was down, that is one run (the catch-up); the same holds for an interval schedule shorter
/// than a job's run. On the first start nothing is due: the latest
/// past fire times become the baseline. When the weekly full sync is due, the daily sync of the same moment is
/// folded into it (a full sync does everything an incremental one does).
public struct Scheduler: Sendable {
    /// When each job fires.
    public let settings: ScheduleSettings
    /// The configured zone.
    public let zone: ZoneClock
    /// A run later than this after its fire time counts as a catch-up (seconds), as does one that stands for
    /// several fire times.
    public var catchUpAfter: Int64 = 600

    /// Creates a scheduler.
    /// - Parameters:
    ///   - settings: The `[schedule]` section.
    ///   - zone: The zone the schedule is read in.
    public init(settings: ScheduleSettings, zone: ZoneClock) {
        self.settings = settings
        self.zone = zone
    }

    /// The jobs that are due now, sync jobs first; records baselines for jobs never seen before.
    /// - Parameters:
    ///   - now: Unix seconds.
    ///   - state: The state; gains a baseline for each enabled job it did not know.
    /// - Returns: The due jobs, at most one per job.
    public func dueJobs(now: Int64, state: inout SchedulerState) -> [DueJob] {
        var due: [DueJob] = []
        for job in ServiceJob.allCases where settings.isEnabled(job) {
            let latest = settings.schedule(of: job).previous(atOrBefore: now, in: zone)
            guard let handled = state.handled[job.rawValue] else {
                state.handled[job.rawValue] = latest
                continue
            }
            if latest > handled {
                // Late, or more than one fire time passed (a short interval across downtime): one run for all.
                let missed = settings.schedule(of: job).previous(atOrBefore: latest - 1, in: zone) > handled
                due.append(DueJob(job: job, fireTime: latest, isCatchUp: missed || now - latest > catchUpAfter))
            }
        }
        if due.contains(where: { $0.job == .weeklyFullSync }) {
            // The daily sync is folded into the full one; it counts as handled when the full sync is.
            due.removeAll { $0.job == .dailySync }
        }
        return due
    }

    /// Records that a due job has been dealt with (it ran, successfully or not). A job that could not start
    /// because the store was busy is *not* marked, so it is tried again.
    /// - Parameters:
    ///   - run: The finished run.
    ///   - state: The state to update.
    public func record(_ run: JobRun, in state: inout SchedulerState) {
        state.handled[run.job.rawValue] = max(state.handled[run.job.rawValue] ?? run.fireTime, run.fireTime)
        if run.job == .weeklyFullSync, settings.isEnabled(.dailySync) {
            let daily = settings.daily.previous(atOrBefore: run.started, in: zone)
            state.handled[ServiceJob.dailySync.rawValue] = max(
                state.handled[ServiceJob.dailySync.rawValue] ?? daily,
                daily
            )
        }
        state.lastRuns[run.job.rawValue] = run
    }

    /// When the scheduler should look again: the earliest next fire time of an enabled job, `nil` when every job
    /// is off.
    /// - Parameter now: Unix seconds.
    public func nextWake(after now: Int64) -> Int64? {
        ServiceJob.allCases.filter { settings.isEnabled($0) }
            .map { settings.schedule(of: $0).next(after: now, in: zone) }
            .min()
    }
}

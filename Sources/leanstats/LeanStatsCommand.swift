import ArgumentParser
import LeanStatsCore

/// The `leanstats` executable: counts and reports lean improvement proposals pulled from DingTalk.
@main
struct LeanStatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "leanstats",
        abstract: "Counts and reports lean improvement proposals (精益提案) from DingTalk approvals.",
        discussion: """
            Data lives in a store directory (--data, env LEANSTATS_DATA, default ./leanstats-data).
            Start with `leanstats demo`, or `leanstats import FILE...` and `leanstats query "overview all"`.
            """,
        version: "leanstats \(ProductVersion.current)",
        subcommands: [
            DemoCommand.self, ImportCommand.self, QueryCommand.self, ReplCommand.self, SnapshotCommand.self,
            GenCommand.self, ExportCommand.self,
            ReportCommand.self,
            SyncCommand.self, ListenCommand.self, EmulatorCommand.self, ServeCommand.self, DoctorCommand.self, AlertCommand.self,
        ]
    )
}

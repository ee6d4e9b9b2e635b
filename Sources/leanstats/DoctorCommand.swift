import ArgumentParser
import Foundation
import LeanStatsService
import LeanStatsSync

/// `leanstats doctor`: checks an installation and says what to fix.
struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract:
            "Check the configuration, secrets, data, snapshots, DingTalk, quota and its projection, fonts, mail, robot.",
        discussion: """
            Prints one line per check: ok, warn (works, but look at it) or fail (must be fixed), with what to do. \
            Secret files must be readable only by their owner (chmod 600), like .pgpass. \
            Exit status: 0 when nothing must be fixed, 1 otherwise. --quiet prints only the failures, for health \
            checks (e.g. a container HEALTHCHECK or a systemd timer).
            """
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var configOptions: ConfigOptions

    @Flag(name: .long, help: "Print only the checks that fail; the exit status tells the result.")
    var quiet = false

    func run() throws {
        var doctor = Doctor(dataDirectory: store.directory)
        doctor.zoneIdentifier = store.tz
        do {
            let file = try configOptions.load()
            doctor.configSource = file.path ?? "defaults and environment (no leanstats.toml)"
            doctor.secretFiles = ServiceConfig.secretFiles(file)
            if ServiceConfig.hasDingTalkCredentials(file) {
                do {
                    doctor.sync = try configOptions.syncSettings(from: file)
                } catch {
                    doctor.configProblem = "\(error)"
                }
            }
            do {
                let service = try ServiceConfig(file, readingMail: false)
                doctor.schedule = service.schedule
                doctor.robots = [service.robot].compactMap { $0 }
                if let report = service.reportRobot, report.webhook != service.robot?.webhook {
                    doctor.robots.append(report)
                }
                do {
                    doctor.mail = try ServiceConfig(file).mail
                } catch {
                    doctor.mailProblem = "\(error)"
                }
            } catch {
                doctor.configProblem = doctor.configProblem ?? "\(error)"
            }
        } catch {
            doctor.configProblem = "\(error)"
        }
        let checks = try waitFor { [doctor] in await doctor.run() }
        for check in checks where !quiet || check.status == .fail {
            print(check.line)
        }
        if Doctor.mustFix(checks) { throw ExitCode.failure }
    }
}

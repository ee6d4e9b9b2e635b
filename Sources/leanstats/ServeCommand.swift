import ArgumentParser
import Dispatch
import Foundation
import LeanStatsServer

/// `leanstats serve`: the dashboard and HTTP API over the store, until SIGINT or SIGTERM.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the dashboard (/), the query and report APIs, /metrics and /healthz over HTTP.",
        discussion: """
            Listens on server.host:server.port (default 127.0.0.1:8080). Every route but /metrics and /healthz needs \
            Authorization: Bearer <server.token> (env LEANSTATS_SERVER_TOKEN), or open /?token=<server.token> once \
            in a browser to get a session cookie. Requests whose Host is not loopback, server.host or in \
            server.allowed_hosts are refused. A new snapshot written by a sync is served without a restart.

            Routes: / (dashboard, ?period=2025-11&dept=NAME), /list (drill-down), /api/query?q=LINE (as \
            `leanstats query --format json`), /api/report?period=2025-11 (xlsx), /metrics (Prometheus), /healthz.
            """
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var config: ConfigOptions

    @Option(name: .long, help: "The IPv4 address to listen on (overrides server.host).")
    var host: String?

    @Option(name: .long, help: "The port to listen on, 0 for any free one (overrides server.port).")
    var port: UInt16?

    func run() throws {
        try reportingErrors {
            let settings = try ServerConfig(try config.load())
            var token = settings.token ?? ""
            let generated = token.isEmpty
            if generated {
                var generator = SystemRandomNumberGenerator()
                token = (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }
                    .joined()
            }
            let server = DashboardServer(
                configuration: ServerConfiguration(
                    host: host ?? settings.host,
                    port: port ?? settings.port,
                    token: token,
                    allowedHosts: settings.allowedHosts,
                    dataDirectory: store.directory,
                    clock: try store.clock(),
                    monthlyCallBudget: settings.monthlyCallBudget
                )
            )
            let bound = try server.start()
            let address = "http://\(host ?? settings.host):\(bound)"
            if let error = server.source.lastError {
                printError("leanstats: warning: \(error)")
            } else if server.source.current() == nil {
                printError(
                    "leanstats: warning: \(store.directory) holds no snapshot yet; serving 503 until a sync writes one"
                )
            }
            if generated {
                printError("leanstats: no server.token configured; this run's token is \(token)")
                printError("leanstats: open \(address)/?token=\(token)")
            }
            printError("leanstats: serving \(store.directory) on \(address) (Ctrl-C stops)")
            waitForStopSignal()
            server.stop()
            printError("leanstats: server stopped")
        }
    }
}

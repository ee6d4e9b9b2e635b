import ArgumentParser
import Foundation
import LeanStatsSync

/// The `--config FILE` option and what the sync reads from the configuration.
struct ConfigOptions: ParsableArguments {
    @Option(name: .long, help: "The TOML configuration (default ./leanstats.toml when present; env vars override it).")
    var config: String?

    /// Reads the configuration file and the environment.
    func load() throws -> ConfigFile {
        try ConfigFile(explicitPath: config)
    }

    /// The sync settings of the `[dingtalk]` and `[sync]` sections, with their defaults (`docs/configuration.md` §2,
    /// §3).
    /// - Parameter loaded: The configuration when the caller has read it already (so its warnings are not
    ///   printed twice); else it is read here.
    /// - Throws: ``CommandFailure`` for a malformed value, an unreadable secret file or a missing key.
    func syncSettings(from loaded: ConfigFile? = nil) throws -> SyncSettings {
        let settings = try Self.dingTalkSettings(from: loaded ?? load())
        do {
            try settings.validate()
        } catch {
            throw CommandFailure("config error: \(error.message)")
        }
        return settings
    }

    /// The `[dingtalk]` and `[sync]` values as they are, not yet checked for completeness (the dashboard's login
    /// needs the app but no process code).
    /// - Parameter file: The configuration.
    /// - Throws: ``CommandFailure`` for a malformed value or an unreadable secret file.
    static func dingTalkSettings(from file: ConfigFile) throws -> SyncSettings {
        var settings = SyncSettings()
        if let api = try file.string("dingtalk", "api") {
            guard let parsed = DingTalkAPI(rawValue: api.lowercased()) else {
                throw CommandFailure(
                    "config error: \(file.source("dingtalk", "api")): dingtalk.api must be v1 or legacy, not '\(api)'"
                )
            }
            settings.api = parsed
        }
        if let url = try file.string("dingtalk", "api_url") { settings.apiURL = url }
        if let url = try file.string("dingtalk", "oapi_url") { settings.oapiURL = url }
        settings.appKey = try file.string("dingtalk", "app_key") ?? ""
        settings.appSecret = try file.secret("dingtalk", "app_secret") ?? ""
        settings.processCodes = try file.strings("dingtalk", "process_code") ?? []
        if let value = try file.integer("sync", "qps") { settings.qps = value }
        if let value = try file.number("sync", "timeout_s") { settings.timeoutSeconds = value }
        if let value = try file.integer("sync", "retries") { settings.retries = value }
        if let value = try file.integer("sync", "monthly_call_budget") { settings.monthlyCallBudget = value }
        if let value = try file.integer("sync", "monthly_push_budget") { settings.monthlyPushBudget = value }
        if let value = try file.number("sync", "catch_up_hours") { settings.catchUpHours = value }
        if let value = try file.integer("sync", "concurrency") { settings.concurrency = value }
        if let value = try file.integer("sync", "batch_size") { settings.batchSize = value }
        if let value = try file.integer("sync", "backoff_ms") { settings.backoffMilliseconds = value }
        if let value = try file.integer("sync", "backoff_max_ms") { settings.backoffMaxMilliseconds = value }
        if let value = try file.integer("sync", "list_cap") { settings.listCap = value }
        if let value = try file.integer("sync", "max_response_mib") { settings.maxResponseMebibytes = value }
        if let value = try file.boolean("sync", "contacts") { settings.contacts = value }
        return settings
    }
}

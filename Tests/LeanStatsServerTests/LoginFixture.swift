import Foundation
import LeanStatsCore
import LeanStatsEmulator
import LeanStatsServer
import LeanStatsSnapshot
import LeanStatsSync
import LeanStatsTestSupport

/// The DingTalk emulator serving the bundled sample and a dashboard with the DingTalk login pointed at it, over the
/// store ``ServerFixture`` builds (the sample plus a department with a hostile name).
final class LoginFixture: @unchecked Sendable {
    /// The callback address the dashboard gives DingTalk; the tests call the callback on the real port.
    static let publicURL = "https://lean.example.com"

    let emulator: EmulatorServer
    let directory: TemporaryDirectory
    let server: DashboardServer
    let port: UInt16

    /// Starts both servers.
    /// - Parameters:
    ///   - admins: `server.admins`; the emulator's suggested admins when `nil`.
    ///   - stored: The instances of the store; ``ServerFixture/records`` by default.
    init(admins: [String]? = nil, stored: [InstanceRecord] = ServerFixture.records) async throws {
        let dataset = try EmulatorDataset.sample(directory: LeanStats.repositoryRoot + "/Data")
        emulator = try EmulatorServer(emulator: try DingTalkEmulator(dataset: dataset))
        directory = try TemporaryDirectory(prefix: "leanstats-login")
        try SnapshotStore(directory: directory.path).write(ServerFixture.table(stored), metadata: [:])
        var settings = SyncSettings()
        settings.apiURL = emulator.baseURL
        settings.oapiURL = emulator.baseURL
        settings.appKey = EmulatorOptions().appKey
        settings.appSecret = EmulatorOptions().appSecret
        let login = LoginConfiguration(
            settings: settings,
            loginURL: emulator.baseURL,
            publicURL: Self.publicURL,
            admins: admins ?? emulator.emulator.organisation.admins
        )
        server = DashboardServer(
            configuration: ServerConfiguration(
                port: 0,
                token: ServerFixture.token,
                dataDirectory: directory.path,
                clock: ServerFixture.clock,
                reloadInterval: 0.05,
                login: login
            )
        )
        port = try await server.start()
    }

    deinit {
        server.stop()
        emulator.stop()
        directory.remove()
    }

    /// The emulated organisation.
    var organisation: EmulatedOrganisation { emulator.emulator.organisation }

    /// The user id of the head of the department with a name.
    func head(of name: String) -> String? {
        organisation.departments.first { $0.name == name }.flatMap { organisation.heads[$0.id] }
    }

    /// One exchange with the dashboard, every `Set-Cookie` kept.
    func get(_ target: String, cookies: [String: String] = [:], token: String? = nil) async throws -> RawReply {
        var lines = ["GET \(target) HTTP/1.1", "Host: 127.0.0.1:\(port)", "Connection: close"]
        if !cookies.isEmpty {
            lines.append(
                "Cookie: " + cookies.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")
            )
        }
        if let token { lines.append("Authorization: Bearer \(token)") }
        return try await RawReply.fetch(port: port, lines: lines)
    }

    /// Signs in through the whole flow: `/login`, the emulator's login page as `login`, then the callback.
    /// - Returns: The callback's reply and the session cookie it set, if any.
    func signIn(as login: String) async throws -> (reply: RawReply, session: String?) {
        let start = try await get("/login")
        guard start.status == 302, let location = start.header("location"),
            let state = start.cookies["leanstats_login"],
            let url = URLComponents(string: location)
        else {
            throw RawReply.Failure(description: "/login answered \(start.status) without a redirect and a state cookie")
        }
        let target = url.percentEncodedPath + "?" + (url.percentEncodedQuery ?? "") + "&login_as=" + login
        let page = try await RawReply.fetch(
            port: emulator.port,
            lines: ["GET \(target) HTTP/1.1", "Host: 127.0.0.1:\(emulator.port)", "Connection: close"]
        )
        guard page.status == 302, let back = page.header("location"), back.hasPrefix(Self.publicURL + "/auth/dingtalk?")
        else {
            throw RawReply.Failure(description: "the login page answered \(page.status): \(page.text)")
        }
        let callback = String(back.dropFirst(Self.publicURL.count))
        let reply = try await get(callback, cookies: ["leanstats_login": state])
        return (reply, reply.cookies["leanstats_session"].flatMap { $0.isEmpty ? nil : $0 })
    }
}

/// A response read to the end, with every header field (repeated ones such as `Set-Cookie` included).
struct RawReply {
    var status: Int
    var fields: [(name: String, value: String)]
    var body: [UInt8]

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    var text: String { String(decoding: body, as: UTF8.self) }

    func header(_ name: String) -> String? {
        fields.last { $0.name == name }?.value
    }

    /// The cookies the response sets, name → value.
    var cookies: [String: String] {
        var cookies: [String: String] = [:]
        for field in fields where field.name == "set-cookie" {
            let pair = field.value.split(separator: ";")[0].split(separator: "=", maxSplits: 1)
            cookies[String(pair[0])] = pair.count > 1 ? String(pair[1]) : ""
        }
        return cookies
    }

    /// The `Set-Cookie` field of one cookie, attributes included.
    func setCookie(_ name: String) -> String? {
        fields.first { $0.name == "set-cookie" && $0.value.hasPrefix(name + "=") }?.value
    }

    /// Exchanges on a thread of its own, so the waiting never holds one of the few threads of Swift's shared pool,
    /// which the server's own tasks may need to answer.
    static func fetch(port: UInt16, lines: [String]) async throws -> RawReply {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try exchange(port: port, lines: lines) }) }.start()
        }
    }

    static func exchange(port: UInt16, lines: [String]) throws -> RawReply {
        let connection = try LoopbackConnection(port: port)
        connection.send(lines.joined(separator: "\r\n") + "\r\n\r\n")
        let bytes = connection.readToEnd()
        guard let end = bytes.indices.dropLast(3).first(where: { bytes[$0...].starts(with: [13, 10, 13, 10]) }) else {
            throw Failure(description: "no response head in \(bytes.count) bytes")
        }
        let head = String(decoding: bytes[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let status = Int(head[0].split(separator: " ").dropFirst().first ?? "") ?? 0
        let fields = head.dropFirst().compactMap { line -> (name: String, value: String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (line[..<colon].lowercased(), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        return RawReply(status: status, fields: fields, body: Array(bytes[(end + 4)...]))
    }
}

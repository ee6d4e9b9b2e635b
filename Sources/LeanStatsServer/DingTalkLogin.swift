import Foundation
import LeanStatsCore
import LeanStatsSync

/// Signs dashboard viewers in with DingTalk and decides what each may see (`docs/dashboard-login.md`).
///
/// `/login` gets a random state, bound to a short-lived cookie, and the login page's address. The callback checks
/// the state against the cookie (once), exchanges the code for the user's token, reads the union id, the user id
/// (a user outside the organisation stops here), the profile and — for a head — the department tree, which is
/// cached. Every DingTalk call goes through the sync's client (libcurl), with its retries and rate limit; none of
/// them is metered.
final class DingTalkLogin: Sendable {
    /// The configuration.
    let configuration: LoginConfiguration
    private let client: DingTalkClient
    private let transport: CurlTransport
    private let clock: @Sendable () -> Double
    private let pending = Locked([String: Double]())
    private let directory = Locked<(tree: DepartmentTree, fetchedAt: Double)?>(nil)

    /// The most logins in progress at once; more drop the oldest.
    static let pendingCapacity = 10_000

    /// Creates the login.
    /// - Parameters:
    ///   - configuration: The app, hosts and admins.
    ///   - clock: The current time in seconds.
    init(configuration: LoginConfiguration, clock: @escaping @Sendable () -> Double) {
        self.configuration = configuration
        self.clock = clock
        transport = CurlTransport(
            timeoutSeconds: configuration.settings.timeoutSeconds,
            maximumResponseBytes: configuration.settings.maxResponseBytes
        )
        client = DingTalkClient(settings: configuration.settings, transport: transport)
    }

    deinit {
        transport.close()
    }

    /// Starts a login.
    /// - Returns: The state to bind to the browser's cookie, and the login page address to send it to.
    func begin() -> (state: String, location: String) {
        let state = SessionStore.randomId()
        let now = clock()
        pending.withLock { pending in
            if pending.count >= Self.pendingCapacity {
                pending = pending.filter { $0.value > now }
                while pending.count >= Self.pendingCapacity, let oldest = pending.min(by: { $0.value < $1.value }) {
                    pending[oldest.key] = nil
                }
            }
            pending[state] = now + configuration.stateLifetime
        }
        let location =
            configuration.loginURL + "/oauth2/auth?"
            + [
                ("redirect_uri", configuration.redirectURI), ("response_type", "code"),
                ("client_id", configuration.settings.appKey), ("scope", "openid"), ("state", state),
                ("prompt", "consent"),
            ].map { "\($0.0)=\(HTML.urlEncode($0.1))" }.joined(separator: "&")
        return (state, location)
    }

    /// Finishes a login from DingTalk's callback.
    /// - Parameters:
    ///   - state: The callback's `state`.
    ///   - cookieState: The state cookie the browser sent.
    ///   - authCode: The callback's `authCode`.
    /// - Returns: The viewer.
    /// - Throws: ``ServerError``: `.login` for a missing, expired or foreign state or a refused step,
    ///   `.notInOrganisation` for an account outside the organisation.
    func finish(state: String?, cookieState: String?, authCode: String?) async throws(ServerError) -> Viewer {
        guard let state, let cookieState, DashboardServer.constantTimeEqual(state, cookieState) else {
            throw ServerError(
                .login,
                "the login callback's state does not match this browser's login cookie; start again at /login"
            )
        }
        let now = clock()
        let expiry = pending.withLock { $0.removeValue(forKey: state) }
        guard let expiry, expiry > now else {
            throw ServerError(.login, "this login has expired or was already used; start again at /login")
        }
        guard let authCode, !authCode.isEmpty else {
            throw ServerError(.login, "DingTalk sent no authCode to the callback; start again at /login")
        }
        do {
            let userToken = try await client.userAccessToken(authCode: authCode)
            let unionId = try await client.unionId(userAccessToken: userToken)
            guard let userId = try await client.userId(unionId: unionId) else {
                throw ServerError(
                    .notInOrganisation,
                    "this DingTalk account is not a member of the organisation; sign in with your company account"
                )
            }
            guard let profile = try await client.profile(userId: userId) else {
                throw ServerError(.login, "DingTalk does not know the user \(userId); ask an admin to check the app")
            }
            return try await viewer(for: profile)
        } catch let error as ServerError {
            throw error
        } catch let error as SyncError {
            throw ServerError(.login, "DingTalk refused the login: \(error.message)")
        } catch {
            throw ServerError(.login, "the login failed: \(error)")
        }
    }

    /// The viewer of a profile: an admin, a head (with every department below theirs), or a member.
    private func viewer(for profile: ContactProfile) async throws(SyncError) -> Viewer {
        let name = profile.name ?? profile.userId
        if configuration.admins.contains(profile.userId) {
            return Viewer(role: .admin, userId: profile.userId, name: name, scope: .everything)
        }
        guard !profile.leaderOf.isEmpty else {
            return Viewer(role: .member, userId: profile.userId, name: name, scope: .companyTotals)
        }
        let tree = try await departmentTree()
        let headed = profile.leaderOf.compactMap { tree.names[$0] }
        return Viewer(
            role: .head,
            userId: profile.userId,
            name: name,
            headOf: headed,
            scope: .departments(tree.names(under: profile.leaderOf))
        )
    }

    /// The organisation's department tree, from the cache while it is fresh.
    private func departmentTree() async throws(SyncError) -> DepartmentTree {
        let now = clock()
        if let cached = directory.withLock({ $0 }), now - cached.fetchedAt < configuration.directoryLifetime {
            return cached.tree
        }
        var tree = DepartmentTree()
        var queue: [Int64] = [1]
        var seen: Set<Int64> = [1]
        while let parent = queue.popLast() {
            for child in try await client.subDepartments(of: parent) where seen.insert(child.id).inserted {
                tree.names[child.id] = child.name
                tree.children[parent, default: []].append(child.id)
                queue.append(child.id)
            }
        }
        directory.withLock { $0 = (tree, now) }
        return tree
    }
}

/// The organisation's departments: names and children by id.
struct DepartmentTree: Sendable {
    /// Department names by id.
    var names: [Int64: String] = [:]
    /// Direct children by parent id.
    var children: [Int64: [Int64]] = [:]

    /// The names of some departments and of every department below them.
    func names(under roots: [Int64]) -> Set<String> {
        var result: Set<String> = []
        var queue = roots
        var seen: Set<Int64> = []
        while let id = queue.popLast() {
            guard seen.insert(id).inserted else { continue }
            if let name = names[id] { result.insert(name) }
            queue += children[id] ?? []
        }
        return result
    }
}

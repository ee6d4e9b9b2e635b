import LeanStatsCore
import LeanStatsQuery

/// What a dashboard viewer may see: the one rule every route applies (`docs/dashboard-login.md`).
public enum Scope: Sendable, Hashable {
    /// Everything: admins and the bearer token.
    case everything
    /// The instances of these departments only (a head's departments and everything below them, by name).
    case departments(Set<String>)
    /// Company totals only: overview and trend figures, no per-department, per-user or instance rows.
    case companyTotals

    /// The department names instances must belong to, `nil` when the scope does not narrow rows.
    public var departmentNames: Set<String>? {
        if case .departments(let names) = self { return names }
        return nil
    }

    /// Whether per-department, per-user and instance rows may be shown.
    public var showsDetail: Bool { self != .companyTotals }

    /// Whether a department may be picked.
    public func permits(dept: String) -> Bool {
        switch self {
        case .everything: true
        case .departments(let names): names.contains(dept)
        case .companyTotals: false
        }
    }

    /// The query a viewer may run in place of `query`: unchanged for everything, narrowed to the departments for a
    /// head; for company totals only figures of the whole company.
    /// - Parameter query: The parsed query.
    /// - Returns: The query to run, or why it is refused.
    public func authorise(_ query: Query) -> Result<Query, ScopeRefusal> {
        switch self {
        case .everything:
            return .success(query)
        case .departments(let names):
            return .success(query.restricted(to: names))
        case .companyTotals:
            let names = query.filter.alternatives
            if names.contains(where: { $0.deptNames != nil }) {
                return .failure(.companyTotalsOnly("a department filter"))
            }
            if names.contains(where: { $0.users != nil }) { return .failure(.companyTotalsOnly("a user filter")) }
            switch query {
            case .overview, .efficiency, .trend, .describe:
                return .success(query)
            case .breakdown(let breakdown):
                switch breakdown.grouping {
                case .dimension(.dept), .dimension(.user):
                    return .failure(.companyTotalsOnly("a per-\(breakdown.keyColumn) breakdown"))
                default:
                    return .success(query)
                }
            case .top:
                return .failure(.companyTotalsOnly("the proposer ranking"))
            case .list:
                return .failure(.companyTotalsOnly("the instance list"))
            }
        }
    }
}

extension Scope {
    /// Checks a line's filter values against the store (``QueryExecutor/validate(_:)``). A viewer who may not see
    /// every department gets the error without the store's names in it: no suggestion, no list of known values.
    /// - Throws: ``QueryError`` when a value names nothing the store holds.
    public func validate(_ line: String, with executor: QueryExecutor) throws(QueryError) {
        do {
            try executor.validate(line)
        } catch {
            guard self != .everything, error.code == .unknownValue else { throw error }
            var quiet = error
            quiet.suggestion = nil
            quiet.hint = "no instance you may see has it"
            throw quiet
        }
    }
}

/// Why a viewer may not have what they asked for.
public enum ScopeRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    /// A viewer who sees company totals asked for per-department, per-user or instance detail.
    case companyTotalsOnly(String)
    /// A head asked for a department outside their own (which is not named back, so a guess confirms nothing).
    case otherDepartment

    public var description: String {
        switch self {
        case .companyTotalsOnly(let what):
            "\(what) is not available to you: you see company totals only; per-department, per-user and instance "
                + "detail is for department heads (their departments) and the admins in server.admins"
        case .otherDepartment:
            "that department is not yours: you see only the departments you head and those below them"
        }
    }

    /// The same in Chinese, for the pages.
    public var chinese: String {
        switch self {
        case .companyTotalsOnly:
            "您只能查看全公司的汇总数字（总数、通过率、趋势）。各部门、个人排行和提案明细仅对部门负责人（本部门及下属部门）和管理员开放。"
        case .otherDepartment:
            "该部门不在您的查看范围内：您只能查看您负责的部门及其下属部门。"
        }
    }
}

/// Who is looking at the dashboard and what they may see; attached to every authorised request.
public struct Viewer: Sendable, Hashable {
    /// How the viewer was recognised.
    public enum Role: String, Sendable, Hashable {
        /// The bearer token or a `?token=` link: full access, for scripts.
        case token
        /// A DingTalk user listed in `server.admins`.
        case admin
        /// A DingTalk user who heads at least one department.
        case head
        /// Any other member of the organisation.
        case member
    }

    /// How the viewer was recognised.
    public var role: Role
    /// The DingTalk user id, `nil` for the token.
    public var userId: String?
    /// The display name.
    public var name: String
    /// The departments the viewer heads (names), for the page's header.
    public var headOf: [String]
    /// What the viewer may see.
    public var scope: Scope

    /// Creates a viewer.
    public init(role: Role, userId: String?, name: String, headOf: [String] = [], scope: Scope) {
        self.role = role
        self.userId = userId
        self.name = name
        self.headOf = headOf
        self.scope = scope
    }

    /// The bearer token's viewer.
    public static let token = Viewer(role: .token, userId: nil, name: "token", scope: .everything)

    /// What the page says the viewer can see and why, in Chinese.
    var scopeNote: String {
        switch role {
        case .token: return "令牌访问：可查看全部数据。"
        case .admin: return "\(name)（管理员）：可查看全部数据。"
        case .head:
            let names = scope.departmentNames.map { $0.count } ?? 0
            return "\(name)（\(headOf.joined(separator: "、"))负责人）：可查看负责部门及其下属部门，共 \(names) 个部门。"
        case .member:
            return "\(name)：\(ScopeRefusal.companyTotalsOnly("").chinese)"
        }
    }
}

/// A request that passed authentication, with the viewer it belongs to: the routes read the scope from here.
struct AuthorisedRequest {
    /// The request.
    let request: DashboardRequest
    /// Who sent it and what they may see.
    let viewer: Viewer

    /// A query parameter, `nil` when absent or empty.
    func parameter(_ name: String) -> String? {
        request.query[name].flatMap { $0.isEmpty ? nil : $0 }
    }
}

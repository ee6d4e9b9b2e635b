import LeanStatsCore

/// The keys a `where` clause filters on, in the order the canonical form writes them.
enum FilterKey: String, CaseIterable, Hashable {
    case dept, category, status, user, result

    /// Status names accepted besides the DingTalk codes, as the approval pages show them.
    static let statusNames: [String: InstanceStatus] = [
        "审批中": .running, "已完成": .completed, "审批完成": .completed, "已撤销": .terminated,
    ]

    /// The words of `result=`: the DingTalk result codes and `none` for instances without a result.
    static let resultWords = ["agree", "refuse", "none"]

    /// What the value is, for error hints.
    var valueDescription: String {
        switch self {
        case .dept: "a department name (\(StatisticsFilter.missingDeptName) for none)"
        case .category: "a category (提案类别; \(StatisticsFilter.missingCategory) for none)"
        case .status: "a status: " + Self.statusWords.joined(separator: ", ")
        case .user: "a user id or name"
        case .result: "a result: " + Self.resultWords.joined(separator: ", ")
        }
    }

    /// Every status word, codes first.
    static var statusWords: [String] {
        InstanceStatus.allCases.map(\.code) + statusNames.keys.sorted(by: utf8Precedes)
    }

    /// Which store dictionary the values must be found in, `nil` for keys with a fixed vocabulary.
    var storeValueKind: FilterValueMention.Kind? {
        switch self {
        case .dept: .dept
        case .category: .category
        case .user: .user
        case .status, .result: nil
        }
    }

    /// Sets this key's condition from the value tokens (duplicates dropped, first kept).
    /// - Throws: ``QueryError`` for a status or result word that is not one.
    func set(_ tokens: [Token], on conditions: inout FilterConditions) throws(QueryError) {
        var texts: [String] = []
        for token in tokens where !texts.contains(token.text) { texts.append(token.text) }
        switch self {
        case .dept: conditions.deptNames = texts
        case .category: conditions.categories = texts
        case .user: conditions.users = texts
        case .status:
            var statuses: [InstanceStatus] = []
            for token in tokens {
                guard let status = InstanceStatus(code: token.text) ?? Self.statusNames[token.text] else {
                    throw QueryError.unknown(.unknownStatus, "status", token, among: Self.statusWords)
                }
                if !statuses.contains(status) { statuses.append(status) }
            }
            conditions.statuses = statuses
        case .result:
            var results: [InstanceResult?] = []
            for token in tokens {
                let result: InstanceResult?
                switch token.text.lowercased() {
                case "none": result = nil
                default:
                    guard let known = InstanceResult(code: token.text) else {
                        throw QueryError.unknown(.unknownResult, "result", token, among: Self.resultWords)
                    }
                    result = known
                }
                if !results.contains(result) { results.append(result) }
            }
            conditions.results = results
        }
    }

    /// Narrows this key's condition in `target` to the values `source` also allows (taking `source`'s condition
    /// when `target` has none).
    /// - Returns: whether some value is left.
    func intersect(_ source: FilterConditions, into target: inout FilterConditions) -> Bool {
        func narrow<Value: Equatable>(_ target: inout [Value]?, _ source: [Value]?) -> Bool {
            guard let source else { return true }
            let narrowed = target.map { $0.filter(source.contains) } ?? source
            target = narrowed
            return !narrowed.isEmpty
        }
        switch self {
        case .dept: return narrow(&target.deptNames, source.deptNames)
        case .category: return narrow(&target.categories, source.categories)
        case .status: return narrow(&target.statuses, source.statuses)
        case .user: return narrow(&target.users, source.users)
        case .result: return narrow(&target.results, source.results)
        }
    }

    /// The canonical words of this key's values in the conditions, `nil` when it has no condition.
    func words(in conditions: FilterConditions) -> [String]? {
        switch self {
        case .dept: conditions.deptNames.map { $0.map(QueryLexer.quoteIfNeeded) }
        case .category: conditions.categories.map { $0.map(QueryLexer.quoteIfNeeded) }
        case .user: conditions.users.map { $0.map(QueryLexer.quoteIfNeeded) }
        case .status: conditions.statuses.map { $0.map(\.code) }
        case .result: conditions.results.map { $0.map { $0?.code ?? "none" } }
        }
    }

    /// The canonical text of one alternative: its conditions in key order joined by `and`, one value as
    /// `key=value`, several as `key in (a, b)`.
    static func text(of conditions: FilterConditions) -> String {
        allCases.compactMap { key -> String? in
            guard let words = key.words(in: conditions) else { return nil }
            return words.count == 1
                ? "\(key.rawValue)=\(words[0])" : "\(key.rawValue) in (\(words.joined(separator: ", ")))"
        }.joined(separator: " and ")
    }
}

/// A filter value that must name something the store holds (a department, category or user), where the line
/// writes it.
struct FilterValueMention: Sendable, Hashable {
    /// Which dictionary the value belongs to.
    enum Kind: String, Sendable, Hashable {
        case dept, category, user
    }

    /// Which dictionary the value belongs to.
    var kind: Kind
    /// The value.
    var value: String
    /// The token as written.
    var token: Token
}

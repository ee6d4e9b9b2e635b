import LeanStatsCore
import LeanStatsQuery

/// The words of the query language that the REPL completes and lists in `.help`, kept in one place.
///
/// Dimensions, metrics and statuses come from the language's own enumerations, so they follow it without edits
/// here; the verbs, keywords and filter keys are the parser's words, which have no enumeration of their own: add a
/// new one to the list below and completion and `.help` pick it up.
enum ReplVocabulary {
    /// The words a query starts with.
    static let verbs = ["overview", "by", "top", "efficiency", "trend", "list", "describe"]

    /// The words that join the parts of a query.
    static let keywords = ["where", "and", "or", "in", "order", "by", "asc", "desc", "limit", "vs"]

    /// The keys a `where` clause filters on (`where dept=生产部`).
    static let filterKeys = ["dept", "category", "status", "user", "result"]

    /// The values of `result=`: the DingTalk result codes and `none`.
    static let results = ["agree", "refuse", "none"]

    /// The period words that are not dates (`last` as in `last 90d`).
    static let periodWords = ["all", "last"]

    /// What `vs` compares with, besides a period: the previous period (环比) or the year before (同比).
    static let comparisons = ["prev", "yoy"]

    /// What `by` groups on: `dept`, `category`, ….
    static var dimensions: [String] { Dimension.allCases.map(\.rawValue) }

    /// The metric names: `count`, `passed`, `pass_rate`, ….
    static var metrics: [String] { Metric.allCases.map(\.rawValue) }

    /// The values of `status=`: the DingTalk codes, then the status names the approval pages show.
    static var statuses: [String] { InstanceStatus.allCases.map(\.code) + ["审批中", "审批完成", "已完成", "已撤销"] }
}

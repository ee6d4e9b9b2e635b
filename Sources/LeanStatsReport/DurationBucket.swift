/// A bracket of processing days and how many completed instances fall in it.
public struct DurationBucket: Sendable, Hashable {
    /// The bracket's name, e.g. `8–15天`.
    public var label: String
    /// The fewest days in the bracket.
    public var minDays: Int
    /// The most days in the bracket, `nil` for the open last bracket.
    public var maxDays: Int?
    /// Completed instances whose processing days fall in the bracket.
    public var count: Int

    /// Creates a bracket.
    public init(label: String, minDays: Int, maxDays: Int?, count: Int) {
        self.label = label
        self.minDays = minDays
        self.maxDays = maxDays
        self.count = count
    }

    /// The brackets of the report: up to a week, two weeks, a month (the 30-day target), two months, longer.
    static let brackets: [(label: String, min: Int, max: Int?)] = [
        ("7天以内", 0, 7), ("8–15天", 8, 15), ("16–30天", 16, 30), ("31–60天", 31, 60), ("60天以上", 61, nil),
    ]

    /// Counts processing times into the report's brackets.
    /// - Parameter days: the processing days of completed instances (never negative in consistent data; a
    ///   negative value counts in the first bracket).
    /// - Returns: every bracket, in ascending order, empty ones included.
    public static func count(_ days: [Int]) -> [DurationBucket] {
        var counts = [Int](repeating: 0, count: brackets.count)
        for value in days {
            let index = brackets.firstIndex { bracket in bracket.max.map { value <= $0 } ?? true } ?? 0
            counts[index] += 1
        }
        return zip(brackets, counts).map { bracket, count in
            DurationBucket(label: bracket.label, minDays: bracket.min, maxDays: bracket.max, count: count)
        }
    }
}

/// Finds the valid word a mistyped one most likely meant.
public enum Suggestion {
    /// The candidate nearest to `word`, ignoring case, when it is close enough to be a typo.
    ///
    /// Close enough means at most two edits (insertions, deletions, substitutions or swaps of neighbours) and at
    /// most a third of the longer word's length, rounded up: `pass_rat` → `pass_rate`, `cnt` → `count`, but nothing
    /// for `x` or `avg`. Ties go to the earlier candidate.
    /// - Parameters:
    ///   - word: the word as written.
    ///   - candidates: the valid words for the slot, in a stable order.
    /// - Returns: the suggested candidate, or `nil`.
    public static func nearest(to word: String, among candidates: [String]) -> String? {
        let typed = Array(word.lowercased())
        guard !typed.isEmpty else { return nil }
        var best: (candidate: String, distance: Int)?
        for candidate in candidates {
            let target = Array(candidate.lowercased())
            let distance = editDistance(typed, target)
            let allowed = min(2, (max(typed.count, target.count) + 2) / 3)
            guard distance > 0, distance <= allowed, distance < best?.distance ?? Int.max else { continue }
            best = (candidate, distance)
        }
        return best?.candidate
    }

    /// The optimal-string-alignment distance: Levenshtein plus transposition of adjacent characters.
    /// - Complexity: O(m·n).
    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previousPrevious = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    value = min(value, previousPrevious[j - 2] + 1)
                }
                current[j] = value
            }
            (previousPrevious, previous, current) = (previous, current, previousPrevious)
        }
        return previous[b.count]
    }

    /// The name a mistyped filter value most likely meant: the nearest by ``nearest(to:among:)``, else the
    /// shortest candidate that contains the value or is contained in it (`质量` → `质量部`), as the report's
    /// department check does.
    /// - Parameters:
    ///   - word: the value as written.
    ///   - candidates: the names the store holds, in a stable order.
    /// - Returns: the suggested name, or `nil`.
    public static func nearestName(to word: String, among candidates: [String]) -> String? {
        if let nearest = nearest(to: word, among: candidates) { return nearest }
        guard !word.isEmpty else { return nil }
        return candidates.filter { $0.contains(word) || word.contains($0) }.min { $0.count < $1.count }
    }
}

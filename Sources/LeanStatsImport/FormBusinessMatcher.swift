import LeanStatsCore

/// Finds, while a `ding_form_component_values` file is read, the instance rows already merged that its business
/// ids name, so that a form row keeps the instance's business id code instead of a copy of the id.
///
/// An export lists form rows in the order of the instances they belong to. Each piece of the file follows the
/// instance rows from the last match on, comparing bytes and hashing nothing; it first finds its place by
/// searching outwards from where its share of the file suggests. An id not found near the last match is left to
/// ``FormBusinessJoin``, which matches it after the whole import is read (it may name an instance of a later
/// file); the searches are bounded, so a file in another order costs little more than the join alone.
struct FormBusinessMatcher: Sendable {
    /// The merged instance rows' business ids.
    let dictionary: StringDictionary
    /// Each merged instance row's code in ``dictionary``, in row order (0 when the row has none).
    let rowCodes: [UInt32]

    /// Set in a stored form row's business code when the id was not matched while reading: the low bits are then
    /// a code of the piece's own dictionary.
    static let unmatched: UInt32 = 1 << 31
    /// How far from the last match an id is looked for before it is left to the join: instances without form
    /// values leave gaps.
    static let nearRows = 16
    /// How far a piece looks for an id after a miss: a run of instances without form values, or a few out of order.
    static let farRows = 4096
    /// How many far searches a piece makes in all, and how many searches of every row to find its place.
    static let searchBudget = (far: 1024, whole: 4)
    /// After how many misses a piece whose misses outnumber its matches stops searching: its file is in another
    /// order, and the join matches the rest faster than searches that fail.
    static let missesBeforeGivingUp = 1024

    /// Where one piece is in the instance rows, and how much searching it has left.
    struct Position {
        /// The row after the last match (or the row the piece's share of the file suggests, before one).
        var cursor: Int
        /// Whether an id of the piece has been found.
        var placed = false
        /// Whether the last search found its id.
        var lastFound = true
        /// The searches made so far, by kind, and how they ended: what the budgets are counted against.
        var farSearches = 0
        var wholeSearches = 0
        var matches = 0
        var misses = 0
    }

    /// A matcher of the business ids of `rows`, or `nil` when they are too many for the marked codes.
    init?(_ rows: MergedInstanceRows) {
        let slot = InstanceRowsPart.Slot.businessId.rawValue
        guard rows.rowCount > 0, rows.dictionaries[slot].count < Int(Self.unmatched) else { return nil }
        self.init(dictionary: rows.dictionaries[slot], rowCodes: rows.codes[slot].widened())
    }

    /// A matcher of instance rows with `rowCodes` in `dictionary`.
    init(dictionary: StringDictionary, rowCodes: [UInt32]) {
        self.dictionary = dictionary
        self.rowCodes = rowCodes
    }

    /// Where a piece that starts `fraction` (0…1) of the way into the form rows begins to look.
    func start(at fraction: Double) -> Position {
        Position(cursor: min(max(Int(fraction * Double(rowCodes.count)), 0), max(rowCodes.count - 1, 0)))
    }

    /// The code of the instance row with business id `bytes`, searched for outwards from `position`'s cursor,
    /// or `nil` when none is found within the piece's search budget.
    /// - Complexity: O(``nearRows``) for an id in order; O(``farRows``) or O(rows) for the budgeted searches; O(1)
    ///   once the piece gave up.
    func code(of bytes: UnsafeBufferPointer<UInt8>, from position: inout Position) -> UInt32? {
        if position.misses >= Self.missesBeforeGivingUp, position.misses > position.matches { return nil }
        var radius = Self.nearRows
        if !position.placed, position.wholeSearches < Self.searchBudget.whole {
            position.wholeSearches += 1
            radius = rowCodes.count
        } else if position.lastFound, position.farSearches < Self.searchBudget.far {
            radius = Self.farRows
        }
        guard let row = row(of: bytes, around: position.cursor, radius: radius) else {
            if radius == Self.farRows { position.farSearches += 1 }
            position.lastFound = false
            position.misses += 1
            return nil
        }
        position.cursor = row + 1
        position.placed = true
        position.lastFound = true
        position.matches += 1
        return rowCodes[row]
    }

    /// The row within `radius` of `center` whose business id is `bytes`, the nearest first (at equal distance, the
    /// later row: form rows follow their instances).
    func row(of bytes: UnsafeBufferPointer<UInt8>, around center: Int, radius: Int) -> Int? {
        let count = rowCodes.count
        return rowCodes.withUnsafeBufferPointer { codes in
            @inline(__always) func matches(_ row: Int) -> Bool {
                let code = codes[row]
                return code != 0 && dictionary.entry(code, equals: bytes)
            }
            for distance in 0...radius {
                let after = center + distance
                let before = center - distance - 1
                if after < count, matches(after) { return after }
                if before >= 0, distance < radius, matches(before) { return before }
                if after >= count, before < 0 { return nil }
            }
            return nil
        }
    }
}

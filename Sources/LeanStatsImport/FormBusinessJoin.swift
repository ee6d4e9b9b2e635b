import LeanStatsCore

/// Finds the instances that the business ids of `ding_form_component_values` rows name.
///
/// An export lists form rows in the order of the instances they belong to, so each part's business ids (in order
/// of first appearance) are matched against the instance rows near the last match, as ``FormBusinessMatcher``
/// does while reading: both sides are read in order and nothing is hashed. An id out of that order is looked up in
/// a hash index of every instance business id, built on the first such id, and the matching resumes after the row
/// it found.
struct FormBusinessJoin {
    /// For each form part, its business id codes → codes in `dictionary`; 0 where no instance has the id.
    /// - Parameters:
    ///   - parts: The form parts' business id builders, in file order.
    ///   - dictionary: The merged business ids of the instance rows.
    ///   - rowCodes: Each instance row's code in `dictionary`, in row order (0 when the row has none).
    static func maps(
        _ parts: [StringDictionaryBuilder],
        dictionary: StringDictionary,
        rowCodes: [UInt32]
    ) -> [[UInt32]] {
        let nearby = FormBusinessMatcher(dictionary: dictionary, rowCodes: rowCodes)
        var index: StringDictionaryBuilder?
        var rowOfCode: [Int32] = []
        var cursor = 0
        return parts.map { part in
            var map = [UInt32](repeating: 0, count: part.count)
            for code in 1..<max(part.count, 1) {
                let found = part.withEntry(code) { entry -> UInt32 in
                    // Around the row after the last match; the rows before it too: a piece of the form file can start
                    // inside an instance's rows.
                    if let row = nearby.row(of: entry, around: cursor, radius: FormBusinessMatcher.nearRows) {
                        cursor = row + 1
                        return rowCodes[row]
                    }
                    if index == nil {
                        index = StringDictionaryBuilder(dictionary)
                        rowOfCode = [Int32](repeating: -1, count: dictionary.count)
                        for (row, code) in rowCodes.enumerated().reversed() where code != 0 {
                            rowOfCode[Int(code)] = Int32(row)
                        }
                    }
                    guard let code = index!.code(of: entry) else { return 0 }
                    if rowOfCode[Int(code)] >= 0 { cursor = Int(rowOfCode[Int(code)]) + 1 }
                    return code
                }
                map[code] = found
            }
            return map
        }
    }
}

import LeanStatsCore

/// A guess of a row's code in one column from a code it is seen with (in the same row, or the row before): the
/// code last noted with each key. Interning tries the guess first, and a right guess skips the hash and the probe.
struct CodeGuess {
    private var last: [UInt32] = [0]

    /// The code last noted with `key`, or 0 (no guess).
    @inline(__always)
    func code(after key: UInt32) -> UInt32 {
        Int(key) < last.count ? last[Int(key)] : 0
    }

    /// Notes `code` as the guess for `key`.
    @inline(__always)
    mutating func note(_ code: UInt32, after key: UInt32) {
        let key = Int(key)
        if key >= last.count { last.append(contentsOf: repeatElement(0, count: key + 1 - last.count)) }
        last[key] = code
    }
}

/// A text column of one part of an import: a dictionary local to the part and one code per row.
struct TextPart {
    var dictionary = StringDictionaryBuilder(adaptive: true)
    /// The codes while the part is read; ``finishInterning()`` moves them to ``narrowCodes``.
    var codes: [UInt32] = []
    /// The codes in the narrowest width the part's dictionary allows, once the part is read in full: a piece's few
    /// thousand names or departments take two bytes a row until the merge, not four.
    private(set) var narrowCodes: CodeArray?

    /// Frees the dictionary's lookup table and narrows the codes.
    mutating func finishInterning() {
        dictionary.finishInterning()
        narrowCodes = CodeArray(codes, maxCode: UInt32(max(dictionary.count - 1, 0)))
        codes = []
    }

    /// Calls `body` with the codes, narrowed or not.
    func withCodeBuffer<R>(_ body: (CodeBuffer) -> R) -> R {
        if let narrowCodes { return narrowCodes.withCodeBuffer(body) }
        return codes.withUnsafeBufferPointer { body(.u32($0)) }
    }

    /// Frees the codes.
    mutating func releaseCodes() {
        codes = []
        narrowCodes = nil
    }

    /// Appends a row with a field's decoded bytes, trying the code `predicted` first (0: no guess); a missing
    /// field (empty, `NULL`, `\N`) is code 0.
    @inline(__always)
    mutating func append(_ field: DelimitedField, predicted: UInt32 = 0) {
        codes.append(field.isMissing ? 0 : field.withDecodedBytes { dictionary.intern(bytes: $0, previous: predicted) })
    }

    /// Appends a row with a value; `nil` and the empty string are code 0.
    mutating func append(_ value: String?) {
        codes.append(dictionary.intern(value))
    }
}

/// Instances read from one piece of a file, in file order, with dictionaries local to the piece so that pieces
/// can be read in parallel; ``ImportAccumulator/joined()`` merges them.
struct InstanceRowsPart {
    /// The text columns in ``InstanceRowsPart/Slot`` order.
    enum Slot: Int, CaseIterable {
        case instanceId, businessId, title, userId, userName, deptId, deptName
    }

    var createTime: [Int64] = []
    var finishTime: [Int64] = []
    var status: [UInt8] = []
    var result: [UInt8] = []
    var text = [TextPart](repeating: TextPart(), count: Slot.allCases.count)
    /// The title code of the last row with each originator name code: DingTalk titles read "<name>提交的<form>",
    /// so a name's next row most often repeats its title.
    var titleByName = CodeGuess()
    /// Form fields carried by the instances themselves (DingTalk JSON), one code per row.
    var forms: [(name: String, values: TextPart)] = []
    /// Whether form values from `ding_form_component_values` files join these rows (true for rows of a
    /// `ding_process_instances` file).
    let joinable: Bool

    init(joinable: Bool) {
        self.joinable = joinable
    }

    var rowCount: Int { createTime.count }

    /// Frees the dictionaries' lookup tables once the part is read in full (see
    /// ``StringDictionaryBuilder/finishInterning()``).
    mutating func finishInterning() {
        for slot in text.indices { text[slot].finishInterning() }
        for index in forms.indices { forms[index].values.finishInterning() }
        titleByName = CodeGuess()
    }

    /// Appends an instance with its form fields.
    mutating func append(_ record: InstanceRecord) {
        createTime.append(record.createTime)
        finishTime.append(record.finishTime ?? InstanceTable.missingTime)
        status.append(record.status?.rawValue ?? 0)
        result.append(record.result?.rawValue ?? 0)
        let values = [
            record.instanceId, record.businessId, record.title, record.originatorUserId, record.originatorUserName,
            record.originatorDeptId, record.originatorDeptName,
        ]
        for (slot, value) in values.enumerated() { text[slot].append(value) }
        for index in forms.indices { forms[index].values.codes.append(0) }
        for field in record.formFields {
            var index = forms.firstIndex { $0.name == field.name }
            if index == nil {
                forms.append((field.name, TextPart(codes: Array(repeating: 0, count: rowCount))))
                index = forms.count - 1
            }
            forms[index!].values.codes[rowCount - 1] = forms[index!].values.dictionary.intern(field.value)
        }
    }
}

/// Rows of one piece of a `ding_form_component_values` file, with dictionaries local to the piece.
struct FormValuesPart {
    /// The business ids not matched to an instance while reading (all of them, without a ``position``).
    var businessIds = StringDictionaryBuilder(adaptive: true)
    /// Where the piece is in the instance rows already read, when the form rows are matched to them as they are
    /// read (see ``FormBusinessMatcher``).
    var position: FormBusinessMatcher.Position?
    var names = StringDictionaryBuilder()
    /// The values of each component name, indexed by its code in `names` (index 0 unused).
    var values = [StringDictionaryBuilder(adaptive: true)]
    /// The name code of the row that last followed a row with each name code (0: none yet).
    var nameAfter = CodeGuess()
    /// Each row's business id: the instance business code a ``FormBusinessMatcher`` found, or a code of
    /// ``businessIds`` (marked with ``FormBusinessMatcher/unmatched`` when the piece has a ``position``).
    var business: [UInt32] = []
    /// Each row's component name code while the piece is read; ``finishInterning()`` moves them to ``nameCodes``.
    var name: [UInt32] = []
    /// Each row's component name code in the narrowest width (a form has a few dozen names at most: one byte).
    var nameCodes = CodeArray.u8([])
    /// 0 when the value is missing: the row then sets nothing but still counts towards the orphans.
    var value: [UInt32] = []

    var rowCount: Int { business.count }

    /// Frees the dictionaries' lookup tables once the part is read in full (see
    /// ``StringDictionaryBuilder/finishInterning()``), and narrows the name codes.
    mutating func finishInterning() {
        nameCodes = CodeArray(name, maxCode: UInt32(max(names.count - 1, 0)))
        name = []
        businessIds.finishInterning()
        for index in values.indices { values[index].finishInterning() }
        nameAfter = CodeGuess()
    }
}

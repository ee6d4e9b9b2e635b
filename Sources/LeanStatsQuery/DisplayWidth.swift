/// The number of terminal columns a string takes in a monospaced font.
///
/// East Asian wide and fullwidth characters (CJK ideographs, kana, Hangul, fullwidth forms, CJK punctuation) and
/// emoji count as two columns; combining marks, format characters and control characters as zero; everything else
/// as one. A grapheme cluster takes the width of its widest scalar, so `é` written with a combining accent is one
/// column and an emoji ZWJ sequence two.
/// - Parameter string: the text.
/// - Returns: its width in columns.
/// - Complexity: O(n) in the number of Unicode scalars.
public func displayWidth(_ string: String) -> Int {
    // Printable ASCII, one column a byte: numbers, ids and most labels.
    if string.utf8.allSatisfy({ (0x20..<0x7F).contains($0) }) { return string.utf8.count }
    var width = 0
    for character in string { width += displayWidth(character) }
    return width
}

/// The number of terminal columns one character (grapheme cluster) takes; see ``displayWidth(_:)-(String)``.
/// - Parameter character: the character.
/// - Returns: 0, 1 or 2.
public func displayWidth(_ character: Character) -> Int {
    var width = 0
    for scalar in character.unicodeScalars {
        // VARIATION SELECTOR-16 asks for emoji presentation, which terminals draw two columns wide.
        width = max(width, scalar.value == 0xFE0F ? 2 : scalarWidth(scalar))
    }
    return width
}

/// The width of one scalar on its own: 0, 1 or 2.
private func scalarWidth(_ scalar: Unicode.Scalar) -> Int {
    let value = scalar.value
    if value < 0x7F { return value < 0x20 ? 0 : 1 }
    // CJK Unified Ideographs, the bulk of Chinese text: Wide, and none is a mark or a format character.
    if (0x4E00...0x9FFF).contains(value) { return 2 }
    switch scalar.properties.generalCategory {
    case .nonspacingMark, .enclosingMark, .format, .control: return 0
    default: break
    }
    // Hangul Jamo medial vowels and final consonants join the preceding leading consonant.
    if (0x1160...0x11FF).contains(value) { return 0 }
    if wideRanges.contains(where: { $0.contains(value) }) || scalar.properties.isEmojiPresentation { return 2 }
    return 1
}

/// Scalars that East Asian Width classes as Wide or Fullwidth, by block; emoji are recognised by their
/// `Emoji_Presentation` property instead, which is how East Asian Width itself classes them.
private let wideRanges: [ClosedRange<UInt32>] = [
    0x1100...0x115F,  // Hangul Jamo leading consonants
    0x2329...0x232A,  // angle brackets
    0x2E80...0x303E,  // CJK radicals, Kangxi radicals, ideographic description, CJK symbols and punctuation
    0x3041...0x33FF,  // Hiragana, Katakana, Bopomofo, Hangul compatibility Jamo, Kanbun, CJK strokes, enclosed CJK
    0x3400...0x4DBF,  // CJK Unified Ideographs Extension A
    0x4E00...0x9FFF,  // CJK Unified Ideographs
    0xA000...0xA4CF,  // Yi
    0xA960...0xA97F,  // Hangul Jamo Extended-A
    0xAC00...0xD7A3,  // Hangul syllables
    0xF900...0xFAFF,  // CJK Compatibility Ideographs
    0xFE10...0xFE19,  // vertical forms
    0xFE30...0xFE6F,  // CJK compatibility forms, small form variants
    0xFF01...0xFF60,  // fullwidth ASCII forms
    0xFFE0...0xFFE6,  // fullwidth signs
    0x16FE0...0x18AFF,  // ideographic symbols, Tangut
    0x1B000...0x1B2FF,  // Kana supplement and extensions, Nüshu
    0x20000...0x2FFFD,  // CJK Unified Ideographs Extensions B–F, compatibility supplement
    0x30000...0x3FFFD,  // CJK Unified Ideographs Extensions G–H
]

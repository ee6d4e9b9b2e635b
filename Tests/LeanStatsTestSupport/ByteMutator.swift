/// Deterministic mutations of valid input files for bounded fuzz runs: bit flips, truncations, splices and
/// numeric extremes written over the digits of a number.
public struct ByteMutator {
    /// The generator; the same seed gives the same mutations on every run.
    public var random: SeededGenerator

    /// Numbers that sit at or beyond the limits of the types and ranges inputs are read into.
    public static let extremes: [String] = [
        "0", "-1", "1e30", "1e300", "-1e300", "1e17", "100000000000000000", "9999999999999999999999999",
        "9223372036854775807", "9223372036854775808", "-9223372036854775808", "4294967296", "NaN", "inf", "-0",
        "0.000000001", "1e-320", "99999999999999.99", "10000000000000.01", "18446744073709551616",
    ]

    /// Creates a mutator.
    /// - Parameter seed: The seed of its generator.
    public init(seed: UInt64) { random = SeededGenerator(seed: seed) }

    /// A random integer in a range.
    public mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &random) }

    /// One to `maximum` mutations of `bytes`, each picked at random.
    /// - Parameters:
    ///   - bytes: A valid input.
    ///   - maximum: The most mutations to apply.
    /// - Returns: The mutated bytes.
    public mutating func mutate(_ bytes: [UInt8], maximum: Int = 3) -> [UInt8] {
        var result = bytes
        for _ in 0..<int(1...maximum) {
            switch int(0...4) {
            case 0: flipBits(&result)
            case 1: truncate(&result)
            case 2: splice(&result)
            default: replaceNumber(&result)
            }
        }
        return result
    }

    /// Flips one to eight random bits.
    public mutating func flipBits(_ bytes: inout [UInt8]) {
        guard !bytes.isEmpty else { return }
        for _ in 0..<int(1...8) { bytes[int(0...(bytes.count - 1))] ^= UInt8(1) << UInt8(int(0...7)) }
    }

    /// Cuts the bytes at a random point.
    public mutating func truncate(_ bytes: inout [UInt8]) {
        bytes.removeLast(int(0...bytes.count))
    }

    /// Copies a random slice of the bytes over, or in at, another random place.
    public mutating func splice(_ bytes: inout [UInt8]) {
        guard bytes.count > 1 else { return }
        let start = int(0...(bytes.count - 1))
        let piece = Array(bytes[start..<min(bytes.count, start + int(1...64))])
        let target = int(0...bytes.count)
        if int(0...1) == 0 {
            bytes.insert(contentsOf: piece, at: target)
        } else {
            bytes.replaceSubrange(target..<min(bytes.count, target + piece.count), with: piece)
        }
    }

    /// Replaces the digits of a random number in the bytes with an extreme value.
    public mutating func replaceNumber(_ bytes: inout [UInt8]) {
        let isDigit = { (byte: UInt8) in byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        let digits = bytes.indices.filter { isDigit(bytes[$0]) }
        guard let pick = digits.isEmpty ? nil : digits[int(0...(digits.count - 1))] else { return }
        var start = pick
        var end = pick
        while start > 0, isDigit(bytes[start - 1]) { start -= 1 }
        while end < bytes.count, isDigit(bytes[end]) { end += 1 }
        bytes.replaceSubrange(start..<end, with: Array(Self.extremes[int(0...(Self.extremes.count - 1))].utf8))
    }
}

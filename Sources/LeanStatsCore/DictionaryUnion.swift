import Dispatch
import Foundation

/// One dictionary made of a base dictionary and parts, with the code every part entry has in it.
///
/// The base keeps its codes; part entries that are new follow in order of first appearance (part by part, each
/// in code order), which is the order a ``StringDictionaryBuilder`` fed the same values would give. Parts marked
/// look-up-only add nothing: their entries map to the code of an equal entry, or to 0.
///
/// Entries are hashed and deduplicated in partitions by hash, in parallel, so a union of ten million distinct
/// values works on cache-sized hash tables instead of one table that misses the cache on every probe.
public struct DictionaryUnion: Sendable {
    /// The merged dictionary.
    public let dictionary: StringDictionary
    /// For each part, in order: its code → the code in ``dictionary``; index 0 (missing) maps to 0.
    public let maps: [[UInt32]]

    /// Merges `parts` into `base`.
    /// - Parameters:
    ///   - base: The dictionary whose codes stay as they are.
    ///   - parts: The dictionaries to add, in order.
    ///   - lookupOnly: For each part, whether it may only find entries (default: none is).
    /// - Complexity: O(total bytes) hashing and O(entries) table work, spread over the active cores.
    public init(base: StringDictionary, parts: [StringDictionary], lookupOnly: [Bool] = []) {
        let lookupOnly = lookupOnly + Array(repeating: false, count: max(0, parts.count - lookupOnly.count))
        // The common case of one part and nothing to merge with: it is already a dictionary.
        if base.count <= 1, parts.count == 1, !lookupOnly[0] {
            dictionary = parts[0]
            maps = [Array(0..<UInt32(parts[0].count))]
            return
        }
        let sources = [base] + parts
        var starts = [0]
        for source in sources { starts.append(starts[starts.count - 1] + max(source.count - 1, 0)) }
        let merged = UnionWork(sources: sources, starts: starts, addable: [true] + lookupOnly.map { !$0 }).run()
        dictionary = merged.dictionary
        maps = parts.indices.map { part in
            [0] + merged.codes[starts[part + 1]..<starts[part + 2]]
        }
    }
}

/// The working state of one union: entries are numbered by a global ordinal, source by source.
private struct UnionWork: @unchecked Sendable {
    let sources: [StringDictionary]
    /// `starts[s]` is the ordinal of source `s`'s code 1; the last element is the number of entries.
    let starts: [Int]
    let addable: [Bool]

    private static let none = UInt32.max

    var total: Int { starts[starts.count - 1] }

    /// The source and code of an ordinal.
    @inline(__always)
    func locate(_ ordinal: Int) -> (source: Int, code: Int) {
        var low = 0
        var high = sources.count - 1
        while low < high {
            let mid = (low + high + 1) >> 1
            if starts[mid] <= ordinal { low = mid } else { high = mid - 1 }
        }
        return (low, ordinal - starts[low] + 1)
    }

    @inline(__always)
    func bytes(_ ordinal: Int) -> ArraySlice<UInt8> {
        let (source, code) = locate(ordinal)
        let dictionary = sources[source]
        return dictionary.bytes[dictionary.offsets[code]..<dictionary.offsets[code + 1]]
    }

    func run() -> (dictionary: StringDictionary, codes: [UInt32]) {
        let total = total
        let workers = max(1, ProcessInfo.processInfo.activeProcessorCount)
        // Hashes, computed source slice by source slice in parallel.
        var hashes = [UInt64](repeating: 0, count: total)
        let sliceCount = max(1, min(total / 65_536, workers * 16))
        hashes.withUnsafeMutableBufferPointer { hashes in
            let shared = UnsafeTransfer(value: hashes)
            DispatchQueue.concurrentPerform(iterations: sliceCount) { slice in
                let range = (total * slice / sliceCount)..<(total * (slice + 1) / sliceCount)
                guard !range.isEmpty else { return }
                var (source, code) = locate(range.lowerBound)
                for ordinal in range {
                    while code >= sources[source].count {
                        source += 1
                        code = 1
                    }
                    let dictionary = sources[source]
                    shared.value[ordinal] = dictionary.bytes.withUnsafeBufferPointer { all in
                        StringDictionaryBuilder.hash(
                            UnsafeBufferPointer(rebasing: all[dictionary.offsets[code]..<dictionary.offsets[code + 1]])
                        )
                    }
                    code += 1
                }
            }
        }
        // Partition ordinals by the top bits of their hash (a counting sort, keeping ordinal order).
        var partitionBits = 0
        while partitionBits < 12, total >> partitionBits > 32_768 { partitionBits += 1 }
        let partitions = 1 << partitionBits
        let shift = UInt64(64 - partitionBits)
        @inline(__always) func partition(_ hash: UInt64) -> Int { partitionBits == 0 ? 0 : Int(hash >> shift) }
        var bounds = [Int](repeating: 0, count: partitions + 1)
        for hash in hashes { bounds[partition(hash) + 1] += 1 }
        for index in 0..<partitions { bounds[index + 1] += bounds[index] }
        var members = [UInt32](repeating: 0, count: total)
        var cursor = bounds
        for ordinal in 0..<total {
            let target = partition(hashes[ordinal])
            members[cursor[target]] = UInt32(ordinal)
            cursor[target] += 1
        }
        // In each partition, the first equal entry of every entry (or `none` for a look-up that finds nothing).
        var first = [UInt32](repeating: 0, count: total)
        hashes.withUnsafeBufferPointer { hashes in
            first.withUnsafeMutableBufferPointer { first in
                let shared = UnsafeTransfer(value: (hashes, first, members, bounds))
                DispatchQueue.concurrentPerform(iterations: partitions) { index in
                    let (hashes, first, members, bounds) = shared.value
                    dedupe(members[bounds[index]..<bounds[index + 1]], hashes: hashes, first: first)
                }
            }
        }
        // Codes in ordinal order: the base keeps its codes, new entries are numbered as they first appear.
        let base = sources[0]
        var bytes = base.bytes
        var offsets = base.offsets
        var codes = [UInt32](repeating: 0, count: total)
        for ordinal in 0..<starts[1] { codes[ordinal] = UInt32(ordinal + 1) }
        var source = 1
        var code = 1
        for ordinal in starts[1]..<total {
            while code >= sources[source].count {
                source += 1
                code = 1
            }
            let earlier = first[ordinal]
            if earlier == Self.none {
                codes[ordinal] = 0
            } else if earlier == UInt32(ordinal) {
                let dictionary = sources[source]
                bytes.append(contentsOf: dictionary.bytes[dictionary.offsets[code]..<dictionary.offsets[code + 1]])
                offsets.append(bytes.count)
                codes[ordinal] = UInt32(offsets.count - 2)
            } else {
                codes[ordinal] = codes[Int(earlier)]
            }
            code += 1
        }
        return (StringDictionary(bytes: bytes, offsets: offsets), codes)
    }

    /// Finds, for each member of one partition (ordinals ascending), the first earlier equal entry.
    private func dedupe(
        _ members: ArraySlice<UInt32>,
        hashes: UnsafeBufferPointer<UInt64>,
        first: UnsafeMutableBufferPointer<UInt32>
    ) {
        var capacity = 16
        while capacity < members.count * 2 { capacity <<= 1 }
        let mask = capacity - 1
        // Ordinal + 1 of the entry in each slot; 0 is empty.
        var slots = [UInt32](repeating: 0, count: capacity)
        var source = 0
        for member in members {
            let ordinal = Int(member)
            while starts[source + 1] <= ordinal { source += 1 }
            let hash = hashes[ordinal]
            var slot = Int(truncatingIfNeeded: hash) & mask
            var found = Self.none
            while slots[slot] != 0 {
                let other = Int(slots[slot] - 1)
                if hashes[other] == hash, bytes(other) == bytes(ordinal) {
                    found = UInt32(other)
                    break
                }
                slot = (slot + 1) & mask
            }
            if found != Self.none {
                first[ordinal] = found
            } else if addable[source] {
                slots[slot] = member + 1
                first[ordinal] = member
            } else {
                first[ordinal] = Self.none
            }
        }
    }
}

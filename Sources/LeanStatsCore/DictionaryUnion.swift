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

/// The working state of one union: entries are numbered by a global ordinal, source by source, and their bytes are
/// laid end to end so that every comparison reads through one buffer.
private struct UnionWork: @unchecked Sendable {
    let sources: [StringDictionary]
    /// `starts[s]` is the ordinal of source `s`'s code 1; the last element is the number of entries.
    let starts: [Int]
    let addable: [Bool]

    private static let none = UInt32.max

    var total: Int { starts[starts.count - 1] }

    func run() -> (dictionary: StringDictionary, codes: [UInt32]) {
        let total = total
        let workers = max(1, ProcessInfo.processInfo.activeProcessorCount)
        // Every entry's bytes end to end: ordinal `o` is `bytes[offsets[o] ..< offsets[o + 1]]`.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(sources.reduce(0) { $0 + $1.bytes.count })
        var offsets = [Int](repeating: 0, count: total + 1)
        for (index, source) in sources.enumerated() where source.count > 1 {
            let shift = bytes.count
            bytes.append(contentsOf: source.bytes)
            for code in 1..<source.count { offsets[starts[index] + code] = source.offsets[code + 1] + shift }
        }
        let first = bytes.withUnsafeBufferPointer { bytes in
            offsets.withUnsafeBufferPointer { offsets in
                firstOccurrences(bytes: bytes, offsets: offsets, workers: workers)
            }
        }
        // Codes in ordinal order: the base keeps its codes, new entries are numbered as they first appear.
        var codes = [UInt32](repeating: 0, count: total)
        var kept = 0
        for ordinal in 0..<total {
            let earlier = first[ordinal]
            if earlier == UInt32(ordinal) {
                kept += 1
                codes[ordinal] = UInt32(kept)
            } else {
                codes[ordinal] = earlier == Self.none ? 0 : codes[Int(earlier)]
            }
        }
        if kept == total { return (StringDictionary(bytes: bytes, offsets: [0] + offsets), codes) }
        var keptBytes: [UInt8] = []
        var keptOffsets = [0, 0]
        keptOffsets.reserveCapacity(kept + 2)
        bytes.withUnsafeBufferPointer { bytes in
            for ordinal in 0..<total where first[ordinal] == UInt32(ordinal) {
                let entry = bytes[offsets[ordinal]..<offsets[ordinal + 1]]
                keptBytes.append(contentsOf: UnsafeBufferPointer(rebasing: entry))
                keptOffsets.append(keptBytes.count)
            }
        }
        return (StringDictionary(bytes: keptBytes, offsets: keptOffsets), codes)
    }

    /// For every ordinal, the first ordinal with equal bytes (itself when it is the first), or `none` for an entry
    /// of a look-up-only source that no addable entry equals.
    ///
    /// (hash, ordinal) pairs are scattered into partitions by the top bits of the hash, slice by slice in
    /// parallel, so that each partition keeps ordinal order and its hash table fits in the cache.
    private func firstOccurrences(
        bytes: UnsafeBufferPointer<UInt8>,
        offsets: UnsafeBufferPointer<Int>,
        workers: Int
    ) -> [UInt32] {
        let total = total
        let text = UnsafeTransfer(value: (bytes, offsets))
        // Partitions of about 16k entries (up to 4096 of them), numbered by the top bits of the hash.
        let partitionBits = min((0...12).first { total >> $0 <= 16_384 } ?? 12, 12)
        let partitions = 1 << partitionBits
        let shift = UInt64(64 - partitionBits)
        // A shift by 64 gives 0: one partition.
        @Sendable @inline(__always) func partition(_ hash: UInt64) -> Int { Int(hash >> shift) }
        let sliceCount = max(1, min(total / 65_536, workers * 4))
        @Sendable @inline(__always) func slice(_ index: Int) -> Range<Int> {
            (total * index / sliceCount)..<(total * (index + 1) / sliceCount)
        }
        // Hashes and a histogram per slice.
        var hashes = [UInt64](repeating: 0, count: total)
        var counts = [Int](repeating: 0, count: sliceCount * partitions)
        hashes.withUnsafeMutableBufferPointer { hashes in
            counts.withUnsafeMutableBufferPointer { counts in
                let shared = UnsafeTransfer(value: (hashes, counts))
                DispatchQueue.concurrentPerform(iterations: sliceCount) { index in
                    let (hashes, counts) = shared.value
                    let (bytes, offsets) = text.value
                    for ordinal in slice(index) {
                        let hash = StringDictionaryBuilder.hash(
                            UnsafeBufferPointer(rebasing: bytes[offsets[ordinal]..<offsets[ordinal + 1]])
                        )
                        hashes[ordinal] = hash
                        counts[index * partitions + partition(hash)] += 1
                    }
                }
            }
        }
        // Where each slice writes in each partition; partitions are contiguous, slices in order within them.
        var bounds = [Int](repeating: 0, count: partitions + 1)
        var cursors = [Int](repeating: 0, count: sliceCount * partitions)
        var position = 0
        for target in 0..<partitions {
            bounds[target] = position
            for index in 0..<sliceCount {
                cursors[index * partitions + target] = position
                position += counts[index * partitions + target]
            }
        }
        bounds[partitions] = position
        let partitionBounds = bounds
        var entries = [PartitionEntry](repeating: PartitionEntry(hash: 0, ordinal: 0), count: total)
        var first = [UInt32](repeating: 0, count: total)
        hashes.withUnsafeBufferPointer { hashes in
            entries.withUnsafeMutableBufferPointer { entries in
                cursors.withUnsafeMutableBufferPointer { cursors in
                    let shared = UnsafeTransfer(value: (hashes, entries, cursors))
                    DispatchQueue.concurrentPerform(iterations: sliceCount) { index in
                        let (hashes, entries, cursors) = shared.value
                        for ordinal in slice(index) {
                            let cursor = index * partitions + partition(hashes[ordinal])
                            entries[cursors[cursor]] = PartitionEntry(hash: hashes[ordinal], ordinal: UInt32(ordinal))
                            cursors[cursor] += 1
                        }
                    }
                }
            }
            entries.withUnsafeBufferPointer { entries in
                first.withUnsafeMutableBufferPointer { first in
                    let shared = UnsafeTransfer(value: (entries, first))
                    DispatchQueue.concurrentPerform(iterations: partitions) { index in
                        let (entries, first) = shared.value
                        let (bytes, offsets) = text.value
                        dedupe(
                            UnsafeBufferPointer(rebasing: entries[partitionBounds[index]..<partitionBounds[index + 1]]),
                            bytes: bytes,
                            offsets: offsets,
                            first: first
                        )
                    }
                }
            }
        }
        return first
    }

    /// Finds, for each entry of one partition (ordinals ascending), the first earlier equal entry.
    private func dedupe(
        _ entries: UnsafeBufferPointer<PartitionEntry>,
        bytes: UnsafeBufferPointer<UInt8>,
        offsets: UnsafeBufferPointer<Int>,
        first: UnsafeMutableBufferPointer<UInt32>
    ) {
        var capacity = 16
        while capacity < entries.count * 2 { capacity <<= 1 }
        let mask = capacity - 1
        // Index + 1 of the partition entry in each slot; 0 is empty.
        var slots = [UInt32](repeating: 0, count: capacity)
        let base = bytes.baseAddress
        @inline(__always) func equal(_ left: Int, _ right: Int) -> Bool {
            let length = offsets[left + 1] - offsets[left]
            guard offsets[right + 1] - offsets[right] == length else { return false }
            return length == 0 || memcmp(base! + offsets[left], base! + offsets[right], length) == 0
        }
        var source = 0
        slots.withUnsafeMutableBufferPointer { slots in
            for index in entries.indices {
                let entry = entries[index]
                let ordinal = Int(entry.ordinal)
                while starts[source + 1] <= ordinal { source += 1 }
                var slot = Int(truncatingIfNeeded: entry.hash) & mask
                var found = Self.none
                while slots[slot] != 0 {
                    let other = entries[Int(slots[slot] - 1)]
                    if other.hash == entry.hash, equal(Int(other.ordinal), ordinal) {
                        found = other.ordinal
                        break
                    }
                    slot = (slot + 1) & mask
                }
                if found != Self.none {
                    first[ordinal] = found
                } else if addable[source] {
                    slots[slot] = UInt32(index + 1)
                    first[ordinal] = entry.ordinal
                } else {
                    first[ordinal] = Self.none
                }
            }
        }
    }
}

/// An entry's hash and ordinal, side by side so that a partition's probes stay in one cache line per entry.
private struct PartitionEntry {
    var hash: UInt64
    var ordinal: UInt32
}

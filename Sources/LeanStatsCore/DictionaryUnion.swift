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
    public init(base: consuming StringDictionary, parts: consuming [StringDictionary], lookupOnly: [Bool] = []) {
        self.init(base: base, parts: parts, hashes: [], repeating: false, lookupOnly: lookupOnly)
    }

    /// Merges the entries of `parts` into `base`, reusing the hashes of the builders that still look values up.
    ///
    /// Builders that stopped looking values up (``StringDictionaryBuilder/appendsOnly``) may hold repeated
    /// entries; each maps to the code of the value's first appearance, as if it had been looked up.
    ///
    /// The sources are freed as soon as their entries are copied, when the caller holds no other copy
    /// of them (pass them with `consume`): a union of ten million values then holds its sources and its own
    /// copy side by side only while it copies.
    /// - Parameters:
    ///   - base: The dictionary whose codes stay as they are.
    ///   - parts: The builders to add, in order.
    ///   - lookupOnly: For each part, whether it may only find entries (default: none is).
    public init(
        base: consuming StringDictionary,
        builders parts: consuming [StringDictionaryBuilder],
        lookupOnly: [Bool] = []
    ) {
        let repeating = parts.contains(where: \.appendsOnly)
        let hashes = [nil] + parts.map { $0.appendsOnly ? nil : $0.hashes }
        let dictionaries = parts.map { StringDictionary(bytes: $0.bytes, offsets: $0.offsets) }
        _ = consume parts
        self.init(base: base, parts: dictionaries, hashes: hashes, repeating: repeating, lookupOnly: lookupOnly)
    }

    /// The union of `base` and `parts`; `hashes` holds each source's entry hashes by code (the base first) where
    /// known, and `repeating` says whether a part may hold an entry twice.
    private init(
        base: consuming StringDictionary,
        parts: consuming [StringDictionary],
        hashes: consuming [[UInt64]?],
        repeating: Bool,
        lookupOnly: [Bool]
    ) {
        let lookupOnly = lookupOnly + Array(repeating: false, count: max(0, parts.count - lookupOnly.count))
        // The common case of one part and nothing to merge with: it is already a dictionary.
        if base.count <= 1, parts.count == 1, !lookupOnly[0], !repeating {
            dictionary = parts[0]
            maps = [Array(0..<UInt32(parts[0].count))]
            return
        }
        (dictionary, maps) = Self.merge(base: base, parts: parts, hashes: hashes, lookupOnly: lookupOnly)
    }

    /// The union of `base` and `parts`, with each part's map; `hashes` holds each source's entry hashes by code
    /// (the base first) where known.
    private static func merge(
        base: consuming StringDictionary,
        parts: consuming [StringDictionary],
        hashes: consuming [[UInt64]?],
        lookupOnly: [Bool]
    ) -> (StringDictionary, [[UInt32]]) {
        let partCount = parts.count
        var sources = [consume base]
        sources += consume parts
        var starts = [0]
        for source in sources { starts.append(starts[starts.count - 1] + max(source.count - 1, 0)) }
        var knownHashes = consume hashes
        knownHashes += Array(repeating: nil, count: sources.count - knownHashes.count)
        let merged = UnionWork(
            sources: consume sources,
            knownHashes: consume knownHashes,
            starts: starts,
            addable: [true] + lookupOnly.map { !$0 }
        ).run()
        let maps = (0..<partCount).map { part in
            let run = starts[part + 1]..<starts[part + 2]
            guard let codes = merged.codes else {
                // Every entry kept in ordinal order: ordinal `o` has code `o + 1`.
                return [0] + (UInt32(run.lowerBound + 1)..<UInt32(run.upperBound + 1))
            }
            return [0] + codes[run]
        }
        return (merged.dictionary, maps)
    }
}

/// The working state of one union: entries are numbered by a global ordinal, source by source, and their bytes are
/// laid end to end so that every comparison reads through one buffer.
private struct UnionWork: @unchecked Sendable {
    /// The dictionaries to merge, the base first; ``run()`` frees them once their entries are copied.
    var sources: [StringDictionary]
    /// Each source's entry hashes by code (index 0 unused), where its builder kept them.
    let knownHashes: [[UInt64]?]
    /// `starts[s]` is the ordinal of source `s`'s code 1; the last element is the number of entries.
    let starts: [Int]
    let addable: [Bool]

    private static let none = UInt32.max

    var total: Int { starts[starts.count - 1] }

    /// The merged dictionary and, in ordinal order, each entry's code in it; `codes` is `nil` when every entry is
    /// kept in ordinal order (ordinal `o` has code `o + 1`).
    consuming func run() -> (dictionary: StringDictionary, codes: [UInt32]?) {
        let total = total
        let workers = max(1, ProcessInfo.processInfo.activeProcessorCount)
        // Every entry's bytes end to end: ordinal `o` is `bytes[ends[o] ..< ends[o + 1]]`. `ends` leads with an
        // extra 0, so that it is already a dictionary's offsets when every entry is kept.
        var shifts = [0]
        for source in sources { shifts.append(shifts[shifts.count - 1] + source.bytes.count) }
        let byteCount = shifts[shifts.count - 1]
        var bytes = [UInt8](unsafeUninitializedCapacity: byteCount) { _, count in count = byteCount }
        var ends = [Int](unsafeUninitializedCapacity: total + 2) { buffer, count in
            buffer[0] = 0
            buffer[1] = 0
            count = total + 2
        }
        copySources(into: &bytes, ends: &ends, shifts: shifts)
        if total >= 1 << 20 { FreedMemory.release() }
        let found = bytes.withUnsafeBufferPointer { bytes in
            ends.withUnsafeBufferPointer { ends in
                firstOccurrences(bytes: bytes, offsets: UnsafeBufferPointer(rebasing: ends[1...]), workers: workers)
            }
        }
        guard let first = found else {
            // Every entry is distinct and kept, in ordinal order.
            return (StringDictionary(bytes: bytes, offsets: ends), nil)
        }
        // Codes in ordinal order: the base keeps its codes, new entries are numbered as they first appear.
        var kept = 0
        var keptByteCount = 0
        let codes = [UInt32](unsafeUninitializedCapacity: total) { codes, count in
            first.withUnsafeBufferPointer { first in
                ends.withUnsafeBufferPointer { ends in
                    for ordinal in 0..<total {
                        let earlier = first[ordinal]
                        if earlier == UInt32(ordinal) {
                            kept += 1
                            keptByteCount += ends[ordinal + 2] - ends[ordinal + 1]
                            codes[ordinal] = UInt32(kept)
                        } else {
                            codes[ordinal] = earlier == Self.none ? 0 : codes[Int(earlier)]
                        }
                    }
                }
            }
            count = total
        }
        if kept == total { return (StringDictionary(bytes: bytes, offsets: ends), codes) }
        // The kept entries' bytes and offsets, written in place at their known sizes.
        var keptOffsets = [Int](unsafeUninitializedCapacity: kept + 2) { offsets, count in
            offsets[0] = 0
            offsets[1] = 0
            count = kept + 2
        }
        let keptBytes = [UInt8](unsafeUninitializedCapacity: keptByteCount) { keptBytes, count in
            bytes.withUnsafeBufferPointer { bytes in
                ends.withUnsafeBufferPointer { ends in
                    first.withUnsafeBufferPointer { first in
                        keptOffsets.withUnsafeMutableBufferPointer { keptOffsets in
                            var written = 0
                            var code = 1
                            for ordinal in 0..<total where first[ordinal] == UInt32(ordinal) {
                                let start = ends[ordinal + 1]
                                let length = ends[ordinal + 2] - start
                                if length > 0 {
                                    (keptBytes.baseAddress! + written).initialize(
                                        from: bytes.baseAddress! + start,
                                        count: length
                                    )
                                }
                                written += length
                                code += 1
                                keptOffsets[code] = written
                            }
                        }
                    }
                }
            }
            count = keptByteCount
        }
        return (StringDictionary(bytes: keptBytes, offsets: keptOffsets), codes)
    }

    /// Copies every source's bytes to its place in `bytes` (source `s` at `shifts[s]`) and its entries' end
    /// offsets to `ends`, sources spread over every core, freeing each source once it is copied.
    ///
    /// The sources' pages go back as the copy grows, a few dozen megabytes at a time: they are many small blocks,
    /// which neither the copy nor the work arrays would fit in.
    private mutating func copySources(into bytes: inout [UInt8], ends: inout [Int], shifts: [Int]) {
        let starts = starts
        let unreleased = Locked(0)
        sources.withUnsafeMutableBufferPointer { sources in
            bytes.withUnsafeMutableBufferPointer { bytes in
                ends.withUnsafeMutableBufferPointer { ends in
                    let shared = UnsafeTransfer(value: (sources, bytes, ends))
                    DispatchQueue.concurrentPerform(iterations: sources.count) { index in
                        let (sources, bytes, ends) = shared.value
                        // The source's storage goes when this block ends, before any release below.
                        let freed: Int
                        do {
                            let source = sources[index]
                            sources[index] = StringDictionary()
                            let shift = shifts[index]
                            source.bytes.withUnsafeBufferPointer { sourceBytes in
                                guard let base = sourceBytes.baseAddress, !sourceBytes.isEmpty else { return }
                                (bytes.baseAddress! + shift).initialize(from: base, count: sourceBytes.count)
                            }
                            source.offsets.withUnsafeBufferPointer { offsets in
                                let target = ends.baseAddress! + starts[index] + 1
                                for code in 1..<max(offsets.count - 1, 1) { target[code] = offsets[code + 1] + shift }
                            }
                            freed = source.bytes.count + source.offsets.count * MemoryLayout<Int>.size
                        }
                        let due = unreleased.withLock { total in
                            total += freed
                            guard total >= 32 << 20 else { return false }
                            total = 0
                            return true
                        }
                        if due { FreedMemory.release() }
                    }
                }
            }
        }
    }

    /// For every ordinal, the first ordinal with equal bytes (itself when it is the first), or `none` for an entry
    /// of a look-up-only source that no addable entry equals; `nil` when every entry is the first of its value.
    ///
    /// Entries are scattered into partitions by the top bits of the hash, slice by slice in parallel, so that each
    /// partition keeps ordinal order and its hash table fits in the cache. When values repeat often, each entry's
    /// bytes are copied next to its partition's, so that comparing an entry with an earlier equal one reads the
    /// cache instead of two random places in the whole text. Hashes are taken again in each pass (from the
    /// builders where they kept them) rather than held in ordinal order: that would be 8 more bytes per entry at
    /// the union's busiest moment, for a pass over bytes that are read anyway.
    private func firstOccurrences(
        bytes: UnsafeBufferPointer<UInt8>,
        offsets: UnsafeBufferPointer<Int>,
        workers: Int
    ) -> [UInt32]? {
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
        // A histogram per slice.
        var counts = [Int](repeating: 0, count: sliceCount * partitions)
        var byteCounts = [Int](repeating: 0, count: sliceCount * partitions)
        counts.withUnsafeMutableBufferPointer { counts in
            byteCounts.withUnsafeMutableBufferPointer { byteCounts in
                let shared = UnsafeTransfer(value: (counts, byteCounts))
                DispatchQueue.concurrentPerform(iterations: sliceCount) { index in
                    let (counts, byteCounts) = shared.value
                    let (bytes, offsets) = text.value
                    forEachHash(in: slice(index), bytes: bytes, offsets: offsets) { ordinal, hash in
                        counts[index * partitions + partition(hash)] += 1
                        byteCounts[index * partitions + partition(hash)] += offsets[ordinal + 1] - offsets[ordinal]
                    }
                }
            }
        }
        // Where each slice writes in each partition, entries and bytes; partitions are contiguous, slices in order
        // within them.
        var bounds = [Int](repeating: 0, count: partitions + 1)
        var cursors = [Int](repeating: 0, count: sliceCount * partitions)
        var byteCursors = [Int](repeating: 0, count: sliceCount * partitions)
        var position = 0
        var bytePosition = 0
        for target in 0..<partitions {
            bounds[target] = position
            for index in 0..<sliceCount {
                cursors[index * partitions + target] = position
                position += counts[index * partitions + target]
                byteCursors[index * partitions + target] = bytePosition
                bytePosition += byteCounts[index * partitions + target]
            }
        }
        bounds[partitions] = position
        let partitionBounds = bounds
        // Values that nearly never repeat (ids) are compared only on the rare equal hash: their bytes stay where
        // they are instead of being copied. When no two of their hashes are equal, no two values are.
        let copiesBytes = repeatsOften(bytes: bytes, offsets: offsets)
        if !copiesBytes, addable.allSatisfy({ $0 }),
            hashesAreDistinct(
                bytes: bytes,
                offsets: offsets,
                cursors: cursors,
                bounds: partitionBounds,
                slices: (count: sliceCount, range: slice),
                partition: partition
            )
        {
            return nil
        }
        var entries = [PartitionEntry](
            repeating: PartitionEntry(hash: 0, ordinal: 0, length: 0, start: 0),
            count: total
        )
        var arena = [UInt8](repeating: 0, count: copiesBytes ? bytePosition : 0)
        var first = [UInt32](repeating: 0, count: total)
        entries.withUnsafeMutableBufferPointer { entries in
            arena.withUnsafeMutableBufferPointer { arena in
                cursors.withUnsafeMutableBufferPointer { cursors in
                    byteCursors.withUnsafeMutableBufferPointer { byteCursors in
                        let shared = UnsafeTransfer(value: (entries, arena, cursors, byteCursors))
                        DispatchQueue.concurrentPerform(iterations: sliceCount) { index in
                            let (entries, arena, cursors, byteCursors) = shared.value
                            let (bytes, offsets) = text.value
                            forEachHash(in: slice(index), bytes: bytes, offsets: offsets) { ordinal, hash in
                                let cursor = index * partitions + partition(hash)
                                let length = offsets[ordinal + 1] - offsets[ordinal]
                                var start = offsets[ordinal]
                                if copiesBytes {
                                    start = byteCursors[cursor]
                                    if length > 0 {
                                        (arena.baseAddress! + start).update(
                                            from: bytes.baseAddress! + offsets[ordinal],
                                            count: length
                                        )
                                    }
                                }
                                entries[cursors[cursor]] = PartitionEntry(
                                    hash: hash,
                                    ordinal: UInt32(ordinal),
                                    length: UInt32(length),
                                    start: start
                                )
                                cursors[cursor] += 1
                                byteCursors[cursor] += length
                            }
                        }
                    }
                }
            }
        }
        entries.withUnsafeBufferPointer { entries in
            arena.withUnsafeBufferPointer { arena in
                first.withUnsafeMutableBufferPointer { first in
                    let shared = UnsafeTransfer(value: (entries, copiesBytes ? arena : text.value.0, first))
                    DispatchQueue.concurrentPerform(iterations: partitions) { index in
                        let (entries, stored, first) = shared.value
                        dedupe(
                            UnsafeBufferPointer(rebasing: entries[partitionBounds[index]..<partitionBounds[index + 1]]),
                            bytes: stored,
                            first: first
                        )
                    }
                }
            }
        }
        return first
    }

    /// Whether no two of `hashes` are equal: the hashes alone are scattered into their partitions (by the same
    /// cursors the entries use) and each partition is checked with a small set.
    private func hashesAreDistinct(
        bytes: UnsafeBufferPointer<UInt8>,
        offsets: UnsafeBufferPointer<Int>,
        cursors: [Int],
        bounds: [Int],
        slices: (count: Int, range: @Sendable (Int) -> Range<Int>),
        partition: @Sendable (UInt64) -> Int
    ) -> Bool {
        let partitions = bounds.count - 1
        var scattered = [UInt64](repeating: 0, count: total)
        var cursors = cursors
        scattered.withUnsafeMutableBufferPointer { scattered in
            cursors.withUnsafeMutableBufferPointer { cursors in
                let shared = UnsafeTransfer(value: (scattered, cursors, bytes, offsets))
                DispatchQueue.concurrentPerform(iterations: slices.count) { index in
                    let (scattered, cursors, bytes, offsets) = shared.value
                    forEachHash(in: slices.range(index), bytes: bytes, offsets: offsets) { _, hash in
                        let cursor = index * partitions + partition(hash)
                        scattered[cursors[cursor]] = hash
                        cursors[cursor] += 1
                    }
                }
            }
        }
        let repeated = Locked(false)
        scattered.withUnsafeBufferPointer { scattered in
            let shared = UnsafeTransfer(value: scattered)
            DispatchQueue.concurrentPerform(iterations: partitions) { index in
                if Self.holdsRepeat(shared.value[bounds[index]..<bounds[index + 1]]) {
                    repeated.withLock { $0 = true }
                }
            }
        }
        return !repeated.withLock { $0 }
    }

    /// Whether two of `hashes` are equal, found with a small open-addressing set.
    private static func holdsRepeat(_ hashes: Slice<UnsafeBufferPointer<UInt64>>) -> Bool {
        var capacity = 16
        while capacity < hashes.count * 2 { capacity <<= 1 }
        let mask = capacity - 1
        // Hash + 1 in each slot (a hash of all ones would wrap to 0 and is checked on its own).
        var slots = [UInt64](repeating: 0, count: capacity)
        var sawAllOnes = false
        for hash in hashes {
            if hash == .max {
                if sawAllOnes { return true }
                sawAllOnes = true
                continue
            }
            var slot = Int(truncatingIfNeeded: hash) & mask
            while slots[slot] != 0 {
                if slots[slot] == hash &+ 1 { return true }
                slot = (slot + 1) & mask
            }
            slots[slot] = hash &+ 1
        }
        return false
    }

    /// Whether the values repeat often enough for copying their bytes next to their partitions to pay: judged from
    /// how many of the last 4096 entries' hashes are among the first 65,536 entries' (ids: none; names, titles,
    /// categories: many).
    private func repeatsOften(bytes: UnsafeBufferPointer<UInt8>, offsets: UnsafeBufferPointer<Int>) -> Bool {
        let earlyCount = min(65_536, total / 2)
        var early = Set<UInt64>(minimumCapacity: earlyCount)
        forEachHash(in: 0..<earlyCount, bytes: bytes, offsets: offsets) { _, hash in early.insert(hash) }
        let late = (total - min(4096, total - earlyCount))..<total
        var repeated = 0
        forEachHash(in: late, bytes: bytes, offsets: offsets) { _, hash in
            if early.contains(hash) { repeated += 1 }
        }
        return late.isEmpty || repeated * 16 > late.count
    }

    /// Calls `body` with each ordinal of `range`, in order, and its hash: the one its builder kept, or computed
    /// from its bytes.
    @inline(__always)
    private func forEachHash(
        in range: Range<Int>,
        bytes: UnsafeBufferPointer<UInt8>,
        offsets: UnsafeBufferPointer<Int>,
        _ body: (Int, UInt64) -> Void
    ) {
        for source in knownHashes.indices
        where starts[source] < range.upperBound && starts[source + 1] > range.lowerBound {
            let run = max(range.lowerBound, starts[source])..<min(range.upperBound, starts[source + 1])
            if let known = knownHashes[source] {
                known.withUnsafeBufferPointer { known in
                    for ordinal in run { body(ordinal, known[ordinal - starts[source] + 1]) }
                }
            } else {
                for ordinal in run {
                    let entry = UnsafeBufferPointer(rebasing: bytes[offsets[ordinal]..<offsets[ordinal + 1]])
                    body(ordinal, StringDictionaryBuilder.hash(entry))
                }
            }
        }
    }

    /// Finds, for each entry of one partition (ordinals ascending), the first earlier equal entry.
    private func dedupe(
        _ entries: UnsafeBufferPointer<PartitionEntry>,
        bytes: UnsafeBufferPointer<UInt8>,
        first: UnsafeMutableBufferPointer<UInt32>
    ) {
        var capacity = 16
        while capacity < entries.count * 2 { capacity <<= 1 }
        let mask = capacity - 1
        // Index + 1 of the partition entry in each slot; 0 is empty.
        var slots = [UInt32](repeating: 0, count: capacity)
        let base = bytes.baseAddress
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
                    if other.hash == entry.hash, other.length == entry.length,
                        entry.length == 0
                            || StringDictionaryBuilder.bytesEqual(
                                base! + other.start,
                                base! + entry.start,
                                count: Int(entry.length)
                            )
                    {
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

/// An entry of a partition: its hash, ordinal, and where its bytes lie (in the partitions' byte arena, or in the
/// entries laid end to end when they are not copied).
private struct PartitionEntry {
    var hash: UInt64
    var ordinal: UInt32
    var length: UInt32
    var start: Int
}

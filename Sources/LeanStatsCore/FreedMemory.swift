/// Keeps freed memory for reuse during a bulk job, and hands it back to the system between the job's steps.
///
/// `leanstats import` tunes the C allocator to keep freed memory for reuse (``tuneAllocatorForBulkWork()``), which
/// spares page faults but lets a merge that frees one column while it builds a larger one hold both: the new
/// column rarely fits in the holes the old one left. Releasing the holes between the steps of a merge keeps the
/// resident size close to what is live. Without that tuning the allocator hands large blocks back by itself, and
/// ``release()`` does nothing: a dictionary union in a serving process then costs no heap walks.
public enum FreedMemory {
    /// Whether ``tuneAllocatorForBulkWork()`` ran in this process.
    private static let keepsFreedMemory = Locked(false)

    /// Tunes the C allocator for a bulk job (`import`) that allocates and frees columns of hundreds of megabytes:
    /// blocks of up to 2 GB come from the heap, freed memory is not handed back unasked, and one arena serves every
    /// thread. Freed columns are then reused instead of being returned to the kernel and faulted in, zeroed, again
    /// (a 10M-row import touches about 10 GB of fresh pages otherwise); ``release()`` hands back what is left
    /// between steps. Only for a process that ends after the job.
    public static func tuneAllocatorForBulkWork() {
        #if os(Linux)
        // glibc's `mallopt` parameters (malloc.h), which the Glibc module does not export.
        let trimThreshold: Int32 = -1
        let mmapThreshold: Int32 = -3
        let arenaMax: Int32 = -8
        _ = glibcMallopt(mmapThreshold, Int32.max)
        _ = glibcMallopt(trimThreshold, Int32.max)
        _ = glibcMallopt(arenaMax, 1)
        #endif
        keepsFreedMemory.withLock { $0 = true }
    }

    /// Returns the free pages of the C heap to the system (glibc's `malloc_trim`) when the allocator was tuned to
    /// keep them; does nothing otherwise, or off Linux.
    /// - Complexity: O(free chunks); one system call per run of free pages.
    public static func release() {
        #if os(Linux)
        guard keepsFreedMemory.withLock({ $0 }) else { return }
        _ = glibcMallocTrim(0)
        #endif
    }
}

#if os(Linux)
/// glibc's `int malloc_trim(size_t pad)`, which the Glibc module does not export.
@_silgen_name("malloc_trim")
private func glibcMallocTrim(_ pad: Int) -> Int32

/// glibc's `int mallopt(int param, int value)`.
@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif

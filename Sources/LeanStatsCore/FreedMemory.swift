/// Hands memory the process has freed back to the system.
///
/// `leanstats import` tunes the C allocator to keep freed memory for reuse (see `tuneAllocatorForBulkWork`), which
/// spares page faults but lets a merge that frees one column while it builds a larger one hold both: the new
/// column rarely fits in the holes the old one left. Releasing the holes between the steps of a merge keeps the
/// resident size close to what is live.
public enum FreedMemory {
    /// Returns the free pages of the C heap to the system (glibc's `malloc_trim`); does nothing elsewhere.
    /// - Complexity: O(free chunks); one system call per run of free pages.
    public static func release() {
        #if os(Linux)
        _ = glibcMallocTrim(0)
        #endif
    }
}

#if os(Linux)
/// glibc's `int malloc_trim(size_t pad)`, which the Glibc module does not export.
@_silgen_name("malloc_trim")
private func glibcMallocTrim(_ pad: Int) -> Int32
#endif

//! The binaries' allocator (`trawl` and `trawl-bench`, so that benchmarks measure what users
//! run; and the Python module's, `python/src/lib.rs`, for its own Rust allocations): mimalloc. Extraction makes many small short-lived allocations (matches, captures,
//! fields, records); with the system allocator they were a fifth of the instructions on a text
//! dense with names (`docs/PERFORMANCE.md`, "Allocator"). Freed memory goes back to the system
//! at once ([`init`]) and transparent huge pages are not used (the `no_thp` feature): with
//! mimalloc's defaults the peak memory of one 8 MB document grew from 65 MB to 107 MB. The
//! library leaves the allocator to its user.

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in the `mi_option_e` of `mimalloc.h` (v3, libmimalloc-sys 0.1.49,
/// pinned in `Cargo.toml`), which names no constant for it.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Sets the allocator's options; called first in `main`.
pub(crate) fn init() {
    // SAFETY: an option may be set at any time; this one only changes when freed memory is
    // returned to the system.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0) };
}

//! Asking the CPU to start loading memory before it is read: the framing
//! streams the input ahead of its position, the trackers the frames, slots
//! and connections of the segments ahead of theirs.

/// The size of a cache line.
pub(crate) const LINE: usize = 64;

/// Starts loading the cache line of `p`. Any address will do: a prefetch
/// never faults and changes nothing but the cache.
#[inline(always)]
pub(crate) fn line(p: *const u8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch has no architectural effect and never faults,
    // whatever the address.
    unsafe {
        std::arch::x86_64::_mm_prefetch(p.cast::<i8>(), std::arch::x86_64::_MM_HINT_T0);
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// Starts loading the `len` bytes from `p`, line by line.
#[inline(always)]
pub(crate) fn lines(p: *const u8, len: usize) {
    for i in 0..len.div_ceil(LINE) {
        line(p.wrapping_add(i * LINE));
    }
}

/// Starts loading the whole of `*v`.
#[inline(always)]
pub(crate) fn value<T>(v: &T) {
    lines((v as *const T).cast(), std::mem::size_of::<T>());
}

//! Spare buffers for a stream's big short-lived bytes, shared by the process.
//!
//! A read's plaintext, a send's records and the record layer's input are
//! each up to about 85 KiB, and each lives for one read or one write.
//! Allocated and freed every time, they sit at the top of a thread's heap,
//! and glibc gives that top back to the kernel whenever a free leaves more
//! than its trim threshold there: the next read faults every page in again
//! (BENCHMARKS.md, "glibc's trimming"). Here a finished buffer waits for
//! the next read or send of any connection instead. Spares that no one took
//! between two sweeps (about a second apart) are freed, so an idle process
//! keeps none. Smaller buffers are left to the allocator: a small message
//! should not hold 85 KiB.

use std::sync::{Mutex, MutexGuard};

/// The one size a spare has: the largest record layer input (a `buffer`
/// of 65 KiB read after a partial TLS 1.2 record of up to 18 KiB).
pub(crate) const SIZE: usize = 85 * 1024;
/// Below this a request gets a buffer of its own size: a spare then holds
/// at most twice what it carries (a read's plaintext may wait in an owner's
/// mailbox for long).
const MIN: usize = SIZE / 2;
/// Spares kept at most (about 11 MiB), whatever the sweeps say.
const KEEP: usize = 128;

struct Spares {
    bufs: Vec<Vec<u8>>,
    /// The fewest spares since the last sweep: that many were not needed.
    unused: usize,
}

/// The spares of a process (one static [`POOL`]; tests make their own).
struct Pool(Mutex<Spares>);

static POOL: Pool = Pool::new();

impl Pool {
    const fn new() -> Pool {
        Pool(Mutex::new(Spares {
            bufs: Vec::new(),
            unused: 0,
        }))
    }

    fn spares(&self) -> MutexGuard<'_, Spares> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn take(&self, len: usize) -> Vec<u8> {
        if !(MIN..=SIZE).contains(&len) {
            return Vec::with_capacity(len);
        }
        let spare = {
            let mut s = self.spares();
            let b = s.bufs.pop();
            s.unused = s.unused.min(s.bufs.len());
            b
        };
        spare.unwrap_or_else(|| Vec::with_capacity(SIZE))
    }

    fn give(&self, mut buf: Vec<u8>) {
        if buf.capacity() != SIZE {
            return;
        }
        buf.clear();
        let mut s = self.spares();
        if s.bufs.len() < KEEP {
            s.bufs.push(buf);
        }
    }

    fn sweep(&self) {
        let freed = {
            let mut s = self.spares();
            let keep = s.bufs.len() - s.unused.min(s.bufs.len());
            let freed = s.bufs.split_off(keep);
            s.unused = s.bufs.len();
            freed
        };
        // Freed outside the lock.
        drop(freed);
    }
}

/// An empty buffer with room for `len` bytes: a spare when `len` is in the
/// spares' range, else one of its own.
pub(crate) fn take(len: usize) -> Vec<u8> {
    POOL.take(len)
}

/// A buffer its holder is done with: kept as a spare when it is one (any
/// other is freed).
pub(crate) fn give(buf: Vec<u8>) {
    POOL.give(buf)
}

/// Free the spares that were not needed since the last sweep. The runtime's
/// epoch thread calls this about once a second.
pub(crate) fn sweep() {
    POOL.sweep()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held(p: &Pool) -> usize {
        p.spares().bufs.len()
    }

    #[test]
    fn a_spare_comes_back_empty_for_the_next_taker() {
        let p = Pool::new();
        // Small and oversized requests are the caller's own.
        assert_eq!(p.take(100).capacity(), 100);
        assert_eq!(p.take(SIZE + 1).capacity(), SIZE + 1);
        assert_eq!(p.take(MIN - 1).capacity(), MIN - 1);
        let mut a = p.take(MIN);
        assert_eq!(a.capacity(), SIZE);
        a.extend_from_slice(&[7; 1000]);
        let at = a.as_ptr();
        p.give(a);
        assert_eq!(held(&p), 1);
        let b = p.take(SIZE);
        assert_eq!(b.as_ptr(), at, "the same memory again");
        assert!(b.is_empty());
        assert_eq!(held(&p), 0);
        // A buffer of another size is freed, not kept.
        p.give(Vec::with_capacity(SIZE - 1));
        p.give(Vec::with_capacity(100));
        assert_eq!(held(&p), 0);
    }

    #[test]
    fn spares_no_one_took_between_two_sweeps_are_freed() {
        let p = Pool::new();
        for _ in 0..4 {
            p.give(Vec::with_capacity(SIZE));
        }
        p.sweep();
        // Since that sweep, 3 of the 4 were taken at once, then given back:
        // the fourth was not needed.
        let taken: Vec<_> = (0..3).map(|_| p.take(SIZE)).collect();
        taken.into_iter().for_each(|b| p.give(b));
        p.sweep();
        assert_eq!(held(&p), 3);
        // Nothing taken since: all go.
        p.sweep();
        assert_eq!(held(&p), 0);
    }

    #[test]
    fn no_more_than_keep_spares() {
        let p = Pool::new();
        for _ in 0..KEEP + 10 {
            p.give(Vec::with_capacity(SIZE));
        }
        assert_eq!(held(&p), KEEP);
    }
}

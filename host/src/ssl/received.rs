//! Decrypted data not yet delivered, with the boundaries of the batches it
//! arrived in.
//!
//! OTP decrypts the records of one TCP read together and concatenates their
//! application data into one binary; in raw mode a `recv(S, 0)` or an active
//! socket delivers one such binary per call or message. wassl feeds the
//! engine one TCP read at a time, so one feed's plaintext is one batch, and
//! an Erlang program sees the same message counts.

use std::collections::VecDeque;

/// The batches, each as it was decrypted: a stream's batches move in and
/// out whole (no copy, and none for those left behind); only a packet that
/// spans or splits batches is copied.
#[derive(Default)]
pub(crate) struct Received {
    batches: VecDeque<Vec<u8>>,
    len: usize,
    /// Where batches end inside the first, once [`Self::bytes`] joined
    /// them for framing (their last end is the first's own).
    joined: VecDeque<usize>,
}

impl Received {
    /// One feed's plaintext: a batch of its own (nothing for none).
    pub(crate) fn push(&mut self, plaintext: &mut Vec<u8>) {
        if plaintext.is_empty() {
            return;
        }
        self.len += plaintext.len();
        self.batches.push_back(std::mem::take(plaintext));
    }

    /// Everything, as one run of bytes: batches are joined (a packet mode
    /// frames across them), their boundaries kept.
    pub(crate) fn bytes(&mut self) -> &[u8] {
        if self.batches.len() > 1 {
            let mut first = self.batches.pop_front().unwrap_or_default();
            for mut b in self.batches.drain(..) {
                self.joined.push_back(first.len());
                first.append(&mut b);
            }
            self.batches.push_back(first);
        }
        self.batches.front().map_or(&[], |b| b)
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The first `n` bytes, whatever batches they span; whole batches move
    /// out without a copy.
    pub(crate) fn take(&mut self, n: usize) -> Vec<u8> {
        let mut out: Vec<u8> = Vec::new();
        let mut n = n.min(self.len);
        while n > 0 {
            let Some(first) = self.batches.front_mut() else {
                break;
            };
            let part = if n >= first.len() {
                self.joined.clear();
                self.batches.pop_front().unwrap_or_default()
            } else {
                let part = first[..n].to_vec();
                first.drain(..n);
                while self.joined.front().is_some_and(|&e| e <= n) {
                    self.joined.pop_front();
                }
                self.joined.iter_mut().for_each(|e| *e -= n);
                part
            };
            n -= part.len();
            self.len -= part.len();
            if out.is_empty() {
                out = part;
            } else {
                out.extend_from_slice(&part);
            }
        }
        out
    }

    /// The first batch (or what is left of it).
    pub(crate) fn take_batch(&mut self) -> Vec<u8> {
        let n = match (self.joined.front(), self.batches.front()) {
            (Some(&end), _) => end,
            (None, Some(b)) => b.len(),
            (None, None) => 0,
        };
        self.take(n)
    }

    /// Everything, as one.
    pub(crate) fn take_all(&mut self) -> Vec<u8> {
        self.take(self.len)
    }

    pub(crate) fn clear(&mut self) {
        self.batches.clear();
        self.joined.clear();
        self.len = 0;
    }

    /// `hibernate_after`: give back what is not held.
    pub(crate) fn shrink(&mut self) {
        self.batches.iter_mut().for_each(|b| b.shrink_to_fit());
        self.batches.shrink_to_fit();
        self.joined.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batches(r: &mut Received, parts: &[&[u8]]) {
        for p in parts {
            r.push(&mut p.to_vec());
        }
    }

    #[test]
    fn batches_come_out_as_they_went_in() {
        let mut r = Received::default();
        batches(&mut r, &[b"a", b"", b"bc", b"def"]);
        assert_eq!(r.take_batch(), b"a");
        assert_eq!(r.take_batch(), b"bc");
        assert_eq!(r.take_batch(), b"def");
        assert!(r.is_empty());
        assert_eq!(r.take_batch(), b"");
    }

    /// A stream delivers each read's plaintext whole: it must move through,
    /// as a copy per delivery was a tenth of a bulk echo's CPU.
    #[test]
    fn a_whole_batch_moves_through_without_a_copy() {
        let mut r = Received::default();
        let mut first = vec![7u8; 4096];
        let at = first.as_ptr();
        r.push(&mut first);
        assert!(first.is_empty());
        let out = r.take_batch();
        assert_eq!((out.as_ptr(), out.len()), (at, 4096));
        let mut second = vec![8u8; 10];
        let at = second.as_ptr();
        r.push(&mut second);
        let out = r.take(10);
        assert_eq!(out.as_ptr(), at);
        // A batch behind one not yet taken moves too (a passive socket's
        // read-ahead), and none is copied to make room.
        let (mut a, mut b) = (vec![1u8; 100], vec![2u8; 200]);
        let at = b.as_ptr();
        r.push(&mut a);
        r.push(&mut b);
        assert_eq!(r.take_batch(), [1u8; 100]);
        let out = r.take_batch();
        assert_eq!((out.as_ptr(), out.len()), (at, 200));
    }

    #[test]
    fn a_length_spans_batches_and_keeps_the_rest_of_the_last() {
        let mut r = Received::default();
        batches(&mut r, &[b"ab", b"cde", b"f"]);
        assert_eq!(r.take(3), b"abc");
        assert_eq!(r.bytes(), b"def");
        assert_eq!(r.take_batch(), b"de");
        assert_eq!(r.take_batch(), b"f");
        batches(&mut r, &[b"xy", b"z"]);
        assert_eq!(r.take(2), b"xy");
        assert_eq!(r.take_batch(), b"z");
        batches(&mut r, &[b"1", b"23"]);
        assert_eq!(r.take_all(), b"123");
        assert_eq!(r.len(), 0);
    }
}

//! Decrypted data not yet delivered, with the boundaries of the batches it
//! arrived in.
//!
//! OTP decrypts the records of one TCP read together and concatenates their
//! application data into one binary; in raw mode a `recv(S, 0)` or an active
//! socket delivers one such binary per call or message. wassl feeds the
//! engine one TCP read at a time, so one feed's plaintext is one batch, and
//! an Erlang program sees the same message counts.

use std::collections::VecDeque;

#[derive(Default)]
pub(crate) struct Received {
    buf: Vec<u8>,
    /// Where each batch ends in `buf`, in order.
    ends: VecDeque<usize>,
}

impl Received {
    /// One feed's plaintext: a batch of its own (nothing for none). Into
    /// an empty buffer it moves, not copies: a stream's batches mostly do.
    pub(crate) fn push(&mut self, plaintext: &mut Vec<u8>) {
        if plaintext.is_empty() {
            return;
        }
        if self.buf.is_empty() {
            std::mem::swap(&mut self.buf, plaintext);
        } else {
            self.buf.append(plaintext);
        }
        self.ends.push_back(self.buf.len());
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        &self.buf
    }

    pub(crate) fn len(&self) -> usize {
        self.buf.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// The first `n` bytes, whatever batches they span; all of them move
    /// out without a copy.
    pub(crate) fn take(&mut self, n: usize) -> Vec<u8> {
        let n = n.min(self.buf.len());
        if n == self.buf.len() {
            return self.take_all();
        }
        let out = self.buf[..n].to_vec();
        self.buf.drain(..n);
        while self.ends.front().is_some_and(|&e| e <= n) {
            self.ends.pop_front();
        }
        for e in self.ends.iter_mut() {
            *e -= n;
        }
        out
    }

    /// The first batch (or what is left of it).
    pub(crate) fn take_batch(&mut self) -> Vec<u8> {
        let n = self.ends.front().copied().unwrap_or(self.buf.len());
        self.take(n)
    }

    /// Everything, as one.
    pub(crate) fn take_all(&mut self) -> Vec<u8> {
        self.ends.clear();
        std::mem::take(&mut self.buf)
    }

    pub(crate) fn clear(&mut self) {
        self.buf.clear();
        self.ends.clear();
    }

    /// `hibernate_after`: give back what is not held.
    pub(crate) fn shrink(&mut self) {
        self.buf.shrink_to_fit();
        self.ends.shrink_to_fit();
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

//! What a connection has yet to write to the peer, written whenever the TCP
//! socket can take it while the connection goes on reading.
//!
//! OTP runs a sender process (`tls_sender`) beside each connection for this:
//! two peers that both send before they read would otherwise each wait on
//! the other's full TCP buffers forever. Here the connection task queues
//! records, keeps reading, and writes as the socket drains; a `send` is
//! answered once its bytes are written (or its `send_timeout` passes), so
//! a sender is held back as before and the queue stays as large as the
//! sends in flight.

use std::collections::VecDeque;

use tokio::time::Instant;

use super::request::Reply;
use super::Reason;

/// Compact the buffer once this much at its front is written.
const COMPACT_AT: usize = 256 * 1024;
/// An emptied buffer keeps its room up to this (a few records).
const KEEP_CAPACITY: usize = 64 * 1024;

/// A `send` waiting for its bytes to reach the kernel.
struct Waiting {
    /// Its last byte's position in everything ever queued.
    mark: u64,
    deadline: Option<Instant>,
    reply: Reply<()>,
}

/// Bytes queued for the peer, in order, and the sends waiting on them.
#[derive(Default)]
pub(crate) struct Outbox {
    buf: Vec<u8>,
    /// How much at the front of `buf` is written.
    pos: usize,
    /// Bytes ever queued and ever written.
    queued: u64,
    written: u64,
    waiting: VecDeque<Waiting>,
}

impl Outbox {
    /// Queue bytes after everything queued before. Into an empty queue they
    /// move: a stream's records mostly go out before the next are sealed.
    pub(crate) fn push(&mut self, bytes: impl Into<Vec<u8>>) {
        let bytes = bytes.into();
        self.queued += bytes.len() as u64;
        if self.is_empty() {
            crate::buffers::give(std::mem::replace(&mut self.buf, bytes));
            self.pos = 0;
        } else {
            self.buf.extend_from_slice(&bytes);
            crate::buffers::give(bytes);
        }
    }

    /// Bytes queued and not yet written (`send_pend`).
    pub(crate) fn pending(&self) -> usize {
        self.buf.len() - self.pos
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.pending() == 0
    }

    /// Answer `reply` once everything queued so far is written, or with
    /// `timeout` at `deadline`.
    pub(crate) fn wait(&mut self, deadline: Option<Instant>, reply: Reply<()>) {
        if self.is_empty() {
            let _ = reply.send(Ok(()));
            return;
        }
        self.waiting.push_back(Waiting {
            mark: self.queued,
            deadline,
            reply,
        });
    }

    /// The earliest deadline of a waiting send.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.waiting.iter().filter_map(|w| w.deadline).min()
    }

    /// Answer `timeout` to the sends whose deadline is past; how many.
    /// Their bytes stay queued: a record is never cut short.
    pub(crate) fn expire(&mut self, now: Instant) -> usize {
        let before = self.waiting.len();
        let mut kept = VecDeque::with_capacity(before);
        for w in self.waiting.drain(..) {
            if w.deadline.is_some_and(|d| d <= now) {
                let _ = w.reply.send(Err(Reason::Timeout));
            } else {
                kept.push_back(w);
            }
        }
        self.waiting = kept;
        before - self.waiting.len()
    }

    /// The connection is over: every waiting send gets `reason`, and what
    /// was not written is dropped.
    pub(crate) fn fail_all(&mut self, reason: &Reason) {
        for w in self.waiting.drain(..) {
            let _ = w.reply.send(Err(reason.clone()));
        }
        self.buf = Vec::new();
        self.pos = 0;
    }

    /// What is queued and not yet written, for the next write.
    pub(crate) fn unsent(&self) -> &[u8] {
        &self.buf[self.pos..]
    }

    /// `n` bytes of [`Self::unsent`] were written.
    pub(crate) fn written(&mut self, n: usize) {
        let n = n.min(self.pending());
        self.pos += n;
        self.written += n as u64;
        self.settle();
    }

    /// Answer the sends whose bytes are all written; reclaim the front.
    fn settle(&mut self) {
        while self.waiting.front().is_some_and(|w| w.mark <= self.written) {
            if let Some(w) = self.waiting.pop_front() {
                let _ = w.reply.send(Ok(()));
            }
        }
        if self.pos == self.buf.len() {
            // A large send's room is not kept by an idle connection (a
            // spare's goes back to the spares).
            if self.buf.capacity() > KEEP_CAPACITY {
                crate::buffers::give(std::mem::take(&mut self.buf));
            } else {
                self.buf.clear();
            }
            self.pos = 0;
        } else if self.pos >= COMPACT_AT {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
    }

    /// `hibernate_after`: an empty queue gives its memory back.
    pub(crate) fn shrink(&mut self) {
        if self.is_empty() {
            crate::buffers::give(std::mem::take(&mut self.buf));
            self.pos = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::sync::oneshot;

    #[test]
    fn a_send_is_answered_when_its_bytes_are_written_in_order() {
        let mut out = Outbox::default();
        let (tx1, mut rx1) = oneshot::channel();
        let (tx2, mut rx2) = oneshot::channel();
        out.push(b"first");
        out.wait(None, tx1);
        out.push(b"second");
        out.wait(None, tx2);
        assert_eq!(out.unsent(), b"firstsecond");
        out.written(4);
        assert!(
            rx1.try_recv().is_err(),
            "answered before its bytes were written"
        );
        assert_eq!(out.unsent(), b"tsecond");
        out.written(1);
        assert!(matches!(rx1.try_recv(), Ok(Ok(()))));
        assert!(rx2.try_recv().is_err());
        out.written(100);
        assert!(matches!(rx2.try_recv(), Ok(Ok(()))));
        assert!(out.is_empty());
        assert_eq!(out.pending(), 0);
    }

    /// Sealed records go out before the next are sealed, mostly: they move
    /// into the empty queue, and only records behind unsent ones are copied.
    #[test]
    fn records_move_into_an_empty_queue() {
        let mut out = Outbox::default();
        let records = vec![3u8; 20_000];
        let at = records.as_ptr();
        out.push(records);
        assert_eq!(out.unsent().as_ptr(), at);
        out.push(vec![4u8; 10]);
        assert_eq!(out.pending(), 20_010);
        assert_eq!(out.unsent().last(), Some(&4));
        out.written(20_010);
        let next = vec![5u8; 100];
        let at = next.as_ptr();
        out.push(next);
        assert_eq!(out.unsent().as_ptr(), at);
    }

    #[test]
    fn a_large_queue_is_compacted_and_released() {
        let mut out = Outbox::default();
        out.push(vec![1u8; 1 << 20]);
        out.push([2u8; 10]);
        out.written(COMPACT_AT);
        assert_eq!(out.pos, 0, "the written front is reclaimed");
        assert_eq!(out.pending(), (1 << 20) + 10 - COMPACT_AT);
        assert_eq!(out.unsent().last(), Some(&2));
        out.written(out.pending());
        assert!(
            out.buf.capacity() <= KEEP_CAPACITY,
            "an idle queue keeps its room"
        );
    }

    #[test]
    fn an_empty_queue_answers_at_once_and_deadlines_keep_the_bytes() {
        let mut out = Outbox::default();
        let (tx, mut rx) = oneshot::channel();
        out.wait(None, tx);
        assert!(matches!(rx.try_recv(), Ok(Ok(()))));
        out.push(vec![1u8; 1 << 20]);
        out.written(1000);
        let left = out.pending();
        let (tx, mut rx) = oneshot::channel();
        let now = Instant::now();
        out.wait(Some(now), tx);
        assert_eq!(out.next_deadline(), Some(now));
        assert_eq!(out.expire(now), 1);
        assert!(matches!(rx.try_recv(), Ok(Err(Reason::Timeout))));
        assert_eq!(out.pending(), left, "a timed-out send's bytes stay queued");
        let (tx, mut rx) = oneshot::channel();
        out.wait(None, tx);
        out.fail_all(&Reason::Closed);
        assert!(matches!(rx.try_recv(), Ok(Err(Reason::Closed))));
        assert!(out.is_empty());
    }
}

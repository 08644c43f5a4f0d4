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
use std::io;

use tokio::net::TcpStream;
use tokio::time::Instant;

use super::socket::Reply;
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
    /// Queue bytes after everything queued before.
    pub(crate) fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
        self.queued += bytes.len() as u64;
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

    /// Write what the socket takes now without waiting; the bytes written
    /// (0 when it would block).
    pub(crate) fn try_write(&mut self, tcp: &TcpStream) -> io::Result<usize> {
        let mut total = 0;
        while self.pos < self.buf.len() {
            match tcp.try_write(&self.buf[self.pos..]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    self.pos += n;
                    total += n;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.written += total as u64;
        self.settle();
        Ok(total)
    }

    /// Answer the sends whose bytes are all written; reclaim the front.
    fn settle(&mut self) {
        while self.waiting.front().is_some_and(|w| w.mark <= self.written) {
            if let Some(w) = self.waiting.pop_front() {
                let _ = w.reply.send(Ok(()));
            }
        }
        if self.pos == self.buf.len() {
            // A large send's room is not kept by an idle connection.
            if self.buf.capacity() > KEEP_CAPACITY {
                self.buf = Vec::new();
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
            self.buf = Vec::new();
            self.pos = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;
    use tokio::sync::oneshot;

    async fn pair() -> (TcpStream, TcpStream) {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let a = TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
        let (b, _) = l.accept().await.unwrap();
        (a, b)
    }

    #[tokio::test]
    async fn a_send_is_answered_when_its_bytes_are_written() {
        let (a, mut b) = pair().await;
        let mut out = Outbox::default();
        let (tx, mut rx) = oneshot::channel();
        // More than the kernel takes at once while nobody reads.
        let big = vec![7u8; 16 << 20];
        out.push(&big);
        out.wait(None, tx);
        out.try_write(&a).unwrap();
        assert!(!out.is_empty(), "16 MiB went out with nobody reading");
        assert!(
            rx.try_recv().is_err(),
            "answered before its bytes were written"
        );
        let reader = tokio::spawn(async move {
            let mut got = vec![0u8; big.len()];
            b.read_exact(&mut got).await.unwrap();
            got == big
        });
        while !out.is_empty() {
            a.writable().await.unwrap();
            out.try_write(&a).unwrap();
        }
        assert!(matches!(rx.try_recv(), Ok(Ok(()))));
        assert!(reader.await.unwrap(), "bytes arrived out of order");
        assert_eq!(out.pending(), 0);
    }

    #[tokio::test]
    async fn an_empty_queue_answers_at_once_and_deadlines_keep_the_bytes() {
        let (a, _b) = pair().await;
        let mut out = Outbox::default();
        let (tx, mut rx) = oneshot::channel();
        out.wait(None, tx);
        assert!(matches!(rx.try_recv(), Ok(Ok(()))));
        out.push(&vec![1u8; 16 << 20]);
        let _ = out.try_write(&a).unwrap();
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

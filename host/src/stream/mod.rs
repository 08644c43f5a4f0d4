//! A tokio `AsyncRead + AsyncWrite` stream over a wassl socket, so hyper,
//! axum, tower (any tokio I/O code) run over wassl unchanged.
//!
//! Two ways in: [`TlsAcceptor`] and [`TlsConnector`] (the tokio-rustls
//! shape, from any task), or [`SslStream::new`] on a socket an owner process
//! made with the `ssl` calls. Either way the socket is passive, binary and
//! raw, and owned by a holder process of its own, so it lives exactly as
//! long as the stream. Dropping the stream closes the connection.

mod per_address;
mod relay;
mod tokio_face;
pub use tokio_face::{TlsAcceptor, TlsConnector, DEFAULT_HANDSHAKE_TIMEOUT};

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::process::{self, Message, Pid};
use crate::ssl::{self, Active, Data, How, Mode, Packet, Reason, SslOption, SslSocket, Timeout};

type Pending<T> = Pin<Box<dyn Future<Output = Result<T, Reason>> + Send>>;

/// A TLS connection as a tokio byte stream.
pub struct SslStream {
    socket: SslSocket,
    _holder: tokio::sync::oneshot::Sender<()>,
    holder: Pid,
    read: Option<Pending<Data>>,
    buffered: Vec<u8>,
    pos: usize,
    eof: bool,
    write: Option<(Pending<()>, usize)>,
    shutdown: Option<Pending<()>>,
}

fn io_error(r: Reason) -> io::Error {
    let kind = match r {
        Reason::Closed => io::ErrorKind::BrokenPipe,
        Reason::Timeout => io::ErrorKind::TimedOut,
        _ => io::ErrorKind::Other,
    };
    io::Error::new(kind, ssl::format_error(&r))
}

impl SslStream {
    /// Wrap a handshaken socket owned by the calling process. Data an active
    /// socket already delivered to the caller is taken back from its mailbox.
    pub async fn new(socket: SslSocket) -> Result<SslStream, Reason> {
        // The socket's owner is a process, and so must the caller be.
        process::try_self_pid().ok_or(Reason::NoProcess)?;
        ssl::setopts(
            &socket,
            vec![
                SslOption::Active(Active::False),
                SslOption::Mode(Mode::Binary),
                SslOption::Packet(Packet::Raw),
            ],
        )
        .await?;
        // An active socket may already have delivered data (e.g. a request
        // that came with the client's Finished): it is in our mailbox and
        // belongs to the stream, ahead of anything read later.
        let mut buffered = Vec::new();
        let mut eof = false;
        while let Some(m) = process::receive_match(
            |m| matches!(m, Message::Ssl(s, _) | Message::SslClosed(s) if *s == socket),
            Timeout::After(std::time::Duration::ZERO),
        )
        .await
        {
            match m {
                Message::Ssl(_, d) => buffered.extend_from_slice(d.as_bytes()),
                _ => eof = true,
            }
        }
        let (keep, until) = tokio::sync::oneshot::channel::<()>();
        let holder = process::spawn(async move {
            let _ = until.await;
        });
        ssl::controlling_process(&socket, &holder).await?;
        Ok(SslStream::held(socket, holder, keep, buffered, eof))
    }

    /// A stream over `socket`, owned by `holder` until `keep` is dropped.
    fn held(
        socket: SslSocket,
        holder: Pid,
        keep: tokio::sync::oneshot::Sender<()>,
        buffered: Vec<u8>,
        eof: bool,
    ) -> SslStream {
        SslStream {
            socket,
            _holder: keep,
            holder,
            read: None,
            buffered,
            pos: 0,
            eof,
            write: None,
            shutdown: None,
        }
    }

    /// The socket underneath (for `connection_information`, `peercert`...).
    pub fn socket(&self) -> &SslSocket {
        &self.socket
    }

    /// The process that owns the socket while the stream lives.
    pub fn holder(&self) -> &Pid {
        &self.holder
    }
}

impl AsyncRead for SslStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        loop {
            if self.pos < self.buffered.len() {
                let n = out.remaining().min(self.buffered.len() - self.pos);
                let start = self.pos;
                out.put_slice(&self.buffered[start..start + n]);
                self.pos += n;
                if self.pos == self.buffered.len() {
                    // An idle stream holds no read's worth of memory.
                    crate::buffers::give(std::mem::take(&mut self.buffered));
                    self.pos = 0;
                }
                return Poll::Ready(Ok(()));
            }
            if self.eof {
                return Poll::Ready(Ok(()));
            }
            if self.read.is_none() {
                let s = self.socket.clone();
                self.read = Some(Box::pin(async move {
                    ssl::recv(&s, 0, Timeout::Infinity).await
                }));
            }
            let r = ready!(self
                .read
                .as_mut()
                .map(|f| f.as_mut().poll(cx))
                .unwrap_or(Poll::Pending));
            self.read = None;
            match r {
                Ok(data) => {
                    self.buffered = data.into_bytes();
                    self.pos = 0;
                }
                // The peer closed: end of stream.
                Err(Reason::Closed) => self.eof = true,
                Err(e) => return Poll::Ready(Err(io_error(e))),
            }
        }
    }
}

impl AsyncWrite for SslStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.write.is_none() {
            let s = self.socket.clone();
            // A spare when large: `send` gives it back once sealed.
            let mut data = crate::buffers::take(buf.len());
            data.extend_from_slice(buf);
            let n = data.len();
            self.write = Some((Box::pin(async move { ssl::send(&s, data).await }), n));
        }
        let Some((fut, n)) = self.write.as_mut() else {
            return Poll::Ready(Ok(0));
        };
        let n = *n;
        let r = ready!(fut.as_mut().poll(cx));
        self.write = None;
        Poll::Ready(r.map(|()| n).map_err(io_error))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // `send` returns once the records are written to the socket.
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.shutdown.is_none() {
            let s = self.socket.clone();
            self.shutdown = Some(Box::pin(async move { close_write(&s).await }));
        }
        let r = ready!(self
            .shutdown
            .as_mut()
            .map(|f| f.as_mut().poll(cx))
            .unwrap_or(Poll::Pending));
        Poll::Ready(r.map_err(io_error))
    }
}

/// The end of our data: close_notify; a connection already closed has
/// nothing more to end.
async fn close_write(socket: &SslSocket) -> Result<(), Reason> {
    match ssl::shutdown(socket, How::Write).await {
        Ok(()) | Err(Reason::Closed) => Ok(()),
        Err(e) => Err(e),
    }
}

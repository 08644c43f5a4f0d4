//! [`SslStream::relay`]: a TLS stream and a TCP stream joined, what an edge
//! proxy does with each connection, with fewer copies and no buffers held
//! while the connection idles.
//!
//! `tokio::io::copy_bidirectional` copies each read's plaintext into its own
//! buffer and holds two of them per connection for its whole life. Here a
//! read's plaintext goes to TCP from the `Vec` the record layer filled, and
//! TCP is read only once it has bytes, into a buffer that moves into the
//! records sealed for the peer.

use std::io;

use bytes::BufMut;

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use super::{close_write, io_error, SslStream};
use crate::ssl::{self, Reason, Timeout};

/// The most one read of the TCP side takes: four records' worth.
const TCP_READ: usize = 64 * 1024;

impl SslStream {
    /// Relay between this stream and `tcp` until both directions have
    /// ended, as `tokio::io::copy_bidirectional(self, tcp)`: the end of one
    /// side's data shuts the other's sending side (a close_notify towards the
    /// TLS peer, a FIN towards TCP) and the other direction goes on. Answers
    /// the bytes moved from this stream to `tcp` and from `tcp` to this
    /// stream; the first error ends both directions.
    pub async fn relay(&mut self, tcp: &mut TcpStream) -> io::Result<(u64, u64)> {
        // Bytes this stream read before the relay go first.
        let early = std::mem::take(&mut self.buffered);
        let early = early.get(self.pos..).unwrap_or_default().to_vec();
        self.pos = 0;
        let eof = self.eof;
        let socket = self.socket.clone();
        let (from_tcp, mut to_tcp) = tcp.split();
        let down = async {
            let mut n = early.len() as u64;
            to_tcp.write_all(&early).await?;
            if !eof {
                loop {
                    match ssl::recv(&socket, 0, Timeout::Infinity).await {
                        Ok(data) => {
                            let bytes = data.into_bytes();
                            to_tcp.write_all(&bytes).await?;
                            n += bytes.len() as u64;
                            crate::buffers::give(bytes);
                        }
                        Err(Reason::Closed) => break,
                        Err(e) => return Err(io_error(e)),
                    }
                }
            }
            to_tcp.shutdown().await?;
            Ok(n)
        };
        let up = async {
            let mut n = 0u64;
            loop {
                from_tcp.as_ref().readable().await?;
                // Sealed, the bytes go back to the spares (`buffers`).
                let mut buf = crate::buffers::take(TCP_READ);
                match from_tcp
                    .as_ref()
                    .try_read_buf(&mut (&mut buf).limit(TCP_READ))
                {
                    Ok(0) => {
                        crate::buffers::give(buf);
                        break;
                    }
                    Ok(got) => {
                        n += got as u64;
                        ssl::send(&socket, buf).await.map_err(io_error)?;
                    }
                    // A spurious wake: the spare goes back unused.
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => crate::buffers::give(buf),
                    Err(e) => return Err(e),
                }
            }
            close_write(&socket).await.map_err(io_error)?;
            Ok(n)
        };
        let r = tokio::try_join!(down, up);
        if r.is_ok() {
            self.eof = true;
        }
        r
    }
}

//! The tokio-rustls shape: `TlsAcceptor::accept(TcpStream)` and
//! `TlsConnector::connect(name, TcpStream)` give an [`SslStream`] from any
//! tokio task, with no owner process to set up.
//!
//! Each connection gets a holder process of its own that runs the handshake
//! and then owns the socket for as long as the stream lives. Dropping the
//! `accept`/`connect` future (a caller's timeout) ends the holder, which
//! closes the connection and frees its sandbox at once.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpStream;
use tokio::sync::oneshot;

use super::per_address::PerAddress;
use super::SslStream;
use crate::bindings::wassl::tls::types as wit;
use crate::process;
use crate::record_layer::PLAINTEXT_INTERNAL_ERROR;
use crate::ssl::{
    self, Active, HandshakeMode, Mode, Packet, Reason, SslOption, SslSocket, Timeout,
};

/// The options a stream needs, after the caller's (so they win): a passive
/// binary socket delivers bytes only when the stream reads. Before them,
/// a default the caller may change: `{exit_on_close, false}`, so that a
/// stream can still write after the peer's close_notify, as a tokio
/// stream (and tokio-rustls's) can after its peer's end of data.
fn stream_options(opts: Vec<SslOption>) -> Vec<SslOption> {
    let mut all = vec![SslOption::ExitOnClose(false)];
    all.extend(opts);
    all.extend([
        SslOption::Active(Active::False),
        SslOption::Mode(Mode::Binary),
        SslOption::Packet(Packet::Raw),
    ]);
    all
}

/// Check every option now, TLS ones in a throwaway sandbox, as `ssl:listen`
/// does: a missing certificate is reported by `new`, not per connection.
async fn checked(role: wit::Role, opts: Vec<SslOption>) -> Result<Arc<Vec<SslOption>>, Reason> {
    if opts
        .iter()
        .any(|o| matches!(o, SslOption::Handshake(HandshakeMode::Hello)))
    {
        return Err(Reason::options(
            "handshake",
            "{handshake,hello}",
            "a TlsAcceptor or TlsConnector runs the whole handshake; for a paused one use \
             ssl::handshake_tcp and ssl::handshake_continue",
        ));
    }
    let opts = stream_options(opts);
    ssl::checked_options(role, &opts).await?;
    Ok(Arc::new(opts))
}

/// Run `handshake` in a new holder process and wrap what it makes.
async fn in_holder<F>(handshake: F) -> Result<SslStream, Reason>
where
    F: Future<Output = Result<SslSocket, Reason>> + Send + 'static,
{
    let (done, made) = oneshot::channel();
    let (keep, mut until) = oneshot::channel::<()>();
    let holder = process::spawn(async move {
        tokio::select! {
            r = handshake => {
                let ok = r.is_ok();
                // A caller that went away will not take the socket: it
                // closes as this process ends.
                if done.send(r).is_ok() && ok {
                    let _ = (&mut until).await;
                }
            }
            // The caller dropped its future mid-handshake.
            _ = &mut until => {}
        }
    });
    // The holder ends without answering only if the handshake panicked.
    let socket = made.await.map_err(|_| Reason::Closed)??;
    Ok(SslStream::held(socket, holder, keep, Vec::new(), false))
}

/// Accepts TLS connections on TCP streams the caller accepted, like
/// `tokio_rustls::TlsAcceptor`. Cheap to clone; share one per listener.
///
/// ```no_run
/// # async fn demo() -> Result<(), wassl::ssl::Reason> {
/// use wassl::ssl::SslOption;
/// use wassl::stream::TlsAcceptor;
/// let acceptor = TlsAcceptor::new(vec![
///     SslOption::Certfile("server.pem".into()),
///     SslOption::Keyfile("server.key".into()),
/// ]).await?;
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8443").await.unwrap();
/// loop {
///     let (tcp, _) = listener.accept().await.unwrap();
///     let acceptor = acceptor.clone();
///     // One task per connection: a slow handshake holds up nobody else.
///     tokio::spawn(async move {
///         if let Ok(stream) = acceptor.accept(tcp).await {
///             // serve `stream` (AsyncRead + AsyncWrite) with hyper, axum...
///             # drop(stream);
///         }
///     });
/// }
/// # }
/// ```
#[derive(Clone)]
pub struct TlsAcceptor {
    opts: Arc<Vec<SslOption>>,
    timeout: Timeout,
    per_address: Option<Arc<PerAddress>>,
}

/// A server handshake's deadline unless told otherwise: a client that
/// sends nothing, or trickles, is dropped after this (nginx's
/// `ssl_handshake_timeout` is 60 s too). `ssl:handshake/1` keeps OTP's
/// `infinity`; this face is for servers facing the internet.
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(60);

impl TlsAcceptor {
    /// Server options as for `ssl:listen/2` (certificates, versions, ALPN,
    /// client verification...), checked now. The stream's own needs
    /// (`{active, false}`, binary, `{packet, raw}`) are added after them.
    pub async fn new(opts: Vec<SslOption>) -> Result<TlsAcceptor, Reason> {
        Ok(TlsAcceptor {
            opts: checked(wit::Role::Server, opts).await?,
            timeout: Timeout::After(DEFAULT_HANDSHAKE_TIMEOUT),
            per_address: None,
        })
    }

    /// A limit for each handshake ([`DEFAULT_HANDSHAKE_TIMEOUT`] unless
    /// set; `Timeout::Infinity` for none); past it, `accept` answers
    /// `timeout` and the connection closes.
    pub fn handshake_timeout(mut self, timeout: impl Into<Timeout>) -> TlsAcceptor {
        self.timeout = timeout.into();
        self
    }

    /// The handshake deadline in force.
    pub fn handshake_timeout_value(&self) -> Timeout {
        self.timeout
    }

    /// At most `n` handshakes in progress from one peer IP address (no
    /// limit by default). Past it `accept` refuses at once with
    /// `system_limit`, after a fatal `internal_error` alert. Counts are
    /// shared by this acceptor's clones.
    pub fn max_handshakes_per_address(mut self, n: u32) -> TlsAcceptor {
        self.per_address = Some(PerAddress::new(n.max(1)));
        self
    }

    /// Run the server handshake on `tcp`. Works from any tokio task.
    pub async fn accept(&self, tcp: TcpStream) -> Result<SslStream, Reason> {
        let counted = match (&self.per_address, tcp.peer_addr()) {
            (Some(p), Ok(peer)) => match p.enter(peer.ip()) {
                Some(c) => Some(c),
                None => {
                    // Best effort: a full send buffer just means a close.
                    let _ = tcp.try_write(&PLAINTEXT_INTERNAL_ERROR);
                    return Err(Reason::SystemLimit);
                }
            },
            _ => None,
        };
        let (opts, timeout) = (self.opts.as_ref().clone(), self.timeout);
        let r = in_holder(ssl::handshake_tcp(tcp, opts, timeout)).await;
        drop(counted);
        r
    }
}

/// Opens TLS connections on TCP streams the caller connected, like
/// `tokio_rustls::TlsConnector`. Cheap to clone.
#[derive(Clone)]
pub struct TlsConnector {
    opts: Arc<Vec<SslOption>>,
    timeout: Timeout,
}

impl TlsConnector {
    /// Client options as for `ssl:connect/3` (`verify_peer` with the
    /// system's trust by default, `cacertfile`, ALPN, a client
    /// certificate...), checked now.
    pub async fn new(opts: Vec<SslOption>) -> Result<TlsConnector, Reason> {
        Ok(TlsConnector {
            opts: checked(wit::Role::Client, opts).await?,
            timeout: Timeout::Infinity,
        })
    }

    /// A limit for each handshake (`infinity` by default).
    pub fn handshake_timeout(mut self, timeout: impl Into<Timeout>) -> TlsConnector {
        self.timeout = timeout.into();
        self
    }

    /// Run the client handshake on `tcp`; the server's certificate is
    /// checked against `server_name` (and it is sent as SNI).
    pub async fn connect(&self, server_name: &str, tcp: TcpStream) -> Result<SslStream, Reason> {
        let (opts, timeout) = (self.opts.as_ref().clone(), self.timeout);
        let name = server_name.to_string();
        in_holder(async move { ssl::connect_tcp(tcp, &name, opts, timeout).await }).await
    }
}

//! The Erlang `ssl` API: the functions keep their Erlang names and
//! arguments, options are [`SslOption`]s, errors are [`Reason`]s.
//!
//! Calls that create a socket make the calling process its owner (see
//! [`crate::process`]); that process receives `{ssl, S, Data}` and friends.

mod iodata;
mod kernel_options;
pub(crate) mod keys;
mod legacy;
mod listen;
pub(crate) mod machine;
mod option_terms;
pub(crate) mod options;
mod outbox;
mod prepare;
use rustls_pki_types::pem::PemObject;
pub(crate) mod client_sessions;
pub(crate) mod packet;
pub(crate) mod pem_cache;
pub(crate) mod reason;
mod received;
mod request;
pub(crate) mod session_cache;
mod socket;
mod ticket_keys;
pub(crate) mod verify;

use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

pub use client_sessions::{EarlyDataStatus, SessionData, Ticket};
pub use iodata::Iodata;
pub use legacy::{
    cipher_suites_of, ciphers, connection_info, peercert_with, pid, seed, start_with,
    PeerCertificate, PeercertOpt, StartType, SuiteType, Suites,
};
pub use options::{
    Active, BeastMitigation, CertPolicyOpt, CrlCheck, EarlyData, HandshakeMode, KeyType, LogLevel,
    Mode, OptName, Packet, Protocol, ReuseSessions, ServerNameIndication, SessionTickets,
    SslOption, Stapling, Verify, Version,
};
pub use packet::{decode_packet_term, HttpName, HttpPacket, HttpUri};
pub use reason::{format_error, Reason};
pub use session_cache::{CacheFuture, SessionCacheApi, SessionCb};
#[cfg(feature = "redis")]
pub use session_cache::{RedisConfig, RedisSessionCache, RedisStats};
pub use ticket_keys::TicketKeys;
pub use verify::{
    BadCert, Extension, MatchFun, PartialChain, PeerCert, VerifyEvent, VerifyFun, VerifyResult,
};

use crate::bindings::wassl::tls::types as wit;
use crate::process::Pid;
use request::{Reply, Request};

/// The calling process, which a call makes or checks as a socket's owner.
fn owner() -> Result<Pid, Reason> {
    crate::process::try_self_pid().ok_or(Reason::NoProcess)
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

pub(crate) fn next_id() -> u64 {
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

/// A time limit in the manual's sense: milliseconds or `infinity`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timeout {
    /// Wait for ever (the default of every `ssl` call).
    Infinity,
    /// Give up after this long with `{error, timeout}`.
    After(Duration),
}

impl Timeout {
    pub(crate) fn deadline(self) -> Option<Instant> {
        match self {
            Timeout::Infinity => None,
            Timeout::After(d) => Some(Instant::now() + d),
        }
    }
}

impl From<u64> for Timeout {
    /// Milliseconds, as in Erlang.
    fn from(ms: u64) -> Timeout {
        Timeout::After(Duration::from_millis(ms))
    }
}

impl From<Duration> for Timeout {
    fn from(d: Duration) -> Timeout {
        Timeout::After(d)
    }
}

/// Received data, shaped by the socket's `mode`, `header` and `packet`.
#[derive(Clone, PartialEq, Eq)]
pub enum Data {
    /// `{mode, list}` (Erlang's default): a string of bytes.
    List(Vec<u8>),
    /// `{mode, binary}`.
    Binary(Vec<u8>),
    /// `{mode, binary}` with `{header, N}`: Erlang's `[B1, ..., BN | Binary]`.
    /// Holds N (or fewer, for a short packet) and all the bytes.
    Header(usize, Vec<u8>),
    /// A `{packet, http...}` packet.
    Http(HttpPacket),
}

impl Data {
    pub(crate) fn from_mode(mode: Mode, bytes: Vec<u8>) -> Data {
        match mode {
            Mode::List => Data::List(bytes),
            Mode::Binary => Data::Binary(bytes),
        }
    }

    /// The bytes, whatever the mode (empty for an http packet).
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Data::List(b) | Data::Binary(b) | Data::Header(_, b) => b,
            Data::Http(_) => &[],
        }
    }

    /// The bytes, whatever the mode (empty for an http packet).
    pub fn into_bytes(self) -> Vec<u8> {
        match self {
            Data::List(b) | Data::Binary(b) | Data::Header(_, b) => b,
            Data::Http(_) => Vec::new(),
        }
    }
}

impl fmt::Debug for Data {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = String::from_utf8_lossy(self.as_bytes());
        match self {
            Data::List(_) => write!(f, "{text:?}"),
            Data::Binary(_) => write!(f, "<<{text:?}>>"),
            Data::Header(n, b) => {
                let head: Vec<String> = b[..*n].iter().map(|x| x.to_string()).collect();
                write!(
                    f,
                    "[{}|<<{:?}>>]",
                    head.join(","),
                    String::from_utf8_lossy(&b[*n..])
                )
            }
            Data::Http(h) => write!(f, "{h}"),
        }
    }
}

/// A statistic of `getstat/2`: counts of the TCP traffic under the TLS socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stat {
    /// `recv_oct`: bytes read from the socket.
    RecvOct,
    /// `recv_cnt`: reads.
    RecvCnt,
    /// `recv_max`: largest read.
    RecvMax,
    /// `recv_avg`: average read.
    RecvAvg,
    /// `send_oct`: bytes written.
    SendOct,
    /// `send_cnt`: writes.
    SendCnt,
    /// `send_max`: largest write.
    SendMax,
    /// `send_avg`: average write.
    SendAvg,
    /// `send_pend`: bytes waiting to be sent (always 0: `send` returns once written).
    SendPend,
}

impl Stat {
    /// Every statistic, for `getstat/1`.
    pub const ALL: [Stat; 9] = [
        Stat::RecvOct,
        Stat::RecvCnt,
        Stat::RecvMax,
        Stat::RecvAvg,
        Stat::SendOct,
        Stat::SendCnt,
        Stat::SendMax,
        Stat::SendAvg,
        Stat::SendPend,
    ];
}

/// `shutdown/2`'s `How`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum How {
    /// Stop reading.
    Read,
    /// Send close_notify and stop writing; reading goes on.
    Write,
    /// Both.
    ReadWrite,
}

#[derive(Clone)]
enum Inner {
    Conn(mpsc::UnboundedSender<Request>),
    Listen(Arc<listen::ListenSocket>),
}

/// `sslsocket()`: a handle on a connection or listen socket. Handles are
/// cheap to clone; the socket closes when its owner ends, on `close`, or
/// when the last handle is dropped.
#[derive(Clone)]
pub struct SslSocket {
    id: u64,
    inner: Inner,
}

impl PartialEq for SslSocket {
    fn eq(&self, other: &SslSocket) -> bool {
        self.id == other.id
    }
}
impl Eq for SslSocket {}

impl fmt::Debug for SslSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = if matches!(self.inner, Inner::Listen(_)) {
            "listen"
        } else {
            "tls"
        };
        write!(f, "#sslsocket<{kind}.{}>", self.id)
    }
}

impl SslSocket {
    fn conn(id: u64, tx: mpsc::UnboundedSender<Request>) -> SslSocket {
        SslSocket {
            id,
            inner: Inner::Conn(tx),
        }
    }

    async fn call<T>(&self, make: impl FnOnce(Reply<T>) -> Request) -> Result<T, Reason> {
        let Inner::Conn(tx) = &self.inner else {
            return Err(Reason::Einval);
        };
        let (reply, rx) = oneshot::channel();
        tx.send(make(reply)).map_err(|_| Reason::Closed)?;
        rx.await.map_err(|_| Reason::Closed)?
    }

    fn listener(&self) -> Result<&Arc<listen::ListenSocket>, Reason> {
        match &self.inner {
            Inner::Listen(l) => Ok(l),
            Inner::Conn(_) => Err(Reason::Einval),
        }
    }
}

/// One entry of `certs_keys`: a certificate (chain) and its key, each given
/// as DER or as a file, as the manual's map `#{cert, certfile, key, keyfile, password}`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CertKey {
    /// `cert`: DER, leaf first.
    pub cert: Vec<Vec<u8>>,
    /// `certfile`.
    pub certfile: Option<std::path::PathBuf>,
    /// `key`.
    pub key: Option<(KeyType, Vec<u8>)>,
    /// `keyfile`.
    pub keyfile: Option<std::path::PathBuf>,
    /// `password` for an encrypted key.
    pub password: Option<String>,
}

/// What an `sni_fun` answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SniAnswer {
    /// Options for this name (`cert`, `certfile`, `key`, `keyfile`, `password`, `certs_keys`).
    Options(Vec<SslOption>),
    /// `undefined`: the listen socket's options.
    Undefined,
    /// `unrecognized`: refuse the handshake.
    Unrecognized,
}

/// `{sni_fun, Fun}`.
#[derive(Clone)]
pub struct SniFun(pub(crate) Arc<dyn Fn(&str) -> SniAnswer + Send + Sync>);

impl SniFun {
    /// Wrap the function.
    pub fn new(f: impl Fn(&str) -> SniAnswer + Send + Sync + 'static) -> SniFun {
        SniFun(Arc::new(f))
    }
}

impl fmt::Debug for SniFun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("#Fun<sni_fun>")
    }
}

impl PartialEq for SniFun {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}
impl Eq for SniFun {}

/// `public_key:cacerts_get/0`: the operating system's trusted CAs, from
/// `$SSL_CERT_FILE` or the usual bundle locations.
pub fn cacerts_get() -> Result<Vec<Vec<u8>>, Reason> {
    let mut candidates: Vec<std::path::PathBuf> = std::env::var_os("SSL_CERT_FILE")
        .map(Into::into)
        .into_iter()
        .collect();
    for p in [
        "/etc/ssl/certs/ca-certificates.crt",
        "/etc/pki/tls/certs/ca-bundle.crt",
        "/etc/ssl/ca-bundle.pem",
        "/etc/ssl/cert.pem",
        "/usr/local/etc/openssl/cert.pem",
    ] {
        candidates.push(p.into());
    }
    for path in candidates {
        if let Ok(pem) = pem_cache::read(&path) {
            let certs: Vec<Vec<u8>> = rustls_pki_types::CertificateDer::pem_slice_iter(&pem)
                .filter_map(Result::ok)
                .map(|c| c.to_vec())
                .collect();
            if !certs.is_empty() {
                return Ok(certs);
            }
        }
    }
    Err(Reason::options(
        "cacerts",
        "os",
        "no CA bundle found (set SSL_CERT_FILE)",
    ))
}

/// A cipher suite in the map form of the manual.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CipherSuite {
    /// `any` (TLS 1.3) or e.g. `ecdhe_ecdsa`.
    pub key_exchange: String,
    /// e.g. `aes_128_gcm`.
    pub cipher: String,
    /// `aead`.
    pub mac: String,
    /// e.g. `sha256`.
    pub prf: String,
    /// The IANA name, e.g. `TLS_AES_128_GCM_SHA256`.
    pub iana_name: String,
    /// The IANA code, e.g. `0x1301`.
    pub code: u16,
}

impl CipherSuite {
    fn from_wit(s: wit::CipherSuite) -> CipherSuite {
        CipherSuite {
            key_exchange: s.key_exchange,
            cipher: s.cipher,
            mac: s.mac,
            prf: s.prf,
            iana_name: s.iana_name,
            code: s.code,
        }
    }
}

/// One entry of `{ciphers, ...}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CipherSpec {
    /// The map form `#{key_exchange, cipher, mac, prf}`.
    Map(CipherSuite),
    /// The tuple form `{KeyExchange, Cipher, Mac}` or `{..., Prf}`.
    Tuple(String, String, String, Option<String>),
    /// An IANA or OpenSSL name (`TLS_AES_128_GCM_SHA256`, `ECDHE-RSA-AES128-GCM-SHA256`).
    Name(String),
}

impl CipherSpec {
    /// How the engine names it.
    pub(crate) fn engine_name(&self) -> String {
        match self {
            CipherSpec::Map(s) => format!("{},{},{},{}", s.key_exchange, s.cipher, s.mac, s.prf),
            CipherSpec::Tuple(k, c, m, p) => match p {
                Some(p) => format!("{k},{c},{m},{p}"),
                None => format!("{k},{c},{m}"),
            },
            CipherSpec::Name(n) => n.clone(),
        }
    }
}

/// What `connection_information/1` returns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectionInformation {
    /// `protocol`.
    pub protocol: Version,
    /// `selected_cipher_suite`.
    pub selected_cipher_suite: CipherSuite,
    /// `ecc`: the key exchange group.
    pub ecc: Option<String>,
    /// `sni_hostname`.
    pub sni_hostname: Option<String>,
    /// `negotiated_protocol` (ALPN).
    pub negotiated_protocol: Option<Vec<u8>>,
    /// `session_resumption`.
    pub session_resumption: bool,
    /// `keylog`: NSS key log lines, with `{keep_secrets, true}`.
    pub keylog: Vec<String>,
    /// `session_id` (TLS 1.2 clients): the ID the server gave the session.
    pub session_id: Option<Vec<u8>>,
    /// `session_data` (TLS 1.2 clients): for `{reuse_session, {Id, Data}}`.
    pub session_data: Option<SessionData>,
    /// `client_random`: the ClientHello's random.
    pub client_random: Option<Vec<u8>>,
    /// `server_random`: the ServerHello's random, TLS 1.2 only (rustls
    /// keeps TLS 1.3's to itself; no TLS 1.3 key depends on it).
    pub server_random: Option<Vec<u8>>,
}

impl ConnectionInformation {
    fn from_wit(i: wit::ConnectionInfo) -> ConnectionInformation {
        ConnectionInformation {
            protocol: match i.protocol {
                wit::ProtocolVersion::Tlsv12 => Version::Tlsv1_2,
                wit::ProtocolVersion::Tlsv13 => Version::Tlsv1_3,
            },
            selected_cipher_suite: CipherSuite::from_wit(i.selected_cipher_suite),
            ecc: i.ecc,
            sni_hostname: i.sni_hostname,
            negotiated_protocol: i.negotiated_protocol,
            session_resumption: i.session_resumption,
            keylog: Vec::new(),
            session_id: None,
            session_data: None,
            client_random: i.client_random,
            server_random: i.server_random,
        }
    }
}

/// A configured sandbox (for the `bench` harness).
#[cfg(feature = "bench-internals")]
pub(crate) async fn new_instance_for_bench(
    role: wit::Role,
    opts: &[SslOption],
) -> Result<crate::runtime::Instance, Reason> {
    prepare::new_instance(role, opts).await
}

/// `ssl:start/0`: compile (or load from the cache) the engine now.
pub async fn start() -> Result<(), Reason> {
    tokio::task::spawn_blocking(crate::runtime::warm)
        .await
        .map_err(|e| Reason::EngineTrap(e.to_string()))?
        .map_err(Reason::EngineTrap)
}

/// `ssl:stop/0`. Sockets live until closed; this clears the PEM cache.
/// Async, as [`start`] is, so the two pair up in code that awaits both.
pub async fn stop() -> Result<(), Reason> {
    pem_cache::clear();
    Ok(())
}

/// `ssl:clear_pem_cache/0`.
pub fn clear_pem_cache() {
    pem_cache::clear();
}

/// `ssl:listen/2`: a listen socket on `port` (0 picks one). Every option is
/// checked now, TLS ones by the engine itself, so a missing certificate is
/// reported here and not at the first handshake.
pub async fn listen(port: u16, opts: Vec<SslOption>) -> Result<SslSocket, Reason> {
    let owner = owner()?;
    let split = checked_options(wit::Role::Server, &opts).await?;
    let ip = split
        .socket
        .ip
        .unwrap_or(std::net::IpAddr::from([0, 0, 0, 0]));
    let addr = SocketAddr::new(ip, port);
    let sock = if ip.is_ipv4() {
        TcpSocket::new_v4()
    } else {
        TcpSocket::new_v6()
    }
    .map_err(|e| Reason::from_io(&e))?;
    sock.set_reuseaddr(split.socket.reuseaddr)
        .map_err(|e| Reason::from_io(&e))?;
    sock.bind(addr).map_err(|e| Reason::from_io(&e))?;
    let listener = sock
        .listen(split.socket.backlog)
        .map_err(|e| Reason::from_io(&e))?;
    let ls = listen::ListenSocket::new(listener, opts, split.socket, owner);
    Ok(SslSocket {
        id: next_id(),
        inner: Inner::Listen(ls),
    })
}

/// Check `opts` for `role` now, TLS ones by the engine in a throwaway
/// sandbox, so a missing certificate is reported before any connection.
pub(crate) async fn checked_options(
    role: wit::Role,
    opts: &[SslOption],
) -> Result<options::Split, Reason> {
    let split = options::split(role, opts)?;
    drop(prepare::new_instance(role, opts).await?);
    Ok(split)
}

/// `ssl:transport_accept/1,2`: accept a TCP connection on a listen socket.
/// The new socket allows only [`handshake`] and [`controlling_process`]
/// until the handshake is done.
pub async fn transport_accept(
    listen: &SslSocket,
    timeout: impl Into<Timeout>,
) -> Result<SslSocket, Reason> {
    listen.listener()?.accept(timeout.into(), owner()?).await
}

/// `ssl:handshake/1,2`: the server side of the TLS handshake.
pub async fn handshake(
    socket: &SslSocket,
    timeout: impl Into<Timeout>,
) -> Result<SslSocket, Reason> {
    handshake_with(socket, Vec::new(), timeout).await
}

/// `ssl:handshake/3`: the handshake with options added to the listen socket's.
pub async fn handshake_with(
    socket: &SslSocket,
    opts: Vec<SslOption>,
    timeout: impl Into<Timeout>,
) -> Result<SslSocket, Reason> {
    // With `{handshake, hello}` this pauses too; `handshake_hello` returns `Ext`.
    run_handshake(socket, opts, timeout.into().deadline()).await?;
    Ok(socket.clone())
}

/// The socket task's handshake with `extra` options; `Some(Ext)` when it
/// paused at the ClientHello.
async fn run_handshake(
    socket: &SslSocket,
    extra: Vec<SslOption>,
    deadline: Option<Instant>,
) -> Result<Option<HelloExt>, Reason> {
    socket
        .call(|reply| Request::Handshake {
            extra,
            deadline,
            reply,
        })
        .await
}

/// What a server paused by `{handshake, hello}` read in the ClientHello:
/// Erlang's `Ext` in `{ok, S, Ext}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HelloExt {
    /// The server_name the client asked for.
    pub sni: Option<String>,
    /// ALPN protocols offered, in the client's order.
    pub alpn: Vec<Vec<u8>>,
    /// The versions offered that wassl knows (supported_versions, or
    /// `'tlsv1.2'` alone when the client sent none).
    pub versions: Vec<Version>,
    /// Cipher suites offered, as IANA codes in the client's order (see
    /// [`suite_to_str`] for those wassl knows).
    pub cipher_suites: Vec<u16>,
    /// Signature schemes offered, Erlang names.
    pub signature_algs: Vec<String>,
    /// Key exchange groups offered, Erlang names.
    pub groups: Vec<String>,
}

/// `ssl:handshake/2,3` with `{handshake, hello}`: read the ClientHello and
/// stop, returning `{ok, S, Ext}`. Choose options from `Ext`, then call
/// [`handshake_continue`] or [`handshake_cancel`]. Servers only.
pub async fn handshake_hello(
    socket: &SslSocket,
    mut opts: Vec<SslOption>,
    timeout: impl Into<Timeout>,
) -> Result<(SslSocket, HelloExt), Reason> {
    opts.push(SslOption::Handshake(HandshakeMode::Hello));
    let ext = run_handshake(socket, opts, timeout.into().deadline())
        .await?
        .ok_or(Reason::Einval)?;
    Ok((socket.clone(), ext))
}

/// `ssl:handshake_continue/2,3`: finish a handshake paused at the
/// ClientHello, with `opts` added to those given so far.
pub async fn handshake_continue(
    socket: &SslSocket,
    opts: Vec<SslOption>,
    timeout: impl Into<Timeout>,
) -> Result<SslSocket, Reason> {
    let deadline = timeout.into().deadline();
    socket
        .call(|reply| Request::HandshakeContinue {
            extra: opts,
            deadline,
            reply,
        })
        .await?;
    Ok(socket.clone())
}

/// `ssl:handshake_cancel/1`: refuse a paused handshake with a
/// `user_canceled` alert and close the socket.
pub async fn handshake_cancel(socket: &SslSocket) -> Result<(), Reason> {
    socket
        .call(|reply| Request::HandshakeCancel { reply })
        .await
}

/// `ssl:ssl_accept/1,2`: the old name of [`handshake`].
pub async fn ssl_accept(socket: &SslSocket, timeout: impl Into<Timeout>) -> Result<(), Reason> {
    handshake(socket, timeout).await.map(|_| ())
}

/// `ssl:handshake(TcpSocket, Opts, Timeout)`: upgrade an accepted TCP stream
/// to a TLS server connection.
pub async fn handshake_tcp(
    tcp: TcpStream,
    opts: Vec<SslOption>,
    timeout: impl Into<Timeout>,
) -> Result<SslSocket, Reason> {
    let s = socket::spawn(socket::Setup {
        tcp,
        role: wit::Role::Server,
        server_name: String::new(),
        opts,
        owner: owner()?,
        prepared: None,
        socket: None,
        peer: None,
    })?;
    handshake(&s, timeout).await
}

/// `ssl:connect/3,4`: a TLS connection to `host:port`. The server's
/// certificate is checked against `host` (or `server_name_indication`).
pub async fn connect(
    host: &str,
    port: u16,
    opts: Vec<SslOption>,
    timeout: impl Into<Timeout>,
) -> Result<SslSocket, Reason> {
    let deadline = timeout.into().deadline();
    owner()?;
    // The sandbox first: a bad option is reported even when the peer is
    // down, and the one configured here is the one the handshake uses.
    let prepared = prepare::new_instance_for(wit::Role::Client, &opts, Some((host, port))).await?;
    let (local_ip, local_port) = (prepared.socket.ip, prepared.socket.port);
    let tcp = async {
        let mut addrs = tokio::net::lookup_host((host, port))
            .await
            .map_err(|_| Reason::Posix("nxdomain".into()))?;
        let mut last = Reason::Posix("nxdomain".into());
        for addr in addrs.by_ref() {
            let sock = if addr.is_ipv4() {
                TcpSocket::new_v4()
            } else {
                TcpSocket::new_v6()
            };
            let sock = sock.map_err(|e| Reason::from_io(&e))?;
            // {ip, A} and {port, P}: where to connect from.
            if local_ip.is_some() || local_port != 0 {
                let any = if addr.is_ipv4() {
                    [0u8; 4].into()
                } else {
                    [0u16; 8].into()
                };
                sock.bind(SocketAddr::new(local_ip.unwrap_or(any), local_port))
                    .map_err(|e| Reason::from_io(&e))?;
            }
            match sock.connect(addr).await {
                Ok(s) => return Ok(s),
                Err(e) => last = Reason::from_io(&e),
            }
        }
        Err(last)
    };
    let tcp = match deadline {
        Some(d) => tokio::time::timeout_at(d, tcp)
            .await
            .map_err(|_| Reason::Timeout)??,
        None => tcp.await?,
    };
    connect_stream(tcp, host, opts, deadline, Some(prepared)).await
}

/// `ssl:connect/2,3` on a connected TCP stream: upgrade it to TLS as a
/// client. `server_name` is the name the certificate is checked against.
pub async fn connect_tcp(
    tcp: TcpStream,
    server_name: &str,
    opts: Vec<SslOption>,
    timeout: impl Into<Timeout>,
) -> Result<SslSocket, Reason> {
    connect_stream(tcp, server_name, opts, timeout.into().deadline(), None).await
}

async fn connect_stream(
    tcp: TcpStream,
    host: &str,
    opts: Vec<SslOption>,
    deadline: Option<Instant>,
    prepared: Option<prepare::Prepared>,
) -> Result<SslSocket, Reason> {
    let s = socket::spawn(socket::Setup {
        tcp,
        role: wit::Role::Client,
        server_name: host.to_string(),
        opts,
        owner: owner()?,
        prepared,
        socket: None,
        peer: None,
    })?;
    run_handshake(&s, Vec::new(), deadline).await?;
    Ok(s)
}

/// `ssl:send/2`. Owned bytes (a `Vec<u8>`, a `String`, received [`Data`])
/// move to the connection; borrowed ones are copied (see [`Iodata`]).
pub async fn send(socket: &SslSocket, data: impl Iodata) -> Result<(), Reason> {
    let data = data.into_bytes();
    socket.call(|reply| Request::Send { data, reply }).await
}

/// `ssl:recv/2,3`: passive mode only. `len` 0 returns what is available;
/// N > 0 (raw packet mode) returns exactly N bytes.
pub async fn recv(
    socket: &SslSocket,
    len: usize,
    timeout: impl Into<Timeout>,
) -> Result<Data, Reason> {
    let deadline = timeout.into().deadline();
    socket
        .call(|reply| Request::Recv {
            len,
            deadline,
            reply,
        })
        .await
}

/// `ssl:setopts/2`: socket options (`active`, `mode`, `packet`, `nodelay`).
pub async fn setopts(socket: &SslSocket, opts: Vec<SslOption>) -> Result<(), Reason> {
    socket.call(|reply| Request::Setopts { opts, reply }).await
}

/// `ssl:getopts/2`.
pub async fn getopts(socket: &SslSocket, names: &[OptName]) -> Result<Vec<SslOption>, Reason> {
    if let Inner::Listen(l) = &socket.inner {
        return Ok(l.socket_opts.get(names));
    }
    let names = names.to_vec();
    socket.call(|reply| Request::Getopts { names, reply }).await
}

/// `ssl:controlling_process/2`: only the current owner may give a socket away.
pub async fn controlling_process(socket: &SslSocket, new_owner: &Pid) -> Result<(), Reason> {
    let caller = owner()?;
    if let Inner::Listen(l) = &socket.inner {
        return l.set_owner(&caller, new_owner.clone());
    }
    let new = new_owner.clone();
    socket
        .call(|reply| Request::ControllingProcess { caller, new, reply })
        .await
}

/// `ssl:close/1`: close_notify, then the connection is gone. Closing a listen
/// socket stops its acceptors with `{error, closed}`.
pub async fn close(socket: &SslSocket) -> Result<(), Reason> {
    match &socket.inner {
        Inner::Listen(l) => {
            l.close();
            Ok(())
        }
        Inner::Conn(_) => match socket
            .call(|reply| Request::Close {
                deadline: None,
                reply,
            })
            .await
        {
            Err(Reason::Closed) => Ok(()),
            other => other,
        },
    }
}

/// `ssl:close/2` with a timeout: send close_notify and wait up to `timeout`
/// for the peer's, then close.
pub async fn close_with(socket: &SslSocket, timeout: impl Into<Timeout>) -> Result<(), Reason> {
    if let Inner::Listen(l) = &socket.inner {
        l.close();
        return Ok(());
    }
    let deadline = timeout.into().deadline();
    match socket
        .call(|reply| Request::Close { deadline, reply })
        .await
    {
        Err(Reason::Closed) => Ok(()),
        other => other,
    }
}

/// `ssl:close(S, {NewController, Timeout})`: close TLS (close_notify both
/// ways) and keep the TCP connection, which now belongs to `new_owner`.
/// Returns the stream and any plain bytes the peer sent after its
/// close_notify (Erlang's `{ok, Port, Data}`).
pub async fn close_downgrade(
    socket: &SslSocket,
    new_owner: &Pid,
    timeout: impl Into<Timeout>,
) -> Result<(TcpStream, Vec<u8>), Reason> {
    let _ = new_owner; // The stream is handed over with the call; Rust has no port owners.
    let caller = owner()?;
    let deadline = timeout.into().deadline();
    socket
        .call(|reply| Request::Downgrade {
            caller,
            deadline,
            reply,
        })
        .await
}

/// `ssl:getstat/1,2`: counts of the TCP traffic under the socket.
pub async fn getstat(socket: &SslSocket, stats: &[Stat]) -> Result<Vec<(Stat, u64)>, Reason> {
    let stats = stats.to_vec();
    port_call(socket.call(|reply| Request::Getstat { stats, reply }).await)
}

/// `ssl:shutdown/2`.
pub async fn shutdown(socket: &SslSocket, how: How) -> Result<(), Reason> {
    socket.call(|reply| Request::Shutdown { how, reply }).await
}

/// `ssl:peername/1`. On a closed socket `einval`, as OTP (its TCP port is gone).
pub async fn peername(socket: &SslSocket) -> Result<SocketAddr, Reason> {
    port_call(socket.call(|reply| Request::Peername { reply }).await)
}

/// A call OTP makes on the TCP port itself: once the socket is gone, `einval`.
fn port_call<T>(r: Result<T, Reason>) -> Result<T, Reason> {
    r.map_err(|e| match e {
        Reason::Closed => Reason::Einval,
        other => other,
    })
}

/// `ssl:sockname/1`.
pub async fn sockname(socket: &SslSocket) -> Result<SocketAddr, Reason> {
    if let Inner::Listen(l) = &socket.inner {
        return l.local_addr();
    }
    port_call(socket.call(|reply| Request::Sockname { reply }).await)
}

/// `ssl:peercert/1`: the peer's certificate, DER-encoded.
pub async fn peercert(socket: &SslSocket) -> Result<Vec<u8>, Reason> {
    socket.call(|reply| Request::Peercert { reply }).await
}

/// `ssl:connection_information/1`.
pub async fn connection_information(socket: &SslSocket) -> Result<ConnectionInformation, Reason> {
    socket.call(|reply| Request::Info { reply }).await
}

/// An item of `ssl:connection_information/2`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InfoItem {
    /// `protocol`.
    Protocol,
    /// `selected_cipher_suite`.
    SelectedCipherSuite,
    /// `ecc`.
    Ecc,
    /// `sni_hostname`.
    SniHostname,
    /// `negotiated_protocol`.
    NegotiatedProtocol,
    /// `session_resumption`.
    SessionResumption,
    /// `keylog` (with `keep_secrets`).
    Keylog,
    /// `client_random`.
    ClientRandom,
    /// `master_secret` (TLS 1.2; TLS 1.3 has none).
    MasterSecret,
    /// `server_random` (TLS 1.2: rustls keeps TLS 1.3's to itself).
    ServerRandom,
    /// `session_id` (TLS 1.2 clients).
    SessionId,
    /// `session_data` (TLS 1.2 clients).
    SessionData,
}

/// A value of `ssl:connection_information/2`, tagged with its item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InfoValue {
    /// `{protocol, V}`.
    Protocol(Version),
    /// `{selected_cipher_suite, Suite}`.
    SelectedCipherSuite(CipherSuite),
    /// `{ecc, Group}`.
    Ecc(String),
    /// `{sni_hostname, Name}`.
    SniHostname(String),
    /// `{negotiated_protocol, Proto}`.
    NegotiatedProtocol(Vec<u8>),
    /// `{session_resumption, Bool}`.
    SessionResumption(bool),
    /// `{keylog, Lines}`.
    Keylog(Vec<String>),
    /// `{client_random, Bytes}`.
    ClientRandom(Vec<u8>),
    /// `{master_secret, Bytes}`.
    MasterSecret(Vec<u8>),
    /// `{server_random, Bytes}`.
    ServerRandom(Vec<u8>),
    /// `{session_id, Id}`.
    SessionId(Vec<u8>),
    /// `{session_data, Data}`.
    SessionData(SessionData),
}

/// The old name of [`connection_information_with`].
#[deprecated(note = "use connection_information_with (Erlang arities with options are `_with`)")]
pub async fn connection_information_items(
    socket: &SslSocket,
    items: &[InfoItem],
) -> Result<Vec<InfoValue>, Reason> {
    connection_information_with(socket, items).await
}

/// `ssl:connection_information/2`: the items asked for, answered in OTP's
/// own order; an item with no value (no ALPN, no secrets kept, TLS 1.3's
/// `server_random` and `master_secret`) is left out, as OTP leaves it out.
/// As in OTP, `client_random`, `server_random` and `master_secret` need no
/// `keep_secrets`.
pub async fn connection_information_with(
    socket: &SslSocket,
    items: &[InfoItem],
) -> Result<Vec<InfoValue>, Reason> {
    let i = connection_information(socket).await?;
    let master = if items.contains(&InfoItem::MasterSecret) {
        socket.call(|reply| Request::MasterSecret { reply }).await?
    } else {
        None
    };
    // OTP answers in the order of its own list, whatever the order asked.
    const OTP_ORDER: [InfoItem; 12] = [
        InfoItem::Protocol,
        InfoItem::SessionId,
        InfoItem::SessionData,
        InfoItem::SessionResumption,
        InfoItem::SelectedCipherSuite,
        InfoItem::SniHostname,
        InfoItem::Ecc,
        InfoItem::NegotiatedProtocol,
        InfoItem::ClientRandom,
        InfoItem::ServerRandom,
        InfoItem::MasterSecret,
        InfoItem::Keylog,
    ];
    let mut out = Vec::new();
    for item in OTP_ORDER.iter().filter(|i| items.contains(i)) {
        let v = match item {
            InfoItem::Protocol => Some(InfoValue::Protocol(i.protocol)),
            InfoItem::SelectedCipherSuite => Some(InfoValue::SelectedCipherSuite(
                i.selected_cipher_suite.clone(),
            )),
            InfoItem::Ecc => i.ecc.clone().map(InfoValue::Ecc),
            InfoItem::SniHostname => i.sni_hostname.clone().map(InfoValue::SniHostname),
            InfoItem::NegotiatedProtocol => i
                .negotiated_protocol
                .clone()
                .map(InfoValue::NegotiatedProtocol),
            InfoItem::SessionResumption => Some(InfoValue::SessionResumption(i.session_resumption)),
            InfoItem::Keylog => (!i.keylog.is_empty()).then(|| InfoValue::Keylog(i.keylog.clone())),
            InfoItem::ClientRandom => i.client_random.clone().map(InfoValue::ClientRandom),
            InfoItem::MasterSecret => master.clone().map(InfoValue::MasterSecret),
            InfoItem::ServerRandom => i.server_random.clone().map(InfoValue::ServerRandom),
            InfoItem::SessionId => i.session_id.clone().map(InfoValue::SessionId),
            InfoItem::SessionData => i.session_data.clone().map(InfoValue::SessionData),
        };
        out.extend(v);
    }
    Ok(out)
}

/// `ssl:negotiated_protocol/1`: the ALPN protocol.
pub async fn negotiated_protocol(socket: &SslSocket) -> Result<Vec<u8>, Reason> {
    connection_information(socket)
        .await?
        .negotiated_protocol
        .ok_or(Reason::ProtocolNotNegotiated)
}

/// wassl extension: the linear memory this socket's sandbox uses, in bytes.
pub async fn engine_memory(socket: &SslSocket) -> Result<usize, Reason> {
    socket.call(|reply| Request::EngineMemory { reply }).await
}

/// What `versions/0` reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Versions {
    /// `ssl_app`: wassl's version.
    pub ssl_app: String,
    /// `supported`: versions used by default.
    pub supported: Vec<Version>,
    /// `available`: versions that can be configured.
    pub available: Vec<Version>,
    /// `implemented`.
    pub implemented: Vec<Version>,
}

/// `ssl:versions/0`.
pub fn versions() -> Versions {
    let v = vec![Version::Tlsv1_3, Version::Tlsv1_2];
    Versions {
        ssl_app: env!("CARGO_PKG_VERSION").into(),
        supported: v.clone(),
        available: v.clone(),
        implemented: v,
    }
}

/// `Description` of `cipher_suites/2`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SuiteDescription {
    /// Suites used by default.
    Default,
    /// Every suite that can be configured (the same set: wassl has no legacy suites).
    All,
    /// Suites that belong to exactly this version (TLS 1.3 suites for `'tlsv1.3'`).
    Exclusive,
}

/// `ssl:cipher_suites/2`: the suites for `version`, in preference order.
pub async fn cipher_suites(
    description: SuiteDescription,
    version: Version,
) -> Result<Vec<CipherSuite>, Reason> {
    let all = all_suites().await?;
    let tls13 = |s: &CipherSuite| s.key_exchange == "any";
    Ok(all
        .iter()
        .map(|(s, _)| s)
        .filter(|s| match (version, description) {
            (Version::Tlsv1_3, _) => tls13(s),
            (Version::Tlsv1_2, SuiteDescription::Exclusive) => !tls13(s),
            // TLS 1.2 in OTP lists 1.2 suites only; the 1.3 ones cannot be used there.
            (Version::Tlsv1_2, _) => !tls13(s),
            _ => false,
        })
        .cloned()
        .collect())
}

/// An unconfigured sandbox, to ask the engine what it implements.
async fn scratch_instance() -> Result<crate::runtime::Instance, Reason> {
    let rt = crate::runtime::get().map_err(Reason::EngineTrap)?;
    let policy = options::split(wit::Role::Client, &[])?.policy;
    crate::runtime::Instance::new(
        &rt,
        crate::imports::VerifyPolicy(policy),
        Default::default(),
    )
    .await
}

/// Every suite the engine knows, with its OpenSSL name (asked once).
async fn all_suites() -> Result<&'static Vec<(CipherSuite, String)>, Reason> {
    static ALL: tokio::sync::OnceCell<Vec<(CipherSuite, String)>> =
        tokio::sync::OnceCell::const_new();
    ALL.get_or_try_init(|| async {
        let mut inst = scratch_instance().await?;
        Ok::<_, Reason>(
            inst.cipher_suites()
                .await?
                .into_iter()
                .map(|(s, o)| (CipherSuite::from_wit(s), o))
                .collect(),
        )
    })
    .await
}

async fn engine_lists() -> Result<&'static (Vec<String>, Vec<String>, Vec<String>), Reason> {
    static LISTS: tokio::sync::OnceCell<(Vec<String>, Vec<String>, Vec<String>)> =
        tokio::sync::OnceCell::const_new();
    LISTS
        .get_or_try_init(|| async { scratch_instance().await?.groups_and_sigalgs().await })
        .await
}

/// `ssl:groups/0`: the key exchange groups wassl implements (`x25519`...).
pub async fn groups() -> Result<Vec<String>, Reason> {
    Ok(engine_lists().await?.0.clone())
}

/// `ssl:signature_algs/2` (`default` or `all`): the schemes for a version,
/// TLS 1.3 names or TLS 1.2 `{Hash, Sign}` tuples.
pub async fn signature_algs(version: Version) -> Result<Vec<String>, Reason> {
    let l = engine_lists().await?;
    Ok(if version == Version::Tlsv1_3 {
        l.1.clone()
    } else {
        l.2.clone()
    })
}

/// `ssl:suite_to_str/1`: the IANA (RFC) name.
pub fn suite_to_str(suite: &CipherSuite) -> String {
    suite.iana_name.clone()
}

/// `ssl:suite_to_openssl_str/1`: the OpenSSL name.
pub async fn suite_to_openssl_str(suite: &CipherSuite) -> Result<String, Reason> {
    all_suites()
        .await?
        .iter()
        .find(|(s, _)| s.code == suite.code)
        .map(|(_, o)| o.clone())
        .ok_or_else(|| {
            Reason::options(
                "cipher_suite",
                suite.iana_name.clone(),
                "not a suite wassl knows",
            )
        })
}

/// `ssl:str_to_suite/1`: an IANA or OpenSSL name to the map form.
///
/// ```
/// # #[tokio::main] async fn main() {
/// use wassl::ssl;
/// let s = ssl::str_to_suite("ECDHE-ECDSA-AES128-GCM-SHA256").await.unwrap();
/// assert_eq!((s.key_exchange.as_str(), s.cipher.as_str()), ("ecdhe_ecdsa", "aes_128_gcm"));
/// assert_eq!(ssl::suite_to_str(&s), "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256");
/// # }
/// ```
pub async fn str_to_suite(name: &str) -> Result<CipherSuite, Reason> {
    all_suites()
        .await?
        .iter()
        .find(|(s, o)| s.iana_name.eq_ignore_ascii_case(name) || o.eq_ignore_ascii_case(name))
        .map(|(s, _)| s.clone())
        .ok_or_else(|| {
            Reason::options(
                "cipher_suite",
                format!("{name:?}"),
                "not a suite wassl knows",
            )
        })
}

/// A filter of `filter_cipher_suites/2`: which part of a suite, and the test.
pub enum SuiteFilter {
    /// `{key_exchange, Fun}`.
    KeyExchange(Box<dyn Fn(&str) -> bool>),
    /// `{cipher, Fun}`.
    Cipher(Box<dyn Fn(&str) -> bool>),
    /// `{mac, Fun}`.
    Mac(Box<dyn Fn(&str) -> bool>),
    /// `{prf, Fun}`.
    Prf(Box<dyn Fn(&str) -> bool>),
}

/// `ssl:filter_cipher_suites/2`: the suites every filter accepts.
pub fn filter_cipher_suites(suites: &[CipherSuite], filters: &[SuiteFilter]) -> Vec<CipherSuite> {
    suites
        .iter()
        .filter(|s| {
            filters.iter().all(|f| match f {
                SuiteFilter::KeyExchange(t) => t(&s.key_exchange),
                SuiteFilter::Cipher(t) => t(&s.cipher),
                SuiteFilter::Mac(t) => t(&s.mac),
                SuiteFilter::Prf(t) => t(&s.prf),
            })
        })
        .cloned()
        .collect()
}

/// `ssl:prepend_cipher_suites/2`: `preferred` first, then the rest of `suites`.
pub fn prepend_cipher_suites(
    preferred: &[CipherSuite],
    suites: &[CipherSuite],
) -> Vec<CipherSuite> {
    let mut out = preferred.to_vec();
    out.extend(suites.iter().filter(|s| !preferred.contains(s)).cloned());
    out
}

/// `ssl:append_cipher_suites/2`: `suites` without `deferred`, then `deferred`.
pub fn append_cipher_suites(deferred: &[CipherSuite], suites: &[CipherSuite]) -> Vec<CipherSuite> {
    let mut out: Vec<CipherSuite> = suites
        .iter()
        .filter(|s| !deferred.contains(s))
        .cloned()
        .collect();
    out.extend(deferred.iter().cloned());
    out
}

/// `update_keys/2`'s `Type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyUpdate {
    /// `write`: new sending keys only. Where the engine still holds the
    /// records (`{record_offload, false}`) it also asks the peer to update,
    /// since rustls always does.
    Write,
    /// `read_write`.
    ReadWrite,
}

/// `ssl:update_keys/2` (TLS 1.3): new traffic keys. On TLS 1.2 it is
/// `{error, notsup}`.
pub async fn update_keys(socket: &SslSocket, how: KeyUpdate) -> Result<(), Reason> {
    let request_peer = how == KeyUpdate::ReadWrite;
    socket
        .call(|reply| Request::UpdateKeys {
            request_peer,
            reply,
        })
        .await
}

/// `ssl:export_key_materials/4`: RFC 5705 / RFC 8446 exporters, one output
/// per label, with its context (`None`: `no_context`) and length (1 byte
/// to 16 MiB). As in OTP 27+, this is `/5` with `ConsumeSecret` true: on
/// TLS 1.3 the exporter secret is used up, and a later call is
/// `exporter_master_secret_already_consumed`.
pub async fn export_key_materials(
    socket: &SslSocket,
    labels: &[&[u8]],
    contexts: &[Option<&[u8]>],
    lengths: &[usize],
) -> Result<Vec<Vec<u8>>, Reason> {
    export_key_materials_with(socket, labels, contexts, lengths, true).await
}

/// `ssl:export_key_materials/5`: `consume_secret` false keeps TLS 1.3's
/// exporter secret for later calls (TLS 1.2 has nothing to consume).
/// Lists of different lengths are `bad_input`.
pub async fn export_key_materials_with(
    socket: &SslSocket,
    labels: &[&[u8]],
    contexts: &[Option<&[u8]>],
    lengths: &[usize],
    consume_secret: bool,
) -> Result<Vec<Vec<u8>>, Reason> {
    if labels.len() != contexts.len() || labels.len() != lengths.len() {
        return Err(Reason::BadInput);
    }
    let items = labels
        .iter()
        .zip(contexts)
        .zip(lengths)
        .map(|((l, c), n)| (l.to_vec(), c.map(<[u8]>::to_vec), *n))
        .collect();
    socket
        .call(|reply| Request::Export {
            items,
            consume: consume_secret,
            reply,
        })
        .await
}

/// `ssl:prf/5`'s `Secret`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PrfSecret {
    /// `master_secret`: the session's.
    MasterSecret,
    /// A binary of the caller's.
    Bytes(Vec<u8>),
}

/// One element of `ssl:prf/5`'s `Seed` list; the seed is their
/// concatenation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PrfSeed {
    /// `client_random`.
    ClientRandom,
    /// `server_random`.
    ServerRandom,
    /// A binary of the caller's.
    Bytes(Vec<u8>),
}

/// `ssl:prf/5`, as modern OTP has it:
/// - `(MasterSecret, [ClientRandom, ServerRandom])` and
///   `(MasterSecret, [ClientRandom, ServerRandom, Bytes(Context)])` are
///   [`export_key_materials`] (RFC 5705 on TLS 1.2, RFC 8446 on TLS 1.3),
///   consuming TLS 1.3's exporter secret as it does;
/// - a secret and seed all of the caller's bytes go through the TLS 1.2
///   PRF (RFC 5246, 5) with the suite's hash, on either version;
/// - any other mix of `MasterSecret` and the randoms is the TLS 1.2
///   session's PRF as OTP 25 computed it, and `undefined` on TLS 1.3.
///
/// `einval` before the handshake or for over 16 MiB; `closed` once closed.
pub async fn prf(
    socket: &SslSocket,
    secret: PrfSecret,
    label: &[u8],
    seed: &[PrfSeed],
    wanted_length: usize,
) -> Result<Vec<u8>, Reason> {
    use PrfSeed::{Bytes, ClientRandom, ServerRandom};
    if wanted_length > 16 << 20 {
        return Err(Reason::Einval);
    }
    let context = match (&secret, seed) {
        (PrfSecret::MasterSecret, [ClientRandom, ServerRandom]) => Some(None),
        (PrfSecret::MasterSecret, [ClientRandom, ServerRandom, Bytes(c)]) => Some(Some(&c[..])),
        _ => None,
    };
    if let Some(context) = context {
        let mut out = export_key_materials(socket, &[label], &[context], &[wanted_length]).await?;
        return Ok(out.remove(0));
    }
    if let PrfSecret::Bytes(secret) = &secret {
        let bytes: Option<Vec<&[u8]>> = seed
            .iter()
            .map(|p| match p {
                Bytes(b) => Some(&b[..]),
                _ => None,
            })
            .collect();
        if let Some(bytes) = bytes {
            // No secret of the session: the host computes it.
            let sha = match connection_information(socket)
                .await?
                .selected_cipher_suite
                .prf
                .as_str()
            {
                "sha384" => crate::kdf::Sha::Sha384,
                _ => crate::kdf::Sha::Sha256,
            };
            let mut out = vec![0; wanted_length];
            crate::kdf::tls12_prf(sha, secret, label, &bytes.concat(), &mut out);
            return Ok(out);
        }
    }
    let label = label.to_vec();
    let seed = seed.to_vec();
    socket
        .call(|reply| Request::Prf {
            secret,
            label,
            seed,
            length: wanted_length,
            reply,
        })
        .await
}

/// `ssl:renegotiate/1`: renegotiation does not exist in wassl (rustls has
/// none; TLS 1.3 replaced it by key update): `{error, notsup}`.
pub async fn renegotiate(socket: &SslSocket) -> Result<(), Reason> {
    // A closed socket says so first, as in Erlang.
    sockname(socket).await?;
    Err(Reason::Posix("notsup".into()))
}

//! A TLS-terminating reverse proxy on wassl's public API: one or several
//! listen addresses, certificates per host name (`sni_hosts`), ALPN,
//! optional client certificates, backends chosen by SNI, in TCP mode (bytes
//! relayed, optionally after a PROXY protocol v2 header) or HTTP mode
//! (HTTP/1.1 and HTTP/2 from clients, `Forwarded` headers, 502/504), a
//! timestamped line of access log per connection, metrics, a graceful
//! shutdown and a reload that keeps established connections. Built on
//! `wassl::stream::TlsAcceptor`: one task per connection. Configured by a
//! small TOML file:
//!
//! ```toml
//! listen = "127.0.0.1:8443"      # or ["0.0.0.0:443", "[::]:443"]
//! mode = "tcp"                   # tcp (the default) | http
//! # proxy_protocol = "v2"        # tcp: a PROXY v2 header to backends
//! # backends_speak_h2 = true     # tcp: allow "h2" in alpn (backends get it raw)
//! # client_cert_header = "X-Client-Cert"  # http: the verified client certificate
//! backend_connect_timeout_ms = 5000    # past it: 504 (http), closed (tcp)
//! backend_response_timeout_ms = 60000  # http: past it, 504
//! handshake_timeout_ms = 10000   # a client that does not finish is dropped
//! # max_handshakes_per_address = 8  # more from one IP are refused with an alert
//! alpn = ["http/1.1"]            # alpn_preferred_protocols
//! # client_cacertfile = "ca.pem" # set it to require client certificates
//! access_log = "access.log"      # absent: standard output
//! # admin = "127.0.0.1:9901"     # GET /metrics (Prometheus), GET /health
//! shutdown_grace_ms = 5000
//!
//! [default]                      # for clients without SNI or another name
//! certfile = "server.pem"
//! keyfile = "server.key"
//! backend = "127.0.0.1:8080"
//!
//! [[hosts]]
//! name = "api.example"
//! certfile = "api.pem"
//! keyfile = "api.key"
//! backend = "127.0.0.1:8081"
//!
//! [sessions]                     # resumption; absent: no tickets
//! tickets = "stateful"           # disabled | stateless | stateful
//! lifetime_s = 86400             # session_lifetime
//! early_data = false             # 0-RTT (stateful tickets only)
//! # ticket_key_file = "ticket.keys"  # stateless: keys the operator rotates
//! ticket_key_rotate_s = 3600     # stateless: generated keys rotate...
//! ticket_keys_kept = 2           # ...and this many older ones still open
//!
//! [sessions.redis]               # a fleet: every node shares these
//! url = "redis://10.0.0.5:6379/"
//! secret_file = "fleet.secret"   # 32+ bytes, the same on every node
//! timeout_ms = 50
//! ```

use std::future::Future;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Deserialize;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::mpsc;
use wassl::ssl::{self, SslOption, Verify};
use wassl::stream::TlsAcceptor;

mod admin;
mod http;
mod proxy_v2;
use admin::{reason_label, Metrics};

/// The proxy's configuration (see the module docs for the TOML form).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `IP:port` to listen on, or a list of them.
    pub listen: Listen,
    /// What reaches the backends: the bytes (tcp) or HTTP requests (http).
    #[serde(default)]
    pub mode: Mode,
    /// TCP mode: send a PROXY protocol header (`"v2"`) to backends first.
    pub proxy_protocol: Option<ProxyProtocol>,
    /// TCP mode: the backends speak HTTP/2, so "h2" may be in `alpn`.
    #[serde(default)]
    pub backends_speak_h2: bool,
    /// HTTP mode: pass the verified client certificate (URL-escaped PEM)
    /// in this header; a client's own header of that name is removed.
    pub client_cert_header: Option<String>,
    /// The longest connecting to a backend may take, in milliseconds.
    #[serde(default = "default_connect_timeout")]
    pub backend_connect_timeout_ms: u64,
    /// HTTP mode: the longest a backend may take to answer, in milliseconds.
    #[serde(default = "default_response_timeout")]
    pub backend_response_timeout_ms: u64,
    /// The longest a client may take to finish its handshake, in
    /// milliseconds (its connection closes then, and its sandbox is freed).
    #[serde(default = "default_handshake_timeout")]
    pub handshake_timeout_ms: u64,
    /// At most this many handshakes in progress from one client IP
    /// address; more are refused with an alert at once (absent: no limit).
    pub max_handshakes_per_address: Option<u32>,
    /// ALPN protocols, in the server's order of preference.
    #[serde(default)]
    pub alpn: Vec<String>,
    /// When set, clients must present a certificate issued by these CAs.
    pub client_cacertfile: Option<PathBuf>,
    /// Where access log lines go (standard output when absent).
    pub access_log: Option<PathBuf>,
    /// `IP:port` of the admin listener: `/metrics` and `/health`, plain
    /// HTTP (absent: none).
    pub admin: Option<String>,
    /// How long a shutdown waits for open connections, in milliseconds.
    #[serde(default = "default_grace")]
    pub shutdown_grace_ms: u64,
    /// The certificate and backend for any other name.
    pub default: Site,
    /// Certificates and backends per server name.
    #[serde(default)]
    pub hosts: Vec<Host>,
    /// Session resumption, on this node or across a fleet.
    #[serde(default)]
    pub sessions: Sessions,
}

/// Session resumption: tickets, their keys, and where sessions are kept.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sessions {
    /// `session_tickets` (TLS 1.3): disabled (the default), stateless or
    /// stateful. TLS 1.2 resumes by session ID whatever this says.
    #[serde(default)]
    pub tickets: Tickets,
    /// `session_lifetime`: seconds a kept session may be resumed.
    pub lifetime_s: Option<u32>,
    /// `{early_data, enabled}`: accept 0-RTT data (stateful tickets only:
    /// single use is what refuses a replay, across the fleet with Redis).
    #[serde(default)]
    pub early_data: bool,
    /// Stateless tickets: keys from this file (one per line, 64 hex digits,
    /// the first seals), read again when it changes.
    pub ticket_key_file: Option<PathBuf>,
    /// Stateless tickets: generated keys seal for this many seconds...
    #[serde(default = "default_rotate")]
    pub ticket_key_rotate_s: u64,
    /// ...and this many older ones still open tickets.
    #[serde(default = "default_kept")]
    pub ticket_keys_kept: u32,
    /// A fleet's Redis: sessions, stateful tickets and generated ticket
    /// keys shared by every node configured with it.
    pub redis: Option<RedisSection>,
}

impl Default for Sessions {
    fn default() -> Self {
        Sessions {
            tickets: Tickets::Disabled,
            lifetime_s: None,
            early_data: false,
            ticket_key_file: None,
            ticket_key_rotate_s: default_rotate(),
            ticket_keys_kept: default_kept(),
            redis: None,
        }
    }
}

fn default_rotate() -> u64 {
    3600
}

fn default_kept() -> u32 {
    2
}

/// `session_tickets` on the server.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Tickets {
    /// No TLS 1.3 tickets.
    #[default]
    Disabled,
    /// Tickets carry the sealed session; no server state.
    Stateless,
    /// Tickets name a session kept by the server (or the fleet), single use.
    Stateful,
}

/// How to reach the fleet's Redis.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedisSection {
    /// `redis://host:port/db`.
    pub url: String,
    /// The fleet's secret (32 bytes or more, the same file on every node):
    /// what Redis holds is sealed with it.
    pub secret_file: PathBuf,
    /// The longest one Redis command may take, in milliseconds.
    #[serde(default = "default_redis_timeout")]
    pub timeout_ms: u64,
    /// Prepended to every Redis key (several fleets in one Redis).
    pub prefix: Option<String>,
}

fn default_redis_timeout() -> u64 {
    50
}

impl Sessions {
    /// The listen options for resumption; the Redis cache is made (and its
    /// secret read) here, so a bad setting stops the proxy at start.
    fn options(&self) -> Result<Vec<SslOption>, String> {
        use wassl::ssl::{
            EarlyData, RedisConfig, RedisSessionCache, SessionCb, SessionTickets, TicketKeys,
        };
        let mut o = Vec::new();
        let cache = match &self.redis {
            Some(r) => {
                let secret = std::fs::read(&r.secret_file).map_err(|e| {
                    format!(
                        "sessions.redis.secret_file {}: {e}",
                        r.secret_file.display()
                    )
                })?;
                let mut cfg = RedisConfig::new(r.url.clone(), secret);
                cfg.timeout = Duration::from_millis(r.timeout_ms.max(1));
                if let Some(p) = &r.prefix {
                    cfg.prefix = p.clone();
                }
                let cache = RedisSessionCache::new(cfg)
                    .map_err(|e| format!("sessions.redis: {}", ssl::format_error(&e)))?;
                o.push(SslOption::SessionCb(SessionCb::new(cache.clone())));
                Some(cache)
            }
            None => None,
        };
        if let Some(s) = self.lifetime_s {
            o.push(SslOption::SessionLifetime(s));
        }
        let rotate = Duration::from_secs(self.ticket_key_rotate_s);
        let keep = self.ticket_keys_kept;
        match self.tickets {
            Tickets::Disabled => {}
            Tickets::Stateful => o.push(SslOption::SessionTickets(SessionTickets::Stateful)),
            Tickets::Stateless => {
                o.push(SslOption::SessionTickets(SessionTickets::Stateless));
                o.push(SslOption::TicketKeys(
                    match (&self.ticket_key_file, cache) {
                        (Some(f), _) => TicketKeys::File(f.clone()),
                        (None, Some(cache)) => TicketKeys::Redis {
                            cache,
                            rotate,
                            keep,
                        },
                        (None, None) => TicketKeys::Process { rotate, keep },
                    },
                ));
            }
        }
        if self.early_data {
            o.push(SslOption::EarlyData(EarlyData::Enabled));
        }
        Ok(o)
    }
}

fn default_grace() -> u64 {
    5000
}

fn default_handshake_timeout() -> u64 {
    10_000
}

fn default_connect_timeout() -> u64 {
    5000
}

fn default_response_timeout() -> u64 {
    60_000
}

/// One listen address or several.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum Listen {
    /// `listen = "IP:port"`.
    One(String),
    /// `listen = ["IP:port", ...]`.
    Many(Vec<String>),
}

impl Listen {
    fn all(&self) -> &[String] {
        match self {
            Listen::One(a) => std::slice::from_ref(a),
            Listen::Many(v) => v,
        }
    }
}

/// What the proxy sends its backends.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// The client's bytes, relayed both ways.
    #[default]
    Tcp,
    /// The client's HTTP requests, forwarded as HTTP/1.1.
    Http,
}

/// The PROXY protocol version sent in TCP mode.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ProxyProtocol {
    /// Version 2, binary, with the TLS facts as TLVs.
    V2,
}

/// A certificate, its key and the backend behind them.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Site {
    /// PEM certificate (chain).
    pub certfile: PathBuf,
    /// PEM private key.
    pub keyfile: PathBuf,
    /// `host:port` of the plain-TCP backend.
    pub backend: String,
}

/// A [`Site`] for one server name.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Host {
    /// The SNI name.
    pub name: String,
    /// PEM certificate (chain).
    pub certfile: PathBuf,
    /// PEM private key.
    pub keyfile: PathBuf,
    /// `host:port` of the plain-TCP backend.
    pub backend: String,
}

impl Config {
    /// Parse the TOML text of a configuration.
    ///
    /// ```
    /// let cfg = wassl_examples::edge::Config::from_toml(r#"
    ///     listen = "127.0.0.1:8443"
    ///     [default]
    ///     certfile = "server.pem"
    ///     keyfile = "server.key"
    ///     backend = "127.0.0.1:8080"
    /// "#).unwrap();
    /// assert_eq!(cfg.shutdown_grace_ms, 5000);
    /// assert!(wassl_examples::edge::Config::from_toml("listen = 1").is_err());
    /// ```
    pub fn from_toml(text: &str) -> Result<Config, String> {
        toml::from_str(text).map_err(|e| format!("config: {e}"))
    }

    /// The handshake's options: certificates (`sni_hosts`), ALPN, client
    /// certificates, resumption.
    fn options(&self) -> Result<Vec<SslOption>, String> {
        let mut o = vec![
            SslOption::Certfile(self.default.certfile.clone()),
            SslOption::Keyfile(self.default.keyfile.clone()),
            // A proxy forwards small writes at once (as nginx's tcp_nodelay):
            // with Nagle, data after the tickets waited for a delayed ACK.
            SslOption::Nodelay(true),
        ];
        if !self.hosts.is_empty() {
            o.push(SslOption::SniHosts(
                self.hosts
                    .iter()
                    .map(|h| {
                        (
                            h.name.clone(),
                            vec![
                                SslOption::Certfile(h.certfile.clone()),
                                SslOption::Keyfile(h.keyfile.clone()),
                            ],
                        )
                    })
                    .collect(),
            ));
        }
        if !self.alpn.is_empty() {
            o.push(SslOption::AlpnPreferredProtocols(
                self.alpn.iter().map(|p| p.as_bytes().to_vec()).collect(),
            ));
        }
        if let Some(ca) = &self.client_cacertfile {
            o.push(SslOption::Verify(Verify::VerifyPeer));
            o.push(SslOption::FailIfNoPeerCert(true));
            o.push(SslOption::Cacertfile(ca.clone()));
        }
        o.extend(self.sessions.options()?);
        Ok(o)
    }

    /// The listen addresses, checked.
    fn listen_addrs(&self) -> Result<Vec<SocketAddr>, String> {
        let all = self.listen.all();
        if all.is_empty() {
            return Err("listen: no address".into());
        }
        all.iter()
            .map(|a| a.parse().map_err(|_| format!("listen {a:?}: not IP:port")))
            .collect()
    }

    /// Settings that only make sense together.
    fn check_modes(&self) -> Result<(), String> {
        match self.mode {
            Mode::Tcp => {
                if self.client_cert_header.is_some() {
                    return Err("client_cert_header: HTTP mode only (mode = \"http\")".into());
                }
                if self.alpn.iter().any(|p| p == "h2") && !self.backends_speak_h2 {
                    return Err(
                        "alpn \"h2\" in TCP mode hands HTTP/2 to the backends as it is: \
                                use mode = \"http\" (backends get HTTP/1.1), or set \
                                backends_speak_h2 = true if they speak it"
                            .into(),
                    );
                }
            }
            Mode::Http => {
                if self.proxy_protocol.is_some() {
                    return Err(
                        "proxy_protocol: TCP mode only (HTTP mode sends Forwarded headers)".into(),
                    );
                }
                if let Some(h) = &self.client_cert_header {
                    hyper::header::HeaderName::from_bytes(h.as_bytes())
                        .map_err(|_| format!("client_cert_header {h:?}: not a header name"))?;
                    if self.client_cacertfile.is_none() {
                        return Err("client_cert_header needs client_cacertfile (no certificate is asked for otherwise)".into());
                    }
                }
                if let Some(p) = self.alpn.iter().find(|p| *p != "h2" && *p != "http/1.1") {
                    return Err(format!("alpn {p:?}: HTTP mode speaks h2 and http/1.1"));
                }
            }
        }
        Ok(())
    }

    /// Everything a connection will need, checked now: the listen address,
    /// every backend's form, and the TLS options (certificates and keys
    /// read and matched by the engine). A bad setting stops the proxy at
    /// start, or leaves a reload unapplied, instead of failing requests.
    async fn acceptor(&self) -> Result<TlsAcceptor, String> {
        self.listen_addrs()?;
        self.check_modes()?;
        let backends = std::iter::once(("default", &self.default.backend))
            .chain(self.hosts.iter().map(|h| (h.name.as_str(), &h.backend)));
        for (site, b) in backends {
            let port = b.rsplit_once(':').map(|(h, p)| (h, p.parse::<u16>()));
            if !matches!(port, Some((h, Ok(p))) if !h.is_empty() && p != 0) {
                return Err(format!("backend {b:?} of {site}: not host:port"));
            }
        }
        let acceptor = TlsAcceptor::new(self.options()?)
            .await
            .map_err(|e| format!("tls: {}", ssl::format_error(&e)))?;
        let acceptor = acceptor.handshake_timeout(self.handshake_timeout_ms);
        Ok(match self.max_handshakes_per_address {
            Some(n) => acceptor.max_handshakes_per_address(n),
            None => acceptor,
        })
    }

    fn backend_for(&self, sni: Option<&str>) -> &str {
        sni.and_then(|n| self.hosts.iter().find(|h| h.name.eq_ignore_ascii_case(n)))
            .map_or(&self.default.backend, |h| &h.backend)
    }
}

/// Where access log lines go.
#[derive(Clone)]
struct AccessLog(Arc<Mutex<Box<dyn Write + Send>>>);

impl AccessLog {
    fn open(path: &Option<PathBuf>) -> Result<AccessLog, String> {
        let w: Box<dyn Write + Send> = match path {
            Some(p) => Box::new(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(p)
                    .map_err(|e| format!("access_log {}: {e}", p.display()))?,
            ),
            None => Box::new(std::io::stdout()),
        };
        Ok(AccessLog(Arc::new(Mutex::new(w))))
    }

    /// One line, after its RFC 3339 UTC time.
    fn line(&self, text: &str) {
        let now = time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_else(|_| "-".into());
        if let Ok(mut w) = self.0.lock() {
            let _ = writeln!(w, "{now} {text}");
            let _ = w.flush();
        }
    }
}

/// What one connection did, for its access log line.
#[derive(Default)]
struct Entry {
    sni: Option<String>,
    alpn: Option<String>,
    version: Option<String>,
    client_cert: bool,
    resumed: bool,
    backend: Option<String>,
    bytes_in: u64,
    bytes_out: u64,
}

impl Entry {
    fn text(&self, peer: &str, started: Instant, result: &str) -> String {
        let dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
        format!(
            "peer={peer} sni={} alpn={} version={} resumed={} client_cert={} backend={} in={} out={} ms={} result={result}",
            dash(&self.sni),
            dash(&self.alpn),
            dash(&self.version),
            self.resumed,
            self.client_cert,
            dash(&self.backend),
            self.bytes_in,
            self.bytes_out,
            started.elapsed().as_millis(),
        )
    }
}

/// Serve until `shutdown` completes, then stop accepting and give open
/// connections `shutdown_grace_ms` to finish. `ready` gets the bound port.
pub async fn serve(
    cfg: Config,
    ready: tokio::sync::oneshot::Sender<u16>,
    shutdown: impl Future<Output = ()>,
) -> Result<(), String> {
    serve_reloading(cfg, ready, shutdown, mpsc::unbounded_channel().1).await
}

/// [`serve`], taking new configurations from `reloads` (the binary sends
/// one on SIGHUP). A reload is checked whole before it applies: new
/// handshakes use its certificates, backends and settings, established
/// connections go on untouched. One that fails (or moves `listen` or
/// `access_log`, which need a restart) is logged and the running
/// configuration stays.
pub async fn serve_reloading(
    cfg: Config,
    ready: tokio::sync::oneshot::Sender<u16>,
    shutdown: impl Future<Output = ()>,
    mut reloads: mpsc::UnboundedReceiver<Config>,
) -> Result<(), String> {
    let acceptor = cfg.acceptor().await?;
    let log = AccessLog::open(&cfg.access_log)?;
    let mut listeners = Vec::new();
    for addr in cfg.listen_addrs()? {
        listeners.push(bind(addr)?);
    }
    let metrics = Arc::new(Metrics::default());
    let admin = match &cfg.admin {
        Some(a) => {
            let addr: SocketAddr = a.parse().map_err(|_| format!("admin {a:?}: not IP:port"))?;
            let l = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|e| format!("admin {addr}: {e}"))?;
            Some(tokio::spawn(admin::run(l, metrics.clone())))
        }
        None => None,
    };
    let bound: Vec<SocketAddr> = listeners
        .iter()
        .map(|l| l.local_addr().map_err(|e| e.to_string()))
        .collect::<Result<_, _>>()?;
    let names: Vec<String> = bound.iter().map(ToString::to_string).collect();
    log.line(&format!("listening: {}", names.join(" ")));
    let _ = ready.send(bound[0].port());
    // Every listener feeds one queue; a full queue slows accepting (the
    // kernel's backlog holds the rest) rather than growing without bound.
    let (accepted_tx, mut accepted) = mpsc::channel::<(TcpStream, SocketAddr)>(256);
    let acceptors: Vec<_> = listeners
        .into_iter()
        .map(|l| {
            let tx = accepted_tx.clone();
            tokio::spawn(async move {
                loop {
                    match l.accept().await {
                        Ok(a) => {
                            if tx.send(a).await.is_err() {
                                return;
                            }
                        }
                        // Out of descriptors and the like: the next accept may work.
                        Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
                    }
                }
            })
        })
        .collect();
    drop(accepted_tx);
    let mut site = Arc::new((cfg, acceptor));
    let mut reloading = true;
    tokio::pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            a = accepted.recv() => match a {
                Some(a) => a,
                None => break,
            },
            new = reloads.recv(), if reloading => {
                match new {
                    Some(new) => site = reload(site, new, &log).await,
                    None => reloading = false,
                }
                continue;
            }
            () = &mut shutdown => break,
        };
        // One task per connection: a slow handshake holds up nobody else.
        let (site, log, metrics) = (site.clone(), log.clone(), metrics.clone());
        metrics.active.fetch_add(1, Ordering::SeqCst);
        tokio::spawn(async move {
            proxy(tcp, peer, &site.0, &site.1, &log, &metrics).await;
            metrics.active.fetch_sub(1, Ordering::SeqCst);
        });
    }
    // Graceful: no new connections; the open ones get the grace period.
    for a in acceptors {
        a.abort();
    }
    drop(accepted);
    metrics.drain();
    let deadline = Instant::now() + Duration::from_millis(site.0.shutdown_grace_ms);
    while metrics.active.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let left = metrics.active.load(Ordering::SeqCst);
    log.line(&format!("shutdown: {left} connection(s) still open"));
    if let Some(a) = admin {
        a.abort();
    }
    Ok(())
}

/// A listening socket on `addr` (address reuse on, a backlog of 1024).
fn bind(addr: SocketAddr) -> Result<tokio::net::TcpListener, String> {
    if addr.is_ipv4() {
        TcpSocket::new_v4()
    } else {
        TcpSocket::new_v6()
    }
    .and_then(|s| s.set_reuseaddr(true).map(|()| s))
    .and_then(|s| s.bind(addr).map(|()| s))
    .and_then(|s| s.listen(1024))
    .map_err(|e| format!("listen {addr}: {e}"))
}

/// The configuration in force and the acceptor made from it.
type Running = Arc<(Config, TlsAcceptor)>;

/// The site after a reload to `new`: `new` if it checks, else `old`.
async fn reload(old: Running, new: Config, log: &AccessLog) -> Running {
    let moved = if new.listen != old.0.listen {
        Some("listen")
    } else if new.admin != old.0.admin {
        Some("admin")
    } else if new.access_log != old.0.access_log {
        Some("access_log")
    } else {
        None
    };
    let checked = match moved {
        Some(what) => Err(format!("{what} changed: restart to apply it")),
        None => new.acceptor().await,
    };
    match checked {
        Ok(acceptor) => {
            log.line("reload: ok");
            Arc::new((new, acceptor))
        }
        Err(e) => {
            log.line(&format!("reload: failed, running configuration kept: {e}"));
            old
        }
    }
}

async fn proxy(
    tcp: TcpStream,
    peer: SocketAddr,
    cfg: &Config,
    acceptor: &TlsAcceptor,
    log: &AccessLog,
    metrics: &Arc<Metrics>,
) {
    let started = Instant::now();
    let mut e = Entry::default();
    let result = match relay(tcp, peer, cfg, acceptor, &mut e, metrics).await {
        Ok(()) => "ok".to_string(),
        Err(r) => r,
    };
    metrics.relayed(e.bytes_in, e.bytes_out, e.resumed);
    log.line(&e.text(&peer.to_string(), started, &result));
}

async fn relay(
    tcp: TcpStream,
    peer: SocketAddr,
    cfg: &Config,
    acceptor: &TlsAcceptor,
    e: &mut Entry,
    metrics: &Arc<Metrics>,
) -> Result<(), String> {
    // The address the client reached, for the PROXY header.
    let local = tcp.local_addr().ok();
    let mut down = match acceptor.accept(tcp).await {
        Ok(s) => s,
        Err(r) => {
            metrics.handshake("-", Some(&reason_label(&r)));
            return Err(format!("handshake:{r}"));
        }
    };
    let s = down.socket();
    if let Ok(info) = ssl::connection_information(s).await {
        e.sni = info.sni_hostname.clone();
        e.alpn = info
            .negotiated_protocol
            .as_ref()
            .map(|p| String::from_utf8_lossy(p).into_owned());
        e.version = Some(info.protocol.atom().trim_matches('\'').to_string());
        e.resumed = info.session_resumption;
    }
    metrics.handshake(e.version.as_deref().unwrap_or("-"), None);
    let client_cert = ssl::peercert(s).await.ok();
    e.client_cert = client_cert.is_some();
    let backend = cfg.backend_for(e.sni.as_deref()).to_string();
    e.backend = Some(backend.clone());
    let connect_timeout = Duration::from_millis(cfg.backend_connect_timeout_ms);
    if cfg.mode == Mode::Http {
        let cert_header = cfg.client_cert_header.as_ref().and_then(|h| {
            let name = hyper::header::HeaderName::from_bytes(h.as_bytes()).ok()?;
            Some((name, client_cert.as_deref().and_then(http::escaped_pem)))
        });
        let f = http::Forwarding::new(
            backend,
            peer,
            cert_header,
            connect_timeout,
            Duration::from_millis(cfg.backend_response_timeout_ms),
            metrics.clone(),
        );
        let (i, o) = http::serve(down, f).await?;
        e.bytes_in = i;
        e.bytes_out = o;
        return Ok(());
    }
    let mut up = match tokio::time::timeout(connect_timeout, TcpStream::connect(&backend)).await {
        Ok(Ok(up)) => up,
        Ok(Err(err)) => {
            metrics.backend_failed();
            return Err(format!("backend:{}", err.kind()));
        }
        Err(_) => {
            metrics.backend_failed();
            return Err("backend:timeout".into());
        }
    };
    let _ = up.set_nodelay(true);
    if let (Some(ProxyProtocol::V2), Some(local)) = (cfg.proxy_protocol, local) {
        let version = match e.version.as_deref() {
            Some("tlsv1.3") => Some("TLSv1.3"),
            Some("tlsv1.2") => Some("TLSv1.2"),
            _ => None,
        };
        let facts = proxy_v2::TlsFacts {
            alpn: e.alpn.as_deref(),
            sni: e.sni.as_deref(),
            version,
            client_cert: e.client_cert,
        };
        up.write_all(&proxy_v2::header(peer, local, &facts))
            .await
            .map_err(|err| format!("backend:{}", err.kind()))?;
    }
    match down.relay(&mut up).await {
        Ok((i, o)) => {
            e.bytes_in = i;
            e.bytes_out = o;
            Ok(())
        }
        Err(err) => Err(format!("relay:{}", err.kind())),
    }
}

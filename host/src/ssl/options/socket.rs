//! The options a socket keeps on the host: delivery (`active`, `mode`,
//! `packet`...), the kernel's (`nodelay`, `sndbuf`...) and wassl's own
//! limits, with `setopts`/`getopts` over them.

use super::*;

/// Socket options of one socket (Erlang's defaults:
/// `[{mode,list},{packet,0},{header,0},{active,true}]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SocketOpts {
    pub(crate) active: Active,
    pub(crate) mode: Mode,
    pub(crate) packet: Packet,
    pub(crate) reuseaddr: bool,
    pub(crate) nodelay: bool,
    pub(crate) backlog: u32,
    pub(crate) engine_memory_limit: Option<usize>,
    pub(crate) record_offload: bool,
    pub(crate) host_crypto: bool,
    pub(crate) hello: bool,
    pub(crate) log_alert: bool,
    pub(crate) max_handshake_size: usize,
    pub(crate) hibernate_after: Option<std::time::Duration>,
    pub(crate) log_level: LogLevel,
    pub(crate) packet_size: usize,
    pub(crate) header: usize,
    pub(crate) exit_on_close: bool,
    /// Requested kernel options; `None` leaves the kernel's default.
    pub(crate) keepalive: bool,
    pub(crate) sndbuf: Option<usize>,
    pub(crate) recbuf: Option<usize>,
    pub(crate) buffer: usize,
    pub(crate) ip: Option<std::net::IpAddr>,
    pub(crate) port: u16,
    pub(crate) send_timeout: crate::ssl::Timeout,
    pub(crate) send_timeout_close: bool,
    pub(crate) linger: (bool, u32),
    pub(crate) key_update_at: Option<u64>,
}

impl Default for SocketOpts {
    fn default() -> Self {
        SocketOpts {
            active: Active::True,
            mode: Mode::List,
            packet: Packet::Raw,
            reuseaddr: false,
            nodelay: false,
            backlog: 5,
            engine_memory_limit: None,
            record_offload: true,
            host_crypto: true,
            hello: false,
            log_alert: true,
            max_handshake_size: 256 * 1024,
            hibernate_after: None,
            // No gate of our own unless asked: the tracing subscriber filters.
            log_level: LogLevel::All,
            packet_size: 0,
            header: 0,
            exit_on_close: true,
            keepalive: false,
            sndbuf: None,
            recbuf: None,
            // The most one read takes (a stream's reads grow to it) and
            // what a passive socket reads ahead.
            buffer: 64 * 1024 + 1024,
            ip: None,
            port: 0,
            send_timeout: crate::ssl::Timeout::Infinity,
            send_timeout_close: false,
            linger: (false, 0),
            key_update_at: None,
        }
    }
}

impl SocketOpts {
    /// Apply socket options; TLS options are an error here (`setopts`).
    pub(crate) fn apply(&mut self, opts: &[SslOption]) -> Result<(), Reason> {
        for o in opts {
            o.check_supported()?;
            match o {
                SslOption::Active(a) => self.active = *a,
                SslOption::Mode(m) => self.mode = *m,
                SslOption::Packet(p) => self.packet = *p,
                SslOption::Reuseaddr(b) => self.reuseaddr = *b,
                SslOption::Nodelay(b) => self.nodelay = *b,
                SslOption::Backlog(n) => self.backlog = *n,
                SslOption::EngineMemoryLimit(n) => self.engine_memory_limit = Some(*n),
                SslOption::RecordOffload(b) => self.record_offload = *b,
                SslOption::HostCrypto(b) => self.host_crypto = *b,
                SslOption::Handshake(m) => self.hello = *m == HandshakeMode::Hello,
                SslOption::LogAlert(b) => self.log_alert = *b,
                SslOption::MaxHandshakeSize(n) => self.max_handshake_size = *n,
                SslOption::HibernateAfter(ms) => {
                    self.hibernate_after = Some(std::time::Duration::from_millis(*ms))
                }
                SslOption::LogLevel(l) => self.log_level = *l,
                SslOption::PacketSize(n) => self.packet_size = *n,
                SslOption::Header(n) => self.header = *n,
                SslOption::ExitOnClose(b) => self.exit_on_close = *b,
                SslOption::Keepalive(b) => self.keepalive = *b,
                SslOption::Sndbuf(n) => self.sndbuf = Some(*n),
                SslOption::Recbuf(n) => self.recbuf = Some(*n),
                SslOption::Buffer(n) => self.buffer = (*n).clamp(1024, 1 << 20),
                SslOption::Ip(a) => self.ip = Some(*a),
                SslOption::Port(p) => self.port = *p,
                SslOption::SendTimeout(t) => self.send_timeout = *t,
                SslOption::SendTimeoutClose(b) => self.send_timeout_close = *b,
                SslOption::Linger(on, secs) => self.linger = (*on, *secs),
                SslOption::KeyUpdateAt(n) => self.key_update_at = Some((*n).max(1)),
                other => {
                    // Erlang: {options, {socket_options, Opts, einval}}.
                    return Err(Reason::options(
                        "socket_options",
                        format!("[{}],einval", other.to_erlang()),
                        "only socket options can be changed with setopts",
                    ));
                }
            }
        }
        Ok(())
    }

    /// `getopts`.
    pub(crate) fn get(&self, names: &[OptName]) -> Vec<SslOption> {
        names
            .iter()
            .map(|n| match n {
                OptName::Active => SslOption::Active(self.active),
                OptName::Mode => SslOption::Mode(self.mode),
                OptName::Packet => SslOption::Packet(self.packet),
                OptName::Nodelay => SslOption::Nodelay(self.nodelay),
                OptName::PacketSize => SslOption::PacketSize(self.packet_size),
                OptName::Header => SslOption::Header(self.header),
                OptName::Keepalive => SslOption::Keepalive(self.keepalive),
                OptName::Sndbuf => SslOption::Sndbuf(self.sndbuf.unwrap_or(0)),
                OptName::Recbuf => SslOption::Recbuf(self.recbuf.unwrap_or(0)),
                OptName::Buffer => SslOption::Buffer(self.buffer),
                OptName::Reuseaddr => SslOption::Reuseaddr(self.reuseaddr),
                OptName::ExitOnClose => SslOption::ExitOnClose(self.exit_on_close),
                OptName::SendTimeout => SslOption::SendTimeout(self.send_timeout),
                OptName::SendTimeoutClose => SslOption::SendTimeoutClose(self.send_timeout_close),
                OptName::Linger => SslOption::Linger(self.linger.0, self.linger.1),
                OptName::Backlog => SslOption::Backlog(self.backlog),
            })
            .collect()
    }
}

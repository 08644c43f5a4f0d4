//! Each option as Erlang prints it (`~p` on one line): `{active,2}`,
//! `{packet,0}`, `{versions,['tlsv1.3','tlsv1.2']}`. Used in error terms
//! and by programs that log options. Funs print as `#Fun<wassl>` (Erlang's
//! own `#Fun<..>` is not readable back either) and a password as stars.

use std::path::Path;

use super::options::{
    Active, BeastMitigation, CertPolicyOpt, CrlCheck, EarlyData, HandshakeMode, KeyType, LogLevel,
    Mode, Packet, Protocol, ReuseSessions, ServerNameIndication, SslOption, Stapling, Verify,
};
use super::{CertKey, CipherSpec, Timeout};

/// An atom, quoted when Erlang would quote it.
pub(crate) fn atom(a: &str) -> String {
    let plain = a.starts_with(|c: char| c.is_ascii_lowercase())
        && a.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '@');
    if plain {
        a.to_string()
    } else {
        format!("'{}'", a.replace('\\', "\\\\").replace('\'', "\\'"))
    }
}

/// Escaped as `~p` escapes inside quotes.
fn escaped(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{b}' => out.push_str("\\v"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            '\u{1b}' => out.push_str("\\e"),
            c => out.push(c),
        }
    }
    out
}

/// What `~p` shows as text: ASCII and the control characters it escapes
/// (Latin-1 letters too in Erlang; wassl prints those as numbers).
fn printable(b: &[u8]) -> bool {
    b.iter()
        .all(|&c| (32..=126).contains(&c) || matches!(c, 8..=13 | 27))
}

/// A string (an Erlang list of characters), as `~p` prints it.
pub(crate) fn string(s: &str) -> String {
    if printable(s.as_bytes()) {
        format!("\"{}\"", escaped(s))
    } else {
        let codes: Vec<String> = s.chars().map(|c| (c as u32).to_string()).collect();
        format!("[{}]", codes.join(","))
    }
}

fn path(p: &Path) -> String {
    string(&p.to_string_lossy())
}

/// A binary, as `~p` prints it.
pub(crate) fn binary(b: &[u8]) -> String {
    if !b.is_empty() && printable(b) {
        format!("<<\"{}\">>", escaped(&String::from_utf8_lossy(b)))
    } else {
        let bytes: Vec<String> = b.iter().map(u8::to_string).collect();
        format!("<<{}>>", bytes.join(","))
    }
}

fn list<T>(items: &[T], f: impl Fn(&T) -> String) -> String {
    let parts: Vec<String> = items.iter().map(f).collect();
    format!("[{}]", parts.join(","))
}

fn binaries(items: &[Vec<u8>]) -> String {
    list(items, |b| binary(b))
}

fn atoms(items: &[String]) -> String {
    list(items, |a| atom(a))
}

const FUN: &str = "#Fun<wassl>";

fn key(t: KeyType, der: &[u8]) -> String {
    let tag = match t {
        KeyType::RsaPrivateKey => "RSAPrivateKey",
        KeyType::EcPrivateKey => "ECPrivateKey",
        KeyType::PrivateKeyInfo => "PrivateKeyInfo",
    };
    format!("{{{},{}}}", atom(tag), binary(der))
}

/// `#{..}` with its keys in Erlang's order (atoms sort alphabetically).
fn map(mut pairs: Vec<(&str, String)>) -> String {
    pairs.sort_by(|a, b| a.0.cmp(b.0));
    let parts: Vec<String> = pairs.iter().map(|(k, v)| format!("{k} => {v}")).collect();
    format!("#{{{}}}", parts.join(","))
}

fn cert_key(c: &CertKey) -> String {
    let mut pairs = Vec::new();
    if !c.cert.is_empty() {
        pairs.push(("cert", binaries(&c.cert)));
    }
    if let Some(f) = &c.certfile {
        pairs.push(("certfile", path(f)));
    }
    if let Some((t, der)) = &c.key {
        pairs.push(("key", key(*t, der)));
    }
    if let Some(f) = &c.keyfile {
        pairs.push(("keyfile", path(f)));
    }
    if c.password.is_some() {
        pairs.push(("password", string("********")));
    }
    map(pairs)
}

fn cipher(c: &CipherSpec) -> String {
    match c {
        CipherSpec::Map(s) => map(vec![
            ("cipher", atom(&s.cipher)),
            ("key_exchange", atom(&s.key_exchange)),
            ("mac", atom(&s.mac)),
            ("prf", atom(&s.prf)),
        ]),
        CipherSpec::Tuple(k, c, m, Some(p)) => {
            format!("{{{},{},{},{}}}", atom(k), atom(c), atom(m), atom(p))
        }
        CipherSpec::Tuple(k, c, m, None) => format!("{{{},{},{}}}", atom(k), atom(c), atom(m)),
        CipherSpec::Name(n) => string(n),
    }
}

/// A signature algorithm: a scheme atom, or `{Hash, Sign}` written `hash,sign`.
fn signature_alg(s: &str) -> String {
    match s.split_once(',') {
        Some((h, a)) => format!("{{{},{}}}", atom(h.trim()), atom(a.trim())),
        None => atom(s),
    }
}

fn timeout(t: &Timeout) -> String {
    match t {
        Timeout::Infinity => "infinity".into(),
        Timeout::After(d) => d.as_millis().to_string(),
    }
}

fn ip(a: &std::net::IpAddr) -> String {
    match a {
        std::net::IpAddr::V4(v4) => list(&v4.octets(), u8::to_string)
            .replace('[', "{")
            .replace(']', "}"),
        std::net::IpAddr::V6(v6) => list(&v6.segments(), u16::to_string)
            .replace('[', "{")
            .replace(']', "}"),
    }
}

fn log_level(l: LogLevel) -> &'static str {
    match l {
        LogLevel::None => "none",
        LogLevel::Emergency => "emergency",
        LogLevel::Alert => "alert",
        LogLevel::Critical => "critical",
        LogLevel::Error => "error",
        LogLevel::Warning => "warning",
        LogLevel::Notice => "notice",
        LogLevel::Info => "info",
        LogLevel::Debug => "debug",
        LogLevel::All => "all",
    }
}

fn policy_opt(p: &CertPolicyOpt) -> String {
    match p {
        CertPolicyOpt::PolicySet(oids) => format!("{{policy_set,{}}}", list(oids, |o| o.clone())),
        CertPolicyOpt::ExplicitPolicy(b) => format!("{{explicit_policy,{b}}}"),
        CertPolicyOpt::InhibitPolicyMapping(b) => format!("{{inhibit_policy_mapping,{b}}}"),
        CertPolicyOpt::InhibitAnyPolicy(b) => format!("{{inhibit_any_policy,{b}}}"),
    }
}

/// The option's value as Erlang prints it.
pub(crate) fn value(o: &SslOption) -> String {
    use SslOption as O;
    match o {
        O::Verify(Verify::VerifyNone) => "verify_none".into(),
        O::Verify(Verify::VerifyPeer) => "verify_peer".into(),
        O::Cacerts(ders) | O::Cert(ders) | O::CrlCache(ders) => binaries(ders),
        O::Cacertfile(p) | O::Certfile(p) | O::Keyfile(p) | O::Dhfile(p) => path(p),
        O::Key(t, der) => key(*t, der),
        O::Versions(vs) => list(vs, |v| v.atom().to_string()),
        O::ServerNameIndication(ServerNameIndication::Disable) => "disable".into(),
        O::ServerNameIndication(ServerNameIndication::Host(h)) => string(h),
        O::AlpnAdvertisedProtocols(ps)
        | O::AlpnPreferredProtocols(ps)
        | O::ClientPreferredNextProtocols(ps)
        | O::NextProtocolsAdvertised(ps) => binaries(ps),
        O::FailIfNoPeerCert(b)
        | O::KeepSecrets(b)
        | O::HonorCipherOrder(b)
        | O::Reuseaddr(b)
        | O::Nodelay(b)
        | O::ExitOnClose(b)
        | O::Keepalive(b)
        | O::SendTimeoutClose(b)
        | O::RecordOffload(b)
        | O::HostCrypto(b)
        | O::LogAlert(b)
        | O::SecureRenegotiate(b)
        | O::HonorEccOrder(b)
        | O::MiddleboxCompMode(b)
        | O::CertificateAuthorities(b)
        | O::Cookie(b)
        | O::ClientRenegotiation(b)
        | O::Fallback(b)
        | O::PaddingCheck(b)
        | O::AllowAnyCaPurpose(b) => b.to_string(),
        O::VerifyFun(_) => format!("{{{FUN},[]}}"),
        O::PartialChain(_) | O::SniFun(_) | O::UserLookupFun => FUN.into(),
        O::CustomizeHostnameCheck(_) => format!("[{{match_fun,{FUN}}}]"),
        O::Depth(n)
        | O::PacketSize(n)
        | O::Header(n)
        | O::Sndbuf(n)
        | O::Recbuf(n)
        | O::Buffer(n)
        | O::EngineMemoryLimit(n)
        | O::MaxHandshakeSize(n) => n.to_string(),
        O::KeyUpdateAt(n) | O::HibernateAfter(n) => n.to_string(),
        O::Backlog(n) | O::MaxFragmentLength(n) => n.to_string(),
        O::Port(p) => p.to_string(),
        O::CrlCheck(c) => match c {
            CrlCheck::False => "false",
            CrlCheck::True => "true",
            CrlCheck::Peer => "peer",
            CrlCheck::BestEffort => "best_effort",
        }
        .into(),
        O::Password(_) => string("********"),
        O::CertsKeys(cks) => list(cks, cert_key),
        O::SniHosts(hosts) => list(hosts, |(h, opts)| {
            format!("{{{},{}}}", string(h), list(opts, SslOption::to_erlang))
        }),
        O::Ciphers(cs) => list(cs, cipher),
        O::SupportedGroups(gs) | O::Eccs(gs) => atoms(gs),
        O::SignatureAlgs(ss) | O::SignatureAlgsCert(ss) => list(ss, |s| signature_alg(s)),
        O::SessionTickets(t) => t.atom().into(),
        O::ReuseSessions(r) => match r {
            ReuseSessions::True => "true",
            ReuseSessions::False => "false",
            ReuseSessions::Save => "save",
        }
        .into(),
        O::UseTicket(ts) => list(ts, |t| binary(t.as_bytes())),
        O::ReuseSession(id, None) => binary(id),
        O::ReuseSession(id, Some(data)) => format!("{{{},{}}}", binary(id), binary(&data.0)),
        O::Active(a) => match a {
            Active::False => "false".into(),
            Active::True => "true".into(),
            Active::Once => "once".into(),
            Active::N(n) => n.to_string(),
        },
        O::Mode(Mode::List) => "list".into(),
        O::Mode(Mode::Binary) => "binary".into(),
        // OTP reports raw as 0.
        O::Packet(Packet::Raw) => "0".into(),
        O::Packet(p) => p.name(),
        O::Ip(a) => ip(a),
        O::SendTimeout(t) => timeout(t),
        O::Linger(on, secs) => format!("{{{on},{secs}}}"),
        O::EarlyData(EarlyData::Enabled) => "enabled".into(),
        O::EarlyData(EarlyData::Disabled) => "disabled".into(),
        O::EarlyData(EarlyData::Send(data)) => binary(data),
        // '10k', '100k' or a {Window, Filters, Bits} tuple as written.
        O::AntiReplay(a) if a.starts_with('{') => a.clone(),
        O::AntiReplay(a) => atom(a),
        O::LogLevel(l) => log_level(*l).into(),
        O::Handshake(HandshakeMode::Hello) => "hello".into(),
        O::Handshake(HandshakeMode::Full) => "full".into(),
        O::PskIdentity(s) => string(s),
        O::SrpIdentity(u, _) => format!("{{{},{}}}", string(u), string("********")),
        O::Dh(der) | O::StatelessTicketsSeed(der) => binary(der),
        O::TicketKeys(k) => k.term(),
        O::SessionCb(cb) => atom(cb.name()),
        O::SessionLifetime(n) => n.to_string(),
        O::Stapling(Stapling::Staple) => "staple".into(),
        O::Stapling(Stapling::NoStaple) => "no_staple".into(),
        O::Stapling(Stapling::OcspNonce(b)) => format!("#{{ocsp_nonce => {b}}}"),
        O::BeastMitigation(b) => match b {
            BeastMitigation::Disabled => "disabled",
            BeastMitigation::OneNMinusOne => "one_n_minus_one",
            BeastMitigation::ZeroN => "zero_n",
        }
        .into(),
        O::CertPolicyOpts(ps) => list(ps, policy_opt),
        O::Protocol(Protocol::Tls) => "tls".into(),
        O::Protocol(Protocol::Dtls) => "dtls".into(),
        O::UseSrtp => "#{}".into(),
        O::SslImp => "new".into(),
    }
}

impl SslOption {
    /// The option as Erlang prints it, `{Name,Value}` (`{active,2}`, `{packet,0}`).
    pub fn to_erlang(&self) -> String {
        format!("{{{},{}}}", self.name(), value(self))
    }
}

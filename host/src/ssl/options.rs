//! The `ssl` options as a Rust enum whose variants carry the Erlang names.
//! TLS options go to the engine (file options read here, since the engine has
//! no file system); socket options stay with the host's socket task.

use std::path::PathBuf;

use crate::bindings::exports::wassl::tls::options as wit;
use crate::bindings::wassl::tls::types;
use crate::bindings::wassl::tls::types::{ProtocolVersion, Role};
use crate::ssl::Reason;

/// `verify_none` | `verify_peer`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verify {
    /// Accept any peer certificate. A server does not ask for one.
    VerifyNone,
    /// Validate the peer's certificate path (and host name, on a client).
    /// The default for clients since OTP 26; servers default to `VerifyNone`.
    VerifyPeer,
}

/// Protocol versions as Erlang names them (`'tlsv1.3'`...).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    /// `sslv3`: refused (RFC 7568).
    Sslv3,
    /// `tlsv1`: refused (RFC 8996).
    Tlsv1,
    /// `'tlsv1.1'`: refused (RFC 8996).
    Tlsv1_1,
    /// `'tlsv1.2'`.
    Tlsv1_2,
    /// `'tlsv1.3'`.
    Tlsv1_3,
}

impl Version {
    /// The Erlang atom.
    pub fn atom(self) -> &'static str {
        match self {
            Version::Sslv3 => "sslv3",
            Version::Tlsv1 => "tlsv1",
            Version::Tlsv1_1 => "'tlsv1.1'",
            Version::Tlsv1_2 => "'tlsv1.2'",
            Version::Tlsv1_3 => "'tlsv1.3'",
        }
    }
}

/// The tag of `{key, {Tag, Der}}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyType {
    /// `'RSAPrivateKey'` (PKCS#1).
    RsaPrivateKey,
    /// `'ECPrivateKey'` (SEC1).
    EcPrivateKey,
    /// `'PrivateKeyInfo'` (PKCS#8; RSA, ECDSA or Ed25519).
    PrivateKeyInfo,
}

/// `{server_name_indication, Host | disable}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerNameIndication {
    /// Send no SNI (the host name given to `connect` is still checked).
    Disable,
    /// Send this name and check the server's certificate against it.
    Host(String),
}

/// `{active, true | false | once | N}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Active {
    /// Passive: data is read with [`recv`](crate::ssl::recv).
    False,
    /// Every packet is sent to the owner as `{ssl, S, Data}`.
    True,
    /// One packet is sent, then the socket turns passive.
    Once,
    /// N packets are sent, then `{ssl_passive, S}` and the socket turns passive.
    N(i32),
}

/// `{mode, list | binary}`: how data is delivered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// As a list of bytes (Erlang's default).
    List,
    /// As a binary.
    Binary,
}

/// `{early_data, ...}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EarlyData {
    /// Server: accept 0-RTT data.
    Enabled,
    /// Server: refuse it (the default).
    Disabled,
    /// Client: data to send as 0-RTT with a resumed handshake (needs
    /// `{session_tickets, auto | manual}`). The owner then gets
    /// `{ssl, S, {early_data, accepted | rejected}}`; rejected data was not
    /// delivered and is not sent again: send it after the handshake.
    Send(Vec<u8>),
}

/// `{reuse_sessions, boolean() | save}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReuseSessions {
    /// `true` (the default): keep sessions and resume them.
    True,
    /// `false`: neither keep nor resume.
    False,
    /// `save` (client): a full handshake whose session is kept for later.
    Save,
}

/// The most 0-RTT bytes a wassl server takes (as OTP's default).
const MAX_EARLY_DATA: u32 = 16384;

/// `{log_level, Level}`: Erlang's logger levels, most severe first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    /// Nothing at all.
    None,
    /// `emergency`.
    Emergency,
    /// `alert`.
    Alert,
    /// `critical`.
    Critical,
    /// `error`.
    Error,
    /// `warning`.
    Warning,
    /// `notice`.
    Notice,
    /// `info`.
    Info,
    /// `debug`.
    Debug,
    /// Everything (the default: the `tracing` subscriber's filter decides).
    All,
}

/// `{handshake, Mode}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HandshakeMode {
    /// Stop a server once the ClientHello is read.
    Hello,
    /// The whole handshake at once (the default).
    Full,
}

/// `{packet, Type}`: framing of application data, as `erlang:decode_packet/3`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Packet {
    /// `raw` or `0`: no framing.
    Raw,
    /// `1`, `2`, `4`: a big-endian length header of that many bytes (stripped on
    /// receipt, added by `send`).
    Len(u8),
    /// `line`: one line per packet, `\n` included.
    Line,
    /// `asn1`: one BER TLV, header included.
    Asn1,
    /// `cdr`: one CORBA GIOP message, header included.
    Cdr,
    /// `sunrm`: one Sun RPC record-marked fragment, header included.
    Sunrm,
    /// `fcgi`: one FastCGI record, header included.
    Fcgi,
    /// `tpkt`: one TPKT (RFC 1006) packet, header included.
    Tpkt,
    /// `http`: request/response lines and headers as terms (strings as lists).
    Http,
    /// `httph`: headers only.
    Httph,
    /// `http_bin`: as `http`, strings as binaries.
    HttpBin,
    /// `httph_bin`: as `httph`, strings as binaries.
    HttphBin,
}

impl Packet {
    /// The Erlang name (`raw`, `2`, `http_bin`...).
    pub fn name(self) -> String {
        match self {
            Packet::Raw => "raw".into(),
            Packet::Len(n) => n.to_string(),
            Packet::Line => "line".into(),
            Packet::Asn1 => "asn1".into(),
            Packet::Cdr => "cdr".into(),
            Packet::Sunrm => "sunrm".into(),
            Packet::Fcgi => "fcgi".into(),
            Packet::Tpkt => "tpkt".into(),
            Packet::Http => "http".into(),
            Packet::Httph => "httph".into(),
            Packet::HttpBin => "http_bin".into(),
            Packet::HttphBin => "httph_bin".into(),
        }
    }
}

/// One option of `listen`, `connect`, `handshake`, `setopts`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SslOption {
    /// `{verify, verify_none | verify_peer}`.
    Verify(Verify),
    /// `{cacerts, [Der]}`: trusted certificates.
    Cacerts(Vec<Vec<u8>>),
    /// `{cacertfile, Path}`: PEM file of trusted certificates.
    Cacertfile(PathBuf),
    /// `{cert, Der | [Der]}`: own certificate (and chain, leaf first).
    Cert(Vec<Vec<u8>>),
    /// `{certfile, Path}`: PEM file with own certificate (and chain).
    Certfile(PathBuf),
    /// `{key, {Type, Der}}`: own private key.
    Key(KeyType, Vec<u8>),
    /// `{keyfile, Path}`: PEM file with the private key (defaults to the certfile).
    Keyfile(PathBuf),
    /// `{versions, [Version]}`.
    Versions(Vec<Version>),
    /// `{server_name_indication, Host | disable}` (client).
    ServerNameIndication(ServerNameIndication),
    /// `{alpn_advertised_protocols, [binary()]}` (client).
    AlpnAdvertisedProtocols(Vec<Vec<u8>>),
    /// `{alpn_preferred_protocols, [binary()]}` (server).
    AlpnPreferredProtocols(Vec<Vec<u8>>),
    /// `{fail_if_no_peer_cert, boolean()}` (server, with `verify_peer`).
    FailIfNoPeerCert(bool),
    /// `{verify_fun, {Fun, InitialUserState}}`.
    VerifyFun(crate::ssl::verify::VerifyFun),
    /// `{partial_chain, Fun}`.
    PartialChain(crate::ssl::verify::PartialChain),
    /// `{depth, N}`: most intermediate CAs after the peer certificate
    /// (default 10, as modern OTP; the old manual said 1).
    Depth(usize),
    /// `{customize_hostname_check, [{match_fun, Fun}]}`.
    CustomizeHostnameCheck(crate::ssl::verify::MatchFun),
    /// `{crl_check, false | true | peer | best_effort}`.
    CrlCheck(CrlCheck),
    /// The CRL cache's contents (`ssl_crl_cache:insert/1`): DER CRLs, or
    /// PEM data holding `X509 CRL` blocks (e.g. a CRL file's bytes).
    CrlCache(Vec<Vec<u8>>),
    /// `{password, String}`: decrypts an encrypted `keyfile` (or key in the
    /// `certfile`): encrypted PKCS#8 and legacy PEM (AES-CBC, DES-EDE3-CBC).
    Password(String),
    /// `{certs_keys, [#{...}]}`: several certificates and keys; each
    /// handshake uses the first one the peer's signature algorithms allow.
    CertsKeys(Vec<crate::ssl::CertKey>),
    /// `{sni_hosts, [{Hostname, Options}]}` (server): certificate options per
    /// server name (`cert`, `certfile`, `key`, `keyfile`, `password`, `certs_keys`).
    SniHosts(Vec<(String, Vec<SslOption>)>),
    /// `{sni_fun, Fun}` (server): options for a server name not in `sni_hosts`.
    SniFun(crate::ssl::SniFun),
    /// `{keep_secrets, true}`: keep the session's secrets for
    /// `connection_information(S, [keylog])` (NSS key log lines). Independently,
    /// `$SSLKEYLOGFILE` makes every connection append its secrets to that file.
    KeepSecrets(bool),
    /// `{ciphers, Suites}`: allowed suites in preference order, as maps,
    /// tuples or names (IANA or OpenSSL; see [`SslOption::ciphers_str`]).
    Ciphers(Vec<crate::ssl::CipherSpec>),
    /// `{honor_cipher_order, boolean()}` (server): the server's order wins.
    HonorCipherOrder(bool),
    /// `{key_update_at, Bytes}` (TLS 1.3): update keys after this many bytes sent.
    KeyUpdateAt(u64),
    /// `{supported_groups, [Group]}`: `x25519`, `secp256r1`, `secp384r1`
    /// (others are named in the error when they were all that was asked).
    SupportedGroups(Vec<String>),
    /// `{signature_algs, [Alg]}`: e.g. `ecdsa_secp256r1_sha256`,
    /// `rsa_pss_rsae_sha256`, `{sha256,rsa}`; limits both what is offered and
    /// what the own key signs with.
    SignatureAlgs(Vec<String>),
    /// `{signature_algs_cert, [Alg]}`: recognised; certificates are checked
    /// with every algorithm rustls implements.
    SignatureAlgsCert(Vec<String>),
    /// `{session_tickets, ...}`: on a server `disabled` (the default),
    /// `stateless` or `stateful`; on a client `disabled` (the default),
    /// `auto` (tickets kept by wassl, one used by the next connection to the
    /// same peer) or `manual` (`{ssl, session_ticket, Ticket}` messages).
    SessionTickets(SessionTickets),
    /// `{reuse_sessions, boolean() | save}`: keep TLS 1.2 sessions (server:
    /// for session-ID resumption; client: to resume the next connection to
    /// the same host and port with the same options). Default `true`.
    ReuseSessions(ReuseSessions),
    /// `{use_ticket, [Ticket]}` (client): tickets from `{ssl, session_ticket,
    /// Ticket}` messages to offer (TLS 1.3), first usable one first.
    UseTicket(Vec<crate::ssl::Ticket>),
    /// `{reuse_session, SessionId | {SessionId, SessionData}}` (client): the
    /// TLS 1.2 session to resume, from `connection_information(S,
    /// [session_id, session_data])`. An ID alone is looked up among the
    /// sessions this process kept.
    ReuseSession(Vec<u8>, Option<crate::ssl::SessionData>),
    /// `{active, ...}`.
    Active(Active),
    /// `{mode, list | binary}`.
    Mode(Mode),
    /// `{packet, ...}`.
    Packet(Packet),
    /// `{reuseaddr, boolean()}` (listen).
    Reuseaddr(bool),
    /// `{nodelay, boolean()}`.
    Nodelay(bool),
    /// `{backlog, N}` (listen; default 5).
    Backlog(u32),
    /// `{packet_size, N}`: the largest packet accepted (0 = no limit). A larger
    /// one is `{invalid_packet, Data}` and closes the connection.
    PacketSize(usize),
    /// `{header, N}`: in binary mode, the first N bytes of each packet are
    /// delivered apart ([`Data::Header`](crate::ssl::Data)).
    Header(usize),
    /// `{exit_on_close, boolean()}`: `false` keeps the socket open for
    /// writing after the peer's close_notify (half-close).
    ExitOnClose(bool),
    /// `{keepalive, boolean()}`.
    Keepalive(bool),
    /// `{sndbuf, N}`: the kernel send buffer.
    Sndbuf(usize),
    /// `{recbuf, N}`: the kernel receive buffer.
    Recbuf(usize),
    /// `{buffer, N}`: how much is read from the socket at a time.
    Buffer(usize),
    /// `{ip, Address}`: the local address to bind (listen) or connect from.
    Ip(std::net::IpAddr),
    /// `{port, N}`: the local port to connect from.
    Port(u16),
    /// `{send_timeout, Ms}`: `send` gives `{error, timeout}` when the peer
    /// does not read for this long.
    SendTimeout(crate::ssl::Timeout),
    /// `{send_timeout_close, boolean()}`: close the socket on a send timeout.
    SendTimeoutClose(bool),
    /// `{linger, {OnOff, Secs}}`.
    Linger(bool, u32),
    /// wassl extension: the most linear memory this socket's sandbox may use,
    /// in bytes (at most [`Limits::max_memory`](crate::runtime::Limits)).
    /// Growing past it traps the engine: the socket ends with `{engine_trap, _}`.
    /// Can be lowered with `setopts`; below what the sandbox already holds,
    /// the socket ends at its next call into the engine (unless the host
    /// already protects its records: then only a growth ends it).
    EngineMemoryLimit(usize),
    /// wassl extension: `{record_offload, boolean()}`. After the handshake
    /// the engine hands its traffic secrets (TLS 1.3) or master secret
    /// (TLS 1.2) to the host, which protects records natively (default `true`: AES-GCM in wasm has no
    /// hardware help and runs near 1% of native speed). `false` keeps every
    /// key inside the sandbox.
    RecordOffload(bool),
    /// wassl extension: `{host_crypto, boolean()}`. The engine's key
    /// exchange, signatures and signature checks run natively on the host
    /// (the `wassl:tls/crypto` import; default `true`), private keys held
    /// by the host. `false` keeps all handshake crypto inside the sandbox.
    HostCrypto(bool),
    /// `{early_data, enabled | disabled}` on a server: accept 0-RTT data
    /// (up to 16 KiB) from clients resuming with a ticket; it reaches the
    /// owner as ordinary data. Needs `{session_tickets, stateful}`: rustls
    /// takes 0-RTT only with single-use tickets, which is what refuses a
    /// replayed ClientHello. `{early_data, Data}` on a client is refused:
    /// client tickets are not kept (see `session_tickets`).
    EarlyData(EarlyData),
    /// `{anti_replay, '10k' | '100k' | {Window, K, M}}` (server): recognised;
    /// wassl's 0-RTT uses single-use stateful tickets, which refuse replays
    /// without a Bloom filter, so there is nothing to tune.
    AntiReplay(String),
    /// `{hibernate_after, Ms}`: after this long with no traffic and no
    /// call, the socket frees its buffers (the read buffer, delivered-data
    /// and record buffers); they come back with the next byte or call.
    HibernateAfter(u64),
    /// `{max_handshake_size, Bytes}`: the most a peer may send before the
    /// handshake is done (default 256 KiB, as OTP). OTP bounds each handshake
    /// message; wassl bounds them all together, which is stricter (rustls
    /// refuses any single message over 64 KiB on its own).
    MaxHandshakeSize(usize),
    /// `{log_alert, boolean()}`: alerts sent and received are logged (as
    /// `tracing` events at WARN) when true, the default; at DEBUG when false.
    LogAlert(bool),
    /// `{log_level, Level}`: the least severe of this socket's `tracing`
    /// events to emit (Erlang's levels: `emergency` ... `debug`, `none`, `all`).
    LogLevel(LogLevel),
    /// `{handshake, hello | full}`: `hello` pauses a server after the
    /// ClientHello ([`handshake_hello`](crate::ssl::handshake_hello), then
    /// `handshake_continue` or `handshake_cancel`). Refused on a client.
    Handshake(HandshakeMode),
    /// `{secure_renegotiate, boolean()}`: recognised; renegotiation does not exist in wassl.
    SecureRenegotiate(bool),
    /// `{client_preferred_next_protocols, ...}`: NPN, refused (use ALPN).
    ClientPreferredNextProtocols(Vec<Vec<u8>>),
    /// `{next_protocols_advertised, [binary()]}`: NPN, refused (use ALPN).
    NextProtocolsAdvertised(Vec<Vec<u8>>),
    /// `{psk_identity, string()}`: PSK suites, refused.
    PskIdentity(String),
    /// `{srp_identity, {User, Password}}`: SRP suites, refused.
    SrpIdentity(String, String),
    /// `{dh, Der}`: finite-field DHE suites, refused.
    Dh(Vec<u8>),
    /// `{dhfile, Path}`: finite-field DHE suites, refused.
    Dhfile(PathBuf),
    /// `{eccs, [Curve]}`: the groups of TLS 1.2 handshakes (`x25519`,
    /// `secp256r1`, `secp384r1`), as `supported_groups` are TLS 1.3's.
    Eccs(Vec<String>),
    /// `{honor_ecc_order, boolean()}` (server): the server's group order
    /// (`eccs`, `supported_groups`) wins over the client's.
    HonorEccOrder(bool),
    /// `{middlebox_comp_mode, boolean()}` (TLS 1.3, default `true`): RFC
    /// 8446 D.4's legacy session ID and ChangeCipherSpec; `false` sends neither.
    MiddleboxCompMode(bool),
    /// `{certificate_authorities, boolean()}`: name the trusted CAs to the
    /// peer. A server does in its CertificateRequest (default `true`); a
    /// TLS 1.3 client does in its ClientHello (default `false`).
    CertificateAuthorities(bool),
    /// `{stateless_tickets_seed, binary()}` (server, with stateless
    /// tickets): the ticket key comes from this seed instead of the
    /// process's random key, so servers (and restarts) with the same seed
    /// accept each other's tickets.
    StatelessTicketsSeed(Vec<u8>),
    /// `{cookie, boolean()}` (server, TLS 1.3): `false` is what wassl does;
    /// `true` (OTP's default) is refused: rustls's HelloRetryRequest carries
    /// no cookie.
    Cookie(bool),
    /// `{client_renegotiation, boolean()}` (server, TLS 1.2): `false` is
    /// what wassl does; `true` is refused, renegotiation does not exist here.
    ClientRenegotiation(bool),
    /// `{fallback, boolean()}` (client, TLS 1.2): `false` is accepted;
    /// `true` (send TLS_FALLBACK_SCSV, RFC 7507) is refused: rustls cannot.
    Fallback(bool),
    /// `{max_fragment_length, 512 | 1024 | 2048 | 4096}` (client): refused,
    /// rustls does not negotiate RFC 6066's extension.
    MaxFragmentLength(u32),
    /// `{stapling, ...}` (client, OTP 27+): `no_staple` is accepted;
    /// asking for a staple is refused, wassl cannot check OCSP responses.
    Stapling(Stapling),
    /// `{beast_mitigation, ...}`: TLS 1.0 only, so always incompatible here.
    BeastMitigation(BeastMitigation),
    /// `{padding_check, boolean()}`: TLS 1.0 only, so always incompatible here.
    PaddingCheck(bool),
    /// `{user_lookup_fun, {Fun, UserState}}`: PSK and SRP suites, refused.
    UserLookupFun,
    /// `{cert_policy_opts, [...]}` (OTP 27+): `[]` is accepted; policy
    /// processing is refused, webpki does not do it.
    CertPolicyOpts(Vec<CertPolicyOpt>),
    /// `{allow_any_ca_purpose, boolean()}` (OTP 27+): `false` (the default)
    /// is what webpki does; `true` is refused.
    AllowAnyCaPurpose(bool),
    /// `{protocol, tls | dtls}`: `tls`; DTLS is refused.
    Protocol(Protocol),
    /// `{use_srtp, Map}`: DTLS only, so always incompatible here.
    UseSrtp,
    /// `{ssl_imp, new | old}`: removed long ago; accepted and dropped, as OTP does.
    SslImp,
}

/// `{beast_mitigation, ...}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BeastMitigation {
    /// `disabled`.
    Disabled,
    /// `one_n_minus_one`.
    OneNMinusOne,
    /// `zero_n`.
    ZeroN,
}

/// `{stapling, staple | no_staple | #{ocsp_nonce => boolean()}}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stapling {
    /// `staple`: ask for the server's OCSP response and check it.
    Staple,
    /// `no_staple`.
    NoStaple,
    /// `#{ocsp_nonce => Bool}`: `staple`, with or without a nonce.
    OcspNonce(bool),
}

/// `{protocol, tls | dtls}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// `tls`.
    Tls,
    /// `dtls`: refused.
    Dtls,
}

/// One of `{cert_policy_opts, [...]}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CertPolicyOpt {
    /// `{policy_set, [Oid]}`.
    PolicySet(Vec<String>),
    /// `{explicit_policy, boolean()}`.
    ExplicitPolicy(bool),
    /// `{inhibit_policy_mapping, boolean()}`.
    InhibitPolicyMapping(bool),
    /// `{inhibit_any_policy, boolean()}`.
    InhibitAnyPolicy(bool),
}

/// `{session_tickets, ...}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionTickets {
    /// `disabled`.
    Disabled,
    /// `stateless` (server): tickets carry the encrypted session.
    Stateless,
    /// `stateful` (server): tickets name a session the server keeps.
    Stateful,
    /// `stateless_with_cert` (server): as `stateless`. OTP's plain value
    /// leaves the client's certificate out of the ticket; rustls always
    /// keeps it, so a resumed connection has `peercert` either way.
    StatelessWithCert,
    /// `stateful_with_cert` (server): as `stateful` (see `StatelessWithCert`).
    StatefulWithCert,
    /// `auto` (client).
    Auto,
    /// `manual` (client).
    Manual,
}

impl SessionTickets {
    /// The Erlang atom.
    pub fn atom(self) -> &'static str {
        match self {
            SessionTickets::Disabled => "disabled",
            SessionTickets::Stateless => "stateless",
            SessionTickets::Stateful => "stateful",
            SessionTickets::StatelessWithCert => "stateless_with_cert",
            SessionTickets::StatefulWithCert => "stateful_with_cert",
            SessionTickets::Auto => "auto",
            SessionTickets::Manual => "manual",
        }
    }
}

/// `{crl_check, ...}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CrlCheck {
    /// `false` (the default).
    False,
    /// `true`: every certificate of the path; an unknown status fails.
    True,
    /// `peer`: only the peer certificate.
    Peer,
    /// `best_effort`: an unknown status is accepted.
    BestEffort,
}

/// The name of an option, for `getopts`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptName {
    /// `active`.
    Active,
    /// `mode`.
    Mode,
    /// `packet`.
    Packet,
    /// `packet_size`.
    PacketSize,
    /// `header`.
    Header,
    /// `nodelay`.
    Nodelay,
    /// `keepalive`.
    Keepalive,
    /// `sndbuf`.
    Sndbuf,
    /// `recbuf`.
    Recbuf,
    /// `buffer`.
    Buffer,
    /// `reuseaddr`.
    Reuseaddr,
    /// `exit_on_close`.
    ExitOnClose,
    /// `send_timeout`.
    SendTimeout,
    /// `send_timeout_close`.
    SendTimeoutClose,
    /// `linger`.
    Linger,
    /// `backlog`.
    Backlog,
}

impl SslOption {
    /// `{ciphers, "A:B:C"}`: suites from an OpenSSL-style string (OpenSSL or
    /// IANA names separated by `:`).
    pub fn ciphers_str(s: &str) -> SslOption {
        SslOption::Ciphers(
            s.split(':')
                .filter(|n| !n.is_empty())
                .map(|n| crate::ssl::CipherSpec::Name(n.to_string()))
                .collect(),
        )
    }

    /// The option's Erlang name (`server_name_indication`...).
    pub fn name(&self) -> String {
        let debug = format!("{self:?}");
        let variant = debug.split(['(', ' ', '{']).next().unwrap_or("option");
        let mut out = String::new();
        for (i, c) in variant.chars().enumerate() {
            if c.is_ascii_uppercase() && i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        }
        out
    }

    /// The option as Erlang prints it, `{Name,Value}` (`{active,2}`, `{packet,0}`).
    pub fn to_erlang(&self) -> String {
        format!("{{{},{}}}", self.name(), super::option_terms::value(self))
    }
}

fn unsupported(option: &str, value: &str, why: &str) -> Reason {
    Reason::options(option, value, why)
}

/// Versions as OTP lists them in errors, highest first.
fn versions_term(vs: &[Version]) -> String {
    let mut vs = vs.to_vec();
    vs.sort_by_key(|v| std::cmp::Reverse(*v as u8));
    vs.dedup();
    let atoms: Vec<&str> = vs.iter().map(|v| v.atom()).collect();
    format!("[{}]", atoms.join(","))
}

const TLS13: &[Version] = &[Version::Tlsv1_3];
const TLS12: &[Version] = &[Version::Tlsv1, Version::Tlsv1_1, Version::Tlsv1_2];
const TLS10: &[Version] = &[Version::Tlsv1];

impl SslOption {
    /// The role an option belongs to, where it belongs to one (modern OTP's
    /// `assert_server_only`/`assert_client_only`).
    fn only_for(&self) -> Option<Role> {
        match self {
            SslOption::AntiReplay(_)
            | SslOption::StatelessTicketsSeed(_)
            | SslOption::SniFun(_)
            | SslOption::SniHosts(_)
            | SslOption::AlpnPreferredProtocols(_)
            | SslOption::NextProtocolsAdvertised(_)
            | SslOption::HonorEccOrder(_)
            | SslOption::HonorCipherOrder(_)
            | SslOption::Cookie(_)
            | SslOption::ClientRenegotiation(_)
            | SslOption::Dh(_)
            | SslOption::Dhfile(_)
            | SslOption::FailIfNoPeerCert(true) => Some(Role::Server),
            SslOption::UseTicket(_)
            | SslOption::Stapling(_)
            | SslOption::ServerNameIndication(_)
            | SslOption::AlpnAdvertisedProtocols(_)
            | SslOption::ClientPreferredNextProtocols(_)
            | SslOption::Fallback(_)
            | SslOption::CustomizeHostnameCheck(_)
            | SslOption::MaxFragmentLength(_) => Some(Role::Client),
            _ => None,
        }
    }

    /// The versions an option needs one of (modern OTP's `assert_version_dep`).
    fn needs_versions(&self, role: Role) -> Option<&'static [Version]> {
        match self {
            SslOption::MiddleboxCompMode(_)
            | SslOption::Cookie(_)
            | SslOption::KeyUpdateAt(_)
            | SslOption::SupportedGroups(_) => Some(TLS13),
            SslOption::SessionTickets(t) if *t != SessionTickets::Disabled => Some(TLS13),
            SslOption::CertificateAuthorities(_) if role == Role::Client => Some(TLS13),
            SslOption::ClientRenegotiation(_)
            | SslOption::NextProtocolsAdvertised(_)
            | SslOption::ClientPreferredNextProtocols(_)
            | SslOption::PskIdentity(_)
            | SslOption::SrpIdentity(..)
            | SslOption::UserLookupFun
            | SslOption::SecureRenegotiate(_)
            | SslOption::ReuseSessions(_)
            | SslOption::ReuseSession(..)
            | SslOption::Fallback(_) => Some(TLS12),
            SslOption::BeastMitigation(_) | SslOption::PaddingCheck(_) => Some(TLS10),
            _ => None,
        }
    }
}

/// `{options, incompatible, [..]}` with `why` for `format_error`.
fn incompatible(what: impl Into<String>, why: &str) -> Reason {
    Reason::options("incompatible", what, why)
}

/// The checks modern OTP (`ssl_config`, OTP 26 to 28) makes across
/// options: each option's role, the versions it needs, and the pairs that
/// exclude each other. OTP 25 ignored the other role's options.
fn check_combinations(role: Role, opts: &[SslOption]) -> Result<(), Reason> {
    let versions = last_of(opts, |o| match o {
        SslOption::Versions(v) => Some(v.clone()),
        _ => None,
    })
    .unwrap_or_else(|| vec![Version::Tlsv1_3, Version::Tlsv1_2]);
    let tickets = session_tickets_of(opts);
    let tickets_term = format!("{{session_tickets,{}}}", tickets.atom());
    let stateless = matches!(
        tickets,
        SessionTickets::Stateless | SessionTickets::StatelessWithCert
    );
    let verify_peer = last_of(opts, |o| match o {
        SslOption::Verify(v) => Some(*v == Verify::VerifyPeer),
        _ => None,
    })
    .unwrap_or(role == Role::Client);
    for o in opts {
        match o.only_for() {
            Some(Role::Server) if role == Role::Client => return Err(Reason::ServerOnly(o.name())),
            Some(Role::Client) if role == Role::Server => return Err(Reason::ClientOnly(o.name())),
            _ => {}
        }
        if let Some(needs) = o.needs_versions(role) {
            if !versions.iter().any(|v| needs.contains(v)) {
                let only: Vec<&str> = needs.iter().map(|v| v.atom()).collect();
                return Err(incompatible(
                    format!("{},{{versions,{}}}", o.name(), versions_term(&versions)),
                    &format!("{} applies to {} only", o.name(), only.join(", ")),
                ));
            }
        }
        match o {
            SslOption::UseTicket(_) if tickets != SessionTickets::Manual => {
                return Err(incompatible(
                    format!("{{use_ticket,[...]}},{tickets_term}"),
                    "use_ticket offers tickets the owner received with {session_tickets, manual}",
                ));
            }
            SslOption::AntiReplay(a) if !stateless => {
                return Err(incompatible(
                    format!("{{anti_replay,{a}}},{tickets_term}"),
                    "anti_replay tunes the replay filter of stateless tickets",
                ));
            }
            SslOption::StatelessTicketsSeed(_) if !stateless => {
                return Err(incompatible(
                    format!("stateless_tickets_seed,{tickets_term}"),
                    "stateless_tickets_seed is the key of stateless tickets",
                ));
            }
            SslOption::FailIfNoPeerCert(true) if !verify_peer => {
                return Err(incompatible(
                    "{verify,verify_none},{fail_if_no_peer_cert,true}",
                    "fail_if_no_peer_cert needs {verify, verify_peer}: a server with verify_none \
                     does not ask for a certificate",
                ));
            }
            _ => {}
        }
    }
    let sni_fun = opts.iter().any(|o| matches!(o, SslOption::SniFun(_)));
    if sni_fun
        && opts
            .iter()
            .any(|o| matches!(o, SslOption::SniHosts(h) if !h.is_empty()))
    {
        return Err(incompatible(
            "sni_fun,sni_hosts",
            "sni_fun decides for every server name: give sni_hosts or sni_fun, not both",
        ));
    }
    Ok(())
}

impl SslOption {
    /// Reject options wassl recognises but will not honour, with the reason.
    pub(crate) fn check_supported(&self) -> Result<(), Reason> {
        match self {
            SslOption::Versions(vs) => {
                for v in vs {
                    if matches!(v, Version::Sslv3 | Version::Tlsv1 | Version::Tlsv1_1) {
                        let list: Vec<&str> = vs.iter().map(|v| v.atom()).collect();
                        return Err(Reason::options(
                            v.atom(),
                            format!("{{versions,[{}]}}", list.join(",")),
                            format!(
                                "{} is not supported: SSL 3.0, TLS 1.0 and TLS 1.1 are deprecated \
                                 (RFC 7568, RFC 8996); wassl speaks 'tlsv1.2' and 'tlsv1.3'",
                                v.atom()
                            ),
                        ));
                    }
                }
                Ok(())
            }
            // Values that forbid renegotiation say what wassl does; values
            // that would allow it are refused.
            SslOption::SecureRenegotiate(true) | SslOption::ClientRenegotiation(false) => Ok(()),
            SslOption::SecureRenegotiate(false) => Err(unsupported(
                "secure_renegotiate",
                "false",
                "renegotiation is not supported (rustls), insecure renegotiation least of all: \
                 a peer's request is refused with a no_renegotiation warning",
            )),
            SslOption::ClientRenegotiation(true) => Err(unsupported(
                "client_renegotiation",
                "true",
                "renegotiation is not supported (rustls): a client's request is refused with a \
                 no_renegotiation warning, as {client_renegotiation, false} says",
            )),
            SslOption::Cookie(true) => Err(unsupported(
                "cookie",
                "true",
                "rustls sends its HelloRetryRequest without a cookie (RFC 8446 4.2.2), as \
                 {cookie, false} says",
            )),
            SslOption::Fallback(true) => Err(unsupported(
                "fallback",
                "true",
                "rustls cannot send TLS_FALLBACK_SCSV (RFC 7507); wassl never falls back below \
                 the versions it offers",
            )),
            SslOption::MaxFragmentLength(n) if ![512, 1024, 2048, 4096].contains(n) => {
                Err(Reason::options(
                    "max_fragment_length",
                    n.to_string(),
                    "max_fragment_length takes 512, 1024, 2048 or 4096 (RFC 6066)",
                ))
            }
            SslOption::MaxFragmentLength(n) => Err(unsupported(
                "max_fragment_length",
                &n.to_string(),
                "rustls does not negotiate RFC 6066's max_fragment_length extension: records \
                 carry up to 16 KiB",
            )),
            SslOption::Stapling(s @ (Stapling::Staple | Stapling::OcspNonce(_))) => Err(unsupported(
                "stapling",
                &match s {
                    Stapling::OcspNonce(b) => format!("#{{ocsp_nonce => {b}}}"),
                    _ => "staple".into(),
                },
                "OCSP stapling is not supported: webpki cannot check OCSP responses (use \
                 crl_check with a crl_cache)",
            )),
            SslOption::UserLookupFun => Err(unsupported(
                "user_lookup_fun",
                "{Fun,UserState}",
                "pre-shared key (PSK) and SRP cipher suites are not supported by the rustls engine",
            )),
            SslOption::CertPolicyOpts(p) if !p.is_empty() => Err(unsupported(
                "cert_policy_opts",
                "[...]",
                "certificate policy processing (RFC 5280 6.1) is not supported: webpki does \
                 not process policies",
            )),
            SslOption::AllowAnyCaPurpose(true) => Err(unsupported(
                "allow_any_ca_purpose",
                "true",
                "webpki checks the extended key usage of every certificate in the path, CA \
                 certificates included",
            )),
            SslOption::Protocol(Protocol::Dtls) => Err(unsupported(
                "protocol",
                "dtls",
                "DTLS is not supported: rustls implements TLS over streams only",
            )),
            SslOption::UseSrtp => Err(incompatible(
                "use_srtp,{protocol,tls}",
                "use_srtp is a DTLS option (RFC 5764)",
            )),
            SslOption::ClientPreferredNextProtocols(_) => Err(unsupported(
                "client_preferred_next_protocols",
                "...",
                "Next Protocol Negotiation (NPN) is not supported; use ALPN (alpn_advertised_protocols)",
            )),
            SslOption::NextProtocolsAdvertised(_) => Err(unsupported(
                "next_protocols_advertised",
                "...",
                "Next Protocol Negotiation (NPN) is not supported; use ALPN (alpn_preferred_protocols)",
            )),
            SslOption::PskIdentity(v) => Err(unsupported(
                "psk_identity",
                &format!("{v:?}"),
                "pre-shared key (PSK) cipher suites are not supported by the rustls engine",
            )),
            SslOption::SrpIdentity(u, _) => Err(unsupported(
                "srp_identity",
                &format!("{{{u:?},...}}"),
                "SRP cipher suites are not supported by the rustls engine",
            )),
            SslOption::Dh(_) | SslOption::Dhfile(_) => Err(unsupported(
                if matches!(self, SslOption::Dh(_)) { "dh" } else { "dhfile" },
                "...",
                "finite-field Diffie-Hellman (DHE) suites are not supported; wassl uses ECDHE",
            )),
            SslOption::Active(Active::N(n)) if !(-32768..=32767).contains(n) => Err(Reason::options(
                "active",
                n.to_string(),
                "{active, N} takes N from -32768 to 32767",
            )),
            SslOption::Packet(Packet::Len(n)) if ![1, 2, 4].contains(n) => Err(Reason::options(
                "packet",
                n.to_string(),
                "packet takes raw, 0, 1, 2, 4 or line",
            )),
            _ => Ok(()),
        }
    }

    fn is_socket_option(&self) -> bool {
        matches!(
            self,
            SslOption::Active(_)
                | SslOption::Mode(_)
                | SslOption::Packet(_)
                | SslOption::Reuseaddr(_)
                | SslOption::Nodelay(_)
                | SslOption::Backlog(_)
                | SslOption::EngineMemoryLimit(_)
                | SslOption::RecordOffload(_)
                | SslOption::HostCrypto(_)
                | SslOption::Handshake(_)
                | SslOption::LogAlert(_)
                | SslOption::MaxHandshakeSize(_)
                | SslOption::HibernateAfter(_)
                | SslOption::LogLevel(_)
                | SslOption::PacketSize(_)
                | SslOption::Header(_)
                | SslOption::ExitOnClose(_)
                | SslOption::Keepalive(_)
                | SslOption::Sndbuf(_)
                | SslOption::Recbuf(_)
                | SslOption::Buffer(_)
                | SslOption::Ip(_)
                | SslOption::Port(_)
                | SslOption::SendTimeout(_)
                | SslOption::SendTimeoutClose(_)
                | SslOption::Linger(..)
                | SslOption::KeyUpdateAt(_)
        )
    }
}

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
            buffer: 16 * 1024 + 1024,
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

/// Options split for the two halves of a socket.
#[derive(Clone)]
pub(crate) struct Split {
    pub(crate) socket: SocketOpts,
    pub(crate) tls: Vec<wit::TlsOption>,
    pub(crate) policy: crate::ssl::verify::Policy,
    pub(crate) keep_secrets: bool,
    pub(crate) resumption: Resumption,
}

/// A client's resumption options, which the socket completes with the
/// sessions it keeps for the peer (see `client_sessions`).
#[derive(Clone, Debug, Default)]
pub(crate) struct Resumption {
    pub(crate) tickets: Option<SessionTickets>,
    pub(crate) reuse: Option<ReuseSessions>,
    pub(crate) use_tickets: Vec<crate::ssl::Ticket>,
    pub(crate) reuse_session: Option<(Vec<u8>, Option<crate::ssl::SessionData>)>,
    pub(crate) early_data: bool,
}

impl Resumption {
    /// TLS 1.3 tickets are kept (`auto`) or given to the owner (`manual`).
    pub(crate) fn tickets(&self) -> Option<SessionTickets> {
        self.tickets
            .filter(|t| matches!(t, SessionTickets::Auto | SessionTickets::Manual))
    }

    /// TLS 1.2 sessions are kept (`true`, the default, or `save`).
    pub(crate) fn keep_tls12(&self) -> bool {
        self.reuse != Some(ReuseSessions::False)
    }

    /// The engine option: what to report, and `offer` (the explicit sessions
    /// and, unless `save`, what `cached` finds for the peer).
    pub(crate) fn engine_option(
        &self,
        mut cached: impl FnMut(bool) -> Vec<Vec<u8>>,
    ) -> wit::TlsOption {
        let mut offer: Vec<Vec<u8>> = self.use_tickets.iter().map(|t| t.0.clone()).collect();
        match &self.reuse_session {
            Some((_, Some(data))) => offer.push(data.0.clone()),
            Some((id, None)) => offer.extend(super::client_sessions::tls12_by_id(id)),
            None => {}
        }
        let tickets = self.tickets() == Some(SessionTickets::Auto) && self.use_tickets.is_empty();
        let tls12 = self.keep_tls12()
            && self.reuse != Some(ReuseSessions::Save)
            && self.reuse_session.is_none();
        // `cached(true)` is a ticket, `cached(false)` the TLS 1.2 session.
        if tickets {
            offer.extend(cached(true));
        }
        if tls12 {
            offer.extend(cached(false));
        }
        wit::TlsOption::ClientSessions(wit::ClientSessions {
            keep_tickets: self.tickets().is_some(),
            keep_tls12: self.keep_tls12(),
            offer,
        })
    }
}

fn read_file(option: &str, path: &std::path::Path) -> Result<wit::PemFile, Reason> {
    let shown = format!("{:?}", path.display().to_string());
    super::pem_cache::read(path)
        .map(|contents| wit::PemFile {
            path: path.display().to_string(),
            contents,
        })
        .map_err(|e| {
            let atom = match Reason::from_io(&e) {
                Reason::Posix(a) => a,
                other => other.to_string(),
            };
            let what = match option {
                "cacertfile" => "CA certificate file",
                "certfile" => "certificate file",
                _ => "private key file",
            };
            Reason::options(
                option,
                format!("{shown},{{error,{atom}}}"),
                format!("cannot read the {what}: {e}"),
            )
        })
}

fn version(v: Version) -> Option<ProtocolVersion> {
    match v {
        Version::Tlsv1_2 => Some(ProtocolVersion::Tlsv12),
        Version::Tlsv1_3 => Some(ProtocolVersion::Tlsv13),
        _ => None,
    }
}

/// Split and check `opts` for `role` (files are read here).
pub(crate) fn split(role: Role, opts: &[SslOption]) -> Result<Split, Reason> {
    let mut socket = SocketOpts::default();
    let mut tls = Vec::new();
    let mut verify = match role {
        Role::Client => Verify::VerifyPeer,
        Role::Server => Verify::VerifyNone,
    };
    let (mut fun, mut partial_chain, mut depth, mut match_fun) = (None, None, 10, None);
    let password = password_of(opts);
    let mut has_key = false;
    let mut certfile_path = None;
    let mut sni_fun = None;
    let mut keep_secrets = false;
    let mut early_data = false;
    let mut resumption = Resumption::default();
    let stateful = opts.iter().any(|o| {
        matches!(
            o,
            SslOption::SessionTickets(SessionTickets::Stateful | SessionTickets::StatefulWithCert)
        )
    });
    let mut tickets_seed = None;
    check_combinations(role, opts)?;
    for o in opts {
        o.check_supported()?;
        if let (Role::Client, SslOption::Handshake(HandshakeMode::Hello)) = (role, o) {
            return Err(Reason::options(
                "handshake",
                "{handshake,hello}",
                "a wassl client cannot pause after the ServerHello: rustls runs the client \
                 handshake in one go (servers can pause, see handshake_continue/3)",
            ));
        }
        if o.is_socket_option() {
            socket.apply(std::slice::from_ref(o))?;
            continue;
        }
        let t = match o {
            SslOption::Verify(v) => {
                verify = *v;
                wit::TlsOption::Verify(match v {
                    Verify::VerifyNone => wit::VerifyType::VerifyNone,
                    Verify::VerifyPeer => wit::VerifyType::VerifyPeer,
                })
            }
            SslOption::Cacerts(c) => wit::TlsOption::Cacerts(c.clone()),
            SslOption::Cacertfile(p) => wit::TlsOption::Cacertfile(read_file("cacertfile", p)?),
            SslOption::Cert(c) => wit::TlsOption::Cert(c.clone()),
            SslOption::Certfile(p) => {
                certfile_path = Some(p.clone());
                wit::TlsOption::Certfile(read_file("certfile", p)?)
            }
            SslOption::Key(t, der) => {
                has_key = true;
                wit::TlsOption::Key(types::PrivateKey {
                    kind: super::keys::key_kind(*t),
                    der: der.clone(),
                })
            }
            SslOption::Keyfile(p) => {
                has_key = true;
                // Read and, with a password, decrypted here: the engine gets a plain key.
                let file = read_file("keyfile", p)?;
                match super::keys::from_pem(
                    "keyfile",
                    &file.path,
                    &file.contents,
                    password.as_deref(),
                )? {
                    Some((t, der)) => wit::TlsOption::Key(types::PrivateKey {
                        kind: super::keys::key_kind(t),
                        der,
                    }),
                    None => wit::TlsOption::Keyfile(file),
                }
            }
            SslOption::Password(_) => continue,
            SslOption::CertsKeys(list) => wit::TlsOption::CertsKeys(
                list.iter()
                    .map(|e| super::keys::cert_key(e, password.as_deref()))
                    .collect::<Result<_, _>>()?,
            ),
            SslOption::SniHosts(hosts) => {
                let mut out = Vec::new();
                for (host, host_opts) in hosts {
                    out.push((host.clone(), sni_cert_keys(host_opts)?));
                }
                wit::TlsOption::SniHosts(out)
            }
            SslOption::SniFun(f) => {
                sni_fun = Some(f.clone());
                wit::TlsOption::SniFun(true)
            }
            SslOption::KeepSecrets(b) => {
                keep_secrets = *b;
                continue;
            }
            SslOption::Ciphers(specs) => {
                wit::TlsOption::Ciphers(specs.iter().map(|s| s.engine_name()).collect())
            }
            SslOption::HonorCipherOrder(b) => wit::TlsOption::HonorCipherOrder(*b),
            SslOption::SupportedGroups(g) => wit::TlsOption::SupportedGroups(g.clone()),
            SslOption::SignatureAlgs(s) => wit::TlsOption::SignatureAlgs(s.clone()),
            SslOption::SignatureAlgsCert(_) => continue,
            SslOption::SessionTickets(
                t @ (SessionTickets::Stateless
                | SessionTickets::Stateful
                | SessionTickets::StatelessWithCert
                | SessionTickets::StatefulWithCert),
            ) if role == Role::Client => {
                return Err(Reason::options(
                    "session_tickets",
                    t.atom(),
                    "a client takes session_tickets disabled, auto or manual (stateless and stateful \
                     are server values)",
                ));
            }
            SslOption::SessionTickets(t) if role == Role::Client => {
                resumption.tickets = Some(*t);
                continue;
            }
            SslOption::SessionTickets(t @ (SessionTickets::Auto | SessionTickets::Manual)) => {
                return Err(Reason::options(
                    "session_tickets",
                    t.atom(),
                    "a server takes session_tickets disabled, stateless, stateful, \
                     stateless_with_cert or stateful_with_cert (auto and manual are client values)",
                ));
            }
            SslOption::SessionTickets(t) => {
                let t = match t {
                    SessionTickets::Stateless | SessionTickets::StatelessWithCert => {
                        tls.push(wit::TlsOption::TicketKey(
                            super::server_sessions::ticket_key(),
                        ));
                        wit::ServerTickets::Stateless
                    }
                    SessionTickets::Stateful | SessionTickets::StatefulWithCert => {
                        wit::ServerTickets::Stateful
                    }
                    _ => wit::ServerTickets::Disabled,
                };
                wit::TlsOption::SessionTickets(t)
            }
            SslOption::EarlyData(EarlyData::Send(d)) if role == Role::Client => {
                resumption.early_data = true;
                wit::TlsOption::SendEarlyData(d.clone())
            }
            SslOption::EarlyData(EarlyData::Enabled) if role == Role::Server => {
                early_data = true;
                wit::TlsOption::EarlyData(MAX_EARLY_DATA)
            }
            SslOption::EarlyData(_) | SslOption::AntiReplay(_) => continue,
            SslOption::ReuseSessions(r) if role == Role::Server => {
                wit::TlsOption::ReuseSessions(*r != ReuseSessions::False)
            }
            SslOption::ReuseSessions(r) => {
                resumption.reuse = Some(*r);
                continue;
            }
            SslOption::UseTicket(t) if role == Role::Client => {
                resumption.use_tickets = t.clone();
                continue;
            }
            SslOption::ReuseSession(id, data) if role == Role::Client => {
                resumption.reuse_session = Some((id.clone(), data.clone()));
                continue;
            }
            SslOption::UseTicket(_) | SslOption::ReuseSession(..) => continue,
            SslOption::Versions(vs) => {
                wit::TlsOption::Versions(vs.iter().filter_map(|v| version(*v)).collect())
            }
            // A client option on a server is ignored, as OTP does.
            SslOption::ServerNameIndication(_) if role == Role::Server => continue,
            SslOption::ServerNameIndication(s) => wit::TlsOption::ServerNameIndication(match s {
                ServerNameIndication::Disable => wit::ServerNameIndication::Disable,
                ServerNameIndication::Host(h) => wit::ServerNameIndication::Host(h.clone()),
            }),
            // Options of the other side are ignored, as OTP does.
            SslOption::AlpnAdvertisedProtocols(_) if role == Role::Server => continue,
            SslOption::AlpnPreferredProtocols(_) if role == Role::Client => continue,
            SslOption::AlpnAdvertisedProtocols(p) => {
                wit::TlsOption::AlpnAdvertisedProtocols(p.clone())
            }
            SslOption::AlpnPreferredProtocols(p) => {
                wit::TlsOption::AlpnPreferredProtocols(p.clone())
            }
            // `true` on a client was refused as server_only above.
            SslOption::FailIfNoPeerCert(_) if role == Role::Client => continue,
            SslOption::FailIfNoPeerCert(b) => wit::TlsOption::FailIfNoPeerCert(*b),
            SslOption::VerifyFun(f) => {
                fun = Some(f.clone());
                continue;
            }
            SslOption::PartialChain(f) => {
                partial_chain = Some(f.clone());
                continue;
            }
            SslOption::Depth(d) => {
                depth = *d;
                continue;
            }
            SslOption::CustomizeHostnameCheck(f) => {
                match_fun = Some(f.clone());
                continue;
            }
            SslOption::CrlCheck(CrlCheck::False) => continue,
            SslOption::CrlCheck(c) => wit::TlsOption::CrlCheck(match c {
                CrlCheck::Peer => wit::CrlCheck::Peer,
                CrlCheck::BestEffort => wit::CrlCheck::BestEffort,
                _ => wit::CrlCheck::All,
            }),
            SslOption::CrlCache(crls) => wit::TlsOption::Crls(crls_der(crls)),
            SslOption::Eccs(g) => wit::TlsOption::Eccs(g.clone()),
            SslOption::HonorEccOrder(b) => wit::TlsOption::HonorEccOrder(*b),
            SslOption::MiddleboxCompMode(b) => wit::TlsOption::MiddleboxCompMode(*b),
            SslOption::CertificateAuthorities(b) => wit::TlsOption::CertificateAuthorities(*b),
            SslOption::StatelessTicketsSeed(seed) => {
                tickets_seed = Some(seed.clone());
                continue;
            }
            // Accepted values that ask for what wassl does anyway (the others
            // were refused by `check_supported`).
            SslOption::SecureRenegotiate(_)
            | SslOption::ClientRenegotiation(_)
            | SslOption::Cookie(_)
            | SslOption::Fallback(_)
            | SslOption::Stapling(_)
            | SslOption::CertPolicyOpts(_)
            | SslOption::AllowAnyCaPurpose(_)
            | SslOption::Protocol(_)
            | SslOption::SslImp => continue,
            _ => continue,
        };
        tls.push(t);
    }
    // The key may be in the certfile (the manual's default keyfile), encrypted.
    if let (false, Some(path)) = (has_key, &certfile_path) {
        let file = read_file("certfile", path)?;
        if let Some((t, der)) =
            super::keys::from_pem("certfile", &file.path, &file.contents, password.as_deref())?
        {
            tls.push(wit::TlsOption::Key(types::PrivateKey {
                kind: super::keys::key_kind(t),
                der,
            }));
        }
    }
    use crate::ssl::verify::{Policy, VerifyFun};
    let fun = fun.unwrap_or_else(|| match verify {
        Verify::VerifyPeer => VerifyFun::default_verify_peer(),
        Verify::VerifyNone => VerifyFun::default_verify_none(),
    });
    if crate::imports::KeylogSink::new(keep_secrets).enabled() {
        tls.push(wit::TlsOption::Keylog(true));
    }
    if let Some(seed) = tickets_seed {
        // After the process key, so that the engine takes this one.
        tls.push(wit::TlsOption::TicketKey(
            super::server_sessions::ticket_key_from_seed(&seed),
        ));
    }
    if resumption.early_data && resumption.tickets().is_none() {
        return Err(incompatible(
            "early_data,{session_tickets,disabled}",
            "a client sends early data only when resuming with a ticket: add {session_tickets, auto} \
             or {session_tickets, manual} with {use_ticket, [Ticket]}",
        ));
    }
    if early_data && !stateful {
        let tickets = session_tickets_of(opts).atom();
        return Err(incompatible(
            format!("early_data,{{session_tickets,{tickets}}}"),
            "early_data needs {session_tickets, stateful}: rustls takes 0-RTT only with single-use \
             tickets, which is how replayed early data is refused",
        ));
    }
    Ok(Split {
        socket,
        tls,
        policy: Policy {
            fun,
            partial_chain,
            depth,
            match_fun,
            sni_fun,
        },
        keep_secrets,
        resumption,
    })
}

/// The certificates and keys that one `sni_hosts` entry (or an `sni_fun`
/// answer) names.
pub(crate) fn sni_cert_keys(opts: &[SslOption]) -> Result<Vec<types::CertKey>, Reason> {
    let mut entry = crate::ssl::CertKey::default();
    let mut out = Vec::new();
    let password = password_of(opts);
    for o in opts {
        match o {
            SslOption::Cert(c) => entry.cert = c.clone(),
            SslOption::Certfile(p) => entry.certfile = Some(p.clone()),
            SslOption::Key(t, d) => entry.key = Some((*t, d.clone())),
            SslOption::Keyfile(p) => entry.keyfile = Some(p.clone()),
            SslOption::CertsKeys(list) => {
                for e in list {
                    out.push(super::keys::cert_key(e, password.as_deref())?);
                }
            }
            _ => {}
        }
    }
    if !entry.cert.is_empty() || entry.certfile.is_some() {
        out.insert(0, super::keys::cert_key(&entry, password.as_deref())?);
    }
    Ok(out)
}

/// CRLs as DER: each entry is DER already, or PEM holding `X509 CRL` blocks.
fn crls_der(entries: &[Vec<u8>]) -> Vec<Vec<u8>> {
    use rustls_pki_types::pem::PemObject;
    let mut out = Vec::new();
    for e in entries {
        if e.starts_with(b"-----BEGIN") || e.windows(19).any(|w| w == b"-----BEGIN X509 CRL") {
            out.extend(
                rustls_pki_types::CertificateRevocationListDer::pem_slice_iter(e)
                    .filter_map(Result::ok)
                    .map(|c| c.to_vec()),
            );
        } else {
            out.push(e.clone());
        }
    }
    out
}

/// What `pick` finds in the last option it matches (later options
/// override earlier ones).
fn last_of<T>(opts: &[SslOption], pick: impl Fn(&SslOption) -> Option<T>) -> Option<T> {
    opts.iter().rev().find_map(pick)
}

/// The last `{password, _}` of `opts`.
fn password_of(opts: &[SslOption]) -> Option<String> {
    last_of(opts, |o| match o {
        SslOption::Password(p) => Some(p.clone()),
        _ => None,
    })
}

/// The last `{session_tickets, _}` of `opts`.
fn session_tickets_of(opts: &[SslOption]) -> SessionTickets {
    last_of(opts, |o| match o {
        SslOption::SessionTickets(t) => Some(*t),
        _ => None,
    })
    .unwrap_or(SessionTickets::Disabled)
}

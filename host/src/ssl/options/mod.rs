//! The `ssl` options as a Rust enum whose variants carry the Erlang names,
//! in OTP's own rooms: the option types (here), the checks across options
//! (`checks`, OTP's `ssl_config`), the socket options the host's socket
//! task keeps (`socket`), and the engine's configuration (`engine`: TLS
//! options go to the engine, file options read here, since the engine has
//! no file system), and `sni_fun` answered before the handshake goes on
//! (`sni`).

mod checks;
mod engine;
mod sni;
mod socket;

pub(crate) use engine::{split, Resumption, Split};
pub(crate) use sni::{has_sni_fun, resolve_sni};
pub(crate) use socket::SocketOpts;

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
    /// `{ticket_keys, Keys}` (server, with stateless tickets; wassl's):
    /// rotating ticket keys from this process, a file or a fleet's Redis
    /// (see [`crate::ssl::TicketKeys`]). Default: this process's keys,
    /// rotated hourly, two kept.
    TicketKeys(crate::ssl::TicketKeys),
    /// `{session_cb, Cache}` (server): where TLS 1.2 sessions and stateful
    /// TLS 1.3 tickets are kept. OTP sets it for the whole `ssl`
    /// application; wassl per listen socket. Default: the process's store
    /// ([`crate::ssl::SessionCb::local`]); a fleet shares
    /// [`crate::ssl::RedisSessionCache`].
    SessionCb(crate::ssl::SessionCb),
    /// `{session_lifetime, Seconds}` (server): how long a kept session may
    /// be resumed (OTP's application variable, default 86400).
    SessionLifetime(u32),
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

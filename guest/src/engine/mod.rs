//! The sans-I/O TLS engine: plain Rust, no WIT types, unit-tested natively.
//!
//! Bytes go in through [`Connection::feed`], records and plaintext come out.
//! Every rustls call lives in [`tls`]; this module holds the shapes the
//! exports translate to WIT, named after the Erlang `ssl` terms.

pub mod alert;
mod chacha;
pub mod crypto;
mod der;
#[cfg(not(target_arch = "wasm32"))]
pub mod fuzzing;
mod option_error;
pub mod options;
#[cfg(test)]
mod pair_tests;
mod poly1305;
mod suites;
mod tls;
mod wire;

pub use options::{
    CertKey, ClientSessions, CrlCheck, OptionError, PrivateKeyKind, ServerNameIndication,
    ServerTickets, TlsOption, VerifyType,
};

/// What `sni_fun` answers for a server name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SniAnswer {
    /// `undefined`: the listen socket's certificates.
    UseDefault,
    /// `unrecognized`: refuse the name.
    Unrecognized,
    /// These chains and keys.
    CertsKeys(Vec<CertKey>),
}
pub use suites::{cipher_suite_names, group_names, sigalg_names};
pub use tls::{Config, Connection, HandOff, PausedServer};

/// Which end of the connection this engine plays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The side that sends the ClientHello.
    Client,
    /// The side that answers it.
    Server,
}

impl Role {
    /// `client` / `server`, as Erlang prints it in alert texts.
    pub fn name(self) -> &'static str {
        match self {
            Role::Client => "client",
            Role::Server => "server",
        }
    }
}

/// `'tlsv1.2'` or `'tlsv1.3'`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProtocolVersion {
    /// TLS 1.2 (RFC 5246).
    Tlsv1_2,
    /// TLS 1.3 (RFC 8446).
    Tlsv1_3,
}

/// Erlang's `{bad_cert, Reason}` reasons.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BadCert {
    /// No trusted CA issued the chain.
    UnknownCa,
    /// The chain is one self-signed certificate that is not trusted.
    SelfsignedPeer,
    /// Outside its validity period (expired or not yet valid).
    CertExpired,
    /// An issuer in the chain does not match.
    InvalidIssuer,
    /// A signature in the chain does not verify.
    InvalidSignature,
    /// The certificate is not valid for the expected host name.
    HostnameCheckFailed,
    /// Key usage or extended key usage forbids this use.
    InvalidKeyUsage,
    /// A CA certificate lacks the basic constraints extension.
    MissingBasicConstraint,
    /// A name constraint excludes the name.
    NameNotPermitted,
    /// Anything else, as the text of its Erlang term.
    Other(String),
}

impl BadCert {
    /// The reason as an Erlang term, e.g. `hostname_check_failed`.
    pub fn as_term(&self) -> String {
        match self {
            BadCert::UnknownCa => "unknown_ca".into(),
            BadCert::SelfsignedPeer => "selfsigned_peer".into(),
            BadCert::CertExpired => "cert_expired".into(),
            BadCert::InvalidIssuer => "invalid_issuer".into(),
            BadCert::InvalidSignature => "invalid_signature".into(),
            BadCert::HostnameCheckFailed => "hostname_check_failed".into(),
            BadCert::InvalidKeyUsage => "invalid_key_usage".into(),
            BadCert::MissingBasicConstraint => "missing_basic_constraint".into(),
            BadCert::NameNotPermitted => "name_not_permitted".into(),
            BadCert::Other(s) => s.clone(),
        }
    }

    /// The alert Erlang's `ssl` sends for this path validation failure
    /// (`ssl_handshake:path_validation_alert/1`).
    pub fn alert(&self) -> alert::Alert {
        use alert::Alert;
        match self {
            BadCert::UnknownCa => Alert::UNKNOWN_CA,
            BadCert::CertExpired => Alert::CERTIFICATE_EXPIRED,
            BadCert::SelfsignedPeer
            | BadCert::InvalidIssuer
            | BadCert::InvalidSignature
            | BadCert::NameNotPermitted => Alert::BAD_CERTIFICATE,
            BadCert::Other(s) if s.starts_with("{revoked") => Alert::CERTIFICATE_REVOKED,
            BadCert::Other(s) if s.starts_with("{revocation_status_undetermined") => {
                Alert::BAD_CERTIFICATE
            }
            BadCert::Other(s) if s == "unknown_critical_extension" => {
                Alert::UNSUPPORTED_CERTIFICATE
            }
            // Everything else is handshake_failure with the reason in the text.
            BadCert::HostnameCheckFailed
            | BadCert::InvalidKeyUsage
            | BadCert::MissingBasicConstraint
            | BadCert::Other(_) => Alert::HANDSHAKE_FAILURE,
        }
    }
}

/// Who produced an alert.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AlertOrigin {
    /// This engine sent it.
    Local,
    /// The peer sent it.
    Peer,
}

/// Erlang's `{tls_alert, {Description, Text}}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsAlert {
    /// The Erlang atom, e.g. `unknown_ca`.
    pub description: String,
    /// The wire code.
    pub code: u8,
    /// Who sent it.
    pub origin: AlertOrigin,
    /// Erlang-style text.
    pub text: String,
}

/// An engine error, shaped like `Reason` in `{error, Reason}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TlsError {
    /// A fatal alert was sent or received.
    TlsAlert(TlsAlert),
    /// The connection is closed.
    Closed,
    /// The call does not fit the connection's state.
    Einval(String),
}

/// The map form of a cipher suite plus its IANA name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CipherSuiteInfo {
    /// `any` for TLS 1.3, e.g. `ecdhe_ecdsa` for TLS 1.2.
    pub key_exchange: String,
    /// e.g. `aes_128_gcm`.
    pub cipher: String,
    /// `aead` for every suite wassl offers.
    pub mac: String,
    /// e.g. `sha256`.
    pub prf: String,
    /// e.g. `TLS_AES_128_GCM_SHA256`.
    pub iana_name: String,
    /// The IANA code.
    pub code: u16,
}

/// What `ssl:connection_information/1` reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectionInfo {
    /// Negotiated version.
    pub protocol: ProtocolVersion,
    /// Negotiated suite.
    pub selected_cipher_suite: CipherSuiteInfo,
    /// Key exchange group, e.g. `x25519`.
    pub ecc: Option<String>,
    /// SNI name sent (client) or received (server).
    pub sni_hostname: Option<String>,
    /// ALPN protocol.
    pub negotiated_protocol: Option<Vec<u8>>,
    /// True when the handshake resumed a session.
    pub session_resumption: bool,
    /// A client's 0-RTT data: accepted or not (`None`: none asked for).
    pub early_data: Option<bool>,
    /// The ClientHello's random.
    pub client_random: Option<Vec<u8>>,
    /// The ServerHello's random (TLS 1.2: rustls does not show it, the
    /// engine's PRF sees it; TLS 1.3 derives no key from it).
    pub server_random: Option<Vec<u8>>,
}

/// One piece of `ssl:prf/5`'s seed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PrfSeed {
    /// `client_random`.
    ClientRandom,
    /// `server_random`.
    ServerRandom,
    /// The caller's bytes.
    Bytes(Vec<u8>),
}

/// A session a client can resume later (see the `client-session` WIT record).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientSession {
    /// TLS 1.3 ticket or TLS 1.2 session.
    pub version: ProtocolVersion,
    /// TLS 1.2: the session ID (may be empty).
    pub session_id: Vec<u8>,
    /// TLS 1.3: most 0-RTT bytes the ticket allows.
    pub max_early_data: u32,
    /// Seconds the session may be resumed.
    pub lifetime: u32,
    /// The session, for `ClientSessions::offer`.
    pub value: Vec<u8>,
}

/// What one `feed` produced.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// Records to send to the peer.
    pub output: Vec<u8>,
    /// Decrypted application data.
    pub plaintext: Vec<u8>,
    /// The handshake has completed.
    pub handshake_done: bool,
    /// The peer sent close_notify.
    pub peer_closed: bool,
    /// Bytes after the peer's close_notify (plain TCP after a downgrade).
    pub rest: Vec<u8>,
}

/// A fatal error with the alert bytes still to be sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// What went wrong.
    pub error: TlsError,
    /// The alert record(s) to write before closing.
    pub output: Vec<u8>,
}

/// The peer's chain as handed to `verify_fun`.
#[derive(Clone, Debug)]
pub struct PeerChain {
    /// Role of the verifying engine.
    pub role: Role,
    /// DER certificates, leaf first.
    pub chain: Vec<Vec<u8>>,
    /// Name the leaf was checked against (clients).
    pub server_name: Option<String>,
    /// First problem found by path validation, if any.
    pub problem: Option<BadCert>,
}

/// The host side of `verify_fun`: given the chain and what path validation
/// found, accept the peer or name the reason to fail it.
pub trait VerifyHook: Send + Sync + std::fmt::Debug {
    /// `Ok(())` accepts the peer; `Err(reason)` fails the handshake.
    fn verify_peer(&self, chain: PeerChain) -> Result<(), BadCert>;

    /// `partial_chain`: a certificate of `chain` (DER, leaf first) to trust as
    /// the anchor, or `None`.
    fn partial_chain(&self, chain: &[Vec<u8>]) -> Option<Vec<u8>> {
        let _ = chain;
        None
    }

    /// `sni_fun`: what to serve for `server_name`.
    fn sni_fun(&self, server_name: &str) -> SniAnswer {
        let _ = server_name;
        SniAnswer::UseDefault
    }

    /// One secret for the key log.
    fn keylog(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        let _ = (label, client_random, secret);
    }

    /// The server session store: keep a session (false: not kept).
    fn session_put(&self, key: Vec<u8>, value: Vec<u8>) -> bool {
        let _ = (key, value);
        false
    }

    /// Read a stored session.
    fn session_get(&self, key: &[u8]) -> Option<Vec<u8>> {
        let _ = key;
        None
    }

    /// Read and remove a stored session.
    fn session_take(&self, key: &[u8]) -> Option<Vec<u8>> {
        let _ = key;
        None
    }

    /// A client's new session, to resume later.
    fn client_session(&self, session: ClientSession) {
        let _ = session;
    }
}

/// Erlang's default verify_fun: fail on any `bad_cert` in `verify_peer`
/// mode, accept everything in `verify_none` mode.
#[derive(Debug, Clone, Copy)]
pub struct DefaultVerify(pub VerifyType);

impl VerifyHook for DefaultVerify {
    fn verify_peer(&self, chain: PeerChain) -> Result<(), BadCert> {
        match (self.0, chain.problem) {
            (VerifyType::VerifyPeer, Some(reason)) => Err(reason),
            _ => Ok(()),
        }
    }
}

/// What an engine that gave its record layer away still answers.
#[derive(Clone, Debug)]
pub struct Snapshot {
    /// Which end this was.
    pub role: Role,
    /// `connection_information/1` at the hand-off.
    pub info: ConnectionInfo,
    /// The peer's chain, leaf first.
    pub peer_certificates: Vec<Vec<u8>>,
}

/// What a TLS 1.2 connection's record layer needs (see `hand_off`).
#[derive(Clone, Debug)]
pub struct Tls12Keys {
    /// IANA code of the suite.
    pub suite: u16,
    /// Records sent so far.
    pub tx_seq: u64,
    /// Records received so far.
    pub rx_seq: u64,
    /// The master secret: the keys and RFC 5705 exporters come from it.
    pub master_secret: Vec<u8>,
    /// The ClientHello's random.
    pub client_random: Vec<u8>,
    /// The ServerHello's random.
    pub server_random: Vec<u8>,
    /// The start of a record not yet complete.
    pub pending: Vec<u8>,
}

/// The secrets of a TLS 1.3 connection's record layer (see `hand_off`).
#[derive(Clone, Debug)]
pub struct TrafficSecrets {
    /// IANA code of the suite.
    pub suite: u16,
    /// Records sent so far under `tx_secret`.
    pub tx_seq: u64,
    /// This end's application traffic secret.
    pub tx_secret: Vec<u8>,
    /// Records received so far under `rx_secret`.
    pub rx_seq: u64,
    /// The peer's application traffic secret.
    pub rx_secret: Vec<u8>,
    /// The exporter master secret.
    pub exporter_secret: Vec<u8>,
    /// The start of a record not yet complete.
    pub pending: Vec<u8>,
}

/// `{tls_alert, ...}` for an alert a record layer outside the engine sent
/// (`local`) or received, worded as Erlang words it.
pub fn alert_error(role: Role, code: u8, local: bool, detail: Option<&str>) -> TlsError {
    let a = alert::Alert(code);
    let peer = match role {
        Role::Client => Role::Server,
        Role::Server => Role::Client,
    };
    let sender = if local { role } else { peer };
    TlsError::TlsAlert(TlsAlert {
        description: a.atom().into(),
        code,
        origin: if local {
            AlertOrigin::Local
        } else {
            AlertOrigin::Peer
        },
        text: alert::text(role, "connection", local, sender, a, detail),
    })
}

/// What a paused server read in the ClientHello (`{handshake, hello}`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientHelloInfo {
    /// server_name.
    pub sni: Option<String>,
    /// ALPN protocols offered.
    pub alpn: Vec<Vec<u8>>,
    /// Versions offered that wassl knows.
    pub versions: Vec<ProtocolVersion>,
    /// IANA codes, in the client's order.
    pub cipher_suites: Vec<u16>,
    /// Erlang names.
    pub signature_algs: Vec<String>,
    /// Erlang names.
    pub groups: Vec<String>,
}

/// The versions a ClientHello offers: its supported_versions extension, or
/// TLS 1.2 alone without one (RFC 8446, 4.2.1). `bytes` are the records as
/// received; `None` if they do not hold a whole ClientHello.
pub fn hello_versions(bytes: &[u8]) -> Option<Vec<ProtocolVersion>> {
    // The handshake message may span records: join their bodies.
    let mut msg = Vec::new();
    let mut rest = bytes;
    while rest.len() >= 5 && rest[0] == 22 {
        let len = usize::from(u16::from_be_bytes([rest[3], rest[4]]));
        msg.extend_from_slice(rest.get(5..5 + len)?);
        rest = &rest[5 + len..];
    }
    let mut r = wire::Reader::new(msg.get(4..)?);
    r.skip(2 + 32)?; // legacy_version, random
    let n = usize::from(r.u8()?);
    r.skip(n)?; // session id
    let n = usize::from(r.u16()?);
    r.skip(n)?; // cipher suites
    let n = usize::from(r.u8()?);
    r.skip(n)?; // compression methods
    let mut versions = vec![ProtocolVersion::Tlsv1_2];
    let Some(n) = r.u16() else {
        return Some(versions);
    };
    let mut ext = wire::Reader::new(r.take(usize::from(n))?);
    while let (Some(typ), Some(len)) = (ext.u16(), ext.u16()) {
        let body = ext.take(usize::from(len))?;
        if typ == 43 {
            let mut v = wire::Reader::new(body.get(1..)?);
            versions.clear();
            while let Some(code) = v.u16() {
                match code {
                    0x0304 => versions.push(ProtocolVersion::Tlsv1_3),
                    0x0303 => versions.push(ProtocolVersion::Tlsv1_2),
                    _ => {}
                }
            }
        }
    }
    Some(versions)
}

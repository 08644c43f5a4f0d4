//! The TLS options of the `ssl` manual, validated into plain settings.
//! PEM and DER are parsed here so a bad file is an `{options, ...}` error
//! before any connection exists.

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{
    CertificateDer, PrivateKeyDer, PrivatePkcs1KeyDer, PrivatePkcs8KeyDer, PrivateSec1KeyDer,
};

pub use super::option_error::OptionError;
use super::ProtocolVersion;

/// `verify_none` | `verify_peer`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VerifyType {
    /// Accept any peer certificate (verify_fun still sees it).
    VerifyNone,
    /// Validate the peer's path and host name.
    VerifyPeer,
}

/// The tag of `{key, {Tag, Der}}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PrivateKeyKind {
    /// `'RSAPrivateKey'` (PKCS#1).
    RsaPrivateKey,
    /// `'ECPrivateKey'` (SEC1).
    EcPrivateKey,
    /// `'PrivateKeyInfo'` (PKCS#8).
    PrivateKeyInfo,
}

/// `{server_name_indication, Host | disable}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerNameIndication {
    /// Send no SNI; the host name given to connect is still checked.
    Disable,
    /// Send and check this name instead of the one given to connect.
    Host(String),
}

/// One TLS option as the engine receives it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TlsOption {
    /// `{verify, Type}`.
    Verify(VerifyType),
    /// `{cacerts, [Der]}`.
    Cacerts(Vec<Vec<u8>>),
    /// `{cacertfile, Path}` with the file's contents.
    Cacertfile {
        /// The path the user gave.
        path: String,
        /// The file's bytes, read by the host.
        contents: Vec<u8>,
    },
    /// `{cert, Der | [Der]}`: leaf first.
    Cert(Vec<Vec<u8>>),
    /// `{certfile, Path}` with the file's contents.
    Certfile {
        /// The path the user gave.
        path: String,
        /// The file's bytes, read by the host.
        contents: Vec<u8>,
    },
    /// `{key, {Kind, Der}}`.
    Key {
        /// The ASN.1 type of `der`.
        kind: PrivateKeyKind,
        /// The DER-encoded key.
        der: Vec<u8>,
    },
    /// `{keyfile, Path}` with the file's contents.
    Keyfile {
        /// The path the user gave.
        path: String,
        /// The file's bytes, read by the host.
        contents: Vec<u8>,
    },
    /// `{versions, [Version]}`.
    Versions(Vec<ProtocolVersion>),
    /// `{server_name_indication, ...}`.
    ServerNameIndication(ServerNameIndication),
    /// `{alpn_advertised_protocols, [binary()]}` (client).
    AlpnAdvertisedProtocols(Vec<Vec<u8>>),
    /// `{alpn_preferred_protocols, [binary()]}` (server).
    AlpnPreferredProtocols(Vec<Vec<u8>>),
    /// `{fail_if_no_peer_cert, boolean()}` (server).
    FailIfNoPeerCert(bool),
    /// `{crl_check, true | peer | best_effort}`.
    CrlCheck(CrlCheck),
    /// CRLs (DER) to check against.
    Crls(Vec<Vec<u8>>),
    /// `certs_keys`.
    CertsKeys(Vec<CertKey>),
    /// `sni_hosts`.
    SniHosts(Vec<(String, Vec<CertKey>)>),
    /// `sni_fun` is set.
    SniFun(bool),
    /// Report secrets to the host.
    Keylog(bool),
    /// Allowed suites by name, in preference order.
    Ciphers(Vec<String>),
    /// The server's suite order wins.
    HonorCipherOrder(bool),
    /// `supported_groups` by Erlang name: the groups of TLS 1.3 handshakes.
    SupportedGroups(Vec<String>),
    /// `eccs` by Erlang name: the groups of TLS 1.2 handshakes.
    Eccs(Vec<String>),
    /// `honor_ecc_order` (server): the server's group order wins.
    HonorEccOrder(bool),
    /// `middlebox_comp_mode` (TLS 1.3; default true): RFC 8446 D.4.
    MiddleboxCompMode(bool),
    /// `certificate_authorities`: name the trusted CAs to the peer (a server
    /// in its CertificateRequest, by default; a TLS 1.3 client in its
    /// ClientHello, when asked).
    CertificateAuthorities(bool),
    /// `signature_algs` by Erlang name.
    SignatureAlgs(Vec<String>),
    /// `session_tickets` (server).
    SessionTickets(ServerTickets),
    /// `{early_data, enabled}` (server): the most 0-RTT bytes accepted.
    EarlyData(u32),
    /// `reuse_sessions` (server).
    ReuseSessions(bool),
    /// The keys of stateless tickets: the first seals, all open.
    TicketKeys(Vec<Vec<u8>>),
    /// Client resumption: what to report, what to offer.
    ClientSessions(ClientSessions),
    /// `{early_data, Data}` (client).
    SendEarlyData(Vec<u8>),
}

/// Client resumption (`session_tickets`, `reuse_sessions`, `use_ticket`, `reuse_session`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientSessions {
    /// Report TLS 1.3 tickets to the host.
    pub keep_tickets: bool,
    /// Report the TLS 1.2 session to the host.
    pub keep_tls12: bool,
    /// Sessions (as reported earlier) to offer.
    pub offer: Vec<Vec<u8>>,
}

/// `session_tickets` on a server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServerTickets {
    /// No TLS 1.3 tickets (OTP's default).
    Disabled,
    /// Self-contained encrypted tickets.
    Stateless,
    /// Tickets that name a stored session.
    Stateful,
}

/// A chain (DER, leaf first) and its plain private key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertKey {
    /// Leaf first.
    pub chain: Vec<Vec<u8>>,
    /// The key's type.
    pub kind: PrivateKeyKind,
    /// The key, DER.
    pub der: Vec<u8>,
}

impl CertKey {
    pub(crate) fn key_der(&self) -> PrivateKeyDer<'static> {
        key_der(self.kind, self.der.clone())
    }
}

fn key_der(kind: PrivateKeyKind, der: Vec<u8>) -> PrivateKeyDer<'static> {
    match kind {
        PrivateKeyKind::RsaPrivateKey => PrivateKeyDer::Pkcs1(PrivatePkcs1KeyDer::from(der)),
        PrivateKeyKind::EcPrivateKey => PrivateKeyDer::Sec1(PrivateSec1KeyDer::from(der)),
        PrivateKeyKind::PrivateKeyInfo => PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(der)),
    }
}

/// `crl_check`'s values other than `false`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CrlCheck {
    /// `true`: every certificate of the path; unknown status fails.
    All,
    /// `peer`: the peer certificate only.
    Peer,
    /// `best_effort`: unknown status is accepted.
    BestEffort,
}

/// The validated TLS settings of one role.
#[derive(Debug)]
pub(crate) struct Settings {
    pub(crate) verify: VerifyType,
    /// Trusted roots; `None` means no CA option was given.
    pub(crate) cacerts: Option<Vec<CertificateDer<'static>>>,
    /// Own certificate chain, leaf first.
    pub(crate) cert_chain: Vec<CertificateDer<'static>>,
    pub(crate) key: Option<PrivateKeyDer<'static>>,
    /// Which option supplied the key, for error messages.
    pub(crate) key_origin: (String, String),
    pub(crate) versions: Vec<ProtocolVersion>,
    pub(crate) sni: Option<ServerNameIndication>,
    pub(crate) alpn: Vec<Vec<u8>>,
    pub(crate) fail_if_no_peer_cert: bool,
    pub(crate) crl_check: Option<CrlCheck>,
    pub(crate) crls: Vec<Vec<u8>>,
    pub(crate) certs_keys: Vec<CertKey>,
    pub(crate) sni_hosts: Vec<(String, Vec<CertKey>)>,
    pub(crate) sni_fun: bool,
    pub(crate) keylog: bool,
    pub(crate) ciphers: Option<Vec<u16>>,
    pub(crate) honor_cipher_order: bool,
    /// `supported_groups` (TLS 1.3).
    pub(crate) groups: Option<Vec<rustls::NamedGroup>>,
    /// `eccs` (TLS 1.2).
    pub(crate) eccs: Option<Vec<rustls::NamedGroup>>,
    pub(crate) honor_ecc_order: bool,
    pub(crate) middlebox_comp_mode: bool,
    pub(crate) certificate_authorities: bool,
    pub(crate) sigalgs: Option<Vec<rustls::SignatureScheme>>,
    pub(crate) tickets: ServerTickets,
    pub(crate) early_data: u32,
    pub(crate) reuse_sessions: bool,
    pub(crate) ticket_keys: Option<Vec<Vec<u8>>>,
    pub(crate) client_sessions: ClientSessions,
    pub(crate) send_early_data: Option<Vec<u8>>,
}

fn quote(s: &str) -> String {
    format!("{s:?}")
}

fn pem_certs(
    option: &str,
    path: &str,
    pem: &[u8],
) -> Result<Vec<CertificateDer<'static>>, OptionError> {
    let certs: Result<Vec<_>, _> = CertificateDer::pem_slice_iter(pem).collect();
    match certs {
        Ok(c) if !c.is_empty() => Ok(c),
        Ok(_) => Err(OptionError::new(
            option,
            quote(path),
            "the file holds no PEM CERTIFICATE block",
        )),
        Err(e) => Err(OptionError::new(
            option,
            quote(path),
            format!("the file is not valid PEM: {e}"),
        )),
    }
}

fn check_alpn(option: &str, protos: &[Vec<u8>]) -> Result<(), OptionError> {
    // RFC 7301: each name is 1..=255 bytes; the manual forbids the empty binary.
    if protos.is_empty() || protos.iter().any(|p| p.is_empty() || p.len() > 255) {
        let shown: Vec<String> = protos
            .iter()
            .map(|p| format!("<<{:?}>>", String::from_utf8_lossy(p)))
            .collect();
        return Err(OptionError::new(
            option,
            format!("[{}]", shown.join(",")),
            "the list must be non-empty and hold protocol names of 1 to 255 bytes",
        ));
    }
    Ok(())
}

/// Validate `opts`; later options override earlier ones, and a DER option
/// overrides its file twin (`cert` over `certfile`), as the manual says.
pub(crate) fn settings(role: super::Role, opts: Vec<TlsOption>) -> Result<Settings, OptionError> {
    let mut verify = match role {
        // OTP 26+: clients verify by default, servers do not ask for a certificate.
        super::Role::Client => VerifyType::VerifyPeer,
        super::Role::Server => VerifyType::VerifyNone,
    };
    let (mut cacerts, mut cacertfile) = (None, None);
    let (mut cert, mut certfile) = (None, None);
    let (mut key, mut keyfile) = (None, None);
    let mut versions = vec![ProtocolVersion::Tlsv1_3, ProtocolVersion::Tlsv1_2];
    let mut sni = None;
    let mut alpn = Vec::new();
    let mut fail_if_no_peer_cert = false;
    let mut crl_check = None;
    let mut crls = Vec::new();
    let (mut certs_keys, mut sni_hosts, mut sni_fun) = (Vec::new(), Vec::new(), false);
    let (mut keylog, mut ciphers, mut honor_cipher_order) = (false, None, false);
    let (mut groups, mut eccs, mut sigalgs) = (None, None, None);
    let (mut honor_ecc_order, mut middlebox_comp_mode) = (false, true);
    // OTP: servers name their CAs by default, clients only when asked.
    let mut certificate_authorities = role == super::Role::Server;
    let (mut tickets, mut reuse_sessions, mut ticket_keys) = (ServerTickets::Disabled, true, None);
    let mut early_data = 0;
    let (mut client_sessions, mut send_early_data) = (ClientSessions::default(), None);
    let mut certfile_pem: Option<(String, Vec<u8>)> = None;
    for opt in opts {
        match opt {
            TlsOption::Verify(v) => verify = v,
            TlsOption::Cacerts(ders) => cacerts = Some(ders),
            TlsOption::Cacertfile { path, contents } => {
                cacertfile = Some(pem_certs("cacertfile", &path, &contents)?)
            }
            TlsOption::Cert(ders) => {
                if ders.is_empty() {
                    return Err(OptionError::new("cert", "[]", "no certificate given"));
                }
                cert = Some(
                    ders.into_iter()
                        .map(CertificateDer::from)
                        .collect::<Vec<_>>(),
                )
            }
            TlsOption::Certfile { path, contents } => {
                certfile = Some(pem_certs("certfile", &path, &contents)?);
                certfile_pem = Some((path, contents));
            }
            TlsOption::Key { kind, der } => {
                key = Some((
                    key_der(kind, der),
                    ("key".to_string(), format!("{{{kind:?}, <<...>>}}")),
                ));
            }
            TlsOption::Keyfile { path, contents } => {
                let k = PrivateKeyDer::from_pem_slice(&contents).map_err(|e| {
                    OptionError::new(
                        "keyfile",
                        quote(&path),
                        format!("no usable private key in the file: {e}"),
                    )
                })?;
                keyfile = Some((k, ("keyfile".to_string(), quote(&path))));
            }
            TlsOption::Versions(v) => {
                if v.is_empty() {
                    return Err(OptionError::new(
                        "versions",
                        "[]",
                        "at least one version is needed",
                    ));
                }
                versions = v
            }
            TlsOption::ServerNameIndication(s) => {
                if let ServerNameIndication::Host(h) = &s {
                    if rustls_pki_types::ServerName::try_from(h.as_str()).is_err() {
                        return Err(OptionError::new(
                            "server_name_indication",
                            quote(h),
                            "not a valid DNS name or IP address",
                        ));
                    }
                }
                sni = Some(s)
            }
            TlsOption::AlpnAdvertisedProtocols(p) => {
                check_alpn("alpn_advertised_protocols", &p)?;
                alpn = p
            }
            TlsOption::AlpnPreferredProtocols(p) => {
                check_alpn("alpn_preferred_protocols", &p)?;
                alpn = p
            }
            TlsOption::FailIfNoPeerCert(b) => fail_if_no_peer_cert = b,
            TlsOption::CrlCheck(c) => crl_check = Some(c),
            TlsOption::Crls(c) => crls = c,
            TlsOption::CertsKeys(c) => certs_keys = c,
            TlsOption::SniHosts(h) => sni_hosts = h,
            TlsOption::SniFun(b) => sni_fun = b,
            TlsOption::Keylog(b) => keylog = b,
            TlsOption::Ciphers(names) => ciphers = Some(super::suites::resolve_ciphers(&names)?),
            TlsOption::HonorCipherOrder(b) => honor_cipher_order = b,
            TlsOption::SupportedGroups(names) => {
                groups = Some(super::suites::resolve_groups("supported_groups", &names)?)
            }
            TlsOption::Eccs(names) => eccs = Some(super::suites::resolve_groups("eccs", &names)?),
            TlsOption::HonorEccOrder(b) => honor_ecc_order = b,
            TlsOption::MiddleboxCompMode(b) => middlebox_comp_mode = b,
            TlsOption::CertificateAuthorities(b) => certificate_authorities = b,
            TlsOption::SignatureAlgs(names) => {
                sigalgs = Some(super::suites::resolve_sigalgs(&names)?)
            }
            TlsOption::SessionTickets(t) => tickets = t,
            TlsOption::EarlyData(n) => early_data = n,
            TlsOption::ReuseSessions(b) => reuse_sessions = b,
            TlsOption::TicketKeys(keys) => {
                if keys.is_empty() || keys.iter().any(|k| k.len() != 32) {
                    return Err(OptionError::new(
                        "ticket_keys",
                        "[<<...>>]",
                        "ticket keys are one or more keys of 32 bytes",
                    ));
                }
                ticket_keys = Some(keys)
            }
            TlsOption::ClientSessions(c) => client_sessions = c,
            TlsOption::SendEarlyData(d) => send_early_data = Some(d),
        }
    }
    let cacerts = cacerts
        .map(|d: Vec<Vec<u8>>| d.into_iter().map(CertificateDer::from).collect())
        .or(cacertfile);
    let cert_chain = cert.or(certfile).unwrap_or_default();
    // The manual: keyfile defaults to the certfile, which may hold the key too.
    let from_certfile = certfile_pem.and_then(|(path, pem)| {
        PrivateKeyDer::from_pem_slice(&pem)
            .ok()
            .map(|k| (k, ("certfile".to_string(), quote(&path))))
    });
    let (key, key_origin) = match key.or(keyfile).or(from_certfile) {
        Some((k, origin)) => (Some(k), origin),
        None => (None, ("key".into(), "undefined".into())),
    };
    Ok(Settings {
        verify,
        cacerts,
        cert_chain,
        key,
        key_origin,
        versions,
        sni,
        alpn,
        fail_if_no_peer_cert,
        crl_check,
        crls,
        certs_keys,
        sni_hosts,
        sni_fun,
        keylog,
        ciphers,
        honor_cipher_order,
        groups,
        eccs,
        honor_ecc_order,
        middlebox_comp_mode,
        certificate_authorities,
        sigalgs,
        tickets,
        early_data,
        reuse_sessions,
        ticket_keys,
        client_sessions,
        send_early_data,
    })
}

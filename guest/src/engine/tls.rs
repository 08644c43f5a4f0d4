//! Every rustls call of the engine lives here (rustls 0.24 will change the API,
//! and this is the one file to port). Builds client and server configs from
//! validated [`Settings`], drives a connection, verifies peers the Erlang way
//! and maps rustls errors to Erlang alerts.

use std::io::{Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{
    verify_tls12_signature, verify_tls13_signature, CryptoProvider, SupportedKxGroup,
};
use rustls::pki_types::{CertificateDer, CertificateRevocationListDer, ServerName, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::server::WebPkiClientVerifier;
use rustls::{
    AlertDescription, CertificateError, ClientConfig, DigitallySignedStruct, DistinguishedName,
    Error, HandshakeKind, NamedGroup, RootCertStore, ServerConfig, SignatureScheme,
    SupportedProtocolVersion,
};

use super::alert::{self, Alert};
use super::crypto::KeyBlockInputs;
use super::options::{
    settings, CrlCheck, OptionError, ServerNameIndication, ServerTickets, Settings, TlsOption,
    VerifyType,
};
use super::{
    der, AlertOrigin, BadCert, CertKey, CipherSuiteInfo, ClientHelloInfo, ClientSession,
    ConnectionInfo, Failure, PeerChain, PrfSeed, Progress, ProtocolVersion, Role, Snapshot,
    SniAnswer, Tls12Keys, TlsAlert, TlsError, TrafficSecrets, VerifyHook,
};
use rustls::client::{ResolvesClientCert, Tls12ClientSessionValue, Tls13ClientSessionValue};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

/// The reason verify_fun gave for the last refused chain, so the local error
/// can name `{bad_cert, Reason}` exactly (rustls only carries its own enum).
type Refusal = Arc<Mutex<Option<BadCert>>>;

/// A validated configuration for one role.
#[derive(Debug)]
pub struct Config {
    role: Role,
    client: Option<Arc<ClientConfig>>,
    server: Option<Arc<ServerConfig>>,
    sni: Option<ServerNameIndication>,
    refusal: Refusal,
    secrets: Secrets,
    /// TLS 1.3 tickets received (clients that keep tickets); `None` otherwise.
    tickets: Option<Arc<AtomicUsize>>,
    /// `{early_data, Data}` (client).
    early_data: Option<Vec<u8>>,
    /// A server that asks for the client's certificate.
    asks_cert: bool,
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn rustls_versions(v: &[ProtocolVersion]) -> Vec<&'static SupportedProtocolVersion> {
    v.iter()
        .map(|v| match v {
            ProtocolVersion::Tlsv1_2 => &rustls::version::TLS12,
            ProtocolVersion::Tlsv1_3 => &rustls::version::TLS13,
        })
        .collect()
}

fn root_store(s: &Settings, role: Role) -> Result<RootCertStore, OptionError> {
    match &s.cacerts {
        Some(certs) => {
            let mut roots = RootCertStore::empty();
            for (i, c) in certs.iter().enumerate() {
                roots.add(c.clone()).map_err(|e| {
                    OptionError::new(
                        "cacerts",
                        format!("[...] (certificate {i})"),
                        format!("not a usable CA certificate: {e}"),
                    )
                })?;
            }
            Ok(roots)
        }
        // The rule for clients: verify_peer without a CA option trusts webpki-roots.
        None if role == Role::Client => Ok(RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        }),
        None => Ok(RootCertStore::empty()),
    }
}

/// A chain and key checked to belong together; the key signs only with the
/// schemes the provider verifies (`signature_algs`).
fn certified(
    provider: &CryptoProvider,
    chain: Vec<CertificateDer<'static>>,
    key: rustls::pki_types::PrivateKeyDer<'static>,
) -> Result<Arc<CertifiedKey>, Error> {
    let signing = provider.key_provider.load_private_key(key)?;
    let ck = CertifiedKey::new(chain, signing);
    ck.keys_match()?;
    let allowed = provider
        .signature_verification_algorithms
        .supported_schemes();
    Ok(Arc::new(CertifiedKey::new(
        ck.cert,
        Arc::new(LimitedKey {
            inner: ck.key,
            allowed,
        }),
    )))
}

fn certified_all(
    provider: &CryptoProvider,
    list: &[CertKey],
) -> Result<Vec<Arc<CertifiedKey>>, Error> {
    list.iter()
        .map(|c| {
            certified(
                provider,
                c.chain.iter().cloned().map(CertificateDer::from).collect(),
                c.key_der(),
            )
        })
        .collect()
}

/// The first key the peer's signature schemes allow.
fn pick(keys: &[Arc<CertifiedKey>], schemes: &[SignatureScheme]) -> Option<Arc<CertifiedKey>> {
    keys.iter()
        .find(|k| k.key.choose_scheme(schemes).is_some())
        .cloned()
}

/// A server's certificate: the first the client's schemes allow, else the
/// first at all, so that rustls refuses a client it has nothing in common
/// with as it does with one certificate (`handshake_failure`), not as a
/// resolver with no answer (`access_denied`).
fn pick_served(
    keys: &[Arc<CertifiedKey>],
    schemes: &[SignatureScheme],
) -> Option<Arc<CertifiedKey>> {
    pick(keys, schemes).or_else(|| keys.first().cloned())
}

/// A signing key limited to `signature_algs`.
#[derive(Debug)]
struct LimitedKey {
    inner: Arc<dyn rustls::sign::SigningKey>,
    allowed: Vec<SignatureScheme>,
}

impl rustls::sign::SigningKey for LimitedKey {
    fn choose_scheme(&self, offered: &[SignatureScheme]) -> Option<Box<dyn rustls::sign::Signer>> {
        let offered: Vec<SignatureScheme> = offered
            .iter()
            .filter(|s| self.allowed.contains(s))
            .copied()
            .collect();
        self.inner.choose_scheme(&offered)
    }

    fn algorithm(&self) -> rustls::SignatureAlgorithm {
        self.inner.algorithm()
    }
}

/// Server certificates: by SNI (`sni_hosts`, then `sni_fun`), else the
/// listen socket's; among several (`certs_keys`), the one the client's
/// signature algorithms allow.
#[derive(Debug)]
struct ErlangCertResolver {
    default: Vec<Arc<CertifiedKey>>,
    sni_hosts: Vec<(String, Vec<Arc<CertifiedKey>>)>,
    sni_fun: bool,
    hook: Arc<dyn VerifyHook>,
    provider: Arc<CryptoProvider>,
}

impl ResolvesServerCert for ErlangCertResolver {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let schemes = hello.signature_schemes().to_vec();
        let Some(name) = hello.server_name() else {
            return pick_served(&self.default, &schemes);
        };
        if let Some((_, keys)) = self
            .sni_hosts
            .iter()
            .find(|(h, _)| h.eq_ignore_ascii_case(name))
        {
            return pick_served(keys, &schemes);
        }
        if !self.sni_fun {
            return pick_served(&self.default, &schemes);
        }
        match self.hook.sni_fun(name) {
            SniAnswer::UseDefault => pick_served(&self.default, &schemes),
            // No certificate: the handshake fails (rustls sends handshake_failure).
            SniAnswer::Unrecognized => None,
            SniAnswer::CertsKeys(list) => certified_all(&self.provider, &list)
                .ok()
                .and_then(|k| pick_served(&k, &schemes)),
        }
    }
}

/// Client certificates from `certs_keys`: the one the server's signature
/// algorithms allow.
#[derive(Debug)]
struct ErlangClientCerts(Vec<Arc<CertifiedKey>>);

impl ResolvesClientCert for ErlangClientCerts {
    fn resolve(&self, _hints: &[&[u8]], schemes: &[SignatureScheme]) -> Option<Arc<CertifiedKey>> {
        pick(&self.0, schemes)
    }

    fn has_certs(&self) -> bool {
        !self.0.is_empty()
    }
}

fn key_error(s: &Settings, e: Error) -> OptionError {
    let (opt, val) = s.key_origin.clone();
    let detail = match e {
        Error::InconsistentKeys(_) => "the private key does not match the certificate".to_string(),
        other => format!("the certificate or private key cannot be used: {other}"),
    };
    OptionError::new(&opt, val, detail)
}

/// Stateless tickets under the process-wide key: ChaCha20-Poly1305, a
/// random nonce in front. Any sandbox of the process can open them.
#[derive(Debug)]
struct SharedTicketer {
    key: Vec<u8>,
}

impl rustls::server::ProducesTickets for SharedTicketer {
    fn enabled(&self) -> bool {
        true
    }

    fn lifetime(&self) -> u32 {
        // OTP's ticket lifetime: two hours.
        7200
    }

    fn encrypt(&self, plain: &[u8]) -> Option<Vec<u8>> {
        use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, CHACHA20_POLY1305};
        let key = LessSafeKey::new(UnboundKey::new(&CHACHA20_POLY1305, &self.key).ok()?);
        let mut nonce = [0u8; 12];
        // ring's entropy: one `wasi:random` call (see guest/vendor/getrandom-0.2).
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut nonce).ok()?;
        let mut sealed = plain.to_vec();
        key.seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::empty(),
            &mut sealed,
        )
        .ok()?;
        Some([&nonce[..], &sealed].concat())
    }

    fn decrypt(&self, cipher: &[u8]) -> Option<Vec<u8>> {
        use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, CHACHA20_POLY1305};
        if cipher.len() < 12 + 16 {
            return None;
        }
        let key = LessSafeKey::new(UnboundKey::new(&CHACHA20_POLY1305, &self.key).ok()?);
        let nonce = Nonce::try_assume_unique_for_key(&cipher[..12]).ok()?;
        let mut data = cipher[12..].to_vec();
        let plain = key.open_in_place(nonce, Aad::empty(), &mut data).ok()?;
        Some(plain.to_vec())
    }
}

/// Sessions kept by the host, shared by every sandbox of the process.
#[derive(Debug)]
struct HostSessions(Arc<dyn VerifyHook>);

impl rustls::server::StoresServerSessions for HostSessions {
    fn put(&self, key: Vec<u8>, value: Vec<u8>) -> bool {
        self.0.session_put(key, value)
    }

    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.0.session_get(key)
    }

    fn take(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.0.session_take(key)
    }

    fn can_cache(&self) -> bool {
        true
    }
}

/// A client's session store. Sessions cross sandboxes as bytes: those the
/// host offers are read back when rustls asks for one, and the ones rustls
/// stores are reported to the host (when `client-sessions` asked for them).
/// One configuration serves one connection, so the server name is not a key:
/// the host already chose sessions for this peer.
#[derive(Debug)]
struct ClientSessions {
    hook: Arc<dyn VerifyHook>,
    keep_tickets: bool,
    keep_tls12: bool,
    offer13: Mutex<Vec<Vec<u8>>>,
    offer12: Mutex<Vec<Vec<u8>>>,
    /// What a session must be rebuilt against; set once the config exists.
    fit: OnceLock<SessionFit>,
    kx_hint: Mutex<Option<NamedGroup>>,
    /// TLS 1.3 tickets received: a hand-off waits for the first one.
    tickets: Arc<AtomicUsize>,
}

/// The parts of a client config a session is checked against (rustls
/// resumes only under the verifier and certificate resolver it was made with).
struct SessionFit {
    suites: Vec<rustls::SupportedCipherSuite>,
    verifier: Arc<dyn ServerCertVerifier>,
    creds: Arc<dyn ResolvesClientCert>,
}

impl std::fmt::Debug for SessionFit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionFit")
    }
}

impl rustls::client::ClientSessionStore for ClientSessions {
    fn set_kx_hint(&self, _: ServerName<'static>, group: NamedGroup) {
        *self.kx_hint.lock().unwrap_or_else(|e| e.into_inner()) = Some(group);
    }

    fn kx_hint(&self, _: &ServerName<'_>) -> Option<NamedGroup> {
        *self.kx_hint.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn set_tls12_session(&self, _: ServerName<'static>, value: Tls12ClientSessionValue) {
        if self.keep_tls12 {
            self.hook.client_session(ClientSession {
                version: ProtocolVersion::Tlsv1_2,
                session_id: value.session_id_bytes().to_vec(),
                max_early_data: 0,
                lifetime: value.lifetime_secs(),
                value: value.to_bytes(),
            });
        }
    }

    fn tls12_session(&self, _: &ServerName<'_>) -> Option<Tls12ClientSessionValue> {
        let fit = self.fit.get()?;
        let offer = self.offer12.lock().unwrap_or_else(|e| e.into_inner());
        offer.iter().find_map(|b| {
            Tls12ClientSessionValue::from_bytes(b, &fit.suites, &fit.verifier, &fit.creds)
        })
    }

    fn remove_tls12_session(&self, _: &ServerName<'static>) {
        self.offer12
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    fn insert_tls13_ticket(&self, _: ServerName<'static>, value: Tls13ClientSessionValue) {
        self.tickets.fetch_add(1, Ordering::Relaxed);
        if self.keep_tickets {
            self.hook.client_session(ClientSession {
                version: ProtocolVersion::Tlsv1_3,
                session_id: Vec::new(),
                max_early_data: value.max_early_data_size(),
                lifetime: value.lifetime_secs(),
                value: value.to_bytes(),
            });
        }
    }

    fn take_tls13_ticket(&self, _: &ServerName<'static>) -> Option<Tls13ClientSessionValue> {
        let fit = self.fit.get()?;
        let mut offer = self.offer13.lock().unwrap_or_else(|e| e.into_inner());
        // Single use: a ticket offered once is gone, as RFC 8446 asks.
        while !offer.is_empty() {
            let b = offer.remove(0);
            let v = Tls13ClientSessionValue::from_bytes(&b, &fit.suites, &fit.verifier, &fit.creds);
            if v.is_some() {
                return v;
            }
        }
        None
    }
}

/// What the key log and the PRF let the engine keep of a connection. One
/// configuration serves one connection in a sandbox, so labels are enough.
#[derive(Default)]
struct Kept {
    /// The secrets a hand-off needs, by label.
    secrets: Vec<(&'static str, Vec<u8>)>,
    /// The ClientHello's random: every key log line carries it.
    client_random: Option<Vec<u8>>,
    /// TLS 1.2: the master secret and both randoms, from the key block's
    /// derivation (see `Connection::tls12_inputs`).
    tls12: Option<KeyBlockInputs>,
}

impl std::fmt::Debug for Kept {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let labels: Vec<_> = self.secrets.iter().map(|(l, _)| *l).collect();
        f.debug_struct("Kept")
            .field("secrets", &labels)
            .finish_non_exhaustive()
    }
}

impl Kept {
    fn secret(&self, label: &str) -> Option<Vec<u8>> {
        self.secrets
            .iter()
            .find(|(l, _)| *l == label)
            .map(|(_, s)| s.clone())
    }
}

type Secrets = Arc<Mutex<Kept>>;

/// The labels a record layer outside the sandbox needs (TLS 1.3's traffic
/// and exporter secrets, TLS 1.2's master secret).
const HAND_OFF_LABELS: [&str; 4] = [
    "CLIENT_TRAFFIC_SECRET_0",
    "SERVER_TRAFFIC_SECRET_0",
    "EXPORTER_SECRET",
    "CLIENT_RANDOM",
];

/// Keeps the secrets a hand-off needs, and sends every secret to the
/// host's key log when `keep_secrets` asked for it.
#[derive(Debug)]
struct SecretLog {
    forward: Option<Arc<dyn VerifyHook>>,
    kept: Secrets,
}

impl rustls::KeyLog for SecretLog {
    fn will_log(&self, label: &str) -> bool {
        self.forward.is_some() || HAND_OFF_LABELS.contains(&label)
    }

    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        if let Some(hook) = &self.forward {
            hook.keylog(label, client_random, secret);
        }
        if let Some(l) = HAND_OFF_LABELS.iter().find(|l| **l == label) {
            if let Ok(mut kept) = self.kept.lock() {
                kept.secrets.retain(|(k, _)| k != l);
                kept.secrets.push((l, secret.to_vec()));
                kept.client_random = Some(client_random.to_vec());
            }
        }
    }
}

/// A key exchange group for one TLS version only: `supported_groups` name
/// TLS 1.3's groups and `eccs` TLS 1.2's, while rustls has one list.
#[derive(Debug)]
struct OnlyFor {
    group: &'static dyn SupportedKxGroup,
    tls13: bool,
}

impl OnlyFor {
    /// rustls wants `'static` groups: one small leak per configuration,
    /// which dies with the connection's sandbox.
    fn leak(group: &'static dyn SupportedKxGroup, tls13: bool) -> &'static dyn SupportedKxGroup {
        Box::leak(Box::new(OnlyFor { group, tls13 }))
    }
}

impl SupportedKxGroup for OnlyFor {
    fn start(&self) -> Result<Box<dyn rustls::crypto::ActiveKeyExchange>, Error> {
        self.group.start()
    }

    fn start_and_complete(
        &self,
        peer_pub_key: &[u8],
    ) -> Result<rustls::crypto::CompletedKeyExchange, Error> {
        self.group.start_and_complete(peer_pub_key)
    }

    fn ffdhe_group(&self) -> Option<rustls::ffdhe_groups::FfdheGroup<'static>> {
        self.group.ffdhe_group()
    }

    fn name(&self) -> NamedGroup {
        self.group.name()
    }

    fn fips(&self) -> bool {
        self.group.fips()
    }

    fn usable_for_version(&self, version: rustls::ProtocolVersion) -> bool {
        (version == rustls::ProtocolVersion::TLSv1_3) == self.tls13
            && self.group.usable_for_version(version)
    }
}

/// The ring provider with only `ciphers` (in that order), if given; key
/// exchange, signing and verification on the host where it offers them.
fn provider_for(role: Role, s: &Settings) -> Result<Arc<CryptoProvider>, OptionError> {
    let (ciphers, sigalgs) = (&s.ciphers, &s.sigalgs);
    // Names were resolved by `resolve_*`; only what ring implements stays.
    let mut p = super::crypto::with_host(
        rustls::crypto::ring::default_provider(),
        super::crypto::capabilities(),
    );
    if s.groups.is_some() || s.eccs.is_some() {
        // `supported_groups` are TLS 1.3's, `eccs` TLS 1.2's (as OTP): a
        // group in one list only is wrapped to say so to rustls.
        let all = std::mem::take(&mut p.kx_groups);
        let pick = |names: &Option<Vec<NamedGroup>>| match names {
            Some(names) => names
                .iter()
                .filter_map(|n| all.iter().find(|g| g.name() == *n).copied())
                .collect(),
            None => all.clone(),
        };
        let (tls13, tls12): (Vec<_>, Vec<_>) = (pick(&s.groups), pick(&s.eccs));
        let has = |list: &[&'static dyn SupportedKxGroup], g: NamedGroup| {
            list.iter().any(|x| x.name() == g)
        };
        let same = tls13
            .iter()
            .map(|g| g.name())
            .eq(tls12.iter().map(|g| g.name()));
        if same {
            p.kx_groups = tls13;
        } else if role == Role::Server {
            // Each version's list in its own order (`honor_ecc_order`); a
            // server never sends its list, so a group may appear twice.
            p.kx_groups
                .extend(tls13.iter().map(|g| OnlyFor::leak(*g, true)));
            p.kx_groups
                .extend(tls12.iter().map(|g| OnlyFor::leak(*g, false)));
        } else {
            // A client's ClientHello names each group once.
            for g in &tls13 {
                p.kx_groups.push(match has(&tls12, g.name()) {
                    true => *g,
                    false => OnlyFor::leak(*g, true),
                });
            }
            for g in tls12.iter().filter(|g| !has(&tls13, g.name())) {
                p.kx_groups.push(OnlyFor::leak(*g, false));
            }
        }
    }
    if let Some(schemes) = sigalgs {
        // What we accept from the peer, and so what we advertise.
        let mut algs = p.signature_verification_algorithms;
        let mapping: Vec<_> = algs
            .mapping
            .iter()
            .filter(|(s, _)| schemes.contains(s))
            .cloned()
            .collect();
        // rustls wants a 'static table: one small leak per configuration, which
        // dies with the connection's sandbox.
        algs.mapping = Box::leak(mapping.into_boxed_slice());
        p.signature_verification_algorithms = algs;
    }
    if let Some(codes) = ciphers {
        let all = std::mem::take(&mut p.cipher_suites);
        for code in codes {
            if let Some(s) = all.iter().find(|s| u16::from(s.suite()) == *code) {
                p.cipher_suites.push(*s);
            }
        }
        if p.cipher_suites.is_empty() {
            return Err(OptionError::new(
                "ciphers",
                "[...]",
                "none of the requested cipher suites is supported",
            ));
        }
    }
    Ok(Arc::new(p))
}

impl Config {
    /// Validate `opts` for `role`; `hook` is consulted for every peer chain.
    pub fn new(
        role: Role,
        opts: Vec<TlsOption>,
        hook: Arc<dyn VerifyHook>,
    ) -> Result<Config, OptionError> {
        let s = settings(role, opts)?;
        let provider = provider_for(role, &s)?;
        let versions = rustls_versions(&s.versions);
        let refusal: Refusal = Arc::default();
        let bad_versions = |e: Error| {
            let detail = match &s.ciphers {
                Some(_) => format!("{e}: the ciphers option leaves no suite for these versions"),
                None => e.to_string(),
            };
            OptionError::new("versions", format!("{:?}", s.versions), detail)
        };
        let mut crls = Vec::new();
        for (i, c) in s.crls.iter().enumerate() {
            // Parsing checks the CRL now: a bad one is an option error, not a
            // handshake failure later.
            webpki::OwnedCertRevocationList::from_der(c).map_err(|e| {
                OptionError::new(
                    "crl_cache",
                    format!("[...] (CRL {i})"),
                    format!("not a usable DER CRL: {e:?}"),
                )
            })?;
            crls.push(CertificateRevocationListDer::from(c.clone()));
        }
        let trust = Trust {
            roots: root_store(&s, role)?,
            crls,
            crl_check: s.crl_check,
            provider: provider.clone(),
        };
        let hook_for_log = hook.clone();
        let secrets: Secrets = Arc::default();
        let key_log = Arc::new(SecretLog {
            forward: s.keylog.then(|| hook.clone()),
            kept: secrets.clone(),
        });
        let mut tickets = None;
        let (client, server) = match role {
            Role::Client => {
                let webpki = trust.server_verifier(None);
                let verifier: Arc<dyn ServerCertVerifier> = Arc::new(ErlangServerVerifier {
                    webpki,
                    // certificate_authorities: sent by rustls in a TLS 1.3 ClientHello.
                    hints: match s.certificate_authorities {
                        true => trust.roots.subjects(),
                        false => Vec::new(),
                    },
                    trust: trust.clone(),
                    hook,
                    provider: provider.clone(),
                    refusal: refusal.clone(),
                });
                let builder = ClientConfig::builder_with_provider(provider.clone())
                    .with_protocol_versions(&versions)
                    .map_err(bad_versions)?
                    .dangerous()
                    .with_custom_certificate_verifier(verifier.clone());
                let mut cfg = match (&s.key, s.cert_chain.is_empty()) {
                    (Some(key), false) => builder
                        .with_client_auth_cert(s.cert_chain.clone(), key.clone_key())
                        .map_err(|e| key_error(&s, e))?,
                    _ if !s.certs_keys.is_empty() => {
                        let keys = certified_all(&provider, &s.certs_keys).map_err(|e| {
                            OptionError::new(
                                "certs_keys",
                                "[...]",
                                format!("unusable certificate or key: {e}"),
                            )
                        })?;
                        builder.with_client_cert_resolver(Arc::new(ErlangClientCerts(keys)))
                    }
                    _ => builder.with_no_client_auth(),
                };
                cfg.alpn_protocols = s.alpn.clone();
                cfg.enable_sni = s.sni != Some(ServerNameIndication::Disable);
                cfg.wassl_middlebox_comp_mode = s.middlebox_comp_mode;
                cfg.key_log = key_log;
                // One engine instance per connection: sessions come from the
                // host and go back to it as bytes.
                let cs = &s.client_sessions;
                let (mut offer13, mut offer12) = (Vec::new(), Vec::new());
                for o in &cs.offer {
                    match o.first() {
                        Some(0x13) => offer13.push(o.clone()),
                        Some(0x12) => offer12.push(o.clone()),
                        _ => {
                            return Err(OptionError::new(
                                "use_ticket",
                                "[...]",
                                "not a session this engine reported",
                            ))
                        }
                    }
                }
                let seen = Arc::new(AtomicUsize::new(0));
                let store = Arc::new(ClientSessions {
                    hook: hook_for_log.clone(),
                    keep_tickets: cs.keep_tickets,
                    keep_tls12: cs.keep_tls12,
                    offer13: Mutex::new(offer13),
                    offer12: Mutex::new(offer12),
                    fit: OnceLock::new(),
                    kx_hint: Mutex::new(None),
                    tickets: seen.clone(),
                });
                tickets = cs.keep_tickets.then_some(seen);
                cfg.resumption = rustls::client::Resumption::store(store.clone());
                cfg.enable_early_data = s.send_early_data.is_some();
                let _ = store.fit.set(SessionFit {
                    suites: provider.cipher_suites.clone(),
                    verifier,
                    creds: cfg.client_auth_cert_resolver.clone(),
                });
                (Some(Arc::new(cfg)), None)
            }
            Role::Server => {
                let mut default = Vec::new();
                if let (Some(key), false) = (&s.key, s.cert_chain.is_empty()) {
                    default.push(
                        certified(&provider, s.cert_chain.clone(), key.clone_key())
                            .map_err(|e| key_error(&s, e))?,
                    );
                }
                default.extend(certified_all(&provider, &s.certs_keys).map_err(|e| {
                    OptionError::new(
                        "certs_keys",
                        "[...]",
                        format!("unusable certificate or key: {e}"),
                    )
                })?);
                let mut sni_hosts = Vec::new();
                for (host, list) in &s.sni_hosts {
                    let keys = certified_all(&provider, list).map_err(|e| {
                        OptionError::new(
                            "sni_hosts",
                            format!("[{{{host:?},...}}]"),
                            format!("unusable certificate or key: {e}"),
                        )
                    })?;
                    sni_hosts.push((host.clone(), keys));
                }
                if default.is_empty() && sni_hosts.is_empty() && !s.sni_fun {
                    return Err(OptionError::new(
                        "certfile",
                        "undefined",
                        "a server needs a certificate and its key (cert/certfile and key/keyfile, or certs_keys)",
                    ));
                }
                let resolver = Arc::new(ErlangCertResolver {
                    default,
                    sni_hosts,
                    sni_fun: s.sni_fun,
                    hook: hook.clone(),
                    provider: provider.clone(),
                });
                let builder = ServerConfig::builder_with_provider(provider.clone())
                    .with_protocol_versions(&versions)
                    .map_err(bad_versions)?;
                let builder = match s.verify {
                    VerifyType::VerifyNone => builder.with_no_client_auth(),
                    VerifyType::VerifyPeer => {
                        if trust.roots.is_empty() {
                            return Err(OptionError::new(
                                "cacerts",
                                "undefined",
                                "verify_peer on a server needs cacerts or cacertfile to check client certificates",
                            ));
                        }
                        let webpki = trust.client_verifier(None);
                        builder.with_client_cert_verifier(Arc::new(ErlangClientVerifier {
                            webpki,
                            trust: trust.clone(),
                            mandatory: s.fail_if_no_peer_cert,
                            hints: s.certificate_authorities,
                            hook,
                            provider,
                            refusal: refusal.clone(),
                        }))
                    }
                };
                let mut cfg = builder.with_cert_resolver(resolver);
                cfg.alpn_protocols = s.alpn.clone();
                cfg.ignore_client_order = s.honor_cipher_order;
                cfg.wassl_honor_ecc_order = s.honor_ecc_order;
                cfg.wassl_middlebox_comp_mode = s.middlebox_comp_mode;
                cfg.session_storage = if s.reuse_sessions {
                    Arc::new(HostSessions(hook_for_log.clone()))
                } else {
                    Arc::new(rustls::server::NoServerSessionStorage {})
                };
                match (s.tickets, &s.ticket_key) {
                    (ServerTickets::Stateless, Some(key)) => {
                        cfg.ticketer = Arc::new(SharedTicketer { key: key.clone() })
                    }
                    (ServerTickets::Stateless, None) => {
                        return Err(OptionError::new(
                            "session_tickets",
                            "stateless",
                            "stateless tickets need the host's ticket key",
                        ))
                    }
                    _ => {}
                }
                // 0-RTT: rustls takes it with stateful (single-use) tickets only,
                // which is also what keeps a replayed ClientHello out.
                cfg.max_early_data_size = s.early_data;
                // OTP sends three tickets when tickets are on, none when off.
                cfg.send_tls13_tickets = if s.tickets == ServerTickets::Disabled {
                    0
                } else {
                    3
                };
                cfg.key_log = key_log;
                (None, Some(Arc::new(cfg)))
            }
        };
        Ok(Config {
            role,
            client,
            server,
            sni: s.sni,
            refusal,
            secrets,
            tickets,
            early_data: s.send_early_data,
            asks_cert: role == Role::Server && s.verify == VerifyType::VerifyPeer,
        })
    }

    /// The role this configuration was built for.
    pub fn role(&self) -> Role {
        self.role
    }
}

// ---------------------------------------------------------------- verification

/// What path validation trusts: the roots and the CRL policy. Builds webpki
/// verifiers, optionally with one more anchor (`partial_chain`).
#[derive(Debug, Clone)]
struct Trust {
    roots: RootCertStore,
    crls: Vec<CertificateRevocationListDer<'static>>,
    crl_check: Option<CrlCheck>,
    provider: Arc<CryptoProvider>,
}

impl Trust {
    fn roots_with(&self, anchor: Option<&[u8]>) -> Option<Arc<RootCertStore>> {
        let mut roots = self.roots.clone();
        if let Some(der) = anchor {
            roots.add(CertificateDer::from(der.to_vec())).ok()?;
        }
        (!roots.is_empty()).then(|| Arc::new(roots))
    }

    fn server_verifier(&self, anchor: Option<&[u8]>) -> Option<Arc<WebPkiServerVerifier>> {
        let mut b = WebPkiServerVerifier::builder_with_provider(
            self.roots_with(anchor)?,
            self.provider.clone(),
        );
        if let Some(check) = self.crl_check {
            b = b.with_crls(self.crls.iter().cloned());
            if check == CrlCheck::Peer {
                b = b.only_check_end_entity_revocation();
            }
            if check == CrlCheck::BestEffort {
                b = b.allow_unknown_revocation_status();
            }
        }
        b.build().ok()
    }

    fn client_verifier(&self, anchor: Option<&[u8]>) -> Option<Arc<dyn ClientCertVerifier>> {
        let mut b = WebPkiClientVerifier::builder_with_provider(
            self.roots_with(anchor)?,
            self.provider.clone(),
        )
        .allow_unauthenticated();
        if let Some(check) = self.crl_check {
            b = b.with_crls(self.crls.iter().cloned());
            if check == CrlCheck::Peer {
                b = b.only_check_end_entity_revocation();
            }
            if check == CrlCheck::BestEffort {
                b = b.allow_unknown_revocation_status();
            }
        }
        b.build().ok()
    }
}

/// Path validation with Erlang's `partial_chain`: when no trusted CA issued
/// the chain, the host may name a certificate of it to trust instead.
fn validate(
    hook: &dyn VerifyHook,
    chain: &[CertificateDer<'_>],
    check: impl Fn(Option<&[u8]>) -> Result<(), Error>,
) -> Result<(), Error> {
    match check(None) {
        Err(Error::InvalidCertificate(CertificateError::UnknownIssuer)) => {
            let ders: Vec<Vec<u8>> = chain.iter().map(|c| c.to_vec()).collect();
            match hook.partial_chain(&ders) {
                Some(anchor) => check(Some(&anchor)),
                None => Err(Error::InvalidCertificate(CertificateError::UnknownIssuer)),
            }
        }
        other => other,
    }
}

/// Map a webpki verdict to Erlang's `{bad_cert, Reason}`.
fn bad_cert_of(e: &Error, chain: &[CertificateDer<'_>]) -> BadCert {
    use CertificateError as C;
    match e {
        Error::InvalidCertificate(ce) => match ce {
            C::UnknownIssuer if chain.len() == 1 && der::is_self_issued(&chain[0]) => {
                BadCert::SelfsignedPeer
            }
            C::UnknownIssuer => BadCert::UnknownCa,
            C::Expired
            | C::ExpiredContext { .. }
            | C::NotValidYet
            | C::NotValidYetContext { .. } => BadCert::CertExpired,
            C::NotValidForName | C::NotValidForNameContext { .. } => BadCert::HostnameCheckFailed,
            #[allow(deprecated)]
            C::BadSignature
            | C::UnsupportedSignatureAlgorithm
            | C::UnsupportedSignatureAlgorithmContext { .. }
            | C::UnsupportedSignatureAlgorithmForPublicKeyContext { .. } => {
                BadCert::InvalidSignature
            }
            // webpki's purpose is the extended key usage: OTP's invalid_ext_key_usage.
            C::InvalidPurpose | C::InvalidPurposeContext { .. } => {
                BadCert::Other("invalid_ext_key_usage".into())
            }
            C::Revoked => BadCert::Other("{revoked,unspecified}".into()),
            C::UnknownRevocationStatus => {
                BadCert::Other("{revocation_status_undetermined,no_crl}".into())
            }
            C::ExpiredRevocationList | C::ExpiredRevocationListContext { .. } => {
                BadCert::Other("{revocation_status_undetermined,expired_crl}".into())
            }
            C::UnhandledCriticalExtension => BadCert::Other("unknown_critical_extension".into()),
            C::BadEncoding => BadCert::Other("cert_decode_error".into()),
            // rustls passes webpki's other verdicts through as they are.
            C::Other(o) => match o.0.downcast_ref::<webpki::Error>() {
                Some(webpki::Error::NameConstraintViolation) => BadCert::NameNotPermitted,
                Some(webpki::Error::EndEntityUsedAsCa) => BadCert::MissingBasicConstraint,
                Some(
                    webpki::Error::PathLenConstraintViolated
                    | webpki::Error::MaximumPathDepthExceeded,
                ) => BadCert::Other("max_path_length_reached".into()),
                Some(webpki::Error::CaUsedAsEndEntity) => {
                    BadCert::Other("ca_used_as_end_entity".into())
                }
                Some(other) => BadCert::Other(format!("{other:?}")),
                None => BadCert::Other(format!("{o:?}")),
            },
            other => BadCert::Other(format!("{other:?}")),
        },
        other => BadCert::Other(format!("{other}")),
    }
}

/// The rustls error that makes rustls send the alert Erlang sends for `reason`.
fn refusal_error(reason: &BadCert) -> Error {
    let a = reason.alert();
    let ce = match a {
        Alert::UNKNOWN_CA => CertificateError::UnknownIssuer,
        Alert::CERTIFICATE_EXPIRED => CertificateError::Expired,
        Alert::UNSUPPORTED_CERTIFICATE => CertificateError::InvalidPurpose,
        Alert::CERTIFICATE_REVOKED => CertificateError::Revoked,
        Alert::BAD_CERTIFICATE => CertificateError::BadEncoding,
        // rustls sends handshake_failure for a verifier error that is not a certificate error.
        _ => return Error::General(format!("{{bad_cert,{}}}", reason.as_term())),
    };
    Error::InvalidCertificate(ce)
}

fn ask_hook(
    hook: &dyn VerifyHook,
    refusal: &Refusal,
    role: Role,
    end_entity: &CertificateDer<'_>,
    intermediates: &[CertificateDer<'_>],
    server_name: Option<String>,
    verdict: Result<(), Error>,
) -> Result<(), Error> {
    let mut chain: Vec<CertificateDer<'_>> = vec![end_entity.clone()];
    chain.extend(intermediates.iter().cloned());
    let problem = verdict.err().map(|e| bad_cert_of(&e, &chain));
    let report = PeerChain {
        role,
        chain: chain.iter().map(|c| c.to_vec()).collect(),
        server_name,
        problem,
    };
    hook.verify_peer(report).map_err(|reason| {
        let err = refusal_error(&reason);
        if let Ok(mut slot) = refusal.lock() {
            *slot = Some(reason);
        }
        err
    })
}

/// The handshake-signature half of both verifiers: the provider's algorithms
/// (limited by `signature_algs`), the same for servers and clients.
macro_rules! signature_checks {
    () => {
        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, Error> {
            verify_tls12_signature(
                message,
                cert,
                dss,
                &self.provider.signature_verification_algorithms,
            )
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, Error> {
            verify_tls13_signature(
                message,
                cert,
                dss,
                &self.provider.signature_verification_algorithms,
            )
        }

        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.provider
                .signature_verification_algorithms
                .supported_schemes()
        }
    };
}

#[derive(Debug)]
struct ErlangServerVerifier {
    webpki: Option<Arc<WebPkiServerVerifier>>,
    /// The trusted CAs' names for the ClientHello (`certificate_authorities`).
    hints: Vec<DistinguishedName>,
    trust: Trust,
    hook: Arc<dyn VerifyHook>,
    provider: Arc<CryptoProvider>,
    refusal: Refusal,
}

impl ServerCertVerifier for ErlangServerVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let mut chain = vec![end_entity.clone()];
        chain.extend(intermediates.iter().cloned());
        let verdict = validate(&*self.hook, &chain, |anchor| {
            let v = match anchor {
                None => self.webpki.clone(),
                Some(a) => self.trust.server_verifier(Some(a)),
            };
            match v {
                Some(v) => v
                    .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
                    .map(|_| ()),
                None => Err(Error::InvalidCertificate(CertificateError::UnknownIssuer)),
            }
        });
        let name = Some(server_name.to_str().into_owned());
        ask_hook(
            &*self.hook,
            &self.refusal,
            Role::Client,
            end_entity,
            intermediates,
            name,
            verdict,
        )?;
        Ok(ServerCertVerified::assertion())
    }

    fn root_hint_subjects(&self) -> Option<&[DistinguishedName]> {
        (!self.hints.is_empty()).then_some(&self.hints[..])
    }

    signature_checks!();
}

#[derive(Debug)]
struct ErlangClientVerifier {
    webpki: Option<Arc<dyn ClientCertVerifier>>,
    trust: Trust,
    /// fail_if_no_peer_cert.
    mandatory: bool,
    /// certificate_authorities: name the trusted CAs in the CertificateRequest.
    hints: bool,
    hook: Arc<dyn VerifyHook>,
    provider: Arc<CryptoProvider>,
    refusal: Refusal,
}

impl ClientCertVerifier for ErlangClientVerifier {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        // fail_if_no_peer_cert defaults to false: an empty certificate is accepted.
        self.mandatory
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        match (&self.webpki, self.hints) {
            (Some(v), true) => v.root_hint_subjects(),
            _ => &[],
        }
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, Error> {
        let mut chain = vec![end_entity.clone()];
        chain.extend(intermediates.iter().cloned());
        let verdict = validate(&*self.hook, &chain, |anchor| {
            let v = match anchor {
                None => self.webpki.clone(),
                Some(a) => self.trust.client_verifier(Some(a)),
            };
            match v {
                Some(v) => v
                    .verify_client_cert(end_entity, intermediates, now)
                    .map(|_| ()),
                None => Err(Error::InvalidCertificate(CertificateError::UnknownIssuer)),
            }
        });
        ask_hook(
            &*self.hook,
            &self.refusal,
            Role::Server,
            end_entity,
            intermediates,
            None,
            verdict,
        )?;
        Ok(ClientCertVerified::assertion())
    }

    signature_checks!();
}

// ---------------------------------------------------------------- connection

/// One TLS connection driven by bytes in, bytes out.
#[derive(Debug)]
pub struct Connection {
    role: Role,
    conn: rustls::Connection,
    /// The first fatal error: every later call repeats it (errors are sticky).
    failed: Option<TlsError>,
    /// The SNI name sent, for connection_information.
    sni_sent: Option<String>,
    refusal: Refusal,
    /// Records have gone out / bytes were accepted: past that point an
    /// alert may need encryption, so only rustls may write one.
    emitted: bool,
    accepted: bool,
    /// The start of a record not yet complete: rustls only ever sees whole
    /// records, so a hand-off loses nothing.
    pending: Vec<u8>,
    peer_closed: bool,
    secrets: Secrets,
    /// Tickets received so far, when the host wants them (clients).
    tickets: Option<Arc<AtomicUsize>>,
    /// Application data has arrived since the handshake.
    app_data_seen: bool,
    /// A client's 0-RTT data: `Some(sent)` when the user asked to send some.
    early_sent: Option<bool>,
    /// A server that asks for the client's certificate.
    asks_cert: bool,
}

/// What [`Connection::hand_off`] gives.
#[derive(Debug)]
// Returned once per connection and taken apart at once: not worth a box.
#[allow(clippy::large_enum_variant)]
pub enum HandOff {
    /// The record layer's state; the connection is now a snapshot.
    Ready(Snapshot, TrafficSecrets),
    /// The same for TLS 1.2.
    ReadyTls12(Snapshot, Tls12Keys),
    /// Not yet (output pending, a ticket awaited): ask again after a feed.
    Later(Box<Connection>),
    /// Never (failed, closed): the engine keeps the records.
    Never(Box<Connection>),
}

impl Connection {
    /// A client connecting to `server_name` (a DNS name or an IP address).
    pub fn client(cfg: &Config, server_name: &str) -> Result<Connection, TlsError> {
        let cc = cfg
            .client
            .clone()
            .ok_or_else(|| TlsError::Einval("config is for a server".into()))?;
        let name = match &cfg.sni {
            Some(ServerNameIndication::Host(h)) => h.as_str(),
            _ => server_name,
        };
        let sn = ServerName::try_from(name.to_string()).map_err(|_| {
            TlsError::Einval(format!("{name:?} is not a valid host name or IP address"))
        })?;
        let sni_sent = match (&sn, cc.enable_sni) {
            (ServerName::DnsName(d), true) => Some(d.as_ref().to_string()),
            _ => None,
        };
        let mut conn =
            rustls::ClientConnection::new(cc, sn).map_err(|e| TlsError::Einval(e.to_string()))?;
        // 0-RTT goes whole or not at all: the owner resends what was not sent.
        let early_sent = cfg.early_data.as_ref().map(|d| match conn.early_data() {
            Some(mut w) if w.bytes_left() >= d.len() => w.write_all(d).is_ok(),
            _ => false,
        });
        let mut c = Connection::fresh(Role::Client, conn.into(), cfg, sni_sent);
        c.early_sent = early_sent;
        Ok(c)
    }

    /// A connection that has done nothing yet.
    fn fresh(role: Role, conn: rustls::Connection, cfg: &Config, sni_sent: Option<String>) -> Self {
        Connection {
            role,
            conn,
            failed: None,
            sni_sent,
            refusal: cfg.refusal.clone(),
            emitted: false,
            accepted: false,
            pending: Vec::new(),
            peer_closed: false,
            secrets: cfg.secrets.clone(),
            tickets: cfg.tickets.clone(),
            app_data_seen: false,
            early_sent: None,
            asks_cert: cfg.asks_cert,
        }
    }

    /// A server.
    pub fn server(cfg: &Config) -> Result<Connection, TlsError> {
        let sc = cfg
            .server
            .clone()
            .ok_or_else(|| TlsError::Einval("config is for a client".into()))?;
        let conn =
            rustls::ServerConnection::new(sc).map_err(|e| TlsError::Einval(e.to_string()))?;
        Ok(Connection::fresh(Role::Server, conn.into(), cfg, None))
    }

    /// True until the handshake has completed.
    pub fn is_handshaking(&self) -> bool {
        self.conn.is_handshaking()
    }

    /// Which end this is.
    pub fn role(&self) -> Role {
        self.role
    }

    fn drain_output(&mut self, out: &mut Vec<u8>) {
        let before = out.len();
        while self.conn.wants_write() {
            // Writing to a Vec cannot fail.
            if self.conn.write_tls(out).is_err() {
                break;
            }
        }
        self.emitted |= out.len() > before;
    }

    fn fail(&mut self, error: TlsError) -> Failure {
        let mut output = Vec::new();
        self.drain_output(&mut output);
        // rustls sends no alert for some decode errors. Before any key exists
        // (a server that has sent nothing, a client that has read nothing) the
        // alert is a plaintext record, so send the one being reported.
        let sent = self.conn.wassl_sent_fatal_alert().is_some();
        if let (false, true, TlsError::TlsAlert(a)) = (sent, self.before_keys(), &error) {
            if a.origin == AlertOrigin::Local {
                output.extend_from_slice(&[21, 3, 3, 0, 2, 2, a.code]);
            }
        }
        self.failed = Some(error.clone());
        Failure { error, output }
    }

    /// An error the engine finds where rustls raised none: its alert goes
    /// out in plaintext while no key exists (see [`Self::fail`]).
    fn own_alert(&self, alert: Alert, detail: &str) -> TlsError {
        let state = self.otp_state(Cause::Other);
        TlsError::TlsAlert(TlsAlert {
            description: alert.atom().into(),
            code: alert.0,
            origin: AlertOrigin::Local,
            text: alert::text(self.role, state, true, self.role, alert, Some(detail)),
        })
    }

    /// No key exists yet (a server that has sent nothing, a client that has
    /// read nothing): an alert can only be a plaintext record.
    fn before_keys(&self) -> bool {
        match self.role {
            Role::Server => !self.emitted,
            Role::Client => !self.accepted,
        }
    }

    fn sticky(&self) -> Result<(), Failure> {
        match &self.failed {
            Some(e) => Err(Failure {
                error: e.clone(),
                output: Vec::new(),
            }),
            None => Ok(()),
        }
    }

    /// Feed bytes from the peer; see the `handshake` WIT interface.
    pub fn feed(&mut self, input: &[u8]) -> Result<Progress, Failure> {
        self.sticky()?;
        let had_data = !input.is_empty();
        let joined;
        let mut data = if self.pending.is_empty() {
            input
        } else {
            self.pending.extend_from_slice(input);
            joined = std::mem::take(&mut self.pending);
            &joined[..]
        };
        let mut p = Progress::default();
        if !self.conn.is_handshaking() {
            // Plaintext is never longer than the records it came in: one
            // allocation, not a doubling (and copying) per record.
            p.plaintext.reserve(data.len());
        }
        loop {
            if !data.is_empty() && !self.peer_closed && record_incomplete(data) {
                self.pending = data.to_vec();
                data = &[];
            }
            if !data.is_empty() {
                // One record at a time, so that whatever follows close_notify
                // (plain TCP after a downgrade) stays with the caller.
                // The whole record, though rustls reads at most 4 KiB a call:
                // `data` must start on a record boundary at every turn, so
                // that what is kept in `pending` (and handed off) is whole.
                let take = record_span(data);
                let mut record = &data[..take];
                while !record.is_empty() {
                    match self.conn.read_tls(&mut record) {
                        // Nothing more is accepted after close_notify.
                        Ok(0) => break,
                        Ok(_) => {}
                        // rustls joins a handshake message of at most 64 KiB.
                        Err(e) => {
                            let detail = format!("{{handshake_message_too_large,\"{e}\"}}");
                            let err = self.own_alert(Alert::HANDSHAKE_FAILURE, &detail);
                            return Err(self.fail(err));
                        }
                    }
                }
                let consumed = take - record.len();
                if consumed < take {
                    // Hand back what follows close_notify (plain TCP after a downgrade).
                    p.rest = data[consumed..].to_vec();
                    data = &[];
                } else {
                    data = &data[take..];
                }
            }
            // Application data goes straight into the reply (one copy out
            // of the decrypted record); early data is read after it, as
            // rustls keeps it apart.
            self.conn
                .wassl_lend_plaintext_sink(std::mem::take(&mut p.plaintext));
            let processed = self.conn.process_new_packets();
            p.plaintext = self.conn.wassl_take_plaintext_sink();
            match processed {
                Ok(state) => {
                    // 0-RTT data comes before the handshake is done; the owner
                    // gets it as ordinary data, as in OTP.
                    if let rustls::Connection::Server(sc) = &mut self.conn {
                        if let Some(mut early) = sc.early_data() {
                            let _ = early.read_to_end(&mut p.plaintext);
                        }
                    }
                    // With the sink lent, rustls buffers nothing to read.
                    debug_assert_eq!(state.plaintext_bytes_to_read(), 0);
                    if state.peer_has_closed() && !p.peer_closed {
                        p.peer_closed = true;
                        self.peer_closed = true;
                        p.rest = data.to_vec();
                        data = &[];
                    }
                }
                Err(e) => {
                    let err = self.tls_error(e);
                    return Err(self.fail(err));
                }
            }
            if data.is_empty() {
                break;
            }
        }
        self.accepted |= had_data;
        self.drain_output(&mut p.output);
        p.handshake_done = !self.conn.is_handshaking();
        self.app_data_seen |= p.handshake_done && !p.plaintext.is_empty();
        Ok(p)
    }

    /// Encrypt application data into records.
    pub fn send(&mut self, data: &[u8]) -> Result<Vec<u8>, Failure> {
        self.sticky()?;
        if self.conn.is_handshaking() {
            return Err(Failure {
                error: TlsError::Einval("the handshake has not completed".into()),
                output: Vec::new(),
            });
        }
        self.conn.set_buffer_limit(None);
        if let Err(e) = self.conn.writer().write_all(data) {
            return Err(self.fail(TlsError::Einval(format!("write: {e}"))));
        }
        let mut out = Vec::with_capacity(data.len() + data.len() / 16384 * 22 + 32);
        self.drain_output(&mut out);
        Ok(out)
    }

    /// The close_notify alert record.
    pub fn close_notify(&mut self) -> Vec<u8> {
        self.conn.send_close_notify();
        let mut out = Vec::new();
        self.drain_output(&mut out);
        out
    }

    /// `update_keys`: a TLS 1.3 KeyUpdate (asking the peer to update too).
    pub fn update_keys(&mut self) -> Result<Vec<u8>, Failure> {
        self.sticky()?;
        let r = match &mut self.conn {
            rustls::Connection::Client(c) => c.refresh_traffic_keys(),
            rustls::Connection::Server(s) => s.refresh_traffic_keys(),
        };
        if let Err(e) = r {
            // Not fatal: TLS 1.2, or the handshake is not done.
            return Err(Failure {
                error: TlsError::Einval(e.to_string()),
                output: Vec::new(),
            });
        }
        let mut out = Vec::new();
        self.drain_output(&mut out);
        Ok(out)
    }

    /// An RFC 5705 / 8446 exporter.
    pub fn export_keying_material(
        &self,
        label: &[u8],
        context: Option<&[u8]>,
        length: usize,
    ) -> Result<Vec<u8>, TlsError> {
        if length == 0 || length > 16 * 1024 * 1024 {
            return Err(TlsError::Einval(
                "the length must be between 1 and 16 MiB".into(),
            ));
        }
        self.conn
            .export_keying_material(vec![0u8; length], label, context)
            .map_err(|e| TlsError::Einval(e.to_string()))
    }

    /// `ssl:prf/5`: the session's TLS 1.2 PRF (RFC 5246, 5) over `secret`
    /// (the master secret when `None`), `label` and the seed's pieces in
    /// order, by the suite's own PRF (on the host only when hashing is).
    /// `None` when there is no such PRF: TLS 1.3, or the session's
    /// parameters unknown.
    pub fn prf(
        &self,
        secret: Option<&[u8]>,
        label: &[u8],
        seed: &[PrfSeed],
        length: usize,
    ) -> Option<Vec<u8>> {
        let Some(rustls::SupportedCipherSuite::Tls12(suite)) = self.conn.negotiated_cipher_suite()
        else {
            return None;
        };
        if self.conn.is_handshaking() {
            return None;
        }
        let params = self.tls12_inputs()?;
        let seed: Vec<u8> = seed
            .iter()
            .flat_map(|p| match p {
                PrfSeed::ClientRandom => &params.client_random[..],
                PrfSeed::ServerRandom => &params.server_random[..],
                PrfSeed::Bytes(b) => &b[..],
            })
            .copied()
            .collect();
        let mut out = vec![0; length];
        let secret = secret.unwrap_or(&params.master_secret);
        suite
            .prf_provider
            .for_secret(&mut out, secret, label, &seed);
        Some(out)
    }

    /// `connection_information`'s `master_secret` (TLS 1.2).
    pub fn master_secret(&self) -> Option<Vec<u8>> {
        self.tls12_inputs().map(|i| i.master_secret)
    }

    /// TLS 1.2's master secret and randoms. rustls keeps them to itself, but
    /// the engine's PRF saw them go by when rustls derived the key block
    /// from them (`crypto::key_block_inputs`); the key log's master secret
    /// says they are this connection's. Kept at the first ask (the
    /// handshake's `connection_information`), before a `prf/5` call can
    /// pass through the same PRF.
    fn tls12_inputs(&self) -> Option<KeyBlockInputs> {
        if self.conn.protocol_version() != Some(rustls::ProtocolVersion::TLSv1_2) {
            return None;
        }
        let mut kept = self.secrets.lock().ok()?;
        if kept.tls12.is_none() {
            let master = kept.secret("CLIENT_RANDOM");
            kept.tls12 = super::crypto::key_block_inputs()
                .filter(|i| master.as_deref() == Some(&i.master_secret[..]));
        }
        kept.tls12.clone()
    }

    /// The peer's chain, leaf first.
    pub fn peer_certificates(&self) -> Vec<Vec<u8>> {
        self.conn
            .peer_certificates()
            .map(|c| c.iter().map(|c| c.to_vec()).collect())
            .unwrap_or_default()
    }

    /// What `connection_information/1` reports.
    pub fn info(&self) -> Result<ConnectionInfo, TlsError> {
        if self.conn.is_handshaking() {
            return Err(TlsError::Einval("the handshake has not completed".into()));
        }
        let protocol = match self.conn.protocol_version() {
            Some(rustls::ProtocolVersion::TLSv1_3) => ProtocolVersion::Tlsv1_3,
            Some(rustls::ProtocolVersion::TLSv1_2) => ProtocolVersion::Tlsv1_2,
            _ => return Err(TlsError::Einval("no protocol negotiated".into())),
        };
        let suite = self
            .conn
            .negotiated_cipher_suite()
            .ok_or_else(|| TlsError::Einval("no cipher suite negotiated".into()))?;
        let selected_cipher_suite = suite_info(u16::from(suite.suite()));
        let ecc = self
            .conn
            .negotiated_key_exchange_group()
            .map(|g| group_name(g.name()));
        let sni_hostname = match &self.conn {
            rustls::Connection::Server(s) => s.server_name().map(str::to_string),
            rustls::Connection::Client(_) => self.sni_sent.clone(),
        };
        Ok(ConnectionInfo {
            protocol,
            selected_cipher_suite,
            ecc,
            sni_hostname,
            negotiated_protocol: self.conn.alpn_protocol().map(<[u8]>::to_vec),
            session_resumption: self.conn.handshake_kind() == Some(HandshakeKind::Resumed),
            early_data: self.early_sent.map(|sent| {
                sent && matches!(&self.conn, rustls::Connection::Client(c) if c.is_early_data_accepted())
            }),
            client_random: self.secrets.lock().ok().and_then(|k| k.client_random.clone()),
            server_random: self.tls12_inputs().map(|i| i.server_random),
        })
    }

    /// Give up the record layer of an established connection: the
    /// snapshot answers `connection_information` and `peer_certificates`
    /// from now on; the secrets (TLS 1.3) or keys (TLS 1.2) let the host
    /// protect records.
    pub fn hand_off(self) -> HandOff {
        if self.failed.is_some() || self.peer_closed || self.conn.is_handshaking() {
            return HandOff::Never(Box::new(self));
        }
        match self.conn.protocol_version() {
            Some(rustls::ProtocolVersion::TLSv1_3) => self.hand_off_tls13(),
            Some(rustls::ProtocolVersion::TLSv1_2) => self.hand_off_tls12(),
            _ => HandOff::Never(Box::new(self)),
        }
    }

    /// What `connection_information` and `peer_certificates` keep answering.
    fn snapshot(&self) -> Option<Snapshot> {
        Some(Snapshot {
            role: self.role,
            info: self.info().ok()?,
            peer_certificates: self.peer_certificates(),
        })
    }

    fn hand_off_tls12(self) -> HandOff {
        if self.conn.wants_write() {
            return HandOff::Later(Box::new(self));
        }
        let Some(snapshot) = self.snapshot() else {
            return HandOff::Never(Box::new(self));
        };
        // The host derives the keys from the master secret and the randoms.
        let Some(inputs) = self.tls12_inputs() else {
            return HandOff::Never(Box::new(self));
        };
        let (tx_seq, rx_seq) = self.conn.wassl_record_sequence_numbers();
        let suite = snapshot.info.selected_cipher_suite.code;
        HandOff::ReadyTls12(
            snapshot,
            Tls12Keys {
                suite,
                tx_seq,
                rx_seq,
                master_secret: inputs.master_secret,
                client_random: inputs.client_random,
                server_random: inputs.server_random,
                pending: self.pending,
            },
        )
    }

    fn hand_off_tls13(self) -> HandOff {
        // The host's record layer drops post-handshake messages, so a client
        // that keeps tickets holds its records until the server's first
        // ticket (sent right after the handshake) or first data arrives.
        let awaiting_ticket = self
            .tickets
            .as_ref()
            .is_some_and(|t| t.load(Ordering::Relaxed) == 0)
            && !self.app_data_seen;
        if self.conn.wants_write() || awaiting_ticket {
            return HandOff::Later(Box::new(self));
        }
        let Some(snapshot) = self.snapshot() else {
            return HandOff::Never(Box::new(self));
        };
        let secret = |label: &str| self.secrets.lock().ok()?.secret(label);
        let (Some(client), Some(server), Some(exporter)) = (
            secret("CLIENT_TRAFFIC_SECRET_0"),
            secret("SERVER_TRAFFIC_SECRET_0"),
            secret("EXPORTER_SECRET"),
        ) else {
            return HandOff::Never(Box::new(self));
        };
        let (tx_secret, rx_secret) = match self.role {
            Role::Client => (client, server),
            Role::Server => (server, client),
        };
        let suite = snapshot.info.selected_cipher_suite.code;
        let pending = self.pending;
        let (tx_seq, rx_seq) = self.conn.wassl_record_sequence_numbers();
        HandOff::Ready(
            snapshot,
            TrafficSecrets {
                suite,
                tx_seq,
                tx_secret,
                rx_seq,
                rx_secret,
                exporter_secret: exporter,
                pending,
            },
        )
    }

    /// Turn a rustls error into Erlang's `{tls_alert, {Desc, Text}}`.
    fn tls_error(&mut self, e: Error) -> TlsError {
        let state = self.otp_state(self.cause(&e));
        let peer = match self.role {
            Role::Client => Role::Server,
            Role::Server => Role::Client,
        };
        let (alert, origin, sender, detail) = match &e {
            Error::AlertReceived(desc) => (Alert(u8::from(*desc)), AlertOrigin::Peer, peer, None),
            other => {
                let refused = self.refusal.lock().ok().and_then(|mut s| s.take());
                let detail = match (&refused, other) {
                    (Some(BadCert::UnknownCa | BadCert::CertExpired), _) => None,
                    (Some(r), _) => Some(format!("{{bad_cert,{}}}", r.as_term())),
                    (None, Error::InvalidCertificate(_) | Error::General(_)) => None,
                    (None, other) => Some(other.to_string()),
                };
                // The alert rustls sent; else the one the engine sends in
                // plaintext before any key exists; else none went out.
                let (alert, detail) = match self.conn.wassl_sent_fatal_alert() {
                    Some(d) => (Alert(u8::from(d)), detail),
                    None if self.before_keys() => (local_alert(other), detail),
                    None => {
                        let d = detail.map_or(String::new(), |d| format!("{d} "));
                        (local_alert(other), Some(format!("{d}(no alert was sent)")))
                    }
                };
                (alert, AlertOrigin::Local, self.role, detail)
            }
        };
        let text = alert::text(
            self.role,
            state,
            origin == AlertOrigin::Local,
            sender,
            alert,
            detail.as_deref(),
        );
        TlsError::TlsAlert(TlsAlert {
            description: alert.atom().into(),
            code: alert.0,
            origin,
            text,
        })
    }
}

/// What ended a handshake, as far as the state OTP names depends on it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Cause {
    /// The peer's certificate was refused.
    Cert,
    /// The peer's alert.
    Received,
    /// Anything else.
    Other,
}

impl Connection {
    fn cause(&self, e: &Error) -> Cause {
        match e {
            Error::InvalidCertificate(_) | Error::NoCertificatesPresented => Cause::Cert,
            // General errors are the verify hooks' refusals, or rustls's own.
            Error::General(_) if self.refusal.lock().is_ok_and(|r| r.is_some()) => Cause::Cert,
            Error::AlertReceived(_) => Cause::Received,
            _ => Cause::Other,
        }
    }

    /// The state OTP 25's connection process is in when `cause` ends the
    /// handshake, which its alert texts name (`In state wait_cert_cr`). OTP
    /// checks a certificate when it arrives, rustls at the CertificateVerify:
    /// certificate errors are named where OTP finds them.
    fn otp_state(&self, cause: Cause) -> &'static str {
        if !self.conn.is_handshaking() {
            return "connection";
        }
        let cert = cause == Cause::Cert;
        let received = cause == Cause::Received;
        let tls13 = match self.conn.protocol_version() {
            // Before the hellos settle a version, OTP is in `hello`.
            None => return "hello",
            Some(v) => v == rustls::ProtocolVersion::TLSv1_3,
        };
        match (self.role, tls13) {
            (Role::Client, true) if cert => "wait_cert_cr",
            (Role::Client, true) => "wait_ee",
            // A TLS 1.2 client that sent its last flight waits for the server's.
            (Role::Client, false) if received => "cipher",
            (Role::Client, false) => "certify",
            (Role::Server, true) if cert => "wait_cert",
            // The client answers the server's flight: with a certificate when asked.
            (Role::Server, true) if received && self.asks_cert => "wait_cert",
            (Role::Server, true) if received || self.emitted => "wait_finished",
            (Role::Server, true) => "start",
            (Role::Server, false) if cert || received || self.emitted => "certify",
            (Role::Server, false) => "hello",
        }
    }
}

/// A server stopped at the ClientHello (`{handshake, hello}`): rustls's
/// `Acceptor` reads it before any configuration applies.
#[derive(Default)]
pub struct PausedServer {
    acceptor: rustls::server::Acceptor,
    accepted: Option<rustls::server::Accepted>,
    /// The hello's records as received, for supported_versions (which
    /// rustls does not show).
    raw: Vec<u8>,
    failed: Option<TlsError>,
}

impl std::fmt::Debug for PausedServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PausedServer")
            .field("hello_read", &self.accepted.is_some())
            .finish()
    }
}

/// A ClientHello larger than this is refused (rustls caps it lower still).
const MAX_HELLO: usize = 64 * 1024;

impl PausedServer {
    /// Fail with rustls's alert, or (none given) a plaintext one of ours:
    /// no keys exist before the ServerHello.
    fn fail(&mut self, e: Error, alert: Option<rustls::server::AcceptedAlert>) -> Failure {
        let code = local_alert(&e).0;
        let mut output = Vec::new();
        match alert {
            Some(mut a) => {
                let _ = a.write_all(&mut output);
            }
            None => output.extend_from_slice(&[21, 3, 3, 0, 2, 2, code]),
        }
        let error = super::alert_error(Role::Server, code, true, Some(&e.to_string()));
        self.failed = Some(error.clone());
        Failure { error, output }
    }

    /// Bytes from the client, until its hello is whole.
    pub fn feed(&mut self, data: &[u8]) -> Result<Progress, Failure> {
        if let Some(e) = &self.failed {
            return Err(Failure {
                error: e.clone(),
                output: Vec::new(),
            });
        }
        if self.accepted.is_some() {
            // Nothing more is read until `resume`: the client waits for us.
            self.raw.extend_from_slice(data);
            return Ok(Progress::default());
        }
        if self.raw.len() + data.len() > MAX_HELLO {
            let e = Error::General("ClientHello too large".into());
            return Err(self.fail(e, None));
        }
        self.raw.extend_from_slice(data);
        let mut rd = data;
        while !rd.is_empty() {
            if let Err(e) = self.acceptor.read_tls(&mut rd) {
                let e = Error::General(format!("read_tls: {e}"));
                return Err(self.fail(e, None));
            }
        }
        match self.acceptor.accept() {
            Ok(Some(a)) => self.accepted = Some(a),
            Ok(None) => {}
            Err((e, alert)) => return Err(self.fail(e, Some(alert))),
        }
        Ok(Progress::default())
    }

    /// The hello, once read.
    pub fn client_hello(&self) -> Option<ClientHelloInfo> {
        let ch = self.accepted.as_ref()?.client_hello();
        Some(ClientHelloInfo {
            sni: ch.server_name().map(str::to_string),
            alpn: ch
                .alpn()
                .map(|i| i.map(<[u8]>::to_vec).collect())
                .unwrap_or_default(),
            versions: super::hello_versions(&self.raw).unwrap_or_default(),
            cipher_suites: ch.cipher_suites().iter().map(|c| u16::from(*c)).collect(),
            signature_algs: ch
                .signature_schemes()
                .iter()
                .map(|s| {
                    SIGALGS
                        .iter()
                        .find(|(_, x)| x == s)
                        .map_or_else(|| format!("{s:?}").to_lowercase(), |(n, _)| n.to_string())
                })
                .collect(),
            groups: ch
                .named_groups()
                .unwrap_or_default()
                .iter()
                .map(|g| group_name(*g))
                .collect(),
        })
    }

    /// `handshake_continue`: the server under `cfg`, and its first flight.
    pub fn resume(mut self, cfg: &Config) -> Result<(Connection, Progress), Failure> {
        let sc = cfg.server.clone().ok_or_else(|| Failure {
            error: TlsError::Einval("config is for a client".into()),
            output: Vec::new(),
        })?;
        let Some(accepted) = self.accepted.take() else {
            return Err(Failure {
                error: TlsError::Einval("the ClientHello has not been read".into()),
                output: Vec::new(),
            });
        };
        let conn = match accepted.into_connection(sc) {
            Ok(c) => c,
            Err((e, alert)) => return Err(self.fail(e, Some(alert))),
        };
        let mut c = Connection::fresh(Role::Server, conn.into(), cfg, None);
        // It has read the ClientHello.
        c.accepted = true;
        let p = c.feed(&[])?;
        Ok((c, p))
    }
}

/// True when `data` starts with a record that is not all there yet. A
/// header that cannot be TLS (content type, version, length) goes to rustls
/// at once, which refuses it with the right alert.
fn record_incomplete(data: &[u8]) -> bool {
    let plausible = matches!(data.first(), Some(20..=24)) && data.get(1).is_none_or(|v| *v == 3);
    if !plausible {
        return false;
    }
    if data.len() < 5 {
        return true;
    }
    let len = 5 + ((data[3] as usize) << 8 | data[4] as usize);
    data.len() < len && len <= 5 + 16384 + 2048
}

/// How much of `data` to hand rustls at once: one whole record when its
/// header is there, else everything (rustls keeps partial records).
fn record_span(data: &[u8]) -> usize {
    if data.len() >= 5 {
        let len = 5 + ((data[3] as usize) << 8 | data[4] as usize);
        len.min(data.len())
    } else {
        data.len()
    }
}

/// The alert rustls sends for a local error (mirrors rustls's own choices).
fn local_alert(e: &Error) -> Alert {
    use rustls::PeerIncompatible as PI;
    let d = match e {
        Error::InvalidCertificate(ce) => AlertDescription::from(ce.clone()),
        Error::InvalidMessage(_) => AlertDescription::DecodeError,
        Error::InappropriateMessage { .. } | Error::InappropriateHandshakeMessage { .. } => {
            AlertDescription::UnexpectedMessage
        }
        Error::PeerIncompatible(
            PI::ServerDoesNotSupportTls12Or13
            | PI::Tls12NotOffered
            | PI::Tls12NotOfferedOrEnabled
            | PI::Tls13RequiredForQuic
            | PI::SupportedVersionsExtensionRequired,
        ) => AlertDescription::ProtocolVersion,
        Error::PeerIncompatible(_) => AlertDescription::HandshakeFailure,
        Error::PeerMisbehaved(_) => AlertDescription::IllegalParameter,
        Error::NoApplicationProtocol => AlertDescription::NoApplicationProtocol,
        Error::DecryptError => AlertDescription::BadRecordMac,
        Error::General(_) => AlertDescription::HandshakeFailure,
        Error::NoCertificatesPresented => AlertDescription::CertificateRequired,
        Error::PeerSentOversizedRecord => AlertDescription::RecordOverflow,
        _ => AlertDescription::InternalError,
    };
    Alert(u8::from(d))
}

fn group_name(g: NamedGroup) -> String {
    match g {
        NamedGroup::X25519 => "x25519".into(),
        NamedGroup::secp256r1 => "secp256r1".into(),
        NamedGroup::secp384r1 => "secp384r1".into(),
        NamedGroup::secp521r1 => "secp521r1".into(),
        NamedGroup::X448 => "x448".into(),
        other => format!("{other:?}").to_lowercase(),
    }
}

/// (code, IANA name, OpenSSL name, key_exchange, cipher, prf) of every suite
/// the ring provider implements, in rustls's default preference order.
const SUITES: &[(u16, &str, &str, &str, &str, &str)] = &[
    (
        0x1302,
        "TLS_AES_256_GCM_SHA384",
        "TLS_AES_256_GCM_SHA384",
        "any",
        "aes_256_gcm",
        "sha384",
    ),
    (
        0x1301,
        "TLS_AES_128_GCM_SHA256",
        "TLS_AES_128_GCM_SHA256",
        "any",
        "aes_128_gcm",
        "sha256",
    ),
    (
        0x1303,
        "TLS_CHACHA20_POLY1305_SHA256",
        "TLS_CHACHA20_POLY1305_SHA256",
        "any",
        "chacha20_poly1305",
        "sha256",
    ),
    (
        0xc02c,
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        "ECDHE-ECDSA-AES256-GCM-SHA384",
        "ecdhe_ecdsa",
        "aes_256_gcm",
        "sha384",
    ),
    (
        0xc02b,
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        "ecdhe_ecdsa",
        "aes_128_gcm",
        "sha256",
    ),
    (
        0xcca9,
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        "ECDHE-ECDSA-CHACHA20-POLY1305",
        "ecdhe_ecdsa",
        "chacha20_poly1305",
        "sha256",
    ),
    (
        0xc030,
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        "ECDHE-RSA-AES256-GCM-SHA384",
        "ecdhe_rsa",
        "aes_256_gcm",
        "sha384",
    ),
    (
        0xc02f,
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        "ECDHE-RSA-AES128-GCM-SHA256",
        "ecdhe_rsa",
        "aes_128_gcm",
        "sha256",
    ),
    (
        0xcca8,
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        "ECDHE-RSA-CHACHA20-POLY1305",
        "ecdhe_rsa",
        "chacha20_poly1305",
        "sha256",
    ),
];

/// Words in suite names that mark families rustls does not implement.
const MISSING_FAMILIES: &[(&str, &str)] = &[
    ("RC4", "RC4"),
    ("3DES", "3DES"),
    ("CBC3", "3DES"),
    ("DES", "DES"),
    ("CBC", "CBC mode"),
    ("NULL", "NULL encryption"),
    ("PSK", "PSK"),
    ("SRP", "SRP"),
    ("ANON", "anonymous"),
    ("CCM", "CCM"),
    ("SHA1", "SHA-1 MAC"),
];

/// Groups by Erlang name; the ring provider implements the first three.
const GROUPS: &[(&str, NamedGroup)] = &[
    ("x25519", NamedGroup::X25519),
    ("secp256r1", NamedGroup::secp256r1),
    ("secp384r1", NamedGroup::secp384r1),
    ("x448", NamedGroup::X448),
    ("secp521r1", NamedGroup::secp521r1),
    ("ffdhe2048", NamedGroup::FFDHE2048),
    ("ffdhe3072", NamedGroup::FFDHE3072),
    ("ffdhe4096", NamedGroup::FFDHE4096),
    ("ffdhe6144", NamedGroup::FFDHE6144),
    ("ffdhe8192", NamedGroup::FFDHE8192),
];

/// Signature schemes by Erlang name (both the TLS 1.3 atoms and the TLS 1.2
/// `{Hash, Sign}` tuples).
const SIGALGS: &[(&str, SignatureScheme)] = &[
    ("eddsa_ed25519", SignatureScheme::ED25519),
    ("eddsa_ed448", SignatureScheme::ED448),
    (
        "ecdsa_secp256r1_sha256",
        SignatureScheme::ECDSA_NISTP256_SHA256,
    ),
    (
        "ecdsa_secp384r1_sha384",
        SignatureScheme::ECDSA_NISTP384_SHA384,
    ),
    (
        "ecdsa_secp521r1_sha512",
        SignatureScheme::ECDSA_NISTP521_SHA512,
    ),
    ("rsa_pss_rsae_sha256", SignatureScheme::RSA_PSS_SHA256),
    ("rsa_pss_rsae_sha384", SignatureScheme::RSA_PSS_SHA384),
    ("rsa_pss_rsae_sha512", SignatureScheme::RSA_PSS_SHA512),
    ("rsa_pkcs1_sha256", SignatureScheme::RSA_PKCS1_SHA256),
    ("rsa_pkcs1_sha384", SignatureScheme::RSA_PKCS1_SHA384),
    ("rsa_pkcs1_sha512", SignatureScheme::RSA_PKCS1_SHA512),
    ("{sha256,rsa}", SignatureScheme::RSA_PKCS1_SHA256),
    ("{sha384,rsa}", SignatureScheme::RSA_PKCS1_SHA384),
    ("{sha512,rsa}", SignatureScheme::RSA_PKCS1_SHA512),
    ("{sha256,ecdsa}", SignatureScheme::ECDSA_NISTP256_SHA256),
    ("{sha384,ecdsa}", SignatureScheme::ECDSA_NISTP384_SHA384),
    ("{sha512,ecdsa}", SignatureScheme::ECDSA_NISTP521_SHA512),
    ("rsa_pkcs1_sha1", SignatureScheme::RSA_PKCS1_SHA1),
    ("{sha,rsa}", SignatureScheme::RSA_PKCS1_SHA1),
    ("ecdsa_sha1", SignatureScheme::ECDSA_SHA1_Legacy),
    ("{sha,ecdsa}", SignatureScheme::ECDSA_SHA1_Legacy),
];

/// Erlang's other `eccs` curves (`ssl:eccs/0` of old): named curves of RFC
/// 4492 and RFC 7027 that neither rustls nor ring implements.
const OTHER_CURVES: &[&str] = &[
    "sect571r1",
    "sect571k1",
    "brainpoolP512r1",
    "sect409k1",
    "sect409r1",
    "brainpoolP384r1",
    "sect283k1",
    "sect283r1",
    "brainpoolP256r1",
    "secp256k1",
    "sect239k1",
    "sect233k1",
    "sect233r1",
    "secp224k1",
    "secp224r1",
    "sect193r1",
    "sect193r2",
    "secp192k1",
    "secp192r1",
    "sect163k1",
    "sect163r1",
    "sect163r2",
    "secp160k1",
    "secp160r1",
    "secp160r2",
];

/// `supported_groups` or `eccs` (`option`): the groups ring implements, in
/// the order given.
pub(crate) fn resolve_groups(
    option: &str,
    names: &[String],
) -> Result<Vec<NamedGroup>, OptionError> {
    let have: Vec<NamedGroup> = rustls::crypto::ring::default_provider()
        .kx_groups
        .iter()
        .map(|g| g.name())
        .collect();
    let mut out = Vec::new();
    let mut missing = Vec::new();
    for n in names {
        match GROUPS.iter().find(|(e, _)| e == n) {
            Some((_, g)) if have.contains(g) => out.push(*g),
            Some(_) => missing.push(format!("{n} (not implemented by rustls with ring)")),
            None if OTHER_CURVES.contains(&n.as_str()) => {
                missing.push(format!("{n} (not implemented by rustls with ring)"))
            }
            None => missing.push(format!("{n} (not a group)")),
        }
    }
    if out.is_empty() {
        return Err(OptionError::new(
            option,
            format!("{names:?}"),
            format!("no usable group: {}", missing.join("; ")),
        ));
    }
    Ok(out)
}

/// `signature_algs`: the schemes ring implements, in the order given.
pub(crate) fn resolve_sigalgs(names: &[String]) -> Result<Vec<SignatureScheme>, OptionError> {
    let have = rustls::crypto::ring::default_provider()
        .signature_verification_algorithms
        .supported_schemes();
    let mut out = Vec::new();
    let mut missing = Vec::new();
    for n in names {
        let key = n.replace(' ', "");
        match SIGALGS.iter().find(|(e, _)| *e == key) {
            Some((_, s)) if have.contains(s) => {
                if !out.contains(s) {
                    out.push(*s)
                }
            }
            Some(_) => missing.push(format!("{n} (not implemented by rustls)")),
            None => missing.push(format!("{n} (not a signature algorithm)")),
        }
    }
    if out.is_empty() {
        return Err(OptionError::new(
            "signature_algs",
            format!("{names:?}"),
            format!("no usable scheme: {}", missing.join("; ")),
        ));
    }
    Ok(out)
}

/// `ssl:groups/0`: Erlang names of the groups the engine implements.
pub fn group_names() -> Vec<String> {
    let have: Vec<NamedGroup> = rustls::crypto::ring::default_provider()
        .kx_groups
        .iter()
        .map(|g| g.name())
        .collect();
    GROUPS
        .iter()
        .filter(|(_, g)| have.contains(g))
        .map(|(n, _)| n.to_string())
        .collect()
}

/// `ssl:signature_algs/2`: Erlang names of the schemes, TLS 1.3 or 1.2 form.
pub fn sigalg_names(tls13: bool) -> Vec<String> {
    let have = rustls::crypto::ring::default_provider()
        .signature_verification_algorithms
        .supported_schemes();
    SIGALGS
        .iter()
        .filter(|(n, s)| {
            have.contains(s)
                && (n.starts_with('{') != tls13)
                && !(tls13 && n.starts_with("rsa_pkcs1"))
        })
        .map(|(n, _)| n.to_string())
        .collect()
}

/// One suite name (IANA, OpenSSL, or `kex,cipher,mac[,prf]`) to its code.
fn resolve_suite(name: &str) -> Result<u16, String> {
    let n = name.trim();
    if let Some(row) = SUITES
        .iter()
        .find(|s| s.1.eq_ignore_ascii_case(n) || s.2.eq_ignore_ascii_case(n))
    {
        return Ok(row.0);
    }
    let parts: Vec<&str> = n.split(',').map(str::trim).collect();
    if parts.len() >= 3 {
        let prf_ok = |want: &str, have: &str| {
            parts
                .get(3)
                .is_none_or(|p| *p == have || *p == "default_prf")
                && !want.is_empty()
        };
        if let Some(row) = SUITES.iter().find(|s| {
            s.3 == parts[0] && s.4 == parts[1] && parts[2] == "aead" && prf_ok(parts[1], s.5)
        }) {
            return Ok(row.0);
        }
    }
    let upper = n.to_ascii_uppercase().replace(['-', '_'], " ");
    let words: Vec<&str> = upper.split([' ', ',']).collect();
    let family = MISSING_FAMILIES
        .iter()
        .find(|(w, _)| words.contains(w))
        .map(|(_, f)| *f);
    let rsa_kex =
        !upper.contains("ECDHE") && !upper.contains("TLS AES") && !upper.contains("TLS CHACHA20");
    Err(match family {
        Some(f) => format!("{name} ({f} suites are not implemented by rustls)"),
        None if upper.contains("DHE")
            || rsa_kex && (upper.contains("RSA") || upper.contains("AES")) =>
        {
            format!("{name} (RSA key exchange and finite-field DHE suites are not implemented by rustls)")
        }
        None => format!("{name} (not a known suite)"),
    })
}

/// `ciphers`: the codes of the suites named, in order. Names rustls lacks are
/// dropped when others remain, and are the error when none does.
pub(crate) fn resolve_ciphers(names: &[String]) -> Result<Vec<u16>, OptionError> {
    let mut codes = Vec::new();
    let mut missing = Vec::new();
    for n in names {
        match resolve_suite(n) {
            Ok(c) if !codes.contains(&c) => codes.push(c),
            Ok(_) => {}
            Err(why) => missing.push(why),
        }
    }
    if codes.is_empty() {
        return Err(OptionError::new(
            "ciphers",
            format!("{names:?}"),
            format!("no usable cipher suite: {}", missing.join("; ")),
        ));
    }
    Ok(codes)
}

/// The cipher of suite `code`, by Erlang's name (`aes_128_gcm`...).
pub(super) fn suite_cipher(code: u16) -> Option<&'static str> {
    SUITES.iter().find(|s| s.0 == code).map(|s| s.4)
}

fn suite_info(code: u16) -> CipherSuiteInfo {
    match SUITES.iter().find(|s| s.0 == code) {
        Some(&(_, iana, _, kex, cipher, prf)) => CipherSuiteInfo {
            key_exchange: kex.into(),
            cipher: cipher.into(),
            mac: "aead".into(),
            prf: prf.into(),
            iana_name: iana.into(),
            code,
        },
        None => CipherSuiteInfo {
            code,
            key_exchange: "unknown".into(),
            cipher: "unknown".into(),
            mac: "unknown".into(),
            prf: "unknown".into(),
            iana_name: format!("0x{code:04x}"),
        },
    }
}

/// Every suite this engine can negotiate, in default preference order, with
/// its OpenSSL name: the data behind `ssl:cipher_suites/2`.
pub fn cipher_suite_names() -> Vec<(CipherSuiteInfo, &'static str)> {
    let offered: Vec<u16> = provider()
        .cipher_suites
        .iter()
        .map(|s| u16::from(s.suite()))
        .collect();
    SUITES
        .iter()
        .filter(|s| offered.contains(&s.0))
        .map(|s| (suite_info(s.0), s.2))
        .collect()
}

//! Client and server configurations from validated settings: the crypto
//! provider with the chosen suites and groups, certificates and keys, and
//! the resolvers that pick them.

use super::*;

/// A validated configuration for one role.
#[derive(Debug)]
pub struct Config {
    pub(super) role: Role,
    pub(super) client: Option<Arc<ClientConfig>>,
    pub(super) server: Option<Arc<ServerConfig>>,
    pub(super) sni: Option<ServerNameIndication>,
    pub(super) refusal: Refusal,
    pub(super) secrets: Secrets,
    /// TLS 1.3 tickets received (clients that keep tickets); `None` otherwise.
    pub(super) tickets: Option<Arc<AtomicUsize>>,
    /// `{early_data, Data}` (client).
    pub(super) early_data: Option<Vec<u8>>,
    /// A server that asks for the client's certificate.
    pub(super) asks_cert: bool,
}

pub(super) fn rustls_versions(v: &[ProtocolVersion]) -> Vec<&'static SupportedProtocolVersion> {
    v.iter()
        .map(|v| match v {
            ProtocolVersion::Tlsv1_2 => &rustls::version::TLS12,
            ProtocolVersion::Tlsv1_3 => &rustls::version::TLS13,
        })
        .collect()
}

pub(super) fn root_store(s: &Settings, role: Role) -> Result<RootCertStore, OptionError> {
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
pub(super) fn certified(
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

pub(super) fn certified_all(
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
pub(super) fn pick(
    keys: &[Arc<CertifiedKey>],
    schemes: &[SignatureScheme],
) -> Option<Arc<CertifiedKey>> {
    keys.iter()
        .find(|k| k.key.choose_scheme(schemes).is_some())
        .cloned()
}

/// A server's certificate: the first the client's schemes allow, else the
/// first at all, so that rustls refuses a client it has nothing in common
/// with as it does with one certificate (`handshake_failure`), not as a
/// resolver with no answer (`access_denied`).
pub(super) fn pick_served(
    keys: &[Arc<CertifiedKey>],
    schemes: &[SignatureScheme],
) -> Option<Arc<CertifiedKey>> {
    pick(keys, schemes).or_else(|| keys.first().cloned())
}

/// A signing key limited to `signature_algs`.
#[derive(Debug)]
pub(super) struct LimitedKey {
    pub(super) inner: Arc<dyn rustls::sign::SigningKey>,
    pub(super) allowed: Vec<SignatureScheme>,
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
pub(super) struct ErlangCertResolver {
    pub(super) default: Vec<Arc<CertifiedKey>>,
    pub(super) sni_hosts: Vec<(String, Vec<Arc<CertifiedKey>>)>,
    pub(super) sni_fun: bool,
    pub(super) hook: Arc<dyn VerifyHook>,
    pub(super) provider: Arc<CryptoProvider>,
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
pub(super) struct ErlangClientCerts(Vec<Arc<CertifiedKey>>);

impl ResolvesClientCert for ErlangClientCerts {
    fn resolve(&self, _hints: &[&[u8]], schemes: &[SignatureScheme]) -> Option<Arc<CertifiedKey>> {
        pick(&self.0, schemes)
    }

    fn has_certs(&self) -> bool {
        !self.0.is_empty()
    }
}

pub(super) fn key_error(s: &Settings, e: Error) -> OptionError {
    let (opt, val) = s.key_origin.clone();
    let detail = match e {
        Error::InconsistentKeys(_) => "the private key does not match the certificate".to_string(),
        other => format!("the certificate or private key cannot be used: {other}"),
    };
    OptionError::new(&opt, val, detail)
}

/// A key exchange group for one TLS version only: `supported_groups` name
/// TLS 1.3's groups and `eccs` TLS 1.2's, while rustls has one list.
#[derive(Debug)]
pub(super) struct OnlyFor {
    pub(super) group: &'static dyn SupportedKxGroup,
    pub(super) tls13: bool,
}

impl OnlyFor {
    /// rustls wants `'static` groups: one small leak per configuration,
    /// which dies with the connection's sandbox.
    pub(super) fn leak(
        group: &'static dyn SupportedKxGroup,
        tls13: bool,
    ) -> &'static dyn SupportedKxGroup {
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
pub(super) fn provider_for(role: Role, s: &Settings) -> Result<Arc<CryptoProvider>, OptionError> {
    let (ciphers, sigalgs) = (&s.ciphers, &s.sigalgs);
    // Names were resolved by `resolve_*`; only what ring implements stays.
    let mut p = super::super::crypto::with_host(
        rustls::crypto::ring::default_provider(),
        super::super::crypto::capabilities(),
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
                match (s.tickets, &s.ticket_keys) {
                    (ServerTickets::Stateless, Some(keys)) => {
                        cfg.ticketer = Arc::new(SharedTicketer::new(keys))
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

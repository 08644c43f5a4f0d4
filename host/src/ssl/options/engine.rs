//! The engine's configuration from the options: `split` checks them for a
//! role, reads the files they name, and gives the engine its TLS options
//! and the socket its own.

use super::checks::{check_combinations, incompatible};
use super::*;
use crate::ssl::pem_cache;

/// Options split for the two halves of a socket.
#[derive(Clone)]
pub(crate) struct Split {
    pub(crate) socket: SocketOpts,
    pub(crate) tls: Vec<wit::TlsOption>,
    pub(crate) policy: crate::ssl::verify::Policy,
    pub(crate) keep_secrets: bool,
    pub(crate) resumption: Resumption,
    /// A server's session cache and lifetime (`session_cb`, `session_lifetime`).
    pub(crate) sessions: crate::ssl::session_cache::ServerSessions,
    /// A server's stateless ticket keys, resolved when its sandbox is made.
    pub(crate) ticket_keys: Option<TicketKeySource>,
}

/// Where a server's stateless ticket keys come from.
#[derive(Clone, Debug)]
pub(crate) enum TicketKeySource {
    /// `stateless_tickets_seed`: one key, from the seed.
    Seed(Vec<u8>),
    /// `ticket_keys` (or the default rotating process keys).
    Keys(crate::ssl::TicketKeys),
}

impl TicketKeySource {
    /// The keys in force, the sealing one first.
    pub(crate) async fn current(&self) -> Result<Vec<Vec<u8>>, Reason> {
        match self {
            TicketKeySource::Seed(seed) => Ok(vec![crate::ssl::ticket_keys::key_from_seed(seed)]),
            TicketKeySource::Keys(k) => k.current().await,
        }
    }
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
            Some((id, None)) => offer.extend(crate::ssl::client_sessions::tls12_by_id(id)),
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

fn has(opts: &[SslOption], pred: impl Fn(&SslOption) -> bool) -> bool {
    opts.iter().any(pred)
}

fn read_file(option: &str, path: &std::path::Path) -> Result<wit::PemFile, Reason> {
    let shown = format!("{:?}", path.display().to_string());
    pem_cache::read(path)
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
    let mut ticket_keys = None;
    let mut stateless = false;
    let mut sessions = crate::ssl::session_cache::ServerSessions::default();
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
            // A file's certificates go to the engine as DER, parsed once per
            // file content, unless the DER twin (which wins) is given too.
            SslOption::Cacertfile(p) => match pem_cache::certificates(p) {
                Some(ders) if !has(opts, |o| matches!(o, SslOption::Cacerts(_))) => {
                    wit::TlsOption::Cacerts(ders)
                }
                _ => wit::TlsOption::Cacertfile(read_file("cacertfile", p)?),
            },
            SslOption::Cert(c) => wit::TlsOption::Cert(c.clone()),
            SslOption::Certfile(p) => {
                certfile_path = Some(p.clone());
                match pem_cache::certificates(p) {
                    Some(ders) if !has(opts, |o| matches!(o, SslOption::Cert(_))) => {
                        wit::TlsOption::Cert(ders)
                    }
                    _ => wit::TlsOption::Certfile(read_file("certfile", p)?),
                }
            }
            SslOption::Key(t, der) => {
                has_key = true;
                wit::TlsOption::Key(types::PrivateKey {
                    kind: crate::ssl::keys::key_kind(*t),
                    der: der.clone(),
                })
            }
            SslOption::Keyfile(p) => {
                has_key = true;
                if let Some((t, der)) = pem_cache::plain_key(p) {
                    tls.push(wit::TlsOption::Key(types::PrivateKey {
                        kind: crate::ssl::keys::key_kind(t),
                        der,
                    }));
                    continue;
                }
                // Read and, with a password, decrypted here: the engine gets a plain key.
                let file = read_file("keyfile", p)?;
                match crate::ssl::keys::from_pem(
                    "keyfile",
                    &file.path,
                    &file.contents,
                    password.as_deref(),
                )? {
                    Some((t, der)) => wit::TlsOption::Key(types::PrivateKey {
                        kind: crate::ssl::keys::key_kind(t),
                        der,
                    }),
                    None => wit::TlsOption::Keyfile(file),
                }
            }
            SslOption::Password(_) => continue,
            SslOption::CertsKeys(list) => wit::TlsOption::CertsKeys(
                list.iter()
                    .map(|e| crate::ssl::keys::cert_key(e, password.as_deref()))
                    .collect::<Result<_, _>>()?,
            ),
            SslOption::SniHosts(hosts) => {
                let mut out = Vec::new();
                for (host, host_opts) in hosts {
                    out.push((host.clone(), sni_cert_keys(host_opts)?));
                }
                wit::TlsOption::SniHosts(out)
            }
            // Answered before the handshake goes on (`resolve_sni`): the
            // engine never asks.
            SslOption::SniFun(_) => continue,
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
                        stateless = true;
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
            SslOption::TicketKeys(k) => {
                ticket_keys = Some(k.clone());
                continue;
            }
            SslOption::SessionCb(cb) => {
                sessions.cb = cb.clone();
                continue;
            }
            SslOption::SessionLifetime(secs) => {
                sessions.lifetime = std::time::Duration::from_secs(u64::from(*secs));
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
        let key = match pem_cache::plain_key(path) {
            Some(key) => Some(key),
            None => {
                let file = read_file("certfile", path)?;
                crate::ssl::keys::from_pem(
                    "certfile",
                    &file.path,
                    &file.contents,
                    password.as_deref(),
                )?
            }
        };
        if let Some((t, der)) = key {
            tls.push(wit::TlsOption::Key(types::PrivateKey {
                kind: crate::ssl::keys::key_kind(t),
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
    let ticket_keys = stateless.then(|| match (tickets_seed, ticket_keys) {
        (Some(seed), _) => TicketKeySource::Seed(seed),
        (None, keys) => TicketKeySource::Keys(keys.unwrap_or_default()),
    });
    if let Some(TicketKeySource::Keys(k)) = &ticket_keys {
        k.check()?;
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
        },
        keep_secrets,
        resumption,
        sessions,
        ticket_keys,
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
                    out.push(crate::ssl::keys::cert_key(e, password.as_deref())?);
                }
            }
            _ => {}
        }
    }
    if !entry.cert.is_empty() || entry.certfile.is_some() {
        out.insert(0, crate::ssl::keys::cert_key(&entry, password.as_deref())?);
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

//! Each option's own checks and the checks across options that modern OTP
//! makes (`ssl_config`): roles, versions, pairs that exclude each other,
//! and what wassl recognises but will not honour.

use super::*;

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
            | SslOption::TicketKeys(_)
            | SslOption::SessionCb(_)
            | SslOption::SessionLifetime(_)
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
pub(super) fn incompatible(what: impl Into<String>, why: &str) -> Reason {
    Reason::options("incompatible", what, why)
}

/// The checks modern OTP (`ssl_config`, OTP 26 to 28) makes across
/// options: each option's role, the versions it needs, and the pairs that
/// exclude each other. OTP 25 ignored the other role's options.
pub(super) fn check_combinations(role: Role, opts: &[SslOption]) -> Result<(), Reason> {
    let versions = last_of(opts, |o| match o {
        SslOption::Versions(v) => Some(v.clone()),
        _ => None,
    })
    .unwrap_or_else(|| vec![Version::Tlsv1_3, Version::Tlsv1_2]);
    let tickets = session_tickets_of(opts);
    // Only an error spells it out: this runs for every connection.
    let tickets_term = || format!("{{session_tickets,{}}}", tickets.atom());
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
                    format!("{{use_ticket,[...]}},{}", tickets_term()),
                    "use_ticket offers tickets the owner received with {session_tickets, manual}",
                ));
            }
            SslOption::AntiReplay(a) if !stateless => {
                return Err(incompatible(
                    format!("{{anti_replay,{a}}},{}", tickets_term()),
                    "anti_replay tunes the replay filter of stateless tickets",
                ));
            }
            SslOption::StatelessTicketsSeed(_) if !stateless => {
                return Err(incompatible(
                    format!("stateless_tickets_seed,{}", tickets_term()),
                    "stateless_tickets_seed is the key of stateless tickets",
                ));
            }
            SslOption::TicketKeys(k) if !stateless => {
                return Err(incompatible(
                    format!("{{ticket_keys,{}}},{}", k.term(), tickets_term()),
                    "ticket_keys are the keys of stateless tickets: add {session_tickets, stateless}",
                ));
            }
            SslOption::TicketKeys(k)
                if opts
                    .iter()
                    .any(|o| matches!(o, SslOption::StatelessTicketsSeed(_))) =>
            {
                return Err(incompatible(
                    format!("{{ticket_keys,{}}},stateless_tickets_seed", k.term()),
                    "stateless_tickets_seed is one fixed key; ticket_keys rotate: choose one",
                ));
            }
            SslOption::SessionLifetime(0) => {
                return Err(Reason::options(
                    "session_lifetime",
                    "0",
                    "session_lifetime is the seconds a session may be resumed: at least 1",
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

    pub(super) fn is_socket_option(&self) -> bool {
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

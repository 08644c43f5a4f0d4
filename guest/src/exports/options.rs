//! `wassl:tls/options`: builds an engine [`Config`](engine::Config).

use std::sync::Arc;

use crate::bindings::exports::wassl::tls::options::{self as wit, Guest, GuestConfig};
use crate::bindings::wassl::tls::types::{CipherSuite, Role};
use crate::engine;

use super::{convert, verify::HostVerify, Component};

fn option_in(o: wit::TlsOption) -> engine::TlsOption {
    use engine::TlsOption as E;
    match o {
        wit::TlsOption::Verify(v) => E::Verify(match v {
            wit::VerifyType::VerifyNone => engine::VerifyType::VerifyNone,
            wit::VerifyType::VerifyPeer => engine::VerifyType::VerifyPeer,
        }),
        wit::TlsOption::Cacerts(c) => E::Cacerts(c),
        wit::TlsOption::Cacertfile(f) => E::Cacertfile {
            path: f.path,
            contents: f.contents,
        },
        wit::TlsOption::Cert(c) => E::Cert(c),
        wit::TlsOption::Certfile(f) => E::Certfile {
            path: f.path,
            contents: f.contents,
        },
        wit::TlsOption::Key(k) => E::Key {
            kind: convert::key_kind(k.kind),
            der: k.der,
        },
        wit::TlsOption::Keyfile(f) => E::Keyfile {
            path: f.path,
            contents: f.contents,
        },
        wit::TlsOption::Versions(v) => {
            E::Versions(v.into_iter().map(convert::version_in).collect())
        }
        wit::TlsOption::ServerNameIndication(s) => E::ServerNameIndication(match s {
            wit::ServerNameIndication::Disable => engine::ServerNameIndication::Disable,
            wit::ServerNameIndication::Host(h) => engine::ServerNameIndication::Host(h),
        }),
        wit::TlsOption::AlpnAdvertisedProtocols(p) => E::AlpnAdvertisedProtocols(p),
        wit::TlsOption::AlpnPreferredProtocols(p) => E::AlpnPreferredProtocols(p),
        wit::TlsOption::FailIfNoPeerCert(b) => E::FailIfNoPeerCert(b),
        wit::TlsOption::CrlCheck(c) => E::CrlCheck(match c {
            wit::CrlCheck::All => engine::CrlCheck::All,
            wit::CrlCheck::Peer => engine::CrlCheck::Peer,
            wit::CrlCheck::BestEffort => engine::CrlCheck::BestEffort,
        }),
        wit::TlsOption::Crls(c) => E::Crls(c),
        wit::TlsOption::CertsKeys(c) => {
            E::CertsKeys(c.into_iter().map(convert::cert_key).collect())
        }
        wit::TlsOption::SniHosts(h) => E::SniHosts(
            h.into_iter()
                .map(|(n, c)| (n, c.into_iter().map(convert::cert_key).collect()))
                .collect(),
        ),
        wit::TlsOption::SniFun(b) => E::SniFun(b),
        wit::TlsOption::Keylog(b) => E::Keylog(b),
        wit::TlsOption::Ciphers(c) => E::Ciphers(c),
        wit::TlsOption::HonorCipherOrder(b) => E::HonorCipherOrder(b),
        wit::TlsOption::SupportedGroups(g) => E::SupportedGroups(g),
        wit::TlsOption::Eccs(g) => E::Eccs(g),
        wit::TlsOption::HonorEccOrder(b) => E::HonorEccOrder(b),
        wit::TlsOption::MiddleboxCompMode(b) => E::MiddleboxCompMode(b),
        wit::TlsOption::CertificateAuthorities(b) => E::CertificateAuthorities(b),
        wit::TlsOption::SignatureAlgs(s) => E::SignatureAlgs(s),
        wit::TlsOption::SessionTickets(t) => E::SessionTickets(match t {
            wit::ServerTickets::Disabled => engine::ServerTickets::Disabled,
            wit::ServerTickets::Stateless => engine::ServerTickets::Stateless,
            wit::ServerTickets::Stateful => engine::ServerTickets::Stateful,
        }),
        wit::TlsOption::ReuseSessions(b) => E::ReuseSessions(b),
        wit::TlsOption::TicketKeys(k) => E::TicketKeys(k),
        wit::TlsOption::EarlyData(n) => E::EarlyData(n),
        wit::TlsOption::ClientSessions(c) => E::ClientSessions(engine::ClientSessions {
            keep_tickets: c.keep_tickets,
            keep_tls12: c.keep_tls12,
            offer: c.offer,
        }),
        wit::TlsOption::SendEarlyData(d) => E::SendEarlyData(d),
    }
}

/// The `config` resource.
pub(crate) struct ConfigResource(pub(crate) engine::Config);

impl GuestConfig for ConfigResource {
    fn create(role: Role, opts: Vec<wit::TlsOption>) -> Result<wit::Config, wit::OptionError> {
        let opts = opts.into_iter().map(option_in).collect();
        engine::crypto::install(&super::crypto::IMPORTED);
        engine::Config::new(convert::role(role), opts, Arc::new(HostVerify))
            .map(|c| wit::Config::new(ConfigResource(c)))
            .map_err(|e| wit::OptionError {
                name: e.option,
                value: e.value,
                detail: e.detail,
            })
    }
}

impl Guest for Component {
    type Config = ConfigResource;

    fn groups() -> Vec<String> {
        engine::group_names()
    }

    fn signature_algs(tls13: bool) -> Vec<String> {
        engine::sigalg_names(tls13)
    }

    fn cipher_suites() -> Vec<(CipherSuite, String)> {
        engine::cipher_suite_names()
            .into_iter()
            .map(|(s, openssl)| (convert::suite_out(s), openssl.to_string()))
            .collect()
    }
}

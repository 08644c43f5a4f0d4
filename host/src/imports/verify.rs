//! The host side of `wassl:tls/verify`: the engine reports what path
//! validation found, the socket's [`Policy`] (verify_fun, partial_chain,
//! depth, customize_hostname_check) decides.

use crate::bindings::wassl::tls::types::BadCert as WitBadCert;
use crate::bindings::wassl::tls::verify::{Host, PeerChain};
use crate::imports::HostState;
use crate::ssl::verify::{BadCert, Policy};

/// The verify policy of one socket.
#[derive(Clone)]
pub(crate) struct VerifyPolicy(pub(crate) Policy);

fn from_wit(b: WitBadCert) -> BadCert {
    match b {
        WitBadCert::UnknownCa => BadCert::UnknownCa,
        WitBadCert::SelfsignedPeer => BadCert::SelfsignedPeer,
        WitBadCert::CertExpired => BadCert::CertExpired,
        WitBadCert::InvalidIssuer => BadCert::InvalidIssuer,
        WitBadCert::InvalidSignature => BadCert::InvalidSignature,
        WitBadCert::HostnameCheckFailed => BadCert::HostnameCheckFailed,
        WitBadCert::InvalidKeyUsage => BadCert::InvalidKeyUsage,
        WitBadCert::MissingBasicConstraint => BadCert::MissingBasicConstraint,
        WitBadCert::NameNotPermitted => BadCert::NameNotPermitted,
        WitBadCert::Other(t) => BadCert::from_term(&t),
    }
}

fn to_wit(b: BadCert) -> WitBadCert {
    match b {
        BadCert::UnknownCa => WitBadCert::UnknownCa,
        BadCert::SelfsignedPeer => WitBadCert::SelfsignedPeer,
        BadCert::CertExpired => WitBadCert::CertExpired,
        BadCert::InvalidIssuer => WitBadCert::InvalidIssuer,
        BadCert::InvalidSignature => WitBadCert::InvalidSignature,
        BadCert::HostnameCheckFailed => WitBadCert::HostnameCheckFailed,
        BadCert::InvalidKeyUsage => WitBadCert::InvalidKeyUsage,
        BadCert::MissingBasicConstraint => WitBadCert::MissingBasicConstraint,
        BadCert::NameNotPermitted => WitBadCert::NameNotPermitted,
        other => WitBadCert::Other(other.to_string()),
    }
}

impl crate::bindings::wassl::tls::types::Host for HostState {}

impl Host for HostState {
    fn verify_peer(&mut self, chain: PeerChain) -> Result<(), WitBadCert> {
        self.verify
            .0
            .decide(
                &chain.chain,
                chain.server_name.as_deref(),
                chain.problem.map(from_wit),
            )
            .map_err(to_wit)
    }

    fn partial_chain(&mut self, chain: Vec<Vec<u8>>) -> Option<Vec<u8>> {
        self.verify
            .0
            .partial_chain
            .as_ref()
            .and_then(|f| (f.0)(&chain))
    }

    async fn session_put(&mut self, key: Vec<u8>, value: Vec<u8>) -> bool {
        let s = &self.sessions;
        s.cb.put(&key, &value, s.lifetime).await
    }

    async fn session_get(&mut self, key: Vec<u8>) -> Option<Vec<u8>> {
        self.sessions.cb.get(&key).await
    }

    async fn session_take(&mut self, key: Vec<u8>) -> Option<Vec<u8>> {
        self.sessions.cb.take(&key).await
    }

    fn new_client_session(&mut self, session: crate::bindings::wassl::tls::types::ClientSession) {
        // Bounded: a server flooding tickets cannot grow this past a few.
        if self.client_sessions.len() < 16 {
            self.client_sessions.push(session);
        }
    }

    fn keylog(&mut self, label: String, client_random: Vec<u8>, secret: Vec<u8>) {
        self.keylog.log(&label, &client_random, &secret);
    }

    /// The host answers `sni_fun` before the handshake goes on (the
    /// engine is configured with its answer as `sni_hosts`), so an engine
    /// never asks; one that does is refused.
    fn sni_fun(&mut self, _server_name: String) -> crate::bindings::wassl::tls::types::SniAnswer {
        crate::bindings::wassl::tls::types::SniAnswer::Unrecognized
    }
}

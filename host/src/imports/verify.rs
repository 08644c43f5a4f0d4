//! The host side of `verify_fun` (`wassl:tls/verify`). The engine validates
//! the chain; here the user's policy decides, with Erlang's defaults.

use crate::bindings::wassl::tls::types::BadCert;
use crate::bindings::wassl::tls::verify::{Host, PeerChain};
use crate::imports::HostState;
use crate::ssl::options::Verify;

/// The verify policy of one socket.
#[derive(Clone, Debug)]
pub(crate) struct VerifyPolicy {
    pub(crate) mode: Verify,
}

impl VerifyPolicy {
    /// Erlang's default verify_fun: in `verify_peer` mode any `{bad_cert, R}`
    /// fails with R; in `verify_none` mode every event is accepted.
    fn decide(&self, chain: &PeerChain) -> Result<(), BadCert> {
        match (&self.mode, &chain.problem) {
            (Verify::VerifyPeer, Some(problem)) => Err(problem.clone()),
            _ => Ok(()),
        }
    }
}

impl crate::bindings::wassl::tls::types::Host for HostState {}

impl Host for HostState {
    fn verify_peer(&mut self, chain: PeerChain) -> Result<(), BadCert> {
        self.verify.decide(&chain)
    }
}

//! The engine's [`VerifyHook`] answered by the imported `verify` interface:
//! the host runs the user's verify_fun.

use crate::bindings::wassl::tls::{types as wit, verify};
use crate::engine::{BadCert, ClientSession, PeerChain, SniAnswer, VerifyHook};

use super::convert;

/// Asks the host, once per handshake.
#[derive(Debug)]
pub(crate) struct HostVerify;

impl VerifyHook for HostVerify {
    fn verify_peer(&self, chain: PeerChain) -> Result<(), BadCert> {
        let report = verify::PeerChain {
            role: match chain.role {
                crate::engine::Role::Client => wit::Role::Client,
                crate::engine::Role::Server => wit::Role::Server,
            },
            chain: chain.chain,
            server_name: chain.server_name,
            problem: chain.problem.map(convert::bad_cert_out),
        };
        verify::verify_peer(&report).map_err(convert::bad_cert_in)
    }

    fn partial_chain(&self, chain: &[Vec<u8>]) -> Option<Vec<u8>> {
        verify::partial_chain(chain)
    }

    fn keylog(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        verify::keylog(label, client_random, secret);
    }

    fn session_put(&self, key: Vec<u8>, value: Vec<u8>) -> bool {
        verify::session_put(&key, &value)
    }

    fn session_get(&self, key: &[u8]) -> Option<Vec<u8>> {
        verify::session_get(key)
    }

    fn session_take(&self, key: &[u8]) -> Option<Vec<u8>> {
        verify::session_take(key)
    }

    fn client_session(&self, s: ClientSession) {
        verify::new_client_session(&wit::ClientSession {
            version: convert::version_out(s.version),
            session_id: s.session_id,
            max_early_data: s.max_early_data,
            lifetime: s.lifetime,
            value: s.value,
        });
    }

    fn sni_fun(&self, server_name: &str) -> SniAnswer {
        match verify::sni_fun(server_name) {
            wit::SniAnswer::UseDefault => SniAnswer::UseDefault,
            wit::SniAnswer::Unrecognized => SniAnswer::Unrecognized,
            wit::SniAnswer::CertsKeys(list) => {
                SniAnswer::CertsKeys(list.into_iter().map(convert::cert_key).collect())
            }
        }
    }
}

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

    fn session_put(&mut self, key: Vec<u8>, value: Vec<u8>) -> bool {
        sessions::put(key, value)
    }

    fn session_get(&mut self, key: Vec<u8>) -> Option<Vec<u8>> {
        sessions::get(&key)
    }

    fn session_take(&mut self, key: Vec<u8>) -> Option<Vec<u8>> {
        sessions::take(&key)
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

    fn sni_fun(&mut self, server_name: String) -> crate::bindings::wassl::tls::types::SniAnswer {
        use crate::bindings::wassl::tls::types::SniAnswer as W;
        use crate::ssl::SniAnswer;
        let Some(f) = &self.verify.0.sni_fun else {
            return W::UseDefault;
        };
        match (f.0)(&server_name) {
            SniAnswer::Undefined => W::UseDefault,
            SniAnswer::Unrecognized => W::Unrecognized,
            // Options that cannot be used (a missing file...) refuse the name.
            SniAnswer::Options(opts) => match crate::ssl::options::sni_cert_keys(&opts) {
                Ok(list) if !list.is_empty() => W::CertsKeys(list),
                Ok(_) => W::UseDefault,
                Err(_) => W::Unrecognized,
            },
        }
    }
}

/// The server session store of the process (TLS 1.2 session IDs, stateful
/// TLS 1.3 tickets), shared by every sandbox, oldest sessions dropped first.
pub(crate) mod sessions {
    use std::collections::{HashMap, VecDeque};
    use std::sync::Mutex;

    /// Sessions kept at most.
    const CAPACITY: usize = 20_000;

    /// Sessions by key, and the keys in the order they came.
    type Store = (HashMap<Vec<u8>, Vec<u8>>, VecDeque<Vec<u8>>);

    static STORE: Mutex<Option<Store>> = Mutex::new(None);

    fn with<T>(f: impl FnOnce(&mut HashMap<Vec<u8>, Vec<u8>>, &mut VecDeque<Vec<u8>>) -> T) -> T {
        let mut g = STORE.lock().unwrap_or_else(|e| e.into_inner());
        let (map, order) = g.get_or_insert_with(Default::default);
        f(map, order)
    }

    pub(crate) fn put(key: Vec<u8>, value: Vec<u8>) -> bool {
        with(|map, order| {
            if map.insert(key.clone(), value).is_none() {
                order.push_back(key);
            }
            while map.len() > CAPACITY {
                match order.pop_front() {
                    Some(old) => {
                        map.remove(&old);
                    }
                    None => break,
                }
            }
            true
        })
    }

    pub(crate) fn get(key: &[u8]) -> Option<Vec<u8>> {
        with(|map, _| map.get(key).cloned())
    }

    pub(crate) fn take(key: &[u8]) -> Option<Vec<u8>> {
        with(|map, _| map.remove(key))
    }
}

/// The key of stateless tickets: random, one per process, so every sandbox
/// of the process can open the tickets any other issued.
pub(crate) fn ticket_key() -> Vec<u8> {
    static KEY: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    KEY.get_or_init(|| {
        use std::io::Read;
        let mut k = vec![0u8; 32];
        std::fs::File::open("/dev/urandom")
            .and_then(|mut f| f.read_exact(&mut k))
            .expect("read /dev/urandom");
        k
    })
    .clone()
}

/// The key of stateless tickets from `stateless_tickets_seed`: HKDF-SHA256
/// of the seed, so every server given the same seed (another process, a
/// restart) opens the tickets the others issued.
pub(crate) fn ticket_key_from_seed(seed: &[u8]) -> Vec<u8> {
    use ring::hkdf::{Salt, HKDF_SHA256};
    let prk = Salt::new(HKDF_SHA256, b"wassl stateless_tickets_seed").extract(seed);
    let mut key = vec![0u8; 32];
    // Expanding 32 bytes from SHA-256 cannot fail.
    prk.expand(&[b"ticket key"], crate::record_layer::Len(32))
        .and_then(|okm| okm.fill(&mut key))
        .expect("HKDF-SHA256 expands to 32 bytes");
    key
}

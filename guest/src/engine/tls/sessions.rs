//! Resumption state: stateless tickets under the process-wide key, the
//! host's server session store, and a client's sessions as bytes.

use super::*;

/// Stateless tickets under the host's keys: ChaCha20-Poly1305, sealed by
/// the first key, opened by any (the host rotates them). A ticket is the
/// key's id, a random nonce and the sealed session, so opening one tries
/// only the key that sealed it, and one sealed by a key no longer given is
/// refused (a full handshake).
#[derive(Debug)]
pub(super) struct SharedTicketer {
    keys: Vec<(KeyId, Vec<u8>)>,
}

/// The first bytes of SHA-256 of a ticket key: names it without saying it.
type KeyId = [u8; 4];

const NONCE: usize = 12;
const TAG: usize = 16;

impl SharedTicketer {
    pub(super) fn new(keys: &[Vec<u8>]) -> SharedTicketer {
        let id = |k: &[u8]| {
            let d = ring::digest::digest(&ring::digest::SHA256, k);
            let mut id = [0u8; 4];
            id.copy_from_slice(&d.as_ref()[..4]);
            id
        };
        SharedTicketer {
            keys: keys.iter().map(|k| (id(k), k.clone())).collect(),
        }
    }

    fn aead(key: &[u8]) -> Option<ring::aead::LessSafeKey> {
        use ring::aead::{LessSafeKey, UnboundKey, CHACHA20_POLY1305};
        Some(LessSafeKey::new(
            UnboundKey::new(&CHACHA20_POLY1305, key).ok()?,
        ))
    }
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
        use ring::aead::{Aad, Nonce};
        let (id, key) = self.keys.first()?;
        let mut nonce = [0u8; NONCE];
        // ring's entropy: one `wasi:random` call (see guest/vendor/getrandom-0.2).
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut nonce).ok()?;
        let mut sealed = plain.to_vec();
        // The key id is authenticated too: a ticket names its key truly.
        Self::aead(key)?
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(id),
                &mut sealed,
            )
            .ok()?;
        Some([&id[..], &nonce[..], &sealed].concat())
    }

    fn decrypt(&self, cipher: &[u8]) -> Option<Vec<u8>> {
        use ring::aead::{Aad, Nonce};
        if cipher.len() < 4 + NONCE + TAG {
            return None;
        }
        let (id, rest) = cipher.split_at(4);
        let (_, key) = self.keys.iter().find(|(k, _)| k[..] == *id)?;
        let nonce = Nonce::try_assume_unique_for_key(&rest[..NONCE]).ok()?;
        let mut data = rest[NONCE..].to_vec();
        let plain = Self::aead(key)?
            .open_in_place(nonce, Aad::from(id), &mut data)
            .ok()?;
        Some(plain.to_vec())
    }
}

/// Sessions kept by the host, shared by every sandbox of the process.
#[derive(Debug)]
pub(super) struct HostSessions(pub(super) Arc<dyn VerifyHook>);

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
pub(super) struct ClientSessions {
    pub(super) hook: Arc<dyn VerifyHook>,
    pub(super) keep_tickets: bool,
    pub(super) keep_tls12: bool,
    pub(super) offer13: Mutex<Vec<Vec<u8>>>,
    pub(super) offer12: Mutex<Vec<Vec<u8>>>,
    /// What a session must be rebuilt against; set once the config exists.
    pub(super) fit: OnceLock<SessionFit>,
    pub(super) kx_hint: Mutex<Option<NamedGroup>>,
    /// TLS 1.3 tickets received: a hand-off waits for the first one.
    pub(super) tickets: Arc<AtomicUsize>,
}

/// The parts of a client config a session is checked against (rustls
/// resumes only under the verifier and certificate resolver it was made with).
pub(super) struct SessionFit {
    pub(super) suites: Vec<rustls::SupportedCipherSuite>,
    pub(super) verifier: Arc<dyn ServerCertVerifier>,
    pub(super) creds: Arc<dyn ResolvesClientCert>,
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

//! Client resumption: the sessions a wassl client can resume, kept on the
//! host because every connection runs in a sandbox of its own.
//!
//! - `{session_tickets, auto}`: TLS 1.3 tickets go to the process's cache
//!   and the next connection to the same peer uses one (each ticket once).
//! - `{session_tickets, manual}`: each ticket reaches the owner as
//!   `{ssl, session_ticket, Ticket}`; `{use_ticket, [Ticket]}` offers them.
//! - `{reuse_sessions, true | save}` (the default is true): the TLS 1.2
//!   session goes to the cache and the next connection to the same peer
//!   offers it; `{reuse_session, Id | {Id, Data}}` picks one.
//!
//! A cached session is only offered to a connection with the same TLS
//! options (verification, trust, versions...), so that a session made under
//! `verify_none` never skips the checks of a `verify_peer` connection.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::bindings::exports::wassl::tls::options::TlsOption;

/// A TLS 1.3 session ticket, as `{ssl, session_ticket, Ticket}` delivers it
/// and `{use_ticket, [Ticket]}` takes it back. Opaque, as in OTP. The bytes
/// hold the session's resumption secret: store them as you would a key.
#[derive(Clone, PartialEq, Eq)]
pub struct Ticket(pub(crate) Vec<u8>);

impl Ticket {
    /// The ticket as bytes, to keep it past this process.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// A ticket kept with [`Ticket::as_bytes`]. Bytes that are not a ticket
    /// make `connect` fail with `{options, {use_ticket, ...}}`.
    pub fn from_bytes(bytes: Vec<u8>) -> Ticket {
        Ticket(bytes)
    }
}

impl fmt::Debug for Ticket {
    /// Never the secret: `#Ticket<N bytes>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#Ticket<{} bytes>", self.0.len())
    }
}

/// The `SessionData` of a TLS 1.2 session (`connection_information(S,
/// [session_data])`, `{reuse_session, {SessionId, SessionData}}`). Opaque;
/// it holds the master secret.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionData(pub(crate) Vec<u8>);

impl SessionData {
    /// The session as bytes, to keep it past this process.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Session data kept with [`SessionData::as_bytes`].
    pub fn from_bytes(bytes: Vec<u8>) -> SessionData {
        SessionData(bytes)
    }
}

impl fmt::Debug for SessionData {
    /// Never the secret: `#SessionData<N bytes>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#SessionData<{} bytes>", self.0.len())
    }
}

/// What became of a client's `{early_data, Data}`: the owner gets
/// `{ssl, S, {early_data, accepted | rejected}}` after the handshake.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EarlyDataStatus {
    /// The server took the data as 0-RTT: it was delivered.
    Accepted,
    /// It was not sent, or the server refused it: send it again if needed.
    Rejected,
}

/// Which peer, under which options, a cached session belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct PeerKey {
    host: String,
    port: u16,
    options: u64,
}

impl PeerKey {
    /// `host` and `port` as the user connected, and the options that reach
    /// the engine (less the ones about resumption itself).
    pub(crate) fn new(host: &str, port: u16, tls: &[TlsOption]) -> PeerKey {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        for o in tls {
            // Bytes are hashed as they are: a CA bundle's Debug text would
            // cost far more than the bundle itself.
            match o {
                TlsOption::ClientSessions(_)
                | TlsOption::SendEarlyData(_)
                | TlsOption::Keylog(_) => {}
                TlsOption::Cacerts(c) | TlsOption::Cert(c) | TlsOption::Crls(c) => c.hash(&mut h),
                TlsOption::Cacertfile(f) | TlsOption::Certfile(f) | TlsOption::Keyfile(f) => {
                    f.contents.hash(&mut h)
                }
                TlsOption::Key(k) => k.der.hash(&mut h),
                other => format!("{other:?}").hash(&mut h),
            }
        }
        PeerKey {
            host: host.to_ascii_lowercase(),
            port,
            options: h.finish(),
        }
    }
}

/// Tickets kept per peer at most (OTP's servers send three a handshake).
const TICKETS_PER_PEER: usize = 8;
/// Peers kept at most; the oldest goes first.
const PEERS: usize = 4096;

struct Entry {
    value: Vec<u8>,
    expires: Instant,
}

impl Entry {
    fn new(value: Vec<u8>, lifetime: u32) -> Entry {
        Entry {
            value,
            expires: Instant::now() + Duration::from_secs(lifetime.into()),
        }
    }

    fn live(&self) -> bool {
        self.expires > Instant::now()
    }
}

#[derive(Default)]
struct Cache {
    tickets: HashMap<PeerKey, VecDeque<Entry>>,
    /// TLS 1.2: the peer's latest session, and its ID.
    tls12: HashMap<PeerKey, (Vec<u8>, Entry)>,
    /// TLS 1.2 sessions by ID, for `{reuse_session, Id}`.
    by_id: HashMap<Vec<u8>, Entry>,
    order: VecDeque<PeerKey>,
}

impl Cache {
    fn touch(&mut self, key: &PeerKey) {
        if !self.tickets.contains_key(key) && !self.tls12.contains_key(key) {
            self.order.push_back(key.clone());
        }
        while self.order.len() > PEERS {
            if let Some(old) = self.order.pop_front() {
                self.tickets.remove(&old);
                if let Some((id, _)) = self.tls12.remove(&old) {
                    self.by_id.remove(&id);
                }
            }
        }
    }
}

static CACHE: Mutex<Option<Cache>> = Mutex::new(None);

fn with<T>(f: impl FnOnce(&mut Cache) -> T) -> T {
    let mut g = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    f(g.get_or_insert_with(Cache::default))
}

/// Keep a TLS 1.3 ticket for `key` (`session_tickets auto`).
pub(crate) fn put_ticket(key: &PeerKey, value: Vec<u8>, lifetime: u32) {
    with(|c| {
        c.touch(key);
        let q = c.tickets.entry(key.clone()).or_default();
        q.push_back(Entry::new(value, lifetime));
        while q.len() > TICKETS_PER_PEER {
            q.pop_front();
        }
    })
}

/// Take a live ticket for `key`: each is offered once (RFC 8446 8.1).
pub(crate) fn take_ticket(key: &PeerKey) -> Option<Vec<u8>> {
    with(|c| {
        let q = c.tickets.get_mut(key)?;
        while let Some(e) = q.pop_back() {
            if e.live() {
                return Some(e.value);
            }
        }
        None
    })
}

/// How long a TLS 1.2 session with no lifetime hint is kept: OTP's
/// `session_lifetime` default (a session ID comes with no hint at all).
const TLS12_DEFAULT_LIFETIME: u32 = 7200;

/// Keep the TLS 1.2 session of `key`, found again by ID.
pub(crate) fn put_tls12(key: &PeerKey, id: Vec<u8>, value: Vec<u8>, lifetime: u32) {
    let lifetime = if lifetime == 0 {
        TLS12_DEFAULT_LIFETIME
    } else {
        lifetime
    };
    with(|c| {
        c.touch(key);
        if !id.is_empty() {
            c.by_id
                .insert(id.clone(), Entry::new(value.clone(), lifetime));
        }
        if let Some((old, _)) = c
            .tls12
            .insert(key.clone(), (id, Entry::new(value, lifetime)))
        {
            c.by_id.remove(&old);
        }
    })
}

/// The TLS 1.2 session to offer `key`.
pub(crate) fn tls12(key: &PeerKey) -> Option<Vec<u8>> {
    with(|c| {
        c.tls12
            .get(key)
            .filter(|(_, e)| e.live())
            .map(|(_, e)| e.value.clone())
    })
}

/// The TLS 1.2 session with this ID (`{reuse_session, Id}`).
pub(crate) fn tls12_by_id(id: &[u8]) -> Option<Vec<u8>> {
    with(|c| {
        c.by_id
            .get(id)
            .filter(|e| e.live())
            .map(|e| e.value.clone())
    })
}

/// The server did not resume `value`: do not offer it again.
pub(crate) fn forget_tls12(key: &PeerKey, value: &[u8]) {
    with(|c| {
        if c.tls12.get(key).is_some_and(|(_, e)| e.value == value) {
            if let Some((id, _)) = c.tls12.remove(key) {
                c.by_id.remove(&id);
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(host: &str) -> PeerKey {
        PeerKey::new(
            host,
            443,
            &[TlsOption::Verify(
                crate::bindings::exports::wassl::tls::options::VerifyType::VerifyPeer,
            )],
        )
    }

    #[test]
    fn tickets_are_used_once_newest_first() {
        let k = key("tickets.example");
        put_ticket(&k, vec![1], 60);
        put_ticket(&k, vec![2], 60);
        assert_eq!(take_ticket(&k), Some(vec![2]));
        assert_eq!(take_ticket(&k), Some(vec![1]));
        assert_eq!(take_ticket(&k), None);
        put_ticket(&k, vec![3], 0);
        assert_eq!(take_ticket(&k), None, "an expired ticket is not offered");
    }

    #[test]
    fn options_and_case_decide_the_peer() {
        let a = key("Peer.example");
        let b = PeerKey::new(
            "peer.example",
            443,
            &[TlsOption::Verify(
                crate::bindings::exports::wassl::tls::options::VerifyType::VerifyNone,
            )],
        );
        assert_eq!(a, key("peer.example"));
        put_ticket(&b, vec![9], 60);
        assert_eq!(
            take_ticket(&a),
            None,
            "verify_none tickets are not for verify_peer"
        );
        assert_eq!(take_ticket(&b), Some(vec![9]));
    }

    #[test]
    fn tls12_sessions_by_peer_and_id() {
        let k = key("tls12.example");
        put_tls12(&k, vec![7; 32], vec![1, 2], 0);
        assert_eq!(tls12(&k), Some(vec![1, 2]));
        assert_eq!(tls12_by_id(&[7; 32]), Some(vec![1, 2]));
        forget_tls12(&k, &[1, 2]);
        assert_eq!(tls12(&k), None);
        assert_eq!(tls12_by_id(&[7; 32]), None);
    }
}

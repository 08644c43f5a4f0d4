//! The server's session state, shared by every sandbox of the process:
//! the store of TLS 1.2 session IDs and stateful TLS 1.3 tickets (oldest
//! dropped first), and the key of stateless tickets. The engine reaches the
//! store through its `session-put/get/take` imports.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use super::Reason;

/// Sessions kept at most.
const CAPACITY: usize = 20_000;
/// The bytes all kept sessions may take: a sandbox is untrusted, and one
/// that stores large values must not fill the host (oldest dropped first).
const MAX_BYTES: usize = 64 << 20;
/// A key or value past these is refused (`false`): rustls's are tens of
/// bytes and a few KiB (a client's certificate chain included).
const MAX_KEY: usize = 256;
const MAX_VALUE: usize = 64 << 10;

/// Sessions by key, the keys in the order they came, and their bytes.
#[derive(Default)]
struct Store {
    map: HashMap<Vec<u8>, Vec<u8>>,
    order: VecDeque<Vec<u8>>,
    bytes: usize,
}

static STORE: Mutex<Option<Store>> = Mutex::new(None);

fn with<T>(f: impl FnOnce(&mut Store) -> T) -> T {
    let mut g = STORE.lock().unwrap_or_else(|e| e.into_inner());
    f(g.get_or_insert_with(Default::default))
}

pub(crate) fn put(key: Vec<u8>, value: Vec<u8>) -> bool {
    if key.len() > MAX_KEY || value.len() > MAX_VALUE {
        return false;
    }
    with(|s| {
        let size = key.len() + value.len();
        match s.map.insert(key.clone(), value) {
            Some(old) => s.bytes = s.bytes - old.len() - key.len() + size,
            None => {
                s.order.push_back(key);
                s.bytes += size;
            }
        }
        while s.map.len() > CAPACITY || s.bytes > MAX_BYTES {
            let Some(old) = s.order.pop_front() else {
                break;
            };
            if let Some(v) = s.map.remove(&old) {
                s.bytes -= old.len() + v.len();
            }
        }
        true
    })
}

pub(crate) fn get(key: &[u8]) -> Option<Vec<u8>> {
    with(|s| s.map.get(key).cloned())
}

/// Single use: the session is gone once taken (its key stays in `order`
/// until it comes round, and is skipped then).
pub(crate) fn take(key: &[u8]) -> Option<Vec<u8>> {
    with(|s| {
        let v = s.map.remove(key)?;
        s.bytes -= key.len() + v.len();
        Some(v)
    })
}

/// The key of stateless tickets: random, one per process, so every sandbox
/// of the process can open the tickets any other issued. A system without
/// randomness is an error for the socket being made, not a panic.
pub(crate) fn ticket_key() -> Result<Vec<u8>, Reason> {
    use ring::rand::SecureRandom;
    static KEY: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    if let Some(k) = KEY.get() {
        return Ok(k.clone());
    }
    let mut k = vec![0u8; 32];
    ring::rand::SystemRandom::new().fill(&mut k).map_err(|_| {
        Reason::options(
            "session_tickets",
            "stateless",
            "the system gave no randomness for the ticket key",
        )
    })?;
    Ok(KEY.get_or_init(|| k).clone())
}

/// The key of stateless tickets from `stateless_tickets_seed`: HKDF-SHA256
/// of the seed, so every server given the same seed (another process, a
/// restart) opens the tickets the others issued.
pub(crate) fn ticket_key_from_seed(seed: &[u8]) -> Vec<u8> {
    use ring::hkdf::{Salt, HKDF_SHA256};
    let prk = Salt::new(HKDF_SHA256, b"wassl stateless_tickets_seed").extract(seed);
    let mut key = vec![0u8; 32];
    // Expanding 32 bytes from SHA-256 cannot fail.
    prk.expand(&[b"ticket key"], crate::kdf::Len(32))
        .and_then(|okm| okm.fill(&mut key))
        .expect("HKDF-SHA256 expands to 32 bytes");
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_taken_session_is_gone_and_the_oldest_go_first() {
        let key = |i: usize| format!("server_sessions test {i}").into_bytes();
        assert!(put(key(0), b"v0".to_vec()));
        assert_eq!(get(&key(0)).as_deref(), Some(&b"v0"[..]));
        assert_eq!(take(&key(0)).as_deref(), Some(&b"v0"[..]));
        assert_eq!(take(&key(0)), None, "single use");
        for i in 1..=CAPACITY + 1 {
            put(key(i), vec![1]);
        }
        assert_eq!(get(&key(1)), None, "the oldest was dropped");
        assert!(get(&key(CAPACITY + 1)).is_some());
        assert!(!put(vec![1; MAX_KEY + 1], vec![1]), "a long key is refused");
        assert!(
            !put(key(0), vec![1; MAX_VALUE + 1]),
            "a large value is refused"
        );
        assert_eq!(
            ticket_key().unwrap(),
            ticket_key().unwrap(),
            "one key per process"
        );
        assert_eq!(ticket_key_from_seed(b"s"), ticket_key_from_seed(b"s"));
        assert_ne!(ticket_key_from_seed(b"s"), ticket_key_from_seed(b"t"));
        // One test: the store is the process's, and this part evicts.
        large_sessions_are_bounded_in_bytes_not_only_in_number();
    }

    fn large_sessions_are_bounded_in_bytes_not_only_in_number() {
        let key = |i: usize| format!("server_sessions bytes {i}").into_bytes();
        // A sandbox storing the largest values it may: the total stays
        // under the budget, the newest are kept.
        let n = MAX_BYTES / MAX_VALUE + 10;
        for i in 0..n {
            assert!(put(key(i), vec![7; MAX_VALUE]));
        }
        let total = with(|s| s.bytes);
        assert!(total <= MAX_BYTES, "{total} bytes kept");
        assert!(get(&key(n - 1)).is_some());
        assert!(get(&key(0)).is_none());
        let before = with(|s| s.bytes);
        take(&key(n - 1));
        assert_eq!(with(|s| s.bytes), before - key(n - 1).len() - MAX_VALUE);
    }
}

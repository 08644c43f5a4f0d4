//! The server's session state, shared by every sandbox of the process:
//! the store of TLS 1.2 session IDs and stateful TLS 1.3 tickets (oldest
//! dropped first), and the key of stateless tickets. The engine reaches the
//! store through its `session-put/get/take` imports.

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
        assert_eq!(ticket_key(), ticket_key(), "one key per process");
        assert_eq!(ticket_key_from_seed(b"s"), ticket_key_from_seed(b"s"));
        assert_ne!(ticket_key_from_seed(b"s"), ticket_key_from_seed(b"t"));
    }
}

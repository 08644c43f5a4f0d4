//! The process's session store (OTP's `ssl_session_cache`): every server
//! socket of the process shares it, the oldest sessions go first, and a
//! session older than its lifetime is not found.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::{CacheFuture, SessionCacheApi};

/// Sessions kept at most.
const CAPACITY: usize = 20_000;
/// The bytes all kept sessions may take: a sandbox is untrusted, and one
/// that stores large values must not fill the host (oldest dropped first).
const MAX_BYTES: usize = 64 << 20;

/// The process's store (see [`super::SessionCb::local`]).
pub(crate) struct Local;

/// Sessions by key with the instant they expire, the keys in the order
/// they came, and their bytes.
#[derive(Default)]
struct Store {
    map: HashMap<Vec<u8>, (Vec<u8>, Instant)>,
    order: VecDeque<Vec<u8>>,
    bytes: usize,
}

static STORE: Mutex<Option<Store>> = Mutex::new(None);

fn with<T>(f: impl FnOnce(&mut Store) -> T) -> T {
    let mut g = STORE.lock().unwrap_or_else(|e| e.into_inner());
    f(g.get_or_insert_with(Default::default))
}

fn put(key: &[u8], value: &[u8], lifetime: Duration) -> bool {
    let Some(expires) = Instant::now().checked_add(lifetime) else {
        return false;
    };
    with(|s| {
        let size = key.len() + value.len();
        match s.map.insert(key.to_vec(), (value.to_vec(), expires)) {
            Some((old, _)) => s.bytes = s.bytes - old.len() - key.len() + size,
            None => {
                s.order.push_back(key.to_vec());
                s.bytes += size;
            }
        }
        while s.map.len() > CAPACITY || s.bytes > MAX_BYTES {
            let Some(old) = s.order.pop_front() else {
                break;
            };
            s.remove(&old);
        }
        true
    })
}

impl Store {
    fn remove(&mut self, key: &[u8]) -> Option<(Vec<u8>, Instant)> {
        let (v, expires) = self.map.remove(key)?;
        self.bytes -= key.len() + v.len();
        Some((v, expires))
    }
}

fn get(key: &[u8]) -> Option<Vec<u8>> {
    with(|s| match s.map.get(key) {
        Some((v, expires)) if *expires > Instant::now() => Some(v.clone()),
        Some(_) => s.remove(key).and(None),
        None => None,
    })
}

/// Single use: the session is gone once taken (its key stays in `order`
/// until it comes round, and is skipped then).
fn take(key: &[u8]) -> Option<Vec<u8>> {
    with(|s| {
        let (v, expires) = s.remove(key)?;
        (expires > Instant::now()).then_some(v)
    })
}

impl SessionCacheApi for Local {
    fn name(&self) -> &str {
        "ssl_session_cache"
    }

    fn update<'a>(
        &'a self,
        key: &'a [u8],
        value: &'a [u8],
        lifetime: Duration,
    ) -> CacheFuture<'a, bool> {
        let kept = put(key, value, lifetime);
        Box::pin(std::future::ready(kept))
    }

    fn lookup<'a>(&'a self, key: &'a [u8]) -> CacheFuture<'a, Option<Vec<u8>>> {
        Box::pin(std::future::ready(get(key)))
    }

    fn take<'a>(&'a self, key: &'a [u8]) -> CacheFuture<'a, Option<Vec<u8>>> {
        Box::pin(std::future::ready(take(key)))
    }
}

#[cfg(test)]
mod tests {
    use super::super::{MAX_KEY, MAX_VALUE};
    use super::*;
    use crate::ssl::SessionCb;

    const DAY: Duration = Duration::from_secs(86400);

    fn block<T>(f: impl std::future::Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn a_taken_session_is_gone_and_the_oldest_go_first() {
        let cb = SessionCb::local();
        let key = |i: usize| format!("local test {i}").into_bytes();
        block(async {
            assert!(cb.put(&key(0), b"v0", DAY).await);
            assert_eq!(cb.get(&key(0)).await.as_deref(), Some(&b"v0"[..]));
            assert_eq!(cb.take(&key(0)).await.as_deref(), Some(&b"v0"[..]));
            assert_eq!(cb.take(&key(0)).await, None, "single use");
            for i in 1..=CAPACITY + 1 {
                cb.put(&key(i), &[1], DAY).await;
            }
            assert_eq!(cb.get(&key(1)).await, None, "the oldest was dropped");
            assert!(cb.get(&key(CAPACITY + 1)).await.is_some());
            assert!(
                !cb.put(&[1; MAX_KEY + 1], &[1], DAY).await,
                "a long key is refused"
            );
            assert!(
                !cb.put(&key(0), &vec![1; MAX_VALUE + 1], DAY).await,
                "a large value is refused"
            );
            assert!(
                !cb.put(&key(0), b"v", Duration::MAX).await,
                "no lifetime past time"
            );
            // A session past its lifetime is not found, nor taken.
            assert!(
                cb.put(b"local test short", b"v", Duration::from_millis(1))
                    .await
            );
            std::thread::sleep(Duration::from_millis(5));
            assert_eq!(cb.get(b"local test short").await, None);
            assert!(
                cb.put(b"local test short", b"v", Duration::from_millis(1))
                    .await
            );
            std::thread::sleep(Duration::from_millis(5));
            assert_eq!(cb.take(b"local test short").await, None);
        });
        // One test: the store is the process's, and this part evicts.
        large_sessions_are_bounded_in_bytes_not_only_in_number();
    }

    fn large_sessions_are_bounded_in_bytes_not_only_in_number() {
        let key = |i: usize| format!("local bytes {i}").into_bytes();
        // A sandbox storing the largest values it may: the total stays
        // under the budget, the newest are kept.
        let n = MAX_BYTES / MAX_VALUE + 10;
        for i in 0..n {
            assert!(put(&key(i), &vec![7; MAX_VALUE], DAY));
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

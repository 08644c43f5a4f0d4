//! `session_cb`: where a server keeps its sessions (TLS 1.2 session IDs and
//! stateful TLS 1.3 tickets), OTP's `ssl_session_cache_api` behaviour in
//! Rust. The default is the process's own store ([`local`]); a Redis store
//! ([`RedisSessionCache`], feature `redis`) is shared by a fleet of servers,
//! so a client resumes on any node and a single-use ticket (what makes 0-RTT
//! replay-safe) is single use across the fleet.
//!
//! The engine reaches the cache through its `session-put/get/take` imports.
//! A sandbox is untrusted: what it stores is bounded here, whatever the
//! cache. A cache that fails or is slow answers "not found" (a full
//! handshake), never an error that ends the handshake.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

pub(crate) mod local;
#[cfg(feature = "redis")]
mod redis;
#[cfg(feature = "redis")]
mod sealed;

#[cfg(feature = "redis")]
pub use self::redis::{RedisConfig, RedisSessionCache, RedisStats};

/// A key or value past these is refused: rustls's are tens of bytes and a
/// few KiB (a client's certificate chain included).
pub(crate) const MAX_KEY: usize = 256;
pub(crate) const MAX_VALUE: usize = 64 << 10;

/// OTP's `session_lifetime` default: 24 hours (RFC 5246's recommended most).
pub(crate) const DEFAULT_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

/// What a cache call returns: a boxed future, so that caches are objects.
pub type CacheFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A session cache (OTP's `ssl_session_cache_api`): `lookup`, `update`,
/// and `take`, a `lookup` and `delete` in one step that two servers sharing
/// the cache cannot both win. Answers must come quickly: a handshake waits
/// for them. A cache that cannot answer says `None` / `false`.
pub trait SessionCacheApi: Send + Sync + 'static {
    /// The name `getopts` shows: `{session_cb, Name}`.
    fn name(&self) -> &str;
    /// Keep `value` under `key` for `lifetime`; false when not kept.
    fn update<'a>(
        &'a self,
        key: &'a [u8],
        value: &'a [u8],
        lifetime: Duration,
    ) -> CacheFuture<'a, bool>;
    /// The value kept under `key`.
    fn lookup<'a>(&'a self, key: &'a [u8]) -> CacheFuture<'a, Option<Vec<u8>>>;
    /// The value kept under `key`, removed at once: single use.
    fn take<'a>(&'a self, key: &'a [u8]) -> CacheFuture<'a, Option<Vec<u8>>>;
}

/// `{session_cb, Cache}`: a server's session cache. The default is the
/// process's store, shared by every server socket of the process.
#[derive(Clone)]
pub struct SessionCb(Arc<dyn SessionCacheApi>);

impl SessionCb {
    /// A cache of the caller's (e.g. [`RedisSessionCache`]).
    pub fn new(cache: impl SessionCacheApi) -> SessionCb {
        SessionCb(Arc::new(cache))
    }

    /// The process's store (OTP's `ssl_session_cache`): the default.
    pub fn local() -> SessionCb {
        static LOCAL: std::sync::OnceLock<SessionCb> = std::sync::OnceLock::new();
        LOCAL.get_or_init(|| SessionCb::new(local::Local)).clone()
    }

    /// The cache's name (`ssl_session_cache` for the process's store).
    pub fn name(&self) -> &str {
        self.0.name()
    }

    /// `update`, for what a sandbox gives: bounded whatever the cache.
    pub(crate) async fn put(&self, key: &[u8], value: &[u8], lifetime: Duration) -> bool {
        if key.is_empty() || key.len() > MAX_KEY || value.len() > MAX_VALUE {
            return false;
        }
        self.0.update(key, value, lifetime).await
    }

    pub(crate) async fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        if key.is_empty() || key.len() > MAX_KEY {
            return None;
        }
        self.0.lookup(key).await.filter(|v| v.len() <= MAX_VALUE)
    }

    pub(crate) async fn take(&self, key: &[u8]) -> Option<Vec<u8>> {
        if key.is_empty() || key.len() > MAX_KEY {
            return None;
        }
        self.0.take(key).await.filter(|v| v.len() <= MAX_VALUE)
    }
}

impl Default for SessionCb {
    fn default() -> SessionCb {
        SessionCb::local()
    }
}

impl fmt::Debug for SessionCb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SessionCb({})", self.name())
    }
}

impl PartialEq for SessionCb {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for SessionCb {}

/// A server socket's sessions: where they are kept and for how long.
#[derive(Clone, Debug)]
pub(crate) struct ServerSessions {
    pub(crate) cb: SessionCb,
    pub(crate) lifetime: Duration,
}

impl Default for ServerSessions {
    fn default() -> Self {
        ServerSessions {
            cb: SessionCb::local(),
            lifetime: DEFAULT_LIFETIME,
        }
    }
}

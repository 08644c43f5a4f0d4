//! A session cache in Redis, shared by a fleet of servers: TLS 1.2 sessions
//! by ID and stateful TLS 1.3 tickets, each with its lifetime as Redis's
//! expiry, tickets taken with `GETDEL` (so one ticket resumes once across
//! the fleet: 0-RTT anti-replay), and the fleet's rotating ticket keys.
//!
//! Everything stored is sealed under the fleet's secret (`sealed.rs`).
//! Redis down or slow costs full handshakes, never a failed or stalled one:
//! each command has a short deadline, and after a failure Redis is not
//! asked again for `retry_after` (calls answer "not found" at once); the
//! next call after that reconnects.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Cmd, FromRedisValue};

use super::sealed::Sealer;
use super::{CacheFuture, SessionCacheApi};
use crate::ssl::Reason;

/// How to reach the fleet's Redis and what its entries are sealed with.
#[derive(Clone)]
pub struct RedisConfig {
    /// `redis://[user:password@]host:port[/db]`.
    pub url: String,
    /// The fleet's secret (32 bytes or more, the same on every node): it
    /// seals what is stored and names it.
    pub secret: Vec<u8>,
    /// Prepended to every key (default `wassl:`).
    pub prefix: String,
    /// The longest a command (or connecting) may take (default 50 ms).
    pub timeout: Duration,
    /// After a failure, how long Redis is left alone (default 1 s).
    pub retry_after: Duration,
}

impl RedisConfig {
    /// Defaults for the rest.
    pub fn new(url: impl Into<String>, secret: impl Into<Vec<u8>>) -> RedisConfig {
        RedisConfig {
            url: url.into(),
            secret: secret.into(),
            prefix: "wassl:".into(),
            timeout: Duration::from_millis(50),
            retry_after: Duration::from_secs(1),
        }
    }
}

impl std::fmt::Debug for RedisConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secret (nor a password in the URL).
        let host = self.url.rsplit('@').next().unwrap_or_default();
        write!(f, "RedisConfig({host}, prefix {:?})", self.prefix)
    }
}

/// The connection to Redis, one state at a time.
enum Link {
    /// Not connected; the next call connects.
    Idle,
    /// A call is connecting; others do not wait for it.
    Connecting,
    Up(MultiplexedConnection),
    /// Failed; not asked again until then.
    Down(Instant),
}

/// What the cache has answered, for operators and benchmarks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RedisStats {
    /// Lookups that found a session.
    pub hits: u64,
    /// Lookups that found none.
    pub misses: u64,
    /// Calls Redis did not answer (down, slow, or left alone after that).
    pub unavailable: u64,
}

struct Shared {
    client: redis::Client,
    config: RedisConfig,
    sealer: Sealer,
    link: Mutex<Link>,
    /// Ticket keys already read, by (period, epoch).
    known: Mutex<HashMap<(u64, u64), Vec<u8>>>,
    hits: AtomicU64,
    misses: AtomicU64,
    unavailable: AtomicU64,
}

/// `{session_cb, RedisSessionCache}`: see the module docs. Clones share one
/// connection.
#[derive(Clone)]
pub struct RedisSessionCache(Arc<Shared>);

/// Puts the link back to `Idle` if a connecting call is dropped midway.
struct Connecting<'a>(&'a Mutex<Link>);

impl Drop for Connecting<'_> {
    fn drop(&mut self) {
        let mut l = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if matches!(*l, Link::Connecting) {
            *l = Link::Idle;
        }
    }
}

impl RedisSessionCache {
    /// Checks the URL and the secret; connects at the first use, so a node
    /// starts (and serves full handshakes) while Redis is down.
    pub fn new(config: RedisConfig) -> Result<RedisSessionCache, Reason> {
        let bad = |why: String| Reason::options("session_cb", format!("{config:?}"), why);
        let client = redis::Client::open(config.url.as_str())
            .map_err(|e| bad(format!("the Redis URL is not usable: {e}")))?;
        let sealer = Sealer::new(&config.secret).map_err(bad)?;
        Ok(RedisSessionCache(Arc::new(Shared {
            client,
            config,
            sealer,
            link: Mutex::new(Link::Idle),
            known: Mutex::new(HashMap::new()),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            unavailable: AtomicU64::new(0),
        })))
    }

    /// What the cache has answered so far.
    pub fn stats(&self) -> RedisStats {
        let s = &self.0;
        RedisStats {
            hits: s.hits.load(Ordering::Relaxed),
            misses: s.misses.load(Ordering::Relaxed),
            unavailable: s.unavailable.load(Ordering::Relaxed),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Link> {
        self.0.link.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn down(&self) {
        self.0.unavailable.fetch_add(1, Ordering::Relaxed);
        *self.lock() = Link::Down(Instant::now() + self.0.config.retry_after);
    }

    async fn connection(&self) -> Option<MultiplexedConnection> {
        {
            let mut l = self.lock();
            match &*l {
                Link::Up(c) => return Some(c.clone()),
                Link::Connecting => return None,
                Link::Down(until) if Instant::now() < *until => return None,
                Link::Down(_) | Link::Idle => *l = Link::Connecting,
            }
        }
        let guard = Connecting(&self.0.link);
        let t = self.0.config.timeout;
        let cfg = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(t))
            .set_response_timeout(Some(t));
        let made = tokio::time::timeout(
            t,
            self.0
                .client
                .get_multiplexed_async_connection_with_config(&cfg),
        )
        .await;
        drop(guard);
        match made {
            Ok(Ok(c)) => {
                *self.lock() = Link::Up(c.clone());
                Some(c)
            }
            _ => {
                *self.lock() = Link::Down(Instant::now() + self.0.config.retry_after);
                None
            }
        }
    }

    /// One command within the deadline; `None` when Redis did not answer.
    async fn run<T: FromRedisValue>(&self, cmd: &Cmd) -> Option<T> {
        let Some(mut c) = self.connection().await else {
            // Down, connecting failed, or another call is connecting.
            self.0.unavailable.fetch_add(1, Ordering::Relaxed);
            return None;
        };
        match tokio::time::timeout(self.0.config.timeout, cmd.query_async::<T>(&mut c)).await {
            Ok(Ok(v)) => Some(v),
            _ => {
                self.down();
                None
            }
        }
    }

    fn name(&self, kind: &str, key: &[u8]) -> String {
        self.0.sealer.name(&self.0.config.prefix, kind, key)
    }

    async fn found(&self, name: &str, cmd: &Cmd) -> Option<Vec<u8>> {
        let sealed: Option<Vec<u8>> = self.run(cmd).await?;
        let v = sealed.and_then(|s| self.0.sealer.open(name, &s));
        let counter = if v.is_some() {
            &self.0.hits
        } else {
            &self.0.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        v
    }

    /// The fleet's ticket key of period `epoch`: the one in Redis, or, when
    /// `make` and none is there, a new random one put there (`SET NX`: the
    /// first node to ask makes it, every other takes that one). `None` when
    /// there is none or Redis did not answer.
    pub(crate) async fn ticket_key(
        &self,
        epoch: u64,
        expiry: Duration,
        make: bool,
    ) -> Option<Vec<u8>> {
        use crate::provider::rand::SecureRandom;
        let name = self.name("ticket-key", &epoch.to_be_bytes());
        let open = |s: Vec<u8>| self.0.sealer.open(&name, &s).filter(|k| k.len() == 32);
        if !make {
            let kept: Option<Vec<u8>> = self.run(redis::cmd("GET").arg(&name)).await?;
            return kept.and_then(open);
        }
        let mut fresh = vec![0u8; 32];
        crate::provider::rand::SystemRandom::new()
            .fill(&mut fresh)
            .ok()?;
        let sealed = self.0.sealer.seal(&name, &fresh)?;
        let mut cmd = redis::cmd("SET");
        cmd.arg(&name)
            .arg(sealed)
            .arg("NX")
            .arg("GET")
            .arg("EX")
            .arg(expiry.as_secs().max(1));
        // `GET` gives the key kept before, or nothing when ours was set.
        let before: Option<Vec<u8>> = self.run(&cmd).await?;
        match before {
            None => Some(fresh),
            Some(s) => open(s),
        }
    }

    /// The fleet's ticket keys at `now` (seconds since 1970) for keys that
    /// seal for `period` seconds and are kept `keep` periods more: the
    /// current period's key (sealing; `None` when Redis cannot give it), and
    /// the others that open: the next period's near the end of this one (a
    /// node whose clock is ahead may already seal with it), then the `keep`
    /// before. Keys read once are remembered.
    pub(crate) async fn ticket_keys(
        &self,
        now: u64,
        period: u64,
        keep: u32,
    ) -> (Option<Vec<u8>>, Vec<Vec<u8>>) {
        let period = period.max(1);
        let e = now / period;
        let expiry = Duration::from_secs(period.saturating_mul(u64::from(keep) + 2));
        let mut wanted: Vec<u64> = vec![e];
        if now % period >= period - period / 10 {
            wanted.push(e + 1);
        }
        wanted.extend((1..=u64::from(keep)).filter_map(|i| e.checked_sub(i)));
        let mut current = None;
        let mut others = Vec::new();
        for epoch in wanted {
            let known = self.known().get(&(period, epoch)).cloned();
            let key = match known {
                Some(k) => Some(k),
                // Past periods' keys are only read: made now, they would
                // open nothing.
                None => self
                    .ticket_key(epoch, expiry, epoch >= e)
                    .await
                    .inspect(|k| {
                        let mut m = self.known();
                        m.retain(|&(p, old), _| p != period || old + u64::from(keep) >= e);
                        m.insert((period, epoch), k.clone());
                    }),
            };
            match key {
                Some(k) if epoch == e => current = Some(k),
                Some(k) => others.push(k),
                None => {}
            }
        }
        (current, others)
    }

    /// The ticket keys a server of the fleet uses at `now` (seconds since
    /// 1970): the sealing key first (see [`crate::ssl::TicketKeys::Redis`]).
    /// For tests of rotation without waiting for it.
    #[doc(hidden)]
    pub async fn ticket_keys_at(&self, now: u64, rotate: Duration, keep: u32) -> Vec<Vec<u8>> {
        let (current, mut keys) = self.ticket_keys(now, rotate.as_secs(), keep).await;
        if let Some(k) = current {
            keys.insert(0, k);
        }
        keys
    }

    fn known(&self) -> std::sync::MutexGuard<'_, HashMap<(u64, u64), Vec<u8>>> {
        self.0.known.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl SessionCacheApi for RedisSessionCache {
    fn name(&self) -> &str {
        "wassl_redis_session_cache"
    }

    fn update<'a>(
        &'a self,
        key: &'a [u8],
        value: &'a [u8],
        lifetime: Duration,
    ) -> CacheFuture<'a, bool> {
        Box::pin(async move {
            let name = self.name("session", key);
            let Some(sealed) = self.0.sealer.seal(&name, value) else {
                return false;
            };
            let mut cmd = redis::cmd("SET");
            cmd.arg(&name)
                .arg(sealed)
                .arg("PX")
                .arg(lifetime.as_millis().clamp(1, u64::MAX as u128) as u64);
            self.run::<()>(&cmd).await.is_some()
        })
    }

    fn lookup<'a>(&'a self, key: &'a [u8]) -> CacheFuture<'a, Option<Vec<u8>>> {
        Box::pin(async move {
            let name = self.name("session", key);
            self.found(&name, redis::cmd("GET").arg(&name)).await
        })
    }

    fn take<'a>(&'a self, key: &'a [u8]) -> CacheFuture<'a, Option<Vec<u8>>> {
        Box::pin(async move {
            let name = self.name("session", key);
            self.found(&name, redis::cmd("GETDEL").arg(&name)).await
        })
    }
}

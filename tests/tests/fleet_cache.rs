//! The fleet's session cache against a real `redis-server`: two caches (two
//! nodes) share sessions, a session is sealed under the fleet's secret,
//! single use holds across nodes, lifetimes expire, an outage costs lookups
//! (answered at once, never stalled) and ends by itself, and the fleet's
//! ticket keys rotate the same on every node.

use std::time::{Duration, Instant};

use wassl::ssl::{RedisConfig, RedisSessionCache, SessionCacheApi};
use wassl_tests::{skip_interop, RedisServer};

const SECRET: &[u8] = b"a fleet secret of thirty-two b..";

fn node(redis: &RedisServer, secret: &[u8]) -> RedisSessionCache {
    RedisSessionCache::new(RedisConfig::new(redis.url(), secret)).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_share_sealed_single_use_sessions_and_survive_an_outage() {
    if skip_interop() {
        return;
    }
    let mut redis = RedisServer::new();
    let (a, b) = (node(&redis, SECRET), node(&redis, SECRET));
    let day = Duration::from_secs(86400);

    assert!(a.update(b"session id 1", b"resumption secret", day).await);
    assert_eq!(
        b.lookup(b"session id 1").await.as_deref(),
        Some(&b"resumption secret"[..])
    );
    assert_eq!(
        b.lookup(b"session id 1").await.as_deref(),
        Some(&b"resumption secret"[..]),
        "lookup keeps it"
    );
    // Single use across the fleet: one node takes it, the other finds nothing.
    assert!(a.update(b"ticket 1", b"ticket state", day).await);
    assert_eq!(
        b.take(b"ticket 1").await.as_deref(),
        Some(&b"ticket state"[..])
    );
    assert_eq!(a.take(b"ticket 1").await, None);
    assert_eq!(a.lookup(b"ticket 1").await, None);

    // Another fleet's secret reads nothing of this one's.
    let stranger = node(&redis, b"another fleet's secret, 32 bytes");
    assert_eq!(stranger.lookup(b"session id 1").await, None);
    assert!(
        RedisSessionCache::new(RedisConfig::new(redis.url(), &b"short"[..])).is_err(),
        "a short secret is refused"
    );

    // Lifetimes are Redis's expiry.
    assert!(
        a.update(b"short-lived", b"v", Duration::from_millis(100))
            .await
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(b.lookup(b"short-lived").await, None);

    // An outage: every call answers "not found" quickly, none fails.
    redis.stop();
    let before = a.stats();
    for i in 0..20u8 {
        let t = Instant::now();
        assert_eq!(a.lookup(&[i]).await, None);
        assert!(!a.update(&[i], b"v", day).await);
        assert!(
            t.elapsed() < Duration::from_secs(1),
            "a call took {:?}",
            t.elapsed()
        );
    }
    assert!(
        a.stats().unavailable >= before.unavailable + 40,
        "{:?}",
        a.stats()
    );
    // Back: within the retry interval the node uses Redis again, alone.
    redis.start();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !a.update(b"after the outage", b"v", day).await {
        assert!(
            Instant::now() < deadline,
            "the node never reconnected: {:?}",
            a.stats()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The other node finds its connection gone at its next call, leaves
    // Redis alone for a second, then reconnects.
    while b.lookup(b"after the outage").await.is_none() {
        assert!(
            Instant::now() < deadline,
            "the other node never reconnected: {:?}",
            b.stats()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(a.stats().hits + b.stats().hits >= 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fleets_ticket_keys_rotate_alike_on_every_node() {
    if skip_interop() {
        return;
    }
    let redis = RedisServer::new();
    let (a, b) = (node(&redis, SECRET), node(&redis, SECRET));
    let rotate = Duration::from_secs(100);
    // Seconds since 1970, early in a period (no next key yet).
    let t = 1_800_000_000 / 100 * 100 + 5;
    let at_a = a.ticket_keys_at(t, rotate, 1).await;
    let at_b = b.ticket_keys_at(t, rotate, 1).await;
    assert_eq!(at_a.len(), 1, "no older key exists yet");
    assert_eq!(at_a, at_b, "both nodes seal with the same key");
    // One rotation later: a new key seals, the old one still opens.
    let next = b.ticket_keys_at(t + 100, rotate, 1).await;
    assert_eq!(next.len(), 2);
    assert_ne!(next[0], at_a[0]);
    assert_eq!(next[1], at_a[0]);
    assert_eq!(a.ticket_keys_at(t + 100, rotate, 1).await, next);
    // Two rotations later the first key is gone: its tickets do not open.
    let later = a.ticket_keys_at(t + 200, rotate, 1).await;
    assert_eq!(later[1], next[0]);
    assert!(!later.contains(&at_a[0]));
    // Near a period's end the next key is known (opening only), so a node
    // whose clock runs ahead issues tickets the others already open.
    let end = a.ticket_keys_at(t + 290, rotate, 1).await;
    assert_eq!(end[0], later[0], "the current key still seals");
    assert_eq!(end.len(), 3);
    assert_eq!(b.ticket_keys_at(t + 300, rotate, 1).await[0], end[1]);
    // What Redis holds is sealed: no key appears in it.
    assert!(redis.dbsize() >= 3);
}

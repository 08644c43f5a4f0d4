//! The keys of stateless tickets (`session_tickets, stateless`) and how
//! they rotate: the current key seals new tickets, the previous ones still
//! open tickets issued before a rotation, and a ticket older than every kept
//! key is refused (a full handshake). Each connection's sandbox is given the
//! keys in force when it is made.
//!
//! Sources: the process's random keys (the default), a file the operator
//! rotates (nginx's `ssl_session_ticket_key`), a fleet's keys in Redis
//! (every node agrees, keys are made there per period), or OTP's
//! `stateless_tickets_seed` (one fixed key).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::Reason;

/// `{ticket_keys, Keys}` (server, with stateless tickets): where the keys
/// come from. wassl's option; OTP has only `stateless_tickets_seed`.
#[derive(Clone)]
pub enum TicketKeys {
    /// Random keys of this process, a new one every `rotate`, the `keep`
    /// before it still opening tickets. The default: hourly, two kept (a
    /// ticket's lifetime is two hours).
    Process {
        /// How long a key seals new tickets.
        rotate: Duration,
        /// Keys kept after they stop sealing.
        keep: u32,
    },
    /// A file of keys, one per line in hex (64 digits: 32 bytes), the
    /// first sealing, all opening; `#` starts a comment. Read again when it
    /// changes: the operator rotates by writing a new first line and
    /// dropping the last.
    File(PathBuf),
    /// The fleet's keys in Redis, a new one every `rotate` made by the
    /// first node that needs it, `keep` kept. Redis unreachable: the keys
    /// already known, else this process's own (tickets then open on this
    /// node only).
    #[cfg(feature = "redis")]
    Redis {
        /// The store (its connection and the fleet's secret).
        cache: super::RedisSessionCache,
        /// How long a key seals new tickets.
        rotate: Duration,
        /// Keys kept after they stop sealing.
        keep: u32,
    },
}

impl Default for TicketKeys {
    fn default() -> TicketKeys {
        TicketKeys::Process {
            rotate: Duration::from_secs(3600),
            keep: 2,
        }
    }
}

impl std::fmt::Debug for TicketKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.term())
    }
}

impl PartialEq for TicketKeys {
    fn eq(&self, other: &Self) -> bool {
        self.term() == other.term()
    }
}

impl Eq for TicketKeys {}

/// Periods are whole seconds: nodes count them from the same origin.
fn period_secs(rotate: Duration) -> u64 {
    rotate.as_secs().max(1)
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl TicketKeys {
    /// The option as an Erlang term (for `getopts` and errors).
    pub(crate) fn term(&self) -> String {
        match self {
            TicketKeys::Process { rotate, keep } => {
                format!("{{process,{},{keep}}}", period_secs(*rotate))
            }
            TicketKeys::File(p) => format!("{{file,{:?}}}", p.display().to_string()),
            #[cfg(feature = "redis")]
            TicketKeys::Redis { rotate, keep, .. } => {
                format!("{{redis,{},{keep}}}", period_secs(*rotate))
            }
        }
    }

    /// Checks the source can give keys now (`listen` reports what cannot).
    pub(crate) fn check(&self) -> Result<(), Reason> {
        match self {
            TicketKeys::File(p) => file_keys(p).map(drop),
            _ => Ok(()),
        }
    }

    /// The keys in force: the sealing one first.
    pub(crate) async fn current(&self) -> Result<Vec<Vec<u8>>, Reason> {
        match self {
            TicketKeys::Process { rotate, keep } => {
                let p = period_secs(*rotate);
                let e = now_secs() / p;
                (0..=u64::from(*keep))
                    .filter_map(|i| e.checked_sub(i))
                    .map(|epoch| process_key(p, epoch))
                    .collect()
            }
            TicketKeys::File(p) => file_keys(p),
            #[cfg(feature = "redis")]
            TicketKeys::Redis {
                cache,
                rotate,
                keep,
            } => Ok(redis_keys(cache, period_secs(*rotate), *keep).await),
        }
    }
}

/// The stateless ticket key from OTP's `stateless_tickets_seed`: HKDF-SHA256
/// of the seed, so every server given the same seed (another process, a
/// restart) opens the tickets the others issued.
pub(crate) fn key_from_seed(seed: &[u8]) -> Vec<u8> {
    use crate::provider::hkdf::{Salt, HKDF_SHA256};
    let prk = Salt::new(HKDF_SHA256, b"wassl stateless_tickets_seed").extract(seed);
    let mut key = vec![0u8; 32];
    // Expanding 32 bytes from SHA-256 cannot fail.
    prk.expand(&[b"ticket key"], crate::kdf::Len(32))
        .and_then(|okm| okm.fill(&mut key))
        .expect("HKDF-SHA256 expands to 32 bytes");
    key
}

/// This process's random key of one period. A system without randomness is
/// an error for the socket being made, not a panic.
fn process_key(period: u64, epoch: u64) -> Result<Vec<u8>, Reason> {
    use crate::provider::rand::SecureRandom;
    /// Keys by (period, epoch).
    type Keys = HashMap<(u64, u64), Vec<u8>>;
    static KEYS: Mutex<Option<Keys>> = Mutex::new(None);
    let mut keys = KEYS.lock().unwrap_or_else(|e| e.into_inner());
    let keys = keys.get_or_insert_with(HashMap::new);
    if let Some(k) = keys.get(&(period, epoch)) {
        return Ok(k.clone());
    }
    let mut k = vec![0u8; 32];
    crate::provider::rand::SystemRandom::new()
        .fill(&mut k)
        .map_err(|_| {
            Reason::options(
                "session_tickets",
                "stateless",
                "the system gave no randomness for the ticket key",
            )
        })?;
    // Forget what no setting still opens (a day of hourly keys is kept).
    let oldest = epoch.saturating_sub(24 * 3600 / period + 1);
    keys.retain(|&(_, e), _| e >= oldest);
    keys.insert((period, epoch), k.clone());
    Ok(k)
}

/// A key file's keys, read again when the file changes (looked at no more
/// than once a second). A file that turns bad keeps the keys read before.
fn file_keys(path: &Path) -> Result<Vec<Vec<u8>>, Reason> {
    struct Read {
        modified: Option<SystemTime>,
        looked: Instant,
        keys: Vec<Vec<u8>>,
    }
    static FILES: Mutex<Option<HashMap<PathBuf, Read>>> = Mutex::new(None);
    let mut files = FILES.lock().unwrap_or_else(|e| e.into_inner());
    let files = files.get_or_insert_with(HashMap::new);
    if let Some(r) = files.get(path) {
        if r.looked.elapsed() < Duration::from_secs(1) {
            return Ok(r.keys.clone());
        }
    }
    let modified = std::fs::metadata(path).and_then(|m| m.modified()).ok();
    match files.get_mut(path) {
        Some(r) if r.modified == modified && modified.is_some() => {
            r.looked = Instant::now();
            return Ok(r.keys.clone());
        }
        _ => {}
    }
    let bad = |why: String| {
        Reason::options(
            "ticket_keys",
            format!("{{file,{:?}}}", path.display().to_string()),
            why,
        )
    };
    let read = std::fs::read_to_string(path)
        .map_err(|e| bad(format!("the key file cannot be read: {e}")))
        .and_then(|text| parse_key_file(&text).map_err(bad));
    match (read, files.get_mut(path)) {
        (Ok(keys), _) => {
            files.insert(
                path.to_path_buf(),
                Read {
                    modified,
                    looked: Instant::now(),
                    keys: keys.clone(),
                },
            );
            Ok(keys)
        }
        (Err(e), Some(r)) => {
            tracing::warn!(file = %path.display(), error = %e, "ticket key file not read again: the keys read before stay");
            r.looked = Instant::now();
            Ok(r.keys.clone())
        }
        (Err(e), None) => Err(e),
    }
}

/// One key per line in hex, `#` comments and blank lines skipped.
fn parse_key_file(text: &str) -> Result<Vec<Vec<u8>>, String> {
    let mut keys = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or_default().trim();
        if line.is_empty() {
            continue;
        }
        let hex = |c: u8| (c as char).to_digit(16);
        let bytes = line.as_bytes();
        if bytes.len() != 64 || bytes.iter().any(|&c| hex(c).is_none()) {
            return Err(format!(
                "line {} is not a key: 64 hex digits (32 bytes), e.g. from `openssl rand -hex 32`",
                n + 1
            ));
        }
        keys.push(
            bytes
                .chunks(2)
                .map(|p| (hex(p[0]).unwrap_or(0) * 16 + hex(p[1]).unwrap_or(0)) as u8)
                .collect(),
        );
    }
    if keys.is_empty() {
        return Err("the key file holds no key".into());
    }
    Ok(keys)
}

/// The fleet's keys from Redis; when Redis cannot give the current one,
/// this process's own seals (tickets then open on this node only).
#[cfg(feature = "redis")]
async fn redis_keys(cache: &super::RedisSessionCache, period: u64, keep: u32) -> Vec<Vec<u8>> {
    let (current, mut keys) = cache.ticket_keys(now_secs(), period, keep).await;
    let current = current.or_else(|| process_key(period, now_secs() / period).ok());
    if let Some(k) = current {
        keys.insert(0, k);
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block<T>(f: impl std::future::Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn process_keys_rotate_and_keep_the_previous_ones() {
        let keys = block(TicketKeys::default().current()).unwrap();
        assert_eq!(keys.len(), 3, "the current key and two kept");
        assert!(keys.iter().all(|k| k.len() == 32));
        assert_ne!(keys[0], keys[1]);
        assert_eq!(
            keys,
            block(TicketKeys::default().current()).unwrap(),
            "one per period"
        );
        // The key of a period is the same however it is reached.
        assert_eq!(process_key(7, 100).unwrap(), process_key(7, 100).unwrap());
        assert_ne!(process_key(7, 100).unwrap(), process_key(7, 101).unwrap());
        assert_eq!(key_from_seed(b"s"), key_from_seed(b"s"));
        assert_ne!(key_from_seed(b"s"), key_from_seed(b"t"));
    }

    #[test]
    fn key_files_are_parsed_strictly_and_read_again_when_they_change() {
        let k1 = "11".repeat(32);
        let k2 = "22".repeat(32);
        assert_eq!(
            parse_key_file(&format!("# rotated hourly\n{k1}\n\n{k2}  # old\n")).unwrap(),
            vec![vec![0x11; 32], vec![0x22; 32]]
        );
        assert!(parse_key_file("").unwrap_err().contains("no key"));
        assert!(parse_key_file(&k1[..62]).unwrap_err().contains("line 1"));
        assert!(parse_key_file(&format!("{k1}\nzz{}", &k2[2..]))
            .unwrap_err()
            .contains("line 2"));

        let dir = std::env::temp_dir().join(format!("wassl-ticket-keys-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("keys");
        let source = TicketKeys::File(path.clone());
        assert!(source.check().is_err(), "a missing file is an option error");
        std::fs::write(&path, &k1).unwrap();
        assert_eq!(block(source.current()).unwrap(), vec![vec![0x11; 32]]);
        // Rotated: read again once the file changed (mtime) and a second passed.
        std::thread::sleep(Duration::from_millis(1100));
        std::fs::write(&path, format!("{k2}\n{k1}\n")).unwrap();
        let f = std::fs::File::options().write(true).open(&path).unwrap();
        f.set_modified(SystemTime::now() + Duration::from_secs(5))
            .unwrap();
        assert_eq!(
            block(source.current()).unwrap(),
            vec![vec![0x22; 32], vec![0x11; 32]]
        );
        // Broken later: the keys read before stay.
        std::thread::sleep(Duration::from_millis(1100));
        std::fs::write(&path, "not a key").unwrap();
        f.set_modified(SystemTime::now() + Duration::from_secs(10))
            .unwrap();
        assert_eq!(block(source.current()).unwrap().len(), 2);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

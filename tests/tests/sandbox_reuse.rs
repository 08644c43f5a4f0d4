//! A sandbox slot given back to the pool keeps nothing of its connection:
//! plaintext and certificates that passed through one connection's
//! sandbox are in the pool's memory while it lives (the private key is
//! not), gone once the slot is released (wasmtime resets
//! the kept-resident pages in place, `Limits::keep_resident`), and absent
//! while the next connection uses the slot. The scan reads this process's
//! own memory (`sandbox_ranges` says how it finds the linear memories). A
//! test binary of its own: the pool is per process.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use wassl::process;
use wassl::ssl::{self, SslOption};
use wassl_tests::{pki_client, Pki};

/// The pool's linear memories, from `/proc/self/maps`. The pool reserves
/// one address range for every slot; a slot in use is readable from its
/// start, the rest of the range has no access. So: every writable mapping
/// between the first and the last no-access mapping of 1 GiB or more, and
/// before the first one the mappings that run into it (slot 0, when it is
/// in use; at most `Limits::max_memory`). Nothing after the last guard: a
/// slot's tail is its guard.
fn sandbox_ranges() -> Vec<(u64, u64)> {
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    let rows: Vec<(u64, u64, bool, bool)> = maps
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let (range, perms) = (f.next()?, f.next()?);
            let (a, b) = range.split_once('-')?;
            let (a, b) = (
                u64::from_str_radix(a, 16).ok()?,
                u64::from_str_radix(b, 16).ok()?,
            );
            let guard = perms.starts_with("---") && b - a >= 1 << 30;
            Some((a, b, perms.starts_with("rw"), guard))
        })
        .collect();
    let guards: Vec<usize> = (0..rows.len()).filter(|&i| rows[i].3).collect();
    let (Some(&first), Some(&last)) = (guards.first(), guards.last()) else {
        return Vec::new();
    };
    let mut start = first;
    let max_memory = wassl::runtime::Limits::default().max_memory as u64;
    while start > 0
        && rows[start - 1].1 == rows[start].0
        && rows[first].0 - rows[start - 1].0 <= max_memory
    {
        start -= 1;
    }
    rows[start..last]
        .iter()
        .filter(|r| r.2)
        .map(|r| (r.0, r.1))
        .collect()
}

/// Where `needle` occurs in the pool's linear memories, and how many
/// bytes were scanned.
fn find_in_sandboxes(needle: &[u8]) -> (Vec<u64>, u64) {
    let mem = File::open("/proc/self/mem").unwrap();
    let (mut found, mut scanned) = (Vec::new(), 0);
    for (start, end) in sandbox_ranges() {
        let mut buf = vec![0u8; (end - start) as usize];
        if mem.read_exact_at(&mut buf, start).is_err() {
            continue;
        }
        scanned += end - start;
        let at = buf.windows(needle.len()).enumerate();
        found.extend(
            at.filter(|(_, w)| *w == needle)
                .map(|(i, _)| start + i as u64),
        );
    }
    (found, scanned)
}

/// A marker that appears nowhere in the binary.
fn marker() -> Vec<u8> {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("slot-secret:{:032x}:{:08x}", t, std::process::id()).into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_released_slot_holds_none_of_its_connections_plaintext() {
    let pki = Pki::new();
    // Records stay in the sandboxes (no hand-off to the host's record
    // layer), so the plaintext passes through both ends' linear memory.
    let keep = || vec![SslOption::RecordOffload(false)];
    let opts = [
        vec![
            SslOption::Certfile(pki.server.certfile.clone()),
            SslOption::Keyfile(pki.server.keyfile.clone()),
            SslOption::Active(ssl::Active::False),
        ],
        keep(),
    ]
    .concat();
    let (port_tx, port_rx) = oneshot::channel();
    let (got_tx, mut got_rx) = mpsc::unbounded_channel::<Vec<u8>>();
    let (close_tx, mut close_rx) = mpsc::unbounded_channel::<()>();
    process::spawn(async move {
        let l = ssl::listen(0, opts).await.expect("listen");
        port_tx
            .send(ssl::sockname(&l).await.unwrap().port())
            .unwrap();
        for _ in 0..2 {
            let t = ssl::transport_accept(&l, 20_000).await.expect("accept");
            let s = ssl::handshake(&t, 10_000).await.expect("handshake");
            let data = ssl::recv(&s, 0, 10_000).await.expect("recv");
            got_tx.send(data.into_bytes()).unwrap();
            close_rx.recv().await;
            ssl::close(&s).await.unwrap();
        }
    });
    let port = port_rx.await.unwrap();
    process::run(async {
        let secret = marker();
        let a = pki_client(&pki, port, keep()).await;
        ssl::send(&a, &secret).await.unwrap();
        assert_eq!(got_rx.recv().await.unwrap(), secret);
        // The scan sees live sandbox memory: without this the test below
        // could pass by scanning nothing.
        // What this connection leaves in sandbox memory while it lives:
        // its plaintext and the server's certificate.
        let secrets = [
            ("plaintext", &secret),
            ("certificate", &pki.server.cert_der),
        ];
        let mut live = Vec::new();
        for (what, needle) in secrets {
            let (at, bytes) = find_in_sandboxes(needle);
            eprintln!(
                "live: {} copies of the {what} in {bytes} bytes of sandbox memory",
                at.len()
            );
            assert!(bytes > 0, "no sandbox memory found in /proc/self/maps");
            assert!(!at.is_empty(), "the {what} is not in any live sandbox");
            live.extend(at);
        }
        // The private key does not stay in sandbox memory, as DER or as
        // PEM: the engine hands it to the host, which keeps it and signs.
        let pem = std::fs::read_to_string(&pki.server.keyfile).unwrap();
        let pem_line = pem.lines().nth(1).unwrap().as_bytes();
        for key in [&pki.server.key_der[..], pem_line] {
            let (at, _) = find_in_sandboxes(key);
            assert_eq!(at, [], "the server's private key is in sandbox memory");
        }

        close_tx.send(()).unwrap();
        ssl::close(&a).await.unwrap();
        // Both sockets' tasks give their slots back just after close.
        let left = || {
            let mut at = Vec::new();
            for (what, needle) in secrets {
                at.extend(find_in_sandboxes(needle).0.into_iter().map(|a| (what, a)));
            }
            at
        };
        let mut held = left();
        for _ in 0..100 {
            if held.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
            held = left();
        }
        assert_eq!(held, [], "released slots still hold these");
        // Gone because the pages were reset in place, not because the scan
        // stopped reading them.
        let ranges = sandbox_ranges();
        let mapped = |a: u64| ranges.iter().any(|&(s, e)| (s..e).contains(&a));
        assert!(
            live.iter().all(|&a| mapped(a)),
            "a released slot was unmapped"
        );

        // The next connection takes a released slot: still nothing.
        let b = pki_client(&pki, port, keep()).await;
        ssl::send(&b, b"the next connection").await.unwrap();
        assert_eq!(got_rx.recv().await.unwrap(), b"the next connection");
        let (reused, _) = find_in_sandboxes(&secret);
        assert_eq!(reused, [], "a reused slot holds the previous plaintext");
        // And it is a reused slot: its plaintext lies in the same linear
        // memory as the first's (slots are GiBs apart).
        let (next, _) = find_in_sandboxes(b"the next connection");
        let same_slot = next
            .iter()
            .any(|&n| live.iter().any(|&l| n.abs_diff(l) < 1 << 30));
        assert!(same_slot, "the next connection did not reuse a slot");
        close_tx.send(()).unwrap();
        ssl::close(&b).await.unwrap();
    })
    .await;
}

//! The fuzz targets of `fuzz/`, run by the test command on stable Rust:
//! every input kept in `fuzz/regressions/<target>/` (what libFuzzer found,
//! kept for ever), real handshakes and hand-made inputs, and
//! a fixed number of deterministic mutations of each. A long run is
//! `cargo +nightly fuzz run <target>` in `fuzz/` (README: Fuzzing).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

type Target = fn(&[u8]);

/// xorshift64*: the same mutations on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// One mutation as libFuzzer's would make it: bits, bytes, lengths,
/// slices removed, repeated or inserted.
fn mutate(seed: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut v = seed.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(v.len());
        match rng.below(7) {
            0 if !v.is_empty() => v[at] ^= 1 << rng.below(8),
            1 if !v.is_empty() => v[at] = [0, 0xff, 0x7f, 0x80, 1][rng.below(5)],
            2 if at + 1 < v.len() => {
                let big = [0xff, 0xff, 0x40, 0x00, 0x00, 0x00];
                let k = rng.below(3) * 2;
                v[at] = big[k];
                v[at + 1] = big[k + 1];
            }
            3 => v.truncate(at),
            4 if !v.is_empty() => {
                let end = (at + 1 + rng.below(64)).min(v.len());
                v.drain(at..end);
            }
            5 if !v.is_empty() => {
                let end = (at + 1 + rng.below(64)).min(v.len());
                let copy = v[at..end].to_vec();
                v.splice(at..at, copy);
            }
            _ => {
                let n = rng.below(16);
                let bytes: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
                v.splice(at..at, bytes);
            }
        }
    }
    v
}

fn corpus(target: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/regressions")
        .join(target);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    entries
        .filter_map(|e| std::fs::read(e.ok()?.path()).ok())
        .collect()
}

/// Run `target` on its corpus, `seeds`, and `mutations` mutants; a panic
/// fails the test with the input in hex (keep it under fuzz/regressions).
fn replay(name: &str, target: Target, seeds: Vec<Vec<u8>>, mutations: usize) -> usize {
    let mut inputs = corpus(name);
    let saved = inputs.len();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ name.len() as u64);
    for i in 0..mutations {
        let seed = &seeds[i % seeds.len()];
        inputs.push(mutate(seed, &mut rng));
    }
    inputs.extend(seeds);
    let mut failures = Vec::new();
    for input in &inputs {
        if catch_unwind(AssertUnwindSafe(|| target(input))).is_err() {
            let hex: String = input.iter().map(|b| format!("{b:02x}")).collect();
            failures.push(hex);
        }
    }
    assert!(
        failures.is_empty(),
        "{name}: {} of {} inputs failed; the first: {}",
        failures.len(),
        inputs.len(),
        failures[0]
    );
    saved
}

fn engine_seeds(target: &str) -> Vec<Vec<u8>> {
    let seeds: Vec<Vec<u8>> = wassl_guest::engine::fuzzing::seeds()
        .into_iter()
        .filter(|(t, _)| *t == target)
        .map(|(_, s)| s)
        .collect();
    assert!(
        seeds.len() >= 2,
        "real handshakes of both versions for {target}"
    );
    // The same flights cut into small pieces: boundaries inside records.
    let small: Vec<Vec<u8>> = seeds
        .iter()
        .map(|s| [&[0x04][..], &s[1..]].concat())
        .collect();
    [seeds, small].concat()
}

#[test]
fn engine_server_takes_mutated_client_flights() {
    replay(
        "engine_server",
        wassl_guest::engine::fuzzing::server,
        engine_seeds("server"),
        400,
    );
}

#[test]
fn engine_client_takes_mutated_server_flights() {
    replay(
        "engine_client",
        wassl_guest::engine::fuzzing::client,
        engine_seeds("client"),
        400,
    );
}

#[test]
fn paused_engine_server_takes_mutated_client_flights() {
    replay(
        "engine_paused_server",
        wassl_guest::engine::fuzzing::paused_server,
        engine_seeds("paused_server"),
        200,
    );
}

/// Record-layer programs: each suite, application data both ways, key
/// updates, odd records and pieces (see `wassl::fuzzing::record_layer`).
fn record_layer_seeds() -> Vec<Vec<u8>> {
    let mut seeds = Vec::new();
    for pick in [0u8, 1, 2, 4, 5, 6] {
        seeds.push(vec![
            pick, 0, 5, b'h', b'e', b'l', b'l', b'o', 3, 7, 4, 1, 0, 3, b'm', b'o', b'r', 5, 2,
            b'h', b'i', 6, 1, 3, 255,
        ]);
        // An inner plaintext of type 23 with padding, then a bare alert.
        seeds.push(vec![
            pick, 1, 0, 6, b'x', b'y', 23, 0, 0, 0, 1, 0, 3, 21, 1, 0, 3, 255,
        ]);
        seeds.push(vec![
            pick, 0, 3, 1, 2, 3, 7, 0, 40, 2, 4, 22, 3, 3, 0, 3, 255,
        ]);
    }
    seeds
}

#[test]
fn host_record_layer_takes_mutated_record_streams() {
    replay(
        "record_layer",
        wassl::fuzzing::record_layer,
        record_layer_seeds(),
        6000,
    );
}

#[test]
fn an_honest_peer_record_stream_comes_out_whole() {
    // The oracle itself: a program with only honest steps passes, and the
    // layer's refusal of an honest stream would fail it (checked by a
    // program that flips a bit and must not be called honest).
    for seed in record_layer_seeds() {
        wassl::fuzzing::record_layer(&seed);
    }
    let flipped = [0u8, 0, 3, b'a', b'b', b'c', 7, 0, 60, 3, 255];
    wassl::fuzzing::record_layer(&flipped);
}

/// Differential programs (see `wassl::fuzzing::record_differential`):
/// each suite, each role; data, a KeyUpdate and its answer, an odd inner plaintext,
/// an oversized one, a flipped bit, close_notify.
fn differential_seeds() -> Vec<Vec<u8>> {
    let mut seeds = Vec::new();
    // 0..6 our layer as the server, 0x80.. as the client.
    for pick in (0u8..6).chain(0x80..0x86) {
        seeds.push(vec![
            pick, 0, 5, b'h', b'e', b'l', b'l', b'o', 3, 20, 4, 1, 3, 255, 6, 0, 2, b'a', b'b', 5,
        ]);
        seeds.push(vec![
            pick, 1, 0, 6, b'x', b'y', 23, 0, 0, 0, 3, 30, 1, 0, 3, 21, 1, 0,
        ]);
        // Inner plaintexts of 2^14 + 1 and 2^14 + 2 bytes (TLS 1.3 allows the first).
        let mut big = vec![pick, 1, 0x40, 0x01];
        big.extend(std::iter::repeat_n(b'z', 0x4000));
        big.push(23);
        big.extend([3, 255, 1, 0x40, 0x02]);
        big.extend(std::iter::repeat_n(b'z', 0x4000));
        big.extend([23, 0]);
        seeds.push(big);
        seeds.push(vec![pick, 0, 3, 1, 2, 3, 7, 0, 60, 3, 255, 0, 1, b'q']);
        // Handshake messages after the handshake: a NewSessionTicket (a
        // client takes it, a server refuses it), a ClientHello cut short.
        let ticket = [4, 0, 0, 14, 0, 0, 0, 9, 0, 0, 0, 1, 0, 0, 1, 0xaa, 0, 0];
        let inner = [&ticket[..], &[22]].concat();
        let mut nst = vec![pick, 1, 0, inner.len() as u8];
        nst.extend(&inner);
        nst.extend([3, 255, 0, 2, b'o', b'k']);
        seeds.push(nst);
        seeds.push(vec![pick, 1, 0, 5, 1, 0, 0, 0, 22, 3, 255]);
        seeds.push(vec![pick, 1, 0, 5, 22, 1, 0, 0, 0, 3, 255]);
    }
    seeds
}

#[test]
fn host_record_layer_and_rustls_agree_on_the_same_bytes() {
    replay(
        "record_differential",
        wassl::fuzzing::record_differential,
        differential_seeds(),
        1500,
    );
}

fn packet_seeds() -> Vec<Vec<u8>> {
    vec![
        [&[1u8, 0][..], &[5, b'h', b'e', b'l', b'l', b'o']].concat(),
        [&[2u8, 4][..], &[0, 3, b'a', b'b', b'c', 0, 200]].concat(),
        [&[4u8, 0][..], b"line one\nline two\npartial"].concat(),
        [
            &[5u8, 0][..],
            &[0x30, 0x82, 0x00, 0x03, 1, 2, 3, 0x04, 0x81],
        ]
        .concat(),
        [
            &[10u8, 0][..],
            b"GET /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc",
        ]
        .concat(),
        [&[11u8, 0][..], b"X-Long: a\r\n b\r\n\r\n"].concat(),
        [&[9u8, 2][..], &[3, 0, 0, 7, 1, 2, 3]].concat(),
        [&[7u8, 0][..], &[0x80, 0, 0, 4, 1, 2, 3, 4]].concat(),
        [&[8u8, 0][..], &[1, 1, 0, 1, 0, 2, 0, 0, 7, 7]].concat(),
        [&[6u8, 0][..], b"GIOP\x01\x00\x01\x00\x00\x00\x00\x02ab"].concat(),
    ]
}

#[test]
fn packet_framing_takes_mutated_packets() {
    replay("packet", wassl::fuzzing::packet, packet_seeds(), 6000);
}

fn machine_seeds() -> Vec<Vec<u8>> {
    vec![
        vec![0, 0, 3, b'a', b'b', b'c', 4, 1, 0, 3, 0, 0, 2, 0, 3, 0, 0],
        vec![1, 3, 0, 0, 0, 2, 0, 2, 0, 6, 0, 4, 2, 0],
        vec![0, 4, 3, 5, 0, 3, 1, b'x', 1, 2, b'y', b'z', 9, 0, 3, 0],
        vec![
            3, 0, 8, b'G', b'E', b'T', b' ', b'/', b' ', b'H', b'T', 4, 1, 0, 11, 0,
        ],
        vec![
            128, 1, 2, b'h', b'i', 4, 0, 0, 3, 0, 10, 2, b'o', b'k', 8, 9, 1, 2, 3,
        ],
    ]
}

#[test]
fn delivery_machine_takes_any_order_of_events() {
    replay("machine", wassl::fuzzing::machine, machine_seeds(), 6000);
}

fn imports_seeds() -> Vec<Vec<u8>> {
    // op, a (one-byte length), b (two-byte length): see wassl::fuzzing::imports.
    let op = |code: u8, a: &[u8], b: &[u8]| {
        let mut v = vec![code, a.len() as u8];
        v.extend_from_slice(a);
        v.extend_from_slice(&(b.len() as u16).to_be_bytes());
        v.extend_from_slice(b);
        v
    };
    vec![
        // A key share made, read, completed; then one invented.
        [
            op(0, &[0x00, 0x1d], &[]),
            op(8, &[], &[]),
            op(9, &[], &[9; 32]),
            op(9, &[], &[1]),
        ]
        .concat(),
        // An AEAD key made, used, dropped, used again.
        [
            op(3, &[], &[1; 16]),
            op(10, &[4; 12], b"sealed"),
            op(12, &[], &[]),
            op(10, &[4; 12], b"again"),
        ]
        .concat(),
        [
            op(2, &[2], &[0x30, 0x81, 0x87]),
            op(11, &[], b"message"),
            op(7, b"key", b"sig"),
        ]
        .concat(),
        [
            op(6, &[0xff], b"seed"),
            op(4, &[1], &[0; 300]),
            op(5, b"key", b"msg"),
        ]
        .concat(),
        [
            op(13, b"localhost", &[0x30, 0x03, 0x02, 0x01, 0x00]),
            op(14, b"id", &[5; 100]),
        ]
        .concat(),
        [
            op(15, b"CLIENT_RANDOM", &[1; 32]),
            op(15, b"x", &[]),
            op(1, &[0], &[4; 65]),
        ]
        .concat(),
    ]
}

#[test]
fn host_imports_take_what_a_hostile_guest_passes() {
    replay("imports", wassl::fuzzing::imports, imports_seeds(), 3000);
}

/// Every target's seeds as files, a starting corpus for a long libFuzzer
/// run: `WASSL_FUZZ_SEEDS=DIR cargo test -p wassl-tests --test fuzz_corpus
/// -- --ignored write_seeds` writes `DIR/<target>/<n>` (README: Fuzzing).
#[test]
#[ignore = "writes files; run by hand before a long fuzzing run"]
fn write_seeds() {
    let dir = std::path::PathBuf::from(
        std::env::var_os("WASSL_FUZZ_SEEDS").expect("WASSL_FUZZ_SEEDS=DIR"),
    );
    let all: [(&str, Vec<Vec<u8>>); 8] = [
        ("engine_server", engine_seeds("server")),
        ("engine_client", engine_seeds("client")),
        ("engine_paused_server", engine_seeds("paused_server")),
        ("record_layer", record_layer_seeds()),
        ("record_differential", differential_seeds()),
        ("packet", packet_seeds()),
        ("machine", machine_seeds()),
        ("imports", imports_seeds()),
    ];
    for (target, seeds) in all {
        let sub = dir.join(target);
        std::fs::create_dir_all(&sub).unwrap();
        for (i, seed) in seeds.iter().enumerate() {
            std::fs::write(sub.join(i.to_string()), seed).unwrap();
        }
        assert!(!seeds.is_empty(), "{target} has seeds");
    }
}

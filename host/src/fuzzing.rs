//! Fuzz entry points for the native code that reads peer bytes outside the
//! sandbox: the record layer (fuzzed hardest: it decrypts and parses what
//! the peer sends after the hand-off), `{packet, Type}` framing and the
//! connection's delivery machine. libFuzzer calls them from `fuzz/`; the
//! test command replays generated inputs through them
//! (`tests/tests/fuzz_corpus.rs`). Built with the `fuzzing` feature.

use tokio::sync::oneshot;

mod differential;
pub use differential::record_differential;

use crate::record_layer::{Handover, RecordLayer, Side, Tls12Handover};
use crate::ssl::machine::{Machine, Owner, Tell};
use crate::ssl::options::{Active, Mode, Packet, SocketOpts, SslOption};
use crate::ssl::packet::{self, Step};
use crate::ssl::{Data, Reason};

/// Takes a length-prefixed piece off `ops`: `wide` lengths are two bytes.
fn piece<'a>(ops: &mut &'a [u8], wide: bool) -> (usize, &'a [u8]) {
    let (n, rest) = match (wide, *ops) {
        (false, [n, rest @ ..]) => (usize::from(*n), rest),
        (true, [a, b, rest @ ..]) => (usize::from(u16::from_be_bytes([*a, *b])), rest),
        _ => (0, &[][..]),
    };
    let body = &rest[..n.min(rest.len())];
    *ops = &rest[body.len()..];
    (n, body)
}

/// How many records `bytes` holds (whole ones, as a layer writes them).
fn records_in(bytes: &[u8]) -> u32 {
    let (mut n, mut at) = (0, 0);
    while let Some(h) = bytes.get(at..at + 5) {
        at += 5 + usize::from(u16::from_be_bytes([h[3], h[4]]));
        n += 1;
    }
    n
}

/// A record layer and its peer, keys mirrored: TLS 1.3 or 1.2, AES-128-GCM,
/// AES-256-GCM or ChaCha20-Poly1305, as `pick` says.
fn layers(pick: u8) -> Option<(RecordLayer, RecordLayer)> {
    let i = usize::from(pick % 3);
    if pick & 4 == 0 {
        let suite = [0x1301, 0x1302, 0x1303][i];
        let len = if suite == 0x1302 { 48 } else { 32 };
        let half = |side, tx: u8, rx: u8| Handover {
            side,
            suite,
            tx_seq: 0,
            tx_secret: vec![tx; len],
            rx_seq: 0,
            rx_secret: vec![rx; len],
            exporter_secret: vec![3; len],
            pending: Vec::new(),
        };
        Some((
            RecordLayer::new(half(Side::Server, 1, 2))?,
            RecordLayer::new(half(Side::Client, 2, 1))?,
        ))
    } else {
        let suite = [0xc02b, 0xc030, 0xcca8][i];
        let half = |side| Tls12Handover {
            side,
            suite,
            tx_seq: 0,
            rx_seq: 0,
            master_secret: vec![4; 48],
            client_random: vec![5; 32],
            server_random: vec![6; 32],
            pending: Vec::new(),
        };
        Some((
            RecordLayer::tls12(half(Side::Server))?,
            RecordLayer::tls12(half(Side::Client))?,
        ))
    }
}

/// The host record layer against a peer that seals what the input says:
/// application data, KeyUpdates, records of any content, raw bytes and
/// flipped bits, delivered in pieces. When the peer only sent what a TLS
/// peer may send, everything sealed must come out in order, and what the
/// layer seals must open at the peer.
pub fn record_layer(data: &[u8]) {
    let Some((&pick, mut ops)) = data.split_first() else {
        return;
    };
    let Some((mut me, mut peer)) = layers(pick) else {
        return;
    };
    let tls13 = pick & 4 == 0;
    let (mut wire, mut sent, mut got) = (Vec::new(), Vec::new(), Vec::new());
    // Whether the peer kept to the protocol (then any error is a bug).
    let mut honest = true;
    // KeyUpdates in a row each way: past 32 without application data the
    // receiver refuses them (as rustls), which an honest peer never sends.
    let mut updates_in_a_row: u32 = 0;
    let mut mine_in_a_row: u32 = 0;
    let mut failed = false;
    // Bytes to the layer; false when it failed. What the layer answers (a
    // KeyUpdate's) goes to the peer, and the peer's answer back on the wire.
    let deliver = |me: &mut RecordLayer,
                   peer: &mut RecordLayer,
                   bytes: &[u8],
                   got: &mut Vec<u8>,
                   wire: &mut Vec<u8>,
                   mine: &mut u32,
                   honest: &mut bool| {
        match me.open(bytes) {
            Ok(o) => {
                got.extend_from_slice(&o.plaintext);
                // One KeyUpdate of ours per record answered.
                *mine += records_in(&o.output);
                *honest &= *mine <= 32;
                if !o.output.is_empty() && *honest {
                    let r = peer.open(&o.output);
                    assert!(r.is_ok(), "the peer cannot read our answer: {r:?}");
                    if let Ok(answer) = r {
                        wire.extend_from_slice(&answer.output);
                    }
                }
                true
            }
            Err(e) => {
                assert!(!*honest, "an honest peer's records were refused: {e:?}");
                assert!(e.output.len() <= 64, "an alert of {} bytes", e.output.len());
                false
            }
        }
    };
    while let Some((&op, rest)) = ops.split_first() {
        ops = rest;
        if failed {
            break;
        }
        match op % 8 {
            0 => {
                let (_, body) = piece(&mut ops, false);
                if let Ok(records) = peer.seal(body) {
                    wire.extend_from_slice(&records);
                    sent.extend_from_slice(body);
                    // Nothing to seal is no record (and no reset).
                    if !records.is_empty() {
                        updates_in_a_row = 0;
                    }
                }
            }
            1 => {
                let (_, body) = piece(&mut ops, true);
                wire.extend_from_slice(&peer.seal_raw(body));
                honest = false;
            }
            2 => {
                let (_, body) = piece(&mut ops, false);
                wire.extend_from_slice(body);
                honest &= body.is_empty();
            }
            3 => {
                let (n, _) = piece(&mut ops, false);
                let at = n.min(wire.len());
                let now: Vec<u8> = wire.drain(..at).collect();
                failed = !deliver(
                    &mut me,
                    &mut peer,
                    &now,
                    &mut got,
                    &mut wire,
                    &mut mine_in_a_row,
                    &mut honest,
                );
            }
            4 if tls13 => {
                let (n, _) = piece(&mut ops, false);
                if let Some(records) = peer.update_keys(n & 1 == 1) {
                    wire.extend_from_slice(&records);
                    updates_in_a_row += 1;
                    // rustls's limit, which the layer keeps too.
                    honest &= updates_in_a_row <= 32;
                }
            }
            5 => {
                let (_, body) = piece(&mut ops, false);
                if let Ok(records) = me.seal(body) {
                    if !records.is_empty() {
                        mine_in_a_row = 0;
                    }
                    if honest {
                        let o = peer.open(&records).expect("the peer opens our records");
                        assert_eq!(o.plaintext, body, "our records carry what was sealed");
                    }
                }
            }
            6 if tls13 => {
                let (n, _) = piece(&mut ops, false);
                if let Some(records) = me.update_keys(n & 1 == 1) {
                    mine_in_a_row += 1;
                    honest &= mine_in_a_row <= 32;
                    if honest {
                        let o = peer.open(&records).expect("the peer takes our KeyUpdate");
                        // Asked to, the peer updates its keys too and says so:
                        // a KeyUpdate of the peer's like any other.
                        wire.extend_from_slice(&o.output);
                        updates_in_a_row += records_in(&o.output);
                        honest &= updates_in_a_row <= 32;
                    }
                }
            }
            _ => {
                let (n, _) = piece(&mut ops, true);
                if let Some(b) = wire.get_mut(n / 8) {
                    *b ^= 1 << (n % 8);
                    honest = false;
                }
            }
        }
    }
    if !failed {
        // Everything left, and whatever answers that brings.
        for _ in 0..4 {
            let rest = std::mem::take(&mut wire);
            failed = !deliver(
                &mut me,
                &mut peer,
                &rest,
                &mut got,
                &mut wire,
                &mut mine_in_a_row,
                &mut honest,
            );
            if failed || wire.is_empty() {
                break;
            }
        }
    }
    if honest && !failed {
        assert_eq!(got, sent, "what the peer sealed came out, in order");
    }
    let _ = me.export(b"label", Some(b"context"), 32);
    let _ = me.close_notify();
}

/// `{packet, Type}` framing over peer bytes: every packet found uses bytes
/// that exist, lengths that are announced are longer than what is there,
/// and a length-prefixed body comes back as it was framed.
pub fn packet(data: &[u8]) {
    let [kind, size, body @ ..] = data else {
        return;
    };
    let types = [
        Packet::Raw,
        Packet::Len(1),
        Packet::Len(2),
        Packet::Len(4),
        Packet::Line,
        Packet::Asn1,
        Packet::Cdr,
        Packet::Sunrm,
        Packet::Fcgi,
        Packet::Tpkt,
        Packet::Http,
        Packet::Httph,
        Packet::HttpBin,
        Packet::HttphBin,
    ];
    let packet_type = types[usize::from(*kind) % types.len()];
    let max = usize::from(*size) * 4;
    let mut buf = body;
    let mut http_line = true;
    for _ in 0..1000 {
        match packet::decode(packet_type, buf, max, http_line) {
            Step::Packet(_, used) => {
                assert!(
                    used > 0 && used <= buf.len(),
                    "used {used} of {}",
                    buf.len()
                );
                buf = &buf[used..];
                http_line = !http_line;
            }
            Step::More(Some(whole)) => {
                assert!(whole > buf.len(), "{whole} announced, {} there", buf.len());
                break;
            }
            Step::More(None) | Step::Invalid => break,
        }
    }
    let _ = packet::decode_packet_term(packet_type, body, max);
    if let Packet::Len(n) = packet_type {
        if let Ok(framed) = packet::encode(body.to_vec(), packet_type) {
            let Step::Packet(packet::Decoded::Bytes(b), used) =
                packet::decode(packet_type, &framed, 0, true)
            else {
                panic!("a framed {n}-byte-header packet did not decode");
            };
            assert_eq!((&b[..], used), (body, framed.len()));
        }
    }
}

/// What the owner of a fuzzed connection heard.
#[derive(Default)]
struct Heard {
    over: bool,
    count: usize,
}

impl Owner for Heard {
    fn tell(&mut self, t: Tell) {
        // Erlang's owner hears no data and no second end after ssl_closed
        // or ssl_error (`{active, 0}` may still answer ssl_passive while a
        // half-closed socket lives).
        assert!(
            !self.over || matches!(t, Tell::Passive),
            "{t:?} after the end was told"
        );
        if matches!(t, Tell::Closed | Tell::Error(_)) {
            self.over = true;
        }
        self.count += 1;
    }
}

/// The connection's delivery machine driven by the input: plaintext
/// batches, the peer's end, recv, setopts, failures and timers, in any
/// order. Nothing reaches the owner after the end, a recv is answered once,
/// an ended connection does not read.
pub fn machine(data: &[u8]) {
    let Some((&first, mut ops)) = data.split_first() else {
        return;
    };
    let mut opts = SocketOpts::default();
    let packets = [
        Packet::Raw,
        Packet::Len(2),
        Packet::Line,
        Packet::Http,
        Packet::Asn1,
    ];
    let start = [
        SslOption::Packet(packets[usize::from(first) % packets.len()]),
        SslOption::Mode(if first & 8 == 0 {
            Mode::Binary
        } else {
            Mode::List
        }),
        SslOption::PacketSize(usize::from(first >> 4) * 16),
        SslOption::ExitOnClose(first & 128 == 0),
    ];
    if opts.apply(&start).is_err() {
        return;
    }
    let mut m = Machine::new(opts, Heard::default());
    m.established();
    let mut replies: Vec<oneshot::Receiver<Result<Data, Reason>>> = Vec::new();
    while let Some((&op, rest)) = ops.split_first() {
        ops = rest;
        let (n, body) = piece(&mut ops, false);
        match op % 12 {
            0 => m.plaintext(&mut body.to_vec(), false, &mut Vec::new()),
            1 => m.plaintext(&mut body.to_vec(), true, &mut b"after".to_vec()),
            2 => m.peer_ended(),
            3 => {
                let (tx, rx) = oneshot::channel();
                m.recv(n, None, tx);
                replies.push(rx);
            }
            4 => {
                let active = match n % 4 {
                    0 => Active::False,
                    1 => Active::True,
                    2 => Active::Once,
                    _ => Active::N(i32::from(body.first().copied().unwrap_or(1) as i8)),
                };
                let _ = m.setopts(&[SslOption::Active(active)]);
            }
            5 => {
                let _ = m.setopts(&[SslOption::Packet(packets[n % packets.len()])]);
            }
            6 => m.fail(Reason::Closed),
            7 => m.recv_timed_out(),
            8 => {
                m.queue(body);
                m.wrote(n);
            }
            9 => m.shutdown_read(),
            10 => {
                let _ = m.frame(body.to_vec());
            }
            _ => m.end(),
        }
        m.deliver();
        if matches!(m.phase(), crate::ssl::machine::Phase::Closed(_)) {
            assert!(!m.wants_read(), "a closed connection reads");
        }
    }
    m.end();
    for mut rx in replies {
        // Every recv was answered by the end (or dropped unanswered when
        // another took its place: einval).
        assert!(rx.try_recv().is_ok(), "a recv never answered");
    }
}

/// A future's answer if it has one at its first poll.
fn poll_once<T>(f: impl std::future::Future<Output = T>) -> Option<T> {
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match std::pin::pin!(f).poll(&mut cx) {
        std::task::Poll::Ready(v) => Some(v),
        std::task::Poll::Pending => None,
    }
}

/// The host's imports called as a hostile guest would: every function of
/// `wassl:tls/crypto` and `wassl:tls/verify` with arguments from the input,
/// resources that were never made or already dropped, and lengths a guest
/// chooses. The host answers errors; it does not panic or allocate what a
/// guest asks.
pub fn imports(data: &[u8]) {
    use crate::bindings::wassl::tls::crypto::{
        AeadAlgorithm, HashAlgorithm, Host as Crypto, HostAeadKey, HostHashContext, HostKeyShare,
        HostSigningKey, KeyFormat, VerifyAlgorithm,
    };
    use crate::bindings::wassl::tls::types::{ClientSession, ProtocolVersion, Role};
    use crate::bindings::wassl::tls::verify::{Host as Verify, PeerChain};
    use wasmtime::component::Resource;

    let mut h = crate::imports::bare_state();
    let mut ops = data;
    // Resource handles the guest names: made ones and invented ones.
    let mut handles: Vec<u32> = vec![0, 1, 7, u32::MAX];
    let hash = |b: u8| {
        if b & 1 == 0 {
            HashAlgorithm::Sha256
        } else {
            HashAlgorithm::Sha384
        }
    };
    let aead = |b: u8| {
        [
            AeadAlgorithm::Aes128Gcm,
            AeadAlgorithm::Aes256Gcm,
            AeadAlgorithm::Chacha20Poly1305,
        ][usize::from(b) % 3]
    };
    // Counted from the newest, so that a short input reaches what it made.
    let pick =
        |handles: &Vec<u32>, b: u8| handles[handles.len() - 1 - usize::from(b) % handles.len()];
    while let Some((&op, rest)) = ops.split_first() {
        ops = rest;
        let (n, a) = piece(&mut ops, false);
        let (_, b) = piece(&mut ops, true);
        let byte = (n & 0xff) as u8;
        match op % 16 {
            0 => {
                let code = match a {
                    [x, y, ..] => u16::from_be_bytes([*x, *y]),
                    _ => 0x001d,
                };
                if let Ok(r) = h.start_key_exchange(code) {
                    handles.push(r.rep());
                }
            }
            1 => {
                let code = [0x001d, 0x0017, 0x0018, 0x0100, n as u16][n % 5];
                let _ = h.agree(code, b.to_vec());
            }
            2 => {
                let format = [KeyFormat::Pkcs1, KeyFormat::Sec1, KeyFormat::Pkcs8][n % 3];
                if let Ok(k) = h.load_signing_key(format, b.to_vec()) {
                    handles.push(k.key.rep());
                }
            }
            3 => {
                if let Ok(r) = h.new_aead_key(aead(byte), b.to_vec()) {
                    handles.push(r.rep());
                }
            }
            4 => match n % 4 {
                0 => assert!(h.digest(hash(byte), b.to_vec()).len() <= 48),
                // Transcript hashes: made (until the table is full), fed,
                // forked, and asked of what is not one.
                1 => {
                    if let Ok(r) = HostHashContext::new(&mut h, hash(byte)) {
                        handles.push(r.rep());
                    }
                }
                2 => {
                    let ctx = Resource::new_own(pick(&handles, byte));
                    let out = HostHashContext::append_and_hash(&mut h, ctx, b.to_vec());
                    assert!(out.len() <= 48);
                }
                _ => {
                    let ctx = Resource::new_own(pick(&handles, byte));
                    if let Ok(r) = HostHashContext::fork(&mut h, ctx, b.to_vec()) {
                        handles.push(r.rep());
                    }
                }
            },
            5 => {
                let out = h.hmac(hash(byte), a.to_vec(), b.to_vec());
                assert!(out.len() <= 48);
            }
            6 => {
                let len = u32::from_be_bytes([byte, byte, byte, byte]);
                let out = h.tls12_prf(hash(byte), a.to_vec(), b.to_vec(), a.to_vec(), len);
                assert!(out.len() <= 1 << 16, "the guest chose a {len}-byte answer");
            }
            7 => {
                let algs = [
                    VerifyAlgorithm::EcdsaP256Sha256,
                    VerifyAlgorithm::EcdsaP384Sha384,
                    VerifyAlgorithm::Ed25519,
                    VerifyAlgorithm::RsaPssSha256LegacyKey,
                    VerifyAlgorithm::RsaPkcs1Sha256,
                ];
                let _ =
                    h.verify_signature(algs[n % algs.len()], a.to_vec(), b.to_vec(), a.to_vec());
            }
            8 => {
                let share = Resource::new_own(pick(&handles, byte));
                let _ = HostKeyShare::public_key(&mut h, share);
            }
            9 => {
                let share = Resource::new_own(pick(&handles, byte));
                let _ = HostKeyShare::complete(&mut h, share, b.to_vec());
            }
            10 => {
                let key = Resource::new_own(pick(&handles, byte));
                let nonce = a.to_vec();
                let _ = HostAeadKey::seal(&mut h, key, nonce, b.to_vec(), b.to_vec());
                let key = Resource::new_own(pick(&handles, byte));
                let _ = HostAeadKey::open(&mut h, key, a.to_vec(), a.to_vec(), b.to_vec());
            }
            11 => {
                let key = Resource::new_own(pick(&handles, byte));
                let _ = HostSigningKey::sign(&mut h, key, n as u16, b.to_vec());
            }
            12 => {
                // Drops of anything, twice.
                let r = pick(&handles, byte);
                let _ = HostAeadKey::drop(&mut h, Resource::new_own(r));
                let _ = HostKeyShare::drop(&mut h, Resource::new_own(r));
                let _ = HostSigningKey::drop(&mut h, Resource::new_own(r));
                let _ = HostHashContext::drop(&mut h, Resource::new_own(r));
            }
            13 => {
                let chain: Vec<Vec<u8>> = b.chunks(1 + n % 64).map(<[u8]>::to_vec).collect();
                let _ = h.verify_peer(PeerChain {
                    role: if n & 1 == 0 {
                        Role::Client
                    } else {
                        Role::Server
                    },
                    chain: chain.clone(),
                    server_name: Some(String::from_utf8_lossy(a).into_owned()),
                    problem: None,
                });
                let _ = h.partial_chain(chain);
                let _ = h.sni_fun(String::from_utf8_lossy(a).into_owned());
            }
            14 => {
                let key = [b"fuzz ".as_slice(), a].concat();
                // The process's store answers at once: one poll each.
                let put = poll_once(h.session_put(key.clone(), b.to_vec()));
                let got = poll_once(h.session_get(key.clone()));
                let taken = poll_once(h.session_take(key));
                assert!(put.is_some() && got.is_some() && taken.is_some());
                // What was kept is what is found (the store may hold a
                // longer-kept value under the same key only if put failed).
                if put == Some(true) {
                    assert_eq!(got, Some(Some(b.to_vec())));
                }
            }
            _ => {
                h.keylog(
                    String::from_utf8_lossy(a).into_owned(),
                    b.to_vec(),
                    a.to_vec(),
                );
                h.new_client_session(ClientSession {
                    version: if n & 1 == 0 {
                        ProtocolVersion::Tlsv12
                    } else {
                        ProtocolVersion::Tlsv13
                    },
                    value: b.to_vec(),
                    session_id: a.to_vec(),
                    lifetime: n as u32,
                    max_early_data: n as u32,
                });
                assert!(
                    h.client_sessions.len() <= 16,
                    "a guest grew the client sessions"
                );
            }
        }
    }
}

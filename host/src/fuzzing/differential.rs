//! The host record layer against rustls's own record processing. A native
//! rustls client and server shake hands in memory; the server's secrets
//! (from its key log) then build a host record layer, so two receivers hold
//! the same keys: the rustls server connection and ours. The input drives a
//! client-side layer that seals honest and malformed records, flips bits
//! and cuts the stream; both receivers get the same bytes and must yield
//! the same plaintext and the same bytes back (KeyUpdate answers, alerts).
//!
//! rustls here is the fork the guest uses; its record path is upstream's
//! (the fork's deframer and plaintext-sink patches change buffering only,
//! and the sink is never lent here).

use std::io::{Read, Write};
use std::sync::{Arc, Mutex, OnceLock};

use ring::rand::SystemRandom;
use ring::signature::Ed25519KeyPair;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{ring as provider, CryptoProvider};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls::{
    ClientConfig, ClientConnection, DigitallySignedStruct, KeyLog, ServerConfig, ServerConnection,
    SignatureScheme, SupportedProtocolVersion,
};

use super::piece;
use crate::record_layer::{Handover, RecordLayer, Side, Tls12Handover};

/// The suites compared: each AEAD in each version (ECDSA suites in TLS 1.2:
/// the server's key is Ed25519).
const SUITES: [u16; 6] = [0x1301, 0x1302, 0x1303, 0xc02b, 0xc02c, 0xcca9];

/// The server's secrets as its key log gives them.
#[derive(Default, Debug)]
struct Secrets {
    client_traffic: Vec<u8>,
    server_traffic: Vec<u8>,
    exporter: Vec<u8>,
    master: Vec<u8>,
    client_random: Vec<u8>,
}

#[derive(Debug, Default)]
struct Log(Mutex<Secrets>);

impl KeyLog for Log {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        let mut s = self.0.lock().unwrap_or_else(|p| p.into_inner());
        s.client_random = client_random.to_vec();
        match label {
            "CLIENT_TRAFFIC_SECRET_0" => s.client_traffic = secret.to_vec(),
            "SERVER_TRAFFIC_SECRET_0" => s.server_traffic = secret.to_vec(),
            "EXPORTER_SECRET" => s.exporter = secret.to_vec(),
            "CLIENT_RANDOM" => s.master = secret.to_vec(),
            _ => {}
        }
    }

    fn will_log(&self, _label: &str) -> bool {
        true
    }
}

/// The client takes any certificate: what is compared comes after the
/// handshake, and skipping verification keeps each input cheap.
#[derive(Debug)]
struct AnyServer;

impl ServerCertVerifier for AnyServer {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn verify_tls13_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        vec![SignatureScheme::ED25519]
    }
}

/// The server's certificate, whatever the client asks.
#[derive(Debug)]
struct Fixed(Arc<CertifiedKey>);

impl ResolvesServerCert for Fixed {
    fn resolve(&self, _: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.0.clone())
    }
}

/// One Ed25519 key per process (the certificate is never checked).
fn server_key() -> Option<&'static [u8]> {
    static KEY: OnceLock<Option<Vec<u8>>> = OnceLock::new();
    KEY.get_or_init(|| {
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).ok()?;
        Some(pkcs8.as_ref().to_vec())
    })
    .as_deref()
}

/// Moves what `from` has to write into `to`.
fn pass(from: &mut rustls::Connection, to: &mut rustls::Connection) -> Option<Vec<u8>> {
    let mut bytes = Vec::new();
    while from.wants_write() {
        from.write_tls(&mut bytes).ok()?;
    }
    let mut rd = &bytes[..];
    while !rd.is_empty() {
        to.read_tls(&mut rd).ok()?;
        to.process_new_packets().ok()?;
    }
    Some(bytes)
}

/// A rustls connection that has finished a handshake with suite `suite`
/// (the client if `client`, else the server), our layer with its keys, and
/// a layer of the other side to write with.
fn connected(suite: u16, client: bool) -> Option<(rustls::Connection, RecordLayer, RecordLayer)> {
    let tls13 = suite >> 8 == 0x13;
    let mut p: CryptoProvider = provider::default_provider();
    p.cipher_suites.retain(|s| u16::from(s.suite()) == suite);
    let p = Arc::new(p);
    let versions: &[&SupportedProtocolVersion] = if tls13 {
        &[&rustls::version::TLS13]
    } else {
        &[&rustls::version::TLS12]
    };
    let key = PrivateKeyDer::try_from(server_key()?.to_vec()).ok()?;
    let key = p.key_provider.load_private_key(key).ok()?;
    let certified = CertifiedKey::new(vec![CertificateDer::from(vec![0x30, 0])], key);
    let mut server = ServerConfig::builder_with_provider(p.clone())
        .with_protocol_versions(versions)
        .ok()?
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(Fixed(Arc::new(certified))));
    let log = Arc::new(Log::default());
    server.key_log = log.clone();
    server.send_tls13_tickets = 0;
    let client_config = ClientConfig::builder_with_provider(p)
        .with_protocol_versions(versions)
        .ok()?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AnyServer))
        .with_no_client_auth();
    let mut s = rustls::Connection::Server(ServerConnection::new(Arc::new(server)).ok()?);
    let name = ServerName::try_from("fuzz.example").ok()?;
    let mut c =
        rustls::Connection::Client(ClientConnection::new(Arc::new(client_config), name).ok()?);
    let mut server_random = Vec::new();
    for _ in 0..4 {
        pass(&mut c, &mut s)?;
        let flight = pass(&mut s, &mut c)?;
        // The ServerHello's random: record header, handshake header, version.
        if server_random.is_empty() {
            server_random = flight.get(11..43)?.to_vec();
        }
        if !c.is_handshaking() && !s.is_handshaking() {
            break;
        }
    }
    if c.is_handshaking() || s.is_handshaking() {
        return None;
    }
    let keys = std::mem::take(&mut *log.0.lock().ok()?);
    let (ours, writer) = if tls13 {
        let half = |side, tx: &[u8], rx: &[u8]| Handover {
            side,
            suite,
            tx_seq: 0,
            tx_secret: tx.to_vec(),
            rx_seq: 0,
            rx_secret: rx.to_vec(),
            exporter_secret: keys.exporter.clone(),
            pending: Vec::new(),
        };
        let server_side = RecordLayer::new(half(
            Side::Server,
            &keys.server_traffic,
            &keys.client_traffic,
        ))?;
        let client_side = RecordLayer::new(half(
            Side::Client,
            &keys.client_traffic,
            &keys.server_traffic,
        ))?;
        if client {
            (client_side, server_side)
        } else {
            (server_side, client_side)
        }
    } else {
        // Each side's Finished was record 0 under these keys.
        let half = |side| Tls12Handover {
            side,
            suite,
            tx_seq: 1,
            rx_seq: 1,
            master_secret: keys.master.clone(),
            client_random: keys.client_random.clone(),
            server_random: server_random.clone(),
            pending: Vec::new(),
        };
        let (me, other) = if client {
            (Side::Client, Side::Server)
        } else {
            (Side::Server, Side::Client)
        };
        (
            RecordLayer::tls12(half(me))?,
            RecordLayer::tls12(half(other))?,
        )
    };
    Some((if client { c } else { s }, ours, writer))
}

/// What a receiver made of the bytes so far.
#[derive(Default, Debug)]
struct Seen {
    plaintext: Vec<u8>,
    /// What it wrote back before any failure (KeyUpdate answers).
    output: Vec<u8>,
    closed: bool,
    /// `Some` once it failed: the fatal alert it sent, if any.
    failed: Option<Option<u8>>,
    /// Why it failed, for the report only.
    why: String,
}

/// Where ours sends the alert the RFC asks for and rustls another, as (our
/// alert, rustls's error): a record longer than 2^14 + 2048 (from 2^14 +
/// 2048 itself in rustls), where RFC 5246 6.2.3 and RFC 8446 5.2 say
/// record_overflow and rustls's deframer decode_error; and a TLS 1.3
/// record longer than 2^14 + 256 (RFC 8446 5.2: record_overflow), which
/// rustls opens first and answers bad_record_mac when it does not open
/// (record_overflow when it does, as ours).
const RFC_NOT_RUSTLS: [(u8, &str); 2] = [(22, "MessageTooLarge"), (22, "DecryptError")];

impl Seen {
    /// Both read on, with the same plaintext, answers and closure; or both
    /// failed with the same alert. On failure ours gives nothing of the
    /// failing read (as OTP, which decodes a read's records together);
    /// rustls gives the records before the bad one: ours is a prefix.
    fn agrees(&self, theirs: &Seen) -> bool {
        match (self.failed, theirs.failed) {
            (None, None) => {
                (&self.plaintext, &self.output, self.closed)
                    == (&theirs.plaintext, &theirs.output, theirs.closed)
            }
            // rustls ends some connections with no alert at all (a handshake
            // message over 64 KiB); ours always says why. (The fork sends
            // unexpected_message for an inner plaintext of zeros and for a
            // record inside a split handshake message, as ours: patch 0007.)
            (Some(Some(_)), Some(None)) => theirs.plaintext.starts_with(&self.plaintext),
            (Some(ours), Some(rustls)) => {
                theirs.plaintext.starts_with(&self.plaintext)
                    && (ours == rustls
                        || RFC_NOT_RUSTLS
                            .iter()
                            .any(|&(o, r)| ours == Some(o) && theirs.why.contains(r)))
            }
            _ => false,
        }
    }
}

/// rustls reads `bytes`.
fn rustls_reads(s: &mut rustls::Connection, bytes: &[u8], seen: &mut Seen) {
    let mut rd = bytes;
    while !rd.is_empty() && seen.failed.is_none() && !seen.closed {
        let read = s.read_tls(&mut rd);
        let processed = s.process_new_packets();
        let mut buf = [0u8; 4096];
        while let Ok(n @ 1..) = s.reader().read(&mut buf) {
            seen.plaintext.extend_from_slice(&buf[..n]);
        }
        match (read, processed) {
            (Ok(_), Ok(state)) => seen.closed = state.peer_has_closed(),
            (r, p) => {
                seen.failed = Some(s.wassl_sent_fatal_alert().map(u8::from));
                seen.why = format!("{r:?} {:?}", p.err());
                return;
            }
        }
    }
    // rustls answers a KeyUpdate with its next write (one answer however
    // many requests came); ours with the read that brought them.
    if seen.failed.is_none() {
        let _ = s.writer().write(b"");
    }
    while s.wants_write() {
        if s.write_tls(&mut seen.output).is_err() {
            break;
        }
    }
}

/// Our layer reads `bytes`.
fn we_read(me: &mut RecordLayer, bytes: &[u8], seen: &mut Seen) {
    if seen.failed.is_some() || seen.closed {
        return;
    }
    match me.open(bytes) {
        Ok(o) => {
            seen.plaintext.extend_from_slice(&o.plaintext);
            seen.output.extend_from_slice(&o.output);
            seen.closed = o.peer_closed;
        }
        Err(e) => {
            seen.failed = Some(e.local.then_some(e.code));
            seen.why = format!("alert {}: {:?}", e.code, e.detail);
        }
    }
}

/// Whether a record of `stream` has a header other than TLS 1.3's.
fn header_changed(stream: &[u8]) -> bool {
    let mut at = 0;
    while let Some(h) = stream.get(at..at + 5) {
        if h[..3] != [23, 3, 3] {
            return true;
        }
        at += 5 + usize::from(u16::from_be_bytes([h[3], h[4]]));
    }
    false
}

/// Whether `stream` ends where a record ends (by the lengths its headers
/// say).
fn ends_between_records(stream: &[u8]) -> bool {
    let mut at = 0;
    while let Some(h) = stream.get(at..at + 5) {
        at += 5 + usize::from(u16::from_be_bytes([h[3], h[4]]));
    }
    at == stream.len()
}

/// The input: a suite pick, then operations (see `record_layer`'s format):
/// 0 seal application data, 1 seal any inner plaintext, 2 raw bytes, 3
/// deliver the first n bytes to both receivers, 4 a KeyUpdate, 5
/// close_notify, 6 take the receivers' answers in, else flip a bit.
pub fn record_differential(data: &[u8]) {
    let Some((&pick, mut ops)) = data.split_first() else {
        return;
    };
    // The high bit: our layer and rustls as the client, else the server.
    let client = pick & 0x80 != 0;
    let suite = SUITES[usize::from(pick & 0x7f) % SUITES.len()];
    let tls13 = suite >> 8 == 0x13;
    let Some((mut theirs, mut ours, mut peer)) = connected(suite, client) else {
        panic!("no in-memory handshake with rustls for suite {suite:#06x}");
    };
    let (mut wire, mut theirs_saw, mut ours_saw) = (Vec::new(), Seen::default(), Seen::default());
    // Everything delivered so far, to tell whether it ends between records.
    let mut delivered = Vec::new();
    // Whether the writer sealed a handshake message of its own making.
    let odd_handshake = std::cell::Cell::new(false);
    let mut deliver = |bytes: &[u8], theirs_saw: &mut Seen, ours_saw: &mut Seen| {
        rustls_reads(&mut theirs, bytes, theirs_saw);
        we_read(&mut ours, bytes, ours_saw);
        delivered.extend_from_slice(bytes);
        // Inside a record the two may fail at different bytes of it (ours
        // refuses a header as soon as it is wrong, rustls some only whole);
        // between records they must agree.
        let between = ends_between_records(&delivered);
        let one_failed = ours_saw.failed.is_some() != theirs_saw.failed.is_some();
        // rustls authenticates a TLS 1.3 record against the header it
        // expects (23, 3.3) and takes one whose header was changed (then
        // may fail on what is inside); ours against the header received
        // (RFC 8446, 5.2), and refuses it.
        let header_changed = tls13
            && ours_saw.failed.is_some()
            && theirs_saw.plaintext.starts_with(&ours_saw.plaintext)
            && header_changed(&delivered);
        // rustls decodes a handshake message after the handshake before it
        // judges it (decode_error when its body is malformed,
        // illegal_parameter for a repeated extension); ours judges
        // its type (and a KeyUpdate's one byte) and never parses the body
        // of a ClientHello or a ticket natively, outside the sandbox.
        // (Ours may read on past it, a TLS 1.2 ClientHello refused with
        // no_renegotiation: the plaintexts agree as far as both go.)
        let body_decoded = odd_handshake.get()
            && theirs_saw.failed.is_some()
            && theirs_saw.why.contains("InvalidMessage")
            && (theirs_saw.plaintext.starts_with(&ours_saw.plaintext)
                || ours_saw.plaintext.starts_with(&theirs_saw.plaintext));
        assert!(
            ours_saw.agrees(theirs_saw)
                || (!between && one_failed)
                || header_changed
                || body_decoded,
            "suite {suite:#06x}, client {client}: our record layer and rustls differ after the same bytes: \
             ours {} failed {:?} closed {} ({}) | rustls {} failed {:?} closed {} ({}); outputs {:02x?} | {:02x?}",
            ours_saw.plaintext.len(), ours_saw.failed, ours_saw.closed, ours_saw.why,
            theirs_saw.plaintext.len(), theirs_saw.failed, theirs_saw.closed, theirs_saw.why,
            ours_saw.output, theirs_saw.output,
        );
    };
    // How much of the receivers' output the writer has taken in.
    let mut answered = 0;
    while let Some((&op, rest)) = ops.split_first() {
        ops = rest;
        match op % 8 {
            0 => {
                let (_, body) = piece(&mut ops, false);
                if let Ok(records) = peer.seal(body) {
                    wire.extend_from_slice(&records);
                }
            }
            1 => {
                let (_, body) = piece(&mut ops, true);
                // TLS 1.3's type is the last byte that is not padding.
                let typ = if tls13 {
                    body.iter().rev().find(|&&b| b != 0)
                } else {
                    body.first()
                };
                if typ == Some(&22) {
                    odd_handshake.set(true);
                }
                wire.extend_from_slice(&peer.seal_raw(body));
            }
            2 => {
                let (_, body) = piece(&mut ops, false);
                wire.extend_from_slice(body);
            }
            3 => {
                let (n, _) = piece(&mut ops, false);
                let now: Vec<u8> = wire.drain(..n.min(wire.len())).collect();
                deliver(&now, &mut theirs_saw, &mut ours_saw);
            }
            4 => {
                let (n, _) = piece(&mut ops, false);
                if let Some(records) = peer.update_keys(n & 1 == 1) {
                    wire.extend_from_slice(&records);
                }
            }
            5 => wire.extend_from_slice(&peer.close_notify()),
            6 => {
                // A KeyUpdate answer moves the writer's receiving keys on.
                let out = &ours_saw.output[answered..];
                answered = ours_saw.output.len();
                let _ = peer.open(out);
            }
            _ => {
                let (n, _) = piece(&mut ops, true);
                if let Some(b) = wire.get_mut(n / 8) {
                    *b ^= 1 << (n % 8);
                }
            }
        }
    }
    let rest = std::mem::take(&mut wire);
    deliver(&rest, &mut theirs_saw, &mut ours_saw);
}

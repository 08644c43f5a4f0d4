//! The TLS 1.3 record layer, outside the sandbox (a kTLS-style offload).
//!
//! After the handshake the engine hands over its application traffic
//! secrets (`records.hand-off`); from then on records are sealed and opened
//! here with ring, natively, instead of by ring compiled to wasm, which
//! has no AES instructions. The engine keeps what it knows about the
//! connection (certificates, negotiated parameters) for
//! `connection_information`. Everything RFC 8446 asks of a record layer
//! after the handshake is here: KeyUpdate in both directions (and keys
//! refreshed before a suite's confidentiality limit), NewSessionTicket
//! (read and dropped: client tickets stay unsupported), alerts, the
//! exporter and close_notify.

use ring::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey};
use ring::{digest, hkdf};

/// Largest plaintext of one record.
const MAX_FRAGMENT: usize = 16384;
/// Largest ciphertext of one TLS 1.3 record (RFC 8446, 5.2).
const MAX_CIPHERTEXT: usize = MAX_FRAGMENT + 256;

const CHANGE_CIPHER_SPEC: u8 = 20;
const ALERT: u8 = 21;
const HANDSHAKE: u8 = 22;
const APPLICATION_DATA: u8 = 23;

const NEW_SESSION_TICKET: u8 = 4;
const KEY_UPDATE: u8 = 24;

/// Alert codes this layer sends.
pub(crate) mod alert {
    pub(crate) const CLOSE_NOTIFY: u8 = 0;
    pub(crate) const UNEXPECTED_MESSAGE: u8 = 10;
    pub(crate) const BAD_RECORD_MAC: u8 = 20;
    pub(crate) const RECORD_OVERFLOW: u8 = 22;
    pub(crate) const DECODE_ERROR: u8 = 50;
    pub(crate) const USER_CANCELED: u8 = 90;
}

/// The algorithms of one TLS 1.3 suite.
#[derive(Clone, Copy)]
struct Suite {
    aead: &'static aead::Algorithm,
    hkdf: hkdf::Algorithm,
    hash: &'static digest::Algorithm,
    /// Records one key may protect (RFC 8446, 5.5), less a margin: past it
    /// this layer updates its keys first.
    limit: u64,
}

impl Suite {
    fn from_code(code: u16) -> Option<Suite> {
        let aes_limit = (1u64 << 24) - 4096; // 2^24.5 rounded down, with room
        match code {
            0x1301 => Some(Suite {
                aead: &aead::AES_128_GCM,
                hkdf: hkdf::HKDF_SHA256,
                hash: &digest::SHA256,
                limit: aes_limit,
            }),
            0x1302 => Some(Suite {
                aead: &aead::AES_256_GCM,
                hkdf: hkdf::HKDF_SHA384,
                hash: &digest::SHA384,
                limit: aes_limit,
            }),
            0x1303 => Some(Suite {
                aead: &aead::CHACHA20_POLY1305,
                hkdf: hkdf::HKDF_SHA256,
                hash: &digest::SHA256,
                limit: u64::MAX,
            }),
            _ => None,
        }
    }
}

/// An output length for ring's HKDF.
struct Len(usize);

impl hkdf::KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

/// HKDF-Expand-Label (RFC 8446, 7.1).
fn expand_label(
    alg: hkdf::Algorithm,
    secret: &[u8],
    label: &[u8],
    context: &[u8],
    len: usize,
) -> Vec<u8> {
    let out_len = (len as u16).to_be_bytes();
    let label_len = [6 + label.len() as u8];
    let context_len = [context.len() as u8];
    let info: [&[u8]; 6] = [
        &out_len,
        &label_len,
        b"tls13 ",
        label,
        &context_len,
        context,
    ];
    let mut out = vec![0u8; len];
    hkdf::Prk::new_less_safe(alg, secret)
        .expand(&info, Len(len))
        .and_then(|okm| okm.fill(&mut out))
        .expect("HKDF output lengths here are far below the limit");
    out
}

/// Keys for one direction.
struct Direction {
    secret: Vec<u8>,
    key: LessSafeKey,
    iv: [u8; 12],
    seq: u64,
}

impl Direction {
    fn new(suite: &Suite, secret: Vec<u8>, seq: u64) -> Direction {
        let key = expand_label(suite.hkdf, &secret, b"key", &[], suite.aead.key_len());
        let iv = expand_label(suite.hkdf, &secret, b"iv", &[], 12);
        Direction {
            key: LessSafeKey::new(
                UnboundKey::new(suite.aead, &key).expect("key length of the suite"),
            ),
            iv: iv.try_into().expect("12 bytes"),
            secret,
            seq,
        }
    }

    /// The next generation of keys (`traffic upd`).
    fn update(&mut self, suite: &Suite) {
        let next = expand_label(
            suite.hkdf,
            &self.secret,
            b"traffic upd",
            &[],
            suite.hash.output_len(),
        );
        *self = Direction::new(suite, next, 0);
    }

    fn nonce(&self) -> Nonce {
        let mut n = self.iv;
        for (b, s) in n[4..].iter_mut().zip(self.seq.to_be_bytes()) {
            *b ^= s;
        }
        Nonce::assume_unique_for_key(n)
    }
}

/// What went wrong, as an alert code; `local` is true when this layer
/// detected it (and sends the alert), false when the peer sent it.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct RecordError {
    pub(crate) code: u8,
    pub(crate) local: bool,
    pub(crate) detail: Option<String>,
    /// The alert record to send the peer before closing.
    pub(crate) output: Vec<u8>,
}

/// What reading produced, as the engine's `feed` reports it.
#[derive(Debug, Default)]
pub(crate) struct Opened {
    pub(crate) output: Vec<u8>,
    pub(crate) plaintext: Vec<u8>,
    pub(crate) peer_closed: bool,
    pub(crate) rest: Vec<u8>,
}

/// One connection's record layer, handed over by its engine.
pub(crate) struct RecordLayer {
    suite: Suite,
    tx: Direction,
    rx: Direction,
    exporter: Vec<u8>,
    inbuf: Vec<u8>,
    peer_closed: bool,
    failed: bool,
}

/// What the engine hands over (the WIT `traffic-secrets`, minus WIT).
pub(crate) struct Handover {
    pub(crate) suite: u16,
    pub(crate) tx_seq: u64,
    pub(crate) tx_secret: Vec<u8>,
    pub(crate) rx_seq: u64,
    pub(crate) rx_secret: Vec<u8>,
    pub(crate) exporter_secret: Vec<u8>,
    pub(crate) pending: Vec<u8>,
}

impl RecordLayer {
    /// A record layer for the suite and secrets given; `None` for a suite
    /// this layer does not know (the engine then keeps its records).
    pub(crate) fn new(h: Handover) -> Option<RecordLayer> {
        let suite = Suite::from_code(h.suite)?;
        if h.tx_secret.len() != suite.hash.output_len()
            || h.rx_secret.len() != suite.hash.output_len()
        {
            return None;
        }
        Some(RecordLayer {
            tx: Direction::new(&suite, h.tx_secret, h.tx_seq),
            rx: Direction::new(&suite, h.rx_secret, h.rx_seq),
            suite,
            exporter: h.exporter_secret,
            inbuf: h.pending,
            peer_closed: false,
            failed: false,
        })
    }

    fn seal_record(&mut self, content_type: u8, fragment: &[u8], out: &mut Vec<u8>) {
        if self.tx.seq >= self.suite.limit {
            self.key_update(false, out);
        }
        let len = fragment.len() + 1 + self.suite.aead.tag_len();
        let header = [APPLICATION_DATA, 3, 3, (len >> 8) as u8, len as u8];
        out.extend_from_slice(&header);
        let start = out.len();
        out.extend_from_slice(fragment);
        out.push(content_type);
        let nonce = self.tx.nonce();
        let tag = self
            .tx
            .key
            .seal_in_place_separate_tag(nonce, Aad::from(header), &mut out[start..])
            .expect("record sizes are far below the AEAD limit");
        out.extend_from_slice(tag.as_ref());
        self.tx.seq += 1;
    }

    /// Idle: give back the input buffer's spare capacity.
    pub(crate) fn hibernate(&mut self) {
        self.inbuf.shrink_to_fit();
    }

    /// Application data into records.
    pub(crate) fn seal(&mut self, data: &[u8]) -> Vec<u8> {
        let records = data.len().div_ceil(MAX_FRAGMENT).max(1);
        let mut out = Vec::with_capacity(data.len() + records * 22);
        for chunk in data.chunks(MAX_FRAGMENT) {
            self.seal_record(APPLICATION_DATA, chunk, &mut out);
        }
        out
    }

    /// The close_notify alert.
    pub(crate) fn close_notify(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        if !self.failed {
            self.seal_record(ALERT, &[1, alert::CLOSE_NOTIFY], &mut out);
        }
        out
    }

    /// Send a KeyUpdate, then switch to the next sending keys.
    /// `request` asks the peer to update its keys too (`read_write`).
    fn key_update(&mut self, request: bool, out: &mut Vec<u8>) {
        let msg = [KEY_UPDATE, 0, 0, 1, u8::from(request)];
        // Sealed under the old keys; the limit check cannot recurse: the
        // update resets seq to 0.
        let limit = std::mem::replace(&mut self.suite.limit, u64::MAX);
        self.seal_record(HANDSHAKE, &msg, out);
        self.suite.limit = limit;
        self.tx.update(&self.suite);
    }

    /// `update_keys/2`: the KeyUpdate record to send.
    pub(crate) fn update_keys(&mut self, request_peer: bool) -> Vec<u8> {
        let mut out = Vec::new();
        self.key_update(request_peer, &mut out);
        out
    }

    fn fail(&mut self, code: u8, detail: impl Into<String>) -> RecordError {
        let mut output = Vec::new();
        self.seal_record(ALERT, &[2, code], &mut output);
        self.failed = true;
        RecordError {
            code,
            local: true,
            detail: Some(detail.into()),
            output,
        }
    }

    /// Bytes from the peer: decrypt every complete record, keep the rest.
    pub(crate) fn open(&mut self, data: &[u8]) -> Result<Opened, RecordError> {
        let mut o = Opened::default();
        if self.peer_closed {
            o.rest = data.to_vec();
            return Ok(o);
        }
        self.inbuf.extend_from_slice(data);
        let mut at = 0;
        let r = self.open_records(&mut at, &mut o);
        self.inbuf.drain(..at);
        if o.peer_closed {
            o.rest = std::mem::take(&mut self.inbuf);
        }
        r.map(|()| o)
    }

    fn open_records(&mut self, at: &mut usize, o: &mut Opened) -> Result<(), RecordError> {
        while !o.peer_closed {
            let buf = &self.inbuf[*at..];
            if buf.len() < 5 {
                return Ok(());
            }
            let (typ, len) = (buf[0], usize::from(u16::from_be_bytes([buf[3], buf[4]])));
            if len > MAX_CIPHERTEXT {
                return Err(self.fail(alert::RECORD_OVERFLOW, "a record over 2^14 + 256 bytes"));
            }
            if buf.len() < 5 + len {
                return Ok(());
            }
            let header: [u8; 5] = buf[..5].try_into().expect("5 bytes");
            let end = *at + 5 + len;
            *at = end;
            match typ {
                APPLICATION_DATA => {}
                // Compatibility mode may put one here; RFC 8446 says drop it
                // while handshaking only, so it is unexpected now.
                CHANGE_CIPHER_SPEC => {
                    return Err(self.fail(
                        alert::UNEXPECTED_MESSAGE,
                        "change_cipher_spec after the handshake",
                    ))
                }
                _ => {
                    return Err(
                        self.fail(alert::UNEXPECTED_MESSAGE, "a record that is not protected")
                    )
                }
            }
            // Decrypted in place in the input buffer: no copy per record.
            let start = end - len;
            let nonce = self.rx.nonce();
            let opened = self
                .rx
                .key
                .open_in_place(nonce, Aad::from(header), &mut self.inbuf[start..end])
                .map(|plain| plain.len());
            let Ok(plain_len) = opened else {
                return Err(self.fail(alert::BAD_RECORD_MAC, "decryption failed"));
            };
            self.rx.seq += 1;
            // The content type is the last non-zero byte (RFC 8446, 5.2).
            let plain = &self.inbuf[start..start + plain_len];
            let Some(tpos) = plain.iter().rposition(|b| *b != 0) else {
                return Err(self.fail(alert::UNEXPECTED_MESSAGE, "a record with no content type"));
            };
            let (content, inner) = (start..start + tpos, plain[tpos]);
            if content.len() > MAX_FRAGMENT {
                return Err(self.fail(alert::RECORD_OVERFLOW, "a plaintext over 2^14 bytes"));
            }
            match inner {
                APPLICATION_DATA => o.plaintext.extend_from_slice(&self.inbuf[content]),
                // Rare and small: copied out, as handling them changes `self`.
                ALERT => {
                    let alert = self.inbuf[content].to_vec();
                    self.on_alert(&alert, o)?
                }
                HANDSHAKE => {
                    let msgs = self.inbuf[content].to_vec();
                    self.on_handshake(&msgs, o)?
                }
                _ => return Err(self.fail(alert::UNEXPECTED_MESSAGE, "an unexpected content type")),
            }
        }
        Ok(())
    }

    fn on_alert(&mut self, content: &[u8], o: &mut Opened) -> Result<(), RecordError> {
        let [_level, code] = content else {
            return Err(self.fail(alert::DECODE_ERROR, "a malformed alert"));
        };
        match *code {
            alert::CLOSE_NOTIFY => {
                self.peer_closed = true;
                o.peer_closed = true;
                Ok(())
            }
            // Not an error in TLS 1.3; close_notify follows.
            alert::USER_CANCELED => Ok(()),
            code => {
                self.failed = true;
                Err(RecordError {
                    code,
                    local: false,
                    detail: None,
                    output: Vec::new(),
                })
            }
        }
    }

    fn on_handshake(&mut self, mut msgs: &[u8], o: &mut Opened) -> Result<(), RecordError> {
        // Messages after the handshake are small and never span records here.
        while !msgs.is_empty() {
            if msgs.len() < 4 {
                return Err(self.fail(alert::DECODE_ERROR, "a truncated handshake message"));
            }
            let len = usize::from(msgs[1]) << 16 | usize::from(msgs[2]) << 8 | usize::from(msgs[3]);
            if msgs.len() < 4 + len {
                return Err(self.fail(
                    alert::DECODE_ERROR,
                    "a handshake message split across records",
                ));
            }
            let body = &msgs[4..4 + len];
            match msgs[0] {
                KEY_UPDATE => {
                    let request = match body {
                        [0] => false,
                        [1] => true,
                        _ => return Err(self.fail(alert::DECODE_ERROR, "a malformed KeyUpdate")),
                    };
                    self.rx.update(&self.suite);
                    if request {
                        self.key_update(false, &mut o.output);
                    }
                }
                // A client's resumption tickets: not kept (see the README).
                NEW_SESSION_TICKET => {}
                _ => {
                    return Err(self.fail(
                        alert::UNEXPECTED_MESSAGE,
                        "a handshake message after the handshake (renegotiation is not TLS 1.3)",
                    ))
                }
            }
            msgs = &msgs[4 + len..];
        }
        Ok(())
    }

    /// `export_key_materials/4` (RFC 8446, 7.5); no context and an empty one
    /// are the same in TLS 1.3.
    pub(crate) fn export(&self, label: &[u8], context: Option<&[u8]>, len: usize) -> Vec<u8> {
        let h = self.suite.hash;
        let empty = digest::digest(h, b"");
        let derived = expand_label(
            self.suite.hkdf,
            &self.exporter,
            label,
            empty.as_ref(),
            h.output_len(),
        );
        let ctx = digest::digest(h, context.unwrap_or_default());
        expand_label(self.suite.hkdf, &derived, b"exporter", ctx.as_ref(), len)
    }
}

#[cfg(test)]
mod tests {
    //! Against native rustls: a rustls client and server finish a handshake
    //! in memory, then the server's records are handed to this layer.

    use super::*;
    use std::io::{Read, Write};
    use std::sync::{Arc, Mutex};

    #[derive(Debug, Default)]
    struct Log(Mutex<Vec<(String, Vec<u8>)>>);

    impl rustls::KeyLog for Log {
        fn log(&self, label: &str, _random: &[u8], secret: &[u8]) {
            self.0.lock().unwrap().push((label.into(), secret.to_vec()));
        }
    }

    fn pump(from: &mut impl FnMut(&mut Vec<u8>), to: &mut rustls::Connection) {
        let mut buf = Vec::new();
        from(&mut buf);
        let mut rd = &buf[..];
        while !rd.is_empty() {
            to.read_tls(&mut rd).unwrap();
            to.process_new_packets().unwrap();
        }
    }

    /// A rustls client and a RecordLayer that was a rustls server.
    fn pair(
        suite: &'static rustls::SupportedCipherSuite,
    ) -> (rustls::ClientConnection, RecordLayer) {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["localhost".into()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let mut provider = rustls::crypto::ring::default_provider();
        provider.cipher_suites = vec![*suite];
        let provider = Arc::new(provider);
        let log = Arc::new(Log::default());
        let mut sc = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(&[&rustls::version::TLS13])
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![cert.der().clone()],
                rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
            )
            .unwrap();
        sc.key_log = log.clone();
        sc.enable_secret_extraction = true;
        let mut roots = rustls::RootCertStore::empty();
        roots.add(cert.der().clone()).unwrap();
        let cc = rustls::ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS13])
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        let mut client = rustls::Connection::from(
            rustls::ClientConnection::new(Arc::new(cc), "localhost".try_into().unwrap()).unwrap(),
        );
        let mut server =
            rustls::Connection::from(rustls::ServerConnection::new(Arc::new(sc)).unwrap());
        while client.is_handshaking() || server.is_handshaking() || server.wants_write() {
            pump(
                &mut |b| {
                    while client.wants_write() {
                        client.write_tls(b).unwrap();
                    }
                },
                &mut server,
            );
            pump(
                &mut |b| {
                    while server.wants_write() {
                        server.write_tls(b).unwrap();
                    }
                },
                &mut client,
            );
        }
        let rustls::Connection::Server(server) = server else {
            unreachable!()
        };
        #[allow(deprecated)]
        let x = server.dangerous_extract_secrets().unwrap();
        let kept = log.0.lock().unwrap().clone();
        let secret = |l: &str| kept.iter().find(|(k, _)| k == l).unwrap().1.clone();
        let layer = RecordLayer::new(Handover {
            suite: u16::from(suite.suite()),
            tx_seq: x.tx.0,
            tx_secret: secret("SERVER_TRAFFIC_SECRET_0"),
            rx_seq: x.rx.0,
            rx_secret: secret("CLIENT_TRAFFIC_SECRET_0"),
            exporter_secret: secret("EXPORTER_SECRET"),
            pending: Vec::new(),
        })
        .unwrap();
        let rustls::Connection::Client(client) = client else {
            unreachable!()
        };
        (client, layer)
    }

    fn client_sends(c: &mut rustls::ClientConnection, data: &[u8]) -> Vec<u8> {
        c.writer().write_all(data).unwrap();
        let mut out = Vec::new();
        while c.wants_write() {
            c.write_tls(&mut out).unwrap();
        }
        out
    }

    fn client_reads(c: &mut rustls::ClientConnection, mut records: &[u8]) -> Vec<u8> {
        while !records.is_empty() {
            c.read_tls(&mut records).unwrap();
            c.process_new_packets().unwrap();
        }
        let mut got = Vec::new();
        let _ = c.reader().read_to_end(&mut got);
        got
    }

    #[test]
    fn speaks_tls13_with_rustls_in_every_suite() {
        for suite in rustls::crypto::ring::DEFAULT_CIPHER_SUITES
            .iter()
            .filter(|s| s.version() == &rustls::version::TLS13)
        {
            let (mut client, mut layer) = pair(suite);
            // The layer reads what the client wrote, split at every awkward place.
            let wire = client_sends(&mut client, &vec![7u8; 40_000]);
            let mut got = Vec::new();
            for piece in wire.chunks(4099) {
                got.extend(layer.open(piece).unwrap().plaintext);
            }
            assert_eq!(got, vec![7u8; 40_000], "{:?}", suite.suite());
            // The client reads what the layer wrote.
            let records = layer.seal(b"hello from the host");
            assert_eq!(client_reads(&mut client, &records), b"hello from the host");
            // The exporter agrees with rustls's.
            let mut theirs = [0u8; 48];
            client
                .export_keying_material(&mut theirs, b"EXPERIMENTAL wassl", Some(b"ctx"))
                .unwrap();
            assert_eq!(
                layer.export(b"EXPERIMENTAL wassl", Some(b"ctx"), 48),
                theirs
            );
        }
    }

    #[test]
    fn follows_key_updates_both_ways() {
        let (mut client, mut layer) =
            pair(&rustls::crypto::ring::cipher_suite::TLS13_AES_128_GCM_SHA256);
        // The client updates and asks us to: we follow and answer in kind.
        client.refresh_traffic_keys().unwrap();
        let wire = client_sends(&mut client, b"after the update");
        let o = layer.open(&wire).unwrap();
        assert_eq!(o.plaintext, b"after the update");
        assert!(!o.output.is_empty(), "a KeyUpdate answers update_requested");
        let mut both = o.output;
        both.extend(layer.seal(b"new keys"));
        assert_eq!(client_reads(&mut client, &both), b"new keys");
        // We update on our own, without asking.
        let mut upd = layer.update_keys(false);
        upd.extend(layer.seal(b"newer keys"));
        assert_eq!(client_reads(&mut client, &upd), b"newer keys");
        let wire = client_sends(&mut client, b"still fine");
        assert_eq!(layer.open(&wire).unwrap().plaintext, b"still fine");
    }

    #[test]
    fn close_notify_then_plain_bytes_are_rest() {
        let (mut client, mut layer) =
            pair(&rustls::crypto::ring::cipher_suite::TLS13_CHACHA20_POLY1305_SHA256);
        client.send_close_notify();
        let mut wire = client_sends(&mut client, b"");
        wire.extend_from_slice(b"plain tcp");
        let o = layer.open(&wire).unwrap();
        assert!(o.peer_closed);
        assert_eq!(o.rest, b"plain tcp");
        // And our close_notify is one the client understands.
        let bye = layer.close_notify();
        let mut rd = &bye[..];
        client.read_tls(&mut rd).unwrap();
        assert!(client.process_new_packets().unwrap().peer_has_closed());
    }

    #[test]
    fn a_flipped_bit_is_bad_record_mac_and_the_alert_is_sealed() {
        let (mut client, mut layer) =
            pair(&rustls::crypto::ring::cipher_suite::TLS13_AES_256_GCM_SHA384);
        let mut wire = client_sends(&mut client, b"tamper with me");
        wire[8] ^= 1;
        let e = layer.open(&wire).unwrap_err();
        assert_eq!((e.code, e.local), (alert::BAD_RECORD_MAC, true));
        let mut rd = &e.output[..];
        client.read_tls(&mut rd).unwrap();
        let err = client.process_new_packets().unwrap_err();
        assert_eq!(
            err,
            rustls::Error::AlertReceived(rustls::AlertDescription::BadRecordMac)
        );
        // An oversized record is refused before it is buffered whole.
        let (_, mut layer) = pair(&rustls::crypto::ring::cipher_suite::TLS13_AES_128_GCM_SHA256);
        let e = layer.open(&[23, 3, 3, 0x48, 0x01]).unwrap_err();
        assert_eq!(e.code, alert::RECORD_OVERFLOW);
    }
}

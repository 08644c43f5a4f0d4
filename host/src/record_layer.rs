//! The record layer, outside the sandbox (a kTLS-style offload).
//!
//! After the handshake the engine hands over its application traffic
//! secrets (TLS 1.3) or keys (TLS 1.2) (`records.hand-off`); from then on
//! records are sealed and opened here with ring, natively, instead of by
//! ring compiled to wasm, which has no AES instructions. The engine keeps
//! what it knows about the connection (certificates, negotiated parameters)
//! for `connection_information`. Everything a record layer must do after
//! the handshake is here. TLS 1.3 (RFC 8446): KeyUpdate in both directions
//! (and keys refreshed before a suite's confidentiality limit),
//! NewSessionTicket (read and dropped: client tickets stay unsupported),
//! alerts, the exporter and close_notify. TLS 1.2 (RFC 5246): explicit GCM
//! nonces (RFC 5288) and ChaCha20's (RFC 7905), warning alerts, a
//! renegotiation request answered with `no_renegotiation` as rustls does,
//! RFC 5705 exporters.

use crate::provider::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey};
use crate::provider::{digest, hkdf};

use crate::kdf::{expand_label, tls12_prf, Sha};

/// Largest plaintext of one record.
const MAX_FRAGMENT: usize = 16384;
/// Largest ciphertext of one TLS 1.3 record (RFC 8446, 5.2).
const MAX_CIPHERTEXT: usize = MAX_FRAGMENT + 256;
/// Largest ciphertext of one TLS 1.2 record (RFC 5246, 6.2.3).
const MAX_CIPHERTEXT_TLS12: usize = MAX_FRAGMENT + 2048;
/// The largest handshake message taken, as rustls.
const MAX_HANDSHAKE: usize = 0xffff;

const CHANGE_CIPHER_SPEC: u8 = 20;
const ALERT: u8 = 21;
const HANDSHAKE: u8 = 22;
const APPLICATION_DATA: u8 = 23;
/// RFC 6520's content type: no TLS stack here speaks it.
const HEARTBEAT: u8 = 24;

const HELLO_REQUEST: u8 = 0;
const CLIENT_HELLO: u8 = 1;
const NEW_SESSION_TICKET: u8 = 4;
const KEY_UPDATE: u8 = 24;

/// A plaintext fatal `internal_error` alert (TLS 1.2 record version): how a
/// server refuses a connection before any keys exist (pool full, too many
/// handshakes from one address), so the peer sees an alert, not a reset.
pub(crate) const PLAINTEXT_INTERNAL_ERROR: [u8; 7] = [ALERT, 3, 3, 0, 2, 2, 80];

const WARNING: u8 = 1;
const FATAL: u8 = 2;

/// Alert codes this layer sends.
pub(crate) mod alert {
    pub(crate) const CLOSE_NOTIFY: u8 = 0;
    pub(crate) const UNEXPECTED_MESSAGE: u8 = 10;
    pub(crate) const BAD_RECORD_MAC: u8 = 20;
    pub(crate) const RECORD_OVERFLOW: u8 = 22;
    pub(crate) const ILLEGAL_PARAMETER: u8 = 47;
    pub(crate) const DECODE_ERROR: u8 = 50;
    pub(crate) const USER_CANCELED: u8 = 90;
    pub(crate) const NO_RENEGOTIATION: u8 = 100;
}

/// Which end this layer is (TLS 1.2 refuses a renegotiation request by
/// the peer's role: HelloRequest to a client, ClientHello to a server).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Side {
    Client,
    Server,
}

/// KeyUpdates a TLS 1.3 peer may send between application data records
/// (rustls's and BoringSSL's limit).
const KEY_UPDATES: u8 = 32;
/// Warning alerts a peer may send (rustls's limit).
const WARNINGS: u8 = 4;

/// Records one AES-GCM key may protect, less a margin: RFC 8446, 5.5 for
/// TLS 1.3 (then keys are updated); rustls's limit for TLS 1.2 (then the
/// connection must end, as TLS 1.2 cannot update keys).
const AES_GCM_LIMIT: u64 = (1u64 << 24) - 4096;

/// The algorithms of one TLS 1.3 suite.
#[derive(Clone, Copy)]
struct Suite {
    aead: &'static aead::Algorithm,
    hkdf: hkdf::Algorithm,
    hash: &'static digest::Algorithm,
    /// Records one key may protect: past it this layer updates its keys first.
    limit: u64,
}

impl Suite {
    fn from_code(code: u16) -> Option<Suite> {
        match code {
            0x1301 => Some(Suite {
                aead: &aead::AES_128_GCM,
                hkdf: hkdf::HKDF_SHA256,
                hash: &digest::SHA256,
                limit: AES_GCM_LIMIT,
            }),
            0x1302 => Some(Suite {
                aead: &aead::AES_256_GCM,
                hkdf: hkdf::HKDF_SHA384,
                hash: &digest::SHA384,
                limit: AES_GCM_LIMIT,
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

/// A TLS 1.2 suite's AEAD and PRF hash (rustls's: ECDHE with AES-GCM or
/// ChaCha20-Poly1305).
fn tls12_suite(code: u16) -> Option<(&'static aead::Algorithm, Sha)> {
    match code {
        0xc02b | 0xc02f => Some((&aead::AES_128_GCM, Sha::Sha256)),
        0xc02c | 0xc030 => Some((&aead::AES_256_GCM, Sha::Sha384)),
        0xcca8 | 0xcca9 => Some((&aead::CHACHA20_POLY1305, Sha::Sha256)),
        _ => None,
    }
}

/// Keys for one direction.
struct Direction {
    /// TLS 1.3's traffic secret (the next keys come from it); empty in TLS 1.2.
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

    /// TLS 1.2: the keys themselves; `None` when their lengths are wrong.
    fn with_keys(aead: &'static aead::Algorithm, key: &[u8], iv: &[u8], seq: u64) -> Option<Self> {
        Some(Direction {
            key: LessSafeKey::new(UnboundKey::new(aead, key).ok()?),
            iv: iv.try_into().ok()?,
            secret: Vec::new(),
            seq,
        })
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

    /// The IV with the sequence number XORed into its last 8 bytes
    /// (RFC 8446, 5.3; RFC 7905; and the explicit part of RFC 5288's).
    fn nonce_bytes(&self) -> [u8; 12] {
        let mut n = self.iv;
        for (b, s) in n[4..].iter_mut().zip(self.seq.to_be_bytes()) {
            *b ^= s;
        }
        n
    }

    fn nonce(&self) -> Nonce {
        Nonce::assume_unique_for_key(self.nonce_bytes())
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

/// What differs between the versions.
enum Protocol {
    /// TLS 1.3: the suite's KDF (key updates) and the exporter secret.
    Tls13 {
        side: Side,
        suite: Suite,
        exporter: Vec<u8>,
        /// As rustls: at most 32 KeyUpdates between two application data
        /// records, so that a peer cannot make this end answer without end.
        key_updates_left: u8,
    },
    Tls12(Tls12),
}

/// A TLS 1.2 connection's state besides its keys.
struct Tls12 {
    /// AES-GCM sends 8 bytes of nonce in each record; ChaCha20 none.
    explicit_nonce: bool,
    prf: Sha,
    master_secret: Vec<u8>,
    /// client_random + server_random, the exporter's seed (RFC 5705).
    randoms: Vec<u8>,
    /// The handshake message that asks this end to renegotiate.
    renegotiation: u8,
    /// As rustls: one renegotiation request is refused with a warning,
    /// the next ends the connection.
    renegotiations_left: u8,
}

/// One connection's record layer, handed over by its engine.
pub(crate) struct RecordLayer {
    protocol: Protocol,
    tx: Direction,
    rx: Direction,
    tag_len: usize,
    /// Records one sending key may protect.
    limit: u64,
    inbuf: Vec<u8>,
    /// The start of a handshake message whose rest is in records to come:
    /// a peer may split one (RFC 5246, 6.2.1; RFC 8446, 5.1).
    handshake: Vec<u8>,
    /// Warning alerts still taken (rustls's limit, both versions).
    warnings_left: u8,
    peer_closed: bool,
    failed: bool,
}

/// What a TLS 1.3 engine hands over (the WIT `traffic-secrets`, minus WIT).
pub(crate) struct Handover {
    pub(crate) side: Side,
    pub(crate) suite: u16,
    pub(crate) tx_seq: u64,
    pub(crate) tx_secret: Vec<u8>,
    pub(crate) rx_seq: u64,
    pub(crate) rx_secret: Vec<u8>,
    pub(crate) exporter_secret: Vec<u8>,
    pub(crate) pending: Vec<u8>,
}

/// What a TLS 1.2 engine hands over (the WIT `tls12-keys`, minus WIT).
pub(crate) struct Tls12Handover {
    pub(crate) side: Side,
    pub(crate) suite: u16,
    pub(crate) tx_seq: u64,
    pub(crate) rx_seq: u64,
    pub(crate) master_secret: Vec<u8>,
    pub(crate) client_random: Vec<u8>,
    pub(crate) server_random: Vec<u8>,
    pub(crate) pending: Vec<u8>,
}

impl RecordLayer {
    /// A TLS 1.3 record layer for the suite and secrets given; `None` for a
    /// suite this layer does not know (the engine then keeps its records).
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
            tag_len: suite.aead.tag_len(),
            limit: suite.limit,
            protocol: Protocol::Tls13 {
                side: h.side,
                suite,
                exporter: h.exporter_secret,
                key_updates_left: KEY_UPDATES,
            },
            inbuf: h.pending,
            handshake: Vec::new(),
            warnings_left: WARNINGS,
            peer_closed: false,
            failed: false,
        })
    }

    /// A TLS 1.2 record layer, its keys derived from the master secret;
    /// `None` for a suite this layer does not know or inputs of the wrong
    /// length.
    pub(crate) fn tls12(h: Tls12Handover) -> Option<RecordLayer> {
        let (aead, prf) = tls12_suite(h.suite)?;
        if h.client_random.len() != 32 || h.server_random.len() != 32 || h.master_secret.len() != 48
        {
            return None;
        }
        let gcm = *aead != aead::CHACHA20_POLY1305;
        // The key block (RFC 5246, 6.3): no MAC keys with an AEAD; GCM's
        // fixed IV is 4 bytes (RFC 5288), ChaCha20's 12 (RFC 7905). For GCM
        // rustls takes 8 more bytes, XORed with the sequence number into
        // the explicit nonces it sends: the same here, so that no nonce
        // rustls used before the hand-off comes again.
        let (fixed_iv, extra) = if gcm { (4, 8) } else { (12, 0) };
        let key_len = aead.key_len();
        let mut block = vec![0u8; 2 * key_len + 2 * fixed_iv + extra];
        let seed = [&h.server_random[..], &h.client_random[..]].concat();
        tls12_prf(prf, &h.master_secret, b"key expansion", &seed, &mut block);
        let (client_key, rest) = block.split_at(key_len);
        let (server_key, rest) = rest.split_at(key_len);
        let (client_iv, rest) = rest.split_at(fixed_iv);
        let (server_iv, explicit) = rest.split_at(fixed_iv);
        let client_iv = [client_iv, explicit].concat();
        let server_iv = [server_iv, explicit].concat();
        let (tx, rx) = match h.side {
            Side::Client => ((client_key, &client_iv), (server_key, &server_iv)),
            Side::Server => ((server_key, &server_iv), (client_key, &client_iv)),
        };
        let tx = Direction::with_keys(aead, tx.0, tx.1, h.tx_seq);
        let rx = Direction::with_keys(aead, rx.0, rx.1, h.rx_seq);
        block.iter_mut().for_each(|b| *b = 0);
        Some(RecordLayer {
            tx: tx?,
            rx: rx?,
            tag_len: aead.tag_len(),
            limit: if gcm { AES_GCM_LIMIT } else { u64::MAX },
            protocol: Protocol::Tls12(Tls12 {
                explicit_nonce: gcm,
                prf,
                master_secret: h.master_secret,
                randoms: [h.client_random, h.server_random].concat(),
                renegotiation: match h.side {
                    Side::Client => HELLO_REQUEST,
                    Side::Server => CLIENT_HELLO,
                },
                renegotiations_left: 1,
            }),
            inbuf: h.pending,
            handshake: Vec::new(),
            warnings_left: WARNINGS,
            peer_closed: false,
            failed: false,
        })
    }

    fn seal_record(&mut self, content_type: u8, fragment: &[u8], out: &mut Vec<u8>) {
        if let Protocol::Tls12(t) = &self.protocol {
            let explicit = if t.explicit_nonce { 8 } else { 0 };
            let len = explicit + fragment.len() + self.tag_len;
            let nonce = self.tx.nonce_bytes();
            out.extend_from_slice(&[content_type, 3, 3, (len >> 8) as u8, len as u8]);
            out.extend_from_slice(&nonce[12 - explicit..]);
            let aad = tls12_aad(self.tx.seq, content_type, [3, 3], fragment.len());
            let start = out.len();
            out.extend_from_slice(fragment);
            let tag = self
                .tx
                .key
                .seal_in_place_separate_tag(
                    Nonce::assume_unique_for_key(nonce),
                    Aad::from(aad),
                    &mut out[start..],
                )
                .expect("record sizes are far below the AEAD limit");
            out.extend_from_slice(tag.as_ref());
            self.tx.seq += 1;
            return;
        }
        if self.tx.seq >= self.limit {
            self.key_update(false, out);
        }
        let len = fragment.len() + 1 + self.tag_len;
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

    /// A record of any content (fuzzing's peer): in TLS 1.3 `inner` is the
    /// whole inner plaintext (content, type, padding), in TLS 1.2 its first
    /// byte is the record's type.
    #[cfg(feature = "fuzzing")]
    pub(crate) fn seal_raw(&mut self, inner: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let split = match self.protocol {
            Protocol::Tls12(_) => inner.split_first(),
            Protocol::Tls13 { .. } => inner.split_last(),
        };
        if let Some((&typ, fragment)) = split {
            self.seal_record(typ, fragment, &mut out);
        }
        out
    }

    /// Idle: give back the input buffer's spare capacity (all of it, to
    /// the spares, when no partial record waits in it).
    pub(crate) fn hibernate(&mut self) {
        if self.inbuf.is_empty() {
            crate::buffers::give(std::mem::take(&mut self.inbuf));
        } else {
            self.inbuf.shrink_to_fit();
        }
    }

    /// Application data into records. A TLS 1.2 AES-GCM key that has
    /// protected its limit of records cannot be replaced: the connection
    /// ends with close_notify instead (rustls does the same).
    pub(crate) fn seal(&mut self, data: &[u8]) -> Result<Vec<u8>, RecordError> {
        let records = data.len().div_ceil(MAX_FRAGMENT).max(1) as u64;
        if matches!(self.protocol, Protocol::Tls12(_))
            && self.tx.seq.saturating_add(records) > self.limit
        {
            let output = self.close_notify();
            self.failed = true;
            return Err(RecordError {
                code: alert::CLOSE_NOTIFY,
                local: true,
                detail: Some(
                    "the AES-GCM key has protected its limit of records and TLS 1.2 cannot replace it"
                        .into(),
                ),
                output,
            });
        }
        let mut out = crate::buffers::take(data.len() + records as usize * 29);
        for chunk in data.chunks(MAX_FRAGMENT) {
            self.seal_record(APPLICATION_DATA, chunk, &mut out);
        }
        Ok(out)
    }

    /// The close_notify alert.
    pub(crate) fn close_notify(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        if !self.failed {
            self.seal_record(ALERT, &[WARNING, alert::CLOSE_NOTIFY], &mut out);
        }
        out
    }

    /// Send a KeyUpdate, then switch to the next sending keys.
    /// `request` asks the peer to update its keys too (`read_write`).
    fn key_update(&mut self, request: bool, out: &mut Vec<u8>) {
        let Protocol::Tls13 { suite, .. } = self.protocol else {
            return;
        };
        let msg = [KEY_UPDATE, 0, 0, 1, u8::from(request)];
        // Sealed under the old keys; the limit check cannot recurse: the
        // update resets seq to 0.
        let limit = std::mem::replace(&mut self.limit, u64::MAX);
        self.seal_record(HANDSHAKE, &msg, out);
        self.limit = limit;
        self.tx.update(&suite);
    }

    /// `update_keys/2`: the KeyUpdate record to send; `None` in TLS 1.2,
    /// which has no key update.
    pub(crate) fn update_keys(&mut self, request_peer: bool) -> Option<Vec<u8>> {
        if matches!(self.protocol, Protocol::Tls12(_)) {
            return None;
        }
        let mut out = Vec::new();
        self.key_update(request_peer, &mut out);
        Some(out)
    }

    fn fail(&mut self, code: u8, detail: impl Into<String>) -> RecordError {
        let mut output = Vec::new();
        self.seal_record(ALERT, &[FATAL, code], &mut output);
        self.failed = true;
        RecordError {
            code,
            local: true,
            detail: Some(detail.into()),
            output,
        }
    }

    /// Where the peer's bytes wait to be opened, with room for `room` more:
    /// a socket reads into it, after what is there, and then calls
    /// [`Self::open`] with nothing more, so a stream's bytes are not copied
    /// from a read buffer into this one.
    pub(crate) fn input(&mut self, room: usize) -> &mut Vec<u8> {
        if self.inbuf.capacity() == 0 {
            self.inbuf = crate::buffers::take(room);
        } else {
            self.inbuf.reserve(room);
        }
        &mut self.inbuf
    }

    /// Bytes from the peer (after any put in [`Self::input`]): decrypt every
    /// complete record, keep the rest.
    pub(crate) fn open(&mut self, data: &[u8]) -> Result<Opened, RecordError> {
        let mut o = Opened::default();
        self.inbuf.extend_from_slice(data);
        if self.peer_closed {
            o.rest = std::mem::take(&mut self.inbuf);
            return Ok(o);
        }
        let mut at = 0;
        let r = self.open_records(&mut at, &mut o);
        self.inbuf.drain(..at);
        if o.peer_closed {
            o.rest = std::mem::take(&mut self.inbuf);
        }
        r.map(|()| o)
    }

    /// A record header, checked byte by byte as it arrives and in the
    /// order rustls's deframer checks it (so that the layer and the engine
    /// answer the same bytes the same way): the type, the version (3.x),
    /// then the length; `None` until all five bytes are in. Then the
    /// type's place after the handshake.
    fn header(&mut self, at: usize, max: usize) -> Result<Option<(u8, usize)>, RecordError> {
        let tls12 = matches!(self.protocol, Protocol::Tls12(_));
        let mut head = [0u8; 5];
        let have = self.inbuf.len().saturating_sub(at).min(5);
        head[..have].copy_from_slice(&self.inbuf[at..at + have]);
        let buf = &head[..have];
        let Some(&typ) = buf.first() else {
            return Ok(None);
        };
        // RFC 8446, 5 asks unexpected_message; rustls answers decode_error.
        if !(CHANGE_CIPHER_SPEC..=HEARTBEAT).contains(&typ) {
            return Err(self.fail(alert::DECODE_ERROR, "a record of an unknown type"));
        }
        // 3.x, or a version rustls names (SSL 2, DTLS): its deframer takes
        // those and the record then does not open (a TLS 1.2 record is
        // authenticated with its version, a TLS 1.3 one with its header).
        const NAMED: [u16; 4] = [0x0002, 0xfefc, 0xfefd, 0xfeff];
        let refused = match (buf.get(1), buf.get(2)) {
            (Some(&3), _) | (None, _) => false,
            (Some(&major), Some(&minor)) => !NAMED.contains(&u16::from_be_bytes([major, minor])),
            (Some(&major), None) => !NAMED.iter().any(|v| v >> 8 == u16::from(major)),
        };
        if refused {
            return Err(self.fail(alert::DECODE_ERROR, "a record that is not TLS 3.x"));
        }
        let Some(&[_, _, _, hi, lo]) = buf.get(..5) else {
            return Ok(None);
        };
        let len = usize::from(u16::from_be_bytes([hi, lo]));
        if len == 0 && typ != APPLICATION_DATA {
            return Err(self.fail(alert::DECODE_ERROR, "an empty record"));
        }
        if len > max {
            return Err(self.fail(alert::RECORD_OVERFLOW, "a record over its largest size"));
        }
        match typ {
            APPLICATION_DATA => Ok(Some((typ, len))),
            // A heartbeat too, as rustls opens it before it cannot decode it.
            ALERT | HANDSHAKE | HEARTBEAT if tls12 => Ok(Some((typ, len))),
            // TLS 1.2: read whole and judged in the clear, as rustls does
            // (it does not decrypt a change_cipher_spec).
            CHANGE_CIPHER_SPEC if tls12 => Ok(Some((typ, len))),
            // TLS 1.3's compatibility mode may put one here; RFC 8446
            // says drop it while handshaking only, so it is unexpected now.
            CHANGE_CIPHER_SPEC => Err(self.fail(
                alert::UNEXPECTED_MESSAGE,
                "change_cipher_spec after the handshake",
            )),
            _ => Err(self.fail(alert::UNEXPECTED_MESSAGE, "a record that is not protected")),
        }
    }

    fn open_records(&mut self, at: &mut usize, o: &mut Opened) -> Result<(), RecordError> {
        let tls12 = matches!(self.protocol, Protocol::Tls12(_));
        let max = if tls12 {
            MAX_CIPHERTEXT_TLS12
        } else {
            MAX_CIPHERTEXT
        };
        while !o.peer_closed {
            let Some((typ, len)) = self.header(*at, max)? else {
                return Ok(());
            };
            let buf = &self.inbuf[*at..];
            if buf.len() < 5 + len {
                return Ok(());
            }
            let header: [u8; 5] = buf[..5].try_into().expect("5 bytes");
            let end = *at + 5 + len;
            *at = end;
            // In the clear, unless it cuts into a handshake message split
            // across records: rustls then opens it as any other record.
            if typ == CHANGE_CIPHER_SPEC && self.handshake.is_empty() {
                return Err(if self.inbuf[end - len..end] == [1] {
                    self.fail(
                        alert::UNEXPECTED_MESSAGE,
                        "change_cipher_spec after the handshake",
                    )
                } else {
                    self.fail(alert::DECODE_ERROR, "a malformed change_cipher_spec")
                });
            }
            // Decrypted in place in the input buffer: no copy per record.
            let (content, inner) = if tls12 {
                self.open_tls12(header, end - len, end)?
            } else {
                self.open_tls13(header, end - len, end)?
            };
            if content.len() > MAX_FRAGMENT {
                return Err(self.fail(alert::RECORD_OVERFLOW, "a plaintext over 2^14 bytes"));
            }
            if inner != HANDSHAKE && !self.handshake.is_empty() {
                return Err(self.fail(
                    alert::UNEXPECTED_MESSAGE,
                    "a record inside a handshake message split across records",
                ));
            }
            match inner {
                APPLICATION_DATA => {
                    if let Protocol::Tls13 {
                        key_updates_left, ..
                    } = &mut self.protocol
                    {
                        *key_updates_left = KEY_UPDATES;
                    }
                    if o.plaintext.capacity() == 0 {
                        // Room for all this read's plaintext: no reallocation
                        // (and copy) per record.
                        o.plaintext = crate::buffers::take(self.inbuf.len() - content.start);
                    }
                    o.plaintext.extend_from_slice(&self.inbuf[content])
                }
                // Rare and small: copied out, as handling them changes `self`.
                ALERT => {
                    let alert = self.inbuf[content].to_vec();
                    self.on_alert(&alert, o)?
                }
                HANDSHAKE => {
                    let mut msgs = std::mem::take(&mut self.handshake);
                    msgs.extend_from_slice(&self.inbuf[content]);
                    self.on_handshake(msgs, o)?
                }
                CHANGE_CIPHER_SPEC => {
                    return Err(self.fail(
                        alert::UNEXPECTED_MESSAGE,
                        "change_cipher_spec after the handshake",
                    ))
                }
                // A type TLS 1.3 does not carry (heartbeat, unknown): rustls
                // cannot decode it (decode_error), so neither does this layer.
                _ => return Err(self.fail(alert::DECODE_ERROR, "an unknown content type")),
            }
        }
        Ok(())
    }

    /// Open the TLS 1.3 record at `start..end`: the content's range and type.
    fn open_tls13(
        &mut self,
        header: [u8; 5],
        start: usize,
        end: usize,
    ) -> Result<(std::ops::Range<usize>, u8), RecordError> {
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
        // RFC 8446, 5.4: the inner plaintext (content, type, padding) is at
        // most 2^14 + 1 bytes; the limit holds before the padding goes.
        if plain_len > MAX_FRAGMENT + 1 {
            return Err(self.fail(
                alert::RECORD_OVERFLOW,
                "an inner plaintext over 2^14 + 1 bytes",
            ));
        }
        // The content type is the last non-zero byte (RFC 8446, 5.2).
        let plain = &self.inbuf[start..start + plain_len];
        let Some(tpos) = plain.iter().rposition(|b| *b != 0) else {
            return Err(self.fail(alert::UNEXPECTED_MESSAGE, "a record with no content type"));
        };
        Ok((start..start + tpos, plain[tpos]))
    }

    /// Open the TLS 1.2 record of type `typ` at `start..end`.
    fn open_tls12(
        &mut self,
        header: [u8; 5],
        start: usize,
        end: usize,
    ) -> Result<(std::ops::Range<usize>, u8), RecordError> {
        let typ = header[0];
        let Protocol::Tls12(t) = &self.protocol else {
            unreachable!("a TLS 1.2 layer")
        };
        let explicit = if t.explicit_nonce { 8 } else { 0 };
        let Some(plain_len) = (end - start).checked_sub(explicit + self.tag_len) else {
            return Err(self.fail(alert::BAD_RECORD_MAC, "a record too short to be sealed"));
        };
        let mut nonce = self.rx.nonce_bytes();
        if explicit > 0 {
            // RFC 5288: the salt, then the 8 bytes the sender chose.
            nonce[4..].copy_from_slice(&self.inbuf[start..start + 8]);
        }
        // The version as received (RFC 5246, 6.2.3.3: the record's own),
        // so that a header changed on the way fails authentication.
        let aad = tls12_aad(self.rx.seq, typ, [header[1], header[2]], plain_len);
        let body = start + explicit;
        let opened = self.rx.key.open_in_place(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(aad),
            &mut self.inbuf[body..end],
        );
        if opened.is_err() {
            return Err(self.fail(alert::BAD_RECORD_MAC, "decryption failed"));
        }
        self.rx.seq += 1;
        Ok((body..body + plain_len, typ))
    }

    /// An alert from the peer, judged as rustls judges it (the engine's
    /// answers before the hand-off): a level other than warning or fatal
    /// is illegal_parameter; close_notify at either level ends the stream;
    /// a warning counts against the limit and, in TLS 1.3, is decode_error
    /// unless it is user_canceled; a fatal alert ends the connection.
    fn on_alert(&mut self, content: &[u8], o: &mut Opened) -> Result<(), RecordError> {
        let [level, code] = *content else {
            return Err(self.fail(alert::DECODE_ERROR, "a malformed alert"));
        };
        if level != WARNING && level != FATAL {
            return Err(self.fail(alert::ILLEGAL_PARAMETER, "an alert of unknown level"));
        }
        if code == alert::CLOSE_NOTIFY {
            self.peer_closed = true;
            o.peer_closed = true;
            return Ok(());
        }
        if level == WARNING {
            let Some(left) = self.warnings_left.checked_sub(1) else {
                return Err(self.fail(alert::UNEXPECTED_MESSAGE, "too many warning alerts"));
            };
            self.warnings_left = left;
            let tls13 = matches!(self.protocol, Protocol::Tls13 { .. });
            if tls13 && code != alert::USER_CANCELED {
                // RFC 8446, 6: all alerts but these two are fatal.
                return Err(self.fail(alert::DECODE_ERROR, "a warning alert in TLS 1.3"));
            }
            // TLS 1.2's warnings (user_canceled, no_renegotiation...) and
            // TLS 1.3's user_canceled, which close_notify follows.
            return Ok(());
        }
        self.failed = true;
        Err(RecordError {
            code,
            local: false,
            detail: None,
            output: Vec::new(),
        })
    }

    /// The handshake messages in `buf` (what an earlier record began, then
    /// this record's); an incomplete last one waits for the next record.
    fn on_handshake(&mut self, buf: Vec<u8>, o: &mut Opened) -> Result<(), RecordError> {
        let mut msgs = &buf[..];
        while !msgs.is_empty() {
            if msgs.len() < 4 {
                self.handshake = msgs.to_vec();
                return Ok(());
            }
            let len = usize::from(msgs[1]) << 16 | usize::from(msgs[2]) << 8 | usize::from(msgs[3]);
            if len > MAX_HANDSHAKE {
                return Err(self.fail(alert::DECODE_ERROR, "a handshake message over 64 KiB"));
            }
            if msgs.len() < 4 + len {
                self.handshake = msgs.to_vec();
                return Ok(());
            }
            let body = &msgs[4..4 + len];
            let rest = msgs.len() - 4 - len;
            match (&mut self.protocol, msgs[0]) {
                (Protocol::Tls12(t), typ) if typ == t.renegotiation => {
                    if t.renegotiations_left == 0 {
                        return Err(self.fail(
                            alert::UNEXPECTED_MESSAGE,
                            "a second renegotiation request (renegotiation is not supported)",
                        ));
                    }
                    t.renegotiations_left -= 1;
                    let mut out = std::mem::take(&mut o.output);
                    self.seal_record(ALERT, &[WARNING, alert::NO_RENEGOTIATION], &mut out);
                    o.output = out;
                }
                (Protocol::Tls12(_), _) => {
                    return Err(self.fail(
                        alert::UNEXPECTED_MESSAGE,
                        "a handshake message after the handshake",
                    ))
                }
                (
                    Protocol::Tls13 {
                        suite,
                        key_updates_left,
                        ..
                    },
                    KEY_UPDATE,
                ) => {
                    // In rustls's order: a malformed body, then a key
                    // change inside a record (RFC 8446, 5.1: no handshake
                    // message spans one), then too many, then the value.
                    let request = match body {
                        [0] => Some(false),
                        [1] => Some(true),
                        [_] => None,
                        _ => return Err(self.fail(alert::DECODE_ERROR, "a malformed KeyUpdate")),
                    };
                    if rest > 0 {
                        return Err(self.fail(
                            alert::UNEXPECTED_MESSAGE,
                            "data after a KeyUpdate in its record",
                        ));
                    }
                    let Some(left) = key_updates_left.checked_sub(1) else {
                        return Err(self.fail(
                            alert::UNEXPECTED_MESSAGE,
                            "too many KeyUpdates without application data",
                        ));
                    };
                    *key_updates_left = left;
                    let suite = *suite;
                    // RFC 8446, 4.6.3: any other value is illegal_parameter.
                    let Some(request) = request else {
                        return Err(self.fail(
                            alert::ILLEGAL_PARAMETER,
                            "a KeyUpdate with an unknown request_update",
                        ));
                    };
                    self.rx.update(&suite);
                    // One answer for the requests of one read (RFC 8446,
                    // 4.6.3: several while silent get a single update). In
                    // TLS 1.3 a KeyUpdate is all this path writes.
                    if request && o.output.is_empty() {
                        self.key_update(false, &mut o.output);
                    }
                }
                // A client's resumption tickets: not kept (see the README).
                // A server is never sent one: that falls to the refusal below.
                (
                    Protocol::Tls13 {
                        side: Side::Client, ..
                    },
                    NEW_SESSION_TICKET,
                ) => {}
                (Protocol::Tls13 { .. }, _) => {
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

    /// `export_key_materials/4`: RFC 8446, 7.5 (no context and an empty
    /// one are the same) or RFC 5705 (they differ).
    pub(crate) fn export(&self, label: &[u8], context: Option<&[u8]>, len: usize) -> Vec<u8> {
        match &self.protocol {
            Protocol::Tls13 {
                suite, exporter, ..
            } => {
                let h = suite.hash;
                let empty = digest::digest(h, b"");
                let derived =
                    expand_label(suite.hkdf, exporter, label, empty.as_ref(), h.output_len());
                let ctx = digest::digest(h, context.unwrap_or_default());
                expand_label(suite.hkdf, &derived, b"exporter", ctx.as_ref(), len)
            }
            Protocol::Tls12(t) => {
                let mut seed = t.randoms.clone();
                if let Some(c) = context {
                    seed.extend_from_slice(&(c.len() as u16).to_be_bytes());
                    seed.extend_from_slice(c);
                }
                let mut out = vec![0; len];
                tls12_prf(t.prf, &t.master_secret, label, &seed, &mut out);
                out
            }
        }
    }
}

impl RecordLayer {
    /// The TLS 1.2 session's PRF hash and its client and server randoms
    /// (`ssl:prf/5`); `None` on TLS 1.3, which has no PRF.
    pub(crate) fn prf_parameters(&self) -> Option<(Sha, &[u8], &[u8])> {
        let Protocol::Tls12(t) = &self.protocol else {
            return None;
        };
        let (client_random, server_random) = t.randoms.split_at(32);
        Some((t.prf, client_random, server_random))
    }

    /// Wipe TLS 1.3's exporter secret (`export_key_materials/5` with
    /// `ConsumeSecret`); the host refuses exporters from then on.
    pub(crate) fn consume_exporter(&mut self) {
        if let Protocol::Tls13 { exporter, .. } = &mut self.protocol {
            exporter.iter_mut().for_each(|b| *b = 0);
            exporter.clear();
        }
    }

    /// TLS 1.2's master secret (`connection_information/2`).
    pub(crate) fn master_secret(&self) -> Option<&[u8]> {
        match &self.protocol {
            Protocol::Tls12(t) => Some(&t.master_secret),
            Protocol::Tls13 { .. } => None,
        }
    }
}

/// TLS 1.2's additional data: sequence number, type, version, length.
fn tls12_aad(seq: u64, typ: u8, version: [u8; 2], len: usize) -> [u8; 13] {
    let mut aad = [0u8; 13];
    aad[..8].copy_from_slice(&seq.to_be_bytes());
    aad[8..11].copy_from_slice(&[typ, version[0], version[1]]);
    aad[11..].copy_from_slice(&(len as u16).to_be_bytes());
    aad
}

#[cfg(test)]
mod tests {
    //! Against native rustls: a rustls client and server finish a handshake
    //! in memory, then the server's records are handed to this layer.

    use super::*;
    use std::io::{Read, Write};
    use std::sync::{Arc, Mutex};

    /// A key log line: label, client_random, secret.
    type Logged = (String, Vec<u8>, Vec<u8>);

    #[derive(Debug, Default)]
    struct Log(Mutex<Vec<Logged>>);

    impl rustls::KeyLog for Log {
        fn log(&self, label: &str, random: &[u8], secret: &[u8]) {
            let entry = (label.into(), random.to_vec(), secret.to_vec());
            self.0.lock().unwrap().push(entry);
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

    /// A rustls client and a RecordLayer that was a rustls server, in the
    /// suite's version.
    fn pair(
        suite: &'static rustls::SupportedCipherSuite,
    ) -> (rustls::ClientConnection, RecordLayer) {
        let (client, server) = handshake(suite);
        (client, layer(suite, server))
    }

    /// A rustls client and server after the handshake in `suite`, with the
    /// secrets the server logged and the ServerHello's random.
    fn handshake(
        suite: &'static rustls::SupportedCipherSuite,
    ) -> (rustls::ClientConnection, Server) {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["localhost".into()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let mut provider = rustls::crypto::ring::default_provider();
        provider.cipher_suites = vec![*suite];
        let provider = Arc::new(provider);
        let log = Arc::new(Log::default());
        let version = suite.version();
        let mut sc = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(&[version])
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
        let mut cc = rustls::ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(&[version])
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        cc.enable_secret_extraction = true;
        let mut client = rustls::Connection::from(
            rustls::ClientConnection::new(Arc::new(cc), "localhost".try_into().unwrap()).unwrap(),
        );
        let mut server =
            rustls::Connection::from(rustls::ServerConnection::new(Arc::new(sc)).unwrap());
        let mut server_random = None;
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
                    // The first flight opens with the ServerHello: record
                    // header, message header, version, then the random.
                    server_random.get_or_insert_with(|| b[11..43].to_vec());
                },
                &mut client,
            );
        }
        let rustls::Connection::Server(server) = server else {
            unreachable!()
        };
        let rustls::Connection::Client(client) = client else {
            unreachable!()
        };
        let kept = log.0.lock().unwrap().clone();
        let server = Server {
            conn: server,
            kept,
            server_random: server_random.unwrap(),
        };
        (client, server)
    }

    struct Server {
        conn: rustls::ServerConnection,
        kept: Vec<Logged>,
        server_random: Vec<u8>,
    }

    /// The keys of one direction as rustls gives them away.
    fn keys(s: rustls::ConnectionTrafficSecrets) -> (Vec<u8>, Vec<u8>) {
        use rustls::ConnectionTrafficSecrets as S;
        match s {
            S::Aes128Gcm { key, iv }
            | S::Aes256Gcm { key, iv }
            | S::Chacha20Poly1305 { key, iv } => (key.as_ref().to_vec(), iv.as_ref().to_vec()),
            _ => unreachable!(),
        }
    }

    /// The record layer a wassl engine would hand over for `conn`.
    #[allow(deprecated)]
    fn layer(suite: &'static rustls::SupportedCipherSuite, s: Server) -> RecordLayer {
        let secret = |l: &str| s.kept.iter().find(|(k, _, _)| k == l).unwrap().clone();
        let x = s.conn.dangerous_extract_secrets().unwrap();
        if suite.version() == &rustls::version::TLS13 {
            return RecordLayer::new(Handover {
                side: Side::Server,
                suite: u16::from(suite.suite()),
                tx_seq: x.tx.0,
                tx_secret: secret("SERVER_TRAFFIC_SECRET_0").2,
                rx_seq: x.rx.0,
                rx_secret: secret("CLIENT_TRAFFIC_SECRET_0").2,
                exporter_secret: secret("EXPORTER_SECRET").2,
                pending: Vec::new(),
            })
            .unwrap();
        }
        tls12_layer(Side::Server, suite, x, &s.kept, s.server_random)
    }

    /// A TLS 1.2 layer playing `side` with the keys of `x`.
    fn tls12_layer(
        side: Side,
        suite: &'static rustls::SupportedCipherSuite,
        x: rustls::ExtractedSecrets,
        kept: &[Logged],
        server_random: Vec<u8>,
    ) -> RecordLayer {
        let (_, client_random, master_secret) = kept
            .iter()
            .find(|(k, _, _)| k == "CLIENT_RANDOM")
            .unwrap()
            .clone();
        let layer = RecordLayer::tls12(Tls12Handover {
            side,
            suite: u16::from(suite.suite()),
            tx_seq: x.tx.0,
            rx_seq: x.rx.0,
            master_secret,
            client_random,
            server_random,
            pending: Vec::new(),
        })
        .unwrap();
        // The keys derived here are rustls's, to the byte.
        let ((tx_key, tx_iv), (rx_key, rx_iv)) = (keys(x.tx.1), keys(x.rx.1));
        assert_eq!((layer.tx.iv.to_vec(), layer.rx.iv.to_vec()), (tx_iv, rx_iv));
        let probe = |key: &LessSafeKey| {
            let mut b = [0u8; 16];
            let nonce = Nonce::assume_unique_for_key([0; 12]);
            let t = key
                .seal_in_place_separate_tag(nonce, Aad::empty(), &mut b)
                .unwrap();
            (b, t.as_ref().to_vec())
        };
        let alg = layer.tx.key.algorithm();
        let theirs = |k: &[u8]| LessSafeKey::new(UnboundKey::new(alg, k).unwrap());
        assert_eq!(probe(&layer.tx.key), probe(&theirs(&tx_key)));
        assert_eq!(probe(&layer.rx.key), probe(&theirs(&rx_key)));
        layer
    }

    /// The layer reads 40,000 bytes the client wrote, split at every
    /// awkward place (4,099-byte pieces cut headers and records alike).
    fn reads_split(
        client: &mut rustls::ClientConnection,
        layer: &mut RecordLayer,
        suite: &rustls::SupportedCipherSuite,
    ) {
        let wire = client_sends(client, &vec![7u8; 40_000]);
        let mut got = Vec::new();
        for piece in wire.chunks(4099) {
            got.extend(layer.open(piece).unwrap().plaintext);
        }
        assert_eq!(got, vec![7u8; 40_000], "{:?}", suite.suite());
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
        let mut got = Vec::new();
        while !records.is_empty() {
            c.read_tls(&mut records).unwrap();
            c.process_new_packets().unwrap();
            // Taken as it comes: rustls holds 16 KiB of plaintext at most.
            let _ = c.reader().read_to_end(&mut got);
        }
        got
    }

    #[test]
    fn speaks_tls13_with_rustls_in_every_suite() {
        for suite in rustls::crypto::ring::DEFAULT_CIPHER_SUITES
            .iter()
            .filter(|s| s.version() == &rustls::version::TLS13)
        {
            let (mut client, mut layer) = pair(suite);
            reads_split(&mut client, &mut layer, suite);
            // The client reads what the layer wrote.
            let records = layer.seal(b"hello from the host").unwrap();
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
            // TLS 1.3 has no TLS 1.2 PRF, and no master secret to give.
            assert!(layer.prf_parameters().is_none());
            assert_eq!(layer.master_secret(), None);
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
        both.extend(layer.seal(b"new keys").unwrap());
        assert_eq!(client_reads(&mut client, &both), b"new keys");
        // We update on our own, without asking.
        let mut upd = layer.update_keys(false).unwrap();
        upd.extend(layer.seal(b"newer keys").unwrap());
        assert_eq!(client_reads(&mut client, &upd), b"newer keys");
        let wire = client_sends(&mut client, b"still fine");
        assert_eq!(layer.open(&wire).unwrap().plaintext, b"still fine");
    }

    #[test]
    fn at_most_32_key_updates_between_application_data() {
        let (mut client, mut layer) =
            pair(&rustls::crypto::ring::cipher_suite::TLS13_AES_128_GCM_SHA256);
        // Data between them resets the count: 40 updates pass.
        for i in 0..40 {
            client.refresh_traffic_keys().unwrap();
            let wire = client_sends(&mut client, format!("{i}").as_bytes());
            let o = layer.open(&wire).unwrap();
            assert_eq!(o.plaintext, format!("{i}").as_bytes());
            // (Data back too: rustls keeps the same count of ours.)
            let mut back = o.output;
            back.extend(layer.seal(b"ack").unwrap());
            assert_eq!(client_reads(&mut client, &back), b"ack");
        }
        // 32 in a row pass, the 33rd ends the connection.
        let mut wire = Vec::new();
        for _ in 0..33 {
            client.refresh_traffic_keys().unwrap();
            while client.wants_write() {
                client.write_tls(&mut wire).unwrap();
            }
        }
        let e = layer.open(&wire).unwrap_err();
        assert_eq!((e.code, e.local), (alert::UNEXPECTED_MESSAGE, true));
        assert!(e.detail.unwrap().contains("too many KeyUpdates"));
    }

    #[test]
    fn close_notify_then_plain_bytes_are_rest() {
        for suite in [
            &rustls::crypto::ring::cipher_suite::TLS13_CHACHA20_POLY1305_SHA256,
            tls12_suites().next().unwrap(),
        ] {
            close_notify_then_plain_bytes(suite);
        }
    }

    fn close_notify_then_plain_bytes(suite: &'static rustls::SupportedCipherSuite) {
        let (mut client, mut layer) = pair(suite);
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

    /// A socket reads into `input()` at any cut and opens with nothing more:
    /// the same plaintext as `open(bytes)`, one record split across reads
    /// waits for its end, and what follows a close_notify is rest.
    #[test]
    fn reads_into_the_input_open_as_passed_bytes_do() {
        for suite in [
            &rustls::crypto::ring::cipher_suite::TLS13_AES_128_GCM_SHA256,
            tls12_suites().next().unwrap(),
        ] {
            let (mut client, mut layer) = pair(suite);
            let big = vec![0x42u8; 40_000];
            let mut wire = client_sends(&mut client, &big);
            client.send_close_notify();
            wire.extend(client_sends(&mut client, b""));
            let mut plain = Vec::new();
            let mut rest = Vec::new();
            // The plain bytes come in a read after the close_notify's.
            let pieces = wire.chunks(7_001).chain([&b"plain tcp"[..]]);
            for piece in pieces {
                layer.input(piece.len()).extend_from_slice(piece);
                let o = layer.open(&[]).unwrap();
                assert!(o.plaintext.len() <= piece.len() + 16_384 + 5);
                plain.extend(o.plaintext);
                rest.extend(o.rest);
            }
            assert_eq!(plain, big);
            assert_eq!(rest, b"plain tcp");
            assert!(layer.input(0).is_empty());
        }
    }

    /// A stream's big buffers are spares (`buffers`): a large read's input
    /// and plaintext and a large send's records, so that they go back and
    /// out again instead of churning the allocator; small ones are not.
    #[test]
    fn a_streams_big_buffers_are_spares_and_small_ones_are_not() {
        let spare = crate::buffers::SIZE;
        let (mut client, mut layer) =
            pair(&rustls::crypto::ring::cipher_suite::TLS13_AES_128_GCM_SHA256);
        let wire = client_sends(&mut client, &vec![1u8; 60_000]);
        assert_eq!(layer.input(wire.len()).capacity(), spare);
        layer.input(wire.len()).extend_from_slice(&wire);
        let o = layer.open(&[]).unwrap();
        assert_eq!((o.plaintext.len(), o.plaintext.capacity()), (60_000, spare));
        assert_eq!(layer.seal(&o.plaintext).unwrap().capacity(), spare);
        // Drained, the input goes back; a small read's plaintext and a small
        // send's records are their own size.
        layer.hibernate();
        assert_eq!(layer.input(0).capacity(), 0);
        let o = layer.open(&client_sends(&mut client, b"small")).unwrap();
        assert_eq!(o.plaintext, b"small");
        assert!(o.plaintext.capacity() < 1024);
        assert!(layer.seal(b"small").unwrap().capacity() < 1024);
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

    /// A server layer and a client layer facing it, in a TLS 1.2 suite.
    fn two_layers(suite: &'static rustls::SupportedCipherSuite) -> (RecordLayer, RecordLayer) {
        let (client, server) = handshake(suite);
        let kept = server.kept.clone();
        let random = server.server_random.clone();
        let srv = layer(suite, server);
        #[allow(deprecated)]
        let x = client.dangerous_extract_secrets().unwrap();
        if suite.version() == &rustls::version::TLS13 {
            let secret = |l: &str| kept.iter().find(|(k, _, _)| k == l).unwrap().2.clone();
            let cli = RecordLayer::new(Handover {
                side: Side::Client,
                suite: u16::from(suite.suite()),
                tx_seq: x.tx.0,
                tx_secret: secret("CLIENT_TRAFFIC_SECRET_0"),
                rx_seq: x.rx.0,
                rx_secret: secret("SERVER_TRAFFIC_SECRET_0"),
                exporter_secret: secret("EXPORTER_SECRET"),
                pending: Vec::new(),
            });
            return (srv, cli.unwrap());
        }
        (srv, tls12_layer(Side::Client, suite, x, &kept, random))
    }

    /// TLS 1.3: a NewSessionTicket split across records is taken whole; a
    /// KeyUpdate must end its record (RFC 8446, 5.1: no handshake message
    /// spans a key change), as rustls requires.
    #[test]
    fn tls13_handshake_messages_across_records_and_key_changes() {
        let suite = &rustls::crypto::ring::cipher_suite::TLS13_AES_128_GCM_SHA256;
        let (mut srv, mut cli) = two_layers(suite);
        let mut ticket = vec![NEW_SESSION_TICKET, 0, 0, 40];
        ticket.extend([1u8; 40]);
        // Tickets go to the client; a server sent one refuses it.
        let mut wire = Vec::new();
        srv.seal_record(HANDSHAKE, &ticket[..3], &mut wire);
        srv.seal_record(HANDSHAKE, &ticket[3..], &mut wire);
        srv.seal_record(APPLICATION_DATA, b"after", &mut wire);
        assert_eq!(cli.open(&wire).unwrap().plaintext, b"after");
        let mut wire = Vec::new();
        cli.seal_record(HANDSHAKE, &ticket, &mut wire);
        let e = srv.open(&wire).unwrap_err();
        assert_eq!((e.code, e.local), (alert::UNEXPECTED_MESSAGE, true));
        // A KeyUpdate then a ticket in one record; with an unknown
        // request_update too, as rustls judges the record's end before the
        // value (record_differential found it).
        for request in [0, 5] {
            let (mut srv, mut cli) = two_layers(suite);
            let mut wire = Vec::new();
            cli.seal_record(
                HANDSHAKE,
                &[&[KEY_UPDATE, 0, 0, 1, request][..], &ticket].concat(),
                &mut wire,
            );
            let e = srv.open(&wire).unwrap_err();
            assert_eq!(e.code, alert::UNEXPECTED_MESSAGE, "request {request}");
            assert!(e.detail.unwrap().contains("after a KeyUpdate"));
        }
    }

    /// RFC 8446, 5.4: the inner plaintext, padding included, is at most
    /// 2^14 + 1 bytes (tlsfuzzer's record-layer-limits: 2^14 - 8 bytes of
    /// data, its type and 9 zeros were taken, and answered).
    #[test]
    fn tls13_inner_plaintext_limit_counts_the_padding() {
        let suite = &rustls::crypto::ring::cipher_suite::TLS13_AES_128_GCM_SHA256;
        let (mut srv, mut cli) = two_layers(suite);
        let content = vec![b'x'; MAX_FRAGMENT - 8];
        // seal_record appends one more zero: 2^14 + 1 bytes in all.
        let padded = |zeros: usize| [&content[..], &[APPLICATION_DATA], &vec![0u8; zeros]].concat();
        let mut wire = Vec::new();
        cli.seal_record(0, &padded(7), &mut wire);
        assert_eq!(srv.open(&wire).unwrap().plaintext, content);
        let mut wire = Vec::new();
        cli.seal_record(0, &padded(8), &mut wire);
        let e = srv.open(&wire).unwrap_err();
        assert_eq!(e.code, alert::RECORD_OVERFLOW);
    }

    /// The header is judged byte by byte as rustls's deframer judges it, so
    /// that the engine (before the hand-off) and this layer (after it)
    /// answer the same bytes alike (found by the `record_differential`
    /// fuzz target): an unknown type at its first byte, a version that is
    /// neither 3.x nor one rustls names as soon as it cannot be, an empty
    /// record that is not application data.
    #[test]
    fn a_bad_record_header_is_refused_as_rustls_refuses_it() {
        for suite in [
            &rustls::crypto::ring::cipher_suite::TLS13_AES_128_GCM_SHA256,
            tls12_suites().next().unwrap(),
        ] {
            for (bytes, code) in [
                (&[99][..], alert::DECODE_ERROR),
                (&[0][..], alert::DECODE_ERROR),
                (&[23, 2][..], alert::DECODE_ERROR),
                (&[23, 0xfe, 0xfe][..], alert::DECODE_ERROR),
                (&[23, 0, 3][..], alert::DECODE_ERROR),
                // DTLS 1.2's version passes the header and does not open.
                (
                    &[
                        23, 0xfe, 0xfd, 0, 32, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                    ][..],
                    alert::BAD_RECORD_MAC,
                ),
                (&[21, 3, 3, 0, 0][..], alert::DECODE_ERROR),
                (&[23, 3, 3, 0x48, 0x01][..], alert::RECORD_OVERFLOW),
            ] {
                let (_, mut layer) = pair(suite);
                let e = layer.open(bytes).unwrap_err();
                assert_eq!(
                    (e.code, e.local),
                    (code, true),
                    "{bytes:?} {:?}",
                    suite.suite()
                );
                assert!(!e.output.is_empty(), "the alert is sent");
            }
            // Three good bytes wait for the rest.
            let (_, mut layer) = pair(suite);
            assert!(layer.open(&[23, 3, 3]).is_ok());
            let (_, mut layer) = pair(suite);
            assert!(layer.open(&[23, 0xfe]).is_ok());
        }
    }

    /// Inside a TLS 1.3 record: a type TLS 1.3 does not carry is
    /// decode_error (rustls cannot decode it), change_cipher_spec is
    /// unexpected_message.
    #[test]
    fn tls13_inner_types() {
        let suite = &rustls::crypto::ring::cipher_suite::TLS13_AES_128_GCM_SHA256;
        for (typ, code) in [
            (HEARTBEAT, alert::DECODE_ERROR),
            (99, alert::DECODE_ERROR),
            (CHANGE_CIPHER_SPEC, alert::UNEXPECTED_MESSAGE),
        ] {
            let (mut srv, mut cli) = two_layers(suite);
            let mut wire = cli.seal(b"first").unwrap();
            cli.seal_record(typ, b"x", &mut wire);
            let e = srv.open(&wire).unwrap_err();
            assert_eq!((e.code, e.local), (code, true), "inner type {typ}");
        }
    }

    /// TLS 1.2: a change_cipher_spec after the handshake is read in the
    /// clear, as rustls reads it: a well-formed one is unexpected_message,
    /// anything else decode_error (found by `record_differential`, which
    /// met decode_error from rustls and unexpected_message here).
    #[test]
    fn tls12_change_cipher_spec_after_the_handshake() {
        for (bytes, code) in [
            (&[20, 3, 3, 0, 1, 1][..], alert::UNEXPECTED_MESSAGE),
            (&[20, 3, 3, 0, 2, 1, 1][..], alert::DECODE_ERROR),
            (&[20, 3, 3, 0, 1, 2][..], alert::DECODE_ERROR),
        ] {
            let (_, mut layer) = pair(tls12_suites().next().unwrap());
            assert_eq!(layer.open(bytes).unwrap_err().code, code, "{bytes:?}");
        }
        // A heartbeat record is opened first (as rustls opens it), then
        // refused as a type nothing here decodes.
        let (mut srv, mut cli) = two_layers(tls12_suites().next().unwrap());
        let mut wire = Vec::new();
        cli.seal_record(HEARTBEAT, &[1, 0, 1, 0], &mut wire);
        assert_eq!(srv.open(&wire).unwrap_err().code, alert::DECODE_ERROR);
        let (_, mut layer) = pair(tls12_suites().next().unwrap());
        let forged = [&[HEARTBEAT, 3, 3, 0, 30][..], &[7; 30]].concat();
        assert_eq!(layer.open(&forged).unwrap_err().code, alert::BAD_RECORD_MAC);
    }

    /// TLS 1.2 authenticates the record's version as received (RFC 5246,
    /// 6.2.3.3), as rustls does: a version changed on the way is
    /// bad_record_mac. This layer took it, having authenticated 3.3
    /// whatever came (found by `record_differential`).
    #[test]
    fn tls12_a_changed_record_version_fails_authentication() {
        for suite in tls12_suites() {
            let (mut srv, mut cli) = two_layers(suite);
            let wire = cli.seal(b"genuine").unwrap();
            assert_eq!(srv.open(&wire).unwrap().plaintext, b"genuine");
            let (mut srv, mut cli) = two_layers(suite);
            let mut wire = cli.seal(b"genuine").unwrap();
            wire[2] = 0x83;
            let e = srv.open(&wire).unwrap_err();
            assert_eq!(e.code, alert::BAD_RECORD_MAC, "{:?}", suite.suite());
        }
    }

    /// TLS 1.3 alerts judged as rustls judges them (found by
    /// `record_differential`: a close_notify of level 0 closed the stream
    /// here, rustls answers illegal_parameter).
    #[test]
    fn tls13_alert_levels() {
        let suite = &rustls::crypto::ring::cipher_suite::TLS13_AES_128_GCM_SHA256;
        for (alert, answer) in [
            (
                [0, alert::CLOSE_NOTIFY],
                Some((alert::ILLEGAL_PARAMETER, true)),
            ),
            (
                [3, alert::USER_CANCELED],
                Some((alert::ILLEGAL_PARAMETER, true)),
            ),
            ([WARNING, 40], Some((alert::DECODE_ERROR, true))),
            (
                [FATAL, alert::USER_CANCELED],
                Some((alert::USER_CANCELED, false)),
            ),
            ([FATAL, 40], Some((40, false))),
            ([WARNING, alert::USER_CANCELED], None),
        ] {
            let (mut srv, mut cli) = two_layers(suite);
            let mut wire = Vec::new();
            cli.seal_record(ALERT, &alert, &mut wire);
            match answer {
                Some(a) => {
                    let e = srv.open(&wire).unwrap_err();
                    assert_eq!((e.code, e.local), a, "{alert:?}");
                }
                None => assert!(srv.open(&wire).is_ok(), "{alert:?}"),
            }
        }
    }

    /// RFC 8446, 4.6.3: KeyUpdates that ask for an update while this side
    /// is silent get a single update in answer (rustls: one per write).
    #[test]
    fn key_update_requests_in_one_read_get_one_answer() {
        let suite = &rustls::crypto::ring::cipher_suite::TLS13_AES_128_GCM_SHA256;
        let (mut srv, mut cli) = two_layers(suite);
        let mut wire = cli.update_keys(true).unwrap();
        wire.extend(cli.update_keys(true).unwrap());
        wire.extend(cli.seal(b"after").unwrap());
        let o = srv.open(&wire).unwrap();
        assert_eq!(o.plaintext, b"after");
        assert_eq!(records(&o.output), 1, "one KeyUpdate in answer");
        // The client reads it and both go on under new keys.
        assert!(cli.open(&o.output).is_ok());
        let back = srv.seal(b"reply").unwrap();
        assert_eq!(cli.open(&back).unwrap().plaintext, b"reply");
        // A later read with a request is answered again.
        let o = srv.open(&cli.update_keys(true).unwrap()).unwrap();
        assert_eq!(records(&o.output), 1);
    }

    fn records(mut bytes: &[u8]) -> usize {
        let mut n = 0;
        while let [_, _, _, hi, lo, rest @ ..] = bytes {
            bytes = &rest[usize::from(u16::from_be_bytes([*hi, *lo]))..];
            n += 1;
        }
        n
    }

    /// RFC 8446, 4.6.3: a request_update other than 0 or 1 is
    /// illegal_parameter (tlsfuzzer's keyupdate script); a body of the
    /// wrong size is a decode_error.
    #[test]
    fn a_key_update_with_an_unknown_request_is_illegal_parameter() {
        let suite = &rustls::crypto::ring::cipher_suite::TLS13_AES_128_GCM_SHA256;
        for (body, code) in [
            (&[KEY_UPDATE, 0, 0, 1, 2][..], alert::ILLEGAL_PARAMETER),
            (&[KEY_UPDATE, 0, 0, 1, 255][..], alert::ILLEGAL_PARAMETER),
            (&[KEY_UPDATE, 0, 0, 2, 0, 0][..], alert::DECODE_ERROR),
        ] {
            let (mut srv, mut cli) = two_layers(suite);
            let mut wire = Vec::new();
            cli.seal_record(HANDSHAKE, body, &mut wire);
            assert_eq!(srv.open(&wire).unwrap_err().code, code, "{body:?}");
        }
    }

    fn tls12_suites() -> impl Iterator<Item = &'static rustls::SupportedCipherSuite> {
        // The ECDSA ones: the test certificate is ECDSA. RSA suites differ
        // only in the handshake.
        rustls::crypto::ring::DEFAULT_CIPHER_SUITES
            .iter()
            .filter(|s| {
                s.version() == &rustls::version::TLS12
                    && format!("{:?}", s.suite()).contains("ECDSA")
            })
    }

    #[test]
    fn speaks_tls12_with_rustls_in_every_suite() {
        let mut seen = Vec::new();
        for suite in tls12_suites() {
            let (mut client, mut layer) = pair(suite);
            reads_split(&mut client, &mut layer, suite);
            let mut records = layer.seal(b"hello from the host").unwrap();
            records.extend(layer.seal(&[]).unwrap());
            records.extend(layer.seal(&vec![9u8; 20_000]).unwrap());
            let mut want = b"hello from the host".to_vec();
            want.extend(vec![9u8; 20_000]);
            assert_eq!(client_reads(&mut client, &records), want);
            // RFC 5705: with a context, without one, and an empty one.
            for context in [Some(&b"ctx"[..]), None, Some(&b""[..])] {
                let mut theirs = [0u8; 40];
                client
                    .export_keying_material(&mut theirs, b"EXPERIMENTAL wassl", context)
                    .unwrap();
                assert_eq!(layer.export(b"EXPERIMENTAL wassl", context, 40), theirs);
                // prf/5 with the master secret and both randoms is the
                // exporter without context, in the suite's hash.
                if context.is_none() {
                    let (sha, client, server) = layer.prf_parameters().unwrap();
                    let mut prf = [0u8; 40];
                    let seed = [client, server].concat();
                    let master = layer.master_secret().unwrap();
                    tls12_prf(sha, master, b"EXPERIMENTAL wassl", &seed, &mut prf);
                    assert_eq!(prf, theirs);
                }
            }
            assert_eq!(layer.master_secret().map(<[u8]>::len), Some(48));
            assert!(
                layer.update_keys(true).is_none(),
                "no key update in TLS 1.2"
            );
            seen.push(suite.suite());
        }
        assert_eq!(
            seen.len(),
            3,
            "AES-128-GCM, AES-256-GCM, ChaCha20: {seen:?}"
        );
    }

    #[test]
    fn tls12_refuses_one_renegotiation_with_a_warning_and_ends_at_the_second() {
        for suite in tls12_suites() {
            let (mut srv, mut cli) = two_layers(suite);
            // A ClientHello to a server: a warning alert the client ignores.
            let mut hello = Vec::new();
            cli.seal_record(HANDSHAKE, &[CLIENT_HELLO, 0, 0, 2, 3, 3], &mut hello);
            cli.seal_record(APPLICATION_DATA, b"after", &mut hello);
            let o = srv.open(&hello).unwrap();
            assert_eq!(o.plaintext, b"after");
            let warning = o.output;
            assert!(!warning.is_empty(), "no_renegotiation is sent");
            let back = cli.open(&warning).unwrap();
            assert!(back.output.is_empty() && !back.peer_closed);
            // A HelloRequest to a client: the same, the other way.
            let mut req = Vec::new();
            srv.seal_record(HANDSHAKE, &[HELLO_REQUEST, 0, 0, 0], &mut req);
            let o = cli.open(&req).unwrap();
            assert!(srv.open(&o.output).is_ok());
            // A second renegotiation request ends the connection...
            let mut again = Vec::new();
            srv.seal_record(HANDSHAKE, &[HELLO_REQUEST, 0, 0, 0], &mut again);
            let e = cli.open(&again).unwrap_err();
            assert_eq!(e.code, alert::UNEXPECTED_MESSAGE, "{:?}", suite.suite());
            assert!(e.detail.unwrap().contains("second renegotiation"));
            // ... as any other handshake message does.
            let (mut srv, mut cli) = two_layers(suite);
            let mut other = Vec::new();
            cli.seal_record(HANDSHAKE, &[HELLO_REQUEST, 0, 0, 0], &mut other);
            let e = srv.open(&other).unwrap_err();
            assert_eq!((e.code, e.local), (alert::UNEXPECTED_MESSAGE, true));
        }
    }

    /// A peer may split a handshake message across records: a browser's
    /// large renegotiation ClientHello is refused with the same warning,
    /// however it is cut (even inside its 4-byte header). Nothing else
    /// may come between the pieces.
    #[test]
    fn tls12_a_renegotiation_request_split_across_records_is_refused_alike() {
        let suite = tls12_suites().next().unwrap();
        let mut hello = vec![CLIENT_HELLO, 0, 0x50, 0];
        hello.extend(vec![7u8; 0x5000]);
        for cuts in [
            &[2usize, 10_000][..],
            &[4, 8_000],
            &[16_000],
            &[1, 3, 9_000, 0x5003],
        ] {
            let (mut srv, mut cli) = two_layers(suite);
            let mut wire = Vec::new();
            let mut from = 0;
            for &to in cuts.iter().chain([&hello.len()]) {
                cli.seal_record(HANDSHAKE, &hello[from..to], &mut wire);
                from = to;
            }
            cli.seal_record(APPLICATION_DATA, b"after", &mut wire);
            let o = srv.open(&wire).unwrap();
            assert_eq!(o.plaintext, b"after", "cut at {cuts:?}");
            let back = cli.open(&o.output).unwrap();
            assert!(back.output.is_empty() && !back.peer_closed, "a warning");
        }
        // Application data between the pieces is unexpected.
        let (mut srv, mut cli) = two_layers(suite);
        let mut wire = Vec::new();
        cli.seal_record(HANDSHAKE, &hello[..100], &mut wire);
        cli.seal_record(APPLICATION_DATA, b"between", &mut wire);
        let e = srv.open(&wire).unwrap_err();
        assert_eq!(e.code, alert::UNEXPECTED_MESSAGE);
        // A message over rustls's 64 KiB is refused from its header.
        let (mut srv, mut cli) = two_layers(suite);
        let mut wire = Vec::new();
        cli.seal_record(HANDSHAKE, &[CLIENT_HELLO, 1, 0, 0, 1, 2], &mut wire);
        let e = srv.open(&wire).unwrap_err();
        assert_eq!(e.code, alert::DECODE_ERROR);
    }

    #[test]
    fn tls12_a_rustls_client_answers_a_hello_request_and_we_carry_on() {
        let suite = tls12_suites().next().unwrap();
        let (mut client, mut layer) = pair(suite);
        let mut req = Vec::new();
        layer.seal_record(HANDSHAKE, &[HELLO_REQUEST, 0, 0, 0], &mut req);
        req.extend(layer.seal(b"still here").unwrap());
        assert_eq!(client_reads(&mut client, &req), b"still here");
        // rustls answered with its own no_renegotiation warning, which this
        // layer takes in its stride.
        let wire = client_sends(&mut client, b"and so am I");
        let o = layer.open(&wire).unwrap();
        assert_eq!(o.plaintext, b"and so am I");
    }

    #[test]
    fn tls12_alerts_warn_then_fail() {
        let suite = tls12_suites().next().unwrap();
        // A peer's fatal alert is the peer's, and ends reading. The peer is
        // a layer too, from the client's keys, to write what rustls won't.
        let (mut layer, mut cli) = two_layers(suite);
        let mut peer = Vec::new();
        for _ in 0..4 {
            cli.seal_record(ALERT, &[WARNING, alert::USER_CANCELED], &mut peer);
        }
        let o = layer.open(&peer).unwrap();
        assert!(!o.peer_closed, "four warnings are let through");
        let mut fatal = Vec::new();
        cli.seal_record(ALERT, &[FATAL, 40], &mut fatal);
        let e = layer.open(&fatal).unwrap_err();
        assert_eq!((e.code, e.local, e.output.len()), (40, false, 0));
        // A fifth warning is one too many.
        let (mut layer, mut cli) = two_layers(suite);
        let mut peer = Vec::new();
        for _ in 0..5 {
            cli.seal_record(ALERT, &[WARNING, alert::USER_CANCELED], &mut peer);
        }
        assert_eq!(
            layer.open(&peer).unwrap_err().code,
            alert::UNEXPECTED_MESSAGE
        );
    }

    #[test]
    fn tls12_tampering_and_the_key_limit() {
        for suite in tls12_suites() {
            let (mut client, mut layer) = pair(suite);
            let mut wire = client_sends(&mut client, b"tamper with me");
            let last = wire.len() - 1;
            wire[last] ^= 1;
            let e = layer.open(&wire).unwrap_err();
            assert_eq!((e.code, e.local), (alert::BAD_RECORD_MAC, true));
            let mut rd = &e.output[..];
            client.read_tls(&mut rd).unwrap();
            assert_eq!(
                client.process_new_packets().unwrap_err(),
                rustls::Error::AlertReceived(rustls::AlertDescription::BadRecordMac)
            );
            // A record too short for its tag is refused, not read past.
            let (_, mut layer) = pair(suite);
            let e = layer.open(&[23, 3, 3, 0, 4, 1, 2, 3, 4]).unwrap_err();
            assert_eq!(e.code, alert::BAD_RECORD_MAC);
            // An oversized record is refused before it is buffered whole.
            let e = pair(suite).1.open(&[23, 3, 3, 0x48, 0x01]).unwrap_err();
            assert_eq!(e.code, alert::RECORD_OVERFLOW);
        }
        // A key at its limit: close_notify, and the send fails.
        let (mut client, mut layer) = pair(tls12_suites().next().unwrap());
        layer.limit = layer.tx.seq + 1;
        let last = layer.seal(b"last one").unwrap();
        assert_eq!(client_reads(&mut client, &last), b"last one");
        let e = layer.seal(b"one too many").unwrap_err();
        assert_eq!((e.code, e.local), (alert::CLOSE_NOTIFY, true));
        let mut rd = &e.output[..];
        client.read_tls(&mut rd).unwrap();
        assert!(client.process_new_packets().unwrap().peer_has_closed());
        assert!(layer.seal(b"after").is_err(), "and stays closed");
    }
}

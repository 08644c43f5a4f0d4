//! One TLS connection driven by bytes in, bytes out, and the Erlang alert
//! for each rustls error.

use super::*;

/// One TLS connection driven by bytes in, bytes out.
#[derive(Debug)]
pub struct Connection {
    pub(super) role: Role,
    pub(super) conn: rustls::Connection,
    /// The first fatal error: every later call repeats it (errors are sticky).
    pub(super) failed: Option<TlsError>,
    /// The SNI name sent, for connection_information.
    pub(super) sni_sent: Option<String>,
    pub(super) refusal: Refusal,
    /// Records have gone out / bytes were accepted: past that point an
    /// alert may need encryption, so only rustls may write one.
    pub(super) emitted: bool,
    pub(super) accepted: bool,
    /// The start of a record not yet complete: rustls only ever sees whole
    /// records, so a hand-off loses nothing.
    pub(super) pending: Vec<u8>,
    pub(super) peer_closed: bool,
    pub(super) secrets: Secrets,
    /// Tickets received so far, when the host wants them (clients).
    pub(super) tickets: Option<Arc<AtomicUsize>>,
    /// Application data has arrived since the handshake.
    pub(super) app_data_seen: bool,
    /// A client's 0-RTT data: `Some(sent)` when the user asked to send some.
    pub(super) early_sent: Option<bool>,
    /// A server that asks for the client's certificate.
    pub(super) asks_cert: bool,
}

/// What [`Connection::hand_off`] gives.
#[derive(Debug)]
// Returned once per connection and taken apart at once: not worth a box.
#[allow(clippy::large_enum_variant)]
pub enum HandOff {
    /// The record layer's state; the connection is now a snapshot.
    Ready(Snapshot, TrafficSecrets),
    /// The same for TLS 1.2.
    ReadyTls12(Snapshot, Tls12Keys),
    /// Not yet (output pending, a ticket awaited): ask again after a feed.
    Later(Box<Connection>),
    /// Never (failed, closed): the engine keeps the records.
    Never(Box<Connection>),
}

impl Connection {
    /// A client connecting to `server_name` (a DNS name or an IP address).
    pub fn client(cfg: &Config, server_name: &str) -> Result<Connection, TlsError> {
        let cc = cfg
            .client
            .clone()
            .ok_or_else(|| TlsError::Einval("config is for a server".into()))?;
        let name = match &cfg.sni {
            Some(ServerNameIndication::Host(h)) => h.as_str(),
            _ => server_name,
        };
        let sn = ServerName::try_from(name.to_string()).map_err(|_| {
            TlsError::Einval(format!("{name:?} is not a valid host name or IP address"))
        })?;
        let sni_sent = match (&sn, cc.enable_sni) {
            (ServerName::DnsName(d), true) => Some(d.as_ref().to_string()),
            _ => None,
        };
        let mut conn =
            rustls::ClientConnection::new(cc, sn).map_err(|e| TlsError::Einval(e.to_string()))?;
        // 0-RTT goes whole or not at all: the owner resends what was not sent.
        let early_sent = cfg.early_data.as_ref().map(|d| match conn.early_data() {
            Some(mut w) if w.bytes_left() >= d.len() => w.write_all(d).is_ok(),
            _ => false,
        });
        let mut c = Connection::fresh(Role::Client, conn.into(), cfg, sni_sent);
        c.early_sent = early_sent;
        Ok(c)
    }

    /// A connection that has done nothing yet.
    pub(super) fn fresh(
        role: Role,
        conn: rustls::Connection,
        cfg: &Config,
        sni_sent: Option<String>,
    ) -> Self {
        Connection {
            role,
            conn,
            failed: None,
            sni_sent,
            refusal: cfg.refusal.clone(),
            emitted: false,
            accepted: false,
            pending: Vec::new(),
            peer_closed: false,
            secrets: cfg.secrets.clone(),
            tickets: cfg.tickets.clone(),
            app_data_seen: false,
            early_sent: None,
            asks_cert: cfg.asks_cert,
        }
    }

    /// A server.
    pub fn server(cfg: &Config) -> Result<Connection, TlsError> {
        let sc = cfg
            .server
            .clone()
            .ok_or_else(|| TlsError::Einval("config is for a client".into()))?;
        let conn =
            rustls::ServerConnection::new(sc).map_err(|e| TlsError::Einval(e.to_string()))?;
        Ok(Connection::fresh(Role::Server, conn.into(), cfg, None))
    }

    /// True until the handshake has completed.
    pub fn is_handshaking(&self) -> bool {
        self.conn.is_handshaking()
    }

    /// Which end this is.
    pub fn role(&self) -> Role {
        self.role
    }

    pub(super) fn drain_output(&mut self, out: &mut Vec<u8>) {
        let before = out.len();
        while self.conn.wants_write() {
            // Writing to a Vec cannot fail.
            if self.conn.write_tls(out).is_err() {
                break;
            }
        }
        self.emitted |= out.len() > before;
    }

    pub(super) fn fail(&mut self, error: TlsError) -> Failure {
        let mut output = Vec::new();
        self.drain_output(&mut output);
        // rustls sends no alert for some decode errors. Before any key exists
        // (a server that has sent nothing, a client that has read nothing) the
        // alert is a plaintext record, so send the one being reported.
        let sent = self.conn.wassl_sent_fatal_alert().is_some();
        if let (false, true, TlsError::TlsAlert(a)) = (sent, self.before_keys(), &error) {
            if a.origin == AlertOrigin::Local {
                output.extend_from_slice(&[21, 3, 3, 0, 2, 2, a.code]);
            }
        }
        self.failed = Some(error.clone());
        Failure { error, output }
    }

    /// An error the engine finds where rustls raised none: its alert goes
    /// out in plaintext while no key exists (see [`Self::fail`]).
    pub(super) fn own_alert(&self, alert: Alert, detail: &str) -> TlsError {
        let state = self.otp_state(Cause::Other);
        TlsError::TlsAlert(TlsAlert {
            description: alert.atom().into(),
            code: alert.0,
            origin: AlertOrigin::Local,
            text: alert::text(self.role, state, true, self.role, alert, Some(detail)),
        })
    }

    /// No key exists yet (a server that has sent nothing, a client that has
    /// read nothing): an alert can only be a plaintext record.
    pub(super) fn before_keys(&self) -> bool {
        match self.role {
            Role::Server => !self.emitted,
            Role::Client => !self.accepted,
        }
    }

    pub(super) fn sticky(&self) -> Result<(), Failure> {
        match &self.failed {
            Some(e) => Err(Failure {
                error: e.clone(),
                output: Vec::new(),
            }),
            None => Ok(()),
        }
    }

    /// Feed bytes from the peer; see the `handshake` WIT interface.
    pub fn feed(&mut self, input: &[u8]) -> Result<Progress, Failure> {
        self.sticky()?;
        let had_data = !input.is_empty();
        let joined;
        let mut data = if self.pending.is_empty() {
            input
        } else {
            self.pending.extend_from_slice(input);
            joined = std::mem::take(&mut self.pending);
            &joined[..]
        };
        let mut p = Progress::default();
        if !self.conn.is_handshaking() {
            // Plaintext is never longer than the records it came in: one
            // allocation, not a doubling (and copying) per record.
            p.plaintext.reserve(data.len());
        }
        loop {
            if !data.is_empty() && !self.peer_closed && record_incomplete(data) {
                self.pending = data.to_vec();
                data = &[];
            }
            if !data.is_empty() {
                // One record at a time, so that whatever follows close_notify
                // (plain TCP after a downgrade) stays with the caller.
                // The whole record, though rustls reads at most 4 KiB a call:
                // `data` must start on a record boundary at every turn, so
                // that what is kept in `pending` (and handed off) is whole.
                let take = record_span(data);
                let mut record = &data[..take];
                while !record.is_empty() {
                    match self.conn.read_tls(&mut record) {
                        // Nothing more is accepted after close_notify.
                        Ok(0) => break,
                        Ok(_) => {}
                        // rustls joins a handshake message of at most 64 KiB.
                        Err(e) => {
                            let detail = format!("{{handshake_message_too_large,\"{e}\"}}");
                            let err = self.own_alert(Alert::HANDSHAKE_FAILURE, &detail);
                            return Err(self.fail(err));
                        }
                    }
                }
                let consumed = take - record.len();
                if consumed < take {
                    // Hand back what follows close_notify (plain TCP after a downgrade).
                    p.rest = data[consumed..].to_vec();
                    data = &[];
                } else {
                    data = &data[take..];
                }
            }
            // Application data goes straight into the reply (one copy out
            // of the decrypted record); early data is read after it, as
            // rustls keeps it apart.
            self.conn
                .wassl_lend_plaintext_sink(std::mem::take(&mut p.plaintext));
            let processed = self.conn.process_new_packets();
            p.plaintext = self.conn.wassl_take_plaintext_sink();
            match processed {
                Ok(state) => {
                    // 0-RTT data comes before the handshake is done; the owner
                    // gets it as ordinary data, as in OTP.
                    if let rustls::Connection::Server(sc) = &mut self.conn {
                        if let Some(mut early) = sc.early_data() {
                            let _ = early.read_to_end(&mut p.plaintext);
                        }
                    }
                    // With the sink lent, rustls buffers nothing to read.
                    debug_assert_eq!(state.plaintext_bytes_to_read(), 0);
                    if state.peer_has_closed() && !p.peer_closed {
                        p.peer_closed = true;
                        self.peer_closed = true;
                        p.rest = data.to_vec();
                        data = &[];
                    }
                }
                Err(e) => {
                    let err = self.tls_error(e);
                    return Err(self.fail(err));
                }
            }
            if data.is_empty() {
                break;
            }
        }
        self.accepted |= had_data;
        self.drain_output(&mut p.output);
        p.handshake_done = !self.conn.is_handshaking();
        self.app_data_seen |= p.handshake_done && !p.plaintext.is_empty();
        Ok(p)
    }

    /// Encrypt application data into records.
    pub fn send(&mut self, data: &[u8]) -> Result<Vec<u8>, Failure> {
        self.sticky()?;
        if self.conn.is_handshaking() {
            return Err(Failure {
                error: TlsError::Einval("the handshake has not completed".into()),
                output: Vec::new(),
            });
        }
        self.conn.set_buffer_limit(None);
        if let Err(e) = self.conn.writer().write_all(data) {
            return Err(self.fail(TlsError::Einval(format!("write: {e}"))));
        }
        let mut out = Vec::with_capacity(data.len() + data.len() / 16384 * 22 + 32);
        self.drain_output(&mut out);
        Ok(out)
    }

    /// The close_notify alert record.
    pub fn close_notify(&mut self) -> Vec<u8> {
        self.conn.send_close_notify();
        let mut out = Vec::new();
        self.drain_output(&mut out);
        out
    }

    /// `update_keys`: a TLS 1.3 KeyUpdate (asking the peer to update too).
    pub fn update_keys(&mut self) -> Result<Vec<u8>, Failure> {
        self.sticky()?;
        let r = match &mut self.conn {
            rustls::Connection::Client(c) => c.refresh_traffic_keys(),
            rustls::Connection::Server(s) => s.refresh_traffic_keys(),
        };
        if let Err(e) = r {
            // Not fatal: TLS 1.2, or the handshake is not done.
            return Err(Failure {
                error: TlsError::Einval(e.to_string()),
                output: Vec::new(),
            });
        }
        let mut out = Vec::new();
        self.drain_output(&mut out);
        Ok(out)
    }

    /// An RFC 5705 / 8446 exporter.
    pub fn export_keying_material(
        &self,
        label: &[u8],
        context: Option<&[u8]>,
        length: usize,
    ) -> Result<Vec<u8>, TlsError> {
        if length == 0 || length > 16 * 1024 * 1024 {
            return Err(TlsError::Einval(
                "the length must be between 1 and 16 MiB".into(),
            ));
        }
        self.conn
            .export_keying_material(vec![0u8; length], label, context)
            .map_err(|e| TlsError::Einval(e.to_string()))
    }

    /// `ssl:prf/5`: the session's TLS 1.2 PRF (RFC 5246, 5) over `secret`
    /// (the master secret when `None`), `label` and the seed's pieces in
    /// order, by the suite's own PRF (on the host only when hashing is).
    /// `None` when there is no such PRF: TLS 1.3, or the session's
    /// parameters unknown.
    pub fn prf(
        &self,
        secret: Option<&[u8]>,
        label: &[u8],
        seed: &[PrfSeed],
        length: usize,
    ) -> Option<Vec<u8>> {
        let Some(rustls::SupportedCipherSuite::Tls12(suite)) = self.conn.negotiated_cipher_suite()
        else {
            return None;
        };
        if self.conn.is_handshaking() {
            return None;
        }
        let params = self.tls12_inputs()?;
        let seed: Vec<u8> = seed
            .iter()
            .flat_map(|p| match p {
                PrfSeed::ClientRandom => &params.client_random[..],
                PrfSeed::ServerRandom => &params.server_random[..],
                PrfSeed::Bytes(b) => &b[..],
            })
            .copied()
            .collect();
        let mut out = vec![0; length];
        let secret = secret.unwrap_or(&params.master_secret);
        suite
            .prf_provider
            .for_secret(&mut out, secret, label, &seed);
        Some(out)
    }

    /// `connection_information`'s `master_secret` (TLS 1.2).
    pub fn master_secret(&self) -> Option<Vec<u8>> {
        self.tls12_inputs().map(|i| i.master_secret)
    }

    /// TLS 1.2's master secret and randoms. rustls keeps them to itself, but
    /// the engine's PRF saw them go by when rustls derived the key block
    /// from them (`crypto::KeyBlocks`), found by the key log's master
    /// secret. Kept at the first ask.
    pub(super) fn tls12_inputs(&self) -> Option<KeyBlockInputs> {
        if self.conn.protocol_version() != Some(rustls::ProtocolVersion::TLSv1_2) {
            return None;
        }
        let mut kept = self.secrets.lock().ok()?;
        if kept.tls12.is_none() {
            let master = kept.secret("CLIENT_RANDOM");
            kept.tls12 = master.and_then(|m| super::super::crypto::key_block_inputs(&m));
        }
        kept.tls12.clone()
    }

    /// The peer's chain, leaf first.
    pub fn peer_certificates(&self) -> Vec<Vec<u8>> {
        self.conn
            .peer_certificates()
            .map(|c| c.iter().map(|c| c.to_vec()).collect())
            .unwrap_or_default()
    }

    /// What `connection_information/1` reports.
    pub fn info(&self) -> Result<ConnectionInfo, TlsError> {
        if self.conn.is_handshaking() {
            return Err(TlsError::Einval("the handshake has not completed".into()));
        }
        let protocol = match self.conn.protocol_version() {
            Some(rustls::ProtocolVersion::TLSv1_3) => ProtocolVersion::Tlsv1_3,
            Some(rustls::ProtocolVersion::TLSv1_2) => ProtocolVersion::Tlsv1_2,
            _ => return Err(TlsError::Einval("no protocol negotiated".into())),
        };
        let suite = self
            .conn
            .negotiated_cipher_suite()
            .ok_or_else(|| TlsError::Einval("no cipher suite negotiated".into()))?;
        let selected_cipher_suite = suite_info(u16::from(suite.suite()));
        let ecc = self
            .conn
            .negotiated_key_exchange_group()
            .map(|g| group_name(g.name()));
        let sni_hostname = match &self.conn {
            rustls::Connection::Server(s) => s.server_name().map(str::to_string),
            rustls::Connection::Client(_) => self.sni_sent.clone(),
        };
        Ok(ConnectionInfo {
            protocol,
            selected_cipher_suite,
            ecc,
            sni_hostname,
            negotiated_protocol: self.conn.alpn_protocol().map(<[u8]>::to_vec),
            session_resumption: self.conn.handshake_kind() == Some(HandshakeKind::Resumed),
            early_data: self.early_sent.map(|sent| {
                sent && matches!(&self.conn, rustls::Connection::Client(c) if c.is_early_data_accepted())
            }),
            client_random: self.secrets.lock().ok().and_then(|k| k.client_random.clone()),
            server_random: self.tls12_inputs().map(|i| i.server_random),
        })
    }

    /// Give up the record layer of an established connection: the
    /// snapshot answers `connection_information` and `peer_certificates`
    /// from now on; the secrets (TLS 1.3) or keys (TLS 1.2) let the host
    /// protect records.
    pub fn hand_off(self) -> HandOff {
        if self.failed.is_some() || self.peer_closed || self.conn.is_handshaking() {
            return HandOff::Never(Box::new(self));
        }
        match self.conn.protocol_version() {
            Some(rustls::ProtocolVersion::TLSv1_3) => self.hand_off_tls13(),
            Some(rustls::ProtocolVersion::TLSv1_2) => self.hand_off_tls12(),
            _ => HandOff::Never(Box::new(self)),
        }
    }

    /// What `connection_information` and `peer_certificates` keep answering.
    pub(super) fn snapshot(&self) -> Option<Snapshot> {
        Some(Snapshot {
            role: self.role,
            info: self.info().ok()?,
            peer_certificates: self.peer_certificates(),
        })
    }

    pub(super) fn hand_off_tls12(self) -> HandOff {
        if self.conn.wants_write() {
            return HandOff::Later(Box::new(self));
        }
        let Some(snapshot) = self.snapshot() else {
            return HandOff::Never(Box::new(self));
        };
        // The host derives the keys from the master secret and the randoms.
        let Some(inputs) = self.tls12_inputs() else {
            return HandOff::Never(Box::new(self));
        };
        let (tx_seq, rx_seq) = self.conn.wassl_record_sequence_numbers();
        let suite = snapshot.info.selected_cipher_suite.code;
        HandOff::ReadyTls12(
            snapshot,
            Tls12Keys {
                suite,
                tx_seq,
                rx_seq,
                master_secret: inputs.master_secret,
                client_random: inputs.client_random,
                server_random: inputs.server_random,
                pending: self.pending,
            },
        )
    }

    pub(super) fn hand_off_tls13(self) -> HandOff {
        // The host's record layer drops post-handshake messages, so a client
        // that keeps tickets holds its records until the server's first
        // ticket (sent right after the handshake) or first data arrives.
        let awaiting_ticket = self
            .tickets
            .as_ref()
            .is_some_and(|t| t.load(Ordering::Relaxed) == 0)
            && !self.app_data_seen;
        if self.conn.wants_write() || awaiting_ticket {
            return HandOff::Later(Box::new(self));
        }
        let Some(snapshot) = self.snapshot() else {
            return HandOff::Never(Box::new(self));
        };
        let secret = |label: &str| self.secrets.lock().ok()?.secret(label);
        let (Some(client), Some(server), Some(exporter)) = (
            secret("CLIENT_TRAFFIC_SECRET_0"),
            secret("SERVER_TRAFFIC_SECRET_0"),
            secret("EXPORTER_SECRET"),
        ) else {
            return HandOff::Never(Box::new(self));
        };
        let (tx_secret, rx_secret) = match self.role {
            Role::Client => (client, server),
            Role::Server => (server, client),
        };
        let suite = snapshot.info.selected_cipher_suite.code;
        let pending = self.pending;
        let (tx_seq, rx_seq) = self.conn.wassl_record_sequence_numbers();
        HandOff::Ready(
            snapshot,
            TrafficSecrets {
                suite,
                tx_seq,
                tx_secret,
                rx_seq,
                rx_secret,
                exporter_secret: exporter,
                pending,
            },
        )
    }

    /// Turn a rustls error into Erlang's `{tls_alert, {Desc, Text}}`.
    pub(super) fn tls_error(&mut self, e: Error) -> TlsError {
        let state = self.otp_state(self.cause(&e));
        let peer = match self.role {
            Role::Client => Role::Server,
            Role::Server => Role::Client,
        };
        let (alert, origin, sender, detail) = match &e {
            Error::AlertReceived(desc) => (Alert(u8::from(*desc)), AlertOrigin::Peer, peer, None),
            other => {
                let refused = self.refusal.lock().ok().and_then(|mut s| s.take());
                let detail = match (&refused, other) {
                    (Some(BadCert::UnknownCa | BadCert::CertExpired), _) => None,
                    (Some(r), _) => Some(format!("{{bad_cert,{}}}", r.as_term())),
                    (None, Error::InvalidCertificate(_) | Error::General(_)) => None,
                    (None, other) => Some(other.to_string()),
                };
                // The alert rustls sent; else the one the engine sends in
                // plaintext before any key exists; else none went out.
                let (alert, detail) = match self.conn.wassl_sent_fatal_alert() {
                    Some(d) => (Alert(u8::from(d)), detail),
                    None if self.before_keys() => (local_alert(other), detail),
                    None => {
                        let d = detail.map_or(String::new(), |d| format!("{d} "));
                        (local_alert(other), Some(format!("{d}(no alert was sent)")))
                    }
                };
                (alert, AlertOrigin::Local, self.role, detail)
            }
        };
        let text = alert::text(
            self.role,
            state,
            origin == AlertOrigin::Local,
            sender,
            alert,
            detail.as_deref(),
        );
        TlsError::TlsAlert(TlsAlert {
            description: alert.atom().into(),
            code: alert.0,
            origin,
            text,
        })
    }
}

/// What ended a handshake, as far as the state OTP names depends on it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Cause {
    /// The peer's certificate was refused.
    Cert,
    /// The peer's alert.
    Received,
    /// Anything else.
    Other,
}

impl Connection {
    pub(super) fn cause(&self, e: &Error) -> Cause {
        match e {
            Error::InvalidCertificate(_) | Error::NoCertificatesPresented => Cause::Cert,
            // General errors are the verify hooks' refusals, or rustls's own.
            Error::General(_) if self.refusal.lock().is_ok_and(|r| r.is_some()) => Cause::Cert,
            Error::AlertReceived(_) => Cause::Received,
            _ => Cause::Other,
        }
    }

    /// The state OTP 25's connection process is in when `cause` ends the
    /// handshake, which its alert texts name (`In state wait_cert_cr`). OTP
    /// checks a certificate when it arrives, rustls at the CertificateVerify:
    /// certificate errors are named where OTP finds them.
    pub(super) fn otp_state(&self, cause: Cause) -> &'static str {
        if !self.conn.is_handshaking() {
            return "connection";
        }
        let cert = cause == Cause::Cert;
        let received = cause == Cause::Received;
        let tls13 = match self.conn.protocol_version() {
            // Before the hellos settle a version, OTP is in `hello`.
            None => return "hello",
            Some(v) => v == rustls::ProtocolVersion::TLSv1_3,
        };
        match (self.role, tls13) {
            (Role::Client, true) if cert => "wait_cert_cr",
            (Role::Client, true) => "wait_ee",
            // A TLS 1.2 client that sent its last flight waits for the server's.
            (Role::Client, false) if received => "cipher",
            (Role::Client, false) => "certify",
            (Role::Server, true) if cert => "wait_cert",
            // The client answers the server's flight: with a certificate when asked.
            (Role::Server, true) if received && self.asks_cert => "wait_cert",
            (Role::Server, true) if received || self.emitted => "wait_finished",
            (Role::Server, true) => "start",
            (Role::Server, false) if cert || received || self.emitted => "certify",
            (Role::Server, false) => "hello",
        }
    }
}

/// True when `data` starts with a record that is not all there yet. A
/// header that cannot be TLS (content type, version, length) goes to rustls
/// at once, which refuses it with the right alert.
pub(super) fn record_incomplete(data: &[u8]) -> bool {
    let plausible = matches!(data.first(), Some(20..=24)) && data.get(1).is_none_or(|v| *v == 3);
    if !plausible {
        return false;
    }
    if data.len() < 5 {
        return true;
    }
    let len = 5 + ((data[3] as usize) << 8 | data[4] as usize);
    data.len() < len && len <= 5 + 16384 + 2048
}

/// How much of `data` to hand rustls at once: one whole record when its
/// header is there, else everything (rustls keeps partial records).
pub(super) fn record_span(data: &[u8]) -> usize {
    if data.len() >= 5 {
        let len = 5 + ((data[3] as usize) << 8 | data[4] as usize);
        len.min(data.len())
    } else {
        data.len()
    }
}

/// The alert rustls sends for a local error (mirrors rustls's own choices).
pub(super) fn local_alert(e: &Error) -> Alert {
    use rustls::PeerIncompatible as PI;
    let d = match e {
        Error::InvalidCertificate(ce) => AlertDescription::from(ce.clone()),
        Error::InvalidMessage(_) => AlertDescription::DecodeError,
        Error::InappropriateMessage { .. } | Error::InappropriateHandshakeMessage { .. } => {
            AlertDescription::UnexpectedMessage
        }
        Error::PeerIncompatible(
            PI::ServerDoesNotSupportTls12Or13
            | PI::Tls12NotOffered
            | PI::Tls12NotOfferedOrEnabled
            | PI::Tls13RequiredForQuic
            | PI::SupportedVersionsExtensionRequired,
        ) => AlertDescription::ProtocolVersion,
        Error::PeerIncompatible(_) => AlertDescription::HandshakeFailure,
        Error::PeerMisbehaved(_) => AlertDescription::IllegalParameter,
        Error::NoApplicationProtocol => AlertDescription::NoApplicationProtocol,
        Error::DecryptError => AlertDescription::BadRecordMac,
        Error::General(_) => AlertDescription::HandshakeFailure,
        Error::NoCertificatesPresented => AlertDescription::CertificateRequired,
        Error::PeerSentOversizedRecord => AlertDescription::RecordOverflow,
        _ => AlertDescription::InternalError,
    };
    Alert(u8::from(d))
}

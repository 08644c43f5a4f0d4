//! One guest instance: the sandbox of one connection. Every call into the
//! guest goes through here, under the store's memory limit and a fresh epoch
//! deadline. A trap is sticky: the instance is dead and says so.

use std::future::Future;
use std::pin::Pin;

use wasmtime::component::ResourceAny;
use wasmtime::Store;

use super::exports::Exports;
use super::Runtime;
use crate::bindings::exports::wassl::tls::handshake::{ClientHello, Failure, Progress};
use crate::bindings::exports::wassl::tls::options::TlsOption;
use crate::bindings::exports::wassl::tls::records as wit_records;
use crate::bindings::wassl::tls::types::{self as wit, ClientSession, ConnectionInfo, Role};
use crate::imports::{HostState, KeylogSink, MemoryLimiter, VerifyPolicy};
use crate::record_layer::{Handover, RecordError, RecordLayer, Side, Tls12Handover};
use crate::ssl::{PrfSecret, PrfSeed, Reason};

/// One exporter asked for: label, context (`None`: no context), length.
pub(crate) type ExportItem = (Vec<u8>, Option<Vec<u8>>, usize);

/// A fatal engine error with the alert bytes still to send to the peer.
#[derive(Debug)]
pub(crate) struct EngineFailure {
    pub(crate) reason: Reason,
    pub(crate) output: Vec<u8>,
}

impl From<Reason> for EngineFailure {
    fn from(reason: Reason) -> Self {
        EngineFailure {
            reason,
            output: Vec::new(),
        }
    }
}

pub(crate) fn tls_error(e: wit::TlsError) -> Reason {
    match e {
        wit::TlsError::TlsAlert(a) => Reason::TlsAlert {
            description: a.description,
            text: a.text,
        },
        wit::TlsError::Closed => Reason::Closed,
        wit::TlsError::Einval(_) => Reason::Einval,
    }
}

fn failure(f: Failure) -> EngineFailure {
    EngineFailure {
        reason: tls_error(f.error),
        output: f.output,
    }
}

/// The engine's side of a connection: its sandbox until the hand-off,
/// then what the sandbox knew.
enum Sandbox {
    Live(Box<Live>),
    Released(Box<Released>),
}

/// A sandbox in use.
struct Live {
    store: Store<HostState>,
    exports: Exports,
    config: Option<ResourceAny>,
    conn: Option<ResourceAny>,
    /// The pool slot, counted while the sandbox lives (`runtime::sandboxes`).
    _slot: super::Slot,
}

impl Live {
    fn conn(&self) -> Result<ResourceAny, Reason> {
        self.conn.ok_or(Reason::Einval)
    }
}

/// What a released sandbox still answers for (see `release`).
struct Released {
    info: ConnectionInfo,
    peer_certificates: Vec<Vec<u8>>,
    keylog: Vec<String>,
    /// The socket's policy, for a scratch sandbox's alert wording.
    verify: VerifyPolicy,
    /// Sessions the client engine reported and the socket has not taken yet.
    client_sessions: Vec<ClientSession>,
}

/// A connection's sandbox.
pub(crate) struct Instance {
    role: Role,
    sandbox: Sandbox,
    ticks: u64,
    max_memory: usize,
    dead: Option<String>,
    /// Take the records out of the sandbox after the handshake.
    offload: bool,
    /// The host's record layer, once the engine handed it over.
    records: Option<RecordLayer>,
    /// TLS 1.3's exporter secret was consumed (`export_key_materials/5`).
    exporter_consumed: bool,
}

impl Instance {
    /// A fresh instance from the pool.
    pub(crate) async fn new(
        rt: &Runtime,
        verify: VerifyPolicy,
        keylog: KeylogSink,
    ) -> Result<Instance, Reason> {
        let limits = MemoryLimiter {
            limit: rt.limits.max_memory,
            current: 0,
        };
        let mut store = Store::new(&rt.engine, HostState::new(limits, verify, keylog));
        store.limiter(|s| &mut s.limits);
        store.epoch_deadline_trap();
        store.set_epoch_deadline(rt.deadline_ticks());
        let instance = rt
            .pre
            .instantiate_async(&mut store)
            .boxed()
            .await
            .map_err(|e| {
                let text = format!("{e:#}");
                // The pooling allocator says so when every slot is taken.
                if text.contains("maximum concurrent") || text.contains("limit") {
                    Reason::SystemLimit
                } else {
                    Reason::EngineTrap(text)
                }
            })?;
        let exports = rt
            .exports
            .exports(&mut store, instance)
            .map_err(Reason::EngineTrap)?;
        Ok(Instance {
            role: Role::Client,
            sandbox: Sandbox::Live(Box::new(Live {
                store,
                exports,
                config: None,
                conn: None,
                _slot: super::Slot::take(),
            })),
            ticks: rt.deadline_ticks(),
            max_memory: rt.limits.max_memory,
            dead: None,
            offload: true,
            records: None,
            exporter_consumed: false,
        })
    }

    /// Whether records leave the sandbox after the handshake (on by
    /// default; `{record_offload, false}` keeps every byte in the engine).
    pub(crate) fn set_offload(&mut self, on: bool) {
        self.offload = on;
    }

    /// Whether the engine is offered the host's native crypto for its
    /// next configuration (on by default; `{host_crypto, false}`).
    pub(crate) fn set_host_crypto(&mut self, on: bool) {
        if let Sandbox::Live(l) = &mut self.sandbox {
            l.store.data_mut().host_crypto = on;
        }
    }

    /// A server's session cache and lifetime (`session_cb`, `session_lifetime`).
    pub(crate) fn set_sessions(&mut self, sessions: crate::ssl::session_cache::ServerSessions) {
        if let Sandbox::Live(l) = &mut self.sandbox {
            l.store.data_mut().sessions = sessions;
        }
    }

    /// Idle: shrink the host record layer's buffers.
    pub(crate) fn hibernate(&mut self) {
        if let Some(rl) = self.records.as_mut() {
            rl.hibernate();
        }
    }

    /// Where the peer's bytes go once the host's record layer protects the
    /// records: read into it, then [`Self::feed`] nothing (no copy).
    pub(crate) fn input(&mut self, room: usize) -> Option<&mut Vec<u8>> {
        self.records.as_mut().map(|rl| rl.input(room))
    }

    /// True once the host's record layer protects this connection's records.
    pub(crate) fn offloaded(&self) -> bool {
        self.records.is_some()
    }

    /// `{tls_alert, ...}` in the engine's words, for an alert the host
    /// decided on (`local`) or received. A released sandbox borrows a
    /// fresh one for the wording (a rare path: the connection is ending).
    pub(crate) async fn alert_reason(
        &mut self,
        code: u8,
        local: bool,
        detail: Option<&str>,
    ) -> Reason {
        if let Sandbox::Released(r) = &self.sandbox {
            let verify = r.verify.clone();
            let rt = match super::get() {
                Ok(rt) => rt,
                Err(e) => return Reason::EngineTrap(e),
            };
            let mut scratch = match Instance::new(&rt, verify, KeylogSink::default())
                .boxed()
                .await
            {
                Ok(i) => i,
                Err(r) => return r,
            };
            scratch.role = self.role;
            return scratch.alert_reason(code, local, detail).boxed().await;
        }
        let role = self.role;
        let live = match self.live() {
            Ok(l) => l,
            Err(r) => return r,
        };
        let r = live
            .exports
            .alert_error(&mut live.store, role, code, local, detail)
            .boxed();
        match r.await {
            Ok(err) => tls_error(err),
            Err(t) => self.trapped(t),
        }
    }

    /// The engine's words for an alert of the host's record layer.
    async fn record_failure(&mut self, e: RecordError) -> EngineFailure {
        let reason = self
            .alert_reason(e.code, e.local, e.detail.as_deref())
            .await;
        EngineFailure {
            reason,
            output: e.output,
        }
    }

    /// After the handshake, ask the engine for its record layer.
    async fn hand_off(&mut self) -> Result<(), EngineFailure> {
        use crate::bindings::exports::wassl::tls::records::HandOffAnswer;
        let live = self.live()?;
        let conn = live.conn()?;
        let r = live.exports.hand_off(&mut live.store, conn).boxed().await;
        let answer = match r {
            Ok(s) => s,
            Err(e) => return Err(self.trapped(e).into()),
        };
        // "later" keeps `offload` on: the next feed asks again.
        self.offload = matches!(answer, HandOffAnswer::Later);
        let (records, kept) = match answer {
            HandOffAnswer::Ready((t, kept)) => (
                RecordLayer::new(Handover {
                    side: match self.role {
                        Role::Client => Side::Client,
                        Role::Server => Side::Server,
                    },
                    suite: t.suite,
                    tx_seq: t.tx_seq,
                    tx_secret: t.tx_secret,
                    rx_seq: t.rx_seq,
                    rx_secret: t.rx_secret,
                    exporter_secret: t.exporter_secret,
                    pending: t.pending,
                }),
                kept,
            ),
            HandOffAnswer::ReadyTls12((k, kept)) => (
                RecordLayer::tls12(Tls12Handover {
                    side: match self.role {
                        Role::Client => Side::Client,
                        Role::Server => Side::Server,
                    },
                    suite: k.suite,
                    tx_seq: k.tx_seq,
                    rx_seq: k.rx_seq,
                    master_secret: k.master_secret,
                    client_random: k.client_random,
                    server_random: k.server_random,
                    pending: k.pending,
                }),
                kept,
            ),
            HandOffAnswer::Later | HandOffAnswer::Never => return Ok(()),
        };
        if records.is_none() {
            // Secrets given away, and no layer for them: nothing can
            // protect this connection's records any more.
            return Err(Reason::EngineTrap("record hand-off of an unknown suite".into()).into());
        }
        self.records = records;
        self.release(kept.info, kept.peer_certificates);
        Ok(())
    }

    /// After the hand-off the sandbox has nothing left to do: keep what it
    /// knows about the connection on the host and drop it, so that its
    /// memory goes back to the pool. An established connection then
    /// costs only the host's record layer.
    fn release(&mut self, info: ConnectionInfo, peer_certificates: Vec<Vec<u8>>) {
        let Sandbox::Live(live) = &mut self.sandbox else {
            return;
        };
        let state = live.store.data_mut();
        let released = Released {
            info,
            peer_certificates,
            keylog: std::mem::take(&mut state.keylog.lines),
            verify: state.verify.clone(),
            client_sessions: std::mem::take(&mut state.client_sessions),
        };
        // The store (instance, linear memory) and the pool slot go here.
        self.sandbox = Sandbox::Released(Box::new(released));
    }

    /// Sessions the client engine reported since the last call.
    pub(crate) fn take_client_sessions(&mut self) -> Vec<ClientSession> {
        std::mem::take(match &mut self.sandbox {
            Sandbox::Live(l) => &mut l.store.data_mut().client_sessions,
            Sandbox::Released(r) => &mut r.client_sessions,
        })
    }

    /// Lower (or raise, up to the runtime's limit) this sandbox's memory cap.
    /// A limit below what the sandbox already holds ends it now, as growing
    /// past the limit would: wasm memory never shrinks, so it could not get
    /// back under (Erlang's `max_heap_size` kills a process that is over).
    /// Not once the host protects the records: the sandbox is then off the
    /// data path (or gone), and only a growth would end it.
    pub(crate) fn set_memory_limit(&mut self, bytes: usize) {
        let Sandbox::Live(live) = &mut self.sandbox else {
            return;
        };
        let limits = &mut live.store.data_mut().limits;
        limits.limit = bytes.min(self.max_memory);
        let (held, limit) = (limits.current, limits.limit);
        if held > limit && self.dead.is_none() && self.records.is_none() {
            self.dead = Some(format!(
                "memory limit reached: the engine holds {held} bytes, the limit is {limit}"
            ));
        }
    }

    /// Linear memory the sandbox uses now, in bytes.
    pub(crate) fn memory(&self) -> usize {
        match &self.sandbox {
            Sandbox::Live(l) => l.store.data().limits.current,
            Sandbox::Released(_) => 0,
        }
    }

    /// Map a wasmtime error (a trap, a limit, a deadline) to the sticky reason.
    fn trapped(&mut self, e: wasmtime::Error) -> Reason {
        let text = match e.downcast_ref::<wasmtime::Trap>() {
            Some(wasmtime::Trap::Interrupt) => {
                "deadline: a call into the engine ran too long".to_string()
            }
            Some(trap) => format!("{trap}"),
            // The cause, not wasmtime's "error while executing at wasm backtrace" header.
            None => e.root_cause().to_string(),
        };
        let text = text.lines().next().unwrap_or("trap").to_string();
        self.dead = Some(text.clone());
        Reason::EngineTrap(text)
    }

    /// The sandbox, for a call into it with a fresh deadline.
    fn live(&mut self) -> Result<&mut Live, Reason> {
        // Nothing calls into a sandbox that is gone.
        let Sandbox::Live(live) = &mut self.sandbox else {
            return Err(Reason::Closed);
        };
        if let Some(t) = &self.dead {
            return Err(Reason::EngineTrap(t.clone()));
        }
        live.store.set_epoch_deadline(self.ticks);
        Ok(live)
    }

    /// Validate options and keep the config (`{options, ...}` errors come from here).
    pub(crate) async fn configure(
        &mut self,
        role: Role,
        opts: Vec<TlsOption>,
    ) -> Result<(), Reason> {
        self.role = role;
        let live = self.live()?;
        match live
            .exports
            .config_create(&mut live.store, role, &opts)
            .boxed()
            .await
        {
            Ok(Ok(c)) => {
                live.config = Some(c);
                Ok(())
            }
            Ok(Err(e)) => Err(Reason::Options {
                option: e.name,
                value: e.value,
                detail: e.detail,
            }),
            Err(e) => Err(self.trapped(e)),
        }
    }

    /// Start a client connection checking the server as `server_name`.
    pub(crate) async fn client(&mut self, server_name: &str) -> Result<(), Reason> {
        let live = self.live()?;
        let cfg = live.config.ok_or(Reason::Einval)?;
        match live
            .exports
            .client(&mut live.store, cfg, server_name)
            .boxed()
            .await
        {
            Ok(Ok(conn)) => {
                live.conn = Some(conn);
                Ok(())
            }
            Ok(Err(e)) => Err(tls_error(e)),
            Err(e) => Err(self.trapped(e)),
        }
    }

    /// Start a server connection.
    pub(crate) async fn server(&mut self) -> Result<(), Reason> {
        let live = self.live()?;
        let cfg = live.config.ok_or(Reason::Einval)?;
        match live.exports.server(&mut live.store, cfg).boxed().await {
            Ok(Ok(conn)) => {
                live.conn = Some(conn);
                Ok(())
            }
            Ok(Err(e)) => Err(tls_error(e)),
            Err(e) => Err(self.trapped(e)),
        }
    }

    /// Start a server that stops at the ClientHello (`{handshake, hello}`).
    pub(crate) async fn server_paused(&mut self) -> Result<(), Reason> {
        let live = self.live()?;
        match live.exports.server_paused(&mut live.store).boxed().await {
            Ok(conn) => {
                live.conn = Some(conn);
                Ok(())
            }
            Err(e) => Err(self.trapped(e)),
        }
    }

    /// The ClientHello a paused server has read, once whole.
    pub(crate) async fn client_hello(&mut self) -> Result<Option<ClientHello>, Reason> {
        let live = self.live()?;
        let conn = live.conn()?;
        match live
            .exports
            .client_hello(&mut live.store, conn)
            .boxed()
            .await
        {
            Ok(h) => Ok(h),
            Err(e) => Err(self.trapped(e)),
        }
    }

    /// `handshake_continue`: options for the rest of the handshake (a new
    /// config and verify policy), then the server's first flight.
    pub(crate) async fn resume(
        &mut self,
        opts: Vec<TlsOption>,
        verify: VerifyPolicy,
        keylog: KeylogSink,
    ) -> Result<Progress, EngineFailure> {
        self.configure(Role::Server, opts).await?;
        let live = self.live()?;
        live.store.data_mut().verify = verify;
        live.store.data_mut().keylog = keylog;
        let conn = live.conn()?;
        let cfg = live.config.ok_or(Reason::Einval)?;
        match live
            .exports
            .resume(&mut live.store, conn, cfg)
            .boxed()
            .await
        {
            Ok(r) => r.map_err(failure),
            Err(e) => Err(self.trapped(e).into()),
        }
    }

    /// Feed bytes read from the peer.
    pub(crate) async fn feed(&mut self, data: &[u8]) -> Result<Progress, EngineFailure> {
        if let Some(rl) = self.records.as_mut() {
            return match rl.open(data) {
                Ok(o) => Ok(Progress {
                    output: o.output,
                    plaintext: o.plaintext,
                    handshake_done: true,
                    peer_closed: o.peer_closed,
                    rest: o.rest,
                }),
                Err(e) => Err(self.record_failure(e).boxed().await),
            };
        }
        let live = self.live()?;
        let conn = live.conn()?;
        let p = match live.exports.feed(&mut live.store, conn, data).boxed().await {
            Ok(r) => r.map_err(failure)?,
            Err(e) => return Err(self.trapped(e).into()),
        };
        if self.offload && p.handshake_done && !p.peer_closed {
            self.hand_off().boxed().await?;
        }
        Ok(p)
    }

    /// Encrypt application data.
    pub(crate) async fn send(&mut self, data: &[u8]) -> Result<Vec<u8>, EngineFailure> {
        if let Some(rl) = self.records.as_mut() {
            return match rl.seal(data) {
                Ok(out) => Ok(out),
                Err(e) => Err(self.record_failure(e).boxed().await),
            };
        }
        let live = self.live()?;
        let conn = live.conn()?;
        match live.exports.send(&mut live.store, conn, data).boxed().await {
            Ok(r) => r.map_err(failure),
            Err(e) => Err(self.trapped(e).into()),
        }
    }

    /// The close_notify record (empty when the engine is gone).
    pub(crate) async fn close_notify(&mut self) -> Vec<u8> {
        if let (None, Some(rl)) = (&self.dead, self.records.as_mut()) {
            return rl.close_notify();
        }
        let Ok(live) = self.live() else {
            return Vec::new();
        };
        let Ok(conn) = live.conn() else {
            return Vec::new();
        };
        match live
            .exports
            .close_notify(&mut live.store, conn)
            .boxed()
            .await
        {
            Ok(out) => out,
            Err(e) => {
                self.trapped(e);
                Vec::new()
            }
        }
    }

    /// `connection_information/1`.
    pub(crate) async fn info(&mut self) -> Result<ConnectionInfo, Reason> {
        if let Sandbox::Released(r) = &self.sandbox {
            return Ok(r.info.clone());
        }
        let live = self.live()?;
        let conn = live.conn()?;
        match live
            .exports
            .connection_information(&mut live.store, conn)
            .boxed()
            .await
        {
            Ok(r) => r.map_err(tls_error),
            Err(e) => Err(self.trapped(e)),
        }
    }

    /// The peer's chain, leaf first.
    pub(crate) async fn peer_certificates(&mut self) -> Result<Vec<Vec<u8>>, Reason> {
        if let Sandbox::Released(r) = &self.sandbox {
            return Ok(r.peer_certificates.clone());
        }
        let live = self.live()?;
        let conn = live.conn()?;
        match live
            .exports
            .peer_certificates(&mut live.store, conn)
            .boxed()
            .await
        {
            Ok(r) => Ok(r),
            Err(e) => Err(self.trapped(e)),
        }
    }

    /// `update_keys`: the KeyUpdate record; `request_peer` asks the peer to
    /// update too (`read_write`). The engine always asks.
    pub(crate) async fn update_keys(
        &mut self,
        request_peer: bool,
    ) -> Result<Vec<u8>, EngineFailure> {
        if let Some(rl) = self.records.as_mut() {
            // TLS 1.2: not fatal, `notsup` as from the engine.
            return rl
                .update_keys(request_peer)
                .ok_or_else(|| Reason::Einval.into());
        }
        let live = self.live()?;
        let conn = live.conn()?;
        match live
            .exports
            .update_keys(&mut live.store, conn)
            .boxed()
            .await
        {
            Ok(r) => r.map_err(failure),
            Err(e) => Err(self.trapped(e).into()),
        }
    }

    /// `export_key_materials/5`: one output per (label, context, length).
    /// With `consume`, a TLS 1.3 connection's exporter secret is used up:
    /// the host's layer wipes it, and later calls are refused as in OTP.
    pub(crate) async fn export_items(
        &mut self,
        items: &[ExportItem],
        consume: bool,
    ) -> Result<Vec<Vec<u8>>, Reason> {
        if self.exporter_consumed {
            return Err(Reason::ExporterMasterSecretAlreadyConsumed);
        }
        let mut out = Vec::with_capacity(items.len());
        for (label, context, len) in items {
            out.push(self.export(label, context.as_deref(), *len as u32).await?);
        }
        if consume && self.info().await?.protocol == wit::ProtocolVersion::Tlsv13 {
            self.exporter_consumed = true;
            if let Some(rl) = self.records.as_mut() {
                rl.consume_exporter();
            }
        }
        Ok(out)
    }

    /// An exporter.
    async fn export(
        &mut self,
        label: &[u8],
        context: Option<&[u8]>,
        length: u32,
    ) -> Result<Vec<u8>, Reason> {
        if let Some(rl) = self.records.as_ref() {
            // The engine's bounds, so both paths answer alike.
            if length == 0 || length > 16 << 20 {
                return Err(Reason::Einval);
            }
            return Ok(rl.export(label, context, length as usize));
        }
        let live = self.live()?;
        let conn = live.conn()?;
        let r = live
            .exports
            .export_keying_material(&mut live.store, conn, label, context, length)
            .boxed();
        match r.await {
            Ok(r) => r.map_err(tls_error),
            Err(e) => Err(self.trapped(e)),
        }
    }

    /// `prf/5`: the host's record layer has the session's parameters once
    /// it has the records, the engine before. `undefined` on TLS 1.3.
    pub(crate) async fn prf(
        &mut self,
        secret: &PrfSecret,
        label: &[u8],
        seed: &[PrfSeed],
        length: usize,
    ) -> Result<Vec<u8>, Reason> {
        if let Some(rl) = self.records.as_ref() {
            let (sha, client_random, server_random) =
                rl.prf_parameters().ok_or(Reason::Undefined)?;
            let seed: Vec<u8> = seed
                .iter()
                .flat_map(|p| match p {
                    PrfSeed::ClientRandom => client_random,
                    PrfSeed::ServerRandom => server_random,
                    PrfSeed::Bytes(b) => &b[..],
                })
                .copied()
                .collect();
            let secret = match secret {
                PrfSecret::MasterSecret => rl.master_secret().ok_or(Reason::Undefined)?,
                PrfSecret::Bytes(b) => &b[..],
            };
            let mut out = vec![0; length];
            crate::kdf::tls12_prf(sha, secret, label, &seed, &mut out);
            return Ok(out);
        }
        let live = self.live()?;
        let conn = live.conn()?;
        let secret = match secret {
            PrfSecret::MasterSecret => wit_records::PrfSecret::MasterSecret,
            PrfSecret::Bytes(b) => wit_records::PrfSecret::Bytes(b.clone()),
        };
        let seed: Vec<_> = seed
            .iter()
            .map(|p| match p {
                PrfSeed::ClientRandom => wit_records::PrfSeed::ClientRandom,
                PrfSeed::ServerRandom => wit_records::PrfSeed::ServerRandom,
                PrfSeed::Bytes(b) => wit_records::PrfSeed::Bytes(b.clone()),
            })
            .collect();
        let r = live
            .exports
            .prf(&mut live.store, conn, &secret, label, &seed, length as u32)
            .boxed();
        match r.await {
            Ok(r) => r.ok_or(Reason::Undefined),
            Err(e) => Err(self.trapped(e)),
        }
    }

    /// `connection_information`'s `master_secret`: TLS 1.2 only.
    pub(crate) async fn master_secret(&mut self) -> Result<Option<Vec<u8>>, Reason> {
        if let Some(rl) = self.records.as_ref() {
            return Ok(rl.master_secret().map(<[u8]>::to_vec));
        }
        let live = self.live()?;
        let conn = live.conn()?;
        let r = live.exports.master_secret(&mut live.store, conn).boxed();
        match r.await {
            Ok(r) => Ok(r),
            Err(e) => Err(self.trapped(e)),
        }
    }

    /// Key log lines kept by `keep_secrets`.
    pub(crate) fn keylog(&self) -> Vec<String> {
        match &self.sandbox {
            Sandbox::Live(l) => l.store.data().keylog.lines.clone(),
            Sandbox::Released(r) => r.keylog.clone(),
        }
    }

    /// `ssl:groups/0` and `ssl:signature_algs/2` from the engine.
    pub(crate) async fn groups_and_sigalgs(
        &mut self,
    ) -> Result<(Vec<String>, Vec<String>, Vec<String>), Reason> {
        let live = self.live()?;
        let o = &live.exports;
        let r = async {
            let g = o.groups(&mut live.store).boxed().await?;
            let s13 = o.signature_algs(&mut live.store, true).boxed().await?;
            let s12 = o.signature_algs(&mut live.store, false).boxed().await?;
            Ok((g, s13, s12))
        }
        .await;
        r.map_err(|e| self.trapped(e))
    }

    /// The suites the engine offers, with OpenSSL names.
    pub(crate) async fn cipher_suites(
        &mut self,
    ) -> Result<Vec<(wit::CipherSuite, String)>, Reason> {
        let live = self.live()?;
        match live.exports.cipher_suites(&mut live.store).boxed().await {
            Ok(r) => Ok(r),
            Err(e) => Err(self.trapped(e)),
        }
    }
}

/// Calls into the sandbox are boxed: wasmtime's call futures are kilobytes,
/// and every socket task would otherwise carry the largest of them inline
/// for its whole life, idle or not. A call costs a fiber switch; one
/// allocation more is noise beside it.
trait Boxed: Future + Sized {
    fn boxed(self) -> Pin<Box<Self>> {
        Box::pin(self)
    }
}

impl<F: Future> Boxed for F {}

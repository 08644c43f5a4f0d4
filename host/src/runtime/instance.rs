//! One guest instance: the sandbox of one connection. Every call into the
//! guest goes through here, under the store's memory limit and a fresh epoch
//! deadline. A trap is sticky: the instance is dead and says so.

use wasmtime::component::ResourceAny;
use wasmtime::Store;

use super::Runtime;
use crate::bindings::exports::wassl::tls::handshake::{Failure, Progress};
use crate::bindings::exports::wassl::tls::options::TlsOption;
use crate::bindings::wassl::tls::types::{self as wit, ConnectionInfo, Role};
use crate::bindings::Engine as World;
use crate::imports::{HostState, KeylogSink, MemoryLimiter, VerifyPolicy};
use crate::ssl::Reason;

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

/// A connection's sandbox.
pub(crate) struct Instance {
    store: Store<HostState>,
    world: World,
    ticks: u64,
    max_memory: usize,
    config: Option<ResourceAny>,
    conn: Option<ResourceAny>,
    dead: Option<String>,
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
        let world = rt.pre.instantiate_async(&mut store).await.map_err(|e| {
            let text = format!("{e:#}");
            // The pooling allocator says so when every slot is taken.
            if text.contains("maximum concurrent") || text.contains("limit") {
                Reason::SystemLimit
            } else {
                Reason::EngineTrap(text)
            }
        })?;
        Ok(Instance {
            store,
            world,
            ticks: rt.deadline_ticks(),
            max_memory: rt.limits.max_memory,
            config: None,
            conn: None,
            dead: None,
        })
    }

    /// Lower (or raise, up to the runtime's limit) this sandbox's memory cap.
    pub(crate) fn set_memory_limit(&mut self, bytes: usize) {
        self.store.data_mut().limits.limit = bytes.min(self.max_memory);
    }

    /// Linear memory the sandbox uses now, in bytes.
    pub(crate) fn memory(&self) -> usize {
        self.store.data().limits.current
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

    fn alive(&mut self) -> Result<(), Reason> {
        match &self.dead {
            Some(t) => Err(Reason::EngineTrap(t.clone())),
            None => {
                self.store.set_epoch_deadline(self.ticks);
                Ok(())
            }
        }
    }

    fn conn(&self) -> Result<ResourceAny, Reason> {
        self.conn.ok_or(Reason::Einval)
    }

    /// Validate options and keep the config (`{options, ...}` errors come from here).
    pub(crate) async fn configure(
        &mut self,
        role: Role,
        opts: Vec<TlsOption>,
    ) -> Result<(), Reason> {
        self.alive()?;
        let cfg = self.world.wassl_tls_options().config();
        match cfg.call_create(&mut self.store, role, &opts).await {
            Ok(Ok(c)) => {
                self.config = Some(c);
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
        self.alive()?;
        let cfg = self.config.ok_or(Reason::Einval)?;
        let c = self.world.wassl_tls_handshake().connection();
        match c.call_client(&mut self.store, cfg, server_name).await {
            Ok(Ok(conn)) => {
                self.conn = Some(conn);
                Ok(())
            }
            Ok(Err(e)) => Err(tls_error(e)),
            Err(e) => Err(self.trapped(e)),
        }
    }

    /// Start a server connection.
    pub(crate) async fn server(&mut self) -> Result<(), Reason> {
        self.alive()?;
        let cfg = self.config.ok_or(Reason::Einval)?;
        let c = self.world.wassl_tls_handshake().connection();
        match c.call_server(&mut self.store, cfg).await {
            Ok(Ok(conn)) => {
                self.conn = Some(conn);
                Ok(())
            }
            Ok(Err(e)) => Err(tls_error(e)),
            Err(e) => Err(self.trapped(e)),
        }
    }

    /// Feed bytes read from the peer.
    pub(crate) async fn feed(&mut self, data: &[u8]) -> Result<Progress, EngineFailure> {
        self.alive()?;
        let conn = self.conn()?;
        let c = self.world.wassl_tls_handshake().connection();
        match c.call_feed(&mut self.store, conn, data).await {
            Ok(r) => r.map_err(failure),
            Err(e) => Err(self.trapped(e).into()),
        }
    }

    /// Encrypt application data.
    pub(crate) async fn send(&mut self, data: &[u8]) -> Result<Vec<u8>, EngineFailure> {
        self.alive()?;
        let conn = self.conn()?;
        match self
            .world
            .wassl_tls_records()
            .call_send(&mut self.store, conn, data)
            .await
        {
            Ok(r) => r.map_err(failure),
            Err(e) => Err(self.trapped(e).into()),
        }
    }

    /// The close_notify record (empty when the engine is gone).
    pub(crate) async fn close_notify(&mut self) -> Vec<u8> {
        let (Ok(()), Ok(conn)) = (self.alive(), self.conn()) else {
            return Vec::new();
        };
        match self
            .world
            .wassl_tls_records()
            .call_close_notify(&mut self.store, conn)
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
        self.alive()?;
        let conn = self.conn()?;
        match self
            .world
            .wassl_tls_records()
            .call_connection_information(&mut self.store, conn)
            .await
        {
            Ok(r) => r.map_err(tls_error),
            Err(e) => Err(self.trapped(e)),
        }
    }

    /// The peer's chain, leaf first.
    pub(crate) async fn peer_certificates(&mut self) -> Result<Vec<Vec<u8>>, Reason> {
        self.alive()?;
        let conn = self.conn()?;
        match self
            .world
            .wassl_tls_records()
            .call_peer_certificates(&mut self.store, conn)
            .await
        {
            Ok(r) => Ok(r),
            Err(e) => Err(self.trapped(e)),
        }
    }

    /// `update_keys`: the KeyUpdate record.
    pub(crate) async fn update_keys(&mut self) -> Result<Vec<u8>, EngineFailure> {
        self.alive()?;
        let conn = self.conn()?;
        match self
            .world
            .wassl_tls_records()
            .call_update_keys(&mut self.store, conn)
            .await
        {
            Ok(r) => r.map_err(failure),
            Err(e) => Err(self.trapped(e).into()),
        }
    }

    /// An exporter.
    pub(crate) async fn export(
        &mut self,
        label: &[u8],
        context: Option<&[u8]>,
        length: u32,
    ) -> Result<Vec<u8>, Reason> {
        self.alive()?;
        let conn = self.conn()?;
        let r = self.world.wassl_tls_records().call_export_keying_material(
            &mut self.store,
            conn,
            label,
            context,
            length,
        );
        match r.await {
            Ok(r) => r.map_err(tls_error),
            Err(e) => Err(self.trapped(e)),
        }
    }

    /// Key log lines kept by `keep_secrets`.
    pub(crate) fn keylog(&self) -> Vec<String> {
        self.store.data().keylog.lines.clone()
    }

    /// `ssl:groups/0` and `ssl:signature_algs/2` from the engine.
    pub(crate) async fn groups_and_sigalgs(
        &mut self,
    ) -> Result<(Vec<String>, Vec<String>, Vec<String>), Reason> {
        self.alive()?;
        let o = self.world.wassl_tls_options();
        let groups = o.call_groups(&mut self.store).await;
        let g = match groups {
            Ok(g) => g,
            Err(e) => return Err(self.trapped(e)),
        };
        let s13 = match o.call_signature_algs(&mut self.store, true).await {
            Ok(s) => s,
            Err(e) => return Err(self.trapped(e)),
        };
        let s12 = match o.call_signature_algs(&mut self.store, false).await {
            Ok(s) => s,
            Err(e) => return Err(self.trapped(e)),
        };
        Ok((g, s13, s12))
    }

    /// The suites the engine offers, with OpenSSL names.
    pub(crate) async fn cipher_suites(
        &mut self,
    ) -> Result<Vec<(wit::CipherSuite, String)>, Reason> {
        self.alive()?;
        match self
            .world
            .wassl_tls_options()
            .call_cipher_suites(&mut self.store)
            .await
        {
            Ok(r) => Ok(r),
            Err(e) => Err(self.trapped(e)),
        }
    }
}

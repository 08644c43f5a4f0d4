//! Host implementations of the interfaces the guest imports, and the state
//! each connection's `Store` carries.

pub(crate) mod crypto;
pub(crate) mod verify;

use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

pub(crate) use verify::VerifyPolicy;

/// What a connection's `Store` holds: a WASI context with nothing but clocks
/// and randomness (no files, no sockets, no environment), its limits, and
/// the verify policy of its socket.
pub(crate) struct HostState {
    wasi: WasiCtx,
    table: ResourceTable,
    pub(crate) limits: MemoryLimiter,
    pub(crate) verify: VerifyPolicy,
    pub(crate) keylog: KeylogSink,
    /// Sessions a client engine reported and the socket has not taken yet.
    pub(crate) client_sessions: Vec<crate::bindings::wassl::tls::types::ClientSession>,
    /// Offer the engine native crypto (`{host_crypto, false}` turns it off).
    pub(crate) host_crypto: bool,
    /// A server's session cache (`session_cb`) and `session_lifetime`.
    pub(crate) sessions: crate::ssl::session_cache::ServerSessions,
}

/// Host resources one sandbox may hold at once (key shares, keys, hash
/// contexts, WASI's own). A handshake holds a handful; the cap keeps a
/// guest that never drops them from growing the host's memory.
pub(crate) const RESOURCES_MAX: usize = 1024;

impl HostState {
    pub(crate) fn new(
        limits: MemoryLimiter,
        verify: VerifyPolicy,
        keylog: KeylogSink,
    ) -> HostState {
        HostState {
            wasi: WasiCtx::builder().build(),
            table: {
                let mut t = ResourceTable::new();
                t.set_max_capacity(RESOURCES_MAX);
                t
            },
            limits,
            verify,
            keylog,
            client_sessions: Vec::new(),
            host_crypto: true,
            sessions: Default::default(),
        }
    }
}

/// A store's state with nothing configured but the default verify policy:
/// the imports called directly, by the unit tests and the `imports` fuzz
/// target.
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) fn bare_state() -> HostState {
    let policy = crate::ssl::verify::Policy {
        fun: crate::ssl::verify::VerifyFun::default_verify_peer(),
        partial_chain: None,
        depth: 10,
        match_fun: None,
    };
    let limits = MemoryLimiter {
        limit: 1 << 20,
        current: 0,
    };
    HostState::new(limits, VerifyPolicy(policy), KeylogSink::default())
}

/// Where secrets go: kept for `connection_information(S, [keylog])`
/// (`keep_secrets`), and appended to `$SSLKEYLOGFILE` in NSS key log format.
#[derive(Debug, Default, Clone)]
pub(crate) struct KeylogSink {
    pub(crate) keep: bool,
    pub(crate) file: Option<std::path::PathBuf>,
    pub(crate) lines: Vec<String>,
}

impl KeylogSink {
    /// For a socket: `keep_secrets`, and the environment's `SSLKEYLOGFILE`.
    pub(crate) fn new(keep: bool) -> KeylogSink {
        let file = std::env::var_os("SSLKEYLOGFILE")
            .filter(|f| !f.is_empty())
            .map(Into::into);
        KeylogSink {
            keep,
            file,
            lines: Vec::new(),
        }
    }

    pub(crate) fn enabled(&self) -> bool {
        self.keep || self.file.is_some()
    }

    pub(crate) fn log(&mut self, label: &str, client_random: &[u8], secret: &[u8]) {
        let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
        let line = format!("{label} {} {}", hex(client_random), hex(secret));
        if let Some(path) = &self.file {
            use std::io::Write;
            // Best effort, as OpenSSL and browsers do: a key log never breaks a connection.
            if let Ok(mut f) = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
            {
                let _ = writeln!(f, "{line}");
            }
        }
        if self.keep {
            self.lines.push(line);
        }
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// The sandbox's memory cap, and what it uses now (wasm memories only grow).
#[derive(Debug)]
pub(crate) struct MemoryLimiter {
    pub(crate) limit: usize,
    pub(crate) current: usize,
}

impl wasmtime::ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _max: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.limit {
            // An error here traps the guest: the socket ends, with this text.
            return Err(wasmtime::format_err!(
                "memory limit reached: the engine wanted {desired} bytes, the limit is {} (had {current})",
                self.limit
            ));
        }
        self.current = self.current.max(desired);
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _max: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 100_000)
    }
}

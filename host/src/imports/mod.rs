//! Host implementations of the interfaces the guest imports, and the state
//! each connection's `Store` carries.

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
}

impl HostState {
    pub(crate) fn new(limits: MemoryLimiter, verify: VerifyPolicy) -> HostState {
        HostState { wasi: WasiCtx::builder().build(), table: ResourceTable::new(), limits, verify }
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

/// The sandbox's memory cap, and what it uses now (wasm memories only grow).
#[derive(Debug)]
pub(crate) struct MemoryLimiter {
    pub(crate) limit: usize,
    pub(crate) current: usize,
}

impl wasmtime::ResourceLimiter for MemoryLimiter {
    fn memory_growing(&mut self, current: usize, desired: usize, _max: Option<usize>) -> wasmtime::Result<bool> {
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

    fn table_growing(&mut self, _current: usize, desired: usize, _max: Option<usize>) -> wasmtime::Result<bool> {
        Ok(desired <= 100_000)
    }
}

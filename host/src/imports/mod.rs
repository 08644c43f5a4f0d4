//! Host implementations of the interfaces the guest imports, and the state
//! each connection's `Store` carries.

pub(crate) mod verify;

use wasmtime::component::ResourceTable;
use wasmtime::StoreLimits;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

pub(crate) use verify::VerifyPolicy;

/// What a connection's `Store` holds: a WASI context with nothing but clocks
/// and randomness (no files, no sockets, no environment), its limits, and
/// the verify policy of its socket.
pub(crate) struct HostState {
    wasi: WasiCtx,
    table: ResourceTable,
    pub(crate) limits: StoreLimits,
    pub(crate) verify: VerifyPolicy,
}

impl HostState {
    pub(crate) fn new(limits: StoreLimits, verify: VerifyPolicy) -> HostState {
        HostState { wasi: WasiCtx::builder().build(), table: ResourceTable::new(), limits, verify }
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

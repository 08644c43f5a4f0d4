//! The wasmtime side of wassl: one [`Engine`], the guest component compiled
//! once per process (and cached on disk), and one `Instance` per connection,
//! each in its own `Store` with a memory limit and a per-call epoch deadline.

mod cache;
mod exports;
mod instance;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use wasmtime::component::{HasSelf, InstancePre, Linker};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use crate::bindings;
use crate::imports::HostState;

pub use cache::cache_dir;
pub(crate) use instance::{EngineFailure, ExportItem, Instance};

/// The guest component, built by `build.rs` from `guest/`.
pub(crate) const GUEST_WASM: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/wassl_guest.wasm"));

/// How often the epoch ticks; call deadlines are counted in these.
const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Limits of the sandbox. Set them with [`configure`] before the first
/// connection; afterwards they are fixed for the process.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Connections (guest instances) that may exist at once; the pooling
    /// allocator reserves slots for this many. Past it, calls fail with
    /// `system_limit`.
    pub max_connections: u32,
    /// Linear memory one connection's engine may use, in bytes. Past it the
    /// guest traps and that socket ends with an `engine_trap` error.
    pub max_memory: usize,
    /// Longest a single guest call may run before it is stopped (a trap for
    /// that socket only).
    pub call_deadline: Duration,
    /// Bytes of a freed sandbox's memory kept resident and reset in place
    /// for the next connection, instead of being returned to the kernel and
    /// faulted in again (a handshake touches about 1 MiB). Costs up to this
    /// much resident memory per recently used slot while idle; 0 returns
    /// everything.
    pub keep_resident: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 1000,
            max_memory: 32 << 20,
            call_deadline: Duration::from_secs(5),
            keep_resident: 1 << 20,
        }
    }
}

static LIMITS: Mutex<Option<Limits>> = Mutex::new(None);
static RUNTIME: OnceLock<Result<Arc<Runtime>, String>> = OnceLock::new();

/// Set the sandbox limits. Returns false when the runtime has already started
/// (the limits in force are then unchanged).
pub fn configure(limits: Limits) -> bool {
    if RUNTIME.get().is_some() {
        return false;
    }
    *LIMITS.lock().unwrap_or_else(|e| e.into_inner()) = Some(limits);
    true
}

/// Sandboxes holding a pool slot now (a connection handshaking, or one
/// that keeps its engine), counted by [`Slot`].
static IN_USE: AtomicU32 = AtomicU32::new(0);

/// How many sandboxes exist and how many may (`max_connections`): for an
/// operator's gauge. A connection past its handshake gives its slot back
/// (the host's record layer carries it), so this is usually far below the
/// number of open connections.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sandboxes {
    /// Slots taken now.
    pub in_use: u32,
    /// The pool's size: `Limits::max_connections`.
    pub capacity: u32,
}

/// The sandbox pool's use now.
pub fn sandboxes() -> Sandboxes {
    let capacity = match RUNTIME.get() {
        Some(Ok(rt)) => rt.limits.max_connections,
        _ => LIMITS
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .map_or(Limits::default().max_connections, |l| l.max_connections),
    };
    Sandboxes {
        in_use: IN_USE.load(Ordering::Relaxed),
        capacity,
    }
}

/// One pool slot held, counted in [`sandboxes`] until dropped.
pub(crate) struct Slot(());

impl Slot {
    pub(crate) fn take() -> Slot {
        IN_USE.fetch_add(1, Ordering::Relaxed);
        Slot(())
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        IN_USE.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The process-wide engine, compiled component and linker.
pub(crate) struct Runtime {
    pub(crate) engine: Engine,
    pub(crate) pre: InstancePre<HostState>,
    pub(crate) exports: exports::Indices,
    pub(crate) limits: Limits,
}

/// The runtime, built on first use: compiling the component takes about a
/// second (or a few milliseconds from the on-disk cache).
pub(crate) fn get() -> Result<Arc<Runtime>, String> {
    RUNTIME
        .get_or_init(|| Runtime::new().map(Arc::new).map_err(|e| format!("{e:#}")))
        .clone()
}

impl Runtime {
    fn new() -> wasmtime::Result<Runtime> {
        let limits = LIMITS
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .unwrap_or_default();
        let mut pool = PoolingAllocationConfig::default();
        let n = limits.max_connections.max(1);
        // The component instantiates three core modules (the program and
        // wit-component's shim and fixup); room for more in every slot.
        pool.total_component_instances(n)
            .max_core_instances_per_component(8)
            .total_core_instances(n.saturating_mul(8))
            .max_memories_per_component(2)
            .total_memories(n.saturating_mul(2))
            .max_tables_per_component(4)
            .total_tables(n.saturating_mul(4))
            .total_stacks(n)
            .max_memory_size(limits.max_memory);
        // With PAGEMAP_SCAN (Linux 6.7+) the reset touches only the pages a
        // connection wrote, not the whole kept region.
        pool.linear_memory_keep_resident(limits.keep_resident)
            .table_keep_resident(limits.keep_resident / 16)
            .pagemap_scan(wasmtime::Enabled::Auto);
        let mut config = Config::new();
        config
            .epoch_interruption(true)
            .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        // `perf record` can name guest functions (see BENCHMARKS.md).
        if std::env::var_os("WASSL_PERFMAP").is_some() {
            config.profiler(wasmtime::ProfilingStrategy::PerfMap);
        }
        let engine = Engine::new(&config)?;
        let component = cache::load_or_compile(&engine, GUEST_WASM)?;
        let mut linker: Linker<HostState> = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        bindings::Engine::add_to_linker::<HostState, HasSelf<HostState>>(&mut linker, |s| s)?;
        let pre = linker.instantiate_pre(&component)?;
        let exports = exports::Indices::new(&component)?;
        start_epoch_ticker(engine.weak());
        Ok(Runtime {
            engine,
            pre,
            exports,
            limits,
        })
    }

    /// Epoch ticks in one call deadline.
    pub(crate) fn deadline_ticks(&self) -> u64 {
        (self.limits.call_deadline.as_millis() / EPOCH_TICK.as_millis()).max(1) as u64
    }
}

/// Epoch ticks between two sweeps of the spare buffers (about a second).
const SWEEP_TICKS: u32 = 100;

/// One thread for the process advances the epoch, and sweeps the spare
/// buffers now and then; it ends with the engine.
fn start_epoch_ticker(engine: wasmtime::EngineWeak) {
    std::thread::Builder::new()
        .name("wassl-epoch".into())
        .spawn(move || {
            for tick in (0..SWEEP_TICKS).cycle() {
                std::thread::sleep(EPOCH_TICK);
                match engine.upgrade() {
                    Some(e) => e.increment_epoch(),
                    None => return,
                }
                if tick == 0 {
                    crate::buffers::sweep();
                }
            }
        })
        .expect("spawn the epoch thread");
}

/// Compile (or load) the component now, so the first connection does not
/// pay for it. `ssl:start/0`.
pub(crate) fn warm() -> Result<(), String> {
    get().map(|_| ())
}

/// The component the host embeds, for tools that want it (jco, inspection).
pub fn guest_component() -> &'static [u8] {
    GUEST_WASM
}

/// The native crypto library the host runs for every sandbox: `"ring"`, or
/// `"aws-lc-rs"` when the crate is built with the feature `aws-lc-rs`.
pub fn crypto_library() -> &'static str {
    crate::provider::NAME
}

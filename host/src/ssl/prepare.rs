//! A connection's sandbox, made and configured from its options before the
//! TCP stream is used: the single place where options meet the engine.

use std::time::Duration;

use tokio::time::Instant;

use super::client_sessions::{self, SessionData};
use super::options::{self, SslOption};
use super::Reason;
use crate::bindings::wassl::tls::types::Role;
use crate::imports::VerifyPolicy;
use crate::runtime::{self, Instance};

/// A configured sandbox, the client's resumption state and the socket
/// options found on the way ([`new_instance_for`]): options are split
/// (and their files read) once per connection.
pub(crate) struct Prepared {
    pub(crate) inst: Instance,
    pub(crate) resume: Option<ClientResume>,
    pub(crate) socket: options::SocketOpts,
}

/// Build and configure a sandbox for `role` with `opts`: the single place
/// where options meet the engine (so `listen` validates the same way).
pub(crate) async fn new_instance(role: Role, opts: &[SslOption]) -> Result<Instance, Reason> {
    new_instance_for(role, opts, None).await.map(|p| p.inst)
}

/// A client's resumption state for one connection.
pub(crate) struct ClientResume {
    pub(crate) key: client_sessions::PeerKey,
    pub(crate) opts: options::Resumption,
    /// The TLS 1.2 session offered from the cache (forgotten if refused).
    pub(crate) offered_tls12: Option<Vec<u8>>,
    /// The TLS 1.2 session of this connection: `session_id`, `session_data`.
    pub(crate) tls12: Option<(Vec<u8>, SessionData)>,
}

/// How long a server's handshake waits for a sandbox slot when every one
/// is taken (a burst, a flood) before it refuses.
pub(crate) const POOL_WAIT: Duration = Duration::from_secs(5);

/// [`new_instance_for`] for a server: with the pool full it waits (up to
/// [`POOL_WAIT`], polling as slots are freed) instead of refusing at once,
/// so a burst of handshakes queues rather than being reset. Clients are
/// refused at once: their caller decides.
pub(crate) async fn new_server_instance(opts: &[SslOption]) -> Result<Prepared, Reason> {
    let started = Instant::now();
    let mut pause = Duration::from_millis(2);
    loop {
        match new_instance_for(Role::Server, opts, None).await {
            Err(Reason::SystemLimit) if started.elapsed() < POOL_WAIT => {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_millis(50));
            }
            r => return r,
        }
    }
}

/// [`new_instance`] for a client connecting to `peer` (host, port): it
/// offers the sessions kept for that peer.
pub(crate) async fn new_instance_for(
    role: Role,
    opts: &[SslOption],
    peer: Option<(&str, u16)>,
) -> Result<Prepared, Reason> {
    let mut split = options::split(role, opts)?;
    let mut resume = None;
    if role == Role::Client {
        let key = peer.map(|(host, port)| client_sessions::PeerKey::new(host, port, &split.tls));
        let mut offered_tls12 = None;
        let option = split.resumption.engine_option(|ticket| match &key {
            Some(k) if ticket => client_sessions::take_ticket(k).into_iter().collect(),
            Some(k) => {
                offered_tls12 = client_sessions::tls12(k);
                offered_tls12.iter().cloned().collect()
            }
            None => Vec::new(),
        });
        split.tls.push(option);
        resume = key.map(|key| ClientResume {
            key,
            opts: split.resumption.clone(),
            offered_tls12,
            tls12: None,
        });
    }
    if let Some(source) = &split.ticket_keys {
        // The keys in force now: a rotation reaches the next connection.
        split.tls.push(
            crate::bindings::exports::wassl::tls::options::TlsOption::TicketKeys(
                source.current().await?,
            ),
        );
    }
    let rt = runtime::get().map_err(Reason::EngineTrap)?;
    let keylog = crate::imports::KeylogSink::new(split.keep_secrets);
    let mut inst = Instance::new(&rt, VerifyPolicy(split.policy), keylog).await?;
    if let Some(limit) = split.socket.engine_memory_limit {
        inst.set_memory_limit(limit);
    }
    inst.set_offload(split.socket.record_offload);
    inst.set_host_crypto(split.socket.host_crypto);
    inst.set_sessions(split.sessions);
    inst.configure(role, split.tls).await?;
    Ok(Prepared {
        inst,
        resume,
        socket: split.socket,
    })
}

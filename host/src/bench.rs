//! Measuring wassl: two engine sandboxes driven against each other in memory
//! (no sockets), and the cost of a sandbox. Used by the `bench` example; not
//! needed to use wassl.

use std::time::{Duration, Instant};

use crate::bindings::wassl::tls::types::Role;
use crate::runtime::{self, Instance};
use crate::ssl::{Reason, SslOption};

/// A client and a server engine, each in its own sandbox, wired in memory.
pub struct EnginePair {
    client: Instance,
    server: Instance,
}

async fn sandbox(role: Role, opts: &[SslOption]) -> Result<Instance, Reason> {
    crate::ssl::new_instance_for_bench(role, opts).await
}

impl EnginePair {
    /// Two configured sandboxes; `server_name` is what the client checks.
    pub async fn new(
        client: &[SslOption],
        server: &[SslOption],
        server_name: &str,
    ) -> Result<EnginePair, Reason> {
        let mut c = sandbox(Role::Client, client).await?;
        let mut s = sandbox(Role::Server, server).await?;
        c.client(server_name).await?;
        s.server().await?;
        Ok(EnginePair {
            client: c,
            server: s,
        })
    }

    /// Run the handshake to its end.
    pub async fn handshake(&mut self) -> Result<(), Reason> {
        let mut to_server = self.client.feed(&[]).await.map_err(|f| f.reason)?.output;
        for _ in 0..16 {
            let s = self.server.feed(&to_server).await.map_err(|f| f.reason)?;
            let c = self.client.feed(&s.output).await.map_err(|f| f.reason)?;
            to_server = c.output;
            if c.handshake_done && s.handshake_done && to_server.is_empty() {
                return Ok(());
            }
        }
        Err(Reason::Timeout)
    }

    /// Client to server: `total` bytes in `chunk`-sized sends; returns what
    /// the server decrypted.
    pub async fn transfer(&mut self, total: usize, chunk: usize) -> Result<usize, Reason> {
        let data = vec![0x42u8; chunk];
        let mut got = 0;
        let mut sent = 0;
        while sent < total {
            let records = self.client.send(&data).await.map_err(|f| f.reason)?;
            got += self
                .server
                .feed(&records)
                .await
                .map_err(|f| f.reason)?
                .plaintext
                .len();
            sent += chunk;
        }
        Ok(got)
    }

    /// Whether the host's record layer carries each side's records
    /// (client, server): true after a handshake unless
    /// `{record_offload, false}`.
    pub fn offloaded(&self) -> (bool, bool) {
        (self.client.offloaded(), self.server.offloaded())
    }

    /// Sessions the client was given (tickets, a TLS 1.2 session), as the
    /// bytes `Ticket::from_bytes` / `SessionData::from_bytes` take.
    pub fn client_sessions(&mut self) -> Vec<Vec<u8>> {
        self.client
            .take_client_sessions()
            .into_iter()
            .map(|s| s.value)
            .collect()
    }

    /// Whether both ends report a resumed handshake.
    pub async fn resumed(&mut self) -> Result<bool, Reason> {
        let c = self.client.info().await?.session_resumption;
        let s = self.server.info().await?.session_resumption;
        Ok(c && s)
    }

    /// Linear memory of the two sandboxes, in bytes.
    pub fn memory(&self) -> (usize, usize) {
        (self.client.memory(), self.server.memory())
    }
}

/// Average time to take a fresh sandbox from the pool (instantiation only,
/// no configuration), over `n` instances held at once.
pub async fn instantiate(n: usize) -> Result<Duration, Reason> {
    let rt = runtime::get().map_err(Reason::EngineTrap)?;
    let policy = crate::ssl::options::split(Role::Client, &[])?.policy;
    let mut held = Vec::with_capacity(n);
    let t = Instant::now();
    for _ in 0..n {
        held.push(
            Instance::new(
                &rt,
                crate::imports::VerifyPolicy(policy.clone()),
                Default::default(),
            )
            .await?,
        );
    }
    Ok(t.elapsed() / n as u32)
}

/// What a server sandbox costs before the first peer byte, averaged over `n`
/// made and dropped one after the other: (taken from the pool, configured
/// with `opts` and given its server connection; dropped back to the pool).
pub async fn server_sandbox(opts: &[SslOption], n: usize) -> Result<(Duration, Duration), Reason> {
    let (mut make, mut gone) = (Duration::ZERO, Duration::ZERO);
    for _ in 0..n {
        let t = Instant::now();
        let mut s = sandbox(Role::Server, opts).await?;
        s.server().await?;
        make += t.elapsed();
        let t = Instant::now();
        drop(s);
        gone += t.elapsed();
    }
    let n = n.max(1) as u32;
    Ok((make / n, gone / n))
}

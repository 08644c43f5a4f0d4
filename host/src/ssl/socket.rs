//! The connection task: one per TLS socket. It owns the TCP stream, the
//! connection's sandbox (guest instance), the socket options and the owner;
//! every API call is a request to it, as every `ssl` call is a message to
//! the connection process in OTP.

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::options::{self, Active, OptName, SocketOpts, SslOption};
use super::{packet, ConnectionInformation, Data, How, Reason, SslSocket};
use crate::bindings::exports::wassl::tls::handshake::Progress;
use crate::bindings::wassl::tls::types::Role;
use crate::imports::VerifyPolicy;
use crate::owner::{Message, Pid};
use crate::runtime::{self, Instance};

pub(crate) type Reply<T> = oneshot::Sender<Result<T, Reason>>;

/// Largest plaintext handed to the engine in one call (four full records).
const SEND_CHUNK: usize = 64 * 1024;

/// A call on a connection socket.
pub(crate) enum Request {
    Handshake { extra: Vec<SslOption>, deadline: Option<Instant>, reply: Reply<()> },
    Send { data: Vec<u8>, reply: Reply<()> },
    Recv { len: usize, deadline: Option<Instant>, reply: Reply<Data> },
    Setopts { opts: Vec<SslOption>, reply: Reply<()> },
    Getopts { names: Vec<OptName>, reply: Reply<Vec<SslOption>> },
    ControllingProcess { caller: Pid, new: Pid, reply: Reply<()> },
    Close { reply: Reply<()> },
    Shutdown { how: How, reply: Reply<()> },
    Peername { reply: Reply<SocketAddr> },
    Sockname { reply: Reply<SocketAddr> },
    Peercert { reply: Reply<Vec<u8>> },
    Info { reply: Reply<ConnectionInformation> },
    EngineMemory { reply: Reply<usize> },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// From transport_accept (or before connect's handshake): no TLS yet.
    Accepted,
    /// Handshake done: data flows.
    Connected,
}

struct PendingRecv {
    len: usize,
    deadline: Option<Instant>,
    reply: Reply<Data>,
}

/// What the task needs to know to start a connection.
pub(crate) struct Setup {
    pub(crate) tcp: TcpStream,
    pub(crate) role: Role,
    /// Client: the name the server's certificate is checked against.
    pub(crate) server_name: String,
    /// All options (the listen socket's, for an accepted socket).
    pub(crate) opts: Vec<SslOption>,
    pub(crate) owner: Pid,
}

struct Conn {
    id: u64,
    weak: mpsc::WeakUnboundedSender<Request>,
    tcp: TcpStream,
    inst: Option<Instance>,
    role: Role,
    server_name: String,
    tls_opts: Vec<SslOption>,
    opts: SocketOpts,
    owner: Pid,
    state: State,
    /// Decrypted data not yet delivered.
    buf: Vec<u8>,
    /// close_notify or EOF from the peer, or `shutdown(read)`.
    read_closed: bool,
    write_closed: bool,
    closed_reported: bool,
    /// The fatal error, once there is one.
    error: Option<Reason>,
    pending: Option<PendingRecv>,
}

/// Start the task for `setup`; the socket is returned at once.
pub(crate) fn spawn(setup: Setup) -> Result<SslSocket, Reason> {
    let (tx, rx) = mpsc::unbounded_channel();
    // Socket options are checked here so errors reach the caller directly.
    let split = options::split(setup.role, &setup.opts)?;
    let id = super::next_id();
    let conn = Conn {
        id,
        weak: tx.downgrade(),
        tcp: setup.tcp,
        inst: None,
        role: setup.role,
        server_name: setup.server_name,
        tls_opts: setup.opts,
        opts: split.socket,
        owner: setup.owner,
        state: State::Accepted,
        buf: Vec::new(),
        read_closed: false,
        write_closed: false,
        closed_reported: false,
        error: None,
        pending: None,
    };
    let _ = conn.tcp.set_nodelay(conn.opts.nodelay);
    tokio::spawn(conn.run(rx));
    Ok(SslSocket::conn(id, tx))
}

/// Build and configure a sandbox for `role` with `opts`: the single place
/// where options meet the engine (so `listen` validates the same way).
pub(crate) async fn new_instance(role: Role, opts: &[SslOption]) -> Result<Instance, Reason> {
    let split = options::split(role, opts)?;
    let rt = runtime::get().map_err(Reason::EngineTrap)?;
    let mut inst = Instance::new(&rt, VerifyPolicy { mode: split.verify }).await?;
    if let Some(limit) = split.socket.engine_memory_limit {
        inst.set_memory_limit(limit);
    }
    inst.configure(role, split.tls).await?;
    Ok(inst)
}

impl Conn {
    fn handle(&self) -> Option<SslSocket> {
        self.weak.upgrade().map(|tx| SslSocket::conn(self.id, tx))
    }

    fn tell_owner(&self, msg: impl FnOnce(SslSocket) -> Message) {
        if let Some(s) = self.handle() {
            self.owner.deliver(msg(s));
        }
    }

    async fn run(mut self, mut rx: mpsc::UnboundedReceiver<Request>) {
        let mut rbuf = vec![0u8; 17 * 1024];
        loop {
            let want_read = self.state == State::Connected
                && !self.read_closed
                && self.error.is_none()
                && (self.opts.active != Active::False || self.pending.is_some());
            let owner_gone = self.owner.exited();
            let deadline = self.pending.as_ref().and_then(|p| p.deadline);
            tokio::select! {
                req = rx.recv() => match req {
                    Some(req) => if !self.request(req).await { break },
                    // Every handle is gone: nobody can use the socket again.
                    None => { self.close_quietly().await; break }
                },
                _ = owner_gone => { self.close_quietly().await; break }
                r = self.tcp.read(&mut rbuf), if want_read => self.on_read(r, &rbuf).await,
                _ = sleep_until(deadline), if deadline.is_some() => {
                    if let Some(p) = self.pending.take() {
                        let _ = p.reply.send(Err(Reason::Timeout));
                    }
                }
            }
        }
    }

    /// Handle one call; false ends the task.
    async fn request(&mut self, req: Request) -> bool {
        match req {
            Request::Handshake { extra, deadline, reply } => {
                let r = self.handshake(extra, deadline).await;
                let ok = r.is_ok();
                let _ = reply.send(r);
                return ok;
            }
            Request::ControllingProcess { caller, new, reply } => {
                let r = if caller != self.owner {
                    Err(Reason::NotOwner)
                } else {
                    self.owner = new;
                    Ok(())
                };
                let _ = reply.send(r);
            }
            Request::Close { reply } => {
                self.close_quietly().await;
                let _ = reply.send(Ok(()));
                return false;
            }
            Request::Peername { reply } => {
                let _ = reply.send(self.tcp.peer_addr().map_err(|e| Reason::from_io(&e)));
            }
            Request::Sockname { reply } => {
                let _ = reply.send(self.tcp.local_addr().map_err(|e| Reason::from_io(&e)));
            }
            Request::Getopts { names, reply } => {
                let _ = reply.send(Ok(self.opts.get(&names)));
            }
            Request::Setopts { opts, reply } => {
                let r = self.setopts(&opts);
                let _ = reply.send(r);
                self.deliver();
            }
            // Until the handshake, an accepted socket allows only the calls above.
            Request::Send { reply, .. } if self.state == State::Accepted => {
                let _ = reply.send(Err(Reason::Einval));
            }
            Request::Recv { reply, .. } if self.state == State::Accepted => {
                let _ = reply.send(Err(Reason::Einval));
            }
            Request::Send { data, reply } => {
                let _ = reply.send(self.send(&data).await);
            }
            Request::Recv { len, deadline, reply } => {
                if self.opts.active != Active::False || self.pending.is_some() {
                    // Erlang: recv on an active socket is einval.
                    let _ = reply.send(Err(Reason::Einval));
                } else {
                    self.pending = Some(PendingRecv { len, deadline, reply });
                    self.deliver();
                }
            }
            Request::Shutdown { how, reply } => {
                let _ = reply.send(self.shutdown(how).await);
            }
            Request::Peercert { reply } => {
                let r = match self.inst.as_mut() {
                    Some(inst) if self.state == State::Connected => inst
                        .peer_certificates()
                        .await
                        .and_then(|c| c.into_iter().next().ok_or(Reason::NoPeercert)),
                    _ => Err(Reason::Einval),
                };
                let _ = reply.send(r);
            }
            Request::EngineMemory { reply } => {
                let _ = reply.send(self.inst.as_ref().map(Instance::memory).ok_or(Reason::Einval));
            }
            Request::Info { reply } => {
                let r = match self.inst.as_mut() {
                    Some(inst) if self.state == State::Connected => {
                        inst.info().await.map(ConnectionInformation::from_wit)
                    }
                    _ => Err(Reason::Einval),
                };
                let _ = reply.send(r);
            }
        }
        true
    }

    fn setopts(&mut self, opts: &[SslOption]) -> Result<(), Reason> {
        let before = self.opts.active;
        let mut next = self.opts.clone();
        next.apply(opts)?;
        // {active, N} adds to a running count, as in Erlang.
        if let (Active::N(old), Active::N(add)) = (before, next.active) {
            if opts.iter().any(|o| matches!(o, SslOption::Active(Active::N(_)))) {
                next.active = Active::N(old.saturating_add(add));
            }
        }
        if let Active::N(n) = next.active {
            if n <= 0 {
                next.active = Active::False;
                self.tell_owner(Message::SslPassive);
            }
        }
        if next.nodelay != self.opts.nodelay {
            let _ = self.tcp.set_nodelay(next.nodelay);
        }
        if let (Some(limit), Some(inst)) = (next.engine_memory_limit, self.inst.as_mut()) {
            inst.set_memory_limit(limit);
        }
        self.opts = next;
        Ok(())
    }

    async fn write(&mut self, bytes: &[u8]) -> Result<(), Reason> {
        if bytes.is_empty() {
            return Ok(());
        }
        self.tcp.write_all(bytes).await.map_err(|e| match Reason::from_io(&e) {
            Reason::Posix(a) if a == "epipe" || a == "econnreset" => Reason::Closed,
            other => other,
        })
    }

    async fn handshake(&mut self, extra: Vec<SslOption>, deadline: Option<Instant>) -> Result<(), Reason> {
        if self.state != State::Accepted {
            return Err(Reason::Einval);
        }
        let r = match deadline {
            Some(d) => match tokio::time::timeout_at(d, self.handshake_steps(extra)).await {
                Ok(r) => r,
                Err(_) => Err(Reason::Timeout),
            },
            None => self.handshake_steps(extra).await,
        };
        if r.is_err() {
            let _ = self.tcp.shutdown().await;
        }
        r
    }

    async fn handshake_steps(&mut self, extra: Vec<SslOption>) -> Result<(), Reason> {
        let mut opts = std::mem::take(&mut self.tls_opts);
        opts.extend(extra.iter().cloned());
        if !extra.is_empty() {
            self.opts = options::split(self.role, &opts)?.socket;
        }
        let mut inst = new_instance(self.role, &opts).await?;
        match self.role {
            Role::Client => inst.client(&self.server_name).await?,
            Role::Server => inst.server().await?,
        }
        self.inst = Some(inst);
        let mut progress = self.feed(&[]).await?;
        let mut rbuf = vec![0u8; 17 * 1024];
        while !progress.handshake_done {
            let n = self.tcp.read(&mut rbuf).await.map_err(|e| Reason::from_io(&e))?;
            if n == 0 {
                // The peer vanished mid-handshake.
                return Err(Reason::Closed);
            }
            progress = self.feed(&rbuf[..n]).await?;
        }
        self.state = State::Connected;
        Ok(())
    }

    /// Feed bytes to the engine, write what it answers, keep its plaintext.
    async fn feed(&mut self, data: &[u8]) -> Result<Progress, Reason> {
        let inst = self.inst.as_mut().ok_or(Reason::Einval)?;
        match inst.feed(data).await {
            Ok(mut p) => {
                let out = std::mem::take(&mut p.output);
                self.write(&out).await?;
                self.buf.append(&mut p.plaintext);
                if p.peer_closed {
                    self.read_closed = true;
                }
                Ok(p)
            }
            Err(f) => {
                // Send the alert before giving up, so the peer learns why.
                let _ = self.write(&f.output).await;
                let _ = self.tcp.shutdown().await;
                Err(f.reason)
            }
        }
    }

    async fn on_read(&mut self, r: std::io::Result<usize>, rbuf: &[u8]) {
        match r {
            Ok(0) => self.read_closed = true,
            Ok(n) => {
                if let Err(reason) = self.feed(&rbuf[..n]).await {
                    self.fail(reason);
                }
            }
            Err(e) => self.fail(Reason::from_io(&e)),
        }
        if self.read_closed && self.error.is_none() && !self.write_closed {
            // Answer close_notify (exit_on_close): the connection is over.
            if let Some(inst) = self.inst.as_mut() {
                let out = inst.close_notify().await;
                let _ = self.write(&out).await;
            }
            let _ = self.tcp.shutdown().await;
            self.write_closed = true;
        }
        self.deliver();
    }

    /// A fatal error: the owner hears of it as Erlang's owner would.
    fn fail(&mut self, reason: Reason) {
        self.read_closed = true;
        self.write_closed = true;
        self.error = Some(reason.clone());
        if let Some(p) = self.pending.take() {
            let _ = p.reply.send(Err(reason.clone()));
            if matches!(reason, Reason::EngineTrap(_)) {
                self.tell_owner(|s| Message::SslError(s, reason));
            }
        } else if self.opts.active != Active::False || matches!(reason, Reason::EngineTrap(_)) {
            self.tell_owner(|s| Message::SslError(s, reason));
        }
        self.closed_reported = true;
    }

    fn data(&self, bytes: Vec<u8>) -> Data {
        match self.opts.mode {
            options::Mode::Binary => Data::Binary(bytes),
            options::Mode::List => Data::List(bytes),
        }
    }

    /// Hand buffered data to the owner (active) or the waiting `recv` (passive),
    /// then report the close once the data is gone.
    fn deliver(&mut self) {
        while self.opts.active != Active::False {
            let Some(pkt) = packet::take(&mut self.buf, self.opts.packet) else { break };
            let data = self.data(pkt);
            self.tell_owner(|s| Message::Ssl(s, data));
            match self.opts.active {
                Active::Once => self.opts.active = Active::False,
                Active::N(n) if n <= 1 => {
                    self.opts.active = Active::False;
                    self.tell_owner(Message::SslPassive);
                }
                Active::N(n) => self.opts.active = Active::N(n - 1),
                _ => {}
            }
        }
        if let Some(p) = self.pending.take() {
            let got = if p.len > 0 && self.opts.packet == options::Packet::Raw {
                packet::take_exact(&mut self.buf, p.len)
            } else {
                packet::take(&mut self.buf, self.opts.packet)
            };
            match (got, self.read_closed) {
                (Some(bytes), _) => {
                    let _ = p.reply.send(Ok(self.data(bytes)));
                }
                // Erlang's rule: fewer than Length bytes are lost when the peer
                // closes (checked against OTP 25: a later recv(S, 0) is closed too).
                (None, true) => {
                    self.buf.clear();
                    let _ = p.reply.send(Err(self.error.clone().unwrap_or(Reason::Closed)));
                }
                (None, false) => self.pending = Some(p),
            }
        }
        if self.read_closed && !self.closed_reported && self.opts.active != Active::False {
            self.closed_reported = true;
            self.tell_owner(Message::SslClosed);
        }
    }

    async fn send(&mut self, data: &[u8]) -> Result<(), Reason> {
        if self.write_closed || self.error.is_some() {
            return Err(Reason::Closed);
        }
        let framed = packet::encode(data, self.opts.packet)?;
        // Chunks keep the sandbox's memory bounded whatever the size of a send.
        for chunk in framed.chunks(SEND_CHUNK) {
            let inst = self.inst.as_mut().ok_or(Reason::Einval)?;
            match inst.send(chunk).await {
                Ok(out) => {
                    if let Err(e) = self.write(&out).await {
                        self.fail(e.clone());
                        return Err(e);
                    }
                }
                Err(f) => {
                    let _ = self.write(&f.output).await;
                    let _ = self.tcp.shutdown().await;
                    self.fail(f.reason.clone());
                    return Err(f.reason);
                }
            }
        }
        Ok(())
    }

    async fn shutdown(&mut self, how: How) -> Result<(), Reason> {
        if self.state != State::Connected {
            return Err(Reason::Einval);
        }
        if matches!(how, How::Write | How::ReadWrite) && !self.write_closed {
            if let Some(inst) = self.inst.as_mut() {
                let out = inst.close_notify().await;
                self.write(&out).await?;
            }
            let _ = self.tcp.shutdown().await;
            self.write_closed = true;
        }
        if matches!(how, How::Read | How::ReadWrite) {
            self.read_closed = true;
            self.closed_reported = true;
            self.buf.clear();
        }
        Ok(())
    }

    /// close/1: close_notify, then the TCP socket goes.
    async fn close_quietly(&mut self) {
        if self.state == State::Connected && !self.write_closed {
            if let Some(inst) = self.inst.as_mut() {
                let out = inst.close_notify().await;
                let _ = self.write(&out).await;
            }
        }
        let _ = self.tcp.shutdown().await;
        self.write_closed = true;
        self.read_closed = true;
        if let Some(p) = self.pending.take() {
            let _ = p.reply.send(Err(Reason::Closed));
        }
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

//! The connection task: one per TLS socket. It owns the TCP stream, the
//! connection's sandbox (guest instance), the socket options and the owner;
//! every API call is a request to it, as every `ssl` call is a message to
//! the connection process in OTP.

use bytes::BufMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::client_sessions::{self, EarlyDataStatus, SessionData, Ticket};
use super::kernel_options;
use super::machine::{self, Incoming, Machine, Phase, Tell};
use super::options::{self, LogLevel, OptName, SessionTickets, SslOption};
use super::prepare::{new_instance_for, new_server_instance, ClientResume, Prepared};
use super::request::{Reply, Request};
use super::{ConnectionInformation, HelloExt, How, Reason, SslSocket, Timeout};
use crate::bindings::exports::wassl::tls::handshake::{ClientHello, Progress};
use crate::bindings::wassl::tls::types::{ProtocolVersion, Role};
use crate::imports::VerifyPolicy;
use crate::process::{Message, Pid};
use crate::record_layer::PLAINTEXT_INTERNAL_ERROR;
use crate::runtime::{EngineFailure, Instance};

/// The longest `close` waits for queued records to go out.
const CLOSE_LINGER: std::time::Duration = std::time::Duration::from_secs(5);

/// Largest plaintext handed to the engine in one call (four full records).
const SEND_CHUNK: usize = 64 * 1024;

/// What the task does after a request.
enum Next {
    Continue,
    Stop,
    /// Give the TCP stream to the caller (close/2 with a new controller).
    Downgrade(Reply<(TcpStream, Vec<u8>)>, Vec<u8>),
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
    /// A client's sandbox, configured before the TCP connection was made.
    pub(crate) prepared: Option<Prepared>,
    /// Socket options already split and checked: a listener's, for the
    /// sockets it accepts (its TLS options were checked at `listen`, and are
    /// split again when the handshake makes the sandbox).
    pub(crate) socket: Option<options::SocketOpts>,
    /// The peer's address when the caller already has it (`accept` gives
    /// it), so that naming it in the socket's events costs no system call.
    pub(crate) peer: Option<std::net::SocketAddr>,
}

/// The owner process, reached with this socket's own handle.
struct OwnerLink {
    pid: Pid,
    id: u64,
    weak: mpsc::WeakUnboundedSender<Request>,
}

impl OwnerLink {
    /// A handle while any exists (none once the socket is being dropped).
    fn handle(&self) -> Option<SslSocket> {
        self.weak.upgrade().map(|tx| SslSocket::conn(self.id, tx))
    }

    fn deliver(&self, msg: impl FnOnce(SslSocket) -> Message) {
        if let Some(s) = self.handle() {
            self.pid.deliver(msg(s));
        }
    }
}

impl machine::Owner for OwnerLink {
    fn tell(&mut self, t: Tell) {
        self.deliver(|s| match t {
            Tell::Data(d) => Message::Ssl(s, d),
            Tell::Closed => Message::SslClosed(s),
            Tell::Error(r) => Message::SslError(s, r),
            Tell::Passive => Message::SslPassive(s),
        });
    }
}

struct Conn {
    tcp: TcpStream,
    inst: Option<Box<Instance>>,
    role: Role,
    server_name: String,
    tls_opts: Vec<SslOption>,
    /// The socket's semantics: phase, options, buffers, the owner.
    machine: Machine<OwnerLink>,
    /// Client resumption: where sessions go, what was offered.
    resume: Option<ClientResume>,
    /// Taken by the first handshake. Boxed: every socket's task holds a
    /// `Conn`, and an inline `Instance` here made each idle one larger.
    prepared: Option<Box<Prepared>>,
    /// `pid/1`'s pid, made when first asked; it ends with the task.
    pid: Option<(Pid, crate::process::ExitGuard)>,
    /// A server's ClientHello server name, once the engine paused at the
    /// hello: `sni_fun` answers for it before the handshake goes on.
    hello_name: Option<String>,
}

/// Start the task for `setup`; the socket is returned at once.
pub(crate) fn spawn(setup: Setup) -> Result<SslSocket, Reason> {
    let (tx, rx) = mpsc::unbounded_channel();
    // Socket options are checked here so errors reach the caller directly
    // (a prepared sandbox's were checked when it was configured).
    let socket_opts = match (&setup.prepared, setup.socket) {
        (Some(p), _) => p.socket.clone(),
        (None, Some(checked)) => checked,
        (None, None) => options::split(setup.role, &setup.opts)?.socket,
    };
    let id = super::next_id();
    let owner = OwnerLink {
        pid: setup.owner,
        id,
        weak: tx.downgrade(),
    };
    let conn = Conn {
        tcp: setup.tcp,
        inst: None,
        role: setup.role,
        server_name: setup.server_name,
        tls_opts: setup.opts,
        machine: Machine::new(socket_opts, owner),
        resume: None,
        prepared: setup.prepared.map(Box::new),
        pid: None,
        hello_name: None,
    };
    kernel_options::set(&conn.tcp, &conn.tls_opts);
    // Every event of this socket carries its id, role and peer.
    let peer = setup
        .peer
        .map_or_else(|| conn.tcp.peer_addr(), Ok)
        .map_or_else(|_| "-".to_string(), |a| a.to_string());
    let role = match conn.role {
        Role::Client => "client",
        Role::Server => "server",
    };
    let span = tracing::info_span!("ssl", id, role, peer = %peer);
    let task = tracing::Instrument::instrument(conn.run(rx), span);
    #[cfg(test)]
    TASK_SIZE.with(|t| t.set(std::mem::size_of_val(&task)));
    tokio::spawn(task);
    Ok(SslSocket::conn(id, tx))
}

// The size of the last socket task spawned on this thread (see the test).
#[cfg(test)]
thread_local!(static TASK_SIZE: std::cell::Cell<usize> = const { std::cell::Cell::new(0) });

/// Every socket's task is a future held for the connection's life: at
/// 10,000 idle connections each KiB is 10 MiB. It was 25 KiB before the
/// sandbox calls and cold paths were boxed (3 KiB after); this keeps an
/// inline `Instance` or a large buffer from coming back unnoticed.
#[cfg(test)]
#[tokio::test(flavor = "current_thread")]
async fn a_socket_task_stays_small() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let tcp = TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let socket = crate::process::run(async move {
        spawn(Setup {
            tcp,
            role: Role::Server,
            server_name: String::new(),
            opts: Vec::new(),
            owner: crate::process::self_pid(),
            prepared: None,
            socket: None,
            peer: None,
        })
    })
    .await
    .unwrap();
    let size = TASK_SIZE.with(|t| t.get());
    assert!(
        (1..=4096).contains(&size),
        "a socket's task is {size} bytes"
    );
    drop(socket);
}

/// `fut` under a handshake deadline (`None`: no limit).
async fn timed<T>(
    deadline: Option<Instant>,
    fut: impl std::future::Future<Output = Result<T, Reason>>,
) -> Result<T, Reason> {
    match deadline {
        Some(d) => tokio::time::timeout_at(d, fut)
            .await
            .unwrap_or(Err(Reason::Timeout)),
        None => fut.await,
    }
}

/// The engine's ClientHello record as the API shows it.
fn hello_ext(h: ClientHello) -> HelloExt {
    HelloExt {
        sni: h.sni,
        alpn: h.alpn,
        versions: h
            .versions
            .into_iter()
            .map(|v| match v {
                ProtocolVersion::Tlsv12 => options::Version::Tlsv1_2,
                ProtocolVersion::Tlsv13 => options::Version::Tlsv1_3,
            })
            .collect(),
        cipher_suites: h.cipher_suites,
        signature_algs: h.signature_algs,
        groups: h.groups,
    }
}

/// A failed write as the caller sees it: a peer that went away is `closed`.
fn write_error(e: &std::io::Error) -> Reason {
    match Reason::from_io(e) {
        Reason::Posix(a) if a == "epipe" || a == "econnreset" => Reason::Closed,
        other => other,
    }
}

/// The first read of a burst (and every read of a handshake): a record
/// and its header, or `buffer` if less.
const FIRST_READ: usize = 16 * 1024 + 1024;

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

impl Conn {
    /// The first read of a burst, and every read of a handshake or a
    /// close: flights are small.
    fn first_read(&self) -> usize {
        self.machine.opts().buffer.min(FIRST_READ)
    }

    fn handle(&self) -> Option<SslSocket> {
        self.machine.owner.handle()
    }

    fn tell_owner(&self, msg: impl FnOnce(SslSocket) -> Message) {
        self.machine.owner.deliver(msg);
    }

    async fn run(mut self, mut rx: mpsc::UnboundedReceiver<Request>) {
        // The read buffer exists while bytes flow: a read that leaves the
        // socket drained gives it back, so an idle connection holds none.
        let mut rbuf: Vec<u8> = Vec::new();
        // A read that filled what it asked for left more in the kernel: the
        // next asks for all of `buffer`, so a stream moves in fewer reads,
        // deliveries and sends. A burst starts small (a handshake flight).
        let mut streaming = false;
        let mut active_at = Instant::now();
        let mut hibernated = false;
        // The owner's exit, watched by one future until the owner changes
        // (`controlling_process`): subscribing anew on every turn of the
        // loop was 3% of an HTTP proxy's CPU.
        let mut watched = self.machine.owner.pid.clone();
        let mut owner_gone = Box::pin(watched.exited());
        loop {
            if watched != self.machine.owner.pid {
                watched = self.machine.owner.pid.clone();
                owner_gone = Box::pin(watched.exited());
            }
            let want_read = self.machine.wants_read();
            let buffer = self.machine.opts().buffer;
            let hibernate_at = match self.machine.opts().hibernate_after {
                Some(d) if !hibernated => Some(active_at + d),
                _ => None,
            };
            let deadline = self.machine.recv_deadline();
            // Queued records go out as the socket takes them; reading goes on.
            let want_write = self.machine.wants_write();
            let send_deadline = self.machine.out.next_deadline();
            tokio::select! {
                req = rx.recv() => {
                    let Some(req) = req else {
                        // Every handle is gone: nobody can use the socket again.
                        self.close_quietly().await;
                        break;
                    };
                    (active_at, hibernated) = (Instant::now(), false);
                    match self.request(req).await {
                        Next::Continue => {}
                        Next::Stop => break,
                        Next::Downgrade(reply, rest) => {
                            let _ = reply.send(Ok((self.tcp, rest)));
                            return;
                        }
                    }
                }
                _ = &mut owner_gone => { self.close_quietly().await; break }
                r = self.tcp.readable(), if want_read => {
                    (active_at, hibernated) = (Instant::now(), false);
                    let want = if streaming { buffer } else { self.first_read() };
                    // Once the host protects the records, straight into the
                    // record layer's input (no copy); before, into `rbuf`.
                    let input = self.inst.as_deref_mut().and_then(|i| i.input(want));
                    let in_engine = input.is_some();
                    let into = input.unwrap_or_else(|| {
                        rbuf.clear();
                        rbuf.reserve(want);
                        &mut rbuf
                    });
                    // Into spare capacity (nothing to zero first), no more
                    // than `want`: a delivery stays within `buffer`.
                    let r = r.and_then(|()| self.tcp.try_read_buf(&mut (&mut *into).limit(want)));
                    streaming = matches!(r, Ok(n) if n >= want);
                    match r {
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                        Ok(n) if in_engine => self.on_read(Ok(n), &[]).await,
                        Ok(n) => self.on_read(Ok(n), &rbuf[..n]).await,
                        Err(e) => self.on_read(Err(e), &[]).await,
                    }
                    if !streaming {
                        // Drained: an idle connection holds no read room.
                        rbuf = Vec::new();
                        if let Some(inst) = self.inst.as_mut() {
                            inst.hibernate();
                        }
                    }
                }
                r = self.tcp.writable(), if want_write => {
                    active_at = Instant::now();
                    if let Err(e) = r.and_then(|()| self.try_write()) {
                        self.write_failed(write_error(&e)).await;
                    }
                }
                _ = sleep_until(send_deadline), if send_deadline.is_some() => {
                    self.send_timed_out().await;
                }
                _ = sleep_until(hibernate_at), if hibernate_at.is_some() => {
                    hibernated = true;
                    self.hibernate();
                }
                _ = sleep_until(deadline), if deadline.is_some() => {
                    self.machine.recv_timed_out();
                }
            }
        }
        if self.logs(LogLevel::Debug) {
            match self.machine.error() {
                Some(r) => tracing::debug!(reason = %r, "socket closed"),
                None => tracing::debug!("socket closed"),
            }
        }
    }

    /// `hibernate_after`: give back what idle buffers hold.
    fn hibernate(&mut self) {
        self.machine.hibernate();
        if let Some(inst) = self.inst.as_mut() {
            inst.hibernate();
        }
        if self.logs(LogLevel::Debug) {
            tracing::debug!("hibernating");
        }
    }

    /// True when this socket's `log_level` lets events of `level` through.
    fn logs(&self, level: LogLevel) -> bool {
        self.machine.opts().log_level >= level
    }

    /// An alert sent or received: WARN with `log_alert` (the default), DEBUG
    /// without.
    fn log_alert(&self, reason: &Reason) {
        let Reason::TlsAlert { description, text } = reason else {
            return;
        };
        let text = text.trim();
        if self.machine.opts().log_alert && self.logs(LogLevel::Warning) {
            tracing::warn!(alert = %description, text, "TLS alert");
        } else if self.logs(LogLevel::Debug) {
            tracing::debug!(alert = %description, text, "TLS alert");
        }
    }

    /// What was negotiated, once the handshake is done.
    async fn log_established(&mut self) {
        if !self.logs(LogLevel::Info) || !tracing::enabled!(tracing::Level::INFO) {
            return;
        }
        let Some(inst) = self.inst.as_mut() else {
            return;
        };
        let records = if inst.offloaded() { "host" } else { "engine" };
        if let Ok(i) = inst.info().await {
            let alpn = i
                .negotiated_protocol
                .map(|p| String::from_utf8_lossy(&p).into_owned());
            let version = match i.protocol {
                ProtocolVersion::Tlsv12 => "tlsv1.2",
                ProtocolVersion::Tlsv13 => "tlsv1.3",
            };
            tracing::info!(
                version,
                suite = %i.selected_cipher_suite.iana_name,
                group = i.ecc.as_deref().unwrap_or("-"),
                sni = i.sni_hostname.as_deref().unwrap_or("-"),
                alpn = alpn.as_deref().unwrap_or("-"),
                resumed = i.session_resumption,
                records,
                "handshake done"
            );
        }
    }

    /// Handle one call.
    async fn request(&mut self, req: Request) -> Next {
        if matches!(self.machine.phase(), Phase::Closed(_)) {
            return Box::pin(self.request_when_over(req)).await;
        }
        match req {
            Request::Handshake {
                extra,
                deadline,
                mut reply,
            } => {
                if *self.machine.phase() != Phase::Accepted {
                    let _ = reply.send(Err(Reason::Einval));
                    return Next::Continue;
                }
                // A handshake waits on the peer, perhaps for ever: it ends
                // with the owner (as an Erlang connection dies with its
                // linked owner) or when the caller stops waiting (a dropped
                // future): nobody could use the socket then.
                let owner_gone = self.machine.owner.pid.exited();
                let r = tokio::select! {
                    r = timed(deadline, Box::pin(self.handshake_start(extra))) => r,
                    () = owner_gone => Err(Reason::Closed),
                    () = reply.closed() => Err(Reason::Closed),
                };
                match &r {
                    Err(e) => self.handshake_failed(e).await,
                    Ok(Some(h)) if self.logs(LogLevel::Info) => {
                        tracing::info!(
                            sni = h.sni.as_deref().unwrap_or("-"),
                            "paused at the ClientHello"
                        );
                    }
                    Ok(_) => {}
                }
                let (ok, paused) = (r.is_ok(), matches!(r, Ok(Some(_))));
                let _ = reply.send(r);
                if !ok {
                    return Next::Stop;
                }
                if !paused {
                    // Application data may have come with the peer's last flight.
                    self.machine.deliver();
                }
            }
            Request::HandshakeContinue {
                extra,
                deadline,
                mut reply,
            } => {
                if *self.machine.phase() != Phase::Paused {
                    let _ = reply.send(Err(Reason::Einval));
                    return Next::Continue;
                }
                // As for Handshake: it ends with the owner or the caller.
                let owner_gone = self.machine.owner.pid.exited();
                let r = tokio::select! {
                    r = timed(deadline, Box::pin(self.continue_steps(extra))) => r,
                    () = owner_gone => Err(Reason::Closed),
                    () = reply.closed() => Err(Reason::Closed),
                };
                if let Err(e) = &r {
                    self.handshake_failed(e).await;
                }
                let ok = r.is_ok();
                let _ = reply.send(r);
                if !ok {
                    return Next::Stop;
                }
                self.machine.deliver();
            }
            Request::HandshakeCancel { reply } => {
                if *self.machine.phase() != Phase::Paused {
                    let _ = reply.send(Err(Reason::Einval));
                    return Next::Continue;
                }
                // No keys exist yet: a plaintext fatal user_canceled, as OTP sends.
                let _ = self.write(&[21, 3, 3, 0, 2, 2, 90]).await;
                let _ = self.tcp.shutdown().await;
                let _ = reply.send(Ok(()));
                return Next::Stop;
            }
            Request::ControllingProcess { caller, new, reply } => {
                let r = if caller != self.machine.owner.pid {
                    Err(Reason::NotOwner)
                } else {
                    self.machine.owner.pid = new;
                    Ok(())
                };
                let _ = reply.send(r);
            }
            Request::Close { deadline, reply } => {
                if deadline.is_some() {
                    let _ = Box::pin(self.close_and_wait(deadline)).await;
                } else {
                    self.close_quietly().await;
                }
                let _ = reply.send(Ok(()));
                return Next::Stop;
            }
            Request::Downgrade {
                caller,
                deadline,
                reply,
            } => {
                if caller != self.machine.owner.pid {
                    let _ = reply.send(Err(Reason::NotOwner));
                    return Next::Continue;
                }
                return match Box::pin(self.close_and_wait(deadline)).await {
                    Ok(()) => Next::Downgrade(reply, self.machine.take_after_close()),
                    Err(e) => {
                        let _ = reply.send(Err(e));
                        Next::Stop
                    }
                };
            }
            Request::Peername { reply } => {
                let _ = reply.send(self.tcp.peer_addr().map_err(|e| Reason::from_io(&e)));
            }
            Request::Sockname { reply } => {
                let _ = reply.send(self.tcp.local_addr().map_err(|e| Reason::from_io(&e)));
            }
            Request::Getopts { reply, .. } if *self.machine.phase() == Phase::Accepted => {
                let _ = reply.send(Err(Reason::NotsupOnTransportAcceptSocket));
            }
            Request::Setopts { reply, .. } if *self.machine.phase() == Phase::Accepted => {
                let _ = reply.send(Err(Reason::NotsupOnTransportAcceptSocket));
            }
            Request::Getopts { names, reply } => {
                let _ = reply.send(Ok(self.getopts(&names)));
            }
            Request::Getstat { stats, reply } => {
                let _ = reply.send(Ok(self.machine.getstat(&stats)));
            }
            Request::Setopts { opts, reply } => {
                let r = self.setopts(&opts);
                let _ = reply.send(r);
                self.machine.deliver();
            }
            // Until the handshake, an accepted socket allows only handshake,
            // controlling_process, close and the addresses (as OTP).
            Request::Send { reply, .. } if *self.machine.phase() == Phase::Accepted => {
                let _ = reply.send(Err(Reason::NotsupOnTransportAcceptSocket));
            }
            Request::Recv { reply, .. } if *self.machine.phase() == Phase::Accepted => {
                let _ = reply.send(Err(Reason::NotsupOnTransportAcceptSocket));
            }
            // Answered once its records are written: the caller is held
            // back by TCP as before, and the task keeps reading meanwhile.
            Request::Send { data, reply } => match self.send(data).await {
                Ok(()) => {
                    let deadline = self.machine.opts().send_timeout.deadline();
                    self.machine.out.wait(deadline, reply);
                }
                Err(e) => {
                    let _ = reply.send(Err(e));
                }
            },
            Request::Recv {
                len,
                deadline,
                reply,
            } => self.machine.recv(len, deadline, reply),
            Request::Shutdown { how, reply } => {
                let _ = reply.send(self.shutdown(how).await);
            }
            Request::Peercert { reply } => {
                let r = match self.inst.as_mut() {
                    Some(inst) if self.machine.is_established() => inst
                        .peer_certificates()
                        .await
                        .and_then(|c| c.into_iter().next().ok_or(Reason::NoPeercert)),
                    _ => Err(Reason::Einval),
                };
                let _ = reply.send(r);
            }
            Request::EngineMemory { reply } => {
                let _ = reply.send(self.inst.as_ref().map(|i| i.memory()).ok_or(Reason::Einval));
            }
            Request::Info { reply } => {
                let r = match self.inst.as_mut() {
                    Some(inst) if self.machine.is_established() => inst.info().await.map(|i| {
                        let mut info = ConnectionInformation::from_wit(i);
                        info.keylog = inst.keylog();
                        if self.role == Role::Client {
                            // OTP reports the name a server was asked for, on servers only.
                            info.sni_hostname = None;
                        }
                        if let Some((id, data)) = self.resume.as_ref().and_then(|r| r.tls12.clone())
                        {
                            info.session_id = Some(id);
                            info.session_data = Some(data);
                        }
                        info
                    }),
                    _ => Err(Reason::Einval),
                };
                let _ = reply.send(r);
            }
            Request::UpdateKeys {
                request_peer,
                reply,
            } => {
                let _ = reply.send(self.update_keys(request_peer).await);
            }
            Request::Prf {
                secret,
                label,
                seed,
                length,
                reply,
            } => {
                let r = match self.inst.as_mut() {
                    Some(inst) if self.machine.is_established() => {
                        inst.prf(&secret, &label, &seed, length).await
                    }
                    _ => Err(Reason::Einval),
                };
                let _ = reply.send(r);
            }
            Request::Pid { reply } => {
                let (pid, _) = self.pid.get_or_insert_with(crate::process::task_pid);
                let _ = reply.send(Ok(pid.clone()));
            }
            Request::MasterSecret { reply } => {
                let r = match self.inst.as_mut() {
                    Some(inst) if self.machine.is_established() => inst.master_secret().await,
                    _ => Err(Reason::Einval),
                };
                let _ = reply.send(r);
            }
            Request::Export {
                items,
                consume,
                reply,
            } => {
                let r = match self.inst.as_mut() {
                    Some(inst) if self.machine.is_established() => {
                        inst.export_items(&items, consume).await
                    }
                    _ => Err(Reason::Einval),
                };
                let _ = reply.send(r);
            }
        }
        Next::Continue
    }

    /// A call once the connection is over: only `close` does anything.
    async fn request_when_over(&mut self, req: Request) -> Next {
        fn no<T>(reply: Reply<T>, r: Reason) -> Next {
            let _ = reply.send(Err(r));
            Next::Continue
        }
        use Reason::{Closed, Einval};
        match req {
            Request::Close { reply, .. } => {
                self.close_quietly().await;
                let _ = reply.send(Ok(()));
                Next::Stop
            }
            // The TCP port is gone in OTP: its calls are einval.
            Request::Peername { reply } => no(reply, Einval),
            Request::Sockname { reply } => no(reply, Einval),
            Request::Getstat { reply, .. } => no(reply, Einval),
            Request::Handshake { reply, .. } => no(reply, Closed),
            Request::HandshakeContinue { reply, .. } => no(reply, Closed),
            Request::HandshakeCancel { reply } => no(reply, Closed),
            Request::Send { reply, .. } => no(reply, Closed),
            Request::Recv { reply, .. } => no(reply, Closed),
            Request::Setopts { reply, .. } => no(reply, Closed),
            Request::Getopts { reply, .. } => no(reply, Closed),
            Request::ControllingProcess { reply, .. } => no(reply, Closed),
            Request::Downgrade { reply, .. } => no(reply, Closed),
            Request::Shutdown { reply, .. } => no(reply, Closed),
            Request::Peercert { reply } => no(reply, Closed),
            Request::Info { reply } => no(reply, Closed),
            Request::EngineMemory { reply } => no(reply, Closed),
            Request::UpdateKeys { reply, .. } => no(reply, Closed),
            Request::Export { reply, .. } => no(reply, Closed),
            Request::Prf { reply, .. } => no(reply, Closed),
            Request::MasterSecret { reply } => no(reply, Closed),
            Request::Pid { reply } => no(reply, Closed),
        }
    }

    /// OTP answers in the reverse of the order asked.
    fn getopts(&self, names: &[OptName]) -> Vec<SslOption> {
        names
            .iter()
            .rev()
            .map(|n| match kernel_options::get(&self.tcp, n) {
                // What the kernel really has, as inet:getopts reports it.
                Some(o) => o,
                None => self.machine.opts().get(std::slice::from_ref(n)).remove(0),
            })
            .collect()
    }

    /// `setopts`: the machine checks and keeps them; the kernel and the
    /// engine get their share.
    fn setopts(&mut self, opts: &[SslOption]) -> Result<(), Reason> {
        self.machine.setopts(opts)?;
        kernel_options::set(&self.tcp, opts);
        if let (Some(limit), Some(inst)) =
            (self.machine.opts().engine_memory_limit, self.inst.as_mut())
        {
            inst.set_memory_limit(limit);
        }
        Ok(())
    }

    /// Write what the socket takes now, without waiting.
    fn try_write(&mut self) -> std::io::Result<()> {
        use std::io::ErrorKind::{Interrupted, WouldBlock, WriteZero};
        loop {
            let unsent = self.machine.out.unsent();
            if unsent.is_empty() {
                return Ok(());
            }
            match self.tcp.try_write(unsent) {
                Ok(0) => return Err(WriteZero.into()),
                Ok(n) => self.machine.wrote(n),
                Err(e) if e.kind() == WouldBlock => return Ok(()),
                Err(e) if e.kind() == Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Write everything queued before going on (handshake flights, alerts,
    /// close_notify), within `send_timeout`.
    async fn flush(&mut self) -> Result<(), Reason> {
        self.flush_within(self.machine.opts().send_timeout).await
    }

    /// [`Self::flush`] within `limit`.
    async fn flush_within(&mut self, limit: Timeout) -> Result<(), Reason> {
        let all = async {
            while !self.machine.out.is_empty() {
                self.tcp.writable().await?;
                self.try_write()?;
            }
            Ok::<(), std::io::Error>(())
        };
        match limit {
            Timeout::Infinity => all.await,
            Timeout::After(d) => match tokio::time::timeout(d, all).await {
                Ok(r) => r,
                Err(_) => return Err(Reason::Timeout),
            },
        }
        .map_err(|e| write_error(&e))
    }

    /// Queue bytes and write everything queued.
    async fn write(&mut self, bytes: &[u8]) -> Result<(), Reason> {
        self.machine.queue(bytes);
        self.flush().await
    }

    /// The peer cannot be written to: the connection is over.
    async fn write_failed(&mut self, e: Reason) {
        let _ = self.tcp.shutdown().await;
        // Waiting sends hear why (the machine would say closed).
        self.machine.out.fail_all(&e);
        self.machine.fail(e);
    }

    /// A waiting send's `send_timeout` passed: it gets `timeout`, its bytes
    /// stay queued (no record is cut), and `send_timeout_close` ends the
    /// connection.
    async fn send_timed_out(&mut self) {
        if self.machine.send_timed_out(Instant::now()) {
            self.write_failed(Reason::Timeout).await;
        }
    }

    /// A handshake (or its continuation) failed or timed out: say so, and
    /// end the TCP stream so that the peer learns it too.
    async fn handshake_failed(&mut self, e: &Reason) {
        if self.logs(LogLevel::Info) {
            tracing::info!(reason = %e, "handshake failed");
        }
        let _ = self.tcp.shutdown().await;
    }

    async fn handshake_start(&mut self, extra: Vec<SslOption>) -> Result<Option<HelloExt>, Reason> {
        if self.logs(LogLevel::Debug) {
            tracing::debug!("handshake started");
        }
        let mut opts = std::mem::take(&mut self.tls_opts);
        opts.extend(extra.iter().cloned());
        if !extra.is_empty() {
            self.machine
                .set_opts(options::split(self.role, &opts)?.socket);
            kernel_options::set(&self.tcp, &extra);
        }
        let Prepared {
            mut inst, resume, ..
        } = match self.prepared.take() {
            Some(prepared) if extra.is_empty() => *prepared,
            _ if self.role == Role::Server => {
                // No sandbox for a peer that has sent nothing yet: an idle
                // connection holds a socket, not a slot of the pool. (peek,
                // not readable(): tokio reports a new socket readable.)
                let _ = self.tcp.peek(&mut [0u8; 1]).await;
                match new_server_instance(&opts).await {
                    Err(Reason::SystemLimit) => {
                        // Still full: refuse with an alert, not a reset.
                        let _ = self.write(&PLAINTEXT_INTERNAL_ERROR).await;
                        return Err(Reason::SystemLimit);
                    }
                    r => r?,
                }
            }
            _ => {
                let port = self.tcp.peer_addr().map_or(0, |a| a.port());
                new_instance_for(self.role, &opts, Some((&self.server_name, port))).await?
            }
        };
        self.resume = resume;
        // sni_fun is the owner's code: it runs here, between the hello and
        // the rest of the handshake, not inside a call into the sandbox
        // (where its time would count against the call deadline).
        let for_sni = self.role == Role::Server && options::has_sni_fun(&opts);
        let paused = self.role == Role::Server && self.machine.opts().hello;
        match self.role {
            Role::Client => inst.client(&self.server_name).await?,
            Role::Server if paused || for_sni => inst.server_paused().await?,
            Role::Server => inst.server().await?,
        }
        self.inst = Some(Box::new(inst));
        self.tls_opts = opts;
        if paused {
            return self.read_hello().await.map(Some);
        }
        if for_sni {
            self.read_hello().await?;
            return self.continue_steps(Vec::new()).await.map(|()| None);
        }
        let first = self.feed(&[]).await?;
        self.finish_handshake(first).await.map(|()| None)
    }

    /// Read until the paused engine has the whole ClientHello.
    async fn read_hello(&mut self) -> Result<HelloExt, Reason> {
        let mut rbuf = vec![0u8; self.first_read()];
        loop {
            let inst = self.inst.as_mut().ok_or(Reason::Einval)?;
            if let Some(h) = inst.client_hello().await? {
                self.machine.paused();
                self.hello_name = h.sni.clone();
                return Ok(hello_ext(h));
            }
            let n = self.read_some(&mut rbuf).await?;
            self.feed(&rbuf[..n]).await?;
        }
    }

    async fn continue_steps(&mut self, extra: Vec<SslOption>) -> Result<(), Reason> {
        let mut opts = self.tls_opts.clone();
        opts.extend(extra.iter().cloned());
        let opts = options::resolve_sni(opts, self.hello_name.as_deref());
        let split = options::split(self.role, &opts)?;
        self.machine.set_opts(split.socket.clone());
        kernel_options::set(&self.tcp, &extra);
        let keylog = crate::imports::KeylogSink::new(split.keep_secrets);
        let inst = self.inst.as_mut().ok_or(Reason::Einval)?;
        inst.set_offload(split.socket.record_offload);
        inst.set_host_crypto(split.socket.host_crypto);
        let r = inst
            .resume(split.tls, VerifyPolicy(split.policy), keylog)
            .await;
        self.tls_opts = opts;
        let first = self.absorb(r).await?;
        self.finish_handshake(first).await
    }

    /// Read and feed until the handshake is done.
    async fn finish_handshake(&mut self, mut progress: Progress) -> Result<(), Reason> {
        let mut rbuf = vec![0u8; self.first_read()];
        while !progress.handshake_done {
            let n = self.read_some(&mut rbuf).await?;
            progress = self.feed(&rbuf[..n]).await?;
        }
        // The last flight is written before the handshake returns.
        self.flush().await?;
        self.machine.established();
        if progress.peer_closed {
            // Its close_notify came with the last flight.
            self.machine.peer_ended();
        }
        self.log_established().await;
        self.after_resumption().await;
        Ok(())
    }

    /// Sessions the client engine reported: to the cache, or to the owner.
    fn take_sessions(&mut self) {
        // Runs after every feed: servers and idle clients leave at once.
        let (Some(inst), true) = (self.inst.as_mut(), self.resume.is_some()) else {
            return;
        };
        let sessions = inst.take_client_sessions();
        if sessions.is_empty() {
            return;
        }
        let me = self.handle();
        let Some(resume) = self.resume.as_mut() else {
            return;
        };
        for s in sessions {
            match s.version {
                ProtocolVersion::Tlsv13 => match resume.opts.tickets() {
                    // Only while the socket has a handle (it is not closing).
                    Some(SessionTickets::Manual) if me.is_some() => {
                        self.machine
                            .owner
                            .pid
                            .deliver(Message::SessionTicket(Ticket(s.value)));
                    }
                    Some(SessionTickets::Manual) => {}
                    Some(_) => client_sessions::put_ticket(&resume.key, s.value, s.lifetime),
                    None => {}
                },
                ProtocolVersion::Tlsv12 => {
                    if resume.opts.keep_tls12() {
                        client_sessions::put_tls12(
                            &resume.key,
                            s.session_id.clone(),
                            s.value.clone(),
                            s.lifetime,
                        );
                    }
                    resume.tls12 = Some((s.session_id, SessionData(s.value)));
                }
            }
        }
    }

    /// After a client handshake: forget a TLS 1.2 session the server did
    /// not resume, and tell the owner what became of its early data.
    async fn after_resumption(&mut self) {
        let (Some(inst), Some(resume)) = (self.inst.as_mut(), self.resume.as_ref()) else {
            return;
        };
        // One more engine call, only when there is something to learn.
        if resume.offered_tls12.is_none() && !resume.opts.early_data {
            return;
        }
        let Ok(info) = inst.info().await else {
            return;
        };
        if let (Some(offered), false) = (&resume.offered_tls12, info.session_resumption) {
            client_sessions::forget_tls12(&resume.key, offered);
        }
        if let Some(accepted) = info.early_data {
            let status = if accepted {
                EarlyDataStatus::Accepted
            } else {
                EarlyDataStatus::Rejected
            };
            self.tell_owner(|s| Message::EarlyData(s, status));
        }
    }

    /// One read during the handshake; the peer vanishing is `closed`, and
    /// more than `max_handshake_size` in all is a handshake_failure.
    async fn read_some(&mut self, rbuf: &mut [u8]) -> Result<usize, Reason> {
        // Our flight goes out before we wait for the peer's answer.
        self.flush().await?;
        let n = self.tcp.read(rbuf).await.map_err(|e| Reason::from_io(&e))?;
        if n == 0 {
            return Err(Reason::Closed);
        }
        self.machine.received(n);
        let max = self.machine.opts().max_handshake_size;
        if self.machine.received_total() > max as u64 {
            let detail = format!("{{max_handshake_size,{max}}}");
            let inst = self.inst.as_mut().ok_or(Reason::Einval)?;
            let r = inst.alert_reason(40, true, Some(&detail)).await;
            self.log_alert(&r);
            return Err(r);
        }
        Ok(n)
    }

    /// Feed bytes to the engine, write what it answers, keep its plaintext.
    async fn feed(&mut self, data: &[u8]) -> Result<Progress, Reason> {
        let inst = self.inst.as_mut().ok_or(Reason::Einval)?;
        let r = inst.feed(data).await;
        self.absorb(r).await
    }

    /// Write what the engine answered and keep its plaintext; on failure,
    /// send the alert before giving up, so the peer learns why.
    async fn absorb(&mut self, r: Result<Progress, EngineFailure>) -> Result<Progress, Reason> {
        match r {
            Ok(mut p) => {
                self.take_sessions();
                let out = std::mem::take(&mut p.output);
                self.machine.queue(out);
                self.machine
                    .plaintext(&mut p.plaintext, p.peer_closed, &mut p.rest);
                Ok(p)
            }
            // A failing read delivers nothing of what came with it, as in
            // OTP 25, which decodes a read's records together (checked
            // against it: data then a bad record in one segment is an
            // ssl_error only).
            Err(f) => {
                self.log_alert(&f.reason);
                let _ = self.write(&f.output).await;
                let _ = self.tcp.shutdown().await;
                Err(f.reason)
            }
        }
    }

    /// `n` bytes read: `data`, or already in the engine's input.
    async fn on_read(&mut self, r: std::io::Result<usize>, data: &[u8]) {
        match r {
            Ok(0) => self.machine.peer_ended(),
            Ok(n) => {
                self.machine.received(n);
                if let Err(reason) = self.feed(data).await {
                    self.machine.fail(reason);
                }
            }
            Err(e) => self.machine.fail(Reason::from_io(&e)),
        }
        if self.machine.should_answer_close() {
            // Answer close_notify: the TLS connection is over. With
            // {exit_on_close, false} the owner may still write (half-close).
            // The TCP stream stays whole until the socket goes, so close/2
            // can still downgrade it when the peer's close_notify came first.
            let _ = self.send_close_notify().await;
            self.machine.closed_outgoing();
        }
        self.machine.deliver();
    }

    async fn update_keys(&mut self, request_peer: bool) -> Result<(), Reason> {
        self.machine.can_send()?;
        let inst = self.inst.as_mut().ok_or(Reason::Einval)?;
        match inst.update_keys(request_peer).await {
            Ok(out) => {
                self.machine.keys_updated();
                self.machine.queue(out);
                Ok(())
            }
            // TLS 1.2 has no key update: OTP answers notsup too.
            Err(f) if f.reason == Reason::Einval => Err(Reason::Posix("notsup".into())),
            Err(f) => {
                self.machine.fail(f.reason.clone());
                Err(f.reason)
            }
        }
    }

    async fn send(&mut self, data: Vec<u8>) -> Result<(), Reason> {
        let (framed, update_keys) = self.machine.frame(data)?;
        if update_keys {
            // Best effort: on TLS 1.2 there is nothing to update.
            let _ = self.update_keys(false).await;
        }
        // Chunks keep the sandbox's memory bounded whatever the size of a send.
        for chunk in framed.chunks(SEND_CHUNK) {
            let inst = self.inst.as_mut().ok_or(Reason::Einval)?;
            match inst.send(chunk).await {
                Ok(out) => self.machine.queue(out),
                Err(f) => {
                    let _ = self.write(&f.output).await;
                    let _ = self.tcp.shutdown().await;
                    self.machine.fail(f.reason.clone());
                    return Err(f.reason);
                }
            }
        }
        // Sealed: the bytes (a read's plaintext, when echoed) can serve
        // another read.
        crate::buffers::give(framed);
        Ok(())
    }

    async fn shutdown(&mut self, how: How) -> Result<(), Reason> {
        if !self.machine.is_established() {
            return Err(Reason::Einval);
        }
        if matches!(how, How::Write | How::ReadWrite) && self.machine.can_send().is_ok() {
            self.send_close_notify().await?;
            let _ = self.tcp.shutdown().await;
            self.machine.closed_outgoing();
        }
        if matches!(how, How::Read | How::ReadWrite) {
            self.machine.shutdown_read();
        }
        Ok(())
    }

    /// close/2: send close_notify and wait (up to the deadline) for the
    /// peer's, so the TCP stream is clean to reuse or to close.
    async fn close_and_wait(&mut self, deadline: Option<Instant>) -> Result<(), Reason> {
        if !self.machine.is_established() {
            return Err(Reason::Einval);
        }
        if self.machine.can_send().is_ok() {
            self.send_close_notify().await?;
            self.machine.closed_outgoing();
        }
        let mut rbuf = vec![0u8; self.first_read()];
        while matches!(self.machine.phase(), Phase::Open(Incoming::Open, _)) {
            self.flush().await?;
            let read = self.tcp.read(&mut rbuf);
            let n = match deadline {
                Some(d) => tokio::time::timeout_at(d, read)
                    .await
                    .map_err(|_| Reason::Timeout)?,
                None => read.await,
            }
            .map_err(|e| Reason::from_io(&e))?;
            if n == 0 {
                self.machine.peer_ended();
                break;
            }
            self.machine.received(n);
            self.feed(&rbuf[..n]).await?;
        }
        Ok(())
    }

    /// Write the engine's close_notify record (nothing when there is no engine).
    async fn send_close_notify(&mut self) -> Result<(), Reason> {
        match self.inst.as_mut() {
            Some(inst) => {
                let out = inst.close_notify().await;
                self.write(&out).await
            }
            None => Ok(()),
        }
    }

    /// close/1: close_notify, then the TCP socket goes.
    async fn close_quietly(&mut self) {
        if self.machine.can_send().is_ok() {
            if let Some(inst) = self.inst.as_mut() {
                let out = inst.close_notify().await;
                self.machine.queue(out);
            }
        }
        // A peer that reads nothing cannot hold the socket open for ever:
        // what is queued gets CLOSE_LINGER at most (or send_timeout, if
        // shorter) to go out, as OTP's close waits a bounded time too.
        let limit = match self.machine.opts().send_timeout {
            Timeout::After(d) if d < CLOSE_LINGER => Timeout::After(d),
            _ => Timeout::After(CLOSE_LINGER),
        };
        let _ = self.flush_within(limit).await;
        let _ = self.tcp.shutdown().await;
        self.machine.end();
    }
}

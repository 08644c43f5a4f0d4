//! Listen sockets: a TCP listener plus the options every accepted socket
//! inherits. Closing it (or its owner ending) stops waiting acceptors with
//! `{error, closed}` and frees the port.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::net::TcpListener;
use tokio::sync::watch;

use super::options::{SocketOpts, SslOption};
use super::{socket, Reason, SslSocket, Timeout};
use crate::bindings::wassl::tls::types::Role;
use crate::process::Pid;

pub(crate) struct ListenSocket {
    listener: Mutex<Option<Arc<TcpListener>>>,
    pub(crate) opts: Vec<SslOption>,
    pub(crate) socket_opts: SocketOpts,
    owner: Mutex<Pid>,
    closed: watch::Sender<bool>,
}

impl ListenSocket {
    pub(crate) fn new(
        listener: TcpListener,
        opts: Vec<SslOption>,
        socket_opts: SocketOpts,
        owner: Pid,
    ) -> Arc<Self> {
        let (closed, _) = watch::channel(false);
        let ls = Arc::new(ListenSocket {
            listener: Mutex::new(Some(Arc::new(listener))),
            opts,
            socket_opts,
            owner: Mutex::new(owner),
            closed,
        });
        // The listen socket dies with its owner, whoever that is by then.
        let weak = Arc::downgrade(&ls);
        tokio::spawn(async move {
            loop {
                let Some(ls) = weak.upgrade() else { return };
                let owner = ls.owner();
                let mut closed = ls.closed.subscribe();
                drop(ls);
                tokio::select! {
                    _ = owner.exited() => {
                        match weak.upgrade() {
                            Some(ls) if ls.owner() == owner => { ls.close(); return }
                            Some(_) => continue,
                            None => return,
                        }
                    }
                    _ = closed.wait_for(|c| *c) => return,
                }
            }
        });
        ls
    }

    pub(crate) fn owner(&self) -> Pid {
        self.owner.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub(crate) fn set_owner(&self, caller: &Pid, new: Pid) -> Result<(), Reason> {
        let mut o = self.owner.lock().unwrap_or_else(|e| e.into_inner());
        if *o != *caller {
            return Err(Reason::NotOwner);
        }
        *o = new;
        drop(o);
        // Wake the watcher so it follows the new owner.
        self.closed.send_modify(|_| {});
        Ok(())
    }

    pub(crate) fn close(&self) {
        self.listener
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        self.closed.send_replace(true);
    }

    pub(crate) fn local_addr(&self) -> Result<SocketAddr, Reason> {
        let l = self
            .listener
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        l.ok_or(Reason::Closed)?
            .local_addr()
            .map_err(|e| Reason::from_io(&e))
    }

    /// transport_accept/2: a TCP connection, not yet a TLS one.
    pub(crate) async fn accept(&self, timeout: Timeout, owner: Pid) -> Result<SslSocket, Reason> {
        let listener = self
            .listener
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .ok_or(Reason::Closed)?;
        let mut closed = self.closed.subscribe();
        let deadline = timeout.deadline();
        let accepted = tokio::select! {
            r = listener.accept() => r.map_err(|e| Reason::from_io(&e))?,
            _ = closed.wait_for(|c| *c) => return Err(Reason::Closed),
            _ = async { match deadline {
                Some(d) => tokio::time::sleep_until(d).await,
                None => std::future::pending().await,
            } } => return Err(Reason::Timeout),
        };
        let (tcp, peer) = accepted;
        socket::spawn(socket::Setup {
            tcp,
            role: Role::Server,
            server_name: String::new(),
            opts: self.opts.clone(),
            owner,
            prepared: None,
            socket: Some(self.socket_opts.clone()),
            peer: Some(peer),
        })
    }
}

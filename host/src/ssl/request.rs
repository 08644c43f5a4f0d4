//! The calls a connection socket answers: every `ssl` function on a
//! connection is one of these, sent to the socket's task.

use std::net::SocketAddr;

use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::time::Instant;

use super::options::{OptName, SslOption};
use super::{ConnectionInformation, Data, HelloExt, How, Reason, Stat};
use crate::process::Pid;

pub(crate) type Reply<T> = oneshot::Sender<Result<T, Reason>>;

/// A call on a connection socket.
pub(crate) enum Request {
    /// `Some(Ext)` when `{handshake, hello}` paused it at the ClientHello.
    Handshake {
        extra: Vec<SslOption>,
        deadline: Option<Instant>,
        reply: Reply<Option<HelloExt>>,
    },
    HandshakeContinue {
        extra: Vec<SslOption>,
        deadline: Option<Instant>,
        reply: Reply<()>,
    },
    HandshakeCancel {
        reply: Reply<()>,
    },
    Send {
        data: Vec<u8>,
        reply: Reply<()>,
    },
    Recv {
        len: usize,
        deadline: Option<Instant>,
        reply: Reply<Data>,
    },
    Setopts {
        opts: Vec<SslOption>,
        reply: Reply<()>,
    },
    Getopts {
        names: Vec<OptName>,
        reply: Reply<Vec<SslOption>>,
    },
    Getstat {
        stats: Vec<Stat>,
        reply: Reply<Vec<(Stat, u64)>>,
    },
    ControllingProcess {
        caller: Pid,
        new: Pid,
        reply: Reply<()>,
    },
    Close {
        deadline: Option<Instant>,
        reply: Reply<()>,
    },
    Downgrade {
        caller: Pid,
        deadline: Option<Instant>,
        reply: Reply<(TcpStream, Vec<u8>)>,
    },
    Shutdown {
        how: How,
        reply: Reply<()>,
    },
    Peername {
        reply: Reply<SocketAddr>,
    },
    Sockname {
        reply: Reply<SocketAddr>,
    },
    Peercert {
        reply: Reply<Vec<u8>>,
    },
    Info {
        reply: Reply<ConnectionInformation>,
    },
    EngineMemory {
        reply: Reply<usize>,
    },
    UpdateKeys {
        request_peer: bool,
        reply: Reply<()>,
    },
    Export {
        items: Vec<crate::runtime::ExportItem>,
        consume: bool,
        reply: Reply<Vec<Vec<u8>>>,
    },
    Prf {
        secret: super::PrfSecret,
        label: Vec<u8>,
        seed: Vec<super::PrfSeed>,
        length: usize,
        reply: Reply<Vec<u8>>,
    },
    MasterSecret {
        reply: Reply<Option<Vec<u8>>>,
    },
    /// `pid/1`: a pid that ends with this task.
    Pid {
        reply: Reply<Pid>,
    },
}

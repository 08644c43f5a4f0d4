//! `wassl:tls/handshake`: the connection resource.

use std::cell::RefCell;

use crate::bindings::exports::wassl::tls::handshake::{
    ClientHello, ConfigBorrow, Connection, Failure, Guest, GuestConnection, Progress,
};
use crate::bindings::wassl::tls::types::{ProtocolVersion, TlsError};
use crate::engine;

use super::{convert, options::ConfigResource, Component};

/// An engine, or what is left of it once the host took the record layer.
// `Live` is the state nearly every call finds: not boxed.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Slot {
    /// `{handshake, hello}`: a server waiting for `resume`. Boxed: the
    /// acceptor is twice a live connection's size and rarely used.
    Paused(Box<engine::PausedServer>),
    Live(engine::Connection),
    HandedOff(engine::Snapshot),
    /// Only while a hand-off is under way.
    Moving,
}

impl Slot {
    /// The live engine, or why there is none.
    pub(crate) fn live(&mut self) -> Result<&mut engine::Connection, engine::TlsError> {
        match self {
            Slot::Live(c) => Ok(c),
            _ => Err(engine::TlsError::Einval(
                "the host's record layer has this connection".into(),
            )),
        }
    }
}

/// The `connection` resource: WIT methods take `&self`, the engine wants `&mut`.
pub(crate) struct ConnectionResource(pub(crate) RefCell<Slot>);

impl ConnectionResource {
    fn live(c: engine::Connection) -> Connection {
        Connection::new(ConnectionResource(RefCell::new(Slot::Live(c))))
    }
}

pub(crate) fn failure_out(f: engine::Failure) -> Failure {
    Failure {
        error: convert::error_out(f.error),
        output: f.output,
    }
}

/// A failure with nothing to send, for a call the connection's state rules out.
pub(crate) fn refused(e: engine::TlsError) -> Failure {
    Failure {
        error: convert::error_out(e),
        output: Vec::new(),
    }
}

fn progress_out(p: engine::Progress) -> Progress {
    Progress {
        output: p.output,
        plaintext: p.plaintext,
        handshake_done: p.handshake_done,
        peer_closed: p.peer_closed,
        rest: p.rest,
    }
}

impl GuestConnection for ConnectionResource {
    fn client(cfg: ConfigBorrow<'_>, server_name: String) -> Result<Connection, TlsError> {
        let cfg = &cfg.get::<ConfigResource>().0;
        engine::Connection::client(cfg, &server_name)
            .map(ConnectionResource::live)
            .map_err(convert::error_out)
    }

    fn server(cfg: ConfigBorrow<'_>) -> Result<Connection, TlsError> {
        let cfg = &cfg.get::<ConfigResource>().0;
        engine::Connection::server(cfg)
            .map(ConnectionResource::live)
            .map_err(convert::error_out)
    }

    fn server_paused() -> Connection {
        Connection::new(ConnectionResource(RefCell::new(Slot::Paused(
            Box::default(),
        ))))
    }

    fn client_hello(&self) -> Option<ClientHello> {
        let Slot::Paused(p) = &*self.0.borrow() else {
            return None;
        };
        let h = p.client_hello()?;
        Some(ClientHello {
            sni: h.sni,
            alpn: h.alpn,
            versions: h
                .versions
                .into_iter()
                .map(|v| match v {
                    engine::ProtocolVersion::Tlsv1_2 => ProtocolVersion::Tlsv12,
                    engine::ProtocolVersion::Tlsv1_3 => ProtocolVersion::Tlsv13,
                })
                .collect(),
            cipher_suites: h.cipher_suites,
            signature_algs: h.signature_algs,
            groups: h.groups,
        })
    }

    fn resume(&self, cfg: ConfigBorrow<'_>) -> Result<Progress, Failure> {
        let mut slot = self.0.borrow_mut();
        let Slot::Paused(p) = std::mem::replace(&mut *slot, Slot::Moving) else {
            *slot = Slot::Moving;
            return Err(refused(engine::TlsError::Einval(
                "the connection is not paused at the ClientHello".into(),
            )));
        };
        let (c, p) = p
            .resume(&cfg.get::<ConfigResource>().0)
            .map_err(failure_out)?;
        *slot = Slot::Live(c);
        Ok(progress_out(p))
    }

    fn feed(&self, data: Vec<u8>) -> Result<Progress, Failure> {
        let mut slot = self.0.borrow_mut();
        if let Slot::Paused(p) = &mut *slot {
            return p.feed(&data).map(progress_out).map_err(failure_out);
        }
        slot.live()
            .map_err(refused)?
            .feed(&data)
            .map(progress_out)
            .map_err(failure_out)
    }

    fn is_handshaking(&self) -> bool {
        match &*self.0.borrow() {
            Slot::Live(c) => c.is_handshaking(),
            Slot::Paused(_) => true,
            _ => false,
        }
    }
}

impl Guest for Component {
    type Connection = ConnectionResource;
}

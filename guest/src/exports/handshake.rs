//! `wassl:tls/handshake`: the connection resource.

use std::cell::RefCell;

use crate::bindings::exports::wassl::tls::handshake::{
    ConfigBorrow, Connection, Failure, Guest, GuestConnection, Progress,
};
use crate::bindings::wassl::tls::types::TlsError;
use crate::engine;

use super::{convert, options::ConfigResource, Component};

/// The `connection` resource: WIT methods take `&self`, the engine wants `&mut`.
pub(crate) struct ConnectionResource(pub(crate) RefCell<engine::Connection>);

pub(crate) fn failure_out(f: engine::Failure) -> Failure {
    Failure {
        error: convert::error_out(f.error),
        output: f.output,
    }
}

impl GuestConnection for ConnectionResource {
    fn client(cfg: ConfigBorrow<'_>, server_name: String) -> Result<Connection, TlsError> {
        let cfg = &cfg.get::<ConfigResource>().0;
        engine::Connection::client(cfg, &server_name)
            .map(|c| Connection::new(ConnectionResource(RefCell::new(c))))
            .map_err(convert::error_out)
    }

    fn server(cfg: ConfigBorrow<'_>) -> Result<Connection, TlsError> {
        let cfg = &cfg.get::<ConfigResource>().0;
        engine::Connection::server(cfg)
            .map(|c| Connection::new(ConnectionResource(RefCell::new(c))))
            .map_err(convert::error_out)
    }

    fn feed(&self, data: Vec<u8>) -> Result<Progress, Failure> {
        self.0
            .borrow_mut()
            .feed(&data)
            .map(|p| Progress {
                output: p.output,
                plaintext: p.plaintext,
                handshake_done: p.handshake_done,
                peer_closed: p.peer_closed,
                rest: p.rest,
            })
            .map_err(failure_out)
    }

    fn is_handshaking(&self) -> bool {
        self.0.borrow().is_handshaking()
    }
}

impl Guest for Component {
    type Connection = ConnectionResource;
}

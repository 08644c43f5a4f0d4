//! `wassl:tls/records`: application data on an established connection.

use crate::bindings::exports::wassl::tls::handshake::{ConnectionBorrow, Failure};
use crate::bindings::exports::wassl::tls::records::Guest;
use crate::bindings::wassl::tls::types::{ConnectionInfo, TlsError};

use super::{convert, handshake::failure_out, handshake::ConnectionResource, Component};

impl Guest for Component {
    fn send(conn: ConnectionBorrow<'_>, data: Vec<u8>) -> Result<Vec<u8>, Failure> {
        conn.get::<ConnectionResource>()
            .0
            .borrow_mut()
            .send(&data)
            .map_err(failure_out)
    }

    fn close_notify(conn: ConnectionBorrow<'_>) -> Vec<u8> {
        conn.get::<ConnectionResource>()
            .0
            .borrow_mut()
            .close_notify()
    }

    fn connection_information(conn: ConnectionBorrow<'_>) -> Result<ConnectionInfo, TlsError> {
        conn.get::<ConnectionResource>()
            .0
            .borrow()
            .info()
            .map(convert::info_out)
            .map_err(convert::error_out)
    }

    fn peer_certificates(conn: ConnectionBorrow<'_>) -> Vec<Vec<u8>> {
        conn.get::<ConnectionResource>()
            .0
            .borrow()
            .peer_certificates()
    }

    fn update_keys(conn: ConnectionBorrow<'_>) -> Result<Vec<u8>, Failure> {
        conn.get::<ConnectionResource>()
            .0
            .borrow_mut()
            .update_keys()
            .map_err(failure_out)
    }

    fn export_keying_material(
        conn: ConnectionBorrow<'_>,
        label: Vec<u8>,
        context: Option<Vec<u8>>,
        length: u32,
    ) -> Result<Vec<u8>, TlsError> {
        conn.get::<ConnectionResource>()
            .0
            .borrow()
            .export_keying_material(&label, context.as_deref(), length as usize)
            .map_err(convert::error_out)
    }
}

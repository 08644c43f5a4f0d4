//! `wassl:tls/records`: application data on an established connection.

use crate::bindings::exports::wassl::tls::handshake::{ConnectionBorrow, Failure};
use crate::bindings::exports::wassl::tls::records::{
    Guest, HandOffAnswer, HandedOff, PrfSecret, PrfSeed, Tls12Keys, TrafficSecrets,
};
use crate::bindings::wassl::tls::types::{ConnectionInfo, Role, TlsError};
use crate::engine;

use super::handshake::{failure_out, refused, ConnectionResource, Slot};
use super::{convert, Component};

impl Guest for Component {
    fn send(conn: ConnectionBorrow<'_>, data: Vec<u8>) -> Result<Vec<u8>, Failure> {
        let mut slot = conn.get::<ConnectionResource>().0.borrow_mut();
        slot.live()
            .map_err(refused)?
            .send(&data)
            .map_err(failure_out)
    }

    fn close_notify(conn: ConnectionBorrow<'_>) -> Vec<u8> {
        let mut slot = conn.get::<ConnectionResource>().0.borrow_mut();
        slot.live().map(|c| c.close_notify()).unwrap_or_default()
    }

    fn connection_information(conn: ConnectionBorrow<'_>) -> Result<ConnectionInfo, TlsError> {
        match &*conn.get::<ConnectionResource>().0.borrow() {
            Slot::Live(c) => c.info(),
            Slot::HandedOff(s) => Ok(s.info.clone()),
            Slot::Paused(_) => Err(engine::TlsError::Einval(
                "the handshake has not completed".into(),
            )),
            Slot::Moving => Err(engine::TlsError::Closed),
        }
        .map(convert::info_out)
        .map_err(convert::error_out)
    }

    fn peer_certificates(conn: ConnectionBorrow<'_>) -> Vec<Vec<u8>> {
        match &*conn.get::<ConnectionResource>().0.borrow() {
            Slot::Live(c) => c.peer_certificates(),
            Slot::HandedOff(s) => s.peer_certificates.clone(),
            Slot::Paused(_) | Slot::Moving => Vec::new(),
        }
    }

    fn update_keys(conn: ConnectionBorrow<'_>) -> Result<Vec<u8>, Failure> {
        let mut slot = conn.get::<ConnectionResource>().0.borrow_mut();
        slot.live()
            .map_err(refused)?
            .update_keys()
            .map_err(failure_out)
    }

    fn export_keying_material(
        conn: ConnectionBorrow<'_>,
        label: Vec<u8>,
        context: Option<Vec<u8>>,
        length: u32,
    ) -> Result<Vec<u8>, TlsError> {
        let mut slot = conn.get::<ConnectionResource>().0.borrow_mut();
        slot.live()
            .and_then(|c| c.export_keying_material(&label, context.as_deref(), length as usize))
            .map_err(convert::error_out)
    }

    fn prf(
        conn: ConnectionBorrow<'_>,
        secret: PrfSecret,
        label: Vec<u8>,
        seed: Vec<PrfSeed>,
        length: u32,
    ) -> Option<Vec<u8>> {
        let secret = match secret {
            PrfSecret::MasterSecret => None,
            PrfSecret::Bytes(b) => Some(b),
        };
        let seed: Vec<_> = seed
            .into_iter()
            .map(|p| match p {
                PrfSeed::ClientRandom => engine::PrfSeed::ClientRandom,
                PrfSeed::ServerRandom => engine::PrfSeed::ServerRandom,
                PrfSeed::Bytes(b) => engine::PrfSeed::Bytes(b),
            })
            .collect();
        let mut slot = conn.get::<ConnectionResource>().0.borrow_mut();
        slot.live()
            .ok()?
            .prf(secret.as_deref(), &label, &seed, length as usize)
    }

    fn master_secret(conn: ConnectionBorrow<'_>) -> Option<Vec<u8>> {
        let mut slot = conn.get::<ConnectionResource>().0.borrow_mut();
        slot.live().ok()?.master_secret()
    }

    fn hand_off(conn: ConnectionBorrow<'_>) -> HandOffAnswer {
        let mut slot = conn.get::<ConnectionResource>().0.borrow_mut();
        let Slot::Live(c) = std::mem::replace(&mut *slot, Slot::Moving) else {
            return HandOffAnswer::Never;
        };
        match c.hand_off() {
            engine::HandOff::Ready(snapshot, t) => {
                let kept = handed_off(&snapshot);
                *slot = Slot::HandedOff(snapshot);
                HandOffAnswer::Ready((
                    TrafficSecrets {
                        suite: t.suite,
                        tx_seq: t.tx_seq,
                        tx_secret: t.tx_secret,
                        rx_seq: t.rx_seq,
                        rx_secret: t.rx_secret,
                        exporter_secret: t.exporter_secret,
                        pending: t.pending,
                    },
                    kept,
                ))
            }
            engine::HandOff::ReadyTls12(snapshot, k) => {
                let kept = handed_off(&snapshot);
                *slot = Slot::HandedOff(snapshot);
                HandOffAnswer::ReadyTls12((
                    Tls12Keys {
                        suite: k.suite,
                        tx_seq: k.tx_seq,
                        rx_seq: k.rx_seq,
                        master_secret: k.master_secret,
                        client_random: k.client_random,
                        server_random: k.server_random,
                        pending: k.pending,
                    },
                    kept,
                ))
            }
            engine::HandOff::Later(c) => {
                *slot = Slot::Live(*c);
                HandOffAnswer::Later
            }
            engine::HandOff::Never(c) => {
                *slot = Slot::Live(*c);
                HandOffAnswer::Never
            }
        }
    }

    fn alert_error(role: Role, code: u8, local: bool, detail: Option<String>) -> TlsError {
        let role = match role {
            Role::Client => engine::Role::Client,
            Role::Server => engine::Role::Server,
        };
        convert::error_out(engine::alert_error(role, code, local, detail.as_deref()))
    }
}

/// What the host keeps of a connection it took the records of.
fn handed_off(s: &engine::Snapshot) -> HandedOff {
    HandedOff {
        info: convert::info_out(s.info.clone()),
        peer_certificates: s.peer_certificates.clone(),
    }
}

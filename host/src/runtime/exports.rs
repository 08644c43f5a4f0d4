//! The guest's exports, found once per process and type-checked once.
//!
//! bindgen's world struct looks up and type-checks every export of the
//! component on each instantiation: about 3% of a resumed handshake's CPU,
//! spent comparing record field and variant case names that cannot change,
//! since the component is embedded in the crate. Here the export indices are
//! resolved when the runtime starts, their types are checked against the first
//! instance, and every later call uses the checked signature unchecked.
//!
//! Each export is declared once below, with the types its calls lower and
//! lift; the same declaration makes the check and the call, so a call cannot
//! use a type the check did not see. The one `unsafe` is the one bindgen's
//! own calls make (`TypedFunc::new_unchecked`); only the check moved.
#![allow(unsafe_code)]

use std::sync::OnceLock;

use wasmtime::component::{Component, ComponentExportIndex, Instance, ResourceAny, TypedFunc};
use wasmtime::Store;

use crate::bindings::exports::wassl::tls::handshake::{ClientHello, Failure, Progress};
use crate::bindings::exports::wassl::tls::options::{OptionError, TlsOption};
use crate::bindings::exports::wassl::tls::records::{HandOffAnswer, PrfSecret, PrfSeed};
use crate::bindings::wassl::tls::types::{CipherSuite, ConnectionInfo, Role, TlsError};
use crate::imports::HostState;

const HANDSHAKE: &str = "wassl:tls/handshake@0.1.0";
const RECORDS: &str = "wassl:tls/records@0.1.0";
const OPTIONS: &str = "wassl:tls/options@0.1.0";

macro_rules! exports {
    ($(
        $(#[$doc:meta])*
        $name:ident = $iface:ident $func:literal ($($arg:ident: $ty:ty),*) -> $ret:ty;
    )*) => {
        /// Every export wassl calls, as an index into [`Exports`].
        #[allow(non_camel_case_types)]
        #[derive(Clone, Copy)]
        enum Export { $($name),* }

        /// Interface and function name of each [`Export`], in order.
        const NAMES: &[(&str, &str)] = &[$(($iface, $func)),*];

        /// Type-check every export of `instance` against its declaration.
        fn check_all(
            store: &mut Store<HostState>,
            instance: Instance,
            index: &[ComponentExportIndex],
        ) -> Result<(), String> {
            $(
                let (iface, func) = NAMES[Export::$name as usize];
                instance
                    .get_func(&mut *store, index[Export::$name as usize])
                    .ok_or_else(|| format!("{iface}#{func}: not a function"))?
                    .typed::<($($ty,)*), ($ret,)>(&*store)
                    .map_err(|e| format!("{iface}#{func}: {e:#}"))?;
            )*
            Ok(())
        }

        impl Exports {
            $(
                $(#[$doc])*
                pub(crate) async fn $name(
                    &self,
                    store: &mut Store<HostState>,
                    $($arg: $ty),*
                ) -> wasmtime::Result<$ret> {
                    let func = self.func(store, Export::$name)?;
                    // SAFETY: `Indices::exports` type-checked this export
                    // with these very types, against an instance of the same
                    // component, before this `Exports` could exist.
                    let typed = unsafe { TypedFunc::<($($ty,)*), ($ret,)>::new_unchecked(func) };
                    Ok(typed.call_async(store, ($($arg,)*)).await?.0)
                }
            )*
        }
    };
}

exports! {
    /// `options`: a checked configuration, or which option is wrong.
    config_create = OPTIONS "[static]config.create"
        (role: Role, opts: &[TlsOption]) -> Result<ResourceAny, OptionError>;
    /// `options`: the suites the engine offers, with OpenSSL names.
    cipher_suites = OPTIONS "cipher-suites" () -> Vec<(CipherSuite, String)>;
    /// `options`: the groups the engine offers.
    groups = OPTIONS "groups" () -> Vec<String>;
    /// `options`: the signature algorithms of TLS 1.3 or 1.2.
    signature_algs = OPTIONS "signature-algs" (tls13: bool) -> Vec<String>;
    /// `handshake`: a client connection checking the server as `server_name`.
    client = HANDSHAKE "[static]connection.client"
        (cfg: ResourceAny, server_name: &str) -> Result<ResourceAny, TlsError>;
    /// `handshake`: a server connection.
    server = HANDSHAKE "[static]connection.server"
        (cfg: ResourceAny) -> Result<ResourceAny, TlsError>;
    /// `handshake`: a server that stops at the ClientHello.
    server_paused = HANDSHAKE "[static]connection.server-paused" () -> ResourceAny;
    /// `handshake`: the ClientHello a paused server has read.
    client_hello = HANDSHAKE "[method]connection.client-hello"
        (conn: ResourceAny) -> Option<ClientHello>;
    /// `handshake`: a paused server's configuration, then its first flight.
    resume = HANDSHAKE "[method]connection.resume"
        (conn: ResourceAny, cfg: ResourceAny) -> Result<Progress, Failure>;
    /// `handshake`: bytes from the peer.
    feed = HANDSHAKE "[method]connection.feed"
        (conn: ResourceAny, data: &[u8]) -> Result<Progress, Failure>;
    /// `records`: application data to protect.
    send = RECORDS "send" (conn: ResourceAny, data: &[u8]) -> Result<Vec<u8>, Failure>;
    /// `records`: the close_notify record.
    close_notify = RECORDS "close-notify" (conn: ResourceAny) -> Vec<u8>;
    /// `records`: `connection_information/1`.
    connection_information = RECORDS "connection-information"
        (conn: ResourceAny) -> Result<ConnectionInfo, TlsError>;
    /// `records`: the peer's chain, leaf first.
    peer_certificates = RECORDS "peer-certificates" (conn: ResourceAny) -> Vec<Vec<u8>>;
    /// `records`: a KeyUpdate record.
    update_keys = RECORDS "update-keys" (conn: ResourceAny) -> Result<Vec<u8>, Failure>;
    /// `records`: an exporter.
    export_keying_material = RECORDS "export-keying-material"
        (conn: ResourceAny, label: &[u8], context: Option<&[u8]>, length: u32)
        -> Result<Vec<u8>, TlsError>;
    /// `records`: TLS 1.2's PRF.
    prf = RECORDS "prf"
        (conn: ResourceAny, secret: &PrfSecret, label: &[u8], seed: &[PrfSeed], length: u32)
        -> Option<Vec<u8>>;
    /// `records`: TLS 1.2's master secret.
    master_secret = RECORDS "master-secret" (conn: ResourceAny) -> Option<Vec<u8>>;
    /// `records`: the engine's record layer, for the host.
    hand_off = RECORDS "hand-off" (conn: ResourceAny) -> HandOffAnswer;
    /// `records`: the engine's words for an alert.
    alert_error = RECORDS "alert-error"
        (role: Role, code: u8, local: bool, detail: Option<&str>) -> TlsError;
}

/// The exports of one sandbox.
pub(crate) struct Exports {
    instance: Instance,
    index: &'static [ComponentExportIndex],
}

impl Exports {
    fn func(
        &self,
        store: &mut Store<HostState>,
        export: Export,
    ) -> wasmtime::Result<wasmtime::component::Func> {
        self.instance
            .get_func(store, self.index[export as usize])
            .ok_or_else(|| wasmtime::format_err!("{:?}: not exported", NAMES[export as usize]))
    }
}

/// The process's export indices and whether their types matched.
pub(crate) struct Indices {
    index: &'static [ComponentExportIndex],
    checked: OnceLock<Result<(), String>>,
}

impl Indices {
    /// Resolve every export's index in `component`.
    pub(crate) fn new(component: &Component) -> wasmtime::Result<Indices> {
        let mut index = Vec::with_capacity(NAMES.len());
        for (iface, func) in NAMES {
            let i = component
                .get_export_index(None, iface)
                .ok_or_else(|| wasmtime::format_err!("the guest does not export {iface}"))?;
            let f = component
                .get_export_index(Some(&i), func)
                .ok_or_else(|| wasmtime::format_err!("the guest does not export {iface}#{func}"))?;
            index.push(f);
        }
        Ok(Indices {
            // One per process (the runtime is), so leaking it costs nothing.
            index: index.leak(),
            checked: OnceLock::new(),
        })
    }

    /// The exports of a new sandbox; the first one type-checks them all.
    pub(crate) fn exports(
        &self,
        store: &mut Store<HostState>,
        instance: Instance,
    ) -> Result<Exports, String> {
        self.checked
            .get_or_init(|| check_all(store, instance, self.index))
            .clone()?;
        Ok(Exports {
            instance,
            index: self.index,
        })
    }
}

//! Thin adapters from the WIT interfaces to [`crate::engine`]: type
//! conversion only, one module per exported interface.

mod convert;
mod crypto;
mod handshake;
mod options;
mod records;
mod verify;

/// The component: one type implements every exported interface.
pub(crate) struct Component;

//! Every rustls call of the engine lives under here (rustls 0.24 will change
//! the API, and this is the one directory to port), in rooms: `config`
//! builds client and server configs from validated [`Settings`], `verify`
//! verifies peers the Erlang way, `conn` drives a connection and maps rustls
//! errors to Erlang alerts, `hello` pauses a server at the ClientHello,
//! `sessions` and `secrets` keep what resumption and the hand-off need. The
//! name tables are a leaf beside it (`engine/suites.rs`).

mod config;
mod conn;
mod hello;
mod secrets;
mod sessions;
mod verify;

pub use config::Config;
use conn::*;
pub use conn::{Connection, HandOff};
pub use hello::PausedServer;
use secrets::*;
use sessions::*;
use verify::*;

use std::io::{Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{
    verify_tls12_signature, verify_tls13_signature, CryptoProvider, SupportedKxGroup,
};
use rustls::pki_types::{CertificateDer, CertificateRevocationListDer, ServerName, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::server::WebPkiClientVerifier;
use rustls::{
    AlertDescription, CertificateError, ClientConfig, DigitallySignedStruct, DistinguishedName,
    Error, HandshakeKind, NamedGroup, RootCertStore, ServerConfig, SignatureScheme,
    SupportedProtocolVersion,
};

use super::alert::{self, Alert};
use super::crypto::KeyBlockInputs;
use super::options::{
    settings, CrlCheck, OptionError, ServerNameIndication, ServerTickets, Settings, TlsOption,
    VerifyType,
};
use super::suites::*;
use super::{
    der, AlertOrigin, BadCert, CertKey, ClientHelloInfo, ClientSession, ConnectionInfo, Failure,
    PeerChain, PrfSeed, Progress, ProtocolVersion, Role, Snapshot, SniAnswer, Tls12Keys, TlsAlert,
    TlsError, TrafficSecrets, VerifyHook,
};
use rustls::client::{ResolvesClientCert, Tls12ClientSessionValue, Tls13ClientSessionValue};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

/// The reason verify_fun gave for the last refused chain, so the local error
/// can name `{bad_cert, Reason}` exactly (rustls only carries its own enum).
type Refusal = Arc<Mutex<Option<BadCert>>>;

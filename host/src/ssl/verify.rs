//! Certificate verification the Erlang way: `verify_fun` called for every
//! certificate of the path, root side first and the peer last, with the
//! user's state threaded through; `partial_chain`; `depth`;
//! `customize_hostname_check`.
//!
//! The engine (in its sandbox) validates the path with webpki and reports the
//! first problem; here, outside the sandbox, the user's functions decide.

use std::fmt;
use std::sync::Arc;

use x509_parser::prelude::*;

use crate::cert::{self, CertInfo};

/// `{bad_cert, Reason}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BadCert {
    /// `unknown_ca`.
    UnknownCa,
    /// `selfsigned_peer`.
    SelfsignedPeer,
    /// `cert_expired` (also for not yet valid).
    CertExpired,
    /// `invalid_issuer`.
    InvalidIssuer,
    /// `invalid_signature`.
    InvalidSignature,
    /// `hostname_check_failed`.
    HostnameCheckFailed,
    /// `invalid_key_usage`.
    InvalidKeyUsage,
    /// `invalid_ext_key_usage`: the extended key usage forbids this role.
    InvalidExtKeyUsage,
    /// `missing_basic_constraint`.
    MissingBasicConstraint,
    /// `name_not_permitted`.
    NameNotPermitted,
    /// `unknown_critical_extension`.
    UnknownCriticalExtension,
    /// `max_path_length_reached`: more intermediates than `depth` allows.
    MaxPathLengthReached,
    /// `{revoked, Reason}` (wassl knows no reason code: `unspecified`).
    Revoked(String),
    /// `{revocation_status_undetermined, Detail}`.
    RevocationStatusUndetermined(String),
    /// Any other reason, as its Erlang term.
    Other(String),
}

impl fmt::Display for BadCert {
    /// The reason as an Erlang term.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BadCert::UnknownCa => write!(f, "unknown_ca"),
            BadCert::SelfsignedPeer => write!(f, "selfsigned_peer"),
            BadCert::CertExpired => write!(f, "cert_expired"),
            BadCert::InvalidIssuer => write!(f, "invalid_issuer"),
            BadCert::InvalidSignature => write!(f, "invalid_signature"),
            BadCert::HostnameCheckFailed => write!(f, "hostname_check_failed"),
            BadCert::InvalidKeyUsage => write!(f, "invalid_key_usage"),
            BadCert::InvalidExtKeyUsage => write!(f, "invalid_ext_key_usage"),
            BadCert::MissingBasicConstraint => write!(f, "missing_basic_constraint"),
            BadCert::NameNotPermitted => write!(f, "name_not_permitted"),
            BadCert::UnknownCriticalExtension => write!(f, "unknown_critical_extension"),
            BadCert::MaxPathLengthReached => write!(f, "max_path_length_reached"),
            BadCert::Revoked(r) => write!(f, "{{revoked,{r}}}"),
            BadCert::RevocationStatusUndetermined(r) => {
                write!(f, "{{revocation_status_undetermined,{r}}}")
            }
            BadCert::Other(t) => write!(f, "{t}"),
        }
    }
}

impl BadCert {
    /// Parse the engine's term text back.
    pub(crate) fn from_term(t: &str) -> BadCert {
        let inner = |p: &str| {
            t.strip_prefix(p)
                .and_then(|r| r.strip_suffix('}'))
                .map(str::to_string)
        };
        match t {
            "unknown_ca" => BadCert::UnknownCa,
            "selfsigned_peer" => BadCert::SelfsignedPeer,
            "cert_expired" => BadCert::CertExpired,
            "invalid_issuer" => BadCert::InvalidIssuer,
            "invalid_signature" => BadCert::InvalidSignature,
            "hostname_check_failed" => BadCert::HostnameCheckFailed,
            "invalid_key_usage" => BadCert::InvalidKeyUsage,
            "invalid_ext_key_usage" => BadCert::InvalidExtKeyUsage,
            "missing_basic_constraint" => BadCert::MissingBasicConstraint,
            "name_not_permitted" => BadCert::NameNotPermitted,
            "unknown_critical_extension" => BadCert::UnknownCriticalExtension,
            "max_path_length_reached" => BadCert::MaxPathLengthReached,
            _ => {
                if let Some(r) = inner("{revoked,") {
                    BadCert::Revoked(r)
                } else if let Some(r) = inner("{revocation_status_undetermined,") {
                    BadCert::RevocationStatusUndetermined(r)
                } else {
                    BadCert::Other(t.to_string())
                }
            }
        }
    }
}

/// An X.509 extension, as `{extension, #'Extension'{}}` gives it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Extension {
    /// Dotted OID, e.g. `1.2.3.4`.
    pub oid: String,
    /// The critical flag.
    pub critical: bool,
    /// The DER value.
    pub value: Vec<u8>,
}

/// The event of one verify_fun call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VerifyEvent {
    /// `{bad_cert, Reason}`: path validation found this problem here.
    BadCert(BadCert),
    /// `{extension, Ext}`: an extension the validation does not know.
    Extension(Extension),
    /// `valid`: an intermediate (CA) certificate that validated.
    Valid,
    /// `valid_peer`: the peer certificate, validated.
    ValidPeer,
}

/// What verify_fun answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VerifyResult<S> {
    /// `{valid, State}`: go on.
    Valid(S),
    /// `{valid_peer, State}`: go on.
    ValidPeer(S),
    /// `{fail, Reason}`: stop; the handshake fails with the matching alert.
    Fail(BadCert),
    /// `{unknown, State}`: for an extension it does not know.
    Unknown(S),
}

/// A certificate of the path, with its DER and decoded fields.
#[derive(Clone, Debug)]
pub struct PeerCert {
    /// DER.
    pub der: Vec<u8>,
    /// Decoded fields (`None` when it could not be decoded).
    pub info: Option<CertInfo>,
    /// Its extensions.
    pub extensions: Vec<Extension>,
    valid_now: bool,
    self_issued: bool,
}

impl PeerCert {
    fn new(der: &[u8]) -> PeerCert {
        let parsed = X509Certificate::from_der(der).ok().map(|(_, c)| c);
        let extensions = parsed
            .as_ref()
            .map(|c| {
                c.extensions()
                    .iter()
                    .map(|e| Extension {
                        oid: e.oid.to_id_string(),
                        critical: e.critical,
                        value: e.value.to_vec(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let valid_now = parsed.as_ref().is_none_or(|c| c.validity().is_valid());
        let self_issued = parsed
            .as_ref()
            .is_some_and(|c| c.subject().as_raw() == c.issuer().as_raw());
        PeerCert {
            der: der.to_vec(),
            info: cert::decode(der).ok(),
            extensions,
            valid_now,
            self_issued,
        }
    }
}

trait RunVerify: Send + Sync {
    fn run(&self, path: &[PeerCert], problem: Option<(usize, BadCert)>) -> Result<(), BadCert>;
}

struct Typed<S, F> {
    fun: F,
    initial: S,
}

/// Extensions path validation handles itself; every other one goes to
/// verify_fun as `{extension, Ext}` (as in OTP: subjectKeyIdentifier and
/// subjectAltName included, checked against Erlang's own verify_fun):
/// basicConstraints, keyUsage, extKeyUsage, nameConstraints and the policy
/// extensions.
const KNOWN_EXTENSIONS: &[&str] = &[
    "2.5.29.19",
    "2.5.29.15",
    "2.5.29.37",
    "2.5.29.30",
    "2.5.29.32",
    "2.5.29.33",
    "2.5.29.36",
    "2.5.29.54",
];

impl<S, F> RunVerify for Typed<S, F>
where
    S: Clone + Send + Sync,
    F: Fn(&PeerCert, &VerifyEvent, S) -> VerifyResult<S> + Send + Sync,
{
    fn run(&self, path: &[PeerCert], mut problem: Option<(usize, BadCert)>) -> Result<(), BadCert> {
        // The order of events follows OTP (checked against its verify_fun):
        // - unknown_ca / selfsigned_peer: the root-most certificate becomes the
        //   anchor; it gets that one event and nothing else;
        // - hostname_check_failed takes the place of the peer's valid_peer;
        // - any other problem comes after its certificate's extension events
        //   and before its valid / valid_peer.
        let mut state = self.initial.clone();
        let last = path.len().saturating_sub(1);
        let call = |cert: &PeerCert, event: VerifyEvent, state: S| (self.fun)(cert, &event, state);
        for (i, cert) in path.iter().enumerate() {
            let here = problem
                .as_ref()
                .filter(|(at, _)| *at == i)
                .map(|(_, r)| r.clone());
            let bad = |state: S, reason: &BadCert| match call(
                cert,
                VerifyEvent::BadCert(reason.clone()),
                state,
            ) {
                VerifyResult::Valid(s) | VerifyResult::ValidPeer(s) => Ok(s),
                VerifyResult::Unknown(_) => Err(reason.clone()),
                VerifyResult::Fail(r) => Err(r),
            };
            if let Some(r @ (BadCert::UnknownCa | BadCert::SelfsignedPeer)) = &here {
                state = bad(state, r)?;
                continue;
            }
            for ext in cert
                .extensions
                .iter()
                .filter(|e| !KNOWN_EXTENSIONS.contains(&e.oid.as_str()))
            {
                match call(cert, VerifyEvent::Extension(ext.clone()), state.clone()) {
                    VerifyResult::Valid(s) | VerifyResult::ValidPeer(s) => {
                        state = s;
                        // The user knows this critical extension: not a problem after all.
                        if ext.critical
                            && matches!(problem, Some((_, BadCert::UnknownCriticalExtension)))
                        {
                            problem = None;
                        }
                    }
                    VerifyResult::Unknown(s) => state = s,
                    VerifyResult::Fail(r) => return Err(r),
                }
            }
            match &here {
                Some(r @ BadCert::HostnameCheckFailed) => {
                    state = bad(state, r)?;
                    continue;
                }
                Some(r) => state = bad(state, r)?,
                None => {}
            }
            let event = if i == last {
                VerifyEvent::ValidPeer
            } else {
                VerifyEvent::Valid
            };
            match call(cert, event, state.clone()) {
                VerifyResult::Valid(s) | VerifyResult::ValidPeer(s) | VerifyResult::Unknown(s) => {
                    state = s
                }
                VerifyResult::Fail(r) => return Err(r),
            }
        }
        Ok(())
    }
}

/// `{verify_fun, {Fun, InitialUserState}}`. The function is called for each
/// certificate of the path, root side first and the peer last; each call
/// gets the state the previous one returned, starting from `initial` for
/// every handshake.
#[derive(Clone)]
pub struct VerifyFun(Arc<dyn RunVerify>);

impl VerifyFun {
    /// `{verify_fun, {fun, initial}}`.
    pub fn new<S, F>(fun: F, initial: S) -> VerifyFun
    where
        S: Clone + Send + Sync + 'static,
        F: Fn(&PeerCert, &VerifyEvent, S) -> VerifyResult<S> + Send + Sync + 'static,
    {
        VerifyFun(Arc::new(Typed { fun, initial }))
    }

    /// Erlang's default for `verify_peer`: fail on any bad_cert, `unknown` for
    /// extensions, accept valid certificates.
    pub fn default_verify_peer() -> VerifyFun {
        VerifyFun::new(
            |_, event, s: ()| match event {
                VerifyEvent::BadCert(r) => VerifyResult::Fail(r.clone()),
                VerifyEvent::Extension(_) => VerifyResult::Unknown(s),
                VerifyEvent::Valid | VerifyEvent::ValidPeer => VerifyResult::Valid(s),
            },
            (),
        )
    }

    /// Erlang's default for `verify_none`: accept everything.
    pub fn default_verify_none() -> VerifyFun {
        VerifyFun::new(
            |_, event, s: ()| match event {
                VerifyEvent::Extension(_) => VerifyResult::Unknown(s),
                _ => VerifyResult::Valid(s),
            },
            (),
        )
    }
}

/// `{partial_chain, Fun}`: given the chain the peer sent (DER, leaf first)
/// when it leads to no trusted CA, name a certificate of it to trust as
/// the anchor (`{trusted_ca, Der}`), or `None` (`unknown_ca`).
#[derive(Clone)]
pub struct PartialChain(pub(crate) Arc<PartialChainFn>);

type PartialChainFn = dyn Fn(&[Vec<u8>]) -> Option<Vec<u8>> + Send + Sync;

impl PartialChain {
    /// Wrap the function.
    pub fn new(f: impl Fn(&[Vec<u8>]) -> Option<Vec<u8>> + Send + Sync + 'static) -> PartialChain {
        PartialChain(Arc::new(f))
    }
}

/// `{customize_hostname_check, [{match_fun, Fun}]}`: called with the
/// expected host name and the peer certificate when the standard check
/// (with wildcards) fails; `true` accepts the name.
#[derive(Clone)]
pub struct MatchFun(pub(crate) Arc<MatchFn>);

type MatchFn = dyn Fn(&str, &PeerCert) -> bool + Send + Sync;

impl MatchFun {
    /// Wrap the function.
    pub fn new(f: impl Fn(&str, &PeerCert) -> bool + Send + Sync + 'static) -> MatchFun {
        MatchFun(Arc::new(f))
    }
}

macro_rules! opaque {
    ($($t:ty => $name:literal),*) => {$(
        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!("#Fun<", $name, ">"))
            }
        }
        impl PartialEq for $t {
            fn eq(&self, other: &Self) -> bool {
                Arc::ptr_eq(&self.0, &other.0)
            }
        }
        impl Eq for $t {}
    )*};
}
opaque!(VerifyFun => "verify_fun", PartialChain => "partial_chain", MatchFun => "match_fun");

/// Everything one socket needs to verify its peer.
#[derive(Clone)]
pub(crate) struct Policy {
    pub(crate) fun: VerifyFun,
    pub(crate) partial_chain: Option<PartialChain>,
    /// Most intermediates allowed after the peer certificate (OTP's default 10).
    pub(crate) depth: usize,
    pub(crate) match_fun: Option<MatchFun>,
}

impl Policy {
    /// Decide on a chain (leaf first) and the engine's first problem.
    pub(crate) fn decide(
        &self,
        chain: &[Vec<u8>],
        server_name: Option<&str>,
        problem: Option<BadCert>,
    ) -> Result<(), BadCert> {
        let certs: Vec<PeerCert> = chain.iter().map(|d| PeerCert::new(d)).collect();
        let Some(leaf) = certs.first() else {
            return Err(BadCert::Other("no_peer_certificate".into()));
        };
        let mut problem = problem;
        if let (Some(BadCert::HostnameCheckFailed), Some(m), Some(name)) =
            (&problem, &self.match_fun, server_name)
        {
            if (m.0)(name, leaf) {
                problem = None;
            }
        }
        // The path, root side first: the intermediates the peer sent (not a
        // self-issued root it may have included), then the peer.
        let mut path: Vec<PeerCert> = certs[1..]
            .iter()
            .rev()
            .filter(|c| !c.self_issued)
            .cloned()
            .collect();
        let intermediates = path.len();
        path.push(leaf.clone());
        if problem.is_none() && intermediates > self.depth {
            problem = Some(BadCert::MaxPathLengthReached);
        }
        let located = problem.map(|p| {
            let at = match p {
                BadCert::UnknownCa
                | BadCert::SelfsignedPeer
                | BadCert::InvalidIssuer
                | BadCert::MaxPathLengthReached => 0,
                BadCert::CertExpired => path
                    .iter()
                    .position(|c| !c.valid_now)
                    .unwrap_or(path.len() - 1),
                _ => path.len() - 1,
            };
            (at, p)
        });
        self.fun.0.run(&path, located)
    }
}

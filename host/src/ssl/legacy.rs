//! Functions of the older manuals (`../shared/reference/` 002 to 004) that
//! modern OTP removed, with the semantics those manuals give them.

use super::{CipherSuite, Reason, SslSocket, Version};
use crate::cert::CertInfo;
use crate::process::Pid;

/// `Type` of `cipher_suites/1` (manual 004).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SuiteType {
    /// `erlang` (what `cipher_suites/0` returns): the suites used by default.
    Erlang,
    /// `openssl`: the same suites by their OpenSSL names.
    Openssl,
    /// `all`: every suite that can be configured. wassl has no legacy
    /// suites to add, so this is the `erlang` list.
    All,
}

/// What `cipher_suites/1` returns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Suites {
    /// `erlang` and `all`: the suites themselves.
    Erlang(Vec<CipherSuite>),
    /// `openssl`: their OpenSSL names (`ECDHE-ECDSA-AES128-GCM-SHA256`).
    Openssl(Vec<String>),
}

/// `ssl:cipher_suites/0,1` (004): every version's suites, TLS 1.3 first.
pub async fn cipher_suites_of(t: SuiteType) -> Result<Suites, Reason> {
    match t {
        SuiteType::Erlang | SuiteType::All => Ok(Suites::Erlang(every_version().await?)),
        SuiteType::Openssl => Ok(Suites::Openssl(openssl_names().await?)),
    }
}

/// The default suites of both versions, TLS 1.3 first.
async fn every_version() -> Result<Vec<CipherSuite>, Reason> {
    let mut all = super::cipher_suites(super::SuiteDescription::Default, Version::Tlsv1_3).await?;
    all.extend(super::cipher_suites(super::SuiteDescription::Default, Version::Tlsv1_2).await?);
    Ok(all)
}

async fn openssl_names() -> Result<Vec<String>, Reason> {
    let mut names = Vec::new();
    for s in &every_version().await? {
        names.push(super::suite_to_openssl_str(s).await?);
    }
    Ok(names)
}

/// `ssl:ciphers/0` (002): the suites as one colon-separated string of
/// OpenSSL names.
pub async fn ciphers() -> Result<String, Reason> {
    Ok(openssl_names().await?.join(":"))
}

/// `ssl:connection_info/1` (004): `{ok, {ProtocolVersion, CipherSuite}}`.
pub async fn connection_info(socket: &SslSocket) -> Result<(Version, CipherSuite), Reason> {
    let i = super::connection_information(socket).await?;
    Ok((i.protocol, i.selected_cipher_suite))
}

/// `ssl:pid/1` (002): the socket's pid, "only to be used for receiving
/// exit messages": [`Pid::exited`] resolves when the socket is gone
/// (closed, or dropped by every holder), and [`Pid::is_alive`] says so.
pub async fn pid(socket: &SslSocket) -> Result<Pid, Reason> {
    socket
        .call(|reply| super::request::Request::Pid { reply })
        .await
}

/// `ssl:seed/1` (002). The old `ssl` seeded OpenSSL's generator from
/// Erlang; wassl's randomness comes from the operating system through the
/// host's `wasi:random` for each sandbox, so there is nothing to seed: the
/// call is accepted and does nothing.
pub fn seed(_data: impl AsRef<[u8]>) -> Result<(), Reason> {
    Ok(())
}

/// `Type` of `start/1` (003, 004).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StartType {
    /// `permanent`.
    Permanent,
    /// `transient`.
    Transient,
    /// `temporary` (what `start/0` uses).
    Temporary,
}

/// `ssl:start/1`: as [`start`](super::start). wassl is a library, not an
/// OTP application, so there is no supervisor for the type to instruct.
pub async fn start_with(_type: StartType) -> Result<(), Reason> {
    super::start().await
}

/// An option of `peercert/2` (002).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PeercertOpt {
    /// `pkix`: the certificate decoded.
    Pkix,
    /// `ssl`: the certificate decoded (the old "more elaborate" form).
    Ssl,
    /// `subject`: only the subject's distinguished name.
    Subject,
}

/// What `peercert/2` returns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PeerCertificate {
    /// No options: the DER binary (as `peercert/1`).
    Der(Vec<u8>),
    /// `pkix` or `ssl`.
    Decoded(CertInfo),
    /// `subject`: e.g. `CN=localhost`.
    Subject(String),
}

/// `ssl:peercert/2` (002): the peer certificate in the form the options ask
/// for; `subject` wins over `pkix` and `ssl`, as in the old manual's order.
pub async fn peercert_with(
    socket: &SslSocket,
    opts: &[PeercertOpt],
) -> Result<PeerCertificate, Reason> {
    let der = super::peercert(socket).await?;
    if opts.contains(&PeercertOpt::Subject) {
        return Ok(PeerCertificate::Subject(crate::cert::decode(&der)?.subject));
    }
    if opts.is_empty() {
        return Ok(PeerCertificate::Der(der));
    }
    Ok(PeerCertificate::Decoded(crate::cert::decode(&der)?))
}

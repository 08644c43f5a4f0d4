//! `sni_fun`, answered between the ClientHello and the rest of the
//! handshake: the owner's function runs in the socket's task, and the engine
//! is configured with its answer (as an `sni_hosts` entry), never asked from
//! inside a call into the sandbox.

use super::SslOption;

/// Whether the options have an `sni_fun` (a server then pauses at the
/// ClientHello to ask it).
pub(crate) fn has_sni_fun(opts: &[SslOption]) -> bool {
    opts.iter().any(|o| matches!(o, SslOption::SniFun(_)))
}

/// `sni_fun` answered for the ClientHello's `name`, as options: its
/// certificates and keys become the one `sni_hosts` entry for that name;
/// `undefined` (or no name, or an answer naming no certificate) leaves the
/// listen socket's; `unrecognized`, or files that cannot be read, an entry
/// with none, so the handshake fails as rustls fails with no certificate
/// (`handshake_failure`).
pub(crate) fn resolve_sni(opts: Vec<SslOption>, name: Option<&str>) -> Vec<SslOption> {
    let mut fun = None;
    let mut rest: Vec<SslOption> = opts
        .into_iter()
        .filter(|o| match o {
            SslOption::SniFun(f) => {
                fun = Some(f.clone());
                false
            }
            _ => true,
        })
        .collect();
    let (Some(f), Some(name)) = (fun, name) else {
        return rest;
    };
    let entry = match (f.0)(name) {
        crate::ssl::SniAnswer::Undefined => return rest,
        crate::ssl::SniAnswer::Unrecognized => Vec::new(),
        crate::ssl::SniAnswer::Options(answer) => match super::engine::sni_cert_keys(&answer) {
            Ok(list) if list.is_empty() => return rest,
            Ok(_) => answer,
            Err(_) => Vec::new(),
        },
    };
    rest.push(SslOption::SniHosts(vec![(name.to_string(), entry)]));
    rest
}

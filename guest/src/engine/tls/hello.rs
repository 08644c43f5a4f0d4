//! A server paused at the ClientHello (`{handshake, hello}`).

use super::*;

/// A server stopped at the ClientHello (`{handshake, hello}`): rustls's
/// `Acceptor` reads it before any configuration applies.
#[derive(Default)]
pub struct PausedServer {
    pub(super) acceptor: rustls::server::Acceptor,
    pub(super) accepted: Option<rustls::server::Accepted>,
    /// The hello's records as received, for supported_versions (which
    /// rustls does not show).
    pub(super) raw: Vec<u8>,
    pub(super) failed: Option<TlsError>,
}

impl std::fmt::Debug for PausedServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PausedServer")
            .field("hello_read", &self.accepted.is_some())
            .finish()
    }
}

/// A ClientHello larger than this is refused (rustls caps it lower still).
pub(super) const MAX_HELLO: usize = 64 * 1024;

impl PausedServer {
    /// Fail with rustls's alert, or (none given) a plaintext one of ours:
    /// no keys exist before the ServerHello.
    pub(super) fn fail(
        &mut self,
        e: Error,
        alert: Option<rustls::server::AcceptedAlert>,
    ) -> Failure {
        let code = local_alert(&e).0;
        let mut output = Vec::new();
        match alert {
            Some(mut a) => {
                let _ = a.write_all(&mut output);
            }
            None => output.extend_from_slice(&[21, 3, 3, 0, 2, 2, code]),
        }
        let error = super::super::alert_error(Role::Server, code, true, Some(&e.to_string()));
        self.failed = Some(error.clone());
        Failure { error, output }
    }

    /// Bytes from the client, until its hello is whole.
    pub fn feed(&mut self, data: &[u8]) -> Result<Progress, Failure> {
        if let Some(e) = &self.failed {
            return Err(Failure {
                error: e.clone(),
                output: Vec::new(),
            });
        }
        if self.accepted.is_some() {
            // Nothing more is read until `resume`: the client waits for us.
            self.raw.extend_from_slice(data);
            return Ok(Progress::default());
        }
        if self.raw.len() + data.len() > MAX_HELLO {
            let e = Error::General("ClientHello too large".into());
            return Err(self.fail(e, None));
        }
        self.raw.extend_from_slice(data);
        let mut rd = data;
        while !rd.is_empty() {
            if let Err(e) = self.acceptor.read_tls(&mut rd) {
                let e = Error::General(format!("read_tls: {e}"));
                return Err(self.fail(e, None));
            }
        }
        match self.acceptor.accept() {
            Ok(Some(a)) => self.accepted = Some(a),
            Ok(None) => {}
            Err((e, alert)) => return Err(self.fail(e, Some(alert))),
        }
        Ok(Progress::default())
    }

    /// The hello, once read.
    pub fn client_hello(&self) -> Option<ClientHelloInfo> {
        let ch = self.accepted.as_ref()?.client_hello();
        Some(ClientHelloInfo {
            sni: ch.server_name().map(str::to_string),
            alpn: ch
                .alpn()
                .map(|i| i.map(<[u8]>::to_vec).collect())
                .unwrap_or_default(),
            versions: super::super::hello_versions(&self.raw).unwrap_or_default(),
            cipher_suites: ch.cipher_suites().iter().map(|c| u16::from(*c)).collect(),
            signature_algs: ch
                .signature_schemes()
                .iter()
                .map(|s| {
                    SIGALGS
                        .iter()
                        .find(|(_, x)| x == s)
                        .map_or_else(|| format!("{s:?}").to_lowercase(), |(n, _)| n.to_string())
                })
                .collect(),
            groups: ch
                .named_groups()
                .unwrap_or_default()
                .iter()
                .map(|g| group_name(*g))
                .collect(),
        })
    }

    /// `handshake_continue`: the server under `cfg`, and its first flight.
    pub fn resume(mut self, cfg: &Config) -> Result<(Connection, Progress), Failure> {
        let sc = cfg.server.clone().ok_or_else(|| Failure {
            error: TlsError::Einval("config is for a client".into()),
            output: Vec::new(),
        })?;
        let Some(accepted) = self.accepted.take() else {
            return Err(Failure {
                error: TlsError::Einval("the ClientHello has not been read".into()),
                output: Vec::new(),
            });
        };
        let conn = match accepted.into_connection(sc) {
            Ok(c) => c,
            Err((e, alert)) => return Err(self.fail(e, Some(alert))),
        };
        let mut c = Connection::fresh(Role::Server, conn.into(), cfg, None);
        // It has read the ClientHello.
        c.accepted = true;
        let p = c.feed(&[])?;
        Ok((c, p))
    }
}

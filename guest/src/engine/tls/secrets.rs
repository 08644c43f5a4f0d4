//! The secrets a connection keeps: for the key log, `prf/5`, and the
//! hand-off of the records to the host.

use super::*;

/// What the key log and the PRF let the engine keep of a connection. One
/// configuration serves one connection in a sandbox, so labels are enough.
#[derive(Default)]
pub(super) struct Kept {
    /// The secrets a hand-off needs, by label.
    pub(super) secrets: Vec<(&'static str, Vec<u8>)>,
    /// The ClientHello's random: every key log line carries it.
    pub(super) client_random: Option<Vec<u8>>,
    /// TLS 1.2: the master secret and both randoms, from the key block's
    /// derivation (see `Connection::tls12_inputs`).
    pub(super) tls12: Option<KeyBlockInputs>,
}

impl std::fmt::Debug for Kept {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let labels: Vec<_> = self.secrets.iter().map(|(l, _)| *l).collect();
        f.debug_struct("Kept")
            .field("secrets", &labels)
            .finish_non_exhaustive()
    }
}

impl Kept {
    pub(super) fn secret(&self, label: &str) -> Option<Vec<u8>> {
        self.secrets
            .iter()
            .find(|(l, _)| *l == label)
            .map(|(_, s)| s.clone())
    }
}

pub(super) type Secrets = Arc<Mutex<Kept>>;

/// The labels a record layer outside the sandbox needs (TLS 1.3's traffic
/// and exporter secrets, TLS 1.2's master secret).
pub(super) const HAND_OFF_LABELS: [&str; 4] = [
    "CLIENT_TRAFFIC_SECRET_0",
    "SERVER_TRAFFIC_SECRET_0",
    "EXPORTER_SECRET",
    "CLIENT_RANDOM",
];

/// Keeps the secrets a hand-off needs, and sends every secret to the
/// host's key log when `keep_secrets` asked for it.
#[derive(Debug)]
pub(super) struct SecretLog {
    pub(super) forward: Option<Arc<dyn VerifyHook>>,
    pub(super) kept: Secrets,
}

impl rustls::KeyLog for SecretLog {
    fn will_log(&self, label: &str) -> bool {
        self.forward.is_some() || HAND_OFF_LABELS.contains(&label)
    }

    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        if let Some(hook) = &self.forward {
            hook.keylog(label, client_random, secret);
        }
        if let Some(l) = HAND_OFF_LABELS.iter().find(|l| **l == label) {
            if let Ok(mut kept) = self.kept.lock() {
                kept.secrets.retain(|(k, _)| k != l);
                kept.secrets.push((l, secret.to_vec()));
                kept.client_random = Some(client_random.to_vec());
            }
        }
    }
}

//! `TlsAcceptor::max_handshakes_per_address`: how many handshakes one peer
//! IP address may have in progress at once. Past it a new connection from
//! that address is refused at once (a fatal `internal_error` alert in the
//! clear, then close), so one host trickling handshakes cannot take every
//! sandbox slot from everybody else.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

/// The counts, shared by every clone of one acceptor.
pub(super) struct PerAddress {
    limit: u32,
    counts: Mutex<HashMap<IpAddr, u32>>,
}

/// One handshake counted for its address until dropped.
pub(super) struct Counted {
    shared: Arc<PerAddress>,
    ip: IpAddr,
}

impl PerAddress {
    pub(super) fn new(limit: u32) -> Arc<PerAddress> {
        Arc::new(PerAddress {
            limit,
            counts: Mutex::new(HashMap::new()),
        })
    }

    /// Count a handshake from `ip`, unless that address is at the limit.
    pub(super) fn enter(self: &Arc<Self>, ip: IpAddr) -> Option<Counted> {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        let n = counts.entry(ip).or_insert(0);
        if *n >= self.limit {
            return None;
        }
        *n += 1;
        Some(Counted {
            shared: self.clone(),
            ip,
        })
    }

    #[cfg(test)]
    fn tracked(&self) -> usize {
        self.counts.lock().unwrap().len()
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        let mut counts = self.shared.counts.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = counts.get_mut(&self.ip) {
            *n -= 1;
            // No entry kept for an address with nothing in progress: the
            // map stays as small as the set of addresses handshaking now.
            if *n == 0 {
                counts.remove(&self.ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_address_and_forgets_idle_ones() {
        let p = PerAddress::new(2);
        let (a, b): (IpAddr, IpAddr) = ("192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap());
        let a1 = p.enter(a).unwrap();
        let a2 = p.enter(a).unwrap();
        assert!(p.enter(a).is_none(), "a third from one address");
        let b1 = p.enter(b).unwrap();
        drop(a1);
        let a3 = p.enter(a).unwrap();
        drop((a2, a3, b1));
        assert_eq!(p.tracked(), 0);
    }
}

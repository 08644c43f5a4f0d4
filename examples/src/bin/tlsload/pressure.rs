//! `--hold N` and `--trickle N`: hostile background load while a run
//! measures. Held connections connect and send nothing; trickling ones
//! send a ClientHello one byte every half second. Both are reopened when
//! the server drops them (its handshake deadline), so the pressure stays
//! constant for the whole run.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// The start of a ClientHello: a handshake record of 512 bytes, never sent whole.
const HELLO_PREFIX: [u8; 11] = [22, 3, 1, 2, 0, 1, 0, 1, 252, 3, 3];

/// Background connections, kept until `stop`.
pub(crate) struct Pressure {
    stop: Arc<AtomicBool>,
    reopened: Arc<AtomicUsize>,
    thread: Option<JoinHandle<()>>,
}

struct Conn {
    tcp: Option<TcpStream>,
    sent: usize,
    trickle: bool,
}

fn open(addr: &str) -> Option<TcpStream> {
    let tcp = TcpStream::connect(addr).ok()?;
    tcp.set_nonblocking(true).ok()?;
    Some(tcp)
}

impl Pressure {
    pub(crate) fn start(addr: &str, hold: usize, trickle: usize) -> Pressure {
        let stop = Arc::new(AtomicBool::new(false));
        let reopened = Arc::new(AtomicUsize::new(0));
        let mut conns: Vec<Conn> = (0..hold + trickle)
            .map(|i| Conn {
                tcp: open(addr),
                sent: 0,
                trickle: i >= hold,
            })
            .collect();
        let (s, r, addr) = (stop.clone(), reopened.clone(), addr.to_string());
        let thread = std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                for c in &mut conns {
                    let alive = match &mut c.tcp {
                        None => false,
                        Some(tcp) => {
                            let mut b = [0u8; 64];
                            let closed = match tcp.read(&mut b) {
                                Ok(_) => true, // an alert or EOF: the server gave up on it
                                Err(e) => e.kind() != ErrorKind::WouldBlock,
                            };
                            let wrote = !c.trickle
                                || tcp
                                    .write(&[HELLO_PREFIX.get(c.sent).copied().unwrap_or(0)])
                                    .is_ok();
                            c.sent += 1;
                            !closed && wrote
                        }
                    };
                    if !alive {
                        c.tcp = open(&addr);
                        c.sent = 0;
                        r.fetch_add(1, Ordering::Relaxed);
                    }
                }
                std::thread::sleep(Duration::from_millis(500));
            }
        });
        Pressure {
            stop,
            reopened,
            thread: Some(thread),
        }
    }

    /// Close everything; how many times a connection had to be reopened.
    pub(crate) fn stop(mut self) -> usize {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        self.reopened.load(Ordering::Relaxed)
    }
}

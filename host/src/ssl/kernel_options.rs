//! The inet options the kernel keeps (`nodelay`, `keepalive`, `sndbuf`,
//! `recbuf`, `linger`): set only when named, read back from the kernel, as
//! OTP's `inet:setopts`/`inet:getopts` do. A user's socket upgraded to TLS
//! keeps what the user set on it before.
#![allow(unsafe_code)]

use std::os::fd::AsRawFd;
use std::time::Duration;

use tokio::net::TcpStream;

use super::options::{OptName, SslOption};

/// Set the kernel's share of `opts` on `tcp`; the rest is not touched, so a
/// socket given none of them costs no system call.
pub(crate) fn set(tcp: &TcpStream, opts: &[SslOption]) {
    let sock = socket2::SockRef::from(tcp);
    for o in opts {
        let _ = match *o {
            SslOption::Nodelay(b) => tcp.set_nodelay(b),
            SslOption::Keepalive(b) => sock.set_keepalive(b),
            SslOption::Sndbuf(n) => sock.set_send_buffer_size(n),
            SslOption::Recbuf(n) => sock.set_recv_buffer_size(n),
            SslOption::Linger(on, secs) => {
                sock.set_linger(on.then(|| Duration::from_secs(secs.into())))
            }
            _ => Ok(()),
        };
    }
}

/// What the kernel has for `name`, if it is a kernel option.
pub(crate) fn get(tcp: &TcpStream, name: &OptName) -> Option<SslOption> {
    let sock = socket2::SockRef::from(tcp);
    Some(match name {
        OptName::Sndbuf => SslOption::Sndbuf(sock.send_buffer_size().unwrap_or(0)),
        OptName::Recbuf => SslOption::Recbuf(sock.recv_buffer_size().unwrap_or(0)),
        OptName::Nodelay => SslOption::Nodelay(tcp.nodelay().unwrap_or(false)),
        OptName::Keepalive => SslOption::Keepalive(sock.keepalive().unwrap_or(false)),
        OptName::Linger => {
            let (on, secs) = linger(tcp);
            SslOption::Linger(on, secs)
        }
        _ => return None,
    })
}

/// `SO_LINGER` as the kernel keeps it. Turned off, it keeps its seconds
/// (`{linger,{false,7}}` in Erlang), which socket2's `linger()` drops.
fn linger(tcp: &TcpStream) -> (bool, u32) {
    let mut l = libc::linger {
        l_onoff: 0,
        l_linger: 0,
    };
    let mut len = std::mem::size_of::<libc::linger>() as libc::socklen_t;
    // SAFETY: `l` and `len` are live locals of the size the call is told;
    // the descriptor is borrowed from `tcp` for the call.
    let r = unsafe {
        libc::getsockopt(
            tcp.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&raw mut l).cast(),
            &mut len,
        )
    };
    if r != 0 {
        return (false, 0);
    }
    (l.l_onoff != 0, l.l_linger.max(0) as u32)
}

//! `s_server`: a TLS echo server on wassl, with `openssl s_server`'s flags.
//!
//! ```text
//! s_server -accept 4433 -cert server.pem -key server.key [-CAfile ca.pem]
//!          [-verify N | -Verify N] [-alpn h2,http/1.1] [-tls1_2 | -tls1_3] [-naccept N]
//!          [-tickets none|stateful|stateless] [-nodelay]
//! ```
//! Each client is served in its own process (and its own sandbox); what it
//! sends is echoed back.

use wassl::process::{self, Message};
use wassl::ssl::{self, Active, Mode, SslOption, Verify, Version};
use wassl_examples::{alpn_list, print_session, Flags};

const USAGE: &str =
    "usage: s_server -accept PORT -cert FILE -key FILE [-CAfile FILE] [-verify N|-Verify N] \
[-alpn LIST] [-tls1_2|-tls1_3] [-naccept N] [-tickets none|stateful|stateless] [-nodelay]";

/// Packets delivered between two `setopts`: enough that re-arming costs
/// little, few enough that the mailbox holds at most 32 reads.
const ACTIVE: Active = Active::N(32);

#[tokio::main]
async fn main() {
    let f = Flags::from_env();
    f.check(
        USAGE,
        &["-tls1_2", "-tls1_3", "-quiet", "-nodelay"],
        &[
            "-accept", "-cert", "-key", "-CAfile", "-verify", "-Verify", "-alpn", "-naccept",
            "-tickets",
        ],
    );
    let port: u16 = f
        .value("-accept")
        .and_then(|p| p.parse().ok())
        .unwrap_or(4433);
    let mut opts = vec![
        SslOption::Mode(Mode::Binary),
        SslOption::Reuseaddr(true),
        // A production backlog: OpenSSL's s_server default of 5 overflowed under load.
        SslOption::Backlog(1024),
        // `{active, N}`: the echo is held back by TCP as a read-then-write
        // server is. With `{active, true}` a peer that writes faster than
        // the echo goes out fills the owner's mailbox without limit, as in
        // Erlang.
        SslOption::Active(ACTIVE),
    ];
    match (f.value("-cert"), f.value("-key")) {
        (Some(c), k) => {
            opts.push(SslOption::Certfile(c.into()));
            if let Some(k) = k {
                opts.push(SslOption::Keyfile(k.into()));
            }
        }
        _ => {
            eprintln!("s_server: -cert is required\n{USAGE}");
            std::process::exit(2);
        }
    }
    if let Some(ca) = f.value("-CAfile") {
        opts.push(SslOption::Cacertfile(ca.into()));
    }
    if f.value("-verify").is_some() || f.value("-Verify").is_some() {
        opts.push(SslOption::Verify(Verify::VerifyPeer));
        opts.push(SslOption::FailIfNoPeerCert(f.value("-Verify").is_some()));
    }
    if let Some(a) = f.value("-alpn") {
        opts.push(SslOption::AlpnPreferredProtocols(alpn_list(&a)));
    }
    if f.has("-tls1_2") {
        opts.push(SslOption::Versions(vec![Version::Tlsv1_2]));
    } else if f.has("-tls1_3") {
        opts.push(SslOption::Versions(vec![Version::Tlsv1_3]));
    }
    // TLS 1.3 tickets (wassl's flag; TLS 1.2 resumes by session ID anyway).
    match f.value("-tickets").as_deref() {
        None | Some("none") => {}
        Some("stateful") => opts.push(SslOption::SessionTickets(ssl::SessionTickets::Stateful)),
        Some("stateless") => opts.push(SslOption::SessionTickets(ssl::SessionTickets::Stateless)),
        Some(other) => {
            eprintln!("s_server: -tickets {other}: none, stateful or stateless\n{USAGE}");
            std::process::exit(2);
        }
    }
    // wassl's flag: `{nodelay, true}` on each accepted socket, so that
    // what follows the server's tickets is not held back until the client
    // acknowledges them (Nagle's algorithm against a delayed ACK).
    if f.has("-nodelay") {
        opts.push(SslOption::Nodelay(true));
    }
    let naccept: Option<usize> = f.value("-naccept").and_then(|n| n.parse().ok());
    let quiet = f.has("-quiet");
    // The accept loop runs on a worker, not on main's own thread: each
    // accept and hand-over is a message to a socket's task, and a reply
    // that must wake the main thread costs a futex wake-up both ways.
    let code = tokio::spawn(process::run(async move {
        let l = match ssl::listen(port, opts).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("s_server: {}", ssl::format_error(&e));
                return 1;
            }
        };
        let port = ssl::sockname(&l).await.map(|a| a.port()).unwrap_or(port);
        eprintln!("ACCEPT 0.0.0.0:{port}");
        let mut served = 0;
        let mut workers = Vec::new();
        while naccept.is_none_or(|n| served < n) {
            let t = match ssl::transport_accept(&l, ssl::Timeout::Infinity).await {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("s_server: accept: {}", ssl::format_error(&e));
                    continue;
                }
            };
            served += 1;
            let (done_tx, done_rx) = tokio::sync::oneshot::channel::<()>();
            // Only the connections still open are waited for at the end.
            workers.retain_mut(|w: &mut tokio::sync::oneshot::Receiver<()>| {
                matches!(
                    w.try_recv(),
                    Err(tokio::sync::oneshot::error::TryRecvError::Empty)
                )
            });
            workers.push(done_rx);
            let worker = process::spawn(async move {
                let Some(Message::Other(m)) = process::receive().await.into() else {
                    return;
                };
                let Ok(t) = m.downcast::<ssl::SslSocket>() else {
                    return;
                };
                match ssl::handshake(&t, 30_000).await {
                    Ok(s) => {
                        if !quiet {
                            print_session(&s).await;
                        }
                        loop {
                            match process::receive().await {
                                Message::Ssl(s, data) => {
                                    if !quiet {
                                        eprint!("{}", String::from_utf8_lossy(data.as_bytes()));
                                    }
                                    if ssl::send(&s, data).await.is_err() {
                                        break;
                                    }
                                }
                                Message::SslPassive(s) => {
                                    let again = vec![SslOption::Active(ACTIVE)];
                                    if ssl::setopts(&s, again).await.is_err() {
                                        break;
                                    }
                                }
                                Message::SslClosed(_) => {
                                    // `-quiet` is silent, as OpenSSL's: a line
                                    // per connection is a write per connection.
                                    if !quiet {
                                        eprintln!("DONE");
                                    }
                                    break;
                                }
                                Message::SslError(_, e) => {
                                    eprintln!("ERROR {}", ssl::format_error(&e));
                                    break;
                                }
                                _ => {}
                            }
                        }
                    }
                    Err(e) => eprintln!("handshake failed: {}", ssl::format_error(&e)),
                }
                let _ = done_tx.send(());
            });
            let _ = ssl::controlling_process(&t, &worker).await;
            worker.send(t);
        }
        for w in workers {
            let _ = w.await;
        }
        0
    }))
    .await
    .unwrap_or(1);
    std::process::exit(code);
}

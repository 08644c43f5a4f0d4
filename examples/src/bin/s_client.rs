//! `s_client`: a TLS client on wassl, with `openssl s_client`'s flags.
//!
//! ```text
//! s_client -connect host:port [-servername NAME | -noservername] [-CAfile ca.pem]
//!          [-cert c.pem -key k.pem] [-alpn LIST] [-tls1_2 | -tls1_3] [-verify_none]
//! ```
//! Lines read from stdin are sent; what arrives is written to stdout. The
//! server is verified by default (OTP 26 semantics: verify_peer, with the
//! webpki-roots store when no -CAfile is given); `-verify_none` turns it off.

use tokio::io::{AsyncBufReadExt, BufReader};
use wassl::process::{self, Message};
use wassl::ssl::{self, Mode, ServerNameIndication, SslOption, Verify, Version};
use wassl_examples::{alpn_list, print_session, Flags};

const USAGE: &str =
    "usage: s_client -connect HOST:PORT [-servername NAME|-noservername] [-CAfile FILE] \
[-cert FILE -key FILE] [-alpn LIST] [-tls1_2|-tls1_3] [-verify_none] [-quiet]";

#[tokio::main]
async fn main() {
    let f = Flags::from_env();
    f.check(
        USAGE,
        &[
            "-tls1_2",
            "-tls1_3",
            "-quiet",
            "-noservername",
            "-verify_none",
        ],
        &[
            "-connect",
            "-servername",
            "-CAfile",
            "-cert",
            "-key",
            "-alpn",
            "-verify",
        ],
    );
    let target = f
        .value("-connect")
        .unwrap_or_else(|| "localhost:4433".into());
    let Some((host, port)) = target
        .rsplit_once(':')
        .and_then(|(h, p)| Some((h.to_string(), p.parse::<u16>().ok()?)))
    else {
        eprintln!("s_client: -connect wants HOST:PORT\n{USAGE}");
        std::process::exit(2);
    };
    let mut opts = vec![
        SslOption::Mode(Mode::Binary),
        SslOption::Active(ssl::Active::True),
    ];
    if let Some(ca) = f.value("-CAfile") {
        opts.push(SslOption::Cacertfile(ca.into()));
    }
    if f.has("-verify_none") {
        opts.push(SslOption::Verify(Verify::VerifyNone));
    }
    if let Some(name) = f.value("-servername") {
        opts.push(SslOption::ServerNameIndication(ServerNameIndication::Host(
            name,
        )));
    } else if f.has("-noservername") {
        opts.push(SslOption::ServerNameIndication(
            ServerNameIndication::Disable,
        ));
    }
    if let Some(c) = f.value("-cert") {
        opts.push(SslOption::Certfile(c.into()));
        if let Some(k) = f.value("-key") {
            opts.push(SslOption::Keyfile(k.into()));
        }
    }
    if let Some(a) = f.value("-alpn") {
        opts.push(SslOption::AlpnAdvertisedProtocols(alpn_list(&a)));
    }
    if f.has("-tls1_2") {
        opts.push(SslOption::Versions(vec![Version::Tlsv1_2]));
    } else if f.has("-tls1_3") {
        opts.push(SslOption::Versions(vec![Version::Tlsv1_3]));
    }
    let quiet = f.has("-quiet");
    let code = process::run(async move {
        let s = match ssl::connect(&host, port, opts, 30_000).await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("s_client: {e}\n{}", ssl::format_error(&e));
                return 1;
            }
        };
        eprintln!("CONNECTED {host}:{port}");
        if !quiet {
            print_session(&s).await;
        }
        let mut stdin = BufReader::new(tokio::io::stdin()).lines();
        let mut stdin_open = true;
        let mut out = std::io::stdout();
        loop {
            tokio::select! {
                line = stdin.next_line(), if stdin_open => match line {
                    Ok(Some(l)) => {
                        if let Err(e) = ssl::send(&s, format!("{l}\n")).await {
                            // The peer may have answered and closed: read what came first.
                            eprintln!("s_client: send: {}", ssl::format_error(&e));
                            stdin_open = false;
                        }
                    }
                    // End of input: stay for the replies still in flight, then close.
                    _ => stdin_open = false,
                },
                msg = process::receive_timeout(if stdin_open { 3_600_000 } else { 2_000 }) => match msg {
                    Some(Message::Ssl(_, data)) => {
                        use std::io::Write;
                        let _ = out.write_all(data.as_bytes());
                        let _ = out.flush();
                    }
                    Some(Message::SslClosed(_)) => { eprintln!("closed by peer"); return 0 }
                    Some(Message::SslError(_, e)) => { eprintln!("s_client: {}", ssl::format_error(&e)); return 1 }
                    Some(_) => {}
                    None => break,
                },
            }
        }
        let _ = ssl::close(&s).await;
        0
    })
    .await;
    std::process::exit(code);
}

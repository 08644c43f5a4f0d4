//! wassl against GnuTLS (`gnutls-cli`, `gnutls-serv`): a third TLS stack
//! nobody here wrote. Resumption (TLS 1.2 session IDs, TLS 1.3 tickets) and
//! key updates in both directions.

use wassl::process::{self, Message};
use wassl::ssl::{self, KeyUpdate, SessionTickets, SslOption, Version};
use wassl_tests::{free_port, scripted_server, skip_interop, Peer, Pki};

/// An echo server: every chunk goes back as it came.
async fn echo_server(pki: &Pki, extra: Vec<SslOption>) -> u16 {
    scripted_server(pki, extra, |s| async move {
        while let Some(Message::Ssl(_, d)) = process::receive_timeout(10_000).await {
            if ssl::send(&s, d.as_bytes()).await.is_err() {
                return;
            }
        }
    })
    .await
}

fn gnutls_cli(pki: &Pki, port: u16, extra: &[&str]) -> Peer {
    let port = port.to_string();
    let mut args = vec![
        "--x509cafile",
        pki.ca.id.certfile.to_str().unwrap(),
        "--port",
        &port,
    ];
    args.extend_from_slice(extra);
    args.push("localhost");
    Peer::start("gnutls-cli", &args, b"", false)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gnutls_cli_resumes_with_a_wassl_server() {
    if skip_interop() {
        return;
    }
    let pki = Pki::new();
    let port = echo_server(
        &pki,
        vec![SslOption::SessionTickets(SessionTickets::Stateless)],
    )
    .await;
    for (priority, name) in [
        ("NORMAL:-VERS-ALL:+VERS-TLS1.2", "TLS1.2"),
        ("NORMAL:-VERS-ALL:+VERS-TLS1.3", "TLS1.3"),
    ] {
        let prio = format!("--priority={priority}");
        let mut cli = gnutls_cli(&pki, port, &[&prio, "--resume"]);
        cli.expect(&format!("- Description: ({name}-"), 10);
        cli.expect("*** This is a resumed session", 10);
        cli.send(b"after resumption\n");
        cli.expect("after resumption", 10);
    }
}

/// gnutls-cli's `^rekey^` asks for our KeyUpdate too, `^rekey1^` does not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gnutls_cli_updates_keys_against_a_wassl_server() {
    if skip_interop() {
        return;
    }
    let pki = Pki::new();
    let port = echo_server(&pki, vec![]).await;
    let mut cli = gnutls_cli(&pki, port, &["--inline-commands"]);
    cli.expect("- Description: (TLS1.3-", 10);
    cli.expect("- Handshake was completed", 10);
    cli.send(b"one\n");
    cli.expect("one", 10);
    for cmd in ["^rekey^\n", "^rekey1^\n"] {
        cli.send(cmd.as_bytes());
        cli.send(b"after a key update\n");
        cli.expect("after a key update", 10);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wassl_client_updates_keys_against_gnutls_serv() {
    if skip_interop() {
        return;
    }
    let pki = Pki::new();
    let port = free_port();
    let mut serv = Peer::start(
        "gnutls-serv",
        &[
            "--echo",
            "--port",
            &port.to_string(),
            "--x509certfile",
            pki.server.certfile.to_str().unwrap(),
            "--x509keyfile",
            pki.server.keyfile.to_str().unwrap(),
        ],
        b"",
        false,
    );
    serv.expect("Echo Server listening", 10);
    for v in [Version::Tlsv1_3, Version::Tlsv1_2] {
        process::run(async {
            let s = wassl_tests::pki_client(
                &pki,
                port,
                vec![
                    SslOption::Versions(vec![v]),
                    SslOption::Active(ssl::Active::False),
                ],
            )
            .await;
            ssl::send(&s, b"before\n").await.unwrap();
            assert_eq!(
                ssl::recv(&s, 0, 5_000).await.unwrap().as_bytes(),
                b"before\n"
            );
            let r = ssl::update_keys(&s, KeyUpdate::ReadWrite).await;
            if v == Version::Tlsv1_2 {
                // TLS 1.2 has no key update: OTP's answer.
                assert_eq!(r, Err(ssl::Reason::Posix("notsup".into())));
            } else {
                r.unwrap();
            }
            ssl::send(&s, b"after\n").await.unwrap();
            assert_eq!(
                ssl::recv(&s, 0, 5_000).await.unwrap().as_bytes(),
                b"after\n"
            );
            ssl::close(&s).await.unwrap();
        })
        .await;
    }
}

/// gnutls-cli's 0-RTT: `--resume --earlydata=FILE` sends FILE as early data
/// on the resumed connection; a wassl server with `{early_data, enabled}`
/// accepts it and its owner gets the bytes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gnutls_cli_sends_early_data_to_a_wassl_server() {
    if skip_interop() {
        return;
    }
    let pki = Pki::new();
    let (tx, mut got) = tokio::sync::mpsc::unbounded_channel();
    let port = scripted_server(
        &pki,
        vec![
            SslOption::SessionTickets(SessionTickets::Stateful),
            SslOption::EarlyData(ssl::EarlyData::Enabled),
        ],
        move |s| {
            let tx = tx.clone();
            async move {
                let mut data = Vec::new();
                while let Some(Message::Ssl(_, d)) = process::receive_timeout(1_000).await {
                    data.extend_from_slice(d.as_bytes());
                }
                let resumed = ssl::connection_information(&s)
                    .await
                    .map(|i| i.session_resumption)
                    .unwrap_or(false);
                let _ = tx.send((resumed, String::from_utf8_lossy(&data).into_owned()));
            }
        },
    )
    .await;
    let early = wassl_tests::scratch_dir("gnutls-early").join("early.txt");
    std::fs::write(&early, "early from gnutls\n").unwrap();
    let flag = format!("--earlydata={}", early.display());
    let mut cli = gnutls_cli(&pki, port, &["--resume", &flag]);
    cli.expect("*** This is a resumed session", 10);
    let first = got.recv().await.unwrap();
    assert!(
        !first.0,
        "the first connection is a full handshake: {first:?}"
    );
    let (resumed, data) = got.recv().await.unwrap();
    assert!(resumed);
    assert_eq!(data, "early from gnutls\n");
}

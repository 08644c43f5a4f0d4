//! wassl against OpenSSL (`openssl s_server` / `s_client`): TLS 1.2 and 1.3,
//! data echoed and checked, and the three certificate failures seen from
//! both sides.

use wassl::process::{self, Message};
use wassl::ssl::{self, Mode, Packet, Reason, SslOption, Verify};
use wassl_tests::{free_port, skip_interop, tls_alert, Identity, Peer, Pki};

fn openssl_server(id: &Identity, version: &str, port: u16) -> Peer {
    let port = port.to_string();
    let (cert, key) = (id.certfile.to_str().unwrap(), id.keyfile.to_str().unwrap());
    let mut p = Peer::start(
        "openssl",
        &[
            "s_server", "-accept", &port, "-cert", cert, "-key", key, "-rev", version, "-naccept",
            "1",
        ],
        b"",
        false,
    );
    p.expect("ACCEPT", 10);
    p
}

fn client_opts(ca: &Identity) -> Vec<SslOption> {
    vec![
        SslOption::Cacertfile(ca.certfile.clone()),
        SslOption::Verify(Verify::VerifyPeer),
        SslOption::Mode(Mode::Binary),
        SslOption::Active(ssl::Active::False),
        SslOption::Packet(Packet::Line),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wassl_client_to_openssl_server_both_versions() {
    if skip_interop() {
        return;
    }
    let pki = Pki::new();
    for (flag, want) in [
        ("-tls1_2", ssl::Version::Tlsv1_2),
        ("-tls1_3", ssl::Version::Tlsv1_3),
    ] {
        let port = free_port();
        let _server = openssl_server(&pki.server, flag, port);
        process::run(async {
            let s = ssl::connect("localhost", port, client_opts(&pki.ca.id), 10_000)
                .await
                .expect("connect");
            assert_eq!(
                ssl::connection_information(&s).await.unwrap().protocol,
                want
            );
            // -rev answers each line reversed: data really went through both ways.
            ssl::send(&s, b"hello wassl\n").await.unwrap();
            let got = ssl::recv(&s, 0, 10_000).await.unwrap();
            assert_eq!(got.as_bytes(), b"lssaw olleh\n");
            ssl::close(&s).await.unwrap();
        })
        .await;
    }
}

/// An echo server that answers one line and closes, so `openssl s_client` ends.
async fn one_shot_server(
    pki: &Pki,
    extra: Vec<SslOption>,
) -> (u16, tokio::sync::oneshot::Receiver<Result<(), Reason>>) {
    let opts = [vec![SslOption::Mode(Mode::Binary)], extra].concat();
    wassl_tests::serve_one(&pki.server, opts, |s| async move {
        if let Some(Message::Ssl(_, d)) = process::receive_timeout(10_000).await {
            ssl::send(&s, d.as_bytes()).await.unwrap();
        }
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        ssl::close(&s).await.unwrap();
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openssl_client_to_wassl_server_both_versions() {
    if skip_interop() {
        return;
    }
    let pki = Pki::new();
    for (flag, name) in [("-tls1_2", "TLSv1.2"), ("-tls1_3", "TLSv1.3")] {
        let (port, result) = one_shot_server(&pki, vec![]).await;
        let connect = format!("127.0.0.1:{port}");
        let mut client = Peer::start(
            "openssl",
            &[
                "s_client",
                "-connect",
                &connect,
                "-servername",
                "localhost",
                "-CAfile",
                pki.ca.id.certfile.to_str().unwrap(),
                "-verify_return_error",
                flag,
                "-ign_eof",
            ],
            b"ping from openssl\n",
            true,
        );
        client.expect(&format!("New, {name}"), 10);
        client.expect("Verify return code: 0 (ok)", 10);
        client.expect("ping from openssl", 10);
        assert_eq!(result.await.unwrap(), Ok(()), "server side of {name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificate_failures_against_openssl_server() {
    if skip_interop() {
        return;
    }
    let pki = Pki::new();
    // (server identity, CA the client trusts, expected alert, text fragment, what openssl reports)
    let cases = [
        (
            &pki.server,
            &pki.other_ca.id,
            "unknown_ca",
            "Unknown CA",
            "unknown ca",
        ),
        (
            &pki.expired_server,
            &pki.ca.id,
            "certificate_expired",
            "Certificate Expired",
            "certificate expired",
        ),
        (
            &pki.wrong_host_server,
            &pki.ca.id,
            "handshake_failure",
            "{bad_cert,hostname_check_failed}",
            "handshake failure",
        ),
    ];
    for (server_id, ca, desc, fragment, openssl_says) in cases {
        let port = free_port();
        let mut server = openssl_server(server_id, "-tls1_3", port);
        process::run(async {
            let err = ssl::connect("localhost", port, client_opts(ca), 10_000)
                .await
                .unwrap_err();
            let (d, text) = tls_alert(&err);
            assert_eq!(d, desc, "{text}");
            assert!(
                text.contains(fragment) && text.starts_with("TLS client:"),
                "{text}"
            );
        })
        .await;
        server.expect(openssl_says, 10);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openssl_client_rejecting_wassl_server_is_seen_by_the_server() {
    if skip_interop() {
        return;
    }
    let pki = Pki::new();
    let (port, result) = one_shot_server(&pki, vec![]).await;
    let connect = format!("127.0.0.1:{port}");
    let mut client = Peer::start(
        "openssl",
        &[
            "s_client",
            "-connect",
            &connect,
            "-servername",
            "localhost",
            "-CAfile",
            pki.other_ca.id.certfile.to_str().unwrap(),
            "-verify_return_error",
        ],
        b"",
        true,
    );
    client.expect("unable to get local issuer certificate", 10);
    let err = result.await.unwrap().unwrap_err();
    let (d, text) = tls_alert(&err);
    assert_eq!(d, "unknown_ca");
    assert!(
        text.starts_with("TLS server:")
            && text.contains("received CLIENT ALERT: Fatal - Unknown CA"),
        "{text}"
    );
}

/// Every AEAD suite both ways through the engine's crypto: the host's
/// (`wit/crypto.wit`: key exchange, signatures, hashing, record AEAD, here
/// with TLS 1.3 records kept in the engine too) and the sandbox's own ring
/// (`{host_crypto, false}`). Multi-record lines check nonces and sequence
/// numbers against OpenSSL's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_suite_with_and_without_host_crypto() {
    if skip_interop() {
        return;
    }
    let pki = Pki::new();
    // s_server -rev reverses lines up to its 16 KiB buffer.
    let line: Vec<u8> = (0..10_000u32)
        .map(|i| b'a' + (i % 26) as u8)
        .chain(std::iter::once(b'\n'))
        .collect();
    let mut reversed: Vec<u8> = line[..line.len() - 1].iter().rev().copied().collect();
    reversed.push(b'\n');
    for (flag, suite) in [
        ("-tls1_2", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"),
        ("-tls1_2", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"),
        ("-tls1_2", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"),
        ("-tls1_3", "TLS_AES_128_GCM_SHA256"),
        ("-tls1_3", "TLS_AES_256_GCM_SHA384"),
        ("-tls1_3", "TLS_CHACHA20_POLY1305_SHA256"),
    ] {
        for host in [true, false] {
            let port = free_port();
            let _server = openssl_server(&pki.server, flag, port);
            let mut opts = client_opts(&pki.ca.id);
            opts.push(SslOption::ciphers_str(suite));
            opts.push(SslOption::HostCrypto(host));
            opts.push(SslOption::RecordOffload(false));
            let (line, reversed) = (line.clone(), reversed.clone());
            process::run(async move {
                let s = ssl::connect("localhost", port, opts, 10_000)
                    .await
                    .unwrap_or_else(|e| panic!("{suite} host_crypto={host}: {e}"));
                let info = ssl::connection_information(&s).await.unwrap();
                assert_eq!(info.selected_cipher_suite.iana_name, suite);
                // Several records each way: nonces follow the sequence numbers.
                for round in 0..4 {
                    ssl::send(&s, &line).await.unwrap();
                    let got = ssl::recv(&s, 0, 10_000).await.unwrap();
                    assert!(
                        got.as_bytes() == &reversed[..],
                        "{suite} host_crypto={host} round {round}: {} bytes back",
                        got.as_bytes().len()
                    );
                }
                ssl::close(&s).await.unwrap();
            })
            .await;
        }
    }
}

//! What tools nobody here wrote found (tlsfuzzer, sslyze, testssl.sh), each
//! as a regression test against a wassl server: the alert on the wire and
//! the reason the server's owner gets must be the same, and the one native
//! rustls sends.

use wassl::ssl::Reason;
use wassl_tests::{skip_interop, tls_alert, Peer, Pki};

/// A wassl server for one handshake; its result.
async fn one_handshake(pki: &Pki) -> (u16, tokio::sync::oneshot::Receiver<Result<(), Reason>>) {
    wassl_tests::serve_one(&pki.server, vec![], |_| async {}).await
}

/// A client with nothing in common with the server: `handshake_failure`
/// on the wire and in the owner's reason. Before, the certificate resolver
/// answered nothing, rustls sent `access_denied` (which stopped sslyze's
/// scans) and the owner was told `handshake_failure`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_in_common_is_handshake_failure_on_both_sides() {
    if skip_interop() {
        return;
    }
    let pki = Pki::new();
    let cases: [&[&str]; 4] = [
        &["-tls1_3", "-ciphersuites", "TLS_AES_128_CCM_SHA256"],
        &["-tls1_2", "-cipher", "AES128-SHA"],
        // The server's certificate is ECDSA.
        &["-tls1_2", "-sigalgs", "RSA+SHA256"],
        &["-tls1_3", "-sigalgs", "rsa_pss_rsae_sha256"],
    ];
    for flags in cases {
        let (port, result) = one_handshake(&pki).await;
        let connect = format!("127.0.0.1:{port}");
        let mut args = vec!["s_client", "-connect", &connect];
        args.extend_from_slice(flags);
        let mut client = Peer::start("openssl", &args, b"", true);
        let out = client.finish(20);
        let err = result.await.unwrap().unwrap_err();
        let (desc, text) = tls_alert(&err);
        assert_eq!(desc, "handshake_failure", "{flags:?}: {text}");
        assert!(
            text.contains("generated SERVER ALERT: Fatal - Handshake Failure"),
            "{flags:?}: {text}"
        );
        assert!(
            out.contains("alert handshake failure"),
            "{flags:?}: openssl saw:\n{out}"
        );
    }
}

/// A TLS 1.2 ClientHello offering `n` cipher suites (ECDHE-ECDSA-AES128-GCM
/// last, the rest unassigned codes), in records of at most `size` bytes.
fn fragmented_hello(n: usize, size: usize) -> Vec<u8> {
    fn ext(t: u16, body: &[u8]) -> Vec<u8> {
        [
            &t.to_be_bytes()[..],
            &(body.len() as u16).to_be_bytes(),
            body,
        ]
        .concat()
    }
    let mut suites: Vec<u16> = (0..n - 1).map(|i| 0x0100 + (i % 0x7f00) as u16).collect();
    suites.push(0xc02b);
    let mut body = vec![3, 3];
    body.extend([7u8; 32]);
    body.push(0);
    body.extend(((suites.len() * 2) as u16).to_be_bytes());
    suites.iter().for_each(|s| body.extend(s.to_be_bytes()));
    body.extend([1, 0]);
    let exts = [
        ext(10, &[0, 4, 0, 0x1d, 0, 0x17]),
        ext(11, &[1, 0]),
        ext(13, &[0, 4, 4, 3, 8, 4]),
    ]
    .concat();
    body.extend((exts.len() as u16).to_be_bytes());
    body.extend(exts);
    let mut msg = vec![1];
    msg.extend(&(body.len() as u32).to_be_bytes()[1..]);
    msg.extend(body);
    msg.chunks(size)
        .flat_map(|f| [&[22, 3, 1][..], &(f.len() as u16).to_be_bytes(), f].concat())
        .collect()
}

/// What a raw client reads back: the first record's type and body.
async fn answer_to(port: u16, bytes: &[u8]) -> Vec<u8> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    tcp.write_all(bytes).await.unwrap();
    let mut got = Vec::new();
    let first_record = async {
        let mut buf = [0u8; 4096];
        loop {
            let whole = got.len() >= 5
                && got.len() >= 5 + usize::from(u16::from_be_bytes([got[3], got[4]]));
            if whole {
                return;
            }
            match tcp.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    };
    let _ = tokio::time::timeout(std::time::Duration::from_secs(10), first_record).await;
    if got.len() >= 5 {
        got.truncate(5 + usize::from(u16::from_be_bytes([got[3], got[4]])));
    }
    got
}

/// A ClientHello past the 64 KiB rustls joins (tlsfuzzer's large-hello
/// probes): a handshake_failure alert and a reason that says why. Before,
/// the connection ended with no alert and the owner got `einval`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hello_too_large_gets_an_alert_and_a_reason() {
    let pki = Pki::new();
    // A legal large hello, in full records and in small ones.
    for size in [16384, 1000] {
        let (port, result) = one_handshake(&pki).await;
        let got = answer_to(port, &fragmented_hello(10949, size)).await;
        assert_eq!(
            got.first(),
            Some(&22),
            "a ServerHello to {size}-byte records"
        );
        drop(result);
    }
    let (port, result) = one_handshake(&pki).await;
    let got = answer_to(port, &fragmented_hello(32700, 1000)).await;
    assert_eq!(
        got,
        [21, 3, 3, 0, 2, 2, 40],
        "a plaintext handshake_failure"
    );
    let err = result.await.unwrap().unwrap_err();
    let (desc, text) = tls_alert(&err);
    assert_eq!(desc, "handshake_failure", "{text}");
    assert!(text.contains("handshake_message_too_large"), "{text}");
    assert!(
        text.contains("In state hello generated SERVER ALERT"),
        "{text}"
    );
}

/// Application data and a bad record in one TCP segment: the owner gets
/// the error only, as from OTP 25, which decodes a read's records together
/// (run against it, TLS 1.3 and 1.2, a bad record type or a bad MAC: `{ssl_error,
/// S, {tls_alert, ...}}` and no `{ssl, S, Data}`). The alert is the one
/// rustls (the engine) sends for the same bytes: OTP says
/// `unexpected_message` for an undefined record type, rustls `decode_error`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_record_fails_its_whole_read_as_in_otp() {
    let pki = Pki::new();
    // A record of a type TLS does not define.
    let (heard, back) = wassl_tests::owner_hears_data_then_raw(
        &pki,
        vec![],
        b"before the bad record",
        &[99, 3, 3, 0, 1, 0],
    )
    .await;
    assert_eq!(heard, ["error decode_error"], "what the owner heard");
    assert!(!back.is_empty(), "an alert went back");
}

/// A native rustls client (TLS 1.3, AES-128-GCM) that sends its Finished
/// and, in the same TCP write, an application data record whose inner
/// plaintext is zeros only: no content type (RFC 8446 5.4). Returns the
/// server's records after the handshake, opened: (type, content).
fn finished_then_zeros(pki: &Pki, port: u16) -> Vec<(u8, Vec<u8>)> {
    use rustls::pki_types::{pem::PemObject, CertificateDer};
    use rustls::ConnectionTrafficSecrets;
    use std::io::{Read, Write};
    let mut provider = rustls::crypto::ring::default_provider();
    provider.cipher_suites = vec![rustls::crypto::ring::cipher_suite::TLS13_AES_128_GCM_SHA256];
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_file(&pki.ca.id.certfile).unwrap())
        .unwrap();
    let mut config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(provider))
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.enable_secret_extraction = true;
    let name = "localhost".try_into().unwrap();
    let mut conn = rustls::ClientConnection::new(std::sync::Arc::new(config), name).unwrap();
    let mut tcp = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    tcp.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let mut wire = Vec::new();
    while conn.is_handshaking() {
        while conn.wants_write() {
            conn.write_tls(&mut wire).unwrap();
        }
        tcp.write_all(&wire).unwrap();
        wire.clear();
        assert!(conn.read_tls(&mut tcp).unwrap() > 0, "the server closed");
        conn.process_new_packets().unwrap();
    }
    // The Finished, held back so that the bad record goes with it.
    while conn.wants_write() {
        conn.write_tls(&mut wire).unwrap();
    }
    let secrets = conn.dangerous_extract_secrets().unwrap();
    let aead = |(seq, s): (u64, ConnectionTrafficSecrets)| match s {
        ConnectionTrafficSecrets::Aes128Gcm { key, iv } => {
            let key = ring::aead::UnboundKey::new(&ring::aead::AES_128_GCM, key.as_ref()).unwrap();
            (ring::aead::LessSafeKey::new(key), iv.as_ref().to_vec(), seq)
        }
        _ => panic!("not AES-128-GCM"),
    };
    let nonce = |iv: &[u8], seq: u64| {
        let mut n = [0u8; 12];
        n.copy_from_slice(iv);
        for (b, s) in n[4..].iter_mut().zip(seq.to_be_bytes()) {
            *b ^= s;
        }
        ring::aead::Nonce::assume_unique_for_key(n)
    };
    let (tx, tx_iv, tx_seq) = aead(secrets.tx);
    let mut inner = vec![0u8; 8];
    let header = [23, 3, 3, 0, (inner.len() + 16) as u8];
    tx.seal_in_place_append_tag(
        nonce(&tx_iv, tx_seq),
        ring::aead::Aad::from(header),
        &mut inner,
    )
    .unwrap();
    wire.extend_from_slice(&header);
    wire.extend_from_slice(&inner);
    tcp.write_all(&wire).unwrap();
    let mut back = Vec::new();
    let _ = tcp.read_to_end(&mut back);
    let (rx, rx_iv, mut rx_seq) = aead(secrets.rx);
    let mut records = Vec::new();
    let mut rest = &back[..];
    while rest.len() >= 5 {
        let len = u16::from_be_bytes([rest[3], rest[4]]) as usize;
        let (header, body) = (&rest[..5], rest[5..5 + len].to_vec());
        rest = &rest[5 + len..];
        let mut body = body;
        let plain = rx
            .open_in_place(
                nonce(&rx_iv, rx_seq),
                ring::aead::Aad::from(header),
                &mut body,
            )
            .expect("the server's record opens");
        rx_seq += 1;
        let typ = plain.iter().rposition(|&b| b != 0).expect("a content type");
        records.push((plain[typ], plain[..typ].to_vec()));
    }
    records
}

/// tlsfuzzer's `test-tls13-zero-content-type.py`: a TLS 1.3 record whose
/// inner plaintext is zeros only must end the connection with
/// `unexpected_message` (RFC 8446 5.4). The host record layer said so after
/// the hand-off, but rustls (the engine) ended the connection with no alert
/// when the record came in the same read as the client's Finished, so the
/// probes passed or failed from run to run (rustls patch 0007).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_inner_plaintext_of_zeros_gets_unexpected_message() {
    use wassl::process::{self, Message};
    let pki = Pki::new();
    // Should the handshake end before the record is read, the owner hears it.
    let (heard_tx, heard_rx) = tokio::sync::oneshot::channel();
    let (port, result) = wassl_tests::serve_one(&pki.server, vec![], |_s| async move {
        let _ = heard_tx.send(process::receive_timeout(10_000).await);
    })
    .await;
    let records = tokio::task::block_in_place(|| finished_then_zeros(&pki, port));
    let err = match result.await.unwrap() {
        Err(e) => e,
        Ok(()) => match heard_rx.await.unwrap() {
            Some(Message::SslError(_, e)) => e,
            other => panic!("the owner heard {other:?}"),
        },
    };
    let (desc, text) = tls_alert(&err);
    assert_eq!(desc, "unexpected_message", "{text}");
    assert_eq!(
        records.last(),
        Some(&(21, vec![2, 10])),
        "the server's records end with a fatal unexpected_message alert"
    );
}

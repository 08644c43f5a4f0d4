//! Protocol features checked against OpenSSL: key update (seen in
//! `openssl s_server -msg`), exporters (the same bytes as `openssl s_client
//! -keymatexport`), key logs (the same secrets OpenSSL logs), `ciphers` in
//! every form, `honor_cipher_order`, the suite functions, renegotiate.

use wassl::process;
use wassl::ssl::{
    self, Active, CipherSpec, KeyUpdate, Mode, Packet, Reason, SslOption, SslSocket,
    SuiteDescription, SuiteFilter, Version,
};
use wassl_tests::{free_port, skip_interop, Peer, Pki};

fn openssl_server(pki: &Pki, port: u16, extra: &[&str]) -> Peer {
    let mut args = vec![
        "s_server".to_string(),
        "-accept".into(),
        port.to_string(),
        "-cert".into(),
        pki.server.certfile.to_str().unwrap().into(),
        "-key".into(),
        pki.server.keyfile.to_str().unwrap().into(),
        "-naccept".into(),
        "1".into(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut p = Peer::start("openssl", &refs, b"", false);
    p.expect("ACCEPT", 10);
    p
}

fn client_opts(pki: &Pki) -> Vec<SslOption> {
    vec![
        SslOption::Cacertfile(pki.ca.id.certfile.clone()),
        SslOption::Mode(Mode::Binary),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_keys_and_key_update_at_reach_openssl() {
    if skip_interop() {
        return;
    }
    let pki = Pki::new();
    let port = free_port();
    let mut server = openssl_server(&pki, port, &["-rev", "-msg", "-tls1_3"]);
    process::run(async {
        let mut opts = client_opts(&pki);
        opts.extend([
            SslOption::Active(Active::False),
            SslOption::Packet(Packet::Line),
            SslOption::KeyUpdateAt(100_000),
        ]);
        let s = ssl::connect("localhost", port, opts, 10_000).await.unwrap();
        ssl::send(&s, b"before\n").await.unwrap();
        assert_eq!(
            ssl::recv(&s, 0, 5_000).await.unwrap().as_bytes(),
            b"erofeb\n"
        );
        ssl::update_keys(&s, KeyUpdate::ReadWrite).await.unwrap();
        ssl::send(&s, b"after\n").await.unwrap();
        assert_eq!(
            ssl::recv(&s, 0, 5_000).await.unwrap().as_bytes(),
            b"retfa\n",
            "traffic goes on under new keys"
        );
        // key_update_at: 150 KB of lines crosses 100 KB once more.
        let line = [vec![b'x'; 999], b"\n".to_vec()].concat();
        for _ in 0..150 {
            ssl::send(&s, &line).await.unwrap();
            ssl::recv(&s, 0, 5_000).await.unwrap();
        }
    })
    .await;
    let out = server.finish(3);
    let updates = out
        .lines()
        .filter(|l| l.starts_with("<<<") && l.contains("KeyUpdate"))
        .count();
    assert!(
        updates >= 2,
        "openssl saw {updates} KeyUpdate messages:\n{}",
        out.lines()
            .filter(|l| l.contains("KeyUpdate"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_keys_on_tls12_and_renegotiate_are_notsup() {
    if skip_interop() {
        return;
    }
    let pki = Pki::new();
    let port = free_port();
    let _server = openssl_server(&pki, port, &["-rev", "-tls1_2"]);
    process::run(async {
        let s = ssl::connect("localhost", port, client_opts(&pki), 10_000)
            .await
            .unwrap();
        assert_eq!(
            ssl::update_keys(&s, KeyUpdate::Write).await,
            Err(Reason::Posix("notsup".into()))
        );
        let e = ssl::renegotiate(&s).await.unwrap_err();
        assert_eq!(e.to_string(), "notsup");
        assert!(ssl::format_error(&e).contains("renegotiation"));
    })
    .await;
}

/// `prf/5` and `export_key_materials` on TLS 1.3, as modern OTP has them:
/// the exporter form of `prf/5` is the RFC 8446 exporter and, like
/// `export_key_materials/4`, uses the exporter secret up (`/5` with
/// `false` keeps it); a secret and seed of the caller's go through the
/// TLS 1.2 PRF with the suite's hash; other uses of the session's secret
/// are `undefined`. The values themselves are checked against OpenSSL
/// (below) and Erlang (interop_erlang.rs).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prf_and_exporters_on_tls13_follow_modern_otp() {
    if skip_interop() {
        return;
    }
    let pki = Pki::new();
    let port = free_port();
    let _server = openssl_server(&pki, port, &["-rev", "-tls1_3"]);
    process::run(async {
        use ssl::{PrfSecret, PrfSeed};
        let s = ssl::connect("localhost", port, client_opts(&pki), 10_000)
            .await
            .unwrap();
        let label: &[u8] = b"EXPERIMENTAL wassl";
        let kept = ssl::export_key_materials_with(&s, &[label], &[None], &[32], false)
            .await
            .unwrap();
        let randoms = [PrfSeed::ClientRandom, PrfSeed::ServerRandom];
        let prf = ssl::prf(&s, PrfSecret::MasterSecret, label, &randoms, 32).await;
        assert_eq!(prf.unwrap(), kept[0], "the exporter form is the exporter");
        // That call used the secret up.
        let again = ssl::export_key_materials(&s, &[label], &[None], &[32]).await;
        assert_eq!(again, Err(Reason::ExporterMasterSecretAlreadyConsumed));
        let e = again.unwrap_err();
        assert_eq!(e.to_string(), "exporter_master_secret_already_consumed");
        assert!(ssl::format_error(&e).contains("ConsumeSecret"));
        let mismatched = ssl::export_key_materials(&s, &[label], &[], &[32]).await;
        assert_eq!(mismatched, Err(Reason::BadInput));
        // The caller's secret and seed: the PRF of RFC 5246 with SHA-384
        // (this suite's hash). The bytes are what Erlang/OTP 25's
        // ssl:prf(S, <<"secret">>, <<"label">>, [<<"seed">>], 16) gives
        // on a TLS 1.2 SHA-384 suite.
        let info = ssl::connection_information(&s).await.unwrap();
        assert_eq!(info.selected_cipher_suite.prf, "sha384");
        let own = PrfSecret::Bytes(b"secret".to_vec());
        let seed = [PrfSeed::Bytes(b"seed".to_vec())];
        let out = ssl::prf(&s, own, b"label", &seed, 16).await.unwrap();
        let erlang = [
            230, 166, 241, 153, 169, 241, 111, 154, 86, 101, 112, 205, 13, 141, 167, 30,
        ];
        assert_eq!(out, erlang);
        // TLS 1.3 has no TLS 1.2 PRF over its secrets.
        let swapped = [PrfSeed::ServerRandom, PrfSeed::ClientRandom];
        let e = ssl::prf(&s, PrfSecret::MasterSecret, b"l", &swapped, 16)
            .await
            .unwrap_err();
        assert_eq!(
            (e.to_string(), e.clone()),
            ("undefined".into(), Reason::Undefined)
        );
        assert!(ssl::format_error(&e).contains("export_key_materials"));
        let big = ssl::prf(&s, PrfSecret::MasterSecret, b"l", &swapped, 17 << 20).await;
        assert_eq!(big, Err(Reason::Einval));
        ssl::close(&s).await.unwrap();
        let closed = ssl::prf(&s, PrfSecret::MasterSecret, b"l", &swapped, 16).await;
        assert_eq!(closed, Err(Reason::Closed));
    })
    .await;
}

/// A wassl server that exports keying material after the handshake.
async fn exporting_server(
    pki: &Pki,
    label: &'static [u8],
    extra: Vec<SslOption>,
) -> (u16, tokio::sync::oneshot::Receiver<Vec<u8>>) {
    let mut opts = vec![
        SslOption::Certfile(pki.server.certfile.clone()),
        SslOption::Keyfile(pki.server.keyfile.clone()),
        SslOption::Mode(Mode::Binary),
    ];
    opts.extend(extra);
    let (port_tx, port_rx) = tokio::sync::oneshot::channel();
    let (tx, rx) = tokio::sync::oneshot::channel();
    process::spawn(async move {
        let l = ssl::listen(0, opts).await.unwrap();
        port_tx
            .send(ssl::sockname(&l).await.unwrap().port())
            .unwrap();
        let t = ssl::transport_accept(&l, 10_000).await.unwrap();
        let s: SslSocket = ssl::handshake(&t, 10_000).await.unwrap();
        let out = ssl::export_key_materials(&s, &[label], &[None], &[32])
            .await
            .unwrap();
        let _ = tx.send(out.into_iter().next().unwrap());
        tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    });
    (port_rx.await.unwrap(), rx)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exporters_match_openssl() {
    if skip_interop() {
        return;
    }
    let pki = Pki::new();
    for flag in ["-tls1_2", "-tls1_3"] {
        let (port, ours) = exporting_server(&pki, b"EXPERIMENTAL-wassl", vec![]).await;
        let mut client = Peer::start(
            "openssl",
            &[
                "s_client",
                "-connect",
                &format!("127.0.0.1:{port}"),
                flag,
                "-keymatexport",
                "EXPERIMENTAL-wassl",
                "-keymatexportlen",
                "32",
                "-CAfile",
                pki.ca.id.certfile.to_str().unwrap(),
            ],
            b"",
            false,
        );
        let line = client.expect("Keying material:", 10);
        let theirs = line.split(':').nth(1).unwrap().trim().to_ascii_lowercase();
        let ours: String = ours
            .await
            .unwrap()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(ours, theirs, "{flag}: both sides derive the same bytes");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keep_secrets_logs_what_openssl_logs() {
    if skip_interop() {
        return;
    }
    let pki = Pki::new();
    for flag in ["-tls1_2", "-tls1_3"] {
        let port = free_port();
        let theirs = pki.dir.join(format!("openssl{flag}.keys"));
        let _server = openssl_server(
            &pki,
            port,
            &["-rev", flag, "-keylogfile", theirs.to_str().unwrap()],
        );
        let (lines, items) = process::run(async {
            let mut opts = client_opts(&pki);
            opts.push(SslOption::KeepSecrets(true));
            let s = ssl::connect("localhost", port, opts, 10_000).await.unwrap();
            let items = ssl::connection_information_with(
                &s,
                &[
                    ssl::InfoItem::ServerRandom,
                    ssl::InfoItem::ClientRandom,
                    ssl::InfoItem::MasterSecret,
                    ssl::InfoItem::SessionResumption,
                ],
            )
            .await
            .unwrap();
            (ssl::connection_information(&s).await.unwrap().keylog, items)
        })
        .await;
        // connection_information/2: the client random is the one OpenSSL
        // logged; server_random and the master secret exist in TLS 1.2 only
        // (the Erlang interop test checks server_random against Erlang's).
        let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
        let random = match (flag, &items[..]) {
            (
                "-tls1_2",
                [ssl::InfoValue::SessionResumption(false), ssl::InfoValue::ClientRandom(cr), ssl::InfoValue::ServerRandom(sr), ssl::InfoValue::MasterSecret(m)],
            ) => {
                assert_eq!(sr.len(), 32);
                assert!(lines.iter().any(|l| l.ends_with(&hex(m))), "{lines:?}");
                cr
            }
            (
                "-tls1_3",
                [ssl::InfoValue::SessionResumption(false), ssl::InfoValue::ClientRandom(cr)],
            ) => cr,
            other => panic!("{other:?}"),
        };
        assert!(
            lines[0].contains(&hex(random)),
            "{flag}: {items:?} {lines:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
        let theirs = std::fs::read_to_string(&theirs).unwrap();
        let theirs: Vec<&str> = theirs.lines().filter(|l| !l.starts_with('#')).collect();
        assert!(!lines.is_empty(), "{flag}: wassl kept no secrets");
        for l in &lines {
            assert!(
                theirs.contains(&l.as_str()),
                "{flag}: {l} is not in OpenSSL's key log:\n{}",
                theirs.join("\n")
            );
        }
        let want = if flag == "-tls1_2" { 1 } else { 4 };
        assert!(lines.len() >= want, "{flag}: {lines:?}");
    }
}

async fn negotiated(pki: &Pki, port: u16, extra: Vec<SslOption>) -> Result<String, Reason> {
    let mut opts = client_opts(pki);
    opts.extend(extra);
    process::run(async {
        let s = ssl::connect("localhost", port, opts, 10_000).await?;
        Ok(ssl::connection_information(&s)
            .await?
            .selected_cipher_suite
            .iana_name)
    })
    .await
}

async fn plain_server(pki: &Pki, extra: Vec<SslOption>) -> u16 {
    let mut opts = vec![
        SslOption::Certfile(pki.server.certfile.clone()),
        SslOption::Keyfile(pki.server.keyfile.clone()),
    ];
    opts.extend(extra);
    let (tx, rx) = tokio::sync::oneshot::channel();
    process::spawn(async move {
        let l = ssl::listen(0, opts).await.unwrap();
        tx.send(ssl::sockname(&l).await.unwrap().port()).unwrap();
        while let Ok(t) = ssl::transport_accept(&l, 20_000).await {
            if let Ok(s) = ssl::handshake(&t, 10_000).await {
                wassl_tests::hold(s);
            }
        }
    });
    rx.await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ciphers_in_every_form_and_honor_cipher_order() {
    let pki = Pki::new();
    let port = plain_server(&pki, vec![]).await;
    // OpenSSL names, IANA names, maps and tuples.
    assert_eq!(
        negotiated(
            &pki,
            port,
            vec![
                SslOption::ciphers_str("ECDHE-ECDSA-CHACHA20-POLY1305"),
                SslOption::Versions(vec![Version::Tlsv1_2])
            ]
        )
        .await
        .unwrap(),
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"
    );
    assert_eq!(
        negotiated(
            &pki,
            port,
            vec![SslOption::ciphers_str("TLS_AES_128_GCM_SHA256")]
        )
        .await
        .unwrap(),
        "TLS_AES_128_GCM_SHA256"
    );
    let chacha13 = ssl::str_to_suite("TLS_CHACHA20_POLY1305_SHA256")
        .await
        .unwrap();
    assert_eq!(chacha13.cipher, "chacha20_poly1305");
    assert_eq!(
        negotiated(
            &pki,
            port,
            vec![SslOption::Ciphers(vec![CipherSpec::Map(chacha13.clone())])]
        )
        .await
        .unwrap(),
        chacha13.iana_name
    );
    let tuple = CipherSpec::Tuple(
        "ecdhe_ecdsa".into(),
        "aes_128_gcm".into(),
        "aead".into(),
        None,
    );
    assert_eq!(
        negotiated(
            &pki,
            port,
            vec![
                SslOption::Ciphers(vec![tuple]),
                SslOption::Versions(vec![Version::Tlsv1_2])
            ]
        )
        .await
        .unwrap(),
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"
    );
    // Suites rustls lacks: dropped when others remain, named when they were all.
    assert_eq!(
        negotiated(
            &pki,
            port,
            vec![SslOption::ciphers_str("AES128-SHA:TLS_AES_128_GCM_SHA256")]
        )
        .await
        .unwrap(),
        "TLS_AES_128_GCM_SHA256"
    );
    let e = negotiated(
        &pki,
        port,
        vec![SslOption::ciphers_str("AES128-SHA:DES-CBC3-SHA:RC4-MD5")],
    )
    .await
    .unwrap_err();
    let text = ssl::format_error(&e);
    assert!(
        matches!(&e, Reason::Options { option, .. } if option == "ciphers"),
        "{e}"
    );
    assert!(
        text.contains("RC4") && text.contains("3DES") && text.contains("not implemented by rustls"),
        "{text}"
    );
    // honor_cipher_order: the server's order wins over the client's.
    let order = "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384";
    let honoring = plain_server(
        &pki,
        vec![
            SslOption::ciphers_str(order),
            SslOption::HonorCipherOrder(true),
        ],
    )
    .await;
    let not_honoring = plain_server(&pki, vec![SslOption::ciphers_str(order)]).await;
    let client_pref = vec![SslOption::ciphers_str(
        "TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256",
    )];
    assert_eq!(
        negotiated(&pki, honoring, client_pref.clone())
            .await
            .unwrap(),
        "TLS_CHACHA20_POLY1305_SHA256"
    );
    assert_eq!(
        negotiated(&pki, not_honoring, client_pref).await.unwrap(),
        "TLS_AES_256_GCM_SHA384"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn suite_functions() {
    let all12 = ssl::cipher_suites(SuiteDescription::All, Version::Tlsv1_2)
        .await
        .unwrap();
    let all13 = ssl::cipher_suites(SuiteDescription::Default, Version::Tlsv1_3)
        .await
        .unwrap();
    assert_eq!(all13.len(), 3);
    assert!(all12.iter().all(|s| s.key_exchange.starts_with("ecdhe_")));
    for s in all12.iter().chain(&all13) {
        let openssl = ssl::suite_to_openssl_str(s).await.unwrap();
        assert_eq!(&ssl::str_to_suite(&openssl).await.unwrap(), s, "{openssl}");
        assert_eq!(&ssl::str_to_suite(&ssl::suite_to_str(s)).await.unwrap(), s);
    }
    assert_eq!(
        ssl::suite_to_openssl_str(
            &ssl::str_to_suite("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")
                .await
                .unwrap()
        )
        .await
        .unwrap(),
        "ECDHE-RSA-AES128-GCM-SHA256"
    );
    let chacha = ssl::filter_cipher_suites(
        &all12,
        &[SuiteFilter::Cipher(Box::new(|c| c == "chacha20_poly1305"))],
    );
    assert_eq!(chacha.len(), 2);
    let first = ssl::prepend_cipher_suites(&chacha, &all12);
    assert_eq!(&first[..2], &chacha[..]);
    assert_eq!(first.len(), all12.len());
    let last = ssl::append_cipher_suites(&chacha, &all12);
    assert_eq!(&last[last.len() - 2..], &chacha[..]);
    assert!(ssl::str_to_suite("RC4-MD5").await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn groups_and_signature_algs() {
    let pki = Pki::new();
    assert_eq!(
        ssl::groups().await.unwrap(),
        vec!["x25519", "secp256r1", "secp384r1"]
    );
    let s13 = ssl::signature_algs(Version::Tlsv1_3).await.unwrap();
    let s12 = ssl::signature_algs(Version::Tlsv1_2).await.unwrap();
    for want in [
        "eddsa_ed25519",
        "ecdsa_secp256r1_sha256",
        "rsa_pss_rsae_sha256",
    ] {
        assert!(s13.iter().any(|s| s == want), "{want} in {s13:?}");
    }
    assert!(s12.iter().any(|s| s == "{sha256,ecdsa}"), "{s12:?}");
    let port = plain_server(&pki, vec![]).await;
    let ecc = |groups: &[&str]| {
        let mut opts = client_opts(&pki);
        opts.push(SslOption::SupportedGroups(
            groups.iter().map(|g| g.to_string()).collect(),
        ));
        async move {
            process::run(async {
                let s = ssl::connect("localhost", port, opts, 10_000).await?;
                Ok::<_, Reason>(ssl::connection_information(&s).await?.ecc)
            })
            .await
        }
    };
    assert_eq!(
        ecc(&["secp384r1"]).await.unwrap().as_deref(),
        Some("secp384r1")
    );
    assert_eq!(
        ecc(&["x448", "secp256r1"]).await.unwrap().as_deref(),
        Some("secp256r1")
    );
    let e = ecc(&["x448", "ffdhe2048"]).await.unwrap_err();
    assert!(
        matches!(&e, Reason::Options { option, .. } if option == "supported_groups"),
        "{e}"
    );
    assert!(
        ssl::format_error(&e).contains("x448"),
        "{}",
        ssl::format_error(&e)
    );
    // The server's key is ECDSA P-256: a client that accepts only RSA-PSS cannot agree.
    let sig = |algs: &[&str]| {
        let mut opts = client_opts(&pki);
        opts.push(SslOption::SignatureAlgs(
            algs.iter().map(|g| g.to_string()).collect(),
        ));
        async move {
            process::run(async {
                ssl::connect("localhost", port, opts, 10_000)
                    .await
                    .map(|_| ())
            })
            .await
        }
    };
    sig(&["ecdsa_secp256r1_sha256"])
        .await
        .expect("ECDSA allowed");
    let e = sig(&["rsa_pss_rsae_sha256"]).await.unwrap_err();
    assert!(matches!(&e, Reason::TlsAlert { .. }), "{e}");
}

/// Resumption across sandboxes, checked by OpenSSL: stateless and stateful
/// TLS 1.3 tickets, and TLS 1.2 session IDs from the host's session store.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openssl_resumes_sessions_with_a_wassl_server() {
    if skip_interop() {
        return;
    }
    let pki = Pki::new();
    let cases = [
        (
            "-tls1_3",
            Some(ssl::SessionTickets::Stateless),
            "Reused, TLSv1.3",
        ),
        (
            "-tls1_3",
            Some(ssl::SessionTickets::Stateful),
            "Reused, TLSv1.3",
        ),
        ("-tls1_2", None, "Reused, TLSv1.2"),
    ];
    for (flag, tickets, reused) in cases {
        let mut opts = vec![
            SslOption::Certfile(pki.server.certfile.clone()),
            SslOption::Keyfile(pki.server.keyfile.clone()),
            SslOption::Active(Active::False),
        ];
        if let Some(t) = tickets {
            opts.push(SslOption::SessionTickets(t));
        }
        let (port_tx, port_rx) = tokio::sync::oneshot::channel();
        let (res_tx, mut res_rx) = tokio::sync::mpsc::unbounded_channel();
        process::spawn(async move {
            let l = ssl::listen(0, opts).await.unwrap();
            port_tx
                .send(ssl::sockname(&l).await.unwrap().port())
                .unwrap();
            for _ in 0..2 {
                let t = ssl::transport_accept(&l, 20_000).await.unwrap();
                let s = ssl::handshake(&t, 10_000).await.unwrap();
                res_tx
                    .send(
                        ssl::connection_information(&s)
                            .await
                            .unwrap()
                            .session_resumption,
                    )
                    .unwrap();
                tokio::time::sleep(std::time::Duration::from_millis(300)).await;
                ssl::close(&s).await.unwrap();
            }
        });
        let port = port_rx.await.unwrap();
        let sess = pki.dir.join(format!("session{flag}{tickets:?}.pem"));
        let connect = format!("127.0.0.1:{port}");
        let ca = pki.ca.id.certfile.to_str().unwrap().to_string();
        let mut args = vec![
            "s_client", "-connect", &connect, "-CAfile", &ca, flag, "-ign_eof",
        ];
        if flag == "-tls1_2" {
            args.push("-no_ticket");
        }
        let mut first_args = args.clone();
        first_args.extend(["-sess_out", sess.to_str().unwrap()]);
        let mut first = Peer::start("openssl", &first_args, b"", true);
        first.expect("New, TLSv1", 10);
        first.finish(3);
        assert!(
            !res_rx.recv().await.unwrap(),
            "{flag} {tickets:?}: the first handshake is full"
        );
        let mut second_args = args.clone();
        second_args.extend(["-sess_in", sess.to_str().unwrap()]);
        let mut second = Peer::start("openssl", &second_args, b"", true);
        second.expect(reused, 10);
        assert!(
            res_rx.recv().await.unwrap(),
            "{flag} {tickets:?}: the server reports session_resumption"
        );
    }
}

//! Certificate verification as Erlang does it: verify_fun's events in path
//! order with the user's state, compared with the events Erlang/OTP's own
//! verify_fun receives for the same chains; partial_chain; depth; CRLs;
//! customize_hostname_check.

use std::sync::{Arc, Mutex};

use wassl::process;
use wassl::ssl::{
    self, BadCert, CrlCheck, MatchFun, Mode, PartialChain, Reason, SslOption, SslSocket,
    VerifyEvent, VerifyFun, VerifyResult,
};
use wassl_tests::{require, skip_interop, Ca, Extras, Identity, LeafSpec, Peer, Pki};

struct Chain {
    pki: Pki,
    inter: Ca,
    leaf: Identity,
    chainfile: std::path::PathBuf,
}

fn chain(custom_extension: Option<bool>) -> Chain {
    let pki = Pki::new();
    let inter = pki.ca.intermediate("wassl Intermediate");
    let leaf = inter.issue_with(
        &LeafSpec {
            cn: "leaf.localhost",
            names: &["localhost", "127.0.0.1"],
            expired: false,
            server: true,
        },
        &Extras {
            serial: Some(4242),
            custom_extension,
            ..Default::default()
        },
    );
    let chainfile = inter.chain_file(&leaf, "leaf-chain.pem");
    Chain {
        pki,
        inter,
        leaf,
        chainfile,
    }
}

/// A server presenting `certfile` (with its chain) that accepts connections
/// for a while; reports nothing, the clients tell.
async fn server(certfile: &std::path::Path, keyfile: &std::path::Path) -> u16 {
    let opts = vec![
        SslOption::Certfile(certfile.to_path_buf()),
        SslOption::Keyfile(keyfile.to_path_buf()),
        SslOption::Mode(Mode::Binary),
    ];
    let (tx, rx) = tokio::sync::oneshot::channel();
    process::spawn(async move {
        let l = ssl::listen(0, opts).await.unwrap();
        tx.send(ssl::sockname(&l).await.unwrap().port()).unwrap();
        loop {
            let Ok(t) = ssl::transport_accept(&l, 30_000).await else {
                return;
            };
            if let Ok(s) = ssl::handshake(&t, 10_000).await {
                wassl_tests::hold(s);
            }
        }
    });
    rx.await.unwrap()
}

fn cn(cert: &ssl::PeerCert) -> String {
    let subject = cert
        .info
        .as_ref()
        .map(|i| i.subject.clone())
        .unwrap_or_default();
    subject
        .split(", ")
        .find_map(|p| p.strip_prefix("CN="))
        .unwrap_or("?")
        .to_string()
}

fn event_text(e: &VerifyEvent) -> String {
    match e {
        VerifyEvent::Valid => "valid".into(),
        VerifyEvent::ValidPeer => "valid_peer".into(),
        VerifyEvent::BadCert(r) => format!("bad_cert {r}"),
        VerifyEvent::Extension(x) => format!("extension {}", x.oid),
    }
}

/// A verify_fun that logs like the Erlang escript and threads a counter as its state.
fn logging_fun(log: Arc<Mutex<Vec<String>>>) -> VerifyFun {
    VerifyFun::new(
        move |cert, event, calls: u32| {
            log.lock()
                .unwrap()
                .push(format!("EVENT {} {}", event_text(event), cn(cert)));
            // The state arrives as the previous call left it.
            assert_eq!(
                calls as usize,
                log.lock().unwrap().len() - 1,
                "state threads through in order"
            );
            match event {
                VerifyEvent::Extension(_) => VerifyResult::Unknown(calls + 1),
                _ => VerifyResult::Valid(calls + 1),
            }
        },
        0u32,
    )
}

async fn connect(port: u16, opts: Vec<SslOption>) -> Result<SslSocket, Reason> {
    process::run(async { ssl::connect("localhost", port, opts, 10_000).await }).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_fun_events_match_erlang() {
    if skip_interop() {
        return;
    }
    require("escript");
    // (chain, CA the client trusts): a good path, an unknown CA, and a leaf
    // with a private non-critical extension.
    let c = chain(None);
    let x = chain(Some(false));
    let expired = {
        let mut e = chain(None);
        e.leaf = e.inter.issue(&LeafSpec {
            cn: "expired.localhost",
            names: &["localhost"],
            expired: true,
            server: true,
        });
        e.chainfile = e.inter.chain_file(&e.leaf, "expired-chain.pem");
        e
    };
    let wrong_host = {
        let mut w = chain(None);
        w.leaf = w.inter.issue(&LeafSpec {
            cn: "wrong.host",
            names: &["wrong.example"],
            expired: false,
            server: true,
        });
        w.chainfile = w.inter.chain_file(&w.leaf, "wrong-chain.pem");
        w
    };
    let future = {
        let mut f = chain(None);
        f.leaf = f.inter.issue_with(
            &LeafSpec {
                cn: "future.localhost",
                names: &["localhost"],
                expired: false,
                server: true,
            },
            &Extras {
                not_yet_valid: true,
                ..Default::default()
            },
        );
        f.chainfile = f.inter.chain_file(&f.leaf, "future-chain.pem");
        f
    };
    let client_only = {
        let mut k = chain(None);
        k.leaf = k.inter.issue(&LeafSpec {
            cn: "client.only",
            names: &["localhost"],
            expired: false,
            server: false,
        });
        k.chainfile = k.inter.chain_file(&k.leaf, "client-only-chain.pem");
        k
    };
    let selfsigned = {
        let mut s = chain(None);
        let me = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
        let dir = s.pki.dir.clone();
        std::fs::write(dir.join("self.pem"), me.cert.pem()).unwrap();
        std::fs::write(dir.join("self.key"), me.signing_key.serialize_pem()).unwrap();
        s.leaf.keyfile = dir.join("self.key");
        s.chainfile = dir.join("self.pem");
        s
    };
    let cases = [
        (
            &future,
            future.pki.ca.id.certfile.clone(),
            "not yet valid leaf",
        ),
        (
            &client_only,
            client_only.pki.ca.id.certfile.clone(),
            "client-only key usage",
        ),
        (
            &selfsigned,
            selfsigned.pki.ca.id.certfile.clone(),
            "self-signed peer",
        ),
        (&c, c.pki.ca.id.certfile.clone(), "good chain"),
        (&c, c.pki.other_ca.id.certfile.clone(), "unknown CA"),
        (&x, x.pki.ca.id.certfile.clone(), "private extension"),
        (&expired, expired.pki.ca.id.certfile.clone(), "expired leaf"),
        (
            &wrong_host,
            wrong_host.pki.ca.id.certfile.clone(),
            "wrong host",
        ),
    ];
    let script = wassl_tests::erlang_peer().replace("peer.escript", "verify_events.escript");
    for (chain, ca, what) in cases {
        let port = server(&chain.chainfile, &chain.leaf.keyfile).await;
        let mut erl = Peer::start(
            "escript",
            &[&script, &port.to_string(), ca.to_str().unwrap()],
            b"",
            true,
        );
        let erlang: Vec<String> = erl
            .finish(30)
            .lines()
            .filter(|l| l.starts_with("EVENT") || l.starts_with("RESULT"))
            .map(str::to_string)
            .collect();
        let log = Arc::new(Mutex::new(Vec::new()));
        let r = connect(
            port,
            vec![
                SslOption::Cacertfile(ca.clone()),
                SslOption::VerifyFun(logging_fun(log.clone())),
            ],
        )
        .await;
        let mut ours = log.lock().unwrap().clone();
        ours.push(match &r {
            Ok(_) => "RESULT ok".into(),
            Err(e) => format!("RESULT error {e}"),
        });
        assert_eq!(
            ours, erlang,
            "{what}: wassl's verify_fun events differ from Erlang's"
        );
        assert!(ours.len() >= 2, "{what}: {ours:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_fun_can_fail_and_accept() {
    let c = chain(None);
    let port = server(&c.chainfile, &c.leaf.keyfile).await;
    // Fail the peer with a reason of our own: handshake_failure carrying it.
    let refuse = VerifyFun::new(
        |_, e, s: ()| match e {
            VerifyEvent::ValidPeer => VerifyResult::Fail(BadCert::Other("not_on_my_list".into())),
            _ => VerifyResult::Valid(s),
        },
        (),
    );
    let err = connect(
        port,
        vec![
            SslOption::Cacertfile(c.pki.ca.id.certfile.clone()),
            SslOption::VerifyFun(refuse),
        ],
    )
    .await
    .unwrap_err();
    match &err {
        Reason::TlsAlert { description, text } => {
            assert_eq!(description, "handshake_failure");
            assert!(text.contains("{bad_cert,not_on_my_list}"), "{text}");
        }
        other => panic!("{other}"),
    }
    // Accept an unknown CA on purpose.
    let accept_all = VerifyFun::new(|_, _, s: ()| VerifyResult::Valid(s), ());
    connect(
        port,
        vec![
            SslOption::Cacertfile(c.pki.other_ca.id.certfile.clone()),
            SslOption::VerifyFun(accept_all),
        ],
    )
    .await
    .expect("verify_fun accepted the unknown CA");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partial_chain_trusts_an_intermediate() {
    let c = chain(None);
    let port = server(&c.chainfile, &c.leaf.keyfile).await;
    let inter_der = c.inter.id.cert_der.clone();
    let seen = Arc::new(Mutex::new(0usize));
    let seen2 = seen.clone();
    let pc = PartialChain::new(move |chain: &[Vec<u8>]| {
        *seen2.lock().unwrap() = chain.len();
        chain.iter().find(|d| **d == inter_der).cloned()
    });
    // The client trusts only an unrelated CA, but claims the intermediate.
    connect(
        port,
        vec![
            SslOption::Cacertfile(c.pki.other_ca.id.certfile.clone()),
            SslOption::PartialChain(pc),
        ],
    )
    .await
    .expect("partial_chain made the intermediate the anchor");
    assert_eq!(
        *seen.lock().unwrap(),
        2,
        "partial_chain saw leaf and intermediate"
    );
    // Answering unknown_ca keeps the failure.
    let none = PartialChain::new(|_: &[Vec<u8>]| None);
    let err = connect(
        port,
        vec![
            SslOption::Cacertfile(c.pki.other_ca.id.certfile.clone()),
            SslOption::PartialChain(none),
        ],
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, Reason::TlsAlert { ref description, .. } if description == "unknown_ca"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn depth_limits_intermediates() {
    let c = chain(None);
    let port = server(&c.chainfile, &c.leaf.keyfile).await;
    let ca = SslOption::Cacertfile(c.pki.ca.id.certfile.clone());
    connect(port, vec![ca.clone(), SslOption::Depth(1)])
        .await
        .expect("one intermediate is allowed by depth 1");
    let err = connect(port, vec![ca, SslOption::Depth(0)])
        .await
        .unwrap_err();
    match &err {
        Reason::TlsAlert { description, text } => {
            assert_eq!(description, "handshake_failure");
            assert!(
                text.contains("{bad_cert,max_path_length_reached}"),
                "{text}"
            );
        }
        other => panic!("{other}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crl_check_revoked_and_undetermined() {
    let c = chain(None);
    let port = server(&c.chainfile, &c.leaf.keyfile).await;
    let ca = SslOption::Cacertfile(c.pki.ca.id.certfile.clone());
    let revoking = c.inter.crl(&[4242]);
    let clean_inter = c.inter.crl(&[1]);
    let clean_root = c.pki.ca.crl(&[7]);
    let alert = |r: Result<SslSocket, Reason>| match r {
        Err(Reason::TlsAlert { description, text }) => (description, text),
        Err(other) => panic!("{other}"),
        Ok(_) => ("connected".into(), String::new()),
    };
    // Revoked by its issuer's CRL.
    let (d, t) = alert(
        connect(
            port,
            vec![
                ca.clone(),
                SslOption::CrlCheck(CrlCheck::True),
                SslOption::CrlCache(vec![revoking.clone(), clean_root.clone()]),
            ],
        )
        .await,
    );
    assert_eq!(d, "certificate_revoked", "{t}");
    // Peer-only checking needs only the leaf's issuer's CRL.
    let (d, _) = alert(
        connect(
            port,
            vec![
                ca.clone(),
                SslOption::CrlCheck(CrlCheck::Peer),
                SslOption::CrlCache(vec![revoking]),
            ],
        )
        .await,
    );
    assert_eq!(d, "certificate_revoked");
    // Not revoked: fine.
    let (d, t) = alert(
        connect(
            port,
            vec![
                ca.clone(),
                SslOption::CrlCheck(CrlCheck::True),
                SslOption::CrlCache(vec![clean_inter.clone(), clean_root]),
            ],
        )
        .await,
    );
    assert_eq!(d, "connected", "{t}");
    // No CRL for the intermediate's issuer: undetermined fails with true, passes with best_effort.
    let (d, t) = alert(
        connect(
            port,
            vec![
                ca.clone(),
                SslOption::CrlCheck(CrlCheck::True),
                SslOption::CrlCache(vec![clean_inter.clone()]),
            ],
        )
        .await,
    );
    assert_eq!(d, "bad_certificate", "{t}");
    assert!(t.contains("revocation_status_undetermined"), "{t}");
    let (d, t) = alert(
        connect(
            port,
            vec![
                ca,
                SslOption::CrlCheck(CrlCheck::BestEffort),
                SslOption::CrlCache(vec![clean_inter]),
            ],
        )
        .await,
    );
    assert_eq!(d, "connected", "{t}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customize_hostname_check_match_fun() {
    let pki = Pki::new();
    let port = server(
        &pki.wrong_host_server.certfile,
        &pki.wrong_host_server.keyfile,
    )
    .await;
    let ca = SslOption::Cacertfile(pki.ca.id.certfile.clone());
    let err = connect(port, vec![ca.clone()]).await.unwrap_err();
    assert!(
        matches!(err, Reason::TlsAlert { ref text, .. } if text.contains("hostname_check_failed")),
        "{err}"
    );
    let asked = Arc::new(Mutex::new(String::new()));
    let asked2 = asked.clone();
    let m = MatchFun::new(move |name, cert| {
        *asked2.lock().unwrap() = name.to_string();
        cert.info
            .as_ref()
            .is_some_and(|i| i.subject_alt_names.contains(&"wrong.example".to_string()))
    });
    connect(port, vec![ca, SslOption::CustomizeHostnameCheck(m)])
        .await
        .expect("match_fun accepted the name");
    assert_eq!(*asked.lock().unwrap(), "localhost");
}

/// A server's verify_fun sees the client's chain; refusing it fails the
/// handshake on both sides with the matching alert.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_side_verify_fun_and_client_certificates() {
    let pki = Pki::new();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen2 = seen.clone();
    let refuse_client = VerifyFun::new(
        move |cert, e, s: ()| {
            seen2
                .lock()
                .unwrap()
                .push(format!("{} {}", event_text(e), cn(cert)));
            match e {
                VerifyEvent::ValidPeer => VerifyResult::Fail(BadCert::Other("not_welcome".into())),
                _ => VerifyResult::Valid(s),
            }
        },
        (),
    );
    let opts = vec![
        SslOption::Certfile(pki.server.certfile.clone()),
        SslOption::Keyfile(pki.server.keyfile.clone()),
        SslOption::Verify(ssl::Verify::VerifyPeer),
        SslOption::Cacertfile(pki.ca.id.certfile.clone()),
        SslOption::FailIfNoPeerCert(true),
        SslOption::VerifyFun(refuse_client),
    ];
    let (tx, rx) = tokio::sync::oneshot::channel();
    let (res_tx, res_rx) = tokio::sync::oneshot::channel();
    process::spawn(async move {
        let l = ssl::listen(0, opts).await.unwrap();
        tx.send(ssl::sockname(&l).await.unwrap().port()).unwrap();
        let t = ssl::transport_accept(&l, 10_000).await.unwrap();
        res_tx
            .send(ssl::handshake(&t, 10_000).await.map(|_| ()))
            .unwrap();
    });
    let port = rx.await.unwrap();
    let client_err = process::run(async {
        let s = ssl::connect(
            "localhost",
            port,
            vec![
                SslOption::Cacertfile(pki.ca.id.certfile.clone()),
                SslOption::Certfile(pki.client.certfile.clone()),
                SslOption::Keyfile(pki.client.keyfile.clone()),
                SslOption::Active(ssl::Active::False),
            ],
            10_000,
        )
        .await;
        match s {
            Err(e) => e,
            Ok(s) => ssl::recv(&s, 0, 5_000).await.unwrap_err(),
        }
    })
    .await;
    let server_err = res_rx.await.unwrap().unwrap_err();
    assert_eq!(
        *seen.lock().unwrap(),
        vec![
            "extension 2.5.29.17 wassl client".to_string(),
            "valid_peer wassl client".to_string()
        ]
    );
    match (&server_err, &client_err) {
        (
            Reason::TlsAlert {
                description: d1,
                text: t1,
            },
            Reason::TlsAlert {
                description: d2,
                text: t2,
            },
        ) => {
            assert_eq!(d1, "handshake_failure");
            assert_eq!(d2, "handshake_failure");
            assert!(t1.contains("{bad_cert,not_welcome}"), "{t1}");
            assert!(t2.contains("received SERVER ALERT"), "{t2}");
        }
        other => panic!("{other:?}"),
    }
}

/// The PEM cache notices a changed file; clear_pem_cache empties it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pem_cache_follows_file_changes() {
    let pki = Pki::new();
    let certfile = pki.dir.join("served.pem");
    let keyfile = pki.dir.join("served.key");
    let serve = |c: &Identity| {
        std::fs::copy(&c.certfile, &certfile).unwrap();
        std::fs::copy(&c.keyfile, &keyfile).unwrap();
    };
    let peer = |port: u16| {
        let ca = pki.ca.id.certfile.clone();
        async move {
            process::run(async {
                let s = ssl::connect(
                    "127.0.0.1",
                    port,
                    vec![
                        SslOption::Cacertfile(ca),
                        SslOption::Verify(ssl::Verify::VerifyNone),
                    ],
                    10_000,
                )
                .await
                .unwrap();
                ssl::peercert(&s).await.unwrap()
            })
            .await
        }
    };
    serve(&pki.server);
    let p1 = server(&certfile, &keyfile).await;
    assert_eq!(peer(p1).await, pki.server.cert_der);
    // A different certificate in the same files: a new listen socket serves it.
    serve(&pki.expired_server);
    let p2 = server(&certfile, &keyfile).await;
    assert_eq!(peer(p2).await, pki.expired_server.cert_der);
    ssl::clear_pem_cache();
    serve(&pki.server);
    let p3 = server(&certfile, &keyfile).await;
    assert_eq!(peer(p3).await, pki.server.cert_der);
}

/// Each reason with wassl as the client of `openssl s_server`: the alert on
/// the wire (OpenSSL reports it) and the bad_cert reason in wassl's text.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reasons_against_openssl_servers() {
    if skip_interop() {
        return;
    }
    let pki = Pki::new();
    let inter = pki.ca.intermediate("Matrix Intermediate");
    let spec = |cn: &'static str, server: bool| LeafSpec {
        cn,
        names: &["localhost"],
        expired: false,
        server,
    };
    let future = inter.issue_with(
        &spec("future", true),
        &Extras {
            not_yet_valid: true,
            ..Default::default()
        },
    );
    let eku = inter.issue(&spec("client-eku", false));
    let revoked = inter.issue_with(
        &spec("revoked", true),
        &Extras {
            serial: Some(777),
            ..Default::default()
        },
    );
    let constrained = pki.ca.constrained("Constrained CA", "other.test");
    let outside = constrained.issue(&spec("outside", true));
    let not_ca = pki.ca.not_a_ca("Not A CA");
    let under_leaf = not_ca.issue(&spec("under-leaf", true));
    let crl = SslOption::CrlCache(vec![inter.crl_pem(&[777]), pki.ca.crl(&[])]);
    // (leaf, its issuer, extra client options, alert, reason in the text, what OpenSSL prints)
    type Case<'a> = (
        &'a Identity,
        &'a Ca,
        Vec<SslOption>,
        &'a str,
        &'a str,
        &'a str,
    );
    let cases: Vec<Case<'_>> = vec![
        (
            &future,
            &inter,
            vec![],
            "certificate_expired",
            "",
            "certificate expired",
        ),
        (
            &eku,
            &inter,
            vec![],
            "handshake_failure",
            "{bad_cert,invalid_ext_key_usage}",
            "handshake failure",
        ),
        (
            &revoked,
            &inter,
            vec![SslOption::CrlCheck(CrlCheck::True), crl],
            "certificate_revoked",
            "{bad_cert,{revoked,unspecified}}",
            "certificate revoked",
        ),
        (
            &outside,
            &constrained,
            vec![],
            "bad_certificate",
            "{bad_cert,name_not_permitted}",
            "bad certificate",
        ),
        (
            &under_leaf,
            &not_ca,
            vec![],
            "handshake_failure",
            "{bad_cert,missing_basic_constraint}",
            "handshake failure",
        ),
    ];
    for (leaf, issuer, extra, alert, reason, openssl_says) in cases {
        let chain = issuer.chain_file(leaf, "matrix-chain.pem");
        let port = wassl_tests::free_port();
        let mut server = Peer::start(
            "openssl",
            &[
                "s_server",
                "-accept",
                &port.to_string(),
                "-cert",
                chain.to_str().unwrap(),
                "-cert_chain",
                issuer.id.certfile.to_str().unwrap(),
                "-key",
                leaf.keyfile.to_str().unwrap(),
                "-naccept",
                "1",
            ],
            b"",
            false,
        );
        server.expect("ACCEPT", 10);
        let mut opts = vec![SslOption::Cacertfile(pki.ca.id.certfile.clone())];
        opts.extend(extra);
        let err = connect(port, opts).await.expect_err(alert);
        match &err {
            Reason::TlsAlert { description, text } => {
                assert_eq!(description, alert, "{text}");
                assert!(text.contains(reason), "{alert}: {text}");
            }
            other => panic!("{alert}: {other}"),
        }
        server.expect(openssl_says, 10);
    }
}

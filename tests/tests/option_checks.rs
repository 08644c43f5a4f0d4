//! Options as modern OTP checks them (`ssl_config`, OTP 26 to 28): each
//! option's role, the versions it needs and the pairs that exclude each
//! other; the options the old manuals and modern OTP name beyond the basics,
//! honoured (`eccs`, `honor_ecc_order`, `middlebox_comp_mode`,
//! `certificate_authorities`, `stateless_tickets_seed`) or refused with a
//! reason; and OpenSSL's view of what the honoured ones put on the wire.

use wassl::process::{self, Message};
use wassl::ssl::{
    self, BeastMitigation, CertPolicyOpt, Mode, Protocol, Reason, SessionTickets, SslOption,
    Stapling, Verify, Version,
};
use wassl_tests::{
    free_port, openssl_s_server, pki_client, scripted_server, skip_interop, Peer, Pki,
};

fn own(pki: &Pki) -> Vec<SslOption> {
    vec![
        SslOption::Certfile(pki.server.certfile.clone()),
        SslOption::Keyfile(pki.server.keyfile.clone()),
    ]
}

async fn listen_with(pki: &Pki, extra: Vec<SslOption>) -> Result<(), Reason> {
    let l = ssl::listen(0, [own(pki), extra].concat()).await?;
    ssl::close(&l).await
}

/// Option errors come before any connection: nothing listens on the port.
async fn connect_with(extra: Vec<SslOption>) -> Reason {
    ssl::connect("localhost", free_port(), extra, 2_000)
        .await
        .unwrap_err()
}

/// An echo server whose handshakes use `opts` (plus the PKI's certificate).
async fn echo(pki: &Pki, opts: Vec<SslOption>) -> u16 {
    let opts = [vec![SslOption::Active(ssl::Active::False)], opts].concat();
    scripted_server(pki, opts, |s| async move {
        while let Ok(d) = ssl::recv(&s, 0, 10_000).await {
            if ssl::send(&s, d.as_bytes()).await.is_err() {
                return;
            }
        }
    })
    .await
}

/// The group a handshake of `client` options with the server at `port` used.
async fn group(pki: &Pki, port: u16, client: Vec<SslOption>) -> String {
    let s = pki_client(pki, port, client).await;
    let ecc = ssl::connection_information(&s).await.unwrap().ecc;
    ssl::close(&s).await.unwrap();
    ecc.expect("a key exchange group")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_other_roles_options_versions_and_pairs_as_modern_otp() {
    let pki = Pki::new();
    process::run(async {
        // Role: modern OTP's {option, client_only | server_only, Opt}.
        let e = listen_with(&pki, vec![SslOption::MaxFragmentLength(512)])
            .await
            .unwrap_err();
        assert_eq!(e.to_string(), "{option,client_only,max_fragment_length}");
        let e = listen_with(&pki, vec![SslOption::Stapling(Stapling::NoStaple)])
            .await
            .unwrap_err();
        assert_eq!(e.to_string(), "{option,client_only,stapling}");
        for (opt, name) in [
            (SslOption::SniHosts(vec![]), "sni_hosts"),
            (SslOption::HonorCipherOrder(true), "honor_cipher_order"),
            (SslOption::HonorEccOrder(false), "honor_ecc_order"),
            (SslOption::Cookie(false), "cookie"),
            (
                SslOption::StatelessTicketsSeed(b"seed".to_vec()),
                "stateless_tickets_seed",
            ),
            (SslOption::SessionCb(ssl::SessionCb::local()), "session_cb"),
            (SslOption::SessionLifetime(60), "session_lifetime"),
            (
                SslOption::TicketKeys(ssl::TicketKeys::default()),
                "ticket_keys",
            ),
        ] {
            let e = connect_with(vec![opt]).await;
            assert_eq!(e.to_string(), format!("{{option,server_only,{name}}}"));
            assert!(
                ssl::format_error(&e).contains("server option"),
                "{}",
                ssl::format_error(&e)
            );
        }

        // Versions: an option of the versions not configured.
        let only = |v: Version, o: SslOption| vec![SslOption::Versions(vec![v]), o];
        for (opts, want) in [
            (
                only(
                    Version::Tlsv1_2,
                    SslOption::SessionTickets(SessionTickets::Auto),
                ),
                "[session_tickets,{versions,['tlsv1.2']}]",
            ),
            (
                only(
                    Version::Tlsv1_2,
                    SslOption::SupportedGroups(vec!["x25519".into()]),
                ),
                "[supported_groups,{versions,['tlsv1.2']}]",
            ),
            (
                only(Version::Tlsv1_2, SslOption::MiddleboxCompMode(false)),
                "[middlebox_comp_mode,{versions,['tlsv1.2']}]",
            ),
            (
                only(Version::Tlsv1_2, SslOption::CertificateAuthorities(true)),
                "[certificate_authorities,{versions,['tlsv1.2']}]",
            ),
            (
                only(
                    Version::Tlsv1_3,
                    SslOption::ReuseSessions(ssl::ReuseSessions::True),
                ),
                "[reuse_sessions,{versions,['tlsv1.3']}]",
            ),
            (
                only(Version::Tlsv1_3, SslOption::Fallback(false)),
                "[fallback,{versions,['tlsv1.3']}]",
            ),
            (
                vec![SslOption::BeastMitigation(BeastMitigation::OneNMinusOne)],
                "[beast_mitigation,{versions,['tlsv1.3','tlsv1.2']}]",
            ),
            (
                vec![SslOption::PaddingCheck(false)],
                "[padding_check,{versions,['tlsv1.3','tlsv1.2']}]",
            ),
            (
                vec![SslOption::UseTicket(vec![])],
                "[{use_ticket,[...]},{session_tickets,disabled}]",
            ),
        ] {
            let e = connect_with(opts).await;
            assert_eq!(e.to_string(), format!("{{options,incompatible,{want}}}"));
            assert!(
                ssl::format_error(&e).starts_with("Incompatible TLS options"),
                "{}",
                ssl::format_error(&e)
            );
        }
        // A server names its CAs whatever its versions.
        listen_with(
            &pki,
            only(Version::Tlsv1_2, SslOption::CertificateAuthorities(false)),
        )
        .await
        .expect("certificate_authorities on a TLS 1.2 server");

        // Pairs.
        for (opts, want) in [
            (
                vec![
                    SslOption::SessionTickets(SessionTickets::Stateful),
                    SslOption::AntiReplay("10k".into()),
                ],
                "[{anti_replay,10k},{session_tickets,stateful}]",
            ),
            (
                vec![SslOption::StatelessTicketsSeed(b"seed".to_vec())],
                "[stateless_tickets_seed,{session_tickets,disabled}]",
            ),
            (
                vec![SslOption::FailIfNoPeerCert(true)],
                "[{verify,verify_none},{fail_if_no_peer_cert,true}]",
            ),
            (
                vec![SslOption::TicketKeys(ssl::TicketKeys::default())],
                "[{ticket_keys,{process,3600,2}},{session_tickets,disabled}]",
            ),
            (
                vec![
                    SslOption::SessionTickets(SessionTickets::Stateless),
                    SslOption::StatelessTicketsSeed(b"seed".to_vec()),
                    SslOption::TicketKeys(ssl::TicketKeys::default()),
                ],
                "[{ticket_keys,{process,3600,2}},stateless_tickets_seed]",
            ),
            (
                vec![
                    SslOption::SessionTickets(SessionTickets::Disabled),
                    SslOption::EarlyData(ssl::EarlyData::Enabled),
                ],
                "[early_data,{session_tickets,disabled}]",
            ),
        ] {
            let e = listen_with(&pki, opts).await.unwrap_err();
            assert_eq!(e.to_string(), format!("{{options,incompatible,{want}}}"));
        }
        // Values: a lifetime of nothing, a key file that cannot be read.
        let e = listen_with(&pki, vec![SslOption::SessionLifetime(0)])
            .await
            .unwrap_err();
        assert_eq!(e.to_string(), "{options,{session_lifetime,0}}");
        let e = listen_with(
            &pki,
            vec![
                SslOption::SessionTickets(SessionTickets::Stateless),
                SslOption::TicketKeys(ssl::TicketKeys::File("/nonexistent/ticket.keys".into())),
            ],
        )
        .await
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "{options,{ticket_keys,{file,\"/nonexistent/ticket.keys\"}}}"
        );
        assert!(
            ssl::format_error(&e).contains("cannot be read"),
            "{}",
            ssl::format_error(&e)
        );
        listen_with(
            &pki,
            vec![
                SslOption::SessionTickets(SessionTickets::Stateful),
                SslOption::SessionLifetime(60),
                SslOption::SessionCb(ssl::SessionCb::local()),
            ],
        )
        .await
        .expect("a server's session_cb and session_lifetime");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_rustls_cannot_do_is_refused_with_a_reason() {
    let pki = Pki::new();
    process::run(async {
        for (opt, term, words) in [
            (SslOption::Cookie(true), "{cookie,true}", "without a cookie"),
            (
                SslOption::ClientRenegotiation(true),
                "{client_renegotiation,true}",
                "renegotiation",
            ),
            (
                SslOption::SecureRenegotiate(false),
                "{secure_renegotiate,false}",
                "renegotiation",
            ),
            (
                SslOption::UserLookupFun,
                "{user_lookup_fun,{Fun,UserState}}",
                "PSK",
            ),
            (
                SslOption::CertPolicyOpts(vec![CertPolicyOpt::ExplicitPolicy(true)]),
                "{cert_policy_opts,[...]}",
                "policies",
            ),
            (
                SslOption::AllowAnyCaPurpose(true),
                "{allow_any_ca_purpose,true}",
                "extended key usage",
            ),
            (
                SslOption::Protocol(Protocol::Dtls),
                "{protocol,dtls}",
                "DTLS",
            ),
        ] {
            let e = listen_with(&pki, vec![opt]).await.unwrap_err();
            assert_eq!(e.to_string(), format!("{{options,{term}}}"));
            assert!(
                ssl::format_error(&e).contains(words),
                "{}",
                ssl::format_error(&e)
            );
        }
        for (opt, term, words) in [
            (
                SslOption::Fallback(true),
                "{options,{fallback,true}}",
                "TLS_FALLBACK_SCSV",
            ),
            (
                SslOption::MaxFragmentLength(1024),
                "{options,{max_fragment_length,1024}}",
                "RFC 6066",
            ),
            (
                SslOption::MaxFragmentLength(1000),
                "{options,{max_fragment_length,1000}}",
                "takes 512",
            ),
            (
                SslOption::Stapling(Stapling::Staple),
                "{options,{stapling,staple}}",
                "OCSP",
            ),
            (
                SslOption::Stapling(Stapling::OcspNonce(false)),
                "{options,{stapling,#{ocsp_nonce => false}}}",
                "OCSP",
            ),
            (
                SslOption::UseSrtp,
                "{options,incompatible,[use_srtp,{protocol,tls}]}",
                "DTLS",
            ),
        ] {
            let e = connect_with(vec![opt]).await;
            assert_eq!(e.to_string(), term);
            assert!(
                ssl::format_error(&e).contains(words),
                "{}",
                ssl::format_error(&e)
            );
        }
        let e = connect_with(vec![SslOption::Eccs(vec![
            "brainpoolP256r1".into(),
            "sect571r1".into(),
        ])])
        .await;
        assert!(
            ssl::format_error(&e).contains("brainpoolP256r1 (not implemented"),
            "{}",
            ssl::format_error(&e)
        );

        // The values that ask for what wassl does anyway are taken.
        let port = echo(
            &pki,
            vec![
                SslOption::Cookie(false),
                SslOption::ClientRenegotiation(false),
                SslOption::SecureRenegotiate(true),
                SslOption::CertPolicyOpts(vec![]),
                SslOption::AllowAnyCaPurpose(false),
                SslOption::Protocol(Protocol::Tls),
                SslOption::SslImp,
                SslOption::SessionTickets(SessionTickets::StatelessWithCert),
            ],
        )
        .await;
        let s = pki_client(
            &pki,
            port,
            vec![
                SslOption::Fallback(false),
                SslOption::Stapling(Stapling::NoStaple),
                SslOption::Active(ssl::Active::False),
            ],
        )
        .await;
        ssl::send(&s, b"taken").await.unwrap();
        assert_eq!(ssl::recv(&s, 0, 5_000).await.unwrap().as_bytes(), b"taken");
        ssl::close(&s).await.unwrap();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eccs_for_tls12_supported_groups_for_tls13_and_the_servers_order() {
    let pki = Pki::new();
    process::run(async {
        let tls12 = || SslOption::Versions(vec![Version::Tlsv1_2]);
        // A server with eccs: TLS 1.2 handshakes use them, TLS 1.3 ones do not.
        let port = echo(&pki, vec![SslOption::Eccs(vec!["secp384r1".into()])]).await;
        assert_eq!(group(&pki, port, vec![tls12()]).await, "secp384r1");
        assert_eq!(group(&pki, port, vec![]).await, "x25519");
        // A TLS 1.2 client's eccs are what it offers.
        let port = echo(&pki, vec![]).await;
        let eccs = SslOption::Eccs(vec!["secp256r1".into()]);
        assert_eq!(
            group(&pki, port, vec![tls12(), eccs.clone()]).await,
            "secp256r1"
        );
        // A client offering TLS 1.3 offers its supported_groups there.
        assert_eq!(group(&pki, port, vec![eccs]).await, "x25519");

        // The client's order (x25519 first) wins unless honor_ecc_order.
        let ours = SslOption::SupportedGroups(vec!["secp384r1".into(), "x25519".into()]);
        let port = echo(&pki, vec![ours.clone()]).await;
        assert_eq!(group(&pki, port, vec![]).await, "x25519");
        let port = echo(&pki, vec![ours, SslOption::HonorEccOrder(true)]).await;
        assert_eq!(group(&pki, port, vec![]).await, "secp384r1");
        let eccs = SslOption::Eccs(vec!["secp384r1".into(), "secp256r1".into()]);
        let port = echo(&pki, vec![eccs, SslOption::HonorEccOrder(true)]).await;
        assert_eq!(group(&pki, port, vec![tls12()]).await, "secp384r1");
    })
    .await;
}

/// A ticket from one server, offered to another.
async fn resumes(pki: &Pki, from: u16, to: u16) -> bool {
    let s = pki_client(
        pki,
        from,
        vec![SslOption::SessionTickets(SessionTickets::Manual)],
    )
    .await;
    ssl::send(&s, b"x").await.unwrap();
    let ticket = loop {
        match process::receive_timeout(5_000).await {
            Some(Message::SessionTicket(t)) => break t,
            Some(_) => continue,
            None => panic!("no {{ssl, session_ticket, _}} message"),
        }
    };
    ssl::close(&s).await.unwrap();
    // The server sends three tickets: the other two must not reach the next call.
    while process::receive_timeout(100).await.is_some() {}
    let s = pki_client(
        pki,
        to,
        vec![
            SslOption::SessionTickets(SessionTickets::Manual),
            SslOption::UseTicket(vec![ticket]),
        ],
    )
    .await;
    let resumed = ssl::connection_information(&s)
        .await
        .unwrap()
        .session_resumption;
    ssl::close(&s).await.unwrap();
    resumed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn servers_with_one_stateless_tickets_seed_take_each_others_tickets() {
    let pki = Pki::new();
    process::run(async {
        let stateless = SslOption::SessionTickets(SessionTickets::Stateless);
        let seeded = |seed: &[u8]| {
            vec![
                stateless.clone(),
                SslOption::StatelessTicketsSeed(seed.to_vec()),
            ]
        };
        let a = echo(&pki, seeded(b"one seed")).await;
        let b = echo(&pki, seeded(b"one seed")).await;
        let c = echo(&pki, seeded(b"another seed")).await;
        let d = echo(&pki, vec![stateless.clone()]).await;
        let e = echo(&pki, vec![stateless.clone()]).await;
        assert!(resumes(&pki, a, b).await, "the same seed");
        assert!(!resumes(&pki, a, c).await, "another seed");
        assert!(!resumes(&pki, a, d).await, "the process's key");
        assert!(resumes(&pki, d, e).await, "the process's key on both");
    })
    .await;
}

/// `(direction, content type)` of every record in an `openssl -trace` log.
fn records(trace: &str) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let mut dir = "";
    for line in trace.lines() {
        match line.trim() {
            "Received Record" => dir = "received",
            "Sent Record" => dir = "sent",
            l if l.starts_with("Content Type = ") => {
                out.push((dir, l.trim_start_matches("Content Type = ").to_string()))
            }
            _ => {}
        }
    }
    out
}

fn ccs(trace: &str, dir: &str) -> usize {
    records(trace)
        .iter()
        .filter(|(d, t)| *d == dir && t.starts_with("ChangeCipherSpec"))
        .count()
}

/// The ClientHello and records a wassl client sends, as `openssl s_server
/// -trace` reads them.
async fn client_seen_by_openssl(pki: &Pki, extra: Vec<SslOption>) -> String {
    let (mut srv, port) = openssl_s_server(pki, &["-tls1_3", "-trace", "-naccept", "1"]);
    let s = pki_client(
        pki,
        port,
        [vec![SslOption::Active(ssl::Active::False)], extra].concat(),
    )
    .await;
    ssl::send(&s, b"hello\n").await.unwrap();
    srv.expect("hello", 10);
    ssl::close(&s).await.unwrap();
    srv.finish(2)
}

/// What a wassl server sends, as `openssl s_client -trace` reads it.
async fn server_seen_by_openssl(pki: &Pki, extra: Vec<SslOption>) -> String {
    let opts = [
        vec![
            SslOption::Verify(Verify::VerifyPeer),
            SslOption::Cacertfile(pki.ca.id.certfile.clone()),
            SslOption::Mode(Mode::Binary),
        ],
        extra,
    ]
    .concat();
    let port = echo(pki, opts).await;
    let connect = format!("127.0.0.1:{port}");
    let mut c = Peer::start(
        "openssl",
        &[
            "s_client",
            "-connect",
            &connect,
            "-CAfile",
            pki.ca.id.certfile.to_str().unwrap(),
            "-tls1_3",
            "-trace",
        ],
        b"ping\n",
        true,
    );
    c.expect("Verify return code", 10);
    c.finish(2)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn middlebox_comp_mode_and_certificate_authorities_on_the_wire() {
    if skip_interop() {
        return;
    }
    let pki = Pki::new();
    process::run(async {
        // A client, by default: RFC 8446 D.4's session ID and ChangeCipherSpec, no CA names.
        let t = client_seen_by_openssl(&pki, vec![]).await;
        assert!(t.contains("session_id (len=32)"), "{t}");
        assert_eq!(ccs(&t, "received"), 1, "{t}");
        assert!(!t.contains("certificate_authorities"), "{t}");
        // Told otherwise: neither, and the CAs it trusts named.
        let t = client_seen_by_openssl(
            &pki,
            vec![
                SslOption::MiddleboxCompMode(false),
                SslOption::CertificateAuthorities(true),
            ],
        )
        .await;
        assert!(t.contains("session_id (len=0)"), "{t}");
        assert_eq!(ccs(&t, "received"), 0, "{t}");
        assert!(
            t.contains("extension_type=certificate_authorities(47)"),
            "{t}"
        );

        // A server asking for a certificate names its CAs, by default.
        let t = server_seen_by_openssl(&pki, vec![]).await;
        assert_eq!(ccs(&t, "received"), 1, "{t}");
        assert!(t.contains("Acceptable client certificate CA names"), "{t}");
        let t = server_seen_by_openssl(
            &pki,
            vec![
                SslOption::MiddleboxCompMode(false),
                SslOption::CertificateAuthorities(false),
            ],
        )
        .await;
        assert_eq!(ccs(&t, "received"), 0, "{t}");
        assert!(t.contains("No client certificate CA names sent"), "{t}");
    })
    .await;
}

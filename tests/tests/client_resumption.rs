//! A wassl client resuming against servers nobody here wrote: OpenSSL
//! (`s_server -www` reports "New" or "Reused" itself), GnuTLS and
//! Erlang/OTP (which print `session_resumption` as they see it). TLS 1.3
//! tickets (`session_tickets` auto and manual, `use_ticket`, 0-RTT) and
//! TLS 1.2 sessions (`reuse_sessions`, `reuse_session`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use wassl::process::{self, Message};
use wassl::ssl::{
    self, EarlyData, EarlyDataStatus, InfoItem, InfoValue, ReuseSessions, SessionTickets,
    SslOption, SslSocket, Version,
};
use wassl_tests::{free_port, openssl_s_server, pki_client, skip_interop, Peer, Pki};

/// `openssl s_server -www` on the PKI's server certificate, plus `extra`.
/// Everything the server sends until it closes.
async fn read_all(s: &SslSocket) -> String {
    let mut got = Vec::new();
    while let Ok(d) = ssl::recv(s, 0, 10_000).await {
        got.extend_from_slice(d.as_bytes());
    }
    String::from_utf8_lossy(&got).into_owned()
}

/// GET / from `s_server -www`: its status page, which says "New, TLSv1.3"
/// or "Reused, TLSv1.3"; and whether wassl saw a resumption.
/// The page, whether the session was resumed, and the TLS 1.2 session
/// (`session_id`, `session_data`), read before the page: once the server's
/// close has been read the socket is over, as in OTP.
async fn www(pki: &Pki, port: u16, extra: Vec<SslOption>) -> (String, bool, Vec<InfoValue>) {
    let mut opts = vec![SslOption::Active(ssl::Active::False)];
    opts.extend(extra);
    let s = pki_client(pki, port, opts).await;
    let resumed = ssl::connection_information(&s)
        .await
        .unwrap()
        .session_resumption;
    let session =
        ssl::connection_information_with(&s, &[InfoItem::SessionId, InfoItem::SessionData])
            .await
            .unwrap();
    ssl::send(&s, b"GET / HTTP/1.0\r\n\r\n").await.unwrap();
    (read_all(&s).await, resumed, session)
}

fn says(page: &str, what: &str) -> bool {
    page.lines().any(|l| l.starts_with(what))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_tickets_resume_against_openssl() {
    if skip_interop() {
        return;
    }
    let pki = Pki::new();
    let (_srv, port) = openssl_s_server(&pki, &["-www", "-tls1_3"]);
    process::run(async move {
        let auto = || vec![SslOption::SessionTickets(SessionTickets::Auto)];
        let (page, resumed, _) = www(&pki, port, auto()).await;
        assert!(says(&page, "New, TLSv1.3"), "first: {page}");
        assert!(!resumed);
        let (page, resumed, _) = www(&pki, port, auto()).await;
        assert!(says(&page, "Reused, TLSv1.3"), "second: {page}");
        assert!(resumed, "wassl reports session_resumption");
        // Without session_tickets nothing is offered.
        let (page, resumed, _) = www(&pki, port, vec![]).await;
        assert!(says(&page, "New, TLSv1.3"), "disabled: {page}");
        assert!(!resumed);
        // Other options (here: no verification) are another cache entry.
        let (page, _, _) = www(
            &pki,
            port,
            vec![
                SslOption::SessionTickets(SessionTickets::Auto),
                SslOption::Verify(ssl::Verify::VerifyNone),
            ],
        )
        .await;
        assert!(says(&page, "New, TLSv1.3"), "other options: {page}");
    })
    .await;
}

/// A client offering `ticket` with `data` as 0-RTT.
async fn with_early_data(pki: &Pki, port: u16, ticket: ssl::Ticket, data: &[u8]) -> SslSocket {
    let opts = vec![
        SslOption::SessionTickets(SessionTickets::Manual),
        SslOption::UseTicket(vec![ticket]),
        SslOption::EarlyData(EarlyData::Send(data.to_vec())),
    ];
    pki_client(pki, port, opts).await
}

/// The `{ssl, S, {early_data, _}}` message that follows such a handshake.
async fn early_data_status() -> EarlyDataStatus {
    loop {
        match process::receive_timeout(5_000).await {
            Some(Message::EarlyData(_, st)) => return st,
            Some(_) => continue,
            None => panic!("no early_data status"),
        }
    }
}

/// `manual`: the owner gets `{ssl, session_ticket, Ticket}` and offers it
/// with `use_ticket`, here with 0-RTT data that the server prints.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn manual_tickets_and_early_data_against_openssl() {
    if skip_interop() {
        return;
    }
    let pki = Pki::new();
    let (mut srv, port) = openssl_s_server(&pki, &["-tls1_3", "-early_data"]);
    process::run(async move {
        let s = pki_client(
            &pki,
            port,
            vec![SslOption::SessionTickets(SessionTickets::Manual)],
        )
        .await;
        let ticket = loop {
            match process::receive_timeout(5_000).await {
                Some(Message::SessionTicket(t)) => break t,
                Some(_) => continue,
                None => panic!("no {{ssl, session_ticket, _}} message"),
            }
        };
        assert!(format!("{ticket:?}").starts_with("#Ticket<"), "{ticket:?}");
        ssl::close(&s).await.unwrap();

        let s = with_early_data(&pki, port, ticket.clone(), b"early bird\n").await;
        assert!(
            ssl::connection_information(&s)
                .await
                .unwrap()
                .session_resumption
        );
        let status = early_data_status().await;
        assert_eq!(status, EarlyDataStatus::Accepted);
        // s_server reports the 0-RTT bytes (on stderr, the bytes on stdout).
        srv.expect("Early data received", 10);
        let log = srv.finish(2);
        assert!(log.contains("early bird"), "{log}");
        ssl::close(&s).await.unwrap();

        // The same ticket again: openssl refuses a replay of 0-RTT.
        let s = with_early_data(&pki, port, ticket, b"replayed\n").await;
        let status = early_data_status().await;
        assert_eq!(status, EarlyDataStatus::Rejected);
        ssl::close(&s).await.unwrap();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls12_sessions_resume_against_openssl() {
    if skip_interop() {
        return;
    }
    let pki = Pki::new();
    for ticket_mode in [&[][..], &["-no_ticket"][..]] {
        let mut args = vec!["-www", "-tls1_2"];
        args.extend_from_slice(ticket_mode);
        let (_srv, port) = openssl_s_server(&pki, &args);
        let pki = &pki;
        process::run(async move {
            // reuse_sessions defaults to true, as in OTP.
            let (page, _, items) = www(pki, port, vec![]).await;
            assert!(says(&page, "New, TLSv1.2"), "{ticket_mode:?} first: {page}");
            let (id, data) = match &items[..] {
                [InfoValue::SessionId(id), InfoValue::SessionData(d)] => (id.clone(), d.clone()),
                other => panic!("{ticket_mode:?}: {other:?}"),
            };
            if ticket_mode.is_empty() {
                // A stateless session: the ID may be anything; the data matter.
            } else {
                assert_eq!(id.len(), 32, "the server's session ID");
            }
            let (page, resumed, _) = www(pki, port, vec![]).await;
            assert!(
                says(&page, "Reused, TLSv1.2"),
                "{ticket_mode:?} second: {page}"
            );
            assert!(resumed);
            let (page, _, _) = www(
                pki,
                port,
                vec![SslOption::ReuseSessions(ReuseSessions::False)],
            )
            .await;
            assert!(says(&page, "New, TLSv1.2"), "{ticket_mode:?} false: {page}");
            let (page, _, _) = www(
                pki,
                port,
                vec![SslOption::ReuseSessions(ReuseSessions::Save)],
            )
            .await;
            assert!(says(&page, "New, TLSv1.2"), "{ticket_mode:?} save: {page}");
            // The session of the first connection, by {Id, Data}.
            let (page, resumed, _) = www(
                pki,
                port,
                vec![
                    SslOption::ReuseSessions(ReuseSessions::False),
                    SslOption::ReuseSession(id, Some(data)),
                ],
            )
            .await;
            assert!(
                says(&page, "Reused, TLSv1.2"),
                "{ticket_mode:?} reuse_session: {page}"
            );
            assert!(resumed);
        })
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tickets_resume_against_gnutls() {
    if skip_interop() {
        return;
    }
    let pki = Pki::new();
    let port = free_port();
    let p = port.to_string();
    let mut srv = Peer::start(
        "gnutls-serv",
        &[
            "--echo",
            "--x509certfile",
            pki.server.certfile.to_str().unwrap(),
            "--x509keyfile",
            pki.server.keyfile.to_str().unwrap(),
            "--port",
            &p,
            "--earlydata",
        ],
        b"",
        false,
    );
    srv.expect("listening", 10);
    process::run(async move {
        let pki = &pki;
        let round_trips = |i: usize, versions: Vec<Version>| async move {
            let opts = || {
                let mut o = vec![
                    SslOption::Versions(versions.clone()),
                    SslOption::Active(ssl::Active::False),
                ];
                // A TLS 1.3 option (modern OTP refuses it with TLS 1.2 alone).
                if versions.contains(&Version::Tlsv1_3) {
                    o.push(SslOption::SessionTickets(SessionTickets::Auto));
                }
                o
            };
            for round in 0..2 {
                let s = pki_client(pki, port, opts()).await;
                ssl::send(&s, format!("round {i}.{round}\n")).await.unwrap();
                let echo = ssl::recv(&s, 0, 10_000).await.unwrap();
                assert_eq!(echo.as_bytes(), format!("round {i}.{round}\n").as_bytes());
                let resumed = ssl::connection_information(&s)
                    .await
                    .unwrap()
                    .session_resumption;
                assert_eq!(resumed, round == 1, "{versions:?} round {round}");
                ssl::close(&s).await.unwrap();
            }
        };
        round_trips(0, vec![Version::Tlsv1_3]).await;
        // 0-RTT on an `auto` ticket, which gnutls-serv --earlydata takes,
        // used just after a second boundary: a client that counts the age
        // in whole seconds then claims a second more than GnuTLS measured,
        // which GnuTLS refuses (its anti-replay check).
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
        let to_next = Duration::from_secs(1) - Duration::from_nanos(now.subsec_nanos().into());
        tokio::time::sleep(to_next + Duration::from_millis(50)).await;
        let s = pki_client(
            pki,
            port,
            vec![
                SslOption::SessionTickets(SessionTickets::Auto),
                SslOption::Versions(vec![Version::Tlsv1_3]),
                SslOption::EarlyData(EarlyData::Send(b"zero rtt\n".to_vec())),
                SslOption::Active(ssl::Active::False),
            ],
        )
        .await;
        assert_eq!(early_data_status().await, EarlyDataStatus::Accepted);
        ssl::send(&s, b"after 0-rtt\n").await.unwrap();
        let echo = ssl::recv(&s, 0, 10_000).await.unwrap();
        assert_eq!(echo.as_bytes(), b"after 0-rtt\n");
        ssl::close(&s).await.unwrap();
        round_trips(1, vec![Version::Tlsv1_2]).await;
    })
    .await;
    // GnuTLS says so itself, for the TLS 1.3, TLS 1.2 and 0-RTT resumptions.
    let log = srv.finish(1);
    assert_eq!(
        log.matches("This is a resumed session").count(),
        3,
        "gnutls-serv printed:\n{log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_resume_against_erlang() {
    if skip_interop() {
        return;
    }
    let pki = Pki::new();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/erlang/protocol.escript");
    for (vsn, opts) in [
        (
            "tlsv1.3",
            vec![SslOption::SessionTickets(SessionTickets::Auto)],
        ),
        ("tlsv1.2", vec![]),
    ] {
        let mut erl = Peer::start(
            "escript",
            &[
                script,
                "resume_server",
                pki.server.certfile.to_str().unwrap(),
                pki.server.keyfile.to_str().unwrap(),
                vsn,
            ],
            b"",
            true,
        );
        let port = erl.port();
        let pki = &pki;
        process::run(async move {
            for round in 0..2 {
                let mut o = opts.clone();
                o.push(SslOption::Active(ssl::Active::False));
                let s = pki_client(pki, port, o).await;
                ssl::send(&s, b"ping").await.unwrap();
                assert_eq!(ssl::recv(&s, 0, 10_000).await.unwrap().as_bytes(), b"ping");
                let resumed = ssl::connection_information(&s)
                    .await
                    .unwrap()
                    .session_resumption;
                assert_eq!(resumed, round == 1, "{vsn} round {round}");
                let _ = ssl::close(&s).await;
            }
        })
        .await;
        let first = erl.expect("RESUMED ", 10);
        let second = erl.expect("RESUMED ", 10);
        let session = |l: &str| l.split("SESSION ").nth(1).unwrap_or("").trim().to_string();
        if vsn == "tlsv1.3" {
            assert!(first.starts_with("RESUMED false"), "{first}");
            assert!(second.starts_with("RESUMED true"), "{second}");
        } else {
            // OTP 25 says `false` for every TLS 1.2 session (OTP issue
            // 10470); the server resumed when it kept the session ID.
            assert_eq!(session(&first).len(), 64, "{first}");
            assert_eq!(session(&first), session(&second), "{first} / {second}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resumption_options_are_checked() {
    // ({early_data, Data} without tickets: see hello_and_records.rs.)
    let e = process::run(async {
        ssl::connect(
            "localhost",
            1,
            vec![
                SslOption::SessionTickets(SessionTickets::Manual),
                SslOption::UseTicket(vec![ssl::Ticket::from_bytes(b"not a ticket".to_vec())]),
            ],
            1_000,
        )
        .await
        .unwrap_err()
    })
    .await;
    assert!(
        ssl::format_error(&e).contains("use_ticket"),
        "{}",
        ssl::format_error(&e)
    );
    let e = process::run(async {
        ssl::connect(
            "localhost",
            1,
            vec![SslOption::SessionTickets(SessionTickets::Stateless)],
            1_000,
        )
        .await
        .unwrap_err()
    })
    .await;
    assert!(
        ssl::format_error(&e).contains("server values"),
        "{}",
        ssl::format_error(&e)
    );
}

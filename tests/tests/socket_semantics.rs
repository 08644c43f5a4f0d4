//! The socket half of the `ssl` manual, checked the way Erlang/OTP 25
//! behaves: every packet type at 1 KB / 50 KB / 500 KB, http packets on the
//! wire, packet_size, header, half-close, close/2 and the downgrade to
//! plain TCP, getstat, inet options, and the error terms of misuse.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wassl::process::{self, Message};
use wassl::ssl::{
    self, Active, Data, How, HttpPacket, OptName, Packet, Reason, SslOption, SslSocket, Stat,
};
use wassl_tests::Pki;

async fn server<F, Fut>(pki: &Pki, opts: Vec<SslOption>, script: F) -> u16
where
    F: Fn(SslSocket) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    wassl_tests::scripted_server(pki, opts, script).await
}

async fn client(pki: &Pki, port: u16, extra: Vec<SslOption>) -> SslSocket {
    wassl_tests::pki_client(pki, port, extra).await
}

fn payload(n: usize, seed: u8) -> Vec<u8> {
    // No newline inside, so line framing sees one line per payload.
    (0..n)
        .map(|i| b'a' + ((i as u8).wrapping_add(seed) % 26))
        .collect()
}

/// One packet of type `p` carrying `body`, and what Erlang delivers for it.
fn frame(p: Packet, body: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let n = body.len();
    let wire = match p {
        Packet::Len(k) => {
            let mut w = (n as u64).to_be_bytes()[8 - k as usize..].to_vec();
            w.extend_from_slice(body);
            return (w, body.to_vec());
        }
        Packet::Line => [body, b"\n"].concat(),
        Packet::Asn1 => [
            &[0x04, 0x83, (n >> 16) as u8, (n >> 8) as u8, n as u8][..],
            body,
        ]
        .concat(),
        Packet::Cdr => [
            &b"GIOP\x01\x00\x00\x00"[..],
            &(n as u32).to_be_bytes(),
            body,
        ]
        .concat(),
        Packet::Sunrm => [&(0x8000_0000u32 | n as u32).to_be_bytes()[..], body].concat(),
        Packet::Fcgi => [&[1, 6, 0, 1, (n >> 8) as u8, n as u8, 0, 0][..], body].concat(),
        Packet::Tpkt => [&[3, 0, ((n + 4) >> 8) as u8, (n + 4) as u8][..], body].concat(),
        _ => body.to_vec(),
    };
    (wire.clone(), wire)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_packet_type_at_1k_50k_500k() {
    let pki = Pki::new();
    let modes: Vec<(Packet, usize)> = vec![
        (Packet::Len(1), 255),
        (Packet::Len(2), 65_535),
        (Packet::Len(4), usize::MAX),
        (Packet::Line, usize::MAX),
        (Packet::Asn1, usize::MAX),
        (Packet::Cdr, usize::MAX),
        (Packet::Sunrm, usize::MAX),
        (Packet::Fcgi, 65_535),
        (Packet::Tpkt, 65_531),
    ];
    // The server sends each test's frames as raw bytes, in odd-sized pieces.
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<Vec<u8>>();
    let rx = std::sync::Arc::new(tokio::sync::Mutex::new(rx));
    let port = server(&pki, vec![], move |s| {
        let rx = rx.clone();
        async move {
            while let Some(bytes) = rx.lock().await.recv().await {
                for piece in bytes.chunks(7_777) {
                    ssl::send(&s, piece).await.unwrap();
                }
            }
        }
    })
    .await;
    process::run(async {
        let s = client(&pki, port, vec![]).await;
        for (mode, max) in modes {
            let sizes: Vec<usize> = [1_000, 50_000, 500_000]
                .into_iter()
                .map(|n| n.min(max))
                .collect();
            ssl::setopts(&s, vec![SslOption::Packet(mode)])
                .await
                .unwrap();
            let mut wire = Vec::new();
            let mut want = Vec::new();
            for (i, n) in sizes.iter().enumerate() {
                let (w, d) = frame(mode, &payload(*n, i as u8));
                wire.extend(w);
                want.push(d);
            }
            tx.send(wire).unwrap();
            for d in want {
                match process::receive_timeout(20_000).await {
                    Some(Message::Ssl(_, got)) => {
                        assert_eq!(got.as_bytes().len(), d.len(), "{}: size", mode.name());
                        assert!(got.as_bytes() == &d[..], "{}: content", mode.name());
                    }
                    other => panic!("{}: expected a packet, got {other:?}", mode.name()),
                }
            }
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_adds_length_headers_and_refuses_oversize() {
    let pki = Pki::new();
    let port = server(
        &pki,
        vec![SslOption::Active(Active::False)],
        |s| async move {
            // Echo the raw bytes back so the client can see the header on the wire.
            let mut got = Vec::new();
            while got.len() < 2 + 50_000 + 4 + 500_000 {
                got.extend(ssl::recv(&s, 0, 10_000).await.unwrap().into_bytes());
            }
            ssl::send(&s, &got).await.unwrap();
        },
    )
    .await;
    process::run(async {
        let s = client(
            &pki,
            port,
            vec![
                SslOption::Packet(Packet::Len(2)),
                SslOption::Active(Active::False),
            ],
        )
        .await;
        assert_eq!(
            ssl::send(&s, vec![0u8; 70_000]).await,
            Err(Reason::PacketTooLarge(70_000, 65_535))
        );
        assert_eq!(
            ssl::send(&s, vec![0u8; 70_000])
                .await
                .unwrap_err()
                .to_string(),
            "{badarg,{packet_to_large,70000,65535}}"
        );
        ssl::send(&s, payload(50_000, 1)).await.unwrap();
        ssl::setopts(&s, vec![SslOption::Packet(Packet::Len(4))])
            .await
            .unwrap();
        ssl::send(&s, payload(500_000, 2)).await.unwrap();
        // Reading back with the same framing gives the payloads again.
        ssl::setopts(&s, vec![SslOption::Packet(Packet::Len(2))])
            .await
            .unwrap();
        assert_eq!(
            ssl::recv(&s, 0, 10_000).await.unwrap().into_bytes(),
            payload(50_000, 1)
        );
        ssl::setopts(&s, vec![SslOption::Packet(Packet::Len(4))])
            .await
            .unwrap();
        // A length is ignored outside raw mode, as in Erlang.
        assert_eq!(
            ssl::recv(&s, 3, 10_000).await.unwrap().into_bytes(),
            payload(500_000, 2)
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_packets_then_raw_body() {
    let pki = Pki::new();
    let port = server(&pki, vec![], |s| async move {
        ssl::send(&s, b"POST /submit?x=1 HTTP/1.1\r\nHost: example\r\nContent-Length: 4\r\nX-Custom:  v \r\n\r\nbody").await.unwrap();
        tokio::time::sleep(Duration::from_secs(2)).await;
    })
    .await;
    process::run(async {
        let s = client(
            &pki,
            port,
            vec![
                SslOption::Packet(Packet::HttpBin),
                SslOption::Active(Active::Once),
            ],
        )
        .await;
        let mut terms = Vec::new();
        loop {
            match process::receive_timeout(5_000).await {
                Some(Message::Ssl(_, Data::Http(h))) => {
                    let end = h == HttpPacket::Eoh;
                    terms.push(h.to_erlang(true));
                    if end {
                        break;
                    }
                    ssl::setopts(&s, vec![SslOption::Active(Active::Once)])
                        .await
                        .unwrap();
                }
                other => panic!("expected an http packet, got {other:?}"),
            }
        }
        assert_eq!(terms.len(), 5);
        assert_eq!(
            terms[0],
            "{http_request,'POST',{abs_path,<<47,115,117,98,109,105,116,63,120,61,49>>},{1,1}}"
        );
        assert!(
            terms[1].starts_with("{http_header,14,'Host',"),
            "{}",
            terms[1]
        );
        assert!(
            terms[2].starts_with("{http_header,38,'Content-Length',"),
            "{}",
            terms[2]
        );
        assert!(
            terms[3].starts_with("{http_header,0,<<88,45,67,117,115,116,111,109>>"),
            "{}",
            terms[3]
        );
        // Then the body, raw.
        ssl::setopts(&s, vec![SslOption::Packet(Packet::Raw)])
            .await
            .unwrap();
        // {active, once} was used up by http_eoh: the socket is passive now.
        assert_eq!(ssl::recv(&s, 4, 5_000).await.unwrap().as_bytes(), b"body");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn packet_size_violations_close_with_invalid_packet() {
    let pki = Pki::new();
    let port = server(&pki, vec![], |s| async move {
        ssl::send(&s, b"\x00\x05hello").await.unwrap();
        tokio::time::sleep(Duration::from_secs(2)).await;
    })
    .await;
    process::run(async {
        // Active: {ssl_error, S, {invalid_packet, Data}}, and nothing after it.
        let s = client(
            &pki,
            port,
            vec![SslOption::Packet(Packet::Len(2)), SslOption::PacketSize(3)],
        )
        .await;
        match process::receive_timeout(5_000).await {
            Some(Message::SslError(x, r)) => {
                assert_eq!(x, s);
                assert_eq!(
                    r.to_string(),
                    "{invalid_packet,<<0,5,104,101,108,108,111>>}"
                );
            }
            other => panic!("expected ssl_error, got {other:?}"),
        }
        assert!(
            process::receive_timeout(300).await.is_none(),
            "no ssl_closed after ssl_error"
        );
        // Passive: the error, then closed.
        let s = client(
            &pki,
            port,
            vec![
                SslOption::Packet(Packet::Len(2)),
                SslOption::PacketSize(3),
                SslOption::Active(Active::False),
            ],
        )
        .await;
        assert_eq!(
            ssl::recv(&s, 0, 5_000).await,
            Err(Reason::InvalidPacket(b"\x00\x05hello".to_vec()))
        );
        assert_eq!(ssl::recv(&s, 0, 1_000).await, Err(Reason::Closed));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn header_option_splits_the_first_bytes() {
    let pki = Pki::new();
    let port = server(&pki, vec![], |s| async move {
        ssl::send(&s, b"abcdef").await.unwrap();
        tokio::time::sleep(Duration::from_secs(2)).await;
    })
    .await;
    process::run(async {
        let _s = client(&pki, port, vec![SslOption::Header(2)]).await;
        match process::receive_timeout(5_000).await {
            Some(Message::Ssl(_, d @ Data::Header(2, _))) => {
                assert_eq!(format!("{d:?}"), "[97,98|<<\"cdef\">>]")
            }
            other => panic!("expected [97,98|<<\"cdef\">>], got {other:?}"),
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_close_with_exit_on_close_false() {
    let pki = Pki::new();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let port = server(&pki, vec![SslOption::Active(Active::False)], move |s| {
        let tx = tx.clone();
        async move {
            ssl::send(&s, b"last words").await.unwrap();
            ssl::shutdown(&s, How::Write).await.unwrap();
            assert_eq!(
                ssl::send(&s, b"x").await,
                Err(Reason::Closed),
                "write side is shut"
            );
            // Reading still works after our own shutdown(write).
            tx.send(ssl::recv(&s, 0, 5_000).await).unwrap();
        }
    })
    .await;
    process::run(async {
        let s = client(&pki, port, vec![SslOption::ExitOnClose(false)]).await;
        assert!(matches!(process::receive_timeout(5_000).await, Some(Message::Ssl(_, d)) if d.as_bytes() == b"last words"));
        assert!(matches!(process::receive_timeout(5_000).await, Some(Message::SslClosed(_))));
        // The peer closed its side; ours stays open for writing.
        ssl::send(&s, b"reply after close").await.unwrap();
    })
    .await;
    assert_eq!(
        rx.recv().await.unwrap().unwrap().as_bytes(),
        b"reply after close"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_downgrades_to_plain_tcp_both_sides() {
    let pki = Pki::new();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let port = server(&pki, vec![SslOption::Active(Active::False)], move |s| {
        let tx = tx.clone();
        async move {
            assert_eq!(
                ssl::recv(&s, 0, 5_000).await.unwrap().as_bytes(),
                b"tls part"
            );
            let (mut tcp, rest) = ssl::close_downgrade(&s, &process::self_pid(), 5_000)
                .await
                .unwrap();
            tcp.write_all(b"plain from server").await.unwrap();
            let mut buf = vec![0u8; 64];
            let n = tcp.read(&mut buf).await.unwrap();
            tx.send((rest, buf[..n].to_vec())).unwrap();
        }
    })
    .await;
    process::run(async {
        let s = client(&pki, port, vec![SslOption::Active(Active::False)]).await;
        ssl::send(&s, b"tls part").await.unwrap();
        let (mut tcp, mut rest) = ssl::close_downgrade(&s, &process::self_pid(), 5_000)
            .await
            .unwrap();
        while rest.len() < b"plain from server".len() {
            let mut buf = vec![0u8; 64];
            let n = tcp.read(&mut buf).await.unwrap();
            assert!(n > 0);
            rest.extend_from_slice(&buf[..n]);
        }
        assert_eq!(rest, b"plain from server");
        tcp.write_all(b"plain from client").await.unwrap();
        assert_eq!(
            ssl::send(&s, b"x").await,
            Err(Reason::Closed),
            "the TLS socket is gone"
        );
    })
    .await;
    let (_rest, got) = rx.recv().await.unwrap();
    assert_eq!(got, b"plain from client");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn getstat_inet_options_and_misuse() {
    let pki = Pki::new();
    let port = server(&pki, vec![], |s| async move {
        while let Some(Message::Ssl(_, d)) = process::receive_timeout(5_000).await {
            ssl::send(&s, d.as_bytes()).await.unwrap();
        }
    })
    .await;
    process::run(async {
        // A socket from transport_accept allows only handshake and controlling_process.
        let l = ssl::listen(
            0,
            vec![
                SslOption::Certfile(pki.server.certfile.clone()),
                SslOption::Keyfile(pki.server.keyfile.clone()),
            ],
        )
        .await
        .unwrap();
        let lport = ssl::sockname(&l).await.unwrap().port();
        let _raw = tokio::net::TcpStream::connect(("127.0.0.1", lport))
            .await
            .unwrap();
        let t = ssl::transport_accept(&l, 5_000).await.unwrap();
        assert_eq!(
            ssl::getopts(&t, &[OptName::Active]).await,
            Err(Reason::NotsupOnTransportAcceptSocket)
        );
        assert_eq!(
            ssl::send(&t, b"x").await,
            Err(Reason::NotsupOnTransportAcceptSocket)
        );

        let s = client(
            &pki,
            port,
            vec![
                SslOption::Sndbuf(65_536),
                SslOption::Keepalive(true),
                SslOption::Nodelay(true),
            ],
        )
        .await;
        let opts = ssl::getopts(
            &s,
            &[
                OptName::Keepalive,
                OptName::Nodelay,
                OptName::Sndbuf,
                OptName::ExitOnClose,
            ],
        )
        .await
        .unwrap();
        // OTP answers in the reverse of the order asked.
        assert_eq!(opts[3], SslOption::Keepalive(true));
        assert_eq!(opts[2], SslOption::Nodelay(true));
        assert!(
            matches!(opts[1], SslOption::Sndbuf(n) if n >= 65_536),
            "{:?}",
            opts[1]
        );
        assert_eq!(opts[0], SslOption::ExitOnClose(true));
        let before = ssl::getstat(&s, &Stat::ALL).await.unwrap();
        ssl::send(&s, vec![1u8; 10_000]).await.unwrap();
        let mut got = 0;
        while got < 10_000 {
            match process::receive_timeout(5_000).await {
                Some(Message::Ssl(_, d)) => got += d.as_bytes().len(),
                other => panic!("{other:?}"),
            }
        }
        let after = ssl::getstat(&s, &[Stat::SendOct, Stat::RecvOct, Stat::SendCnt])
            .await
            .unwrap();
        let b = |k: Stat| before.iter().find(|(s, _)| *s == k).unwrap().1;
        assert!(
            after[0].1 >= b(Stat::SendOct) + 10_000,
            "send_oct counts TLS bytes: {after:?}"
        );
        assert!(
            after[1].1 >= b(Stat::RecvOct) + 10_000,
            "recv_oct: {after:?}"
        );
        assert!(after[2].1 > b(Stat::SendCnt));
        // setopts with a TLS option: Erlang's socket_options error.
        let e = ssl::setopts(&s, vec![SslOption::Verify(ssl::Verify::VerifyPeer)])
            .await
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "{options,{socket_options,[{verify,verify_peer}],einval}}"
        );
        ssl::close_with(&s, 2_000).await.unwrap();
        // OTP asks the (closed) TCP port: einval.
        assert_eq!(
            ssl::getstat(&s, &[Stat::RecvOct]).await,
            Err(Reason::Einval)
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ip_port_and_send_timeouts() {
    let pki = Pki::new();
    // A server that never reads: the client's writes end up blocked.
    let port = server(
        &pki,
        vec![SslOption::Active(Active::False), SslOption::Recbuf(4096)],
        |_s| async move {
            tokio::time::sleep(Duration::from_secs(30)).await;
        },
    )
    .await;
    process::run(async {
        let local = wassl_tests::free_port();
        let s = client(
            &pki,
            port,
            vec![
                SslOption::Ip("127.0.0.1".parse().unwrap()),
                SslOption::Port(local),
                SslOption::Sndbuf(4096),
                SslOption::SendTimeout(ssl::Timeout::After(Duration::from_millis(200))),
                SslOption::SendTimeoutClose(true),
            ],
        )
        .await;
        assert_eq!(
            ssl::sockname(&s).await.unwrap().port(),
            local,
            "{{port, P}} picks the local port"
        );
        let chunk = vec![0u8; 1 << 20];
        let mut result = Ok(());
        for _ in 0..64 {
            result = ssl::send(&s, &chunk).await;
            if result.is_err() {
                break;
            }
        }
        assert_eq!(
            result,
            Err(Reason::Timeout),
            "a peer that does not read makes send time out"
        );
        // send_timeout_close: the socket is closed after the timeout.
        assert_eq!(ssl::send(&s, b"x").await, Err(Reason::Closed));
    })
    .await;
}

/// `hibernate_after`: idle sockets free their buffers and wake on the next
/// byte (active) or call (passive), losing nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hibernating_sockets_wake_and_lose_nothing() {
    let pki = Pki::new();
    let port =
        wassl_tests::scripted_server(&pki, vec![SslOption::HibernateAfter(20)], |s| async move {
            // Echo, but late: both ends hibernate in between.
            while let Some(Message::Ssl(_, d)) = process::receive_timeout(5_000).await {
                tokio::time::sleep(std::time::Duration::from_millis(150)).await;
                if ssl::send(&s, d.as_bytes()).await.is_err() {
                    return;
                }
            }
        })
        .await;
    process::run(async {
        for active in [Active::True, Active::False] {
            let s = wassl_tests::pki_client(
                &pki,
                port,
                vec![SslOption::HibernateAfter(20), SslOption::Active(active)],
            )
            .await;
            for round in 0..3u8 {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                let msg = vec![round; 40_000];
                ssl::send(&s, &msg).await.unwrap();
                let mut got = Vec::new();
                while got.len() < msg.len() {
                    if active == Active::False {
                        got.extend(ssl::recv(&s, 0, 5_000).await.unwrap().into_bytes());
                    } else {
                        match process::receive_timeout(5_000).await {
                            Some(Message::Ssl(_, d)) => got.extend_from_slice(d.as_bytes()),
                            other => panic!("{active:?} round {round}: {other:?}"),
                        }
                    }
                }
                assert_eq!(got, msg, "{active:?} round {round}");
            }
            ssl::close(&s).await.unwrap();
        }
    })
    .await;
}

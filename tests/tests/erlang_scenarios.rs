//! The same client steps, run once by Erlang/OTP's own `ssl` (an escript)
//! and once by wassl, each against a wassl server that sends the same
//! bytes: every message the owner receives and every return value must be
//! the same Erlang term, in the same order.

use std::time::Duration;

use wassl::process::{self, Message};
use wassl::ssl::{
    self, Active, Data, How, Mode, OptName, Packet, Reason, SslOption, SslSocket, Stat,
};
use wassl_tests::{require, skip_interop, Peer, Pki};

/// What the server sends, piece by piece (with pauses), before it closes.
fn script(name: &str) -> Vec<(Vec<u8>, u64)> {
    let v = |b: &[u8], ms: u64| (b.to_vec(), ms);
    match name {
        "passive" => vec![v(b"0123456789", 300), v(b"abc", 300)],
        "once_n" => (0..6u8).map(|i| v(&[0, 3, b'a' + i, b'a' + i, b'a' + i], 20)).collect(),
        "packet_size" => vec![v(b"\x00\x05hello", 300)],
        "http" => vec![v(b"GET /a?b HTTP/1.1\r\nHost: x\r\ncontent-length: 0\r\nX-Y: z \r\n\r\nHTTP/1.0 200 OK\r\n\r\n", 300)],
        "list_line" => vec![v(b"one\ntw", 100), v(b"o\nthree\n", 300)],
        "header" => vec![v(b"abcdef", 300)],
        "passive_packet" => vec![v(b"\x00\x00\x00\x02hi\x00\x00\x01\x00", 300)],
        "after_closed" => vec![v(b"x", 300)],
        "passive_closed" => vec![v(b"1", 300)],
        // Nothing to send: the client only sets options.
        "active_n" => vec![v(b"", 2500)],
        // Records that arrive apart are delivered apart, also to a passive
        // socket that holds data when they come.
        // Nothing to send: the client checks its kernel options.
        "user_socket" => vec![v(b"", 1500)],
        "boundaries" => vec![
            v(b"1", 100),
            v(b"2", 100),
            v(b"3", 600),
            v(b"4", 100),
            v(b"5", 800),
        ],
        other => panic!("no script {other}"),
    }
}

const SCENARIOS: &[&str] = &[
    "passive",
    "once_n",
    "packet_size",
    "http",
    "list_line",
    "header",
    "passive_packet",
    "after_closed",
    "passive_closed",
    "active_n",
    "boundaries",
];

async fn scripted_server(pki: &Pki, name: &'static str) -> u16 {
    let opts = vec![
        SslOption::Certfile(pki.server.certfile.clone()),
        SslOption::Keyfile(pki.server.keyfile.clone()),
        SslOption::Mode(Mode::Binary),
        SslOption::Active(Active::False),
    ];
    let (port_tx, port_rx) = tokio::sync::oneshot::channel();
    process::spawn(async move {
        let l = ssl::listen(0, opts).await.unwrap();
        port_tx
            .send(ssl::sockname(&l).await.unwrap().port())
            .unwrap();
        let t = ssl::transport_accept(&l, 30_000).await.unwrap();
        let s = ssl::handshake(&t, 30_000).await.unwrap();
        // Give the client time to set itself up, as a real server would be slower.
        tokio::time::sleep(Duration::from_millis(200)).await;
        for (bytes, pause) in script(name) {
            if !bytes.is_empty() {
                ssl::send(&s, bytes).await.unwrap();
            }
            tokio::time::sleep(Duration::from_millis(pause)).await;
        }
        ssl::close(&s).await.unwrap();
    });
    port_rx.await.unwrap()
}

fn bytes(b: &[u8]) -> String {
    b.iter()
        .map(|x| x.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// `~w` of received data.
fn term(d: &Data, bin_http: bool) -> String {
    match d {
        Data::Binary(b) => format!("<<{}>>", bytes(b)),
        Data::List(b) => format!("[{}]", bytes(b)),
        Data::Header(n, b) => format!("[{}|<<{}>>]", bytes(&b[..*n]), bytes(&b[*n..])),
        Data::Http(h) => h.to_erlang(bin_http),
    }
}

fn reason(r: &Reason) -> String {
    r.to_string()
}

fn opts(name: &str) -> Vec<SslOption> {
    match name {
        "passive" => vec![
            SslOption::Active(Active::False),
            SslOption::Mode(Mode::Binary),
        ],
        "once_n" => vec![
            SslOption::Active(Active::Once),
            SslOption::Packet(Packet::Len(2)),
            SslOption::Mode(Mode::Binary),
        ],
        "packet_size" => vec![
            SslOption::Packet(Packet::Len(2)),
            SslOption::PacketSize(3),
            SslOption::Mode(Mode::Binary),
        ],
        "http" => vec![
            SslOption::Packet(Packet::HttpBin),
            SslOption::Mode(Mode::Binary),
        ],
        "list_line" => vec![SslOption::Packet(Packet::Line), SslOption::Mode(Mode::List)],
        "header" => vec![SslOption::Header(2), SslOption::Mode(Mode::Binary)],
        "passive_packet" => vec![
            SslOption::Active(Active::False),
            SslOption::Packet(Packet::Len(4)),
            SslOption::PacketSize(100),
            SslOption::Mode(Mode::Binary),
        ],
        "after_closed" => vec![
            SslOption::Active(Active::True),
            SslOption::Mode(Mode::Binary),
        ],
        "passive_closed" | "active_n" | "boundaries" => vec![
            SslOption::Active(Active::False),
            SslOption::Mode(Mode::Binary),
        ],
        other => panic!("{other}"),
    }
}

/// `ok`, or `{error,Reason}`, as `~w` prints a call's answer.
fn answer<T>(r: Result<T, Reason>) -> String {
    match r {
        Ok(_) => "ok".into(),
        Err(e) => format!("{{error,{}}}", reason(&e)),
    }
}

fn getopts_term(r: Result<Vec<SslOption>, Reason>) -> String {
    match r {
        Ok(opts) => {
            let terms: Vec<String> = opts.iter().map(SslOption::to_erlang).collect();
            format!("{{ok,[{}]}}", terms.join(","))
        }
        Err(e) => format!("{{error,{}}}", reason(&e)),
    }
}

/// What the API answers once the connection is over (`calls/1` in the escript).
async fn calls(out: &mut Vec<String>, s: &SslSocket) {
    out.push(format!(
        "getopts {}",
        getopts_term(ssl::getopts(s, &[OptName::Active]).await)
    ));
    let once = vec![SslOption::Active(Active::Once)];
    out.push(format!("setopts {}", answer(ssl::setopts(s, once).await)));
    out.push(recv_term(ssl::recv(s, 0, 100).await));
    out.push(format!(
        "shutdown {}",
        answer(ssl::shutdown(s, How::Write).await)
    ));
    let me = process::self_pid();
    out.push(format!(
        "controlling_process {}",
        answer(ssl::controlling_process(s, &me).await)
    ));
    out.push(format!("peername {}", answer(ssl::peername(s).await)));
    out.push(format!("sockname {}", answer(ssl::sockname(s).await)));
    out.push(format!("send {}", answer(ssl::send(s, b"x").await)));
    out.push(format!(
        "connection_information {}",
        answer(ssl::connection_information(s).await)
    ));
    out.push(format!(
        "getstat {}",
        answer(ssl::getstat(s, &[Stat::RecvOct]).await)
    ));
    out.push(format!("close {}", answer(ssl::close(s).await)));
    out.push(format!("peername {}", answer(ssl::peername(s).await)));
    out.push(format!(
        "getopts {}",
        getopts_term(ssl::getopts(s, &[OptName::Active]).await)
    ));
}

async fn show_one(out: &mut Vec<String>, ms: u64, bin_http: bool) -> bool {
    match process::receive_timeout(ms).await {
        Some(Message::Ssl(_, d)) => out.push(format!("ssl {}", term(&d, bin_http))),
        Some(Message::SslClosed(_)) => out.push("ssl_closed".into()),
        Some(Message::SslPassive(_)) => out.push("ssl_passive".into()),
        Some(Message::SslError(_, r)) => out.push(format!("ssl_error {}", reason(&r))),
        Some(other) => out.push(format!("other {other:?}")),
        None => {
            out.push("none".into());
            return false;
        }
    }
    true
}

async fn drain(out: &mut Vec<String>, ms: u64, bin_http: bool) {
    while show_one(out, ms, bin_http).await {}
}

fn recv_term(r: Result<Data, Reason>) -> String {
    match r {
        Ok(d) => format!("recv {{ok,{}}}", term(&d, false)),
        Err(e) => format!("recv {{error,{}}}", reason(&e)),
    }
}

async fn wassl_client(pki: &Pki, port: u16, name: &str) -> Vec<String> {
    let mut all = vec![SslOption::Cacertfile(pki.ca.id.certfile.clone())];
    all.extend(opts(name));
    process::run(async {
        let s: SslSocket = ssl::connect("localhost", port, all, 10_000).await.unwrap();
        let mut out = Vec::new();
        let bin_http = name == "http";
        match name {
            "passive" => {
                for (n, t) in [(4, 5000), (6, 5000), (1, 50), (5, 5000), (0, 1000)] {
                    out.push(recv_term(ssl::recv(&s, n, t).await));
                }
                drain(&mut out, 200, false).await;
            }
            "once_n" => {
                show_one(&mut out, 5000, false).await;
                drain(&mut out, 200, false).await;
                out.push(recv_term(ssl::recv(&s, 0, 5000).await));
                ssl::setopts(&s, vec![SslOption::Active(Active::N(2))])
                    .await
                    .unwrap();
                for _ in 0..3 {
                    show_one(&mut out, 5000, false).await;
                }
                ssl::setopts(&s, vec![SslOption::Active(Active::True)])
                    .await
                    .unwrap();
                drain(&mut out, 1500, false).await;
            }
            "passive_packet" => {
                for _ in 0..3 {
                    out.push(recv_term(ssl::recv(&s, 0, 2000).await));
                }
            }
            "after_closed" => {
                show_one(&mut out, 5000, false).await;
                show_one(&mut out, 5000, false).await;
                calls(&mut out, &s).await;
            }
            "passive_closed" => {
                tokio::time::sleep(Duration::from_millis(600)).await;
                out.push(recv_term(ssl::recv(&s, 0, 1000).await));
                out.push(recv_term(ssl::recv(&s, 0, 1000).await));
                calls(&mut out, &s).await;
            }
            "active_n" => {
                let names = [
                    OptName::Packet,
                    OptName::Active,
                    OptName::Mode,
                    OptName::Header,
                    OptName::PacketSize,
                ];
                out.push(format!(
                    "getopts {}",
                    getopts_term(ssl::getopts(&s, &names).await)
                ));
                let set = |a| vec![SslOption::Active(a)];
                for a in [Active::N(30000), Active::N(30000)] {
                    out.push(format!(
                        "setopts {}",
                        answer(ssl::setopts(&s, set(a)).await)
                    ));
                }
                let active = [OptName::Active];
                out.push(format!(
                    "getopts {}",
                    getopts_term(ssl::getopts(&s, &active).await)
                ));
                for a in [
                    Active::N(40000),
                    Active::N(-40000),
                    Active::False,
                    Active::N(2),
                ] {
                    out.push(format!(
                        "setopts {}",
                        answer(ssl::setopts(&s, set(a)).await)
                    ));
                }
                out.push(format!(
                    "getopts {}",
                    getopts_term(ssl::getopts(&s, &active).await)
                ));
                let r = ssl::setopts(&s, set(Active::N(-1))).await;
                out.push(format!("setopts {}", answer(r)));
                out.push(format!(
                    "getopts {}",
                    getopts_term(ssl::getopts(&s, &active).await)
                ));
                drain(&mut out, 300, false).await;
            }
            "boundaries" => {
                tokio::time::sleep(Duration::from_millis(600)).await;
                for _ in 0..3 {
                    out.push(recv_term(ssl::recv(&s, 0, 1000).await));
                }
                tokio::time::sleep(Duration::from_millis(700)).await;
                ssl::setopts(&s, vec![SslOption::Active(Active::True)])
                    .await
                    .unwrap();
                drain(&mut out, 1500, false).await;
            }
            _ => drain(&mut out, 1500, bin_http).await,
        }
        out
    })
    .await
}

/// What the escript prints for scenario `name` against a scripted server,
/// one observation a line (Erlang's own `=...` reports and blank lines left out).
async fn erlang_lines(pki: &Pki, name: &'static str) -> Vec<String> {
    let script_path = wassl_tests::erlang_peer().replace("peer.escript", "scenario.escript");
    let port = scripted_server(pki, name).await;
    let mut erl = Peer::start(
        "escript",
        &[
            &script_path,
            name,
            &port.to_string(),
            pki.ca.id.certfile.to_str().unwrap(),
        ],
        b"",
        true,
    );
    erl.finish(30)
        .lines()
        .filter(|l| !l.starts_with('=') && !l.trim().is_empty())
        .map(str::to_string)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owners_see_what_erlang_owners_see() {
    if skip_interop() {
        return;
    }
    require("escript");
    let pki = Pki::new();
    let mut differ = Vec::new();
    for name in SCENARIOS {
        let erlang = erlang_lines(&pki, name).await;
        let port = scripted_server(&pki, name).await;
        let ours = wassl_client(&pki, port, name).await;
        assert!(
            erlang.len() >= 2,
            "{name}: Erlang printed too little: {erlang:?}"
        );
        eprintln!("{name}: erlang {erlang:?}\n{name}: wassl  {ours:?}");
        if erlang != ours {
            differ.push(format!("{name}:\n  erlang: {erlang:?}\n  wassl:  {ours:?}"));
        }
    }
    assert!(
        differ.is_empty(),
        "owners saw different things:\n{}",
        differ.join("\n")
    );
}

/// `kernel_options/1` in the escript.
async fn kernel_options(out: &mut Vec<String>, s: &SslSocket) {
    let names = [OptName::Keepalive, OptName::Linger, OptName::Nodelay];
    out.push(format!(
        "getopts {}",
        getopts_term(ssl::getopts(s, &names).await)
    ));
}

/// The escript's `user_socket` steps on an upgraded socket: what the user
/// set on the TCP socket before the upgrade stays, and only what `setopts`
/// names changes.
async fn user_socket_steps(s: &SslSocket) -> Vec<String> {
    let mut out = Vec::new();
    kernel_options(&mut out, s).await;
    let once = vec![SslOption::Active(Active::Once)];
    out.push(format!("setopts {}", answer(ssl::setopts(s, once).await)));
    kernel_options(&mut out, s).await;
    let off = vec![SslOption::Keepalive(false), SslOption::Linger(false, 0)];
    out.push(format!("setopts {}", answer(ssl::setopts(s, off).await)));
    kernel_options(&mut out, s).await;
    out
}

/// A TCP stream with the escript's kernel options set on it.
fn users_tcp(tcp: tokio::net::TcpStream) -> tokio::net::TcpStream {
    let sock = socket2::SockRef::from(&tcp);
    sock.set_keepalive(true).unwrap();
    sock.set_linger(Some(Duration::from_secs(7))).unwrap();
    tcp.set_nodelay(true).unwrap();
    tcp
}

/// `ssl:connect/3` and `ssl:handshake/3` over the user's own TCP socket, in
/// Erlang and in wassl (both roles): the same answers, line by line.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_users_socket_keeps_its_kernel_options_as_in_erlang() {
    if skip_interop() {
        return;
    }
    require("escript");
    let pki = Pki::new();
    let erlang = erlang_lines(&pki, "user_socket").await;
    assert_eq!(erlang.len(), 5, "Erlang printed {erlang:?}");
    assert!(erlang[0].contains("{keepalive,true}"), "{erlang:?}");

    // wassl as the client.
    let port = scripted_server(&pki, "user_socket").await;
    let client = process::run(async {
        let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .unwrap();
        let opts = vec![
            SslOption::Cacertfile(pki.ca.id.certfile.clone()),
            SslOption::Active(Active::False),
        ];
        let s = ssl::connect_tcp(users_tcp(tcp), "localhost", opts, 10_000)
            .await
            .unwrap();
        user_socket_steps(&s).await
    })
    .await;
    assert_eq!(client, erlang, "wassl's client against Erlang's");

    // wassl as the server, over an accepted stream the user set up.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let lport = listener.local_addr().unwrap().port();
    let ca = pki.ca.id.certfile.clone();
    let peer = process::spawn(async move {
        let opts = vec![SslOption::Cacertfile(ca)];
        let s = ssl::connect("localhost", lport, opts, 10_000)
            .await
            .unwrap();
        let _ = process::receive_timeout(3_000).await;
        drop(s);
    });
    let server = process::run(async {
        let (tcp, _) = listener.accept().await.unwrap();
        let opts = vec![
            SslOption::Certfile(pki.server.certfile.clone()),
            SslOption::Keyfile(pki.server.keyfile.clone()),
            SslOption::Active(Active::False),
        ];
        let s = ssl::handshake_tcp(users_tcp(tcp), opts, 10_000)
            .await
            .unwrap();
        user_socket_steps(&s).await
    })
    .await;
    drop(peer);
    assert_eq!(server, erlang, "wassl's server against Erlang's client");
}

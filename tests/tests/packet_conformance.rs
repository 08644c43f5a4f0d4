//! wassl's `{packet, Type}` decoding against Erlang/OTP's own
//! `erlang:decode_packet/3`, run live on the same inputs: every packet type,
//! partial input, `packet_size` limits, and the http family's terms (known
//! methods and headers, URI forms, continuation lines, errors).

use std::io::Write;
use std::process::{Command, Stdio};

use wassl::ssl::{decode_packet_term, Packet};
use wassl_tests::{erlang_peer, require, skip_interop};

fn corpus() -> Vec<(Packet, Vec<u8>, usize)> {
    let mut c: Vec<(Packet, Vec<u8>, usize)> = Vec::new();
    let mut add = |p: Packet, b: &[u8], size: usize| c.push((p, b.to_vec(), size));
    for p in [
        Packet::Raw,
        Packet::Len(1),
        Packet::Len(2),
        Packet::Len(4),
        Packet::Line,
    ] {
        add(p, b"", 0);
        add(p, b"\x00", 0);
        add(p, b"\x00\x00\x00\x05hello world\n", 0);
        add(p, b"\x00\x05hel", 0);
        add(p, b"\x03abcdef", 0);
        add(p, b"\x00\x05hello", 3);
        add(p, b"abc\r\nd", 0);
        add(p, b"abcdefgh\nxy\n", 4);
    }
    for b in [
        &b"\x30\x03\x01\x02\x03\x04\x01\x09"[..],
        b"\x30",
        b"\x30\x05\x01",
        b"\x04\x81\x02\x07\x07",
        b"\x04\x82\x01\x00",
        b"\x1f\x81\x02\x01\x07",
        b"\x30\x80\x01\x02\x00\x00",
    ] {
        add(Packet::Asn1, b, 0);
    }
    add(Packet::Asn1, b"\x04\x81\x08\x01", 5);
    add(Packet::Cdr, b"GIOP\x01\x00\x00\x00\x00\x00\x00\x02abXY", 0);
    add(Packet::Cdr, b"GIOP\x01\x00\x01\x00\x02\x00\x00\x00ab", 0);
    add(Packet::Cdr, b"GIOP\x01\x00\x00\x00\x00\x00\x00\x09ab", 0);
    add(Packet::Cdr, b"XIOP\x01\x00\x00\x00\x00\x00\x00\x02ab", 0);
    add(Packet::Sunrm, b"\x80\x00\x00\x03xyz!", 0);
    add(Packet::Sunrm, b"\x00\x00\x00\x03xy", 0);
    add(
        Packet::Fcgi,
        b"\x01\x06\x00\x01\x00\x02\x01\x00hi\x00rest",
        0,
    );
    add(Packet::Fcgi, b"\x01\x06\x00\x01\x00\x02\x01\x00hi", 0);
    add(Packet::Fcgi, b"\x02\x06\x00\x01\x00\x02\x01\x00hi\x00", 0);
    add(Packet::Tpkt, b"\x03\x00\x00\x06okz", 0);
    add(Packet::Tpkt, b"\x03\x00\x00\x06o", 0);
    add(Packet::Tpkt, b"\x04\x00\x00\x06ok", 0);
    let lines: &[&[u8]] = &[
        b"GET / HTTP/1.0\r\n",
        b"GET /x?y=1 HTTP/1.1\r\nHost: a\r\n",
        b"GET http://a.b:80/x?y HTTP/1.1\r\n",
        b"GET https://host/ HTTP/1.1\r\n",
        b"GET http://host HTTP/1.1\r\n",
        b"CONNECT host:443 HTTP/1.1\r\n",
        b"GET ftp://x/y HTTP/1.1\r\n",
        b"OPTIONS * HTTP/1.1\r\n",
        b"FOO /x HTTP/1.1\r\n",
        b"PATCH /x HTTP/1.1\r\n",
        b"get /x HTTP/1.1\r\n",
        b"garbage line\r\n",
        b"GET / HTTP/1.0\n",
        b"GET / HTTP/1.0",
        b"GET / HTTP/x.y\r\n",
        b"GET / HTTP/1.1 extra\r\n",
        b"HTTP/1.0 404 Not Found\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n",
        b"HTTP/1.1 200\r\n",
        b"HTTP/1.1 20x Bad\r\n",
        b"\r\n",
        b"oneword\r\n",
    ];
    for l in lines {
        add(Packet::Http, l, 0);
        add(Packet::HttpBin, l, 0);
    }
    add(Packet::Http, b"GET /very/long/path HTTP/1.1\r\n", 10);
    let mut headers: Vec<Vec<u8>> = [
        "Cache-Control",
        "Connection",
        "Date",
        "Pragma",
        "Transfer-Encoding",
        "Upgrade",
        "Via",
        "Accept",
        "Accept-Charset",
        "Accept-Encoding",
        "Accept-Language",
        "Authorization",
        "From",
        "Host",
        "If-Modified-Since",
        "If-Match",
        "If-None-Match",
        "If-Range",
        "If-Unmodified-Since",
        "Max-Forwards",
        "Proxy-Authorization",
        "Range",
        "Referer",
        "User-Agent",
        "Age",
        "Location",
        "Proxy-Authenticate",
        "Public",
        "Retry-After",
        "Server",
        "Vary",
        "Warning",
        "Www-Authenticate",
        "Allow",
        "Content-Base",
        "Content-Encoding",
        "Content-Language",
        "Content-Length",
        "Content-Location",
        "Content-Md5",
        "Content-Range",
        "Content-Type",
        "Etag",
        "Expires",
        "Last-Modified",
        "Accept-Ranges",
        "Set-Cookie",
        "Set-Cookie2",
        "X-Forwarded-For",
        "Cookie",
        "Keep-Alive",
        "Proxy-Connection",
        "Strict-Transport-Security",
    ]
    .iter()
    .map(|h| format!("{h}: v\r\n\r\n").into_bytes())
    .collect();
    headers.extend(
        [
            &b"content-type: text/html\r\n\r\n"[..],
            b"CONTENT-LENGTH:5\r\n\r\n",
            b"X-Thing:  v  \r\nNext: 1\r\n",
            b"x-lower-case: a\r\n\r\n",
            b"A: b\r\n c\r\n\td\r\n\r\n",
            b"A: b\r\n c\r\n",
            b"bad header line\r\n\r\n",
            b"Empty:\r\n\r\n",
            b": novalue\r\n\r\n",
            b"Host: a\r\nrest",
            b"\r\n",
            b"\n",
        ]
        .iter()
        .map(|h| h.to_vec()),
    );
    for h in &headers {
        add(Packet::Httph, h, 0);
        add(Packet::HttphBin, h, 0);
    }
    c
}

#[test]
fn decode_packet_matches_erlang() {
    if skip_interop() {
        return;
    }
    require("escript");
    let cases = corpus();
    let mut input = String::new();
    for (p, b, size) in &cases {
        let hex: String = b.iter().map(|x| format!("{x:02X}")).collect();
        input.push_str(&format!(
            "{} {} {}\n",
            p.name(),
            if hex.is_empty() { "-".into() } else { hex },
            size
        ));
    }
    let script = erlang_peer().replace("peer.escript", "decode_packet.escript");
    let mut child = Command::new("escript")
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("escript");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let erlang: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(erlang.len(), cases.len(), "Erlang answered every case");
    let mut wrong = Vec::new();
    for ((p, b, size), want) in cases.iter().zip(&erlang) {
        let got = decode_packet_term(*p, b, *size);
        if &got != want {
            wrong.push(format!(
                "{} {:?} size={size}\n  erlang: {want}\n  wassl:  {got}",
                p.name(),
                String::from_utf8_lossy(b)
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} cases differ from Erlang:\n{}",
        wrong.len(),
        cases.len(),
        wrong.join("\n")
    );
}

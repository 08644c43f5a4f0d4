//! `{packet, Type}` framing, as `erlang:decode_packet/3` does it: raw, 1/2/4
//! byte length headers, line, asn1, cdr, sunrm, fcgi, tpkt and the http
//! family (`http`, `httph`, `http_bin`, `httph_bin`). Checked against
//! Erlang/OTP itself by the `packet_conformance` test.

use std::fmt::{self, Write as _};

use super::options::Packet;
use super::Reason;

/// An HTTP packet (`{packet, http | httph | http_bin | httph_bin}`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HttpPacket {
    /// `{http_request, Method, Uri, Version}`.
    Request {
        /// A known method (`'GET'`) or another token.
        method: HttpName,
        /// The request target.
        uri: HttpUri,
        /// `{Major, Minor}`; `{0, 9}` for a request line without a version.
        version: (u32, u32),
    },
    /// `{http_response, Version, Status, Reason}`.
    Response {
        /// `{Major, Minor}`.
        version: (u32, u32),
        /// The status code.
        status: u32,
        /// The reason phrase.
        reason: String,
    },
    /// `{http_header, Bit, Field, UnmodifiedField, Value}`.
    Header {
        /// Erlang's index of a known header, 0 for others.
        bit: u32,
        /// A known header (`'Content-Length'`) or the normalised name.
        field: HttpName,
        /// The name as it was sent.
        unmodified: String,
        /// The value, surrounding white space removed, continuation lines folded.
        value: String,
    },
    /// `http_eoh`: the empty line after the headers.
    Eoh,
    /// `{http_error, Line}`: a line that is not HTTP.
    Error(String),
}

/// A name Erlang turns into an atom when it knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HttpName {
    /// Known: printed as an atom.
    Known(&'static str),
    /// Unknown: printed as a string.
    Other(String),
}

/// The target of a request line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HttpUri {
    /// `'*'`.
    Star,
    /// `{abs_path, Path}`.
    AbsPath(String),
    /// `{absoluteURI, Scheme, Host, Port, Path}` for `http://` and `https://`.
    AbsoluteUri {
        /// `http` or `https`.
        scheme: &'static str,
        /// The host.
        host: String,
        /// The port, when given.
        port: Option<u32>,
        /// The path (at least `/`).
        path: String,
    },
    /// `{scheme, Scheme, Rest}` for other `scheme:rest` targets.
    Scheme(String, String),
    /// Anything else, as a string.
    Other(String),
}

/// One decoded packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Decoded {
    /// Bytes (every non-http type).
    Bytes(Vec<u8>),
    /// An http packet.
    Http(HttpPacket),
}

/// What `decode` found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// A packet and how many bytes it used.
    Packet(Decoded, usize),
    /// Not enough data: the whole packet's length when known.
    More(Option<usize>),
    /// The data cannot be a packet of this type (or is over `packet_size`).
    Invalid,
}

fn be(bytes: &[u8]) -> usize {
    bytes.iter().fold(0usize, |acc, b| (acc << 8) | *b as usize)
}

/// Bytes of a fixed-size header plus a length: `{more, Total}` or the packet.
fn framed(buf: &[u8], hlen: usize, total: impl Fn(&[u8]) -> Option<usize>, max: usize) -> Step {
    if buf.len() < hlen {
        return Step::More(None);
    }
    let Some(total) = total(&buf[..hlen]) else {
        return Step::Invalid;
    };
    // A length shorter than its own header (TPKT's counts the header) is
    // invalid, as erts has it; a packet of no bytes would be delivered
    // for ever.
    if total < hlen || (max > 0 && total > max) {
        return Step::Invalid;
    }
    if buf.len() < total {
        return Step::More(Some(total));
    }
    Step::Packet(Decoded::Bytes(buf[..total].to_vec()), total)
}

fn asn1_len(buf: &[u8]) -> Step {
    // Tag: one byte, or 0x1f then base-128 bytes.
    let mut i = 1;
    if buf.is_empty() {
        return Step::More(None);
    }
    if buf[0] & 0x1f == 0x1f {
        loop {
            let Some(b) = buf.get(i) else {
                return Step::More(None);
            };
            i += 1;
            if b & 0x80 == 0 {
                break;
            }
        }
    }
    let Some(&first) = buf.get(i) else {
        return Step::More(None);
    };
    i += 1;
    let len = if first < 0x80 {
        first as usize
    } else if first == 0x80 {
        // Indefinite length: Erlang returns the header alone.
        return Step::Packet(Decoded::Bytes(buf[..i].to_vec()), i);
    } else {
        let n = (first & 0x7f) as usize;
        if n > 4 {
            return Step::Invalid;
        }
        if buf.len() < i + n {
            return Step::More(None);
        }
        let l = be(&buf[i..i + n]);
        i += n;
        l
    };
    let total = i + len;
    if buf.len() < total {
        return Step::More(Some(total));
    }
    Step::Packet(Decoded::Bytes(buf[..total].to_vec()), total)
}

/// `erlang:decode_packet(Type, Buf, [{packet_size, Max}])` for one packet.
/// `http_line` says the next http packet is a request/response line
/// (`http`) rather than a header (`httph`).
pub(crate) fn decode(packet: Packet, buf: &[u8], max: usize, http_line: bool) -> Step {
    match packet {
        Packet::Raw => {
            if buf.is_empty() {
                Step::More(None)
            } else {
                Step::Packet(Decoded::Bytes(buf.to_vec()), buf.len())
            }
        }
        Packet::Len(n) => {
            let n = n as usize;
            if buf.len() < n {
                return Step::More(None);
            }
            let len = be(&buf[..n]);
            if max > 0 && len > max {
                return Step::Invalid;
            }
            if buf.len() < n + len {
                return Step::More(Some(n + len));
            }
            Step::Packet(Decoded::Bytes(buf[n..n + len].to_vec()), n + len)
        }
        Packet::Line => match buf.iter().position(|b| *b == b'\n') {
            Some(end) if max == 0 || end < max => {
                Step::Packet(Decoded::Bytes(buf[..=end].to_vec()), end + 1)
            }
            Some(_) => Step::Invalid,
            None if max > 0 && buf.len() >= max => Step::Invalid,
            None => Step::More(None),
        },
        Packet::Asn1 => match asn1_len(buf) {
            Step::More(Some(t)) | Step::Packet(_, t) if max > 0 && t > max => Step::Invalid,
            s => s,
        },
        Packet::Sunrm => framed(buf, 4, |h| Some(4 + (be(h) & 0x7fff_ffff)), max),
        Packet::Tpkt => framed(
            buf,
            4,
            |h| if h[0] == 3 { Some(be(&h[2..4])) } else { None },
            max,
        ),
        Packet::Fcgi => {
            // erts waits for the padding too, then drops it: the packet is the
            // header and content, the padding is consumed (checked against OTP).
            match framed(
                buf,
                8,
                |h| {
                    if h[0] == 1 {
                        Some(8 + be(&h[4..6]) + h[6] as usize)
                    } else {
                        None
                    }
                },
                max,
            ) {
                Step::Packet(Decoded::Bytes(mut b), used) => {
                    b.truncate(8 + be(&b[4..6]));
                    Step::Packet(Decoded::Bytes(b), used)
                }
                other => other,
            }
        }
        Packet::Cdr => framed(
            buf,
            12,
            |h| {
                if &h[..4] != b"GIOP" {
                    return None;
                }
                let size = &h[8..12];
                // Byte order flag: bit 0 of byte 6 (GIOP 1.1+), 1 = little endian.
                let len = if h[6] & 1 == 1 {
                    u32::from_le_bytes([size[0], size[1], size[2], size[3]])
                } else {
                    u32::from_be_bytes([size[0], size[1], size[2], size[3]])
                };
                Some(12 + len as usize)
            },
            max,
        ),
        Packet::Http | Packet::HttpBin => {
            if http_line {
                http_line_packet(buf, max)
            } else {
                http_header(buf, max)
            }
        }
        Packet::Httph | Packet::HttphBin => http_header(buf, max),
    }
}

/// The first line in `buf`: (line without CRLF/LF, bytes used), or how to wait.
fn line(buf: &[u8], max: usize) -> Result<(&[u8], usize), Step> {
    match buf.iter().position(|b| *b == b'\n') {
        Some(end) if max > 0 && end >= max => Err(Step::Invalid),
        Some(end) => {
            let text = &buf[..end];
            let text = text.strip_suffix(b"\r").unwrap_or(text);
            Ok((text, end + 1))
        }
        None if max > 0 && buf.len() >= max => Err(Step::Invalid),
        None => Err(Step::More(None)),
    }
}

fn s(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

const METHODS: &[&str] = &["OPTIONS", "GET", "HEAD", "POST", "PUT", "DELETE", "TRACE"];

/// erts's table of known headers; a header's bit is its index plus one.
const HEADERS: &[&str] = &[
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
];

fn version(v: &[u8]) -> Option<(u32, u32)> {
    let rest = v.strip_prefix(b"HTTP/")?;
    let dot = rest.iter().position(|b| *b == b'.')?;
    let (maj, min) = (&rest[..dot], &rest[dot + 1..]);
    let num = |d: &[u8]| -> Option<u32> {
        if d.is_empty() || !d.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(d).ok()?.parse().ok()
    };
    Some((num(maj)?, num(min)?))
}

fn uri(u: &[u8]) -> HttpUri {
    if u == b"*" {
        return HttpUri::Star;
    }
    if u.first() == Some(&b'/') {
        return HttpUri::AbsPath(s(u));
    }
    let lower = u.to_ascii_lowercase();
    for (prefix, scheme) in [(&b"http://"[..], "http"), (b"https://", "https")] {
        if lower.starts_with(prefix) {
            let rest = &u[prefix.len()..];
            let slash = rest.iter().position(|b| *b == b'/').unwrap_or(rest.len());
            let (hostport, path) = (&rest[..slash], &rest[slash..]);
            let (host, port) = match hostport.iter().rposition(|b| *b == b':') {
                Some(c) => match std::str::from_utf8(&hostport[c + 1..])
                    .ok()
                    .and_then(|p| p.parse().ok())
                {
                    Some(p) => (&hostport[..c], Some(p)),
                    None => (hostport, None),
                },
                None => (hostport, None),
            };
            let path = if path.is_empty() {
                "/".to_string()
            } else {
                s(path)
            };
            return HttpUri::AbsoluteUri {
                scheme,
                host: s(host),
                port,
                path,
            };
        }
    }
    if let Some(c) = u.iter().position(|b| *b == b':') {
        if c > 0
            && u[..c]
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(b))
        {
            return HttpUri::Scheme(s(&u[..c]), s(&u[c + 1..]));
        }
    }
    HttpUri::Other(s(u))
}

fn http_line_packet(buf: &[u8], max: usize) -> Step {
    let (text, used) = match line(buf, max) {
        Ok(l) => l,
        Err(step) => return step,
    };
    let error = || Step::Packet(Decoded::Http(HttpPacket::Error(s(&buf[..used]))), used);
    let parts: Vec<&[u8]> = text
        .split(|b| *b == b' ')
        .filter(|p| !p.is_empty())
        .collect();
    if text.starts_with(b"HTTP/") {
        // Status line: version, code, reason (the rest of the line).
        let Some(v) = parts.first().and_then(|p| version(p)) else {
            return error();
        };
        let Some(code) = parts
            .get(1)
            .filter(|c| c.len() == 3 && c.iter().all(u8::is_ascii_digit))
        else {
            return error();
        };
        let status = be_digits(code);
        let after = text.len().min(parts[0].len() + 1 + 3 + 1);
        let reason = s(text.get(after..).unwrap_or(b""));
        return Step::Packet(
            Decoded::Http(HttpPacket::Response {
                version: v,
                status,
                reason,
            }),
            used,
        );
    }
    // Words after the version are ignored, as erts does.
    let (method, target, v) = match parts.as_slice() {
        [m, u, v, ..] => match version(v) {
            Some(v) => (m, u, v),
            None => return error(),
        },
        // A request line without a version is HTTP/0.9.
        [m, u] => (m, u, (0, 9)),
        _ => return error(),
    };
    if !method.iter().all(|b| b.is_ascii_graphic()) {
        return error();
    }
    let method = match METHODS.iter().find(|m| m.as_bytes() == *method) {
        Some(m) => HttpName::Known(m),
        None => HttpName::Other(s(method)),
    };
    Step::Packet(
        Decoded::Http(HttpPacket::Request {
            method,
            uri: uri(target),
            version: v,
        }),
        used,
    )
}

fn be_digits(d: &[u8]) -> u32 {
    d.iter().fold(0, |acc, b| acc * 10 + (b - b'0') as u32)
}

/// Erlang's header-name normalisation: a capital after start or `-`, else lower case.
fn normalise(name: &[u8]) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = true;
    for &b in name {
        let c = b as char;
        out.push(if upper {
            c.to_ascii_uppercase()
        } else {
            c.to_ascii_lowercase()
        });
        upper = b == b'-';
    }
    out
}

fn http_header(buf: &[u8], max: usize) -> Step {
    let (first, mut used) = match line(buf, max) {
        Ok(l) => l,
        Err(step) => return step,
    };
    if first.is_empty() {
        return Step::Packet(Decoded::Http(HttpPacket::Eoh), used);
    }
    // Continuation lines start with a space or tab: wait until the next
    // line's first byte is here to know whether it continues this one.
    let mut value_lines = vec![first];
    loop {
        match buf.get(used) {
            None => return Step::More(None),
            Some(b' ' | b'\t') => match line(&buf[used..], max) {
                Ok((l, n)) => {
                    value_lines.push(l);
                    used += n;
                }
                Err(step) => return step,
            },
            Some(_) => break,
        }
    }
    let Some(colon) = first.iter().position(|b| *b == b':') else {
        return Step::Packet(Decoded::Http(HttpPacket::Error(s(&buf[..used]))), used);
    };
    let name = &first[..colon];
    if name.iter().any(|b| !b.is_ascii_graphic()) {
        return Step::Packet(Decoded::Http(HttpPacket::Error(s(&buf[..used]))), used);
    }
    // The value runs from the first non-blank after the colon to the end of
    // the last continuation line, line breaks kept and trailing blanks too
    // (as erts gives it).
    let start = first.len() - first[colon + 1..].trim_ascii_start().len();
    let end = if value_lines.len() > 1 {
        let last = buf[..used].strip_suffix(b"\n").unwrap_or(&buf[..used]);
        last.strip_suffix(b"\r").unwrap_or(last).len()
    } else {
        first.len()
    };
    let value = s(&buf[start.min(end)..end]);
    let norm = normalise(name);
    let (bit, field) = match HEADERS.iter().position(|h| *h == norm) {
        Some(i) => (i as u32 + 1, HttpName::Known(HEADERS[i])),
        None => (0, HttpName::Other(norm)),
    };
    Step::Packet(
        Decoded::Http(HttpPacket::Header {
            bit,
            field,
            unmodified: s(name),
            value,
        }),
        used,
    )
}

/// Frame data for `send`: length-prefixed modes get their header; the
/// others are sent as they are (as Erlang does), moved, not copied.
pub(crate) fn encode(data: Vec<u8>, packet: Packet) -> Result<Vec<u8>, Reason> {
    match packet {
        Packet::Len(n) => {
            let n = n as usize;
            if n < 8 && data.len() >= 1usize << (8 * n) {
                return Err(Reason::PacketTooLarge(data.len(), (1usize << (8 * n)) - 1));
            }
            let mut out = Vec::with_capacity(n + data.len());
            out.extend_from_slice(&(data.len() as u64).to_be_bytes()[8 - n..]);
            out.extend_from_slice(&data);
            Ok(out)
        }
        _ => Ok(data),
    }
}

// ------------------------------------------------------------ Erlang terms

fn atom(out: &mut String, a: &str) {
    let plain = a.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && a.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '@');
    if plain {
        out.push_str(a);
    } else {
        out.push('\'');
        out.push_str(a);
        out.push('\'');
    }
}

/// A string as `~w` prints it: a list of codes, or a binary.
fn string(out: &mut String, s: &str, bin: bool) {
    let codes: Vec<String> = s.bytes().map(|b| b.to_string()).collect();
    if bin {
        let _ = write!(out, "<<{}>>", codes.join(","));
    } else {
        let _ = write!(out, "[{}]", codes.join(","));
    }
}

fn name(out: &mut String, n: &HttpName, bin: bool) {
    match n {
        HttpName::Known(a) => atom(out, a),
        HttpName::Other(o) => string(out, o, bin),
    }
}

impl HttpPacket {
    /// The packet as Erlang's `~w` prints it; `bin` for `http_bin`/`httph_bin`.
    pub fn to_erlang(&self, bin: bool) -> String {
        let mut o = String::new();
        match self {
            HttpPacket::Request {
                method,
                uri: u,
                version: (a, b),
            } => {
                o.push_str("{http_request,");
                name(&mut o, method, bin);
                o.push(',');
                match u {
                    HttpUri::Star => o.push_str("'*'"),
                    HttpUri::AbsPath(p) => {
                        o.push_str("{abs_path,");
                        string(&mut o, p, bin);
                        o.push('}');
                    }
                    HttpUri::AbsoluteUri {
                        scheme,
                        host,
                        port,
                        path,
                    } => {
                        let _ = write!(o, "{{absoluteURI,{scheme},");
                        string(&mut o, host, bin);
                        match port {
                            Some(p) => {
                                let _ = write!(o, ",{p},");
                            }
                            None => o.push_str(",undefined,"),
                        }
                        string(&mut o, path, bin);
                        o.push('}');
                    }
                    HttpUri::Scheme(sch, rest) => {
                        o.push_str("{scheme,");
                        string(&mut o, sch, bin);
                        o.push(',');
                        string(&mut o, rest, bin);
                        o.push('}');
                    }
                    HttpUri::Other(x) => string(&mut o, x, bin),
                }
                let _ = write!(o, ",{{{a},{b}}}}}");
            }
            HttpPacket::Response {
                version: (a, b),
                status,
                reason,
            } => {
                let _ = write!(o, "{{http_response,{{{a},{b}}},{status},");
                string(&mut o, reason, bin);
                o.push('}');
            }
            HttpPacket::Header {
                bit,
                field,
                unmodified,
                value,
            } => {
                let _ = write!(o, "{{http_header,{bit},");
                name(&mut o, field, bin);
                o.push(',');
                string(&mut o, unmodified, bin);
                o.push(',');
                string(&mut o, value, bin);
                o.push('}');
            }
            HttpPacket::Eoh => o.push_str("http_eoh"),
            HttpPacket::Error(l) => {
                o.push_str("{http_error,");
                string(&mut o, l, bin);
                o.push('}');
            }
        }
        o
    }
}

impl fmt::Display for HttpPacket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_erlang(false))
    }
}

/// `erlang:decode_packet/3`'s result as `~w` prints it (for conformance tests).
///
/// ```
/// use wassl::ssl::{decode_packet_term, Packet};
/// // A 2-byte length header, a whole packet, and the start of the next.
/// assert_eq!(
///     decode_packet_term(Packet::Len(2), &[0, 3, b'a', b'b', b'c', 0], 0),
///     "{ok,<<97,98,99>>,<<0>>}"
/// );
/// ```
pub fn decode_packet_term(packet: Packet, buf: &[u8], packet_size: usize) -> String {
    let bin = matches!(packet, Packet::HttpBin | Packet::HttphBin);
    let bytes = |b: &[u8]| {
        format!(
            "<<{}>>",
            b.iter()
                .map(|x| x.to_string())
                .collect::<Vec<_>>()
                .join(",")
        )
    };
    match decode(
        packet,
        buf,
        packet_size,
        matches!(packet, Packet::Http | Packet::HttpBin),
    ) {
        Step::Packet(Decoded::Bytes(b), used) => {
            format!("{{ok,{},{}}}", bytes(&b), bytes(&buf[used..]))
        }
        Step::Packet(Decoded::Http(h), used) => {
            format!("{{ok,{},{}}}", h.to_erlang(bin), bytes(&buf[used..]))
        }
        Step::More(Some(n)) => format!("{{more,{n}}}"),
        Step::More(None) => "{more,undefined}".into(),
        Step::Invalid => "{error,invalid}".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_headers_round_trip() {
        for n in [1u8, 2, 4] {
            let framed = encode(b"hello".to_vec(), Packet::Len(n)).unwrap();
            assert_eq!(framed.len(), n as usize + 5);
            assert_eq!(
                decode(Packet::Len(n), &framed[..framed.len() - 1], 0, false),
                Step::More(Some(framed.len()))
            );
            assert_eq!(
                decode(Packet::Len(n), &framed, 0, false),
                Step::Packet(Decoded::Bytes(b"hello".to_vec()), framed.len())
            );
            assert_eq!(
                decode(Packet::Len(n), &framed, 3, false),
                Step::Invalid,
                "over packet_size"
            );
        }
        assert_eq!(
            encode(vec![0; 256], Packet::Len(1)),
            Err(Reason::PacketTooLarge(256, 255))
        );
    }

    #[test]
    fn a_tpkt_length_shorter_than_its_header_is_invalid() {
        // erlang:decode_packet(tpkt, <<3,0,0,0,1,2>>, []) -> {error,invalid};
        // before, it was a packet of no bytes, delivered for ever (found by
        // the packet fuzz target).
        for len in 0..4u8 {
            assert_eq!(
                decode(Packet::Tpkt, &[3, 0, 0, len, 1, 2], 0, true),
                Step::Invalid
            );
        }
        assert!(matches!(
            decode(Packet::Tpkt, &[3, 0, 0, 4, 1, 2], 0, true),
            Step::Packet(_, 4)
        ));
    }

    #[test]
    fn http_terms_print_like_erlang() {
        assert_eq!(
            decode_packet_term(Packet::Http, b"GET /x HTTP/1.1\r\n", 0),
            "{ok,{http_request,'GET',{abs_path,[47,120]},{1,1}},<<>>}"
        );
        assert_eq!(
            decode_packet_term(Packet::Httph, b"\r\n", 0),
            "{ok,http_eoh,<<>>}"
        );
        assert_eq!(
            decode_packet_term(Packet::Httph, b"Host: a\r\n", 0),
            "{more,undefined}"
        );
    }
}

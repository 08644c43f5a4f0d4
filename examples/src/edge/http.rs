//! HTTP mode (`mode = "http"`): the proxy speaks HTTP itself. Clients use
//! HTTP/1.1 or HTTP/2 (by ALPN, or the h2 preface); backends get HTTP/1.1
//! on kept-alive connections, with `Forwarded`, `X-Forwarded-For`,
//! `-Proto` and `-Host`, and the client certificate in a header when
//! configured. A backend that cannot be reached answers 502, one that does
//! not answer in time 504, as nginx does. Upgrades (WebSocket) are not
//! relayed in this mode; TCP mode carries them.

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue, HOST};
use hyper::{Request, Response, StatusCode, Uri, Version};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use super::admin::Metrics;

type Body = BoxBody<Bytes, hyper::Error>;

/// Where and how one client connection's requests go.
pub(crate) struct Forwarding {
    pub(crate) backend: String,
    pub(crate) peer: SocketAddr,
    /// The configured header and the client's certificate for it (PEM,
    /// URL-escaped as nginx's `$ssl_client_escaped_cert`), if it sent one.
    pub(crate) client_cert: Option<(HeaderName, Option<HeaderValue>)>,
    pub(crate) connect_timeout: Duration,
    pub(crate) response_timeout: Duration,
    pub(crate) metrics: Arc<Metrics>,
    /// Backend connections that finished their last exchange.
    idle: Mutex<Vec<SendRequest<Incoming>>>,
}

impl Forwarding {
    pub(crate) fn new(
        backend: String,
        peer: SocketAddr,
        client_cert: Option<(HeaderName, Option<HeaderValue>)>,
        connect_timeout: Duration,
        response_timeout: Duration,
        metrics: Arc<Metrics>,
    ) -> Forwarding {
        Forwarding {
            backend,
            peer,
            client_cert,
            connect_timeout,
            response_timeout,
            metrics,
            idle: Mutex::new(Vec::new()),
        }
    }
}

/// The client certificate (DER) as a header value: PEM, URL-escaped.
pub(crate) fn escaped_pem(der: &[u8]) -> Option<HeaderValue> {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut text = String::from("-----BEGIN CERTIFICATE-----\n");
    for line in b64.as_bytes().chunks(64) {
        text.push_str(std::str::from_utf8(line).ok()?);
        text.push('\n');
    }
    text.push_str("-----END CERTIFICATE-----\n");
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    HeaderValue::from_str(&out).ok()
}

/// Serve one TLS connection's requests; returns (bytes in, bytes out) of
/// the connection's plaintext.
pub(crate) async fn serve<S>(io: S, f: Forwarding) -> Result<(u64, u64), String>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let counted = Counted::new(io);
    let (bytes_in, bytes_out) = (counted.bytes_in.clone(), counted.bytes_out.clone());
    let f = Arc::new(f);
    let service = hyper::service::service_fn(move |req| {
        let f = f.clone();
        async move { Ok::<_, Infallible>(forward(&f, req).await) }
    });
    let result = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
        .serve_connection(TokioIo::new(counted), service)
        .await
        .map_err(|e| format!("http:{e}"));
    result.map(|()| {
        (
            bytes_in.load(Ordering::Relaxed),
            bytes_out.load(Ordering::Relaxed),
        )
    })
}

async fn forward(f: &Forwarding, req: Request<Incoming>) -> Response<Body> {
    f.metrics.http_request(None);
    match exchange(f, req).await {
        Ok(r) => r,
        Err(status) => {
            f.metrics.http_request(Some(status.as_u16()));
            let body = format!(
                "{} {}\n",
                status.as_u16(),
                status.canonical_reason().unwrap_or("")
            );
            let mut r = Response::new(Full::new(Bytes::from(body)).map_err(|e| match e {}).boxed());
            *r.status_mut() = status;
            r
        }
    }
}

/// Headers of one hop only (RFC 9110 7.6.1), never forwarded. Names, not
/// strings: a string is parsed into a name on every use, for every request.
const HOP_BY_HOP: [HeaderName; 8] = [
    header::CONNECTION,
    HeaderName::from_static("keep-alive"),
    HeaderName::from_static("proxy-connection"),
    header::PROXY_AUTHENTICATE,
    header::TE,
    header::TRAILER,
    header::TRANSFER_ENCODING,
    header::UPGRADE,
];
const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");

fn strip_hop_by_hop(h: &mut HeaderMap) {
    // Headers that `Connection` names are this hop's too.
    let named: Vec<String> = h
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(',').map(|t| t.trim().to_ascii_lowercase()))
        .collect();
    for n in &HOP_BY_HOP {
        h.remove(n);
    }
    for n in &named {
        h.remove(n.as_str());
    }
}

/// `for=` of `Forwarded` (RFC 7239): an IPv6 address is quoted and bracketed.
fn node(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(a) => a.to_string(),
        IpAddr::V6(a) => format!("\"[{a}]\""),
    }
}

async fn exchange(f: &Forwarding, req: Request<Incoming>) -> Result<Response<Body>, StatusCode> {
    let (mut parts, body) = req.into_parts();
    // HTTP/1.1 names the host in `Host`; HTTP/2 in the URI's authority.
    let host = parts.headers.get(HOST).cloned().or_else(|| {
        parts
            .uri
            .authority()
            .and_then(|a| HeaderValue::from_str(a.as_str()).ok())
    });
    let h = &mut parts.headers;
    strip_hop_by_hop(h);
    // What the proxy asserts about the client, the client cannot.
    for n in [
        &header::FORWARDED,
        &X_FORWARDED_FOR,
        &X_FORWARDED_PROTO,
        &X_FORWARDED_HOST,
    ] {
        h.remove(n);
    }
    if let Some((name, value)) = &f.client_cert {
        h.remove(name);
        if let Some(v) = value {
            h.insert(name.clone(), v.clone());
        }
    }
    let ip = f.peer.ip();
    let mut fwd = format!("for={};proto=https", node(ip));
    if let Some(hv) = host.as_ref().and_then(|v| v.to_str().ok()) {
        fwd.push_str(&format!(";host=\"{hv}\""));
        h.insert(
            X_FORWARDED_HOST,
            hv.parse().map_err(|_| StatusCode::BAD_REQUEST)?,
        );
    }
    h.insert(
        header::FORWARDED,
        fwd.parse().map_err(|_| StatusCode::BAD_REQUEST)?,
    );
    h.insert(
        X_FORWARDED_FOR,
        ip.to_string()
            .parse()
            .map_err(|_| StatusCode::BAD_REQUEST)?,
    );
    h.insert(X_FORWARDED_PROTO, HeaderValue::from_static("https"));
    match host {
        Some(v) => h.insert(HOST, v),
        None => return Err(StatusCode::BAD_REQUEST),
    };
    parts.uri = parts
        .uri
        .path_and_query()
        .map_or_else(|| Uri::from_static("/"), |p| Uri::from(p.clone()));
    parts.version = Version::HTTP_11;
    let req = Request::from_parts(parts, body);

    let mut sender = match take_idle(f) {
        Some(s) => s,
        None => connect(f).await?,
    };
    let resp = match tokio::time::timeout(f.response_timeout, sender.send_request(req)).await {
        Err(_) => return Err(StatusCode::GATEWAY_TIMEOUT),
        Ok(Err(_)) => {
            f.metrics.backend_failed();
            return Err(StatusCode::BAD_GATEWAY);
        }
        Ok(Ok(r)) => r,
    };
    if let Ok(mut idle) = f.idle.lock() {
        idle.push(sender);
    }
    let (mut parts, body) = resp.into_parts();
    strip_hop_by_hop(&mut parts.headers);
    Ok(Response::from_parts(parts, body.boxed()))
}

/// A kept backend connection that is free now (its last response read).
fn take_idle(f: &Forwarding) -> Option<SendRequest<Incoming>> {
    let mut idle = f.idle.lock().ok()?;
    idle.retain(|s| !s.is_closed());
    let i = idle.iter().position(SendRequest::is_ready)?;
    Some(idle.swap_remove(i))
}

async fn connect(f: &Forwarding) -> Result<SendRequest<Incoming>, StatusCode> {
    let tcp = match tokio::time::timeout(f.connect_timeout, TcpStream::connect(&f.backend)).await {
        Err(_) => {
            f.metrics.backend_failed();
            return Err(StatusCode::GATEWAY_TIMEOUT);
        }
        Ok(Err(_)) => {
            f.metrics.backend_failed();
            return Err(StatusCode::BAD_GATEWAY);
        }
        Ok(Ok(t)) => t,
    };
    let _ = tcp.set_nodelay(true);
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
        .await
        .map_err(|_| StatusCode::BAD_GATEWAY)?;
    tokio::spawn(conn);
    Ok(sender)
}

/// A stream that counts the bytes read and written through it.
struct Counted<S> {
    inner: S,
    bytes_in: Arc<AtomicU64>,
    bytes_out: Arc<AtomicU64>,
}

impl<S> Counted<S> {
    fn new(inner: S) -> Counted<S> {
        Counted {
            inner,
            bytes_in: Arc::default(),
            bytes_out: Arc::default(),
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Counted<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        let n = buf.filled().len() - before;
        self.bytes_in.fetch_add(n as u64, Ordering::Relaxed);
        r
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Counted<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, data);
        if let Poll::Ready(Ok(n)) = r {
            self.bytes_out.fetch_add(n as u64, Ordering::Relaxed);
        }
        r
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_certificate_header_is_url_escaped_pem() {
        let v = escaped_pem(&[0xfb, 0xff]).unwrap();
        assert_eq!(
            v.to_str().unwrap(),
            "-----BEGIN%20CERTIFICATE-----%0A%2B%2F8%3D%0A-----END%20CERTIFICATE-----%0A"
        );
    }

    #[test]
    fn hop_by_hop_and_connection_named_headers_go() {
        let mut h = HeaderMap::new();
        h.insert("connection", "close, x-secret".parse().unwrap());
        h.insert("x-secret", "1".parse().unwrap());
        h.insert("te", "trailers".parse().unwrap());
        h.insert("accept", "*/*".parse().unwrap());
        strip_hop_by_hop(&mut h);
        assert_eq!(h.len(), 1);
        assert!(h.contains_key("accept"));
        assert_eq!(node("::1".parse().unwrap()), "\"[::1]\"");
    }
}

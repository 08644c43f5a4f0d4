//! The proxy's admin listener (`admin = "IP:port"`): `GET /metrics` in
//! Prometheus's text format and `GET /health` (200 while serving, 503 while
//! draining), plain HTTP for the operator's own network.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use wassl::ssl::Reason;

/// What the proxy counts.
#[derive(Default)]
pub(crate) struct Metrics {
    /// Connections accepted and not yet finished (handshaking or relaying).
    pub(crate) active: AtomicU64,
    bytes_in: AtomicU64,
    bytes_out: AtomicU64,
    resumed: AtomicU64,
    backend_failures: AtomicU64,
    /// HTTP mode: requests, and the ones the proxy answered itself by status.
    http_requests: AtomicU64,
    http_errors: Mutex<BTreeMap<u16, u64>>,
    /// Handshakes by (version, result): "ok" or "failed".
    handshakes: Mutex<BTreeMap<(String, &'static str), u64>>,
    /// Failed handshakes by reason: the alert's name, or the reason's atom.
    failures: Mutex<BTreeMap<String, u64>>,
    draining: AtomicBool,
}

/// A failed handshake's label: `unknown_ca` for `{tls_alert, {unknown_ca,
/// _}}`, `timeout`, `closed`...
pub(crate) fn reason_label(r: &Reason) -> String {
    match r {
        Reason::TlsAlert { description, .. } => description.clone(),
        other => other
            .to_string()
            .trim_start_matches('{')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect(),
    }
}

impl Metrics {
    pub(crate) fn handshake(&self, version: &str, failure: Option<&str>) {
        let result = if failure.is_some() { "failed" } else { "ok" };
        let mut h = self.handshakes.lock().unwrap_or_else(|e| e.into_inner());
        *h.entry((version.to_string(), result)).or_default() += 1;
        if let Some(f) = failure {
            let mut f2 = self.failures.lock().unwrap_or_else(|e| e.into_inner());
            *f2.entry(f.to_string()).or_default() += 1;
        }
    }

    pub(crate) fn relayed(&self, bytes_in: u64, bytes_out: u64, resumed: bool) {
        self.bytes_in.fetch_add(bytes_in, Ordering::Relaxed);
        self.bytes_out.fetch_add(bytes_out, Ordering::Relaxed);
        if resumed {
            self.resumed.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub(crate) fn backend_failed(&self) {
        self.backend_failures.fetch_add(1, Ordering::Relaxed);
    }

    /// HTTP mode: a request (`None`), or the proxy's own answer to one (502, 504...).
    pub(crate) fn http_request(&self, error: Option<u16>) {
        match error {
            None => {
                self.http_requests.fetch_add(1, Ordering::Relaxed);
            }
            Some(code) => {
                let mut e = self.http_errors.lock().unwrap_or_else(|e| e.into_inner());
                *e.entry(code).or_default() += 1;
            }
        }
    }

    pub(crate) fn drain(&self) {
        self.draining.store(true, Ordering::SeqCst);
    }

    /// Prometheus's text exposition format.
    pub(crate) fn render(&self) -> String {
        let mut o = String::new();
        let head = |o: &mut String, name: &str, kind: &str, help: &str| {
            let _ = writeln!(o, "# HELP {name} {help}\n# TYPE {name} {kind}");
        };
        head(
            &mut o,
            "wassl_edge_connections_active",
            "gauge",
            "Connections open now.",
        );
        let _ = writeln!(
            o,
            "wassl_edge_connections_active {}",
            self.active.load(Ordering::SeqCst)
        );
        head(
            &mut o,
            "wassl_edge_handshakes_total",
            "counter",
            "TLS handshakes by version and result.",
        );
        for ((v, r), c) in self
            .handshakes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            let _ = writeln!(
                o,
                "wassl_edge_handshakes_total{{version=\"{v}\",result=\"{r}\"}} {c}"
            );
        }
        head(
            &mut o,
            "wassl_edge_handshake_failures_total",
            "counter",
            "Failed handshakes by alert or reason.",
        );
        for (r, c) in self
            .failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            let _ = writeln!(
                o,
                "wassl_edge_handshake_failures_total{{reason=\"{r}\"}} {c}"
            );
        }
        for (name, help, v) in [
            (
                "wassl_edge_resumed_total",
                "Handshakes that resumed a session.",
                &self.resumed,
            ),
            (
                "wassl_edge_backend_failures_total",
                "Connections or requests whose backend could not be reached.",
                &self.backend_failures,
            ),
            (
                "wassl_edge_http_requests_total",
                "HTTP mode: requests received.",
                &self.http_requests,
            ),
        ] {
            head(&mut o, name, "counter", help);
            let _ = writeln!(o, "{name} {}", v.load(Ordering::Relaxed));
        }
        head(
            &mut o,
            "wassl_edge_bytes_total",
            "counter",
            "Bytes relayed, from clients (in) and to them (out).",
        );
        for (dir, v) in [("in", &self.bytes_in), ("out", &self.bytes_out)] {
            let _ = writeln!(
                o,
                "wassl_edge_bytes_total{{direction=\"{dir}\"}} {}",
                v.load(Ordering::Relaxed)
            );
        }
        head(
            &mut o,
            "wassl_edge_http_proxy_errors_total",
            "counter",
            "HTTP mode: requests the proxy answered itself, by status (502 backend unreachable, 504 too slow).",
        );
        for (code, c) in self
            .http_errors
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            let _ = writeln!(
                o,
                "wassl_edge_http_proxy_errors_total{{status=\"{code}\"}} {c}"
            );
        }
        let pool = wassl::runtime::sandboxes();
        head(
            &mut o,
            "wassl_edge_sandboxes_in_use",
            "gauge",
            "Sandboxes (wasm instances) alive now: handshakes in progress and connections that keep their engine.",
        );
        let _ = writeln!(o, "wassl_edge_sandboxes_in_use {}", pool.in_use);
        head(
            &mut o,
            "wassl_edge_sandboxes_capacity",
            "gauge",
            "The sandbox pool's size (max_connections); past it, new handshakes wait, then are refused.",
        );
        let _ = writeln!(o, "wassl_edge_sandboxes_capacity {}", pool.capacity);
        o
    }
}

async fn answer(
    metrics: Arc<Metrics>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (status, body) = match req.uri().path() {
        "/metrics" => (StatusCode::OK, metrics.render()),
        "/health" if metrics.draining.load(Ordering::SeqCst) => {
            (StatusCode::SERVICE_UNAVAILABLE, "draining\n".into())
        }
        "/health" => (StatusCode::OK, "ok\n".into()),
        _ => (StatusCode::NOT_FOUND, "/metrics or /health\n".into()),
    };
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    *resp.status_mut() = status;
    Ok(resp)
}

/// Answer on `listener` until the task is aborted.
pub(crate) async fn run(listener: TcpListener, metrics: Arc<Metrics>) {
    while let Ok((tcp, _)) = listener.accept().await {
        let metrics = metrics.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| answer(metrics.clone(), req));
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(tcp), service)
                .await;
        });
    }
}

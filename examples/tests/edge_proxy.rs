//! The edge proxy (`wassl_examples::edge`) with curl as the client: a
//! certificate and a backend per SNI name, ALPN, client certificates, the
//! access log and a graceful shutdown; and the `edge_proxy` binary as an
//! operator runs it: SIGHUP reloads, SIGTERM drains, `--help`, the shipped
//! sample configuration with `gencert`'s certificates.

use std::path::Path;
use std::process::Command;

use wassl_examples::edge::{serve, Config};
use wassl_tests::{require, scratch_dir, skip_interop, LeafSpec, Peer, Pki};

mod edge_common;
use edge_common::{backend, config, curl, start};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routes_by_sni_logs_and_shuts_down_gracefully() {
    if skip_interop() {
        return;
    }
    require("curl");
    let pki = Pki::new();
    let b = pki.ca.issue(&LeafSpec {
        cn: "b.test",
        names: &["b.test"],
        expired: false,
        server: true,
    });
    let (a_addr, b_addr) = (backend("A", 0).await, backend("B", 700).await);
    let log = scratch_dir("edge").join("access.log");
    let running = start(&config(&pki, &b, &a_addr, &b_addr, &log)).await;
    let (port, stop_tx, proxy) = (running.port, running.stop, running.task);
    let ca = pki.ca.id.certfile.clone();

    // localhost has no host entry: the default certificate and backend.
    let (ok, body, err) = tokio::task::spawn_blocking({
        let ca = ca.clone();
        move || curl(&ca, "localhost", port, &[])
    })
    .await
    .unwrap();
    assert!(ok, "{err}");
    assert_eq!(body, "backend A\n");
    assert!(err.contains("CN=localhost"), "{err}");
    assert!(err.contains("ALPN: server accepted http/1.1"), "{err}");

    // b.test: its own certificate (curl checks the name) and backend. Its
    // backend is slow: stop the proxy while the request is in flight.
    let slow = tokio::task::spawn_blocking({
        let ca = ca.clone();
        move || curl(&ca, "b.test", port, &[])
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    stop_tx.send(()).unwrap();
    let (ok, body, err) = slow.await.unwrap();
    assert!(
        ok,
        "the open connection finishes during the grace period: {err}"
    );
    assert_eq!(body, "backend B\n");
    assert!(err.contains("CN=b.test"), "{err}");
    proxy.await.unwrap().unwrap();

    // Closed for new connections now.
    let (ok, _, _) = curl(&ca, "localhost", port, &[]);
    assert!(!ok, "the proxy stopped listening");

    let lines = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = lines.lines().collect();
    assert_eq!(lines.len(), 4, "{lines:?}");
    assert!(
        lines[0].ends_with(&format!(" listening: 127.0.0.1:{port}")),
        "{}",
        lines[0]
    );
    let lines = &lines[1..];
    assert!(
        lines[0].contains(
            "sni=localhost alpn=http/1.1 version=tlsv1.3 resumed=false client_cert=false"
        ),
        "{}",
        lines[0]
    );
    assert!(
        lines[0].contains(&format!("backend={a_addr}")) && lines[0].ends_with("result=ok"),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].contains("sni=b.test") && lines[1].contains(&format!("backend={b_addr}")),
        "{}",
        lines[1]
    );
    assert!(
        lines[1].contains("out=") && !lines[1].contains("out=0 "),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].ends_with(" shutdown: 0 connection(s) still open"),
        "{}",
        lines[2]
    );
    // Every line starts with its RFC 3339 UTC time.
    for l in lines {
        let stamp = l.split(' ').next().unwrap();
        assert!(
            time::OffsetDateTime::parse(stamp, &time::format_description::well_known::Rfc3339)
                .is_ok()
                && stamp.ends_with('Z'),
            "{l}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_certificates_when_configured() {
    if skip_interop() {
        return;
    }
    require("curl");
    let pki = Pki::new();
    let a_addr = backend("A", 0).await;
    let log = scratch_dir("edge-mtls").join("access.log");
    let mut text = config(&pki, &pki.server, &a_addr, &a_addr, &log);
    text = text.replace(
        "shutdown_grace_ms = 3000",
        &format!(
            "shutdown_grace_ms = 3000\nclient_cacertfile = {:?}",
            pki.ca.id.certfile
        ),
    );
    let running = start(&text).await;
    let port = running.port;
    let ca = pki.ca.id.certfile.clone();
    let (cert, key) = (pki.client.certfile.clone(), pki.client.keyfile.clone());
    let (without, with) = tokio::task::spawn_blocking(move || {
        let without = curl(&ca, "localhost", port, &[]);
        let with = curl(
            &ca,
            "localhost",
            port,
            &[
                "--cert",
                cert.to_str().unwrap(),
                "--key",
                key.to_str().unwrap(),
            ],
        );
        (without, with)
    })
    .await
    .unwrap();
    assert!(
        !without.0,
        "no client certificate, no response: {}",
        without.2
    );
    assert!(with.0, "{}", with.2);
    assert_eq!(with.1, "backend A\n");
    // A line is written when its connection ends, just after curl's.
    let mut lines = String::new();
    for _ in 0..100 {
        lines = std::fs::read_to_string(&log).unwrap_or_default();
        if lines.lines().count() >= 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(
        lines.contains("client_cert=false") && lines.contains("result=handshake:"),
        "{lines}"
    );
    assert!(
        lines.contains("client_cert=true") && lines.contains("result=ok"),
        "{lines}"
    );
}

#[test]
fn bad_configs_are_refused_with_the_reason() {
    let e = Config::from_toml("listen = 1").unwrap_err();
    assert!(e.starts_with("config:"), "{e}");
    let e = Config::from_toml(
        "listen = \"127.0.0.1:0\"\nbogus = 1\n[default]\ncertfile = \"a\"\nkeyfile = \"b\"\nbackend = \"c\"\n",
    )
    .unwrap_err();
    assert!(e.contains("bogus"), "{e}");
}

/// What `serve` says of a configuration that parses but cannot work: at
/// start, not per request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unusable_configs_stop_the_proxy_at_start() {
    let pki = Pki::new();
    let log = scratch_dir("edge-bad").join("access.log");
    let good = config(&pki, &pki.server, "127.0.0.1:9", "127.0.0.1:9", &log);
    for (from, to, says) in [
        (
            "backend = \"127.0.0.1:9\"",
            "backend = \"nohost\"",
            "backend \"nohost\"",
        ),
        ("127.0.0.1:0", "localhost:0", "not IP:port"),
        ("keyfile", "keyfile = \"/nonexistent.key\"\n#", "tls: "),
    ] {
        let cfg = Config::from_toml(&good.replacen(from, to, 1)).unwrap();
        let (ready, _) = tokio::sync::oneshot::channel();
        let e = serve(cfg, ready, std::future::pending()).await.unwrap_err();
        assert!(e.contains(says), "{from} -> {to}: {e}");
    }
}

fn signal(p: &Peer, sig: rustix::process::Signal) {
    let pid = rustix::process::Pid::from_raw(p.pid() as i32).unwrap();
    rustix::process::kill_process(pid, sig).unwrap();
}

/// Waits for the access log to hold a line containing `needle`.
async fn log_line(log: &Path, needle: &str) -> String {
    for _ in 0..200 {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        if let Some(l) = text.lines().find(|l| l.contains(needle)) {
            return l.to_string();
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!(
        "no {needle:?} in the access log:\n{}",
        std::fs::read_to_string(log).unwrap_or_default()
    );
}

/// The binary under an operator: SIGHUP while a request is in flight
/// applies a new certificate and backend to new connections only; a
/// reload to a broken file is refused and logged; SIGTERM lets an open
/// request finish, stops accepting and exits 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reloads_and_sigterm_drains() {
    use rustix::process::Signal;
    if skip_interop() {
        return;
    }
    require("curl");
    let pki = Pki::new();
    let reloaded = pki.ca.issue(&LeafSpec {
        cn: "reloaded",
        names: &["localhost"],
        expired: false,
        server: true,
    });
    let (b_addr, c_addr) = (backend("B", 1500).await, backend("C", 700).await);
    let dir = scratch_dir("edge-ops");
    let log = dir.join("access.log");
    let path = dir.join("proxy.toml");
    let write = |cert: &wassl_tests::Identity, backend: &str| {
        let text = config(&pki, cert, backend, backend, &log).replacen(
            &format!(
                "certfile = {:?}\nkeyfile = {:?}",
                pki.server.certfile, pki.server.keyfile
            ),
            &format!(
                "certfile = {:?}\nkeyfile = {:?}",
                cert.certfile, cert.keyfile
            ),
            1,
        );
        std::fs::write(&path, text).unwrap();
    };
    write(&pki.server, &b_addr);
    let mut proxy = Peer::start(
        env!("CARGO_BIN_EXE_edge_proxy"),
        &[path.to_str().unwrap()],
        b"",
        false,
    );
    let line = proxy.expect("listening on port", 60);
    let port: u16 = line.rsplit(' ').next().unwrap().trim().parse().unwrap();
    let ca = pki.ca.id.certfile.clone();
    let fetch = |ca: std::path::PathBuf| {
        tokio::task::spawn_blocking(move || curl(&ca, "localhost", port, &[]))
    };

    // In flight across the reload: it keeps the old certificate and backend.
    let in_flight = fetch(ca.clone());
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    write(&reloaded, &c_addr);
    signal(&proxy, Signal::HUP);
    log_line(&log, "reload: ok").await;
    let (ok, body, err) = fetch(ca.clone()).await.unwrap();
    assert!(ok, "{err}");
    assert_eq!(body, "backend C\n", "new connections use the new backend");
    assert!(
        err.contains("CN=reloaded"),
        "and the new certificate: {err}"
    );
    let (ok, body, err) = in_flight.await.unwrap();
    assert!(ok, "the established connection survived the reload: {err}");
    assert_eq!(body, "backend B\n");
    assert!(err.contains("CN=localhost"), "{err}");

    // A broken file is refused whole; the running configuration serves on.
    let broken = std::fs::read_to_string(&path).unwrap().replacen(
        reloaded.keyfile.to_str().unwrap(),
        "/nonexistent/reloaded.key",
        1,
    );
    std::fs::write(&path, broken).unwrap();
    signal(&proxy, Signal::HUP);
    let refused = log_line(&log, "reload: failed").await;
    assert!(refused.contains("reloaded.key"), "{refused}");
    let (ok, body, err) = fetch(ca.clone()).await.unwrap();
    assert!(ok && body == "backend C\n", "{err}");

    // SIGTERM during a request: it finishes, then the proxy exits 0.
    let last = fetch(ca.clone());
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    signal(&proxy, Signal::TERM);
    let (ok, body, err) = last.await.unwrap();
    assert!(ok, "the open request finished during the drain: {err}");
    assert_eq!(body, "backend C\n");
    let status = tokio::task::spawn_blocking(move || {
        let s = proxy.wait(20);
        (s, proxy.finish(0))
    })
    .await
    .unwrap();
    assert!(
        status.0.is_some_and(|s| s.success()),
        "exit {:?}; printed:\n{}",
        status.0,
        status.1
    );
    log_line(&log, "shutdown: 0 connection(s) still open").await;
    let (ok, _, _) = fetch(ca).await.unwrap();
    assert!(!ok, "nothing listens after the drain");
}

/// The README's commands: `gencert` makes the certificates the shipped
/// sample configuration names, and `edge_proxy` starts with it (on a free
/// port here); `--help` answers and exits 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shipped_sample_runs_with_gencert_certificates() {
    for bin in [
        env!("CARGO_BIN_EXE_edge_proxy"),
        env!("CARGO_BIN_EXE_gencert"),
    ] {
        let out = Command::new(bin).arg("--help").output().unwrap();
        assert!(out.status.success(), "{bin} --help");
        assert!(
            String::from_utf8_lossy(&out.stdout).starts_with("usage: "),
            "{bin}"
        );
    }
    let dir = scratch_dir("edge-sample");
    let out = Command::new(env!("CARGO_BIN_EXE_gencert"))
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sample = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/edge_proxy.toml"))
        .unwrap()
        .replace("127.0.0.1:8443", "127.0.0.1:0");
    std::fs::write(dir.join("sample.toml"), sample).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_edge_proxy"))
        .arg("sample.toml")
        .current_dir(&dir)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = child.stderr.take().unwrap();
    let said = tokio::task::spawn_blocking(move || {
        use std::io::Read;
        let mut buf = [0u8; 256];
        let n = err.read(&mut buf).unwrap_or(0);
        String::from_utf8_lossy(&buf[..n]).into_owned()
    })
    .await
    .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(said.contains("listening on port"), "{said}");
    // The client certificate gencert made is one the CA vouches for.
    let pki_ca = std::fs::read_to_string(dir.join("ca.pem")).unwrap();
    assert!(pki_ca.contains("BEGIN CERTIFICATE"));
    assert!(dir.join("client.key").exists() && dir.join("api.pem").exists());
}

/// `admin`: `/metrics` counts what curl did (a handshake that worked, one
/// refused with `unknown_ca`, bytes, open connections) and `/health` says
/// 200 while serving and 503 while draining.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_and_health_on_the_admin_listener() {
    if skip_interop() {
        return;
    }
    require("curl");
    let pki = Pki::new();
    let slow = backend("A", 1000).await;
    let log = scratch_dir("edge-admin").join("access.log");
    let admin = wassl_tests::free_port();
    let text = config(&pki, &pki.server, &slow, &slow, &log).replace(
        "shutdown_grace_ms = 3000",
        &format!("shutdown_grace_ms = 3000\nadmin = \"127.0.0.1:{admin}\""),
    );
    let running = start(&text).await;
    let (port, stop_tx, proxy) = (running.port, running.stop, running.task);
    let ca = pki.ca.id.certfile.clone();
    let get = move |path: &'static str| {
        tokio::task::spawn_blocking(move || {
            let out = Command::new("curl")
                .args(["-sS", "--max-time", "10", "-w", "\n%{http_code}"])
                .arg(format!("http://127.0.0.1:{admin}{path}"))
                .output()
                .unwrap();
            String::from_utf8_lossy(&out.stdout).into_owned()
        })
    };
    let (ok, body, err) = tokio::task::spawn_blocking({
        let ca = ca.clone();
        move || curl(&ca, "localhost", port, &[])
    })
    .await
    .unwrap();
    assert!(ok && body == "backend A\n", "{err}");
    // The system's CAs only: curl refuses the certificate with unknown_ca.
    let (ok, _, _) = tokio::task::spawn_blocking(move || {
        curl(
            Path::new("/etc/ssl/certs/ca-certificates.crt"),
            "localhost",
            port,
            &[],
        )
    })
    .await
    .unwrap();
    assert!(!ok);
    let mut metrics = String::new();
    for _ in 0..100 {
        metrics = get("/metrics").await.unwrap();
        if metrics.contains("wassl_edge_connections_active 0")
            && metrics.contains("result=\"failed\"")
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    for want in [
        "# TYPE wassl_edge_handshakes_total counter",
        "wassl_edge_handshakes_total{version=\"tlsv1.3\",result=\"ok\"} 1\n",
        "wassl_edge_handshake_failures_total{reason=\"unknown_ca\"} 1\n",
        "wassl_edge_connections_active 0\n",
        "wassl_edge_backend_failures_total 0\n",
    ] {
        assert!(metrics.contains(want), "no {want:?} in:\n{metrics}");
    }
    assert!(
        !metrics.contains("wassl_edge_bytes_total{direction=\"out\"} 0\n"),
        "{metrics}"
    );
    assert_eq!(get("/health").await.unwrap(), "ok\n\n200");

    // A handshake in progress holds a sandbox, and the gauge shows it.
    let mut half = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    tokio::io::AsyncWriteExt::write_all(&mut half, &[22, 3, 1, 0, 200, 1, 0, 0, 196])
        .await
        .unwrap();
    let mut in_use = 0;
    for _ in 0..100 {
        metrics = get("/metrics").await.unwrap();
        in_use = metrics
            .lines()
            .find_map(|l| l.strip_prefix("wassl_edge_sandboxes_in_use "))
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or_else(|| panic!("no sandbox gauge in:\n{metrics}"));
        if in_use >= 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(in_use >= 1, "{metrics}");
    assert!(
        metrics.contains("wassl_edge_sandboxes_capacity 1000\n"),
        "{metrics}"
    );
    drop(half);

    // Draining: health says so while a slow request finishes.
    let in_flight = tokio::task::spawn_blocking(move || curl(&ca, "localhost", port, &[]));
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    stop_tx.send(()).unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(get("/health").await.unwrap(), "draining\n\n503");
    assert!(in_flight.await.unwrap().0);
    proxy.await.unwrap().unwrap();
}

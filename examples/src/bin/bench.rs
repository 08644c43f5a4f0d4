//! `bench`: native rustls and wassl measured side by side in one run, with
//! ratios. Figures are medians of several runs.
//!
//! ```text
//! cargo run --release -p wassl-examples --bin bench            # everything
//! cargo run --release -p wassl-examples --bin bench -- --quick # fewer runs, smaller sizes
//! ```
//! Each wassl connection is a fresh sandbox (instantiate + configure +
//! handshake), as in production; native rustls shares one config.
//! wassl runs twice where it matters: with every key kept in the sandbox
//! (`{record_offload, false}`, guest-only crypto) and with TLS 1.3 records
//! protected by the host after the handshake (the default).

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use wassl::bench::EnginePair;
use wassl::process;
use wassl::ssl::{self, Active, Mode, SslOption, Version};
use wassl_tests::{Identity, Pki};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

/// The smallest and largest of `v`.
fn spread(v: &[f64]) -> (f64, f64) {
    let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
    (lo, v.iter().copied().fold(lo, f64::max))
}

/// Client processes at once in the parallel loopback handshake rows.
const PARALLEL: usize = 8;

struct Cfg {
    runs: usize,
    handshakes: usize,
    bulk_mib: usize,
    idle: usize,
    idle_server: usize,
}

// ------------------------------------------------------------------ native

/// Native configs; `resume` keeps rustls's default client session cache
/// (every handshake after the first resumes), otherwise it is disabled so
/// that each handshake is a full one.
fn native_configs(
    id: &Identity,
    ca: &[u8],
    v: Version,
    suite: Option<&str>,
    resume: bool,
) -> (Arc<rustls::ClientConfig>, Arc<rustls::ServerConfig>) {
    let mut provider = rustls::crypto::ring::default_provider();
    if let Some(name) = suite {
        provider
            .cipher_suites
            .retain(|s| s.suite().as_str().is_some_and(|n| n.ends_with(name)));
    }
    let provider = Arc::new(provider);
    let versions: &[&rustls::SupportedProtocolVersion] = match v {
        Version::Tlsv1_2 => &[&rustls::version::TLS12],
        _ => &[&rustls::version::TLS13],
    };
    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from(ca.to_vec())).unwrap();
    let mut client = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(versions)
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    if !resume {
        client.resumption = rustls::client::Resumption::disabled();
    }
    let server = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(id.cert_der.clone())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(id.key_der.clone())),
        )
        .unwrap();
    (Arc::new(client), Arc::new(server))
}

fn pump(c: &mut rustls::ClientConnection, s: &mut rustls::ServerConnection) {
    let mut buf = Vec::new();
    loop {
        buf.clear();
        while c.wants_write() {
            c.write_tls(&mut buf).unwrap();
        }
        let mut rd = &buf[..];
        while !rd.is_empty() {
            s.read_tls(&mut rd).unwrap();
            s.process_new_packets().unwrap();
        }
        let sent = buf.len();
        buf.clear();
        while s.wants_write() {
            s.write_tls(&mut buf).unwrap();
        }
        let mut rd = &buf[..];
        while !rd.is_empty() {
            c.read_tls(&mut rd).unwrap();
            c.process_new_packets().unwrap();
        }
        if sent == 0 && buf.is_empty() {
            return;
        }
    }
}

fn native_handshakes(
    cc: &Arc<rustls::ClientConfig>,
    sc: &Arc<rustls::ServerConfig>,
    n: usize,
) -> f64 {
    let t = Instant::now();
    for _ in 0..n {
        let mut c =
            rustls::ClientConnection::new(cc.clone(), "localhost".try_into().unwrap()).unwrap();
        let mut s = rustls::ServerConnection::new(sc.clone()).unwrap();
        pump(&mut c, &mut s);
        assert!(!c.is_handshaking() && !s.is_handshaking());
    }
    n as f64 / t.elapsed().as_secs_f64()
}

fn native_bulk(cc: &Arc<rustls::ClientConfig>, sc: &Arc<rustls::ServerConfig>, mib: usize) -> f64 {
    use std::io::{Read, Write};
    let mut c = rustls::ClientConnection::new(cc.clone(), "localhost".try_into().unwrap()).unwrap();
    let mut s = rustls::ServerConnection::new(sc.clone()).unwrap();
    pump(&mut c, &mut s);
    let chunk = vec![0x42u8; 64 * 1024];
    let mut out = vec![0u8; 64 * 1024];
    let mut wire = Vec::with_capacity(80 * 1024);
    let t = Instant::now();
    let mut got = 0;
    for _ in 0..mib * 16 {
        c.writer().write_all(&chunk).unwrap();
        wire.clear();
        while c.wants_write() {
            c.write_tls(&mut wire).unwrap();
        }
        let mut rd = &wire[..];
        while !rd.is_empty() {
            s.read_tls(&mut rd).unwrap();
            s.process_new_packets().unwrap();
            while let Ok(n) = s.reader().read(&mut out) {
                if n == 0 {
                    break;
                }
                got += n;
            }
        }
    }
    assert_eq!(got, mib << 20);
    mib as f64 / t.elapsed().as_secs_f64()
}

// ------------------------------------------------------------------ wassl

fn opts_for(
    id: &Identity,
    ca: &Identity,
    v: Version,
    suite: Option<&str>,
) -> (Vec<SslOption>, Vec<SslOption>) {
    let mut common = vec![SslOption::Versions(vec![v])];
    if let Some(s) = suite {
        let name = if v == Version::Tlsv1_3 {
            format!("TLS_{s}")
        } else {
            format!("TLS_ECDHE_ECDSA_WITH_{s}")
        };
        common.push(SslOption::ciphers_str(&name));
    }
    let mut client = vec![SslOption::Cacerts(vec![ca.cert_der.clone()])];
    client.extend(common.clone());
    let mut server = vec![
        SslOption::Cert(vec![id.cert_der.clone()]),
        SslOption::Key(ssl::KeyType::PrivateKeyInfo, id.key_der.clone()),
    ];
    server.extend(common);
    (client, server)
}

async fn wassl_handshakes(client: &[SslOption], server: &[SslOption], n: usize) -> f64 {
    let t = Instant::now();
    for _ in 0..n {
        let mut p = EnginePair::new(client, server, "localhost").await.unwrap();
        p.handshake().await.unwrap();
    }
    n as f64 / t.elapsed().as_secs_f64()
}

/// Resumed handshakes: each pair's client offers the session (a TLS 1.3
/// ticket, a TLS 1.2 session) that the previous pair's client was given.
async fn wassl_resumed(client: &[SslOption], server: &[SslOption], v: Version, n: usize) -> f64 {
    let mut server = server.to_vec();
    let mut first = client.to_vec();
    // Tickets are TLS 1.3's (a TLS 1.2-only configuration refuses the option).
    if v == Version::Tlsv1_3 {
        server.push(SslOption::SessionTickets(ssl::SessionTickets::Stateless));
        first.push(SslOption::SessionTickets(ssl::SessionTickets::Manual));
    }
    let mut p = EnginePair::new(&first, &server, "localhost").await.unwrap();
    p.handshake().await.unwrap();
    let mut session = p.client_sessions().pop().expect("a session to resume");
    let t = Instant::now();
    for _ in 0..n {
        let mut c = first.clone();
        c.push(match v {
            Version::Tlsv1_2 => {
                SslOption::ReuseSession(Vec::new(), Some(ssl::SessionData::from_bytes(session)))
            }
            _ => SslOption::UseTicket(vec![ssl::Ticket::from_bytes(session)]),
        });
        let mut p = EnginePair::new(&c, &server, "localhost").await.unwrap();
        p.handshake().await.unwrap();
        // The figure must be of resumed handshakes.
        assert!(p.resumed().await.unwrap(), "not resumed");
        session = p.client_sessions().pop().expect("a new session");
    }
    n as f64 / t.elapsed().as_secs_f64()
}

async fn wassl_bulk(client: &[SslOption], server: &[SslOption], mib: usize, host: bool) -> f64 {
    let mut p = EnginePair::new(client, server, "localhost").await.unwrap();
    p.handshake().await.unwrap();
    // The figure must be of the path it is labelled with.
    assert_eq!(p.offloaded(), (host, host));
    let t = Instant::now();
    let got = p.transfer(mib << 20, 64 * 1024).await.unwrap();
    assert_eq!(got, mib << 20);
    mib as f64 / t.elapsed().as_secs_f64()
}

async fn tcp_server(pki: &Pki, extra: &[SslOption]) -> u16 {
    let mut opts = vec![
        SslOption::Certfile(pki.server.certfile.clone()),
        SslOption::Keyfile(pki.server.keyfile.clone()),
        SslOption::Mode(Mode::Binary),
        SslOption::Active(Active::False),
        SslOption::Backlog(1024),
    ];
    opts.extend_from_slice(extra);
    let (tx, rx) = tokio::sync::oneshot::channel();
    process::spawn(async move {
        let l = ssl::listen(0, opts).await.unwrap();
        tx.send(ssl::sockname(&l).await.unwrap().port()).unwrap();
        loop {
            let Ok(t) = ssl::transport_accept(&l, ssl::Timeout::Infinity).await else {
                return;
            };
            process::spawn(async move {
                let Ok(s) = ssl::handshake(&t, 10_000).await else {
                    return;
                };
                // Drain whatever comes, until the peer closes.
                while ssl::recv(&s, 0, ssl::Timeout::Infinity).await.is_ok() {}
            });
        }
    });
    rx.await.unwrap()
}

fn client_tcp_opts(pki: &Pki) -> Vec<SslOption> {
    vec![
        SslOption::Cacertfile(pki.ca.id.certfile.clone()),
        SslOption::Mode(Mode::Binary),
        SslOption::Active(Active::False),
    ]
}

fn client_opts(pki: &Pki, host: bool) -> Vec<SslOption> {
    let mut o = client_tcp_opts(pki);
    o.push(SslOption::RecordOffload(host));
    o.push(SslOption::HostCrypto(host));
    o
}

/// CPU time this process has used, all threads (user and system).
fn process_cpu() -> Duration {
    let ts = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// One loopback handshake figure: connections per second and the CPU the
/// whole process (both ends, the runtime's threads) spent per connection.
struct Conns {
    rate: f64,
    cpu_us: f64,
}

/// `n` times connect + handshake + close, by `parallel` client processes
/// at once (each its own owner, as separate Erlang processes would be).
async fn tcp_handshakes(pki: &Pki, port: u16, host: bool, n: usize, parallel: usize) -> Conns {
    let opts = client_opts(pki, host);
    let (cpu, t) = (process_cpu(), Instant::now());
    let (done_tx, mut done_rx) = tokio::sync::mpsc::channel(parallel);
    for i in 0..parallel {
        let (opts, done) = (opts.clone(), done_tx.clone());
        // The first `n % parallel` clients take one connection more.
        let count = n / parallel + usize::from(i < n % parallel);
        process::spawn(async move {
            for _ in 0..count {
                let s = ssl::connect("127.0.0.1", port, opts.clone(), 10_000)
                    .await
                    .unwrap();
                ssl::close(&s).await.unwrap();
            }
            done.send(()).await.unwrap();
        });
    }
    for _ in 0..parallel {
        done_rx.recv().await.expect("a client process ended early");
    }
    let (secs, cpu) = (t.elapsed().as_secs_f64(), process_cpu() - cpu);
    Conns {
        rate: n as f64 / secs,
        cpu_us: cpu.as_secs_f64() * 1e6 / n as f64,
    }
}

async fn tcp_bulk(pki: &Pki, port: u16, host: bool, mib: usize) -> f64 {
    let s = ssl::connect("127.0.0.1", port, client_opts(pki, host), 10_000)
        .await
        .unwrap();
    let chunk = vec![0x42u8; 1 << 20];
    let t = Instant::now();
    for _ in 0..mib {
        ssl::send(&s, &chunk).await.unwrap();
    }
    // The server drains in its own sandbox; time until our last byte is written.
    let secs = t.elapsed().as_secs_f64();
    ssl::close(&s).await.unwrap();
    mib as f64 / secs
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

async fn idle_memory(pki: &Pki, port: u16, n: usize) -> (f64, f64) {
    let before = rss_kib();
    let mut held = Vec::with_capacity(n);
    let opts = client_tcp_opts(pki);
    for _ in 0..n {
        held.push(
            ssl::connect("127.0.0.1", port, opts.clone(), 10_000)
                .await
                .unwrap(),
        );
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = rss_kib();
    let mut engine = 0usize;
    for s in &held {
        engine += ssl::engine_memory(s).await.unwrap_or(0);
    }
    // Both ends live in this process: 2 sockets (2 sandboxes) per connection.
    let per_socket_kib = (after.saturating_sub(before)) as f64 / (2 * n) as f64;
    let linear_kib = engine as f64 / n as f64 / 1024.0;
    for s in held {
        let _ = ssl::close(&s).await;
    }
    (per_socket_kib, linear_kib)
}

/// Resident memory per idle *server* connection, `n` of them: the clients
/// live in a child process (`--hold N PORT CA`), so only the server's side
/// is counted (and each process stays under its file descriptor limit).
/// Returns (KiB per connection, seconds to set them all up).
fn idle_server_memory(ca: &std::path::Path, port: u16, n: usize) -> (f64, f64) {
    use std::io::BufRead;
    let before = rss_kib();
    let t = Instant::now();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--hold", &n.to_string(), &port.to_string()])
        .arg(ca)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn self");
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    assert_eq!(line.trim(), "ready", "the holder could not connect");
    let secs = t.elapsed().as_secs_f64();
    std::thread::sleep(Duration::from_millis(1000));
    let after = rss_kib();
    drop(child.stdin.take());
    let _ = child.wait();
    ((after.saturating_sub(before)) as f64 / n as f64, secs)
}

/// The `--hold` child: `n` idle client connections until stdin closes.
async fn hold_child(n: usize, port: u16, ca: std::path::PathBuf) {
    let opts = vec![
        SslOption::Cacertfile(ca),
        SslOption::Mode(Mode::Binary),
        SslOption::Active(Active::False),
    ];
    let mut held = Vec::with_capacity(n);
    for _ in 0..n {
        held.push(
            ssl::connect("127.0.0.1", port, opts.clone(), 30_000)
                .await
                .unwrap(),
        );
    }
    println!("ready");
    let mut buf = String::new();
    let _ = tokio::task::spawn_blocking(move || std::io::stdin().read_line(&mut buf)).await;
    drop(held);
}

/// One run of `examples/bench/erlang_loopback.escript`: OTP's ssl at both
/// ends of the same loopback workload, `parallel` clients at once. The
/// numbers after the tag (`None` without `escript`).
fn erlang_figures(
    mode: &str,
    n: usize,
    parallel: usize,
    files: &[std::path::PathBuf; 3],
) -> Option<Vec<f64>> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/bench/erlang_loopback.escript");
    let out = Command::new("escript")
        .arg(script)
        .arg(mode)
        .arg(n.to_string())
        .args(files)
        .arg(parallel.to_string())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let tag = if mode == "bulk" {
        "BULK "
    } else {
        "HANDSHAKES "
    };
    text.lines()
        .find_map(|l| l.strip_prefix(tag))
        .map(|v| v.split_whitespace().map_while(|x| x.parse().ok()).collect())
        .filter(|v: &Vec<f64>| !v.is_empty())
}

/// New process to first completed handshake (a child runs `--first`).
fn first_connection(cache: &std::path::Path) -> f64 {
    let t = Instant::now();
    let out = Command::new(std::env::current_exe().unwrap())
        .arg("--first")
        .env("WASSL_CACHE_DIR", cache)
        .output()
        .expect("spawn self");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    t.elapsed().as_secs_f64() * 1000.0
}

async fn first_child() {
    let pki = Pki::new();
    let port = tcp_server(&pki, &[]).await;
    let s = ssl::connect("127.0.0.1", port, client_tcp_opts(&pki), 10_000)
        .await
        .unwrap();
    ssl::close(&s).await.unwrap();
}

/// One line of the table: native, wassl with guest-only crypto (when
/// measured apart), wassl as it runs by default, and the ratios to native.
fn row(name: &str, native: Option<f64>, guest: Option<f64>, wassl: f64, unit: &str) {
    let cell = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.1}"));
    let ratio = |v: Option<f64>| match (v, native) {
        (Some(v), Some(n)) => format!("{:.3}x", v / n),
        _ => "-".into(),
    };
    println!(
        "{name:<46} {:>10} {:>11} {:>11} {unit:<13} {:>7} {:>7}",
        cell(native),
        cell(guest),
        cell(Some(wassl)),
        ratio(guest),
        ratio(Some(wassl)),
    );
}

/// The same options with the record layer kept in the sandbox (its AEAD
/// still on the host).
fn per_record(opts: &[SslOption]) -> Vec<SslOption> {
    let mut o = opts.to_vec();
    o.push(SslOption::RecordOffload(false));
    o
}

/// The same options with every key and all crypto in the sandbox.
fn guest_only(opts: &[SslOption]) -> Vec<SslOption> {
    let mut o = opts.to_vec();
    o.push(SslOption::RecordOffload(false));
    o.push(SslOption::HostCrypto(false));
    o
}

/// `--profile[-WORKLOAD] N`: one workload, N times (or N MiB, N runs),
/// wassl's default path unless said otherwise.
async fn profile(pki: &Pki, workload: &str, n: Option<usize>) {
    let (ca, id) = (&pki.ca.id, &pki.server);
    match workload {
        "--profile" => {
            let (c, s) = opts_for(id, ca, Version::Tlsv1_3, None);
            let rate = wassl_handshakes(&c, &s, n.unwrap_or(1000)).await;
            println!("wassl TLS 1.3 ECDSA full handshakes: {rate:.1}/s");
        }
        "--profile-native" => {
            let (cc, sc) = native_configs(id, &ca.cert_der, Version::Tlsv1_3, None, false);
            let rate = native_handshakes(&cc, &sc, n.unwrap_or(1000));
            println!("native TLS 1.3 ECDSA full handshakes: {rate:.1}/s");
        }
        // TLS 1.2 resumptions: no public-key crypto runs, what is left is
        // wassl's own cost per connection.
        "--profile-resumed" => {
            let (c, s) = opts_for(id, ca, Version::Tlsv1_2, None);
            let rate = wassl_resumed(&c, &s, Version::Tlsv1_2, n.unwrap_or(1000)).await;
            println!("wassl TLS 1.2 resumed handshakes: {rate:.1}/s");
        }
        // TLS 1.3 resumptions (psk_dhe_ke: one key exchange, no signature).
        "--profile-resumed13" => {
            let (c, s) = opts_for(id, ca, Version::Tlsv1_3, None);
            let rate = wassl_resumed(&c, &s, Version::Tlsv1_3, n.unwrap_or(1000)).await;
            println!("wassl TLS 1.3 resumed handshakes: {rate:.1}/s");
        }
        // TLS 1.2 records, each sealed and opened by a host AEAD call.
        "--profile-tls12-bulk" => {
            let (c, s) = opts_for(id, ca, Version::Tlsv1_2, Some("AES_128_GCM_SHA256"));
            let (c, s) = (per_record(&c), per_record(&s));
            let rate = wassl_bulk(&c, &s, n.unwrap_or(256), false).await;
            println!("wassl TLS 1.2 AES-128-GCM bulk (host AEAD per record): {rate:.1} MiB/s");
        }
        // The engine's own ChaCha20-Poly1305 (no host crypto).
        "--profile-guest-chacha" => {
            let (c, s) = opts_for(id, ca, Version::Tlsv1_3, Some("CHACHA20_POLY1305_SHA256"));
            let (gc, gs) = (guest_only(&c), guest_only(&s));
            let rate = wassl_bulk(&gc, &gs, n.unwrap_or(64), false).await;
            println!("wassl guest-only ChaCha20-Poly1305 bulk: {rate:.1} MiB/s");
        }
        // Issue 24's figure to trust: guest-only ChaCha20-Poly1305 against
        // native rustls's, N rounds of 64 MiB each, the order alternated.
        "--chacha-rounds" => {
            let (c, s) = opts_for(id, ca, Version::Tlsv1_3, Some("CHACHA20_POLY1305_SHA256"));
            let (gc, gs) = (guest_only(&c), guest_only(&s));
            let suite = Some("CHACHA20_POLY1305_SHA256");
            let (cc, sc) = native_configs(id, &ca.cert_der, Version::Tlsv1_3, suite, false);
            let (mut guest, mut native) = (Vec::new(), Vec::new());
            for round in 0..n.unwrap_or(7) {
                if round % 2 == 1 {
                    native.push(native_bulk(&cc, &sc, 64));
                }
                guest.push(wassl_bulk(&gc, &gs, 64, false).await);
                if round % 2 == 0 {
                    native.push(native_bulk(&cc, &sc, 64));
                }
            }
            let ratios: Vec<f64> = guest.iter().zip(&native).map(|(g, n)| g / n).collect();
            for (name, v) in [("guest-only", guest), ("native", native)] {
                let (lo, hi) = spread(&v);
                println!(
                    "{name} ChaCha20-Poly1305 bulk: min {lo:.1}, median {:.1}, max {hi:.1} MiB/s",
                    median(v)
                );
            }
            println!("guest / native, per round: median {:.3}x", median(ratios));
        }
        "--profile-instantiate" => {
            let mut t = Vec::new();
            for _ in 0..n.unwrap_or(100) {
                t.push(wassl::bench::instantiate(200).await.unwrap().as_secs_f64() * 1e6);
            }
            println!("instantiate one sandbox: {:.1} µs (median)", median(t));
        }
        // A server sandbox before the first byte: how much of a handshake's
        // cost is the per-connection setup a configured snapshot would save.
        "--profile-configure" => {
            let (_, s) = opts_for(id, ca, Version::Tlsv1_3, None);
            let (mut bare, mut made, mut gone) = (Vec::new(), Vec::new(), Vec::new());
            for _ in 0..n.unwrap_or(20) {
                bare.push(wassl::bench::instantiate(1).await.unwrap().as_secs_f64() * 1e6);
                let (m, g) = wassl::bench::server_sandbox(&s, 50).await.unwrap();
                made.push(m.as_secs_f64() * 1e6);
                gone.push(g.as_secs_f64() * 1e6);
            }
            println!(
                "server sandbox (medians): instantiated {:.1} µs; instantiated, configured and \
                 given a server connection {:.1} µs; dropped {:.1} µs",
                median(bare),
                median(made),
                median(gone)
            );
        }
        "--profile-tcp" => {
            let port = tcp_server(pki, &[]).await;
            let c = tcp_handshakes(pki, port, true, n.unwrap_or(1000), 1).await;
            println!(
                "connect+handshake+close, loopback TCP: {:.1}/s, {:.0} µs CPU per connection",
                c.rate, c.cpu_us
            );
        }
        "--profile-tcp-parallel" => {
            let port = tcp_server(pki, &[]).await;
            let c = tcp_handshakes(pki, port, true, n.unwrap_or(2000), PARALLEL).await;
            println!(
                "connect+handshake+close, loopback TCP, {PARALLEL} at once: {:.1}/s, {:.0} µs CPU per connection",
                c.rate, c.cpu_us
            );
        }
        "--profile-tcp-bulk" => {
            let port = tcp_server(pki, &[]).await;
            let rate = tcp_bulk(pki, port, true, n.unwrap_or(128)).await;
            println!("bulk send, loopback TCP: {rate:.1} MiB/s");
        }
        "--profile-idle" => {
            let port = tcp_server(pki, &[]).await;
            let (n, ca) = (n.unwrap_or(1000), ca.certfile.clone());
            let (kib, secs) = tokio::task::spawn_blocking(move || idle_server_memory(&ca, port, n))
                .await
                .unwrap();
            println!("idle server connections: {kib:.1} KiB each, {secs:.1} s to open {n}");
        }
        other => println!(
            "unknown workload {other}: --profile, --profile-native, --profile-resumed, --profile-resumed13, \
             --profile-tls12-bulk, --profile-guest-chacha, --chacha-rounds, --profile-instantiate, --profile-configure, --profile-tcp, --profile-tcp-parallel, \
             --profile-tcp-bulk, --profile-idle"
        ),
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--hold") {
        let (n, port, ca) = (
            args[2].parse().unwrap(),
            args[3].parse().unwrap(),
            args[4].clone().into(),
        );
        wassl::runtime::configure(wassl::runtime::Limits {
            max_connections: 1024,
            ..Default::default()
        });
        process::run(hold_child(n, port, ca)).await;
        return;
    }
    if args.iter().any(|a| a == "--first") {
        process::run(first_child()).await;
        return;
    }
    let quick = args.iter().any(|a| a == "--quick");
    let cfg = if quick {
        Cfg {
            runs: 3,
            handshakes: 30,
            bulk_mib: 8,
            idle: 200,
            idle_server: 2_000,
        }
    } else {
        Cfg {
            runs: 5,
            handshakes: 200,
            bulk_mib: 32,
            idle: 1000,
            idle_server: 10_000,
        }
    };
    wassl::runtime::configure(wassl::runtime::Limits {
        max_connections: 3 * cfg.idle as u32 + 64,
        ..Default::default()
    });
    process::run(async move {
        ssl::start().await.unwrap();
        let pki = Pki::new();
        let (ca, id) = (&pki.ca.id, &pki.server);
        println!(
            "wassl bench: {} runs per figure (median), release={}",
            cfg.runs,
            !cfg!(debug_assertions)
        );
        println!(
            "{:<46} {:>10} {:>11} {:>11} {:<13} {:>7} {:>7}",
            "workload", "native", "wassl-guest", "wassl", "unit", "guest/n", "wassl/n"
        );

        // One workload alone, for `perf record` (BENCHMARKS.md), or rounds
        // of one row.
        let alone = |a: &String| a.starts_with("--profile") || a == "--chacha-rounds";
        if let Some(at) = args.iter().position(alone) {
            let n = args.get(at + 1).and_then(|n| n.parse().ok());
            profile(&pki, &args[at], n).await;
            return;
        }
        let rsa = pki.ca.issue_rsa(&wassl_tests::LeafSpec {
            cn: "localhost rsa",
            names: &["localhost", "127.0.0.1"],
            expired: false,
            server: true,
        });
        if rsa.is_none() {
            println!("(no openssl: the RSA-2048 row is left out)");
        }
        let mut kinds = vec![
            ("TLS 1.3 ECDSA P-256", Version::Tlsv1_3, id),
            ("TLS 1.2 ECDHE-ECDSA P-256", Version::Tlsv1_2, id),
        ];
        if let Some(rsa) = &rsa {
            kinds.insert(1, ("TLS 1.3 RSA-2048", Version::Tlsv1_3, rsa));
        }
        for (label, v, id) in kinds {
            let (cc, sc) = native_configs(id, &ca.cert_der, v, None, false);
            let (c, s) = opts_for(id, ca, v, None);
            let (gc, gs) = (guest_only(&c), guest_only(&s));
            let mut n = Vec::new();
            let mut g = Vec::new();
            let mut w = Vec::new();
            for _ in 0..cfg.runs {
                n.push(native_handshakes(&cc, &sc, cfg.handshakes));
                g.push(wassl_handshakes(&gc, &gs, cfg.handshakes).await);
                w.push(wassl_handshakes(&c, &s, cfg.handshakes).await);
            }
            row(
                &format!("full handshakes, in memory, {label}"),
                Some(median(n)),
                Some(median(g)),
                median(w),
                "handshakes/s",
            );
            // Resumed: native rustls with its session cache (the first
            // handshake of a run is full), wassl with the session moved
            // from one pair of sandboxes to the next.
            let (rcc, rsc) = native_configs(id, &ca.cert_der, v, None, true);
            let (mut n, mut w) = (Vec::new(), Vec::new());
            for _ in 0..cfg.runs {
                n.push(native_handshakes(&rcc, &rsc, cfg.handshakes));
                w.push(wassl_resumed(&c, &s, v, cfg.handshakes).await);
            }
            row(
                &format!("resumed handshakes, in memory, {label}"),
                Some(median(n)),
                None,
                median(w),
                "handshakes/s",
            );
        }
        if args.iter().any(|a| a == "--handshakes") {
            return;
        }
        for (v, suite, name) in [
            (
                Version::Tlsv1_3,
                "AES_128_GCM_SHA256",
                "TLS 1.3 AES-128-GCM",
            ),
            (
                Version::Tlsv1_3,
                "AES_256_GCM_SHA384",
                "TLS 1.3 AES-256-GCM",
            ),
            (
                Version::Tlsv1_3,
                "CHACHA20_POLY1305_SHA256",
                "TLS 1.3 ChaCha20-Poly1305",
            ),
            (
                Version::Tlsv1_2,
                "AES_128_GCM_SHA256",
                "TLS 1.2 ECDHE-ECDSA AES-128-GCM",
            ),
        ] {
            let (cc, sc) = native_configs(id, &ca.cert_der, v, Some(suite), false);
            let (c, s) = opts_for(id, ca, v, Some(suite));
            let (gc, gs) = (guest_only(&c), guest_only(&s));
            let (pc, ps) = (per_record(&c), per_record(&s));
            let (mut n, mut g, mut w, mut r) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
            for _ in 0..cfg.runs {
                n.push(native_bulk(&cc, &sc, cfg.bulk_mib * 4));
                g.push(wassl_bulk(&gc, &gs, cfg.bulk_mib, false).await);
                w.push(wassl_bulk(&c, &s, cfg.bulk_mib * 4, true).await);
                r.push(wassl_bulk(&pc, &ps, cfg.bulk_mib * 2, false).await);
            }
            let native = median(n);
            row(
                &format!("bulk, in memory, {name}"),
                Some(native),
                Some(median(g)),
                median(w),
                "MiB/s",
            );
            // The same, with records kept in the sandbox and each one
            // sealed or opened by a host AEAD call (no offload).
            row(
                "  same, host AEAD per record (no offload)",
                Some(native),
                None,
                median(r),
                "MiB/s",
            );
        }
        let port = tcp_server(&pki, &[]).await;
        let guest_port = tcp_server(
            &pki,
            &[
                SslOption::RecordOffload(false),
                SslOption::HostCrypto(false),
            ],
        )
        .await;
        let (mut h, mut gh, mut ph) = (Vec::new(), Vec::new(), Vec::new());
        let (mut b, mut gb) = (Vec::new(), Vec::new());
        for _ in 0..cfg.runs {
            gh.push(tcp_handshakes(&pki, guest_port, false, cfg.handshakes / 2, 1).await);
            h.push(tcp_handshakes(&pki, port, true, cfg.handshakes / 2, 1).await);
            ph.push(tcp_handshakes(&pki, port, true, cfg.handshakes * 2, PARALLEL).await);
            gb.push(tcp_bulk(&pki, guest_port, false, cfg.bulk_mib).await);
            b.push(tcp_bulk(&pki, port, true, cfg.bulk_mib * 4).await);
        }
        let rates = |v: &[Conns]| v.iter().map(|c| c.rate).collect::<Vec<_>>();
        let cpus = |v: &[Conns]| v.iter().map(|c| c.cpu_us).collect::<Vec<_>>();
        let (tcp_h, tcp_ph, tcp_b) = (median(rates(&h)), median(rates(&ph)), median(b));
        let (cpu_h, cpu_ph) = (median(cpus(&h)), median(cpus(&ph)));
        row(
            "connect+handshake+close, loopback TCP, API",
            None,
            Some(median(rates(&gh))),
            tcp_h,
            "conns/s",
        );
        row(
            "same, CPU per connection (both ends)",
            None,
            Some(median(cpus(&gh))),
            cpu_h,
            "µs",
        );
        row(
            &format!("same, {PARALLEL} clients at once"),
            None,
            None,
            tcp_ph,
            "conns/s",
        );
        row(
            &format!("same, {PARALLEL} at once, CPU per connection"),
            None,
            None,
            cpu_ph,
            "µs",
        );
        row(
            "bulk send, loopback TCP, API, default suite",
            None,
            Some(median(gb)),
            tcp_b,
            "MiB/s",
        );
        // The same loopback workloads with Erlang/OTP's own ssl at both ends.
        let files = [
            pki.server.certfile.clone(),
            pki.server.keyfile.clone(),
            pki.ca.id.certfile.clone(),
        ];
        let (mut eh, mut eph, mut eb): (_, _, Vec<f64>) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..cfg.runs {
            let (n, mib, f) = (cfg.handshakes / 2, cfg.bulk_mib * 4, files.clone());
            let (h, ph, b) = tokio::task::spawn_blocking(move || {
                (
                    erlang_figures("handshakes", n, 1, &f),
                    erlang_figures("handshakes", n * 4, PARALLEL, &f),
                    erlang_figures("bulk", mib, 1, &f),
                )
            })
            .await
            .unwrap();
            eh.extend(h.filter(|v| v.len() == 2));
            eph.extend(ph.filter(|v| v.len() == 2));
            eb.extend(b.map(|v| v[0]));
        }
        if eh.len() == cfg.runs && eph.len() == cfg.runs && eb.len() == cfg.runs {
            let col = |v: &[Vec<f64>], i: usize| median(v.iter().map(|x| x[i]).collect());
            let erl_b = median(eb);
            println!(
                "{:<46} {:>10} {:>11} {:<13} {:>9}",
                "same loopback workload, Erlang/OTP ssl", "erlang", "wassl", "unit", "wassl ahead"
            );
            // Rates: wassl's over Erlang's. CPU, where less is better:
            // Erlang's over wassl's. Above 1x, wassl is ahead either way.
            for (name, e, w, unit, ratio) in [
                (
                    "connect+handshake+close, loopback TCP",
                    col(&eh, 0),
                    tcp_h,
                    "conns/s",
                    tcp_h / col(&eh, 0),
                ),
                (
                    "same, CPU per connection",
                    col(&eh, 1),
                    cpu_h,
                    "µs",
                    col(&eh, 1) / cpu_h,
                ),
                (
                    &format!("same, {PARALLEL} clients at once"),
                    col(&eph, 0),
                    tcp_ph,
                    "conns/s",
                    tcp_ph / col(&eph, 0),
                ),
                (
                    &format!("same, {PARALLEL} at once, CPU per connection"),
                    col(&eph, 1),
                    cpu_ph,
                    "µs",
                    col(&eph, 1) / cpu_ph,
                ),
                (
                    "bulk send, loopback TCP",
                    erl_b,
                    tcp_b,
                    "MiB/s",
                    tcp_b / erl_b,
                ),
            ] {
                println!("{name:<46} {e:>10.1} {w:>11.1} {unit:<13} {ratio:>8.2}x");
            }
        } else {
            println!("(escript missing or failed: the Erlang/OTP rows are skipped)");
        }
        let mut inst = Vec::new();
        for _ in 0..cfg.runs {
            inst.push(wassl::bench::instantiate(200).await.unwrap().as_secs_f64() * 1e6);
        }
        row(
            "instantiate one sandbox (pooling, no config)",
            None,
            None,
            median(inst),
            "µs",
        );
        for n in [1_000, cfg.idle_server] {
            let (kib, secs) = tokio::task::spawn_blocking({
                let ca = pki.ca.id.certfile.clone();
                move || idle_server_memory(&ca, port, n)
            })
            .await
            .unwrap();
            row(
                &format!("resident memory per idle server conn ({n})"),
                None,
                None,
                kib,
                "KiB",
            );
            row(
                &format!("time to open {n} connections"),
                None,
                None,
                secs,
                "s",
            );
        }
        let (rss, linear) = idle_memory(&pki, port, cfg.idle).await;
        row(
            &format!("resident memory per idle socket ({} conns)", cfg.idle),
            None,
            None,
            rss,
            "KiB",
        );
        row("linear memory per idle sandbox", None, None, linear, "KiB");
        let cold_dir = wassl_tests::scratch_dir("cold-cache");
        let mut cold = Vec::new();
        let mut warm = Vec::new();
        for i in 0..cfg.runs.min(3) {
            let dir = cold_dir.join(format!("run{i}"));
            cold.push(first_connection(&dir));
            warm.push(first_connection(&dir));
        }
        row(
            "new process to first handshake, cold cache",
            None,
            None,
            median(cold),
            "ms",
        );
        row(
            "new process to first handshake, warm cache",
            None,
            None,
            median(warm),
            "ms",
        );
    })
    .await;
}

//! `tlsload`: drive any TLS server on loopback from outside, as a user
//! compares servers: N concurrent clients doing handshakes (full, or
//! resumed when the server allows) for a while, and what it cost the
//! server, read from `/proc/PID/stat`.
//!
//! ```text
//! tlsload --connect 127.0.0.1:8443[,127.0.0.1:8444] [--pid PID[,PID]] [--conns 32]
//!         [--seconds 5] [--tls12|--tls13] [--resume] [--cafile ca.pem]
//!         [--servername localhost] [--label TEXT]
//! tlsload --connect ADDR --bulk 1024 [--suite TLS13_AES_128_GCM_SHA256] ...
//! tlsload --connect ADDR --idle 1000 ...
//! tlsload echo 127.0.0.1:9000      # a plain TCP echo backend
//! ```
//!
//! `--count N`: stop after N handshakes in all (`--conns 10000 --count
//! 10000` is a burst of 10,000 at once; `--conns 1 --count 100000` a long
//! sequential soak). `--hold N` and `--trickle N` keep that many idle and
//! slowly-trickling connections open against the first address while the
//! run measures (see pressure.rs).
//!
//! `--bulk MIB`: one connection sends MIB MiB in 64 KiB writes while
//! reading the echo back: MiB/s, the server's CPU per GiB echoed, and how
//! far its RSS rose meanwhile (what it buffered for a fast writer).
//! `--idle N`: N connections handshake and stay open: the server's
//! resident memory per connection (`VmRSS` of the first `--pid`).
//!
//! Each client connects, completes the handshake (timed: p50/p99), sends
//! `ping\n` and reads it back (so TLS 1.3 tickets arrive and the connection
//! is shown to work), and closes. With several `--connect` addresses the
//! clients go round them, so a session made on one server is offered to
//! the next: resumption across a fleet. One line of results per run:
//! handshakes/s, the share resumed, latency, errors, and the servers'
//! CPU (utime + stime of every `--pid`) per handshake.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, HandshakeKind, RootCertStore};

mod pressure;

const USAGE: &str = "usage: tlsload --connect ADDR[,ADDR] [--pid PID[,PID]] [--conns N] [--seconds S] \
[--tls12|--tls13] [--resume] [--suite NAME] [--bulk MIB | --idle N] [--cafile FILE] [--servername NAME] \
[--label TEXT] [--count N] [--hold N] [--trickle N]\n       tlsload echo ADDR";

struct Args {
    targets: Vec<String>,
    pids: Vec<u32>,
    conns: usize,
    seconds: f64,
    version: Option<&'static rustls::SupportedProtocolVersion>,
    resume: bool,
    cafile: Option<String>,
    servername: String,
    label: String,
    suite: Option<String>,
    bulk: Option<u64>,
    idle: Option<usize>,
    count: Option<usize>,
    hold: usize,
    trickle: usize,
}

fn parse() -> Result<Args, String> {
    let mut a = Args {
        targets: Vec::new(),
        pids: Vec::new(),
        conns: 32,
        seconds: 5.0,
        version: None,
        resume: false,
        cafile: None,
        servername: "localhost".into(),
        label: "run".into(),
        suite: None,
        bulk: None,
        idle: None,
        count: None,
        hold: 0,
        trickle: 0,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--connect" => a.targets = value()?.split(',').map(str::to_string).collect(),
            "--pid" => {
                a.pids = value()?
                    .split(',')
                    .map(|p| p.parse().map_err(|_| format!("--pid {p}: not a pid")))
                    .collect::<Result<_, _>>()?
            }
            "--conns" => a.conns = value()?.parse().map_err(|_| "--conns: a number")?,
            "--seconds" => a.seconds = value()?.parse().map_err(|_| "--seconds: a number")?,
            "--tls12" => a.version = Some(&rustls::version::TLS12),
            "--tls13" => a.version = Some(&rustls::version::TLS13),
            "--resume" => a.resume = true,
            "--cafile" => a.cafile = Some(value()?),
            "--servername" => a.servername = value()?,
            "--label" => a.label = value()?,
            "--suite" => a.suite = Some(value()?),
            "--bulk" => a.bulk = Some(value()?.parse().map_err(|_| "--bulk: MiB, a number")?),
            "--idle" => a.idle = Some(value()?.parse().map_err(|_| "--idle: a number")?),
            "--count" => a.count = Some(value()?.parse().map_err(|_| "--count: a number")?),
            "--hold" => a.hold = value()?.parse().map_err(|_| "--hold: a number")?,
            "--trickle" => a.trickle = value()?.parse().map_err(|_| "--trickle: a number")?,
            "--help" | "-h" => return Err(String::new()),
            other => return Err(format!("unknown flag {other}")),
        }
    }
    if a.targets.is_empty() {
        return Err("--connect is required".into());
    }
    Ok(a)
}

/// utime + stime of a process, in microseconds.
fn cpu_us(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    let hz = rustix::param::clock_ticks_per_second().max(1);
    Some(ticks * 1_000_000 / hz)
}

fn config(a: &Args) -> Result<Arc<ClientConfig>, String> {
    let mut roots = RootCertStore::empty();
    match &a.cafile {
        Some(f) => {
            for c in CertificateDer::pem_file_iter(f).map_err(|e| format!("{f}: {e}"))? {
                roots
                    .add(c.map_err(|e| format!("{f}: {e}"))?)
                    .map_err(|e| e.to_string())?;
            }
        }
        None => return Err("--cafile is required (the servers' CA)".into()),
    }
    let mut provider = rustls::crypto::ring::default_provider();
    if let Some(name) = &a.suite {
        provider
            .cipher_suites
            .retain(|s| format!("{:?}", s.suite()).eq_ignore_ascii_case(name));
        if provider.cipher_suites.is_empty() {
            return Err(format!(
                "--suite {name}: not a suite of rustls (e.g. TLS13_AES_128_GCM_SHA256)"
            ));
        }
    }
    let provider = Arc::new(provider);
    let versions: Vec<_> = match a.version {
        Some(v) => vec![v],
        None => rustls::ALL_VERSIONS.to_vec(),
    };
    let mut cfg = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&versions)
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    cfg.resumption = if a.resume {
        rustls::client::Resumption::in_memory_sessions(4096)
    } else {
        rustls::client::Resumption::disabled()
    };
    Ok(Arc::new(cfg))
}

/// One connection: the handshake's duration and whether it resumed.
fn one(
    cfg: &Arc<ClientConfig>,
    name: &ServerName<'static>,
    addr: &str,
) -> Result<(Duration, bool), String> {
    let start = Instant::now();
    let mut tcp = TcpStream::connect(addr).map_err(|e| format!("connect: {e}"))?;
    tcp.set_nodelay(true).map_err(|e| e.to_string())?;
    tcp.set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(|e| e.to_string())?;
    let mut conn = ClientConnection::new(cfg.clone(), name.clone()).map_err(|e| e.to_string())?;
    while conn.is_handshaking() {
        conn.complete_io(&mut tcp)
            .map_err(|e| format!("handshake: {e}"))?;
    }
    let took = start.elapsed();
    let resumed = conn.handshake_kind() == Some(HandshakeKind::Resumed);
    let mut s = rustls::Stream::new(&mut conn, &mut tcp);
    s.write_all(b"ping\n").map_err(|e| format!("write: {e}"))?;
    let mut got = [0u8; 5];
    s.read_exact(&mut got).map_err(|e| format!("read: {e}"))?;
    conn.send_close_notify();
    let _ = conn.complete_io(&mut tcp);
    Ok((took, resumed))
}

/// Resident memory of a process, in KiB.
fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// How far the server's RSS rose above where it started while `done` was
/// false, sampled every 20 ms: what a server buffers for a peer that writes
/// faster than the echo goes out.
fn rss_rise(pid: Option<u32>, done: Arc<AtomicBool>) -> std::thread::JoinHandle<Option<u64>> {
    std::thread::spawn(move || {
        let pid = pid?;
        let start = rss_kib(pid)?;
        let mut peak = start;
        while !done.load(Ordering::Relaxed) {
            peak = peak.max(rss_kib(pid).unwrap_or(0));
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(peak - start)
    })
}

/// `--bulk`: MiB/s of one connection echoing, and the server's CPU per GiB.
fn bulk(a: &Args, cfg: Arc<ClientConfig>, name: ServerName<'static>, mib: u64) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let addr = a.targets[0].clone();
    let cpu0: Option<u64> = a.pids.iter().map(|&p| cpu_us(p)).sum();
    let done = Arc::new(AtomicBool::new(false));
    let sampler = rss_rise(a.pids.first().copied(), done.clone());
    let started = Instant::now();
    let r: Result<(), String> = rt.block_on(async move {
        use std::pin::Pin;
        use std::task::Poll;
        use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
        let tcp = tokio::net::TcpStream::connect(&addr)
            .await
            .map_err(|e| e.to_string())?;
        let _ = tcp.set_nodelay(true);
        let tls = tokio_rustls::TlsConnector::from(cfg)
            .connect(name, tcp)
            .await
            .map_err(|e| format!("handshake: {e}"))?;
        // One task polls both directions of the one stream: over
        // `tokio::io::split`, tokio-rustls's write side may wait on the
        // socket's read readiness, whose single waker the read side then
        // replaces, and the run hangs with nothing in flight.
        let mut tls = tls;
        let total = mib << 20;
        let chunk = vec![0x5au8; 64 << 10];
        let mut buf = vec![0u8; 64 << 10];
        let (mut sent, mut got, mut flushed) = (0u64, 0u64, false);
        std::future::poll_fn(|cx| loop {
            let mut progress = false;
            if sent < total {
                let n = chunk.len().min((total - sent) as usize);
                match Pin::new(&mut tls).poll_write(cx, &chunk[..n]) {
                    Poll::Ready(Ok(k)) => (sent, progress) = (sent + k as u64, true),
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(format!("write: {e}"))),
                    Poll::Pending => {}
                }
            } else if !flushed {
                match Pin::new(&mut tls).poll_flush(cx) {
                    Poll::Ready(Ok(())) => (flushed, progress) = (true, true),
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(format!("flush: {e}"))),
                    Poll::Pending => {}
                }
            }
            if got < total {
                let mut rb = ReadBuf::new(&mut buf);
                match Pin::new(&mut tls).poll_read(cx, &mut rb) {
                    Poll::Ready(Ok(())) if rb.filled().is_empty() => {
                        return Poll::Ready(Err(format!("closed after {got} bytes")))
                    }
                    Poll::Ready(Ok(())) => (got, progress) = (got + rb.filled().len() as u64, true),
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(format!("read: {e}"))),
                    Poll::Pending => {}
                }
            }
            if got >= total && flushed {
                return Poll::Ready(Ok(()));
            }
            if !progress {
                return Poll::Pending;
            }
        })
        .await?;
        Ok(())
    });
    let wall = started.elapsed().as_secs_f64();
    let cpu1: Option<u64> = a.pids.iter().map(|&p| cpu_us(p)).sum();
    done.store(true, Ordering::Relaxed);
    let rise = match sampler.join().ok().flatten() {
        Some(k) => k.to_string(),
        None => "-".into(),
    };
    let gib = mib as f64 / 1024.0;
    let cpu = match (cpu0, cpu1) {
        (Some(c0), Some(c1)) => format!("{:.3}", (c1 - c0) as f64 / 1e6 / gib),
        _ => "-".into(),
    };
    match r {
        Ok(()) => println!(
            "label={} mib={mib} mib_per_s={:.0} server_cpu_s_per_gib={cpu} server_rss_rise_kib={rise} errors=0",
            a.label,
            mib as f64 / wall
        ),
        Err(e) => {
            println!(
                "label={} mib={mib} mib_per_s=0 server_cpu_s_per_gib=- server_rss_rise_kib={rise} errors=1",
                a.label
            );
            eprintln!("tlsload: {e}");
        }
    }
}

/// `--idle`: N connections open at once; the server's RSS per connection.
fn idle(a: &Args, cfg: &Arc<ClientConfig>, name: &ServerName<'static>, n: usize) {
    let pid = a.pids.first().copied();
    let before = pid.and_then(rss_kib);
    let mut open = Vec::new();
    let mut errors = 0;
    for i in 0..n {
        let addr = &a.targets[i % a.targets.len()];
        let conn = (|| -> Result<_, String> {
            let mut tcp = TcpStream::connect(addr).map_err(|e| e.to_string())?;
            let mut conn =
                ClientConnection::new(cfg.clone(), name.clone()).map_err(|e| e.to_string())?;
            while conn.is_handshaking() {
                conn.complete_io(&mut tcp).map_err(|e| e.to_string())?;
            }
            // One echo: the server has finished with the handshake.
            let mut s = rustls::Stream::new(&mut conn, &mut tcp);
            s.write_all(b"ping\n").map_err(|e| e.to_string())?;
            let mut got = [0u8; 5];
            s.read_exact(&mut got).map_err(|e| e.to_string())?;
            Ok((conn, tcp))
        })();
        match conn {
            Ok(c) => open.push(c),
            Err(_) => errors += 1,
        }
    }
    std::thread::sleep(Duration::from_millis(500));
    let after = pid.and_then(rss_kib);
    let per = match (before, after) {
        (Some(b), Some(a)) if !open.is_empty() => {
            format!("{:.1}", (a as f64 - b as f64) / open.len() as f64)
        }
        _ => "-".into(),
    };
    println!(
        "label={} idle={} server_rss_kib_per_conn={per} server_rss_kib_before={} after={} errors={errors}",
        a.label,
        open.len(),
        before.unwrap_or(0),
        after.unwrap_or(0)
    );
}

fn echo(addr: &str) -> ! {
    let l = std::net::TcpListener::bind(addr).unwrap_or_else(|e| {
        eprintln!("tlsload echo {addr}: {e}");
        std::process::exit(1)
    });
    eprintln!(
        "tlsload: echo on {}",
        l.local_addr()
            .map_or_else(|_| addr.into(), |a| a.to_string())
    );
    for s in l.incoming().flatten() {
        std::thread::spawn(move || {
            let mut s = s;
            let mut buf = [0u8; 16384];
            while let Ok(n @ 1..) = s.read(&mut buf) {
                if s.write_all(&buf[..n]).is_err() {
                    return;
                }
            }
        });
    }
    std::process::exit(0)
}

fn main() {
    let argv: Vec<String> = std::env::args().collect();
    if argv.get(1).map(String::as_str) == Some("echo") {
        echo(argv.get(2).map_or("127.0.0.1:0", String::as_str));
    }
    let a = parse().unwrap_or_else(|e| {
        if e.is_empty() {
            // --help
            println!("{USAGE}");
            std::process::exit(0)
        }
        eprintln!("tlsload: {e}\n{USAGE}");
        std::process::exit(2)
    });
    let cfg = config(&a).unwrap_or_else(|e| {
        eprintln!("tlsload: {e}");
        std::process::exit(2)
    });
    let name = ServerName::try_from(a.servername.clone()).unwrap_or_else(|_| {
        eprintln!("tlsload: --servername {}: not a name", a.servername);
        std::process::exit(2)
    });
    if let Some(mib) = a.bulk {
        bulk(&a, cfg, name, mib);
        return;
    }
    if let Some(n) = a.idle {
        idle(&a, &cfg, &name, n);
        return;
    }
    let pressure = (a.hold + a.trickle > 0)
        .then(|| pressure::Pressure::start(&a.targets[0], a.hold, a.trickle));
    if pressure.is_some() {
        // Let the held and trickling connections settle in first.
        std::thread::sleep(Duration::from_secs(1));
    }
    let cpu0: Option<u64> = a.pids.iter().map(|&p| cpu_us(p)).sum();
    let until = match a.count {
        // A count runs as long as it takes.
        Some(_) => Instant::now() + Duration::from_secs(24 * 3600),
        None => Instant::now() + Duration::from_secs_f64(a.seconds),
    };
    let count = a.count.unwrap_or(usize::MAX);
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let (resumed, errors) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let first_error = Arc::new(Mutex::new(None::<String>));
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..a.conns)
        .map(|_| {
            let (cfg, name, targets) = (cfg.clone(), name.clone(), a.targets.clone());
            let (lat, res, err, first, next) = (
                latencies.clone(),
                resumed.clone(),
                errors.clone(),
                first_error.clone(),
                next.clone(),
            );
            // Small stacks: a burst runs thousands of these at once.
            std::thread::Builder::new()
                .stack_size(256 << 10)
                .spawn(move || {
                    let mut mine = Vec::new();
                    while Instant::now() < until {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= count {
                            break;
                        }
                        let addr = &targets[i % targets.len()];
                        match one(&cfg, &name, addr) {
                            Ok((t, r)) => {
                                mine.push(t);
                                if r {
                                    res.fetch_add(1, Ordering::Relaxed);
                                }
                            }
                            Err(e) => {
                                err.fetch_add(1, Ordering::Relaxed);
                                first.lock().unwrap().get_or_insert(e);
                                std::thread::sleep(Duration::from_millis(10));
                            }
                        }
                    }
                    lat.lock().unwrap().extend(mine);
                })
        })
        .filter_map(Result::ok)
        .collect();
    for w in workers {
        let _ = w.join();
    }
    let wall = started.elapsed().as_secs_f64();
    let reopened = pressure.map(pressure::Pressure::stop);
    let cpu1: Option<u64> = a.pids.iter().map(|&p| cpu_us(p)).sum();
    let mut lat = latencies.lock().unwrap().clone();
    lat.sort();
    let n = lat.len();
    let pct = |p: f64| {
        lat.get(((n as f64 * p) as usize).min(n.saturating_sub(1)))
            .map_or(0.0, |d| d.as_secs_f64() * 1e3)
    };
    let cpu = match (cpu0, cpu1) {
        (Some(c0), Some(c1)) if n > 0 => format!("{:.0}", (c1 - c0) as f64 / n as f64),
        _ => "-".into(),
    };
    println!(
        "label={} handshakes={n} per_s={:.0} resumed_pct={:.1} p50_ms={:.2} p99_ms={:.2} server_cpu_us_per_hs={cpu} errors={}",
        a.label,
        n as f64 / wall,
        if n > 0 { resumed.load(Ordering::Relaxed) as f64 * 100.0 / n as f64 } else { 0.0 },
        pct(0.50),
        pct(0.99),
        errors.load(Ordering::Relaxed),
    );
    if let Some(r) = reopened {
        println!(
            "label={} held={} trickling={} reopened_after_server_close={r}",
            a.label, a.hold, a.trickle
        );
    }
    let first = first_error.lock().unwrap().take();
    if let Some(e) = first {
        eprintln!("tlsload: first error: {e}");
    }
}

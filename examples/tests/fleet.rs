//! A fleet: `edge_proxy` processes sharing one real `redis-server`, driven
//! by `openssl s_client`. A session made on one node resumes on another
//! (TLS 1.3 tickets, stateful and stateless, and TLS 1.2 session IDs); a
//! 0-RTT flight accepted by one node is refused when replayed to another;
//! with Redis down handshakes still complete (full) and resumption comes
//! back with it; a ticket key file rotates (an old ticket opens while its
//! key is kept, not after).

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wassl_tests::{scratch_dir, skip_interop, Peer, Pki, RedisServer};

/// Bytes received by a backend, over all its connections.
type Received = Arc<Mutex<Vec<u8>>>;

/// A plain-TCP backend that keeps what it receives.
async fn recorder() -> (String, Received) {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap().to_string();
    let got: Received = Arc::default();
    let kept = got.clone();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            let kept = kept.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                while let Ok(n @ 1..) = s.read(&mut buf).await {
                    kept.lock().unwrap().extend_from_slice(&buf[..n]);
                }
            });
        }
    });
    (addr, got)
}

fn text(r: &Received) -> String {
    String::from_utf8_lossy(&r.lock().unwrap()).into_owned()
}

/// One `edge_proxy` process; killed when dropped.
struct Node {
    port: u16,
    proc: Peer,
}

impl Node {
    fn start(dir: &Path, name: &str, pki: &Pki, backend: &str, sessions: &str) -> Node {
        let cfg = dir.join(format!("{name}.toml"));
        std::fs::write(
            &cfg,
            format!(
                "listen = \"127.0.0.1:0\"\nshutdown_grace_ms = 100\n\n[default]\ncertfile = {:?}\nkeyfile = {:?}\nbackend = \"{backend}\"\n\n{sessions}\n",
                pki.server.certfile, pki.server.keyfile
            ),
        )
        .unwrap();
        let mut proc = Peer::start(
            env!("CARGO_BIN_EXE_edge_proxy"),
            &[cfg.to_str().unwrap()],
            b"",
            false,
        );
        let line = proc.expect("listening on port", 60);
        let port = line.rsplit(' ').next().unwrap().trim().parse().unwrap();
        Node { port, proc }
    }

    /// The access log lines so far.
    fn log(&mut self) -> String {
        self.proc.finish(0)
    }
}

/// `[sessions]` of a fleet node.
fn fleet(tickets: &str, redis: &RedisServer, secret: &Path, extra: &str) -> String {
    format!(
        "[sessions]\ntickets = \"{tickets}\"\n{extra}\n[sessions.redis]\nurl = \"{}\"\nsecret_file = {secret:?}\n",
        redis.url()
    )
}

fn secret_file(dir: &Path) -> PathBuf {
    let p = dir.join("fleet.secret");
    std::fs::write(&p, b"thirty-two bytes of fleet secret").unwrap();
    p
}

/// `openssl s_client` to `port` with `args`, sending `data`; what it printed
/// once it said `until` (and a moment more, for tickets to arrive).
async fn s_client(pki: &Pki, port: u16, args: &[&str], data: &str, until: &str) -> String {
    let ca = pki.ca.id.certfile.to_str().unwrap().to_string();
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let (data, until) = (data.to_string(), until.to_string());
    tokio::task::spawn_blocking(move || {
        let connect = format!("127.0.0.1:{port}");
        let mut all = vec!["s_client", "-connect", &connect, "-CAfile", &ca, "-ign_eof"];
        all.extend(args.iter().map(String::as_str));
        let mut p = Peer::start("openssl", &all, data.as_bytes(), true);
        p.expect(&until, 20);
        p.finish(1)
    })
    .await
    .unwrap()
}

/// A first connection to `a` that keeps its session in `sess`, then one
/// to `b` offering it: the second's `New`/`Reused` line.
async fn resume_across(pki: &Pki, a: u16, b: u16, version: &str, sess: &Path) -> String {
    let sess = sess.to_str().unwrap();
    let first = s_client(pki, a, &[version, "-sess_out", sess], "first\n", "New, TLS").await;
    assert!(first.contains("New, TLS"), "{first}");
    let second = s_client(pki, b, &[version, "-sess_in", sess], "second\n", ", TLSv1.").await;
    second
        .lines()
        .find(|l| l.starts_with("New, TLS") || l.starts_with("Reused, TLS"))
        .unwrap_or_else(|| panic!("no New/Reused line:\n{second}"))
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_resume_on_another_node_and_survive_a_redis_outage() {
    if skip_interop() {
        return;
    }
    let (pki, dir) = (Pki::new(), scratch_dir("fleet-stateful"));
    let mut redis = RedisServer::new();
    let secret = secret_file(&dir);
    let (backend, got) = recorder().await;
    let sessions = fleet("stateful", &redis, &secret, "");
    let a = Node::start(&dir, "a", &pki, &backend, &sessions);
    let b = Node::start(&dir, "b", &pki, &backend, &sessions);
    // A node of its own: the same settings but the process's store.
    let lone = Node::start(
        &dir,
        "lone",
        &pki,
        &backend,
        "[sessions]\ntickets = \"stateful\"\n",
    );

    let line = resume_across(&pki, a.port, b.port, "-tls1_3", &dir.join("s13")).await;
    assert!(line.starts_with("Reused, TLSv1.3"), "{line}");
    let line = resume_across(&pki, a.port, b.port, "-tls1_2", &dir.join("s12")).await;
    assert!(line.starts_with("Reused, TLSv1.2"), "{line}");
    let line = resume_across(&pki, a.port, lone.port, "-tls1_2", &dir.join("s12b")).await;
    assert!(
        line.starts_with("New, TLSv1.2"),
        "a node outside the fleet: {line}"
    );
    assert!(text(&got).contains("second\n"), "data went through");
    assert!(redis.dbsize() >= 2, "sessions are in Redis");

    // Redis down: handshakes complete, full, without waiting for it (a
    // TLS 1.3 server sends no stateful ticket it could not keep; a TLS 1.2
    // session ID is offered to B, which cannot find it).
    redis.stop();
    let t = Instant::now();
    let out = s_client(&pki, a.port, &["-tls1_3"], "while down\n", "New, TLSv1.3").await;
    assert!(out.contains("New, TLSv1.3"), "{out}");
    let line = resume_across(&pki, a.port, b.port, "-tls1_2", &dir.join("down")).await;
    assert!(line.starts_with("New, TLSv1.2"), "{line}");
    assert!(t.elapsed() < Duration::from_secs(15), "{:?}", t.elapsed());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        text(&got).contains("while down\n"),
        "data went through while Redis was down"
    );

    // Back: resumption across nodes returns by itself (each node leaves
    // Redis alone for a second after a failure, then reconnects).
    redis.start();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let line = resume_across(&pki, a.port, b.port, "-tls1_3", &dir.join("back")).await;
        if line.starts_with("Reused, TLSv1.3") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no resumption after Redis came back: {line}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stateless_tickets_under_the_fleets_keys_open_on_every_node() {
    if skip_interop() {
        return;
    }
    let (pki, dir) = (Pki::new(), scratch_dir("fleet-stateless"));
    let redis = RedisServer::new();
    let secret = secret_file(&dir);
    let (backend, _) = recorder().await;
    let sessions = fleet("stateless", &redis, &secret, "");
    let a = Node::start(&dir, "a", &pki, &backend, &sessions);
    let b = Node::start(&dir, "b", &pki, &backend, &sessions);
    let lone = Node::start(
        &dir,
        "lone",
        &pki,
        &backend,
        "[sessions]\ntickets = \"stateless\"\n",
    );
    let line = resume_across(&pki, a.port, b.port, "-tls1_3", &dir.join("s")).await;
    assert!(line.starts_with("Reused, TLSv1.3"), "{line}");
    let line = resume_across(&pki, a.port, lone.port, "-tls1_3", &dir.join("l")).await;
    assert!(
        line.starts_with("New, TLSv1.3"),
        "another process's keys: {line}"
    );
}

/// What a recording relay saw: the client's first flight (what it sent
/// before the server's first byte) and the server's bytes.
#[derive(Default)]
struct Seen {
    flight: Vec<u8>,
    server: Vec<u8>,
    spoke: bool,
}

/// A TCP relay to `port` for one connection that keeps what it saw.
async fn recording_relay(port: u16) -> (u16, Arc<Mutex<Seen>>) {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let relay_port = l.local_addr().unwrap().port();
    let seen: Arc<Mutex<Seen>> = Arc::default();
    let kept = seen.clone();
    tokio::spawn(async move {
        let (client, _) = l.accept().await.unwrap();
        let server = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .unwrap();
        let (mut cr, mut cw) = client.into_split();
        let (mut sr, mut sw) = server.into_split();
        let k = kept.clone();
        tokio::spawn(async move {
            let mut buf = vec![0u8; 16384];
            while let Ok(n @ 1..) = cr.read(&mut buf).await {
                {
                    let mut k = k.lock().unwrap();
                    if !k.spoke {
                        k.flight.extend_from_slice(&buf[..n]);
                    }
                }
                if sw.write_all(&buf[..n]).await.is_err() {
                    return;
                }
            }
        });
        let mut buf = vec![0u8; 16384];
        while let Ok(n @ 1..) = sr.read(&mut buf).await {
            {
                let mut k = kept.lock().unwrap();
                k.spoke = true;
                k.server.extend_from_slice(&buf[..n]);
            }
            if cw.write_all(&buf[..n]).await.is_err() {
                return;
            }
        }
    });
    (relay_port, seen)
}

/// Send a recorded flight to `port` as is and keep what comes back for a
/// moment, then hang up: a replay by someone who saw the flight on the wire.
async fn replay(port: u16, flight: &[u8]) -> Vec<u8> {
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    s.write_all(flight).await.unwrap();
    let mut answer = Vec::new();
    let mut buf = vec![0u8; 16384];
    let until = tokio::time::Instant::now() + Duration::from_millis(1500);
    while let Ok(Ok(n @ 1..)) = tokio::time::timeout_at(until, s.read(&mut buf)).await {
        answer.extend_from_slice(&buf[..n]);
    }
    answer
}

/// Whether the ServerHello that starts `server_bytes` accepts a ticket: it
/// carries `pre_shared_key` (41). Without it the server refused the ticket,
/// and so the early data with it (RFC 8446 4.2.10).
fn server_hello_resumes(server_bytes: &[u8]) -> bool {
    let b = server_bytes;
    assert!(
        b.len() > 5 + 4 + 2 + 32 + 1 && b[0] == 22 && b[5] == 2,
        "not a ServerHello: {b:02x?}"
    );
    let mut i = 5 + 4 + 2 + 32;
    i += 1 + usize::from(b[i]); // legacy_session_id_echo
    i += 2 + 1; // cipher_suite, legacy_compression_method
    let end = i + 2 + (usize::from(b[i]) << 8 | usize::from(b[i + 1]));
    i += 2;
    while i + 4 <= end {
        let (kind, len) = (
            u16::from_be_bytes([b[i], b[i + 1]]),
            u16::from_be_bytes([b[i + 2], b[i + 3]]),
        );
        if kind == 41 {
            return true;
        }
        i += 4 + usize::from(len);
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zero_rtt_accepted_by_one_node_is_refused_when_replayed_to_another() {
    if skip_interop() {
        return;
    }
    let (pki, dir) = (Pki::new(), scratch_dir("fleet-0rtt"));
    let redis = RedisServer::new();
    let secret = secret_file(&dir);
    let sessions = fleet("stateful", &redis, &secret, "early_data = true\n");
    let (backend_a, got_a) = recorder().await;
    let (backend_b, got_b) = recorder().await;
    let mut a = Node::start(&dir, "a", &pki, &backend_a, &sessions);
    let mut b = Node::start(&dir, "b", &pki, &backend_b, &sessions);
    let sess = dir.join("sess");
    let early = dir.join("early.txt");
    std::fs::write(&early, "zero round trips\n").unwrap();

    // A ticket from node A, its 0-RTT flight sent to node B (through a
    // relay that keeps it): B resumes through Redis and takes the data.
    let out = s_client(
        &pki,
        a.port,
        &["-tls1_3", "-sess_out", sess.to_str().unwrap()],
        "first\n",
        "New, TLSv1.3",
    )
    .await;
    assert!(out.contains("New, TLSv1.3"), "{out}");
    let (relay, seen) = recording_relay(b.port).await;
    let out = s_client(
        &pki,
        relay,
        &[
            "-tls1_3",
            "-sess_in",
            sess.to_str().unwrap(),
            "-early_data",
            early.to_str().unwrap(),
        ],
        "after\n",
        "Early data was",
    )
    .await;
    assert!(out.contains("Reused, TLSv1.3"), "{out}");
    assert!(out.contains("Early data was accepted"), "{out}");
    let (flight, first) = {
        let seen = seen.lock().unwrap();
        (seen.flight.clone(), seen.server.clone())
    };
    assert!(
        flight.len() > 200,
        "the flight holds a ClientHello and early data: {} bytes",
        flight.len()
    );
    assert!(server_hello_resumes(&first), "B took the ticket");
    assert!(
        text(&got_b).contains("zero round trips"),
        "B relayed the early data: {:?}",
        text(&got_b)
    );

    // The same bytes replayed to A, then to B again: the ticket was taken
    // once across the fleet, so neither takes it (a full handshake, the
    // early data skipped; the replayer cannot finish it anyway).
    assert!(
        !server_hello_resumes(&replay(a.port, &flight).await),
        "A took a used ticket"
    );
    assert!(
        !server_hello_resumes(&replay(b.port, &flight).await),
        "B took a used ticket"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !text(&got_a).contains("zero round trips"),
        "A took replayed early data"
    );
    assert_eq!(
        text(&got_b).matches("zero round trips").count(),
        1,
        "B took it twice"
    );
    // Neither replay got past the handshake.
    let (log_a, log_b) = (a.log(), b.log());
    assert!(!log_a.contains("resumed=true"), "{log_a}");
    assert_eq!(log_b.matches("resumed=true").count(), 1, "{log_b}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_ticket_key_file_opens_old_tickets_while_the_key_is_kept() {
    if skip_interop() {
        return;
    }
    let (pki, dir) = (Pki::new(), scratch_dir("fleet-keyfile"));
    let keys = dir.join("ticket.keys");
    let key = |b: u8| format!("{b:02x}").repeat(32);
    let write = |lines: &[String]| {
        std::fs::write(&keys, lines.join("\n")).unwrap();
        // A new modification time each write, whatever the clock's grain.
        let f = std::fs::File::options().write(true).open(&keys).unwrap();
        static BUMP: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let s = BUMP.fetch_add(1, Ordering::SeqCst);
        f.set_modified(std::time::SystemTime::now() + Duration::from_secs(s))
            .unwrap();
    };
    write(&[key(1)]);
    let (backend, _) = recorder().await;
    let a = Node::start(
        &dir,
        "a",
        &pki,
        &backend,
        &format!("[sessions]\ntickets = \"stateless\"\nticket_key_file = {keys:?}\n"),
    );
    let sess = dir.join("sess");
    let out = s_client(
        &pki,
        a.port,
        &["-tls1_3", "-sess_out", sess.to_str().unwrap()],
        "first\n",
        "New, TLSv1.3",
    )
    .await;
    assert!(out.contains("New, TLSv1.3"), "{out}");
    let resume = || async {
        s_client(
            &pki,
            a.port,
            &["-tls1_3", "-sess_in", sess.to_str().unwrap()],
            "again\n",
            ", TLSv1.3",
        )
        .await
    };
    // Rotated: a new key seals, the old one is kept.
    write(&[key(2), key(1)]);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let out = resume().await;
    assert!(
        out.contains("Reused, TLSv1.3"),
        "the kept key opens it:\n{out}"
    );
    // Rotated again: the ticket's key is gone.
    write(&[key(3), key(2)]);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let out = resume().await;
    assert!(out.contains("New, TLSv1.3"), "its key was dropped:\n{out}");
}

//! Backpressure: 100 MB through `{active, once}` to a slow owner must not
//! grow memory without bound. The socket reads nothing from TCP while its
//! owner has not asked for more, so the sender is held back by TCP itself.

use std::time::Duration;

use wassl::process::{self, Message};
use wassl::ssl::{self, Active, Mode, SslOption, SslSocket};
use wassl_tests::Pki;

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundred_megabytes_through_active_once_with_a_slow_owner() {
    const TOTAL: usize = 100 << 20;
    let pki = Pki::new();
    let opts = vec![
        SslOption::Certfile(pki.server.certfile.clone()),
        SslOption::Keyfile(pki.server.keyfile.clone()),
        SslOption::Mode(Mode::Binary),
    ];
    let (port_tx, port_rx) = tokio::sync::oneshot::channel();
    process::spawn(async move {
        let l = ssl::listen(0, opts).await.unwrap();
        port_tx
            .send(ssl::sockname(&l).await.unwrap().port())
            .unwrap();
        let t = ssl::transport_accept(&l, 10_000).await.unwrap();
        let s: SslSocket = ssl::handshake(&t, 10_000).await.unwrap();
        let chunk = vec![0x5a; 1 << 20];
        for _ in 0..TOTAL / chunk.len() {
            ssl::send(&s, &chunk).await.unwrap();
        }
        tokio::time::sleep(Duration::from_secs(60)).await;
    });
    let port = port_rx.await.unwrap();
    process::run(async {
        let s = ssl::connect(
            "localhost",
            port,
            vec![
                SslOption::Cacertfile(pki.ca.id.certfile.clone()),
                SslOption::Mode(Mode::Binary),
                SslOption::Active(Active::Once),
            ],
            10_000,
        )
        .await
        .unwrap();
        // Let the sender fill every buffer it can before measuring.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let base = rss_kib();
        let mut peak = base;
        let mut got = 0usize;
        let mut messages = 0usize;
        let mut paused_at = 0usize;
        while got < TOTAL {
            match process::receive_timeout(20_000).await {
                Some(Message::Ssl(_, d)) => {
                    got += d.as_bytes().len();
                    messages += 1;
                }
                other => panic!("after {got} bytes: {other:?}"),
            }
            peak = peak.max(rss_kib());
            // A slow owner: 20 ms per 256 KiB, about 12 MB/s, below what the
            // sender produces; it takes one message at a time.
            while got - paused_at >= 256 << 10 {
                paused_at += 256 << 10;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            ssl::setopts(&s, vec![SslOption::Active(Active::Once)])
                .await
                .unwrap();
        }
        assert_eq!(got, TOTAL);
        let growth_mib = peak.saturating_sub(base) / 1024;
        eprintln!(
            "100 MiB in {messages} messages; resident memory grew {growth_mib} MiB (base {} MiB)",
            base / 1024
        );
        // Without backpressure the whole 100 MiB would pile up in this process.
        assert!(
            growth_mib < 40,
            "memory grew {growth_mib} MiB while the owner was slow"
        );
    })
    .await;
}

/// Each end sends `total` bytes in 1 MiB `send`s, then drains what the
/// other sent: `both` makes the server send too, else it only drains.
/// Returns what each side received, or `None` if the deadline passed.
async fn exchange(total: usize, both: bool, deadline: Duration) -> Option<(usize, usize)> {
    const CHUNK: usize = 1 << 20;
    let pki = Pki::new();
    let (done_tx, done_rx) = tokio::sync::oneshot::channel();
    let done_tx = std::sync::Mutex::new(Some(done_tx));
    let port =
        wassl_tests::scripted_server(&pki, vec![SslOption::Active(Active::True)], move |s| {
            let done_tx = done_tx.lock().unwrap().take();
            async move {
                if both {
                    let chunk = vec![0x5a; CHUNK];
                    for _ in 0..total / CHUNK {
                        ssl::send(&s, &chunk).await.unwrap();
                    }
                }
                let got = drain(total).await;
                if let Some(tx) = done_tx {
                    let _ = tx.send(got);
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        })
        .await;
    let client = process::run(async move {
        let s = wassl_tests::pki_client(&pki, port, vec![SslOption::Active(Active::True)]).await;
        let chunk = vec![0xa5; CHUNK];
        for _ in 0..total / CHUNK {
            ssl::send(&s, &chunk).await.unwrap();
        }
        let got = if both { drain(total).await } else { 0 };
        ssl::close(&s).await.unwrap();
        got
    });
    tokio::time::timeout(deadline, async move {
        let client = client.await;
        (client, done_rx.await.unwrap())
    })
    .await
    .ok()
}

/// Take `{ssl, S, Data}` messages until `total` bytes came.
async fn drain(total: usize) -> usize {
    let mut got = 0;
    while got < total {
        match process::receive_timeout(20_000).await {
            Some(Message::Ssl(_, d)) => got += d.as_bytes().len(),
            other => panic!("after {got} bytes: {other:?}"),
        }
    }
    got
}

/// The control: one way, the receiver reads as the sender writes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_two_megabytes_one_way() {
    const TOTAL: usize = 32 << 20;
    let r = exchange(TOTAL, false, Duration::from_secs(60)).await;
    assert_eq!(r, Some((0, TOTAL)), "one-way transfer did not finish");
}

/// Both ends send 32 MiB before reading anything. A socket whose pending
/// write stopped its reading would wait forever on the other's full TCP
/// buffers (OTP runs a sender process, `tls_sender`, for exactly this).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_ends_send_before_they_read() {
    const TOTAL: usize = 32 << 20;
    let r = exchange(TOTAL, true, Duration::from_secs(60)).await;
    assert_eq!(r, Some((TOTAL, TOTAL)), "both-ways transfer deadlocked");
}

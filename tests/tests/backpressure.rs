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

//! Backpressure: 100 MB through `{active, once}` to a slow owner must not
//! grow memory without bound. The socket reads nothing from TCP while its
//! owner has not asked for more, so the sender is held back by TCP itself.

use std::time::Duration;

use wassl::process::{self, Message};
use wassl::ssl::{self, Active, SslOption};
use wassl_tests::{pki_client, scripted_server, Pki};

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
    let port = scripted_server(&pki, vec![], |s| async move {
        let chunk = vec![0x5a; 1 << 20];
        for _ in 0..TOTAL / chunk.len() {
            ssl::send(&s, &chunk).await.unwrap();
        }
        tokio::time::sleep(Duration::from_secs(60)).await;
    })
    .await;
    process::run(async {
        let s = pki_client(&pki, port, vec![SslOption::Active(Active::Once)]).await;
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

/// A stream waiting in the kernel is read in reads that grow to `buffer`
/// (65 KiB by default): after a first read of 17 KiB fills, the next take
/// more, so the owner gets fewer and larger messages; none is over `buffer`
/// and the record the previous read left unfinished.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_is_read_in_reads_that_grow_to_buffer() {
    const TOTAL: usize = 4 << 20;
    const FIRST_READ: usize = 16 * 1024 + 1024;
    const BUFFER: usize = 64 * 1024 + 1024;
    let pki = Pki::new();
    let port = scripted_server(&pki, vec![], |s| async move {
        ssl::send(&s, vec![0x5a; TOTAL]).await.unwrap();
        tokio::time::sleep(Duration::from_secs(60)).await;
    })
    .await;
    process::run(async {
        let s = pki_client(&pki, port, vec![SslOption::Active(Active::False)]).await;
        // Passive: the socket reads ahead to `buffer` and stops; the rest
        // of the stream waits in the kernel.
        tokio::time::sleep(Duration::from_millis(300)).await;
        ssl::setopts(&s, vec![SslOption::Active(Active::True)])
            .await
            .unwrap();
        let mut sizes = Vec::new();
        let mut got = 0;
        while got < TOTAL {
            match process::receive_timeout(20_000).await {
                Some(Message::Ssl(_, d)) => {
                    got += d.as_bytes().len();
                    sizes.push(d.as_bytes().len());
                }
                other => panic!("after {got} bytes: {other:?}"),
            }
        }
        assert_eq!(got, TOTAL);
        // The first message is what was read ahead; each later one is one read.
        let reads = &sizes[1..];
        let largest = reads.iter().copied().max().unwrap_or(0);
        eprintln!(
            "{TOTAL} bytes in {} messages, the largest {largest}",
            sizes.len()
        );
        // Reads of 17 KiB give one record a message (two when a record
        // carried over): about 250 messages for 4 MiB. Reads of 65 KiB: 64.
        assert!(
            sizes.len() < TOTAL / (32 << 10),
            "{} messages for {TOTAL} bytes: the reads did not grow ({reads:?})",
            sizes.len()
        );
        assert!(
            largest <= BUFFER + FIRST_READ,
            "a read over buffer and one record: {largest}"
        );
    })
    .await;
}

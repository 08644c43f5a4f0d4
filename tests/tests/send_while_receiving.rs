//! Sending never stops receiving: two ends that both send 32 MiB before
//! they read must both finish (a socket whose pending write stopped its
//! reading deadlocked here), next to a one-way control. Apart from
//! `backpressure.rs`, whose memory measurement they would disturb.

use std::time::Duration;

use wassl::process::{self, Message};
use wassl::ssl::{self, Active, SslOption};
use wassl_tests::Pki;

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

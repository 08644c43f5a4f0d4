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

/// A peer that reads nothing cannot hold a closing socket for ever: with
/// megabytes queued and no send_timeout, close returns within its linger
/// (5 s) and the send still waiting is answered `closed`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_does_not_wait_for_ever_on_a_peer_that_reads_nothing() {
    let pki = Pki::new();
    let (tx, rx) = tokio::sync::oneshot::channel();
    let tx = std::sync::Mutex::new(Some(tx));
    let port = wassl_tests::scripted_server(&pki, vec![], move |s| {
        let tx = tx.lock().unwrap().take();
        async move {
            let sender = s.clone();
            let send = tokio::spawn(async move { ssl::send(&sender, vec![1u8; 16 << 20]).await });
            tokio::time::sleep(Duration::from_millis(500)).await;
            let started = std::time::Instant::now();
            ssl::close(&s).await.unwrap();
            let took = started.elapsed();
            let sent = send.await.unwrap();
            if let Some(tx) = tx {
                let _ = tx.send((took, sent));
            }
        }
    })
    .await;
    process::run(async move {
        // Passive and never asked: it reads only its read-ahead.
        let _s = wassl_tests::pki_client(&pki, port, vec![SslOption::Active(Active::False)]).await;
        let (took, sent) = tokio::time::timeout(Duration::from_secs(30), rx)
            .await
            .expect("close returned")
            .unwrap();
        assert!(took < Duration::from_secs(8), "close took {took:?}");
        assert_eq!(sent, Err(ssl::Reason::Closed), "the waiting send");
    })
    .await;
}

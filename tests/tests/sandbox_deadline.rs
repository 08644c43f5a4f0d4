//! `Limits::call_deadline`: a call into a sandbox that runs past it
//! (here a verify_fun that takes too long, inside the engine's call) ends
//! that socket with `engine_trap`; the next connection carries on. A test
//! binary of its own: limits are set once per process.

use std::sync::Once;
use std::time::Duration;

use wassl::process;
use wassl::runtime::{self, Limits};
use wassl::ssl::{self, Reason, SniAnswer, SniFun, SslOption, VerifyFun, VerifyResult};
use wassl_tests::{pki_client, scripted_server, Pki};

/// Calls into a sandbox get 300 ms (the tests share the process).
fn limits() {
    static SET: Once = Once::new();
    SET.call_once(|| {
        assert!(runtime::configure(Limits {
            call_deadline: Duration::from_millis(300),
            ..Limits::default()
        }))
    });
}

/// A server (with `opts`) that echoes what its owner receives.
async fn echo_server(pki: &Pki, opts: Vec<SslOption>) -> u16 {
    scripted_server(pki, opts, |s| async move {
        while let Some(process::Message::Ssl(_, d)) = process::receive_timeout(5_000).await {
            let _ = ssl::send(&s, d.as_bytes()).await;
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_past_its_deadline_ends_that_socket_only() {
    limits();
    let pki = Pki::new();
    let port = echo_server(&pki, vec![]).await;
    process::run(async {
        let slow = VerifyFun::new(
            |_, _, s: ()| {
                std::thread::sleep(Duration::from_millis(1_000));
                VerifyResult::Valid(s)
            },
            (),
        );
        let started = std::time::Instant::now();
        let err = ssl::connect(
            "localhost",
            port,
            vec![
                SslOption::Cacertfile(pki.ca.id.certfile.clone()),
                SslOption::VerifyFun(slow),
            ],
            20_000,
        )
        .await
        .unwrap_err();
        let Reason::EngineTrap(text) = &err else {
            panic!("expected engine_trap, got {err}");
        };
        assert!(text.contains("deadline"), "{text}");
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "stopped at its deadline: {text}"
        );
        // Another connection, in its own sandbox, is not disturbed.
        let s = pki_client(&pki, port, vec![]).await;
        ssl::send(&s, b"still here").await.unwrap();
        match process::receive_timeout(5_000).await {
            Some(process::Message::Ssl(_, d)) => assert_eq!(d.as_bytes(), b"still here"),
            other => panic!("{other:?}"),
        }
    })
    .await;
}

/// `sni_fun` is the owner's code and runs between the ClientHello and the
/// rest of the handshake, outside any call into the sandbox: a slow one
/// (a certificate fetched from elsewhere) does not count against the call
/// deadline. Before, the engine asked it from inside its call, and this
/// handshake ended with `engine_trap`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_sni_fun_is_not_inside_a_sandbox_call() {
    limits();
    let pki = Pki::new();
    let asked = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = asked.clone();
    let slow = SniFun::new(move |name| {
        seen.lock().unwrap().push(name.to_string());
        std::thread::sleep(Duration::from_millis(1_000));
        SniAnswer::Undefined
    });
    let port = echo_server(&pki, vec![SslOption::SniFun(slow)]).await;
    process::run(async {
        let s = pki_client(&pki, port, vec![]).await;
        ssl::send(&s, b"after a slow sni_fun").await.unwrap();
        match process::receive_timeout(5_000).await {
            Some(process::Message::Ssl(_, d)) => assert_eq!(d.as_bytes(), b"after a slow sni_fun"),
            other => panic!("{other:?}"),
        }
    })
    .await;
    assert_eq!(
        *asked.lock().unwrap(),
        ["localhost"],
        "asked once, for the hello's name"
    );
}

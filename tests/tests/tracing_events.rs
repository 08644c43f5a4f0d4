//! `tracing` spans and events per connection: the handshake's outcome, the
//! alerts (WARN, or DEBUG with `{log_alert, false}`), `{log_level, none}`.

use std::sync::{Arc, Mutex};

use wassl::process;
use wassl::ssl::{self, LogLevel, Mode, SslOption};
use wassl_tests::Pki;

/// Everything the fmt subscriber writes, as text.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn take(&self) -> String {
        String::from_utf8(std::mem::take(&mut *self.0.lock().unwrap())).unwrap()
    }
}

async fn connect(
    pki: &Pki,
    port: u16,
    ca: &std::path::Path,
    extra: Vec<SslOption>,
) -> Result<(), ssl::Reason> {
    let mut opts = vec![
        SslOption::Cacertfile(ca.to_path_buf()),
        SslOption::Mode(Mode::Binary),
    ];
    opts.extend(extra);
    let _ = pki;
    let s = ssl::connect("localhost", port, opts, 5_000).await?;
    // Not at once: a close_notify in the same read as the client's Finished
    // would leave the server's records in its engine (nothing to hand off).
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    ssl::close(&s).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_and_events_per_connection() {
    let out = Captured::default();
    let writer = out.clone();
    tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::DEBUG)
        .init();
    let pki = Pki::new();
    let quiet_port =
        wassl_tests::scripted_server(&pki, vec![SslOption::LogAlert(false)], |_s| async {}).await;
    let port = wassl_tests::scripted_server(&pki, vec![], |_s| async {}).await;
    process::run(async {
        // A good handshake: one INFO line with what was negotiated.
        connect(&pki, port, &pki.ca.id.certfile, vec![])
            .await
            .unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let log = out.take();
        let done: Vec<&str> = log
            .lines()
            .filter(|l| l.contains("handshake done"))
            .collect();
        assert_eq!(done.len(), 2, "client and server:\n{log}");
        for l in &done {
            assert!(
                l.contains(" INFO ") && l.contains("version=\"tlsv1.3\""),
                "{l}"
            );
            assert!(
                l.contains("records=\"host\"") && l.contains("suite=TLS_"),
                "{l}"
            );
        }
        assert!(done.iter().any(|l| l.contains("role=\"client\"")), "{log}");
        assert!(done.iter().any(|l| l.contains("role=\"server\"")), "{log}");
        // Both name their peer (the server from what accept gave it).
        let to_server = format!("peer=127.0.0.1:{port}");
        assert!(done.iter().any(|l| l.contains(&to_server)), "{log}");
        assert!(
            done.iter()
                .any(|l| l.contains("role=\"server\"") && l.contains("peer=127.0.0.1:")),
            "{log}"
        );

        // The wrong CA: the client sends unknown_ca, the server receives it.
        let wrong = pki.other_ca.id.certfile.clone();
        assert!(connect(&pki, port, &wrong, vec![]).await.is_err());
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let log = out.take();
        let alerts: Vec<&str> = log.lines().filter(|l| l.contains("TLS alert")).collect();
        assert_eq!(alerts.len(), 2, "{log}");
        assert!(
            alerts
                .iter()
                .all(|l| l.contains(" WARN ") && l.contains("alert=unknown_ca")),
            "{log}"
        );
        assert!(log.contains("handshake failed"), "{log}");

        // {log_alert, false} on both ends: the same alerts, at DEBUG.
        assert!(
            connect(&pki, quiet_port, &wrong, vec![SslOption::LogAlert(false)])
                .await
                .is_err()
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let log = out.take();
        assert!(!log.contains(" WARN "), "{log}");
        assert_eq!(
            log.lines()
                .filter(|l| l.contains("DEBUG") && l.contains("TLS alert"))
                .count(),
            2,
            "{log}"
        );

        // {log_level, none}: the client says nothing at all (the server still does).
        assert!(connect(
            &pki,
            quiet_port,
            &wrong,
            vec![SslOption::LogLevel(LogLevel::None)]
        )
        .await
        .is_err());
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let log = out.take();
        assert!(!log.lines().any(|l| l.contains("role=\"client\"")), "{log}");
        assert!(log.lines().any(|l| l.contains("role=\"server\"")), "{log}");
    })
    .await;
}

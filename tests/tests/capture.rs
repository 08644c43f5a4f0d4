//! A key log written by wassl (`keep_secrets`) lets Wireshark's `tshark`
//! decrypt a capture of a wassl session: TLS 1.2 (records in the engine)
//! and TLS 1.3 (records sealed by the host after the hand-off).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use wassl::process::{self, Message};
use wassl::ssl::{self, SslOption, Version};
use wassl_tests::{require, scratch_dir, skip_interop, Pki};

/// `tshark` capturing TCP port `port` on loopback into `file`, started.
fn capture(port: u16, file: &std::path::Path) -> std::process::Child {
    let mut child = Command::new("tshark")
        .args(["-i", "lo", "-f", &format!("tcp port {port}"), "-w"])
        .arg(file)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start tshark");
    let err = BufReader::new(child.stderr.take().unwrap());
    for line in err.lines() {
        let line = line.unwrap();
        if line.contains("Capturing on") {
            break;
        }
    }
    // tshark says so just before the first packet can be taken.
    std::thread::sleep(std::time::Duration::from_millis(300));
    child
}

/// Stop with SIGINT, so that tshark writes out what it has.
fn stop(mut child: std::process::Child) {
    std::thread::sleep(std::time::Duration::from_millis(500));
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let _ = child.wait();
}

/// The TLS stream of the capture as tshark decrypts it (with `keys`, if any).
fn follow(file: &std::path::Path, keys: Option<&std::path::Path>) -> String {
    let mut cmd = Command::new("tshark");
    cmd.arg("-r").arg(file);
    if let Some(k) = keys {
        cmd.arg("-o")
            .arg(format!("tls.keylog_file:{}", k.display()));
    }
    let out = cmd
        .args(["-q", "-z", "follow,tls,ascii,0"])
        .output()
        .expect("run tshark");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tshark_decrypts_a_capture_with_wassls_key_log() {
    if skip_interop() {
        return;
    }
    require("tshark");
    let pki = Pki::new();
    let dir = scratch_dir("capture");
    let port = wassl_tests::scripted_server(&pki, vec![], |s| async move {
        if let Some(Message::Ssl(_, d)) = process::receive_timeout(10_000).await {
            let _ = ssl::send(&s, d.as_bytes()).await;
        }
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    })
    .await;
    for (v, name) in [(Version::Tlsv1_2, "tls12"), (Version::Tlsv1_3, "tls13")] {
        let file = dir.join(format!("{name}.pcapng"));
        let tshark = tokio::task::spawn_blocking({
            let file = file.clone();
            move || capture(port, &file)
        })
        .await
        .unwrap();
        let payload = format!("wassl secret payload over {name}");
        let keylog = process::run({
            let payload = payload.clone();
            let pki = &pki;
            async move {
                let s = wassl_tests::pki_client(
                    pki,
                    port,
                    vec![SslOption::Versions(vec![v]), SslOption::KeepSecrets(true)],
                )
                .await;
                ssl::send(&s, payload.as_bytes()).await.unwrap();
                match process::receive_timeout(10_000).await {
                    Some(Message::Ssl(_, d)) => assert_eq!(d.as_bytes(), payload.as_bytes()),
                    other => panic!("no echo: {other:?}"),
                }
                let keylog = ssl::connection_information(&s).await.unwrap().keylog;
                ssl::close(&s).await.unwrap();
                keylog
            }
        })
        .await;
        tokio::task::spawn_blocking(move || stop(tshark))
            .await
            .unwrap();
        let keys = dir.join(format!("{name}.keys"));
        std::fs::write(&keys, keylog.join("\n") + "\n").unwrap();
        // Without the key log the payload is not there; with it, both ways.
        let blind = follow(&file, None);
        assert!(
            !blind.contains(&payload),
            "{name}: readable without keys?\n{blind}"
        );
        let seen = follow(&file, Some(&keys));
        assert_eq!(
            seen.matches(&payload).count(),
            2,
            "{name}: tshark should show the request and its echo:\n{seen}"
        );
    }
}

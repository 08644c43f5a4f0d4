//! What tools nobody here wrote found (tlsfuzzer, sslyze, testssl.sh), each
//! as a regression test against a wassl server: the alert on the wire and
//! the reason the server's owner gets must be the same, and the one native
//! rustls sends.

use wassl::process;
use wassl::ssl::{self, Reason, SslOption};
use wassl_tests::{skip_interop, tls_alert, Peer, Pki};

/// A wassl server for one handshake; its result.
async fn one_handshake(pki: &Pki) -> (u16, tokio::sync::oneshot::Receiver<Result<(), Reason>>) {
    let opts = vec![
        SslOption::Certfile(pki.server.certfile.clone()),
        SslOption::Keyfile(pki.server.keyfile.clone()),
    ];
    let (port_tx, port_rx) = tokio::sync::oneshot::channel();
    let (res_tx, res_rx) = tokio::sync::oneshot::channel();
    process::spawn(async move {
        let l = ssl::listen(0, opts).await.expect("listen");
        port_tx
            .send(ssl::sockname(&l).await.unwrap().port())
            .unwrap();
        let t = ssl::transport_accept(&l, 20_000).await.expect("accept");
        let _ = res_tx.send(ssl::handshake(&t, 20_000).await.map(|_| ()));
    });
    (port_rx.await.unwrap(), res_rx)
}

/// A client with nothing in common with the server: `handshake_failure`
/// on the wire and in the owner's reason. Before, the certificate resolver
/// answered nothing, rustls sent `access_denied` (which stopped sslyze's
/// scans) and the owner was told `handshake_failure`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_in_common_is_handshake_failure_on_both_sides() {
    if skip_interop() {
        return;
    }
    let pki = Pki::new();
    let cases: [&[&str]; 4] = [
        &["-tls1_3", "-ciphersuites", "TLS_AES_128_CCM_SHA256"],
        &["-tls1_2", "-cipher", "AES128-SHA"],
        // The server's certificate is ECDSA.
        &["-tls1_2", "-sigalgs", "RSA+SHA256"],
        &["-tls1_3", "-sigalgs", "rsa_pss_rsae_sha256"],
    ];
    for flags in cases {
        let (port, result) = one_handshake(&pki).await;
        let connect = format!("127.0.0.1:{port}");
        let mut args = vec!["s_client", "-connect", &connect];
        args.extend_from_slice(flags);
        let mut client = Peer::start("openssl", &args, b"", true);
        let out = client.finish(20);
        let err = result.await.unwrap().unwrap_err();
        let (desc, text) = tls_alert(&err);
        assert_eq!(desc, "handshake_failure", "{flags:?}: {text}");
        assert!(
            text.contains("generated SERVER ALERT: Fatal - Handshake Failure"),
            "{flags:?}: {text}"
        );
        assert!(
            out.contains("alert handshake failure"),
            "{flags:?}: openssl saw:\n{out}"
        );
    }
}

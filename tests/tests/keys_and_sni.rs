//! Keys in every form OpenSSL writes them (RSA, ECDSA P-256/P-384, Ed25519;
//! PKCS#1, SEC1, PKCS#8; encrypted PKCS#8 and legacy PEM encryption with
//! `password`), `certs_keys` chosen by the client's signature algorithms,
//! `sni_hosts` and `sni_fun`, and the operating system's CA store.

use std::path::{Path, PathBuf};
use std::process::Command;

use wassl::process;
use wassl::ssl::{
    self, CertKey, Mode, Reason, ServerNameIndication, SniAnswer, SniFun, SslOption, SslSocket,
};
use wassl_tests::{require, skip_interop, LeafSpec, Peer, Pki};

fn openssl(dir: &Path, args: &[&str]) {
    require("openssl");
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A certificate for `localhost` over `key` (any form), signed by the PKI's CA.
fn cert_for(pki: &Pki, plain_key: &str, name: &str) -> PathBuf {
    let dir = &pki.dir;
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=DNS:localhost,DNS:alt.test,IP:127.0.0.1\n",
    )
    .unwrap();
    openssl(
        dir,
        &[
            "req",
            "-new",
            "-key",
            plain_key,
            "-subj",
            &format!("/CN={name}"),
            "-out",
            &format!("{name}.csr"),
        ],
    );
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            &format!("{name}.csr"),
            "-CA",
            pki.ca.id.certfile.to_str().unwrap(),
            "-CAkey",
            pki.ca.id.keyfile.to_str().unwrap(),
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
            "-out",
            &format!("{name}.pem"),
        ],
    );
    dir.join(format!("{name}.pem"))
}

async fn serve_once(opts: Vec<SslOption>) -> Result<u16, Reason> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    process::spawn(async move {
        match ssl::listen(0, opts).await {
            Ok(l) => {
                tx.send(Ok(ssl::sockname(&l).await.unwrap().port()))
                    .unwrap();
                loop {
                    let Ok(t) = ssl::transport_accept(&l, 20_000).await else {
                        return;
                    };
                    if let Ok(s) = ssl::handshake(&t, 10_000).await {
                        wassl_tests::hold(s);
                    }
                }
            }
            Err(e) => tx.send(Err(e)).unwrap(),
        }
    });
    rx.await.unwrap()
}

async fn peer_cert(pki: &Pki, port: u16, sni: Option<&str>) -> Result<Vec<u8>, Reason> {
    let mut opts = vec![
        SslOption::Cacertfile(pki.ca.id.certfile.clone()),
        SslOption::Mode(Mode::Binary),
    ];
    if let Some(n) = sni {
        opts.push(SslOption::ServerNameIndication(ServerNameIndication::Host(
            n.into(),
        )));
    }
    process::run(async {
        let s: SslSocket = ssl::connect("127.0.0.1", port, opts, 10_000).await?;
        ssl::peercert(&s).await
    })
    .await
}

fn pem_der(path: &Path) -> Vec<u8> {
    // The certificate's DER, as OpenSSL reads it.
    let out = Command::new("openssl")
        .args(["x509", "-in", path.to_str().unwrap(), "-outform", "DER"])
        .output()
        .unwrap();
    assert!(out.status.success() && !out.stdout.is_empty());
    out.stdout
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_key_form_openssl_writes() {
    if skip_interop() {
        return;
    }
    let pki = Pki::new();
    let d = &pki.dir;
    openssl(
        d,
        &[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
            "rsa8.pem",
        ],
    );
    openssl(
        d,
        &[
            "pkey",
            "-in",
            "rsa8.pem",
            "-traditional",
            "-out",
            "rsa1.pem",
        ],
    );
    openssl(
        d,
        &[
            "ecparam",
            "-name",
            "prime256v1",
            "-genkey",
            "-noout",
            "-out",
            "p256sec1.pem",
        ],
    );
    openssl(
        d,
        &[
            "pkcs8",
            "-topk8",
            "-nocrypt",
            "-in",
            "p256sec1.pem",
            "-out",
            "p256p8.pem",
        ],
    );
    openssl(
        d,
        &[
            "ecparam",
            "-name",
            "secp384r1",
            "-genkey",
            "-noout",
            "-out",
            "p384sec1.pem",
        ],
    );
    openssl(d, &["genpkey", "-algorithm", "ED25519", "-out", "ed.pem"]);
    openssl(
        d,
        &[
            "pkcs8",
            "-topk8",
            "-v2",
            "aes-256-cbc",
            "-in",
            "p256sec1.pem",
            "-passout",
            "pass:secret",
            "-out",
            "p256enc8.pem",
        ],
    );
    openssl(
        d,
        &[
            "pkey",
            "-in",
            "rsa8.pem",
            "-traditional",
            "-aes256",
            "-passout",
            "pass:secret",
            "-out",
            "rsaenc1.pem",
        ],
    );
    openssl(
        d,
        &[
            "ec",
            "-in",
            "p256sec1.pem",
            "-aes128",
            "-passout",
            "pass:secret",
            "-out",
            "p256aes1.pem",
        ],
    );
    openssl(
        d,
        &[
            "pkey",
            "-in",
            "p384sec1.pem",
            "-traditional",
            "-des3",
            "-passout",
            "pass:secret",
            "-out",
            "p384des.pem",
        ],
    );
    // (key file as given, its plain form for the CSR, password)
    let cases = [
        ("rsa1.pem", "rsa1.pem", None),
        ("rsa8.pem", "rsa8.pem", None),
        ("p256sec1.pem", "p256sec1.pem", None),
        ("p256p8.pem", "p256p8.pem", None),
        ("p384sec1.pem", "p384sec1.pem", None),
        ("ed.pem", "ed.pem", None),
        ("p256enc8.pem", "p256sec1.pem", Some("secret")),
        ("rsaenc1.pem", "rsa8.pem", Some("secret")),
        ("p256aes1.pem", "p256sec1.pem", Some("secret")),
        ("p384des.pem", "p384sec1.pem", Some("secret")),
    ];
    for (i, (key, plain, password)) in cases.iter().enumerate() {
        let cert = cert_for(&pki, plain, &format!("k{i}"));
        let mut opts = vec![
            SslOption::Certfile(cert.clone()),
            SslOption::Keyfile(d.join(key)),
        ];
        if let Some(p) = password {
            opts.push(SslOption::Password(p.to_string()));
        }
        let port = serve_once(opts)
            .await
            .unwrap_or_else(|e| panic!("{key}: {}", ssl::format_error(&e)));
        assert_eq!(
            peer_cert(&pki, port, None).await.unwrap(),
            pem_der(&cert),
            "{key}"
        );
    }
    // A wrong password, and a missing one, are option errors naming the file.
    let cert = cert_for(&pki, "p256sec1.pem", "bad");
    for (opts, words) in [
        (vec![SslOption::Password("wrong".into())], "wrong password"),
        (vec![], "give the password"),
    ] {
        let mut o = vec![
            SslOption::Certfile(cert.clone()),
            SslOption::Keyfile(d.join("p256enc8.pem")),
        ];
        o.extend(opts);
        let e = serve_once(o).await.unwrap_err();
        assert!(
            matches!(&e, Reason::Options { option, .. } if option == "keyfile"),
            "{e}"
        );
        assert!(
            ssl::format_error(&e).contains(words),
            "{}",
            ssl::format_error(&e)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certs_keys_follow_the_clients_signature_algorithms() {
    if skip_interop() {
        return;
    }
    let pki = Pki::new();
    let d = &pki.dir;
    openssl(
        d,
        &[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
            "rsa.pem",
        ],
    );
    openssl(
        d,
        &[
            "ecparam",
            "-name",
            "prime256v1",
            "-genkey",
            "-noout",
            "-out",
            "ec.pem",
        ],
    );
    let rsa_cert = cert_for(&pki, "rsa.pem", "rsa-server");
    let ec_cert = cert_for(&pki, "ec.pem", "ec-server");
    let entry = |c: &PathBuf, k: &str| CertKey {
        certfile: Some(c.clone()),
        keyfile: Some(d.join(k)),
        ..Default::default()
    };
    let port = serve_once(vec![SslOption::CertsKeys(vec![
        entry(&ec_cert, "ec.pem"),
        entry(&rsa_cert, "rsa.pem"),
    ])])
    .await
    .unwrap();
    let connect = format!("127.0.0.1:{port}");
    for (sigalgs, want_cn) in [
        ("ECDSA+SHA256", "CN = ec-server"),
        ("rsa_pss_rsae_sha256", "CN = rsa-server"),
    ] {
        let mut c = Peer::start(
            "openssl",
            &[
                "s_client",
                "-connect",
                &connect,
                "-sigalgs",
                sigalgs,
                "-CAfile",
                pki.ca.id.certfile.to_str().unwrap(),
            ],
            b"",
            true,
        );
        c.expect(want_cn, 10);
        c.expect("Verify return code: 0 (ok)", 10);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sni_hosts_and_sni_fun() {
    let pki = Pki::new();
    let alt = pki.ca.issue(&LeafSpec {
        cn: "alt.test",
        names: &["alt.test"],
        expired: false,
        server: true,
    });
    let fun = pki.ca.issue(&LeafSpec {
        cn: "fun.test",
        names: &["fun.test"],
        expired: false,
        server: true,
    });
    let fun_files = (fun.certfile.clone(), fun.keyfile.clone());
    let sni_fun = SniFun::new(move |name| match name {
        "fun.test" => SniAnswer::Options(vec![
            SslOption::Certfile(fun_files.0.clone()),
            SslOption::Keyfile(fun_files.1.clone()),
        ]),
        "nope.test" => SniAnswer::Unrecognized,
        _ => SniAnswer::Undefined,
    });
    let own = vec![
        SslOption::Certfile(pki.server.certfile.clone()),
        SslOption::Keyfile(pki.server.keyfile.clone()),
    ];
    let hosts = SslOption::SniHosts(vec![(
        "alt.test".into(),
        vec![
            SslOption::Cert(vec![alt.cert_der.clone()]),
            SslOption::Key(ssl::KeyType::PrivateKeyInfo, alt.key_der.clone()),
        ],
    )]);
    // Modern OTP takes one or the other.
    let both = [
        own.clone(),
        vec![hosts.clone(), SslOption::SniFun(sni_fun.clone())],
    ]
    .concat();
    let e = serve_once(both).await.unwrap_err();
    assert_eq!(e.to_string(), "{options,incompatible,[sni_fun,sni_hosts]}");

    let port = serve_once([own.clone(), vec![hosts]].concat())
        .await
        .unwrap();
    assert_eq!(
        peer_cert(&pki, port, Some("alt.test")).await.unwrap(),
        alt.cert_der,
        "sni_hosts"
    );
    assert_eq!(
        peer_cert(&pki, port, Some("localhost")).await.unwrap(),
        pki.server.cert_der,
        "a name sni_hosts does not list: the default"
    );

    let port = serve_once([own, vec![SslOption::SniFun(sni_fun)]].concat())
        .await
        .unwrap();
    assert_eq!(
        peer_cert(&pki, port, Some("fun.test")).await.unwrap(),
        fun.cert_der,
        "sni_fun"
    );
    assert_eq!(
        peer_cert(&pki, port, Some("localhost")).await.unwrap(),
        pki.server.cert_der,
        "undefined: the default"
    );
    let e = peer_cert(&pki, port, Some("nope.test")).await.unwrap_err();
    assert!(
        matches!(&e, Reason::TlsAlert { .. }),
        "unrecognized refuses the handshake: {e}"
    );
}

#[test]
fn cacerts_get_reads_the_system_store() {
    let certs = ssl::cacerts_get().expect("a CA bundle (ca-certificates) on this machine");
    assert!(certs.len() > 50, "only {} CAs", certs.len());
    assert!(
        certs.iter().all(|c| c.first() == Some(&0x30)),
        "DER certificates"
    );
}

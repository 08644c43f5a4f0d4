//! The functions of the older manuals that modern OTP removed
//! (`connection_info/1`, `cipher_suites/0,1`, `ciphers/0`, `pid/1`,
//! `seed/1`, `peercert/2`, `start/1`), with the semantics those manuals give.

use std::time::Duration;

use wassl::ssl::{
    self, PeerCertificate, PeercertOpt, SslOption, StartType, SuiteDescription, SuiteType, Suites,
    Version,
};
use wassl_tests::{pki_client, scripted_server, Pki};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cipher_suite_lists_of_the_old_manuals() {
    ssl::start_with(StartType::Permanent).await.unwrap();
    ssl::seed(b"entropy comes from wasi:random").unwrap();
    let Suites::Erlang(erlang) = ssl::cipher_suites_of(SuiteType::Erlang).await.unwrap() else {
        panic!("erlang form expected");
    };
    let mut both = ssl::cipher_suites(SuiteDescription::Default, Version::Tlsv1_3)
        .await
        .unwrap();
    both.extend(
        ssl::cipher_suites(SuiteDescription::Default, Version::Tlsv1_2)
            .await
            .unwrap(),
    );
    assert_eq!(erlang, both, "TLS 1.3 suites first, then TLS 1.2");
    assert_eq!(
        ssl::cipher_suites_of(SuiteType::All).await.unwrap(),
        Suites::Erlang(both.clone())
    );
    let Suites::Openssl(names) = ssl::cipher_suites_of(SuiteType::Openssl).await.unwrap() else {
        panic!("openssl form expected");
    };
    assert_eq!(names.len(), both.len());
    assert!(
        names.contains(&"ECDHE-ECDSA-AES128-GCM-SHA256".to_string()),
        "{names:?}"
    );
    assert!(
        names.contains(&"TLS_AES_128_GCM_SHA256".to_string()),
        "{names:?}"
    );
    assert_eq!(ssl::ciphers().await.unwrap(), names.join(":"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_info_pid_and_peercert_forms() {
    let pki = Pki::new();
    let port = scripted_server(&pki, vec![], |s| async move {
        tokio::time::sleep(Duration::from_secs(3)).await;
        drop(s);
    })
    .await;
    wassl::process::run(async {
        let s = pki_client(
            &pki,
            port,
            vec![SslOption::Versions(vec![Version::Tlsv1_2])],
        )
        .await;
        let (version, suite) = ssl::connection_info(&s).await.unwrap();
        assert_eq!(version, Version::Tlsv1_2);
        assert_eq!(suite.key_exchange, "ecdhe_ecdsa");
        assert_eq!(
            ssl::peercert_with(&s, &[]).await.unwrap(),
            PeerCertificate::Der(pki.server.cert_der.clone())
        );
        match ssl::peercert_with(&s, &[PeercertOpt::Subject])
            .await
            .unwrap()
        {
            PeerCertificate::Subject(dn) => assert!(dn.contains("localhost"), "{dn}"),
            other => panic!("{other:?}"),
        }
        match ssl::peercert_with(&s, &[PeercertOpt::Pkix]).await.unwrap() {
            PeerCertificate::Decoded(c) => {
                assert!(
                    c.subject_alt_names.contains(&"localhost".to_string()),
                    "{c:?}"
                )
            }
            other => panic!("{other:?}"),
        }
        // The socket's pid is for exit notices: alive while the socket is.
        let pid = ssl::pid(&s).await.unwrap();
        assert!(pid.is_alive());
        assert_eq!(ssl::pid(&s).await.unwrap(), pid, "one pid per socket");
        ssl::close(&s).await.unwrap();
        tokio::time::timeout(Duration::from_secs(5), pid.exited())
            .await
            .expect("the socket's pid ends when the socket is closed");
        assert!(!pid.is_alive());
    })
    .await;
}

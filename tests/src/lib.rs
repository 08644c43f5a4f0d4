//! Test support for wassl: a throwaway PKI (CA, server and client
//! certificates, expired and wrong-host ones) written to a scratch directory,
//! and helpers to run real peers (OpenSSL, Erlang/OTP).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};
use time::{Duration, OffsetDateTime};

/// A certificate and its key, as DER and as PEM files on disk.
#[derive(Clone, Debug)]
pub struct Identity {
    /// The certificate, DER.
    pub cert_der: Vec<u8>,
    /// The private key, PKCS#8 DER.
    pub key_der: Vec<u8>,
    /// PEM file of the certificate.
    pub certfile: PathBuf,
    /// PEM file of the key.
    pub keyfile: PathBuf,
}

/// A certificate authority that issues test certificates.
pub struct Ca {
    params: CertificateParams,
    key: KeyPair,
    /// The CA's own certificate and key.
    pub id: Identity,
    dir: PathBuf,
}

/// A fresh scratch directory under the system temp dir.
pub fn scratch_dir(tag: &str) -> PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "wassl-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

fn write(dir: &Path, name: &str, pem: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, pem).expect("write PEM");
    p
}

/// What kind of leaf to issue.
#[derive(Clone, Debug)]
pub struct LeafSpec<'a> {
    /// Common name.
    pub cn: &'a str,
    /// DNS names and IP addresses for the SAN extension.
    pub names: &'a [&'a str],
    /// Already expired (not_after in the past).
    pub expired: bool,
    /// Server (true) or client (false) extended key usage.
    pub server: bool,
}

/// Extras for [`Ca::issue_with`].
#[derive(Clone, Debug, Default)]
pub struct Extras {
    /// Serial number (for CRLs).
    pub serial: Option<u64>,
    /// A private extension (OID 1.3.6.1.4.1.55555.1) with this criticality.
    pub custom_extension: Option<bool>,
    /// Valid only from tomorrow.
    pub not_yet_valid: bool,
}

impl Ca {
    /// A new self-signed root CA, its files in `dir`.
    pub fn new(cn: &str, dir: &Path) -> Ca {
        let key = KeyPair::generate().expect("CA key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
        params.distinguished_name.push(DnType::CommonName, cn);
        params
            .distinguished_name
            .push(DnType::OrganizationName, "wassl tests");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        params.not_before = OffsetDateTime::now_utc() - Duration::days(1);
        params.not_after = OffsetDateTime::now_utc() + Duration::days(30);
        let cert = params.self_signed(&key).expect("self-sign CA");
        let slug = cn.replace(' ', "_");
        let id = Identity {
            cert_der: cert.der().to_vec(),
            key_der: key.serialize_der(),
            certfile: write(dir, &format!("{slug}.pem"), &cert.pem()),
            keyfile: write(dir, &format!("{slug}.key"), &key.serialize_pem()),
        };
        Ca {
            params,
            key,
            id,
            dir: dir.to_path_buf(),
        }
    }

    /// A CA signed by this one, its files in the same directory.
    pub fn intermediate(&self, cn: &str) -> Ca {
        let key = KeyPair::generate().expect("CA key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
        params.distinguished_name.push(DnType::CommonName, cn);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        params.not_before = OffsetDateTime::now_utc() - Duration::days(1);
        params.not_after = OffsetDateTime::now_utc() + Duration::days(30);
        let issuer = Issuer::from_params(&self.params, &self.key);
        let cert = params.signed_by(&key, &issuer).expect("sign CA");
        let slug = cn.replace(' ', "_");
        let id = Identity {
            cert_der: cert.der().to_vec(),
            key_der: key.serialize_der(),
            certfile: write(&self.dir, &format!("{slug}.pem"), &cert.pem()),
            keyfile: write(&self.dir, &format!("{slug}.key"), &key.serialize_pem()),
        };
        Ca {
            params,
            key,
            id,
            dir: self.dir.clone(),
        }
    }

    /// A CA signed by this one that may issue only for `permitted` DNS names.
    pub fn constrained(&self, cn: &str, permitted: &str) -> Ca {
        let mut ca = self.intermediate(cn);
        ca.params.name_constraints = Some(rcgen::NameConstraints {
            permitted_subtrees: vec![rcgen::GeneralSubtree::DnsName(permitted.to_string())],
            excluded_subtrees: vec![],
        });
        let issuer = Issuer::from_params(&self.params, &self.key);
        let cert = ca.params.signed_by(&ca.key, &issuer).expect("sign CA");
        ca.id.cert_der = cert.der().to_vec();
        std::fs::write(&ca.id.certfile, cert.pem()).expect("write CA");
        ca
    }

    /// A certificate signed by this one that is not a CA (no basicConstraints),
    /// used as an issuer anyway.
    pub fn not_a_ca(&self, cn: &str) -> Ca {
        let mut ca = self.intermediate(cn);
        ca.params.is_ca = IsCa::ExplicitNoCa;
        let issuer = Issuer::from_params(&self.params, &self.key);
        let cert = ca.params.signed_by(&ca.key, &issuer).expect("sign");
        ca.id.cert_der = cert.der().to_vec();
        std::fs::write(&ca.id.certfile, cert.pem()).expect("write");
        ca
    }

    /// The CRL as PEM.
    pub fn crl_pem(&self, serials: &[u64]) -> Vec<u8> {
        let der = self.crl(serials);
        let b64 = {
            const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
            let mut s = String::new();
            for c in der.chunks(3) {
                let n = (c[0] as u32) << 16
                    | (*c.get(1).unwrap_or(&0) as u32) << 8
                    | *c.get(2).unwrap_or(&0) as u32;
                for i in 0..4 {
                    if i <= c.len() {
                        s.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
                    } else {
                        s.push('=');
                    }
                }
            }
            s
        };
        let body: Vec<String> = b64
            .as_bytes()
            .chunks(64)
            .map(|l| String::from_utf8_lossy(l).into_owned())
            .collect();
        format!(
            "-----BEGIN X509 CRL-----\n{}\n-----END X509 CRL-----\n",
            body.join("\n")
        )
        .into_bytes()
    }

    /// A CRL of this CA revoking `serials`, DER.
    pub fn crl(&self, serials: &[u64]) -> Vec<u8> {
        let now = OffsetDateTime::now_utc();
        let params = rcgen::CertificateRevocationListParams {
            this_update: now - Duration::hours(1),
            next_update: now + Duration::days(7),
            crl_number: rcgen::SerialNumber::from(1u64),
            issuing_distribution_point: None,
            revoked_certs: serials
                .iter()
                .map(|s| rcgen::RevokedCertParams {
                    serial_number: rcgen::SerialNumber::from(*s),
                    revocation_time: now - Duration::hours(1),
                    reason_code: Some(rcgen::RevocationReason::KeyCompromise),
                    invalidity_date: None,
                })
                .collect(),
            key_identifier_method: rcgen::KeyIdMethod::Sha256,
        };
        let issuer = Issuer::from_params(&self.params, &self.key);
        params.signed_by(&issuer).expect("sign CRL").der().to_vec()
    }

    /// Write `leaf` followed by this CA's certificate: a chain file.
    pub fn chain_file(&self, leaf: &Identity, name: &str) -> PathBuf {
        let leaf_pem = std::fs::read_to_string(&leaf.certfile).expect("leaf pem");
        let ca_pem = std::fs::read_to_string(&self.id.certfile).expect("ca pem");
        write(&self.dir, name, &format!("{leaf_pem}{ca_pem}"))
    }

    /// Issue a leaf certificate.
    pub fn issue(&self, spec: &LeafSpec<'_>) -> Identity {
        self.issue_with(spec, &Extras::default())
    }

    /// Issue a leaf certificate with extras.
    pub fn issue_with(&self, spec: &LeafSpec<'_>, extras: &Extras) -> Identity {
        self.issue_for(spec, extras, KeyPair::generate().expect("leaf key"))
    }

    /// Issue a leaf certificate for an RSA-2048 key made by `openssl
    /// genpkey` (ring signs with RSA keys but cannot make them); `None`
    /// without openssl.
    pub fn issue_rsa(&self, spec: &LeafSpec<'_>) -> Option<Identity> {
        let out = std::process::Command::new("openssl")
            .args([
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:2048",
            ])
            .output()
            .ok()
            .filter(|o| o.status.success())?;
        let pem = String::from_utf8(out.stdout).ok()?;
        let key = KeyPair::from_pkcs8_pem_and_sign_algo(&pem, &rcgen::PKCS_RSA_SHA256).ok()?;
        Some(self.issue_for(spec, &Extras::default(), key))
    }

    fn issue_for(&self, spec: &LeafSpec<'_>, extras: &Extras, key: KeyPair) -> Identity {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
        params.distinguished_name.push(DnType::CommonName, spec.cn);
        params.subject_alt_names = spec
            .names
            .iter()
            .map(|n| match n.parse::<std::net::IpAddr>() {
                Ok(ip) => SanType::IpAddress(ip),
                Err(_) => SanType::DnsName((*n).try_into().expect("DNS name")),
            })
            .collect();
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![if spec.server {
            ExtendedKeyUsagePurpose::ServerAuth
        } else {
            ExtendedKeyUsagePurpose::ClientAuth
        }];
        let now = OffsetDateTime::now_utc();
        if spec.expired {
            params.not_before = now - Duration::days(30);
            params.not_after = now - Duration::days(1);
        } else {
            params.not_before = now - Duration::days(1);
            params.not_after = now + Duration::days(30);
        }
        if extras.not_yet_valid {
            params.not_before = now + Duration::days(1);
            params.not_after = now + Duration::days(30);
        }
        if let Some(serial) = extras.serial {
            params.serial_number = Some(rcgen::SerialNumber::from(serial));
        }
        if let Some(critical) = extras.custom_extension {
            // An OCTET STRING with "wassl" in it, under a private OID.
            let mut ext = rcgen::CustomExtension::from_oid_content(
                &[1, 3, 6, 1, 4, 1, 55555, 1],
                b"\x04\x05wassl".to_vec(),
            );
            ext.set_criticality(critical);
            params.custom_extensions.push(ext);
        }
        let issuer = Issuer::from_params(&self.params, &self.key);
        let cert = params.signed_by(&key, &issuer).expect("sign leaf");
        let slug = spec.cn.replace(' ', "_");
        Identity {
            cert_der: cert.der().to_vec(),
            key_der: key.serialize_der(),
            certfile: write(&self.dir, &format!("{slug}.pem"), &cert.pem()),
            keyfile: write(&self.dir, &format!("{slug}.key"), &key.serialize_pem()),
        }
    }
}

/// The usual test PKI: one CA, a `localhost` server, a client, and the
/// failure cases (an unrelated CA, an expired server, a wrong-host server).
pub struct Pki {
    /// Where the PEM files are.
    pub dir: PathBuf,
    /// The trusted CA.
    pub ca: Ca,
    /// Server for `localhost` and `127.0.0.1`.
    pub server: Identity,
    /// Client certificate.
    pub client: Identity,
    /// A CA that issued nothing here.
    pub other_ca: Ca,
    /// Server certificate that expired yesterday.
    pub expired_server: Identity,
    /// Server certificate for `wrong.example` only.
    pub wrong_host_server: Identity,
}

impl Pki {
    /// Make a new PKI in a scratch directory.
    pub fn new() -> Pki {
        let dir = scratch_dir("pki");
        let ca = Ca::new("wassl Test CA", &dir);
        let server = ca.issue(&LeafSpec {
            cn: "localhost",
            names: &["localhost", "127.0.0.1"],
            expired: false,
            server: true,
        });
        let client = ca.issue(&LeafSpec {
            cn: "wassl client",
            names: &["client.test"],
            expired: false,
            server: false,
        });
        let expired_server = ca.issue(&LeafSpec {
            cn: "expired",
            names: &["localhost", "127.0.0.1"],
            expired: true,
            server: true,
        });
        let wrong_host_server = ca.issue(&LeafSpec {
            cn: "wrong host",
            names: &["wrong.example"],
            expired: false,
            server: true,
        });
        let other_ca = Ca::new("Unrelated CA", &dir);
        Pki {
            dir,
            ca,
            server,
            client,
            other_ca,
            expired_server,
            wrong_host_server,
        }
    }
}

impl Default for Pki {
    fn default() -> Self {
        Pki::new()
    }
}

/// True when `program` can be run (`openssl`, `escript`...).
pub fn have(program: &str) -> bool {
    std::process::Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// A free TCP port on 127.0.0.1 (bound and released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// A peer program nobody here wrote (openssl, escript), its stdout and
/// stderr read line by line in the background. Killed when dropped.
pub struct Peer {
    child: std::process::Child,
    input: Option<std::process::ChildStdin>,
    lines: std::sync::mpsc::Receiver<String>,
    /// Every line seen so far, for failure messages.
    pub seen: Vec<String>,
}

impl Peer {
    /// Start `program args`, with `stdin` written to it (then kept open
    /// unless `close_stdin`).
    pub fn start(program: &str, args: &[&str], stdin: &[u8], close_stdin: bool) -> Peer {
        use std::io::{BufRead, Write};
        use std::process::{Command, Stdio};
        require(program);
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("start {program}: {e}"));
        let (tx, rx) = std::sync::mpsc::channel();
        for stream in [
            Box::new(child.stdout.take().expect("stdout")) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().expect("stderr")),
        ] {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in std::io::BufReader::new(stream).lines() {
                    match line {
                        Ok(l) => {
                            if tx.send(l).is_err() {
                                return;
                            }
                        }
                        Err(_) => return,
                    }
                }
            });
        }
        let mut input = child.stdin.take().expect("stdin");
        input.write_all(stdin).expect("write stdin");
        // Unless closed, stdin stays open for the life of the peer (openssl
        // exits on EOF), and `send` can write more.
        let input = (!close_stdin).then_some(input);
        Peer {
            child,
            input,
            lines: rx,
            seen: Vec::new(),
        }
    }

    /// Write more to the peer's stdin (started with `close_stdin` false).
    pub fn send(&mut self, bytes: &[u8]) {
        use std::io::Write;
        let input = self.input.as_mut().expect("stdin was closed at start");
        input.write_all(bytes).expect("write stdin");
        input.flush().expect("flush stdin");
    }

    /// The port a listening peer script reports on its `PORT N` line.
    pub fn port(&mut self) -> u16 {
        let line = self.expect("PORT ", 30);
        line.trim_start_matches("PORT ")
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("not a port line: {line:?}"))
    }

    /// Wait for a line containing `needle`; panics with everything seen after `secs`.
    pub fn expect(&mut self, needle: &str, secs: u64) -> String {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(l) => {
                    self.seen.push(l.clone());
                    if l.contains(needle) {
                        return l;
                    }
                }
                Err(_) => panic!(
                    "no line with {needle:?} within {secs}s; the peer printed:\n{}",
                    self.seen.join("\n")
                ),
            }
        }
    }

    /// The peer's process id (to signal it).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Wait up to `secs` for the peer to exit; its status, or `None` if it
    /// is still running.
    pub fn wait(&mut self, secs: u64) -> Option<std::process::ExitStatus> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if std::time::Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    /// Collect everything until the peer exits (or `secs` pass).
    pub fn finish(&mut self, secs: u64) -> String {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(l) => self.seen.push(l),
                Err(_) => break,
            }
        }
        self.seen.join("\n")
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `openssl s_server` with the PKI's server certificate and `extra` flags,
/// listening on a free port once it prints ACCEPT.
pub fn openssl_s_server(pki: &Pki, extra: &[&str]) -> (Peer, u16) {
    let port = free_port();
    let p = port.to_string();
    let mut args = vec![
        "s_server",
        "-accept",
        &p,
        "-cert",
        pki.server.certfile.to_str().unwrap(),
        "-key",
        pki.server.keyfile.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let mut peer = Peer::start("openssl", &args, b"", false);
    peer.expect("ACCEPT", 10);
    (peer, port)
}

/// Interop tests need their peer; the README's test command installs them.
/// Without it the test fails, unless `WASSL_SKIP_INTEROP=1` says otherwise.
pub fn require(program: &str) {
    if !have(program) {
        panic!(
            "{program} is not installed; run the README's test command (it installs openssl and erlang) \
             or set WASSL_SKIP_INTEROP=1 to skip interop tests"
        );
    }
}

/// True when interop tests are to be skipped on purpose.
pub fn skip_interop() -> bool {
    std::env::var_os("WASSL_SKIP_INTEROP").is_some_and(|v| v == "1")
}

/// The alert's description and text of a `{tls_alert, {Description, Text}}`
/// reason; panics on any other reason.
pub fn tls_alert(r: &wassl::ssl::Reason) -> (&str, &str) {
    match r {
        wassl::ssl::Reason::TlsAlert { description, text } => (description, text),
        other => panic!("expected {{tls_alert, ...}}, got {other}"),
    }
}

/// The Erlang peer script.
pub fn erlang_peer() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/erlang/peer.escript").to_string()
}

/// A wassl server on the PKI's `localhost` certificate (binary mode, plus
/// `opts`) that runs `script` on every handshaken connection, each in a
/// process of its own; returns its port. Times out idle after 30 s.
pub async fn scripted_server<F, Fut>(pki: &Pki, opts: Vec<wassl::ssl::SslOption>, script: F) -> u16
where
    F: Fn(wassl::ssl::SslSocket) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    use wassl::process::{self, Message};
    use wassl::ssl::{self, Mode, SslOption, SslSocket};
    let mut all = vec![
        SslOption::Certfile(pki.server.certfile.clone()),
        SslOption::Keyfile(pki.server.keyfile.clone()),
        SslOption::Mode(Mode::Binary),
    ];
    all.extend(opts);
    let (port_tx, port_rx) = tokio::sync::oneshot::channel();
    let script = std::sync::Arc::new(script);
    process::spawn(async move {
        let l = ssl::listen(0, all).await.expect("listen");
        port_tx
            .send(ssl::sockname(&l).await.expect("sockname").port())
            .expect("port");
        loop {
            let Ok(t) = ssl::transport_accept(&l, 30_000).await else {
                return;
            };
            let script = script.clone();
            let w = process::spawn(async move {
                let Message::Other(m) = process::receive().await else {
                    return;
                };
                let Ok(t) = m.downcast::<SslSocket>() else {
                    return;
                };
                if let Ok(s) = ssl::handshake(&t, 10_000).await {
                    script(s).await;
                }
            });
            if ssl::controlling_process(&t, &w).await.is_ok() {
                w.send(t);
            }
        }
    });
    port_rx.await.expect("server started")
}

/// A wassl client of `localhost:port` trusting the PKI's CA (binary mode, plus `extra`).
pub async fn pki_client(
    pki: &Pki,
    port: u16,
    extra: Vec<wassl::ssl::SslOption>,
) -> wassl::ssl::SslSocket {
    use wassl::ssl::{self, Mode, SslOption};
    let mut opts = vec![
        SslOption::Cacertfile(pki.ca.id.certfile.clone()),
        SslOption::Mode(Mode::Binary),
    ];
    opts.extend(extra);
    ssl::connect("localhost", port, opts, 10_000)
        .await
        .expect("connect")
}

/// Keep a server's connection open for a few seconds, as a real server
/// would: a client whose peer closed at once finds its socket over once it
/// has seen the close, as in OTP.
pub fn hold(s: wassl::ssl::SslSocket) {
    tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_secs(5)).await;
        drop(s);
    });
}

/// A wassl server on `id` (plus `extra` options) for one handshake: its
/// result comes back at once, then `after` runs with the socket, in the
/// server's process.
pub async fn serve_one<F, Fut>(
    id: &Identity,
    extra: Vec<wassl::ssl::SslOption>,
    after: F,
) -> (
    u16,
    tokio::sync::oneshot::Receiver<Result<(), wassl::ssl::Reason>>,
)
where
    F: FnOnce(wassl::ssl::SslSocket) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    use wassl::process;
    use wassl::ssl::{self, SslOption};
    let mut opts = vec![
        SslOption::Certfile(id.certfile.clone()),
        SslOption::Keyfile(id.keyfile.clone()),
    ];
    opts.extend(extra);
    let (port_tx, port_rx) = tokio::sync::oneshot::channel();
    let (res_tx, res_rx) = tokio::sync::oneshot::channel();
    process::spawn(async move {
        let l = ssl::listen(0, opts).await.expect("listen");
        port_tx
            .send(ssl::sockname(&l).await.expect("sockname").port())
            .expect("port");
        let t = ssl::transport_accept(&l, 30_000).await.expect("accept");
        match ssl::handshake(&t, 30_000).await {
            Ok(s) => {
                let _ = res_tx.send(Ok(()));
                after(s).await;
            }
            Err(e) => {
                let _ = res_tx.send(Err(e));
            }
        }
    });
    (port_rx.await.expect("server started"), res_rx)
}

/// A `redis-server` of the test's own on a free loopback port, with no
/// persistence; stopped when dropped. `stop` and `start` again on the same
/// port play an outage.
pub struct RedisServer {
    /// Its port on 127.0.0.1.
    pub port: u16,
    child: Option<std::process::Child>,
}

impl RedisServer {
    /// Start one (the README's test command installs `redis-server`).
    pub fn new() -> RedisServer {
        let mut r = RedisServer {
            port: free_port(),
            child: None,
        };
        r.start();
        r
    }

    /// `redis://127.0.0.1:PORT/`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Start it (again) on its port; returns once it answers PING.
    pub fn start(&mut self) {
        use std::io::{Read, Write};
        require("redis-server");
        let port = self.port.to_string();
        let child = std::process::Command::new("redis-server")
            .args([
                "--port",
                &port,
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("start redis-server: {e}"));
        self.child = Some(child);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", self.port)) {
                let mut buf = [0u8; 7];
                if s.write_all(b"PING\r\n").is_ok()
                    && s.read_exact(&mut buf).is_ok()
                    && &buf == b"+PONG\r\n"
                {
                    return;
                }
            }
            assert!(
                std::time::Instant::now() < deadline,
                "redis-server did not answer on port {port}"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    /// Stop it (an outage); its data is gone.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// The number of keys it holds (`DBSIZE`).
    pub fn dbsize(&self) -> usize {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(("127.0.0.1", self.port)).expect("connect redis");
        s.write_all(b"DBSIZE\r\n").expect("write");
        let mut buf = [0u8; 64];
        let n = s.read(&mut buf).expect("read");
        let text = String::from_utf8_lossy(&buf[..n]);
        text.trim()
            .trim_start_matches(':')
            .parse()
            .unwrap_or_else(|_| panic!("DBSIZE said {text:?}"))
    }
}

impl Default for RedisServer {
    fn default() -> Self {
        RedisServer::new()
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A native rustls client of `port` (trusting the PKI's CA) that sends
/// `data`, then `after` as raw bytes, in one TCP write; what it reads back.
pub fn data_then_raw(pki: &Pki, port: u16, data: &[u8], after: &[u8]) -> Vec<u8> {
    use rustls::pki_types::{pem::PemObject, CertificateDer};
    use std::io::{Read, Write};
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_file(&pki.ca.id.certfile).unwrap())
        .unwrap();
    let config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let name = "localhost".try_into().unwrap();
    let mut conn = rustls::ClientConnection::new(std::sync::Arc::new(config), name).unwrap();
    let mut tcp = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    tcp.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    while conn.is_handshaking() {
        conn.complete_io(&mut tcp).unwrap();
    }
    // In TLS 1.3 the client's Finished goes last: let the server take it
    // alone, so that what follows fails a read of its own.
    std::thread::sleep(std::time::Duration::from_millis(300));
    conn.writer().write_all(data).unwrap();
    let mut wire = Vec::new();
    while conn.wants_write() {
        conn.write_tls(&mut wire).unwrap();
    }
    wire.extend_from_slice(after);
    tcp.write_all(&wire).unwrap();
    let mut back = Vec::new();
    let _ = tcp.read_to_end(&mut back);
    back
}

/// A wassl server whose owner is `{active, true}` (plus `extra` options),
/// for one connection whose client sends `data`, then `after` as raw bytes,
/// in one TCP segment ([`data_then_raw`]). Returns what the owner heard,
/// in order ("data <text>", "error <alert description>", or another
/// message as Debug), and what came back on the wire.
pub async fn owner_hears_data_then_raw(
    pki: &Pki,
    extra: Vec<wassl::ssl::SslOption>,
    data: &[u8],
    after: &[u8],
) -> (Vec<String>, Vec<u8>) {
    use wassl::process::{self, Message};
    use wassl::ssl::{Active, Reason, SslOption};
    let (tx, rx) = tokio::sync::oneshot::channel::<Vec<String>>();
    let tx = std::sync::Mutex::new(Some(tx));
    let mut opts = vec![SslOption::Active(Active::True)];
    opts.extend(extra);
    let port = scripted_server(pki, opts, move |_s| {
        let tx = tx.lock().unwrap().take();
        async move {
            let mut heard = Vec::new();
            loop {
                match process::receive_timeout(10_000).await {
                    Some(Message::Ssl(_, d)) => {
                        heard.push(format!("data {}", String::from_utf8_lossy(d.as_bytes())))
                    }
                    Some(Message::SslError(_, Reason::TlsAlert { description, .. })) => {
                        heard.push(format!("error {description}"));
                        break;
                    }
                    other => {
                        heard.push(format!("{other:?}"));
                        break;
                    }
                }
            }
            if let Some(tx) = tx {
                let _ = tx.send(heard);
            }
        }
    })
    .await;
    let back = tokio::task::block_in_place(|| data_then_raw(pki, port, data, after));
    let heard = tokio::time::timeout(std::time::Duration::from_secs(20), rx)
        .await
        .expect("the owner heard")
        .unwrap();
    (heard, back)
}

//! The wassl demo: throwaway CA and server certificate, a wassl server and a
//! wassl client in one process, each TLS connection in its own wasm sandbox.
//! Prints the handshake as each side saw it and an echo in active mode.

use wassl::process::{self, Message};
use wassl::ssl::{self, Mode, SslOption};
use wassl_tests::Pki;

#[tokio::main]
async fn main() {
    if let Err(e) = process::run(run()).await {
        eprintln!("demo failed: {}", ssl::format_error(&e));
        std::process::exit(1);
    }
}

async fn run() -> Result<(), ssl::Reason> {
    let t0 = std::time::Instant::now();
    ssl::start().await?;
    println!(
        "engine   : wasm component ({} KiB) ready in {:?}",
        wassl::runtime::guest_component().len() / 1024,
        t0.elapsed()
    );
    let pki = Pki::new();
    println!(
        "pki      : throwaway CA and certificates in {}",
        pki.dir.display()
    );

    let listen = ssl::listen(
        0,
        vec![
            SslOption::Certfile(pki.server.certfile.clone()),
            SslOption::Keyfile(pki.server.keyfile.clone()),
            SslOption::AlpnPreferredProtocols(vec![b"echo/1".to_vec(), b"http/1.1".to_vec()]),
            SslOption::Mode(Mode::Binary),
        ],
    )
    .await?;
    let port = ssl::sockname(&listen).await?.port();
    println!("server   : listening on 127.0.0.1:{port}");

    // The server runs in a process of its own, as it would in Erlang.
    process::spawn(async move {
        let Ok(t) = ssl::transport_accept(&listen, 10_000).await else {
            return;
        };
        match ssl::handshake(&t, 10_000).await {
            Ok(s) => {
                let info = ssl::connection_information(&s).await;
                if let Ok(i) = info {
                    println!(
                        "server   : handshake done: {} {} sni={:?} alpn={:?}",
                        i.protocol.atom(),
                        i.selected_cipher_suite.iana_name,
                        i.sni_hostname.unwrap_or_default(),
                        i.negotiated_protocol
                            .map(|p| String::from_utf8_lossy(&p).into_owned())
                    );
                }
                while let Message::Ssl(s, data) = process::receive().await {
                    println!("server   : {{ssl, S, {data:?}}} -> echo");
                    let _ = ssl::send(&s, data).await;
                }
            }
            Err(e) => println!("server   : handshake failed: {}", ssl::format_error(&e)),
        }
    });

    let s = ssl::connect(
        "localhost",
        port,
        vec![
            SslOption::Cacertfile(pki.ca.id.certfile.clone()),
            SslOption::AlpnAdvertisedProtocols(vec![b"echo/1".to_vec()]),
            SslOption::Mode(Mode::Binary),
        ],
        10_000,
    )
    .await?;
    let i = ssl::connection_information(&s).await?;
    let peer = wassl::cert::decode(&ssl::peercert(&s).await?)?;
    println!("client   : connected (verify_peer against the throwaway CA)");
    println!("client   : protocol {}", i.protocol.atom());
    println!(
        "client   : cipher   {} ({:?})",
        i.selected_cipher_suite.iana_name, i.selected_cipher_suite.cipher
    );
    println!("client   : group    {}", i.ecc.unwrap_or_default());
    println!(
        "client   : ALPN     {}",
        String::from_utf8_lossy(&ssl::negotiated_protocol(&s).await?)
    );
    println!(
        "client   : peer     {} (issuer {})",
        peer.subject, peer.issuer
    );

    for line in ["hello from a wasm sandbox", "one instance per connection"] {
        ssl::send(&s, line).await?;
        match process::receive_timeout(5000).await {
            Some(Message::Ssl(_, data)) => println!("client   : {{ssl, S, {data:?}}}"),
            other => {
                println!("client   : expected an echo, got {other:?}");
                return Err(ssl::Reason::Timeout);
            }
        }
    }
    ssl::close(&s).await?;
    println!("client   : closed; demo done in {:?}", t0.elapsed());
    Ok(())
}

//! `wassl-consumer PORT CA.pem`: what a user's program does with the packaged
//! crate: a verified TLS connection to 127.0.0.1:PORT as `localhost`, one
//! HTTP request, the status line printed, and the host's crypto library.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wassl::ssl::{self, SslOption};
use wassl::stream::TlsConnector;

#[tokio::main]
async fn main() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let (Some(port), Some(ca)) = (args.next(), args.next()) else {
        return Err("usage: wassl-consumer PORT CA.pem".into());
    };
    let port: u16 = port.parse().map_err(|_| "PORT: not a port")?;
    let e = |r: ssl::Reason| ssl::format_error(&r);
    let connector = TlsConnector::new(vec![SslOption::Cacertfile(ca.into())])
        .await
        .map_err(e)?;
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .map_err(|e| e.to_string())?;
    let mut tls = connector.connect("localhost", tcp).await.map_err(e)?;
    let info = ssl::connection_information(tls.socket()).await.map_err(e)?;
    println!("protocol {}", info.protocol.atom().trim_matches('\''));
    println!("crypto {}", wassl::runtime::crypto_library());
    tls.write_all(b"GET / HTTP/1.0\r\n\r\n")
        .await
        .map_err(|e| e.to_string())?;
    let mut reply = Vec::new();
    let _ = tls.read_to_end(&mut reply).await;
    let text = String::from_utf8_lossy(&reply);
    println!("{}", text.lines().next().unwrap_or("(no reply)"));
    Ok(())
}

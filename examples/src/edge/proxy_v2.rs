//! The PROXY protocol's version 2 header (HAProxy's proxy-protocol.txt,
//! section 2.2), sent to a TCP-mode backend before the client's bytes: who
//! connected, to which address, and what TLS said (ALPN, SNI, version,
//! whether a client certificate was verified).

use std::net::{IpAddr, SocketAddr};

const SIGNATURE: [u8; 12] = *b"\r\n\r\n\0\r\nQUIT\n";
/// Version 2, command PROXY.
const V2_PROXY: u8 = 0x21;
const TCP_V4: u8 = 0x11;
const TCP_V6: u8 = 0x21;
const PP2_TYPE_ALPN: u8 = 0x01;
const PP2_TYPE_AUTHORITY: u8 = 0x02;
const PP2_TYPE_SSL: u8 = 0x20;
const PP2_SUBTYPE_SSL_VERSION: u8 = 0x21;
const PP2_CLIENT_SSL: u8 = 0x01;
const PP2_CLIENT_CERT_CONN: u8 = 0x02;

/// What the TLS side knows about the connection.
#[derive(Default)]
pub(crate) struct TlsFacts<'a> {
    pub(crate) alpn: Option<&'a str>,
    pub(crate) sni: Option<&'a str>,
    /// `TLSv1.3` or `TLSv1.2`.
    pub(crate) version: Option<&'a str>,
    pub(crate) client_cert: bool,
}

fn tlv(out: &mut Vec<u8>, kind: u8, value: &[u8]) {
    out.push(kind);
    out.extend_from_slice(&(value.len() as u16).to_be_bytes());
    out.extend_from_slice(value);
}

/// The header for a client at `src` that connected to `dst`. A v4 client
/// on a v6 listener is written as v6 (its mapped address), as the kernel
/// reports it.
pub(crate) fn header(src: SocketAddr, dst: SocketAddr, tls: &TlsFacts) -> Vec<u8> {
    let (fam, addrs) = match (src.ip(), dst.ip()) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            (TCP_V4, [s.octets().to_vec(), d.octets().to_vec()].concat())
        }
        (s, d) => {
            let v6 = |ip: IpAddr| match ip {
                IpAddr::V4(a) => a.to_ipv6_mapped().octets(),
                IpAddr::V6(a) => a.octets(),
            };
            (TCP_V6, [v6(s), v6(d)].concat())
        }
    };
    let mut tlvs = Vec::new();
    if let Some(a) = tls.alpn {
        tlv(&mut tlvs, PP2_TYPE_ALPN, a.as_bytes());
    }
    if let Some(n) = tls.sni {
        tlv(&mut tlvs, PP2_TYPE_AUTHORITY, n.as_bytes());
    }
    // PP2_TYPE_SSL: client flags, verify (0: the certificate, if any, was
    // verified; the handshake fails otherwise), then sub-TLVs.
    let mut ssl = vec![
        PP2_CLIENT_SSL
            | if tls.client_cert {
                PP2_CLIENT_CERT_CONN
            } else {
                0
            },
    ];
    ssl.extend_from_slice(&0u32.to_be_bytes());
    if let Some(v) = tls.version {
        tlv(&mut ssl, PP2_SUBTYPE_SSL_VERSION, v.as_bytes());
    }
    tlv(&mut tlvs, PP2_TYPE_SSL, &ssl);

    let mut out = SIGNATURE.to_vec();
    out.push(V2_PROXY);
    out.push(fam);
    let len = addrs.len() + 4 + tlvs.len();
    out.extend_from_slice(&(len as u16).to_be_bytes());
    out.extend_from_slice(&addrs);
    out.extend_from_slice(&src.port().to_be_bytes());
    out.extend_from_slice(&dst.port().to_be_bytes());
    out.extend_from_slice(&tlvs);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v4_header_with_tls_facts() {
        let h = header(
            "192.0.2.1:51000".parse().unwrap(),
            "198.51.100.2:443".parse().unwrap(),
            &TlsFacts {
                alpn: Some("h2"),
                sni: Some("a.test"),
                version: Some("TLSv1.3"),
                client_cert: true,
            },
        );
        assert_eq!(&h[..12], &SIGNATURE);
        assert_eq!(h[12], 0x21);
        assert_eq!(h[13], 0x11);
        let len = u16::from_be_bytes([h[14], h[15]]) as usize;
        assert_eq!(h.len(), 16 + len);
        assert_eq!(&h[16..20], &[192, 0, 2, 1]);
        assert_eq!(&h[20..24], &[198, 51, 100, 2]);
        assert_eq!(u16::from_be_bytes([h[24], h[25]]), 51000);
        assert_eq!(u16::from_be_bytes([h[26], h[27]]), 443);
        // ALPN, then AUTHORITY, then SSL with the cert flag and the version.
        assert_eq!(&h[28..33], &[0x01, 0, 2, b'h', b'2']);
        assert_eq!(&h[33..36], &[0x02, 0, 6]);
        assert_eq!(&h[36..42], b"a.test");
        assert_eq!(h[42], 0x20);
        assert_eq!(h[45], 0x03);
        assert_eq!(&h[46..50], &[0, 0, 0, 0]);
        assert_eq!(&h[50..53], &[0x21, 0, 7]);
        assert_eq!(&h[53..], b"TLSv1.3");
    }

    #[test]
    fn v4_client_on_a_v6_listener_is_mapped() {
        let h = header(
            "127.0.0.1:1".parse().unwrap(),
            "[::1]:2".parse().unwrap(),
            &TlsFacts::default(),
        );
        assert_eq!(h[13], 0x21);
        assert_eq!(
            &h[16..32],
            &"::ffff:127.0.0.1"
                .parse::<std::net::Ipv6Addr>()
                .unwrap()
                .octets()
        );
    }
}

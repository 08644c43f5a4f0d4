//! Decoding certificates for the user: what `public_key:pkix_decode_cert/2`
//! gives an Erlang programmer, in the fields people actually read.

use x509_parser::prelude::*;

use crate::ssl::reason::Reason;

/// The readable parts of an X.509 certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertInfo {
    /// Subject, e.g. `CN=localhost, O=example`.
    pub subject: String,
    /// Issuer.
    pub issuer: String,
    /// Serial number, hex.
    pub serial: String,
    /// Start of validity, RFC 2822 text.
    pub not_before: String,
    /// End of validity, RFC 2822 text.
    pub not_after: String,
    /// DNS names and IP addresses of the subjectAltName extension.
    pub subject_alt_names: Vec<String>,
    /// True for a CA certificate (basicConstraints cA).
    pub is_ca: bool,
}

/// Decode a DER certificate (as returned by [`peercert`](crate::ssl::peercert)).
pub fn decode(der: &[u8]) -> Result<CertInfo, Reason> {
    let (_, cert) = X509Certificate::from_der(der).map_err(|e| {
        Reason::options(
            "cert",
            "<<...>>",
            format!("not a DER X.509 certificate: {e}"),
        )
    })?;
    let mut sans = Vec::new();
    if let Ok(Some(ext)) = cert.subject_alternative_name() {
        for name in &ext.value.general_names {
            match name {
                GeneralName::DNSName(d) => sans.push((*d).to_string()),
                GeneralName::IPAddress(ip) => sans.push(match ip.len() {
                    4 => std::net::IpAddr::from(<[u8; 4]>::try_from(*ip).unwrap_or_default())
                        .to_string(),
                    16 => std::net::IpAddr::from(<[u8; 16]>::try_from(*ip).unwrap_or_default())
                        .to_string(),
                    _ => format!("{ip:?}"),
                }),
                other => sans.push(format!("{other}")),
            }
        }
    }
    Ok(CertInfo {
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        serial: cert.raw_serial_as_string(),
        not_before: cert.validity().not_before.to_string(),
        not_after: cert.validity().not_after.to_string(),
        subject_alt_names: sans,
        is_ca: cert.is_ca(),
    })
}

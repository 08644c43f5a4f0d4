//! Just enough DER to tell a self-signed certificate (issuer == subject), so
//! `unknown_ca` can be reported as Erlang's `selfsigned_peer`. Bounded and
//! total: malformed input gives `None`, never a panic.

/// Split one TLV at the start of `input`: (tag, contents, rest).
fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (first as usize, rest)
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | *b as usize);
        (len, &rest[n..])
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

/// The raw issuer and subject Names of an X.509 certificate.
fn issuer_and_subject(cert: &[u8]) -> Option<(&[u8], &[u8])> {
    let (_, certificate, _) = tlv(cert)?;
    let (_, tbs, _) = tlv(certificate)?;
    let mut rest = tbs;
    // Optional [0] version.
    let (tag, _, after) = tlv(rest)?;
    if tag == 0xa0 {
        rest = after;
    }
    let (_, _serial, rest) = tlv(rest)?;
    let (_, _sig_alg, rest) = tlv(rest)?;
    let (_, issuer, rest) = tlv(rest)?;
    let (_, _validity, rest) = tlv(rest)?;
    let (_, subject, _) = tlv(rest)?;
    Some((issuer, subject))
}

/// True when the certificate names itself as its issuer.
pub(crate) fn is_self_issued(cert: &[u8]) -> bool {
    matches!(issuer_and_subject(cert), Some((i, s)) if i == s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_not_self_issued() {
        assert!(!is_self_issued(&[]));
        assert!(!is_self_issued(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]));
        assert!(!is_self_issued(&[0x30, 0x03, 0x30, 0x01]));
    }

    #[test]
    fn self_signed_and_issued_certificates() {
        let ca = rcgen::generate_simple_self_signed(vec!["ca".into()]).unwrap();
        assert!(is_self_issued(ca.cert.der()));
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(vec!["leaf".into()]).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "leaf");
        let issuer = rcgen::Issuer::new(
            rcgen::CertificateParams::new(vec!["ca".into()]).unwrap(),
            ca.signing_key,
        );
        let leaf = params.signed_by(&key, &issuer).unwrap();
        assert!(!is_self_issued(leaf.der()));
    }
}

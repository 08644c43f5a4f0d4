//! Conversions between engine types and their generated WIT twins.

use crate::bindings::wassl::tls::types as wit;
use crate::engine;

pub(crate) fn role(r: wit::Role) -> engine::Role {
    match r {
        wit::Role::Client => engine::Role::Client,
        wit::Role::Server => engine::Role::Server,
    }
}

pub(crate) fn version_in(v: wit::ProtocolVersion) -> engine::ProtocolVersion {
    match v {
        wit::ProtocolVersion::Tlsv12 => engine::ProtocolVersion::Tlsv1_2,
        wit::ProtocolVersion::Tlsv13 => engine::ProtocolVersion::Tlsv1_3,
    }
}

pub(crate) fn version_out(v: engine::ProtocolVersion) -> wit::ProtocolVersion {
    match v {
        engine::ProtocolVersion::Tlsv1_2 => wit::ProtocolVersion::Tlsv12,
        engine::ProtocolVersion::Tlsv1_3 => wit::ProtocolVersion::Tlsv13,
    }
}

pub(crate) fn bad_cert_out(b: engine::BadCert) -> wit::BadCert {
    use engine::BadCert as E;
    match b {
        E::UnknownCa => wit::BadCert::UnknownCa,
        E::SelfsignedPeer => wit::BadCert::SelfsignedPeer,
        E::CertExpired => wit::BadCert::CertExpired,
        E::InvalidIssuer => wit::BadCert::InvalidIssuer,
        E::InvalidSignature => wit::BadCert::InvalidSignature,
        E::HostnameCheckFailed => wit::BadCert::HostnameCheckFailed,
        E::InvalidKeyUsage => wit::BadCert::InvalidKeyUsage,
        E::MissingBasicConstraint => wit::BadCert::MissingBasicConstraint,
        E::NameNotPermitted => wit::BadCert::NameNotPermitted,
        E::Other(s) => wit::BadCert::Other(s),
    }
}

pub(crate) fn bad_cert_in(b: wit::BadCert) -> engine::BadCert {
    use engine::BadCert as E;
    match b {
        wit::BadCert::UnknownCa => E::UnknownCa,
        wit::BadCert::SelfsignedPeer => E::SelfsignedPeer,
        wit::BadCert::CertExpired => E::CertExpired,
        wit::BadCert::InvalidIssuer => E::InvalidIssuer,
        wit::BadCert::InvalidSignature => E::InvalidSignature,
        wit::BadCert::HostnameCheckFailed => E::HostnameCheckFailed,
        wit::BadCert::InvalidKeyUsage => E::InvalidKeyUsage,
        wit::BadCert::MissingBasicConstraint => E::MissingBasicConstraint,
        wit::BadCert::NameNotPermitted => E::NameNotPermitted,
        wit::BadCert::Other(s) => E::Other(s),
    }
}

pub(crate) fn error_out(e: engine::TlsError) -> wit::TlsError {
    match e {
        engine::TlsError::TlsAlert(a) => wit::TlsError::TlsAlert(wit::TlsAlert {
            description: a.description,
            code: a.code,
            origin: match a.origin {
                engine::AlertOrigin::Local => wit::AlertOrigin::Local,
                engine::AlertOrigin::Peer => wit::AlertOrigin::Peer,
            },
            text: a.text,
        }),
        engine::TlsError::Closed => wit::TlsError::Closed,
        engine::TlsError::Einval(s) => wit::TlsError::Einval(s),
    }
}

pub(crate) fn suite_out(s: engine::CipherSuiteInfo) -> wit::CipherSuite {
    wit::CipherSuite {
        key_exchange: s.key_exchange,
        cipher: s.cipher,
        mac: s.mac,
        prf: s.prf,
        iana_name: s.iana_name,
        code: s.code,
    }
}

pub(crate) fn info_out(i: engine::ConnectionInfo) -> wit::ConnectionInfo {
    wit::ConnectionInfo {
        protocol: version_out(i.protocol),
        selected_cipher_suite: suite_out(i.selected_cipher_suite),
        ecc: i.ecc,
        sni_hostname: i.sni_hostname,
        negotiated_protocol: i.negotiated_protocol,
        session_resumption: i.session_resumption,
        early_data: i.early_data,
        client_random: i.client_random,
        server_random: i.server_random,
    }
}

pub(crate) fn key_kind(k: wit::KeyKind) -> engine::PrivateKeyKind {
    match k {
        wit::KeyKind::RsaPrivateKey => engine::PrivateKeyKind::RsaPrivateKey,
        wit::KeyKind::EcPrivateKey => engine::PrivateKeyKind::EcPrivateKey,
        wit::KeyKind::PrivateKeyInfo => engine::PrivateKeyKind::PrivateKeyInfo,
    }
}

pub(crate) fn cert_key(c: wit::CertKey) -> engine::CertKey {
    engine::CertKey {
        chain: c.chain,
        kind: key_kind(c.key.kind),
        der: c.key.der,
    }
}

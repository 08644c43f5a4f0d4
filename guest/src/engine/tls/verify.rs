//! Peer verification the Erlang way: path validation with `partial_chain`
//! and CRLs, `verify_fun` through the host, `{bad_cert, Reason}` and the
//! alert OTP sends for it.

use super::*;

/// What path validation trusts: the roots and the CRL policy. Builds webpki
/// verifiers, optionally with one more anchor (`partial_chain`).
#[derive(Debug, Clone)]
pub(super) struct Trust {
    pub(super) roots: RootCertStore,
    pub(super) crls: Vec<CertificateRevocationListDer<'static>>,
    pub(super) crl_check: Option<CrlCheck>,
    pub(super) provider: Arc<CryptoProvider>,
}

impl Trust {
    pub(super) fn roots_with(&self, anchor: Option<&[u8]>) -> Option<Arc<RootCertStore>> {
        let mut roots = self.roots.clone();
        if let Some(der) = anchor {
            roots.add(CertificateDer::from(der.to_vec())).ok()?;
        }
        (!roots.is_empty()).then(|| Arc::new(roots))
    }

    pub(super) fn server_verifier(
        &self,
        anchor: Option<&[u8]>,
    ) -> Option<Arc<WebPkiServerVerifier>> {
        let mut b = WebPkiServerVerifier::builder_with_provider(
            self.roots_with(anchor)?,
            self.provider.clone(),
        );
        if let Some(check) = self.crl_check {
            b = b.with_crls(self.crls.iter().cloned());
            if check == CrlCheck::Peer {
                b = b.only_check_end_entity_revocation();
            }
            if check == CrlCheck::BestEffort {
                b = b.allow_unknown_revocation_status();
            }
        }
        b.build().ok()
    }

    pub(super) fn client_verifier(
        &self,
        anchor: Option<&[u8]>,
    ) -> Option<Arc<dyn ClientCertVerifier>> {
        let mut b = WebPkiClientVerifier::builder_with_provider(
            self.roots_with(anchor)?,
            self.provider.clone(),
        )
        .allow_unauthenticated();
        if let Some(check) = self.crl_check {
            b = b.with_crls(self.crls.iter().cloned());
            if check == CrlCheck::Peer {
                b = b.only_check_end_entity_revocation();
            }
            if check == CrlCheck::BestEffort {
                b = b.allow_unknown_revocation_status();
            }
        }
        b.build().ok()
    }
}

/// Path validation with Erlang's `partial_chain`: when no trusted CA issued
/// the chain, the host may name a certificate of it to trust instead.
pub(super) fn validate(
    hook: &dyn VerifyHook,
    chain: &[CertificateDer<'_>],
    check: impl Fn(Option<&[u8]>) -> Result<(), Error>,
) -> Result<(), Error> {
    match check(None) {
        Err(Error::InvalidCertificate(CertificateError::UnknownIssuer)) => {
            let ders: Vec<Vec<u8>> = chain.iter().map(|c| c.to_vec()).collect();
            match hook.partial_chain(&ders) {
                Some(anchor) => check(Some(&anchor)),
                None => Err(Error::InvalidCertificate(CertificateError::UnknownIssuer)),
            }
        }
        other => other,
    }
}

/// Map a webpki verdict to Erlang's `{bad_cert, Reason}`.
pub(super) fn bad_cert_of(e: &Error, chain: &[CertificateDer<'_>]) -> BadCert {
    use CertificateError as C;
    match e {
        Error::InvalidCertificate(ce) => match ce {
            C::UnknownIssuer if chain.len() == 1 && der::is_self_issued(&chain[0]) => {
                BadCert::SelfsignedPeer
            }
            C::UnknownIssuer => BadCert::UnknownCa,
            C::Expired
            | C::ExpiredContext { .. }
            | C::NotValidYet
            | C::NotValidYetContext { .. } => BadCert::CertExpired,
            C::NotValidForName | C::NotValidForNameContext { .. } => BadCert::HostnameCheckFailed,
            #[allow(deprecated)]
            C::BadSignature
            | C::UnsupportedSignatureAlgorithm
            | C::UnsupportedSignatureAlgorithmContext { .. }
            | C::UnsupportedSignatureAlgorithmForPublicKeyContext { .. } => {
                BadCert::InvalidSignature
            }
            // webpki's purpose is the extended key usage: OTP's invalid_ext_key_usage.
            C::InvalidPurpose | C::InvalidPurposeContext { .. } => {
                BadCert::Other("invalid_ext_key_usage".into())
            }
            C::Revoked => BadCert::Other("{revoked,unspecified}".into()),
            C::UnknownRevocationStatus => {
                BadCert::Other("{revocation_status_undetermined,no_crl}".into())
            }
            C::ExpiredRevocationList | C::ExpiredRevocationListContext { .. } => {
                BadCert::Other("{revocation_status_undetermined,expired_crl}".into())
            }
            C::UnhandledCriticalExtension => BadCert::Other("unknown_critical_extension".into()),
            C::BadEncoding => BadCert::Other("cert_decode_error".into()),
            // rustls passes webpki's other verdicts through as they are.
            C::Other(o) => match o.0.downcast_ref::<webpki::Error>() {
                Some(webpki::Error::NameConstraintViolation) => BadCert::NameNotPermitted,
                Some(webpki::Error::EndEntityUsedAsCa) => BadCert::MissingBasicConstraint,
                Some(
                    webpki::Error::PathLenConstraintViolated
                    | webpki::Error::MaximumPathDepthExceeded,
                ) => BadCert::Other("max_path_length_reached".into()),
                Some(webpki::Error::CaUsedAsEndEntity) => {
                    BadCert::Other("ca_used_as_end_entity".into())
                }
                Some(other) => BadCert::Other(format!("{other:?}")),
                None => BadCert::Other(format!("{o:?}")),
            },
            other => BadCert::Other(format!("{other:?}")),
        },
        other => BadCert::Other(format!("{other}")),
    }
}

/// The rustls error that makes rustls send the alert Erlang sends for `reason`.
pub(super) fn refusal_error(reason: &BadCert) -> Error {
    let a = reason.alert();
    let ce = match a {
        Alert::UNKNOWN_CA => CertificateError::UnknownIssuer,
        Alert::CERTIFICATE_EXPIRED => CertificateError::Expired,
        Alert::UNSUPPORTED_CERTIFICATE => CertificateError::InvalidPurpose,
        Alert::CERTIFICATE_REVOKED => CertificateError::Revoked,
        Alert::BAD_CERTIFICATE => CertificateError::BadEncoding,
        // rustls sends handshake_failure for a verifier error that is not a certificate error.
        _ => return Error::General(format!("{{bad_cert,{}}}", reason.as_term())),
    };
    Error::InvalidCertificate(ce)
}

pub(super) fn ask_hook(
    hook: &dyn VerifyHook,
    refusal: &Refusal,
    role: Role,
    end_entity: &CertificateDer<'_>,
    intermediates: &[CertificateDer<'_>],
    server_name: Option<String>,
    verdict: Result<(), Error>,
) -> Result<(), Error> {
    let mut chain: Vec<CertificateDer<'_>> = vec![end_entity.clone()];
    chain.extend(intermediates.iter().cloned());
    let problem = verdict.err().map(|e| bad_cert_of(&e, &chain));
    let report = PeerChain {
        role,
        chain: chain.iter().map(|c| c.to_vec()).collect(),
        server_name,
        problem,
    };
    hook.verify_peer(report).map_err(|reason| {
        let err = refusal_error(&reason);
        if let Ok(mut slot) = refusal.lock() {
            *slot = Some(reason);
        }
        err
    })
}

/// The handshake-signature half of both verifiers: the provider's algorithms
/// (limited by `signature_algs`), the same for servers and clients.
macro_rules! signature_checks {
    () => {
        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, Error> {
            verify_tls12_signature(
                message,
                cert,
                dss,
                &self.provider.signature_verification_algorithms,
            )
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, Error> {
            verify_tls13_signature(
                message,
                cert,
                dss,
                &self.provider.signature_verification_algorithms,
            )
        }

        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.provider
                .signature_verification_algorithms
                .supported_schemes()
        }
    };
}

#[derive(Debug)]
pub(super) struct ErlangServerVerifier {
    pub(super) webpki: Option<Arc<WebPkiServerVerifier>>,
    /// The trusted CAs' names for the ClientHello (`certificate_authorities`).
    pub(super) hints: Vec<DistinguishedName>,
    pub(super) trust: Trust,
    pub(super) hook: Arc<dyn VerifyHook>,
    pub(super) provider: Arc<CryptoProvider>,
    pub(super) refusal: Refusal,
}

impl ServerCertVerifier for ErlangServerVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let mut chain = vec![end_entity.clone()];
        chain.extend(intermediates.iter().cloned());
        let verdict = validate(&*self.hook, &chain, |anchor| {
            let v = match anchor {
                None => self.webpki.clone(),
                Some(a) => self.trust.server_verifier(Some(a)),
            };
            match v {
                Some(v) => v
                    .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
                    .map(|_| ()),
                None => Err(Error::InvalidCertificate(CertificateError::UnknownIssuer)),
            }
        });
        let name = Some(server_name.to_str().into_owned());
        ask_hook(
            &*self.hook,
            &self.refusal,
            Role::Client,
            end_entity,
            intermediates,
            name,
            verdict,
        )?;
        Ok(ServerCertVerified::assertion())
    }

    fn root_hint_subjects(&self) -> Option<&[DistinguishedName]> {
        (!self.hints.is_empty()).then_some(&self.hints[..])
    }

    signature_checks!();
}

#[derive(Debug)]
pub(super) struct ErlangClientVerifier {
    pub(super) webpki: Option<Arc<dyn ClientCertVerifier>>,
    pub(super) trust: Trust,
    /// fail_if_no_peer_cert.
    pub(super) mandatory: bool,
    /// certificate_authorities: name the trusted CAs in the CertificateRequest.
    pub(super) hints: bool,
    pub(super) hook: Arc<dyn VerifyHook>,
    pub(super) provider: Arc<CryptoProvider>,
    pub(super) refusal: Refusal,
}

impl ClientCertVerifier for ErlangClientVerifier {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        // fail_if_no_peer_cert defaults to false: an empty certificate is accepted.
        self.mandatory
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        match (&self.webpki, self.hints) {
            (Some(v), true) => v.root_hint_subjects(),
            _ => &[],
        }
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, Error> {
        let mut chain = vec![end_entity.clone()];
        chain.extend(intermediates.iter().cloned());
        let verdict = validate(&*self.hook, &chain, |anchor| {
            let v = match anchor {
                None => self.webpki.clone(),
                Some(a) => self.trust.client_verifier(Some(a)),
            };
            match v {
                Some(v) => v
                    .verify_client_cert(end_entity, intermediates, now)
                    .map(|_| ()),
                None => Err(Error::InvalidCertificate(CertificateError::UnknownIssuer)),
            }
        });
        ask_hook(
            &*self.hook,
            &self.refusal,
            Role::Server,
            end_entity,
            intermediates,
            None,
            verdict,
        )?;
        Ok(ClientCertVerified::assertion())
    }

    signature_checks!();
}

// ---------------------------------------------------------------- connection

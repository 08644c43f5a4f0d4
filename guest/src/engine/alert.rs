//! TLS alerts named as Erlang names them: the atom in `{tls_alert, {Atom, Text}}`
//! and the words in its text (`ssl_alert:description_txt/1`).

/// A TLS alert description by wire code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Alert(pub u8);

macro_rules! alerts {
    ($($konst:ident = $code:literal, $atom:literal, $words:literal;)*) => {
        impl Alert {
            $(#[doc = $words] pub const $konst: Alert = Alert($code);)*

            /// The Erlang atom for this alert.
            pub fn atom(self) -> &'static str {
                match self.0 { $($code => $atom,)* _ => "unknown_alert" }
            }

            /// The words Erlang uses in alert texts.
            pub fn words(self) -> &'static str {
                match self.0 { $($code => $words,)* _ => "Unknown Alert" }
            }
        }
    };
}

alerts! {
    CLOSE_NOTIFY = 0, "close_notify", "Close Notify";
    UNEXPECTED_MESSAGE = 10, "unexpected_message", "Unexpected Message";
    BAD_RECORD_MAC = 20, "bad_record_mac", "Bad Record MAC";
    RECORD_OVERFLOW = 22, "record_overflow", "Record Overflow";
    HANDSHAKE_FAILURE = 40, "handshake_failure", "Handshake Failure";
    BAD_CERTIFICATE = 42, "bad_certificate", "Bad Certificate";
    UNSUPPORTED_CERTIFICATE = 43, "unsupported_certificate", "Unsupported Certificate";
    CERTIFICATE_REVOKED = 44, "certificate_revoked", "Certificate Revoked";
    CERTIFICATE_EXPIRED = 45, "certificate_expired", "Certificate Expired";
    CERTIFICATE_UNKNOWN = 46, "certificate_unknown", "Certificate Unknown";
    ILLEGAL_PARAMETER = 47, "illegal_parameter", "Illegal Parameter";
    UNKNOWN_CA = 48, "unknown_ca", "Unknown CA";
    ACCESS_DENIED = 49, "access_denied", "Access Denied";
    DECODE_ERROR = 50, "decode_error", "Decode Error";
    DECRYPT_ERROR = 51, "decrypt_error", "Decrypt Error";
    PROTOCOL_VERSION = 70, "protocol_version", "Protocol Version";
    INSUFFICIENT_SECURITY = 71, "insufficient_security", "Insufficient Security";
    INTERNAL_ERROR = 80, "internal_error", "Internal Error";
    INAPPROPRIATE_FALLBACK = 86, "inappropriate_fallback", "Inappropriate Fallback";
    USER_CANCELED = 90, "user_canceled", "User Canceled";
    NO_RENEGOTIATION = 100, "no_renegotiation", "No Renegotiation";
    MISSING_EXTENSION = 109, "missing_extension", "Missing Extension";
    UNSUPPORTED_EXTENSION = 110, "unsupported_extension", "Unsupported Extension";
    UNRECOGNIZED_NAME = 112, "unrecognized_name", "Unrecognised Name";
    BAD_CERTIFICATE_STATUS_RESPONSE = 113, "bad_certificate_status_response", "Bad Certificate Status Response";
    UNKNOWN_PSK_IDENTITY = 115, "unknown_psk_identity", "Unknown PSK Identity";
    CERTIFICATE_REQUIRED = 116, "certificate_required", "Certificate required";
    NO_APPLICATION_PROTOCOL = 120, "no_application_protocol", "No application protocol";
}

/// Erlang's alert text, e.g.
/// `TLS client: In state certify generated CLIENT ALERT: Fatal - Unknown CA`.
/// `generated` is true for an alert this side sent; `sender` is the role that
/// sent it; `detail` is appended on its own line as Erlang does for bad_cert.
pub fn text(
    me: super::Role,
    state: &str,
    generated: bool,
    sender: super::Role,
    alert: Alert,
    detail: Option<&str>,
) -> String {
    let verb = if generated { "generated" } else { "received" };
    let sender = sender.name().to_ascii_uppercase();
    let mut t = format!(
        "TLS {}: In state {state} {verb} {sender} ALERT: Fatal - {}\n",
        me.name(),
        alert.words()
    );
    if let Some(d) = detail {
        t.push_str(&format!(" {d}"));
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Role;

    #[test]
    fn names_match_erlang() {
        assert_eq!(Alert::UNKNOWN_CA.atom(), "unknown_ca");
        assert_eq!(Alert(48).words(), "Unknown CA");
        assert_eq!(Alert(200).atom(), "unknown_alert");
    }

    #[test]
    fn text_has_erlang_shape() {
        let t = text(
            Role::Client,
            "certify",
            true,
            Role::Client,
            Alert::UNKNOWN_CA,
            None,
        );
        assert_eq!(
            t,
            "TLS client: In state certify generated CLIENT ALERT: Fatal - Unknown CA\n"
        );
        let t = text(
            Role::Server,
            "wait_finished",
            false,
            Role::Client,
            Alert::HANDSHAKE_FAILURE,
            Some("{bad_cert,hostname_check_failed}"),
        );
        assert!(t.starts_with("TLS server: In state wait_finished received CLIENT ALERT"));
        assert!(t.ends_with("\n {bad_cert,hostname_check_failed}"));
    }
}

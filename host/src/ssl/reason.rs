//! `Reason` in `{error, Reason}`, shaped like the Erlang terms, and
//! `format_error/1`.

use std::fmt;

/// Why an `ssl` call failed. `Display` prints the Erlang term
/// (`{tls_alert,{unknown_ca,"..."}}`); [`format_error`] prints a sentence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reason {
    /// `closed`: the connection is closed.
    Closed,
    /// `timeout`.
    Timeout,
    /// `einval`: the call does not fit the socket's state (e.g. `recv` in active mode).
    Einval,
    /// `not_owner`: only the controlling process may do that.
    NotOwner,
    /// `no_process`: a call that makes or uses a socket's owner came from
    /// outside any process (`wassl::process::run` or `spawn`). Erlang code
    /// always runs in a process; a tokio task need not.
    NoProcess,
    /// `{tls_alert, {Description, Text}}`.
    TlsAlert {
        /// The alert as an Erlang atom, e.g. `unknown_ca`.
        description: String,
        /// Erlang's text, e.g. `TLS client: In state certify generated CLIENT ALERT: Fatal - Unknown CA`.
        text: String,
    },
    /// `{options, {Opt, Val}}`: an option is unknown, ill-typed or unusable.
    Options {
        /// The option's name.
        option: String,
        /// Its value as written.
        value: String,
        /// What is wrong, for `format_error`.
        detail: String,
    },
    /// `{option, server_only, Opt}`: a server option given to a client
    /// (modern OTP; OTP 25 ignored it).
    ServerOnly(String),
    /// `{option, client_only, Opt}`: a client option given to a server.
    ClientOnly(String),
    /// `protocol_not_negotiated` (from `negotiated_protocol/1`).
    ProtocolNotNegotiated,
    /// `no_peercert`: the peer sent no certificate.
    NoPeercert,
    /// A POSIX error from the socket layer, e.g. `econnrefused`, `eaddrinuse`, `nxdomain`.
    Posix(String),
    /// `{invalid_packet, Data}`: the data does not fit the `packet` type, or a
    /// packet is larger than `packet_size`. The connection is closed.
    InvalidPacket(Vec<u8>),
    /// `{badarg, {packet_to_large, Size, Max}}` (sic, as Erlang spells it):
    /// data too large for its `{packet, 1 | 2}` header.
    PacketTooLarge(usize, usize),
    /// `notsup_on_transport_accept_socket`: the socket from `transport_accept`
    /// allows only `handshake` and `controlling_process` until the handshake.
    NotsupOnTransportAcceptSocket,
    /// `system_limit`: no room for another connection's sandbox.
    SystemLimit,
    /// `undefined`: `prf/5` on a connection without a TLS 1.2 PRF (TLS 1.3).
    Undefined,
    /// `bad_input`: `export_key_materials` lists of different lengths.
    BadInput,
    /// `exporter_master_secret_already_consumed`: TLS 1.3's exporter
    /// secret was used up by an earlier `export_key_materials`.
    ExporterMasterSecretAlreadyConsumed,
    /// `{engine_trap, Text}`: this connection's sandboxed engine trapped or hit a
    /// limit (memory, time). Only this socket is affected.
    EngineTrap(String),
}

impl Reason {
    pub(crate) fn options(
        option: &str,
        value: impl Into<String>,
        detail: impl Into<String>,
    ) -> Reason {
        Reason::Options {
            option: option.into(),
            value: value.into(),
            detail: detail.into(),
        }
    }

    pub(crate) fn from_io(e: &std::io::Error) -> Reason {
        use std::io::ErrorKind as K;
        let atom = match e.kind() {
            K::ConnectionRefused => "econnrefused",
            K::ConnectionReset => "econnreset",
            K::ConnectionAborted => "econnaborted",
            K::AddrInUse => "eaddrinuse",
            K::AddrNotAvailable => "eaddrnotavail",
            K::NotFound => "enoent",
            K::PermissionDenied => "eacces",
            K::BrokenPipe => "epipe",
            K::TimedOut => return Reason::Timeout,
            K::InvalidInput => "einval",
            K::UnexpectedEof => return Reason::Closed,
            _ => match e.raw_os_error() {
                Some(101) => "enetunreach",
                Some(113) => "ehostunreach",
                _ => "eio",
            },
        };
        Reason::Posix(atom.into())
    }
}

fn erlang_string(s: &str) -> String {
    format!("{s:?}")
}

impl fmt::Display for Reason {
    /// The Erlang term.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Closed => write!(f, "closed"),
            Reason::Timeout => write!(f, "timeout"),
            Reason::Einval => write!(f, "einval"),
            Reason::NotOwner => write!(f, "not_owner"),
            Reason::NoProcess => write!(f, "no_process"),
            Reason::TlsAlert { description, text } => {
                write!(f, "{{tls_alert,{{{description},{}}}}}", erlang_string(text))
            }
            Reason::Options { option, value, .. } if option == "incompatible" => {
                write!(f, "{{options,incompatible,[{value}]}}")
            }
            Reason::ServerOnly(o) => write!(f, "{{option,server_only,{o}}}"),
            Reason::ClientOnly(o) => write!(f, "{{option,client_only,{o}}}"),
            Reason::Options { option, value, .. } => write!(f, "{{options,{{{option},{value}}}}}"),
            Reason::ProtocolNotNegotiated => write!(f, "protocol_not_negotiated"),
            Reason::NoPeercert => write!(f, "no_peercert"),
            Reason::Posix(atom) => write!(f, "{atom}"),
            Reason::SystemLimit => write!(f, "system_limit"),
            Reason::Undefined => write!(f, "undefined"),
            Reason::BadInput => write!(f, "bad_input"),
            Reason::ExporterMasterSecretAlreadyConsumed => {
                write!(f, "exporter_master_secret_already_consumed")
            }
            Reason::InvalidPacket(d) => {
                let b: Vec<String> = d.iter().map(|x| x.to_string()).collect();
                write!(f, "{{invalid_packet,<<{}>>}}", b.join(","))
            }
            Reason::PacketTooLarge(n, max) => write!(f, "{{badarg,{{packet_to_large,{n},{max}}}}}"),
            Reason::NotsupOnTransportAcceptSocket => write!(f, "notsup_on_transport_accept_socket"),
            Reason::EngineTrap(text) => write!(f, "{{engine_trap,{}}}", erlang_string(text)),
        }
    }
}

impl std::error::Error for Reason {}

/// `ssl:format_error/1`: a sentence a person understands.
///
/// ```
/// use wassl::ssl::{format_error, Reason};
/// // The Erlang term, and the sentence for a person.
/// assert_eq!(Reason::NotOwner.to_string(), "not_owner");
/// assert!(format_error(&Reason::NotOwner).contains("controlling process"));
/// ```
pub fn format_error(reason: &Reason) -> String {
    match reason {
        Reason::Closed => "TLS connection is closed".into(),
        Reason::Timeout => "Timeout: the operation did not complete in the time given".into(),
        Reason::Einval => "Invalid argument: the call does not fit the socket's mode or state \
                           (e.g. recv on a socket in active mode)"
            .into(),
        Reason::NotOwner => "Only the controlling process of the socket may do that".into(),
        Reason::NoProcess => "This call needs an owner process for the socket's messages: run it \
                              inside wassl::process::run or wassl::process::spawn"
            .into(),
        // Erlang prints the alert text as it is.
        Reason::TlsAlert { text, .. } => text.trim_end().to_string(),
        Reason::Options { option, value, detail } if option == "incompatible" => {
            format!("Incompatible TLS options: [{value}]: {detail}")
        }
        Reason::Options { option, value, detail } => {
            format!("Invalid TLS option: {{{option},{value}}}: {detail}")
        }
        Reason::ServerOnly(o) => format!(
            "The TLS option {o} is a server option (listen, handshake); a client cannot take it"
        ),
        Reason::ClientOnly(o) => format!(
            "The TLS option {o} is a client option (connect); a server cannot take it"
        ),
        Reason::ProtocolNotNegotiated => "No protocol was negotiated (ALPN)".into(),
        Reason::NoPeercert => "The peer did not send a certificate".into(),
        Reason::Posix(atom) => posix_text(atom),
        Reason::InvalidPacket(d) => format!(
            "Invalid packet: {} bytes of data do not make a packet of the socket's packet type \
             (or exceed packet_size); the connection was closed",
            d.len()
        ),
        Reason::PacketTooLarge(n, max) => {
            format!("Packet too large: {n} bytes do not fit the packet header (at most {max})")
        }
        Reason::NotsupOnTransportAcceptSocket => "Not supported on a socket from transport_accept: \
                                                  only handshake and controlling_process until the handshake is done"
            .into(),
        Reason::SystemLimit => "System limit: no room for another TLS connection sandbox \
                                (see wassl::runtime::Limits::max_connections)"
            .into(),
        Reason::Undefined => "Undefined: this connection has no TLS 1.2 PRF with the session's \
                               master secret and randoms (TLS 1.3 derives keys with HKDF; use \
                               export_key_materials)"
            .into(),
        Reason::BadInput => "Bad input: labels, contexts and lengths must be lists of the \
                             same length"
            .into(),
        Reason::ExporterMasterSecretAlreadyConsumed => {
            "The TLS 1.3 exporter secret of this connection was consumed by an earlier \
             export_key_materials (use export_key_materials/5 with ConsumeSecret false to keep it)"
                .into()
        }
        Reason::EngineTrap(text) => format!(
            "The TLS engine of this connection stopped (sandbox trap or limit): {text}"
        ),
    }
}

fn posix_text(atom: &str) -> String {
    let words = match atom {
        "econnrefused" => "connection refused",
        "econnreset" => "connection reset by peer",
        "econnaborted" => "software caused connection abort",
        "eaddrinuse" => "address already in use",
        "eaddrnotavail" => "cannot assign requested address",
        "enoent" => "no such file or directory",
        "eacces" => "permission denied",
        "epipe" => "broken pipe",
        "nxdomain" => "non-existing domain",
        "notsup" => {
            "operation not supported (renegotiation does not exist in wassl: rustls has none, \
                     and TLS 1.3 replaced it by update_keys)"
        }
        "enetunreach" => "network is unreachable",
        "ehostunreach" => "host is unreachable",
        _ => "I/O error",
    };
    format!("{words} ({atom})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_print_like_erlang() {
        let r = Reason::TlsAlert {
            description: "unknown_ca".into(),
            text: "TLS client: x\n".into(),
        };
        assert_eq!(
            r.to_string(),
            r#"{tls_alert,{unknown_ca,"TLS client: x\n"}}"#
        );
        assert_eq!(
            Reason::options("verify", "bogus", "x").to_string(),
            "{options,{verify,bogus}}"
        );
        assert_eq!(Reason::Closed.to_string(), "closed");
    }

    #[test]
    fn format_error_is_a_sentence() {
        assert_eq!(format_error(&Reason::Closed), "TLS connection is closed");
        let t = format_error(&Reason::options(
            "verify",
            "bogus",
            "expected verify_none or verify_peer",
        ));
        assert!(t.starts_with("Invalid TLS option: {verify,bogus}"), "{t}");
        assert!(format_error(&Reason::Posix("econnrefused".into())).contains("refused"));
    }
}

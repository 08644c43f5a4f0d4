//! Every option as Erlang prints it: `SslOption::to_erlang` against the
//! term an Erlang user writes, both read and printed by Erlang itself
//! (`tests/erlang/terms.escript`), so `{active,n(2}`-style text cannot
//! pass. Funs print as `#Fun<wassl>`, which no Erlang reads back, and are
//! checked for shape here.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use wassl::ssl::{
    Active, BeastMitigation, CertKey, CertPolicyOpt, CipherSpec, CrlCheck, EarlyData,
    HandshakeMode, KeyType, LogLevel, MatchFun, Mode, Packet, PartialChain, Protocol,
    ReuseSessions, ServerNameIndication, SessionData, SessionTickets, SniAnswer, SniFun,
    SslOption as O, Stapling, Ticket, Timeout, Verify, VerifyFun, VerifyResult, Version,
};
use wassl_tests::{require, skip_interop, Peer};

fn table() -> Vec<(O, &'static str)> {
    let der = vec![48u8, 3, 2, 1, 0];
    vec![
        (O::Verify(Verify::VerifyPeer), "{verify, verify_peer}"),
        (O::Verify(Verify::VerifyNone), "{verify, verify_none}"),
        (O::Cacerts(vec![der.clone()]), "{cacerts, [<<48,3,2,1,0>>]}"),
        (
            O::Cacertfile("/etc/ca.pem".into()),
            "{cacertfile, \"/etc/ca.pem\"}",
        ),
        (O::Cert(vec![der.clone()]), "{cert, [<<48,3,2,1,0>>]}"),
        (
            O::Certfile("server.pem".into()),
            "{certfile, \"server.pem\"}",
        ),
        (
            O::Key(KeyType::EcPrivateKey, der.clone()),
            "{key, {'ECPrivateKey', <<48,3,2,1,0>>}}",
        ),
        (
            O::Key(KeyType::PrivateKeyInfo, b"k".to_vec()),
            "{key, {'PrivateKeyInfo', <<\"k\">>}}",
        ),
        (O::Keyfile("k.pem".into()), "{keyfile, \"k.pem\"}"),
        (
            O::Versions(vec![Version::Tlsv1_3, Version::Tlsv1_2]),
            "{versions, ['tlsv1.3', 'tlsv1.2']}",
        ),
        (
            O::ServerNameIndication(ServerNameIndication::Disable),
            "{server_name_indication, disable}",
        ),
        (
            O::ServerNameIndication(ServerNameIndication::Host("example.com".into())),
            "{server_name_indication, \"example.com\"}",
        ),
        (
            O::AlpnAdvertisedProtocols(vec![b"h2".to_vec(), b"http/1.1".to_vec()]),
            "{alpn_advertised_protocols, [<<\"h2\">>, <<\"http/1.1\">>]}",
        ),
        (
            O::AlpnPreferredProtocols(vec![b"h2".to_vec()]),
            "{alpn_preferred_protocols, [<<\"h2\">>]}",
        ),
        (O::FailIfNoPeerCert(true), "{fail_if_no_peer_cert, true}"),
        (O::Depth(3), "{depth, 3}"),
        (
            O::CrlCheck(CrlCheck::BestEffort),
            "{crl_check, best_effort}",
        ),
        (O::CrlCheck(CrlCheck::Peer), "{crl_check, peer}"),
        (
            O::CrlCache(vec![der.clone()]),
            "{crl_cache, [<<48,3,2,1,0>>]}",
        ),
        (O::Password("secret".into()), "{password, \"********\"}"),
        (
            O::CertsKeys(vec![CertKey {
                certfile: Some("a.pem".into()),
                keyfile: Some("a.key".into()),
                ..CertKey::default()
            }]),
            "{certs_keys, [#{keyfile => \"a.key\", certfile => \"a.pem\"}]}",
        ),
        (
            O::SniHosts(vec![(
                "a.example".into(),
                vec![O::Certfile("a.pem".into())],
            )]),
            "{sni_hosts, [{\"a.example\", [{certfile, \"a.pem\"}]}]}",
        ),
        (O::KeepSecrets(true), "{keep_secrets, true}"),
        (
            O::Ciphers(vec![
                CipherSpec::Name("TLS_AES_128_GCM_SHA256".into()),
                CipherSpec::Tuple(
                    "ecdhe_rsa".into(),
                    "aes_128_gcm".into(),
                    "aead".into(),
                    Some("sha256".into()),
                ),
            ]),
            "{ciphers, [\"TLS_AES_128_GCM_SHA256\", {ecdhe_rsa, aes_128_gcm, aead, sha256}]}",
        ),
        (O::HonorCipherOrder(false), "{honor_cipher_order, false}"),
        (O::KeyUpdateAt(1_000_000), "{key_update_at, 1000000}"),
        (
            O::SupportedGroups(vec!["x25519".into(), "secp256r1".into()]),
            "{supported_groups, [x25519, secp256r1]}",
        ),
        (
            O::SignatureAlgs(vec!["ecdsa_secp256r1_sha256".into(), "sha256,rsa".into()]),
            "{signature_algs, [ecdsa_secp256r1_sha256, {sha256, rsa}]}",
        ),
        (
            O::SignatureAlgsCert(vec!["rsa_pss_rsae_sha256".into()]),
            "{signature_algs_cert, [rsa_pss_rsae_sha256]}",
        ),
        (
            O::SessionTickets(SessionTickets::StatelessWithCert),
            "{session_tickets, stateless_with_cert}",
        ),
        (
            O::SessionTickets(SessionTickets::Manual),
            "{session_tickets, manual}",
        ),
        (
            O::ReuseSessions(ReuseSessions::Save),
            "{reuse_sessions, save}",
        ),
        (
            O::UseTicket(vec![Ticket::from_bytes(vec![1, 2])]),
            "{use_ticket, [<<1,2>>]}",
        ),
        (
            O::ReuseSession(vec![7, 8], None),
            "{reuse_session, <<7,8>>}",
        ),
        (
            O::ReuseSession(vec![7], Some(SessionData::from_bytes(vec![9]))),
            "{reuse_session, {<<7>>, <<9>>}}",
        ),
        (O::Active(Active::N(2)), "{active, 2}"),
        (O::Active(Active::N(-5)), "{active, -5}"),
        (O::Active(Active::Once), "{active, once}"),
        (O::Active(Active::True), "{active, true}"),
        (O::Active(Active::False), "{active, false}"),
        (O::Mode(Mode::Binary), "{mode, binary}"),
        (O::Mode(Mode::List), "{mode, list}"),
        (O::Packet(Packet::Raw), "{packet, 0}"),
        (O::Packet(Packet::Len(4)), "{packet, 4}"),
        (O::Packet(Packet::HttpBin), "{packet, http_bin}"),
        (O::Packet(Packet::Line), "{packet, line}"),
        (O::Reuseaddr(true), "{reuseaddr, true}"),
        (O::Nodelay(true), "{nodelay, true}"),
        (O::Backlog(1024), "{backlog, 1024}"),
        (O::PacketSize(100), "{packet_size, 100}"),
        (O::Header(2), "{header, 2}"),
        (O::ExitOnClose(false), "{exit_on_close, false}"),
        (O::Keepalive(true), "{keepalive, true}"),
        (O::Sndbuf(65536), "{sndbuf, 65536}"),
        (O::Recbuf(65536), "{recbuf, 65536}"),
        (O::Buffer(8192), "{buffer, 8192}"),
        (
            O::Ip(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1))),
            "{ip, {127,0,0,1}}",
        ),
        (
            O::Ip(IpAddr::V6(Ipv6Addr::LOCALHOST)),
            "{ip, {0,0,0,0,0,0,0,1}}",
        ),
        (O::Port(4433), "{port, 4433}"),
        (
            O::SendTimeout(Timeout::After(Duration::from_millis(1500))),
            "{send_timeout, 1500}",
        ),
        (
            O::SendTimeout(Timeout::Infinity),
            "{send_timeout, infinity}",
        ),
        (O::SendTimeoutClose(true), "{send_timeout_close, true}"),
        (O::Linger(true, 5), "{linger, {true, 5}}"),
        (
            O::EngineMemoryLimit(1 << 20),
            "{engine_memory_limit, 1048576}",
        ),
        (O::RecordOffload(false), "{record_offload, false}"),
        (O::HostCrypto(false), "{host_crypto, false}"),
        (O::EarlyData(EarlyData::Enabled), "{early_data, enabled}"),
        (
            O::EarlyData(EarlyData::Send(b"GET /".to_vec())),
            "{early_data, <<\"GET /\">>}",
        ),
        (
            O::EarlyData(EarlyData::Send(b"a\tb\"c\\\r\n".to_vec())),
            "{early_data, <<\"a\\tb\\\"c\\\\\\r\\n\">>}",
        ),
        (
            O::EarlyData(EarlyData::Send(vec![0, 200])),
            "{early_data, <<0,200>>}",
        ),
        (O::AntiReplay("10k".into()), "{anti_replay, '10k'}"),
        (
            O::AntiReplay("{10,5,72985}".into()),
            "{anti_replay, {10, 5, 72985}}",
        ),
        (O::HibernateAfter(1000), "{hibernate_after, 1000}"),
        (O::MaxHandshakeSize(262144), "{max_handshake_size, 262144}"),
        (O::LogAlert(false), "{log_alert, false}"),
        (O::LogLevel(LogLevel::Warning), "{log_level, warning}"),
        (O::Handshake(HandshakeMode::Hello), "{handshake, hello}"),
        (O::SecureRenegotiate(true), "{secure_renegotiate, true}"),
        (
            O::ClientPreferredNextProtocols(vec![b"spdy/2".to_vec()]),
            "{client_preferred_next_protocols, [<<\"spdy/2\">>]}",
        ),
        (
            O::NextProtocolsAdvertised(vec![b"h2".to_vec()]),
            "{next_protocols_advertised, [<<\"h2\">>]}",
        ),
        (O::PskIdentity("id".into()), "{psk_identity, \"id\"}"),
        (
            O::SrpIdentity("user".into(), "pw".into()),
            "{srp_identity, {\"user\", \"********\"}}",
        ),
        (O::Dh(vec![1]), "{dh, <<1>>}"),
        (O::Dhfile("dh.pem".into()), "{dhfile, \"dh.pem\"}"),
        (O::Eccs(vec!["secp384r1".into()]), "{eccs, [secp384r1]}"),
        (O::HonorEccOrder(true), "{honor_ecc_order, true}"),
        (O::MiddleboxCompMode(false), "{middlebox_comp_mode, false}"),
        (
            O::CertificateAuthorities(true),
            "{certificate_authorities, true}",
        ),
        (
            O::StatelessTicketsSeed(b"seed".to_vec()),
            "{stateless_tickets_seed, <<\"seed\">>}",
        ),
        (O::SessionLifetime(600), "{session_lifetime, 600}"),
        (
            O::SessionCb(wassl::ssl::SessionCb::local()),
            "{session_cb, ssl_session_cache}",
        ),
        (
            O::TicketKeys(wassl::ssl::TicketKeys::File("/etc/keys".into())),
            "{ticket_keys, {file,\"/etc/keys\"}}",
        ),
        (O::Cookie(false), "{cookie, false}"),
        (
            O::ClientRenegotiation(false),
            "{client_renegotiation, false}",
        ),
        (O::Fallback(false), "{fallback, false}"),
        (O::MaxFragmentLength(512), "{max_fragment_length, 512}"),
        (O::Stapling(Stapling::Staple), "{stapling, staple}"),
        (O::Stapling(Stapling::NoStaple), "{stapling, no_staple}"),
        (
            O::Stapling(Stapling::OcspNonce(false)),
            "{stapling, #{ocsp_nonce => false}}",
        ),
        (
            O::BeastMitigation(BeastMitigation::OneNMinusOne),
            "{beast_mitigation, one_n_minus_one}",
        ),
        (O::PaddingCheck(true), "{padding_check, true}"),
        (
            O::CertPolicyOpts(vec![CertPolicyOpt::ExplicitPolicy(true)]),
            "{cert_policy_opts, [{explicit_policy, true}]}",
        ),
        (O::AllowAnyCaPurpose(false), "{allow_any_ca_purpose, false}"),
        (O::Protocol(Protocol::Dtls), "{protocol, dtls}"),
        (O::UseSrtp, "{use_srtp, #{}}"),
        (O::SslImp, "{ssl_imp, new}"),
    ]
}

#[test]
fn every_option_prints_as_erlang_prints_it() {
    if skip_interop() {
        return;
    }
    require("escript");
    let dir = wassl_tests::scratch_dir("option_terms");
    let file = dir.join("terms.txt");
    let rows = table();
    let text: String = rows
        .iter()
        .map(|(o, erl)| format!("{erl}\t{}\n", o.to_erlang()))
        .collect();
    std::fs::write(&file, &text).unwrap();
    let script = wassl_tests::erlang_peer().replace("peer.escript", "terms.escript");
    let mut erl = Peer::start("escript", &[&script, file.to_str().unwrap()], b"", true);
    let out = erl.finish(60);
    let verdicts: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("same") || l.starts_with("differ") || l.starts_with("unreadable"))
        .collect();
    assert_eq!(verdicts.len(), rows.len(), "Erlang answered:\n{out}");
    let wrong: Vec<String> = rows
        .iter()
        .zip(&verdicts)
        .filter(|(_, v)| **v != "same")
        .map(|((o, erl), v)| format!("{o:?}: ours {} ({v}), Erlang {erl}", o.to_erlang()))
        .collect();
    assert!(
        wrong.is_empty(),
        "options Erlang prints otherwise:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn funs_print_as_funs() {
    let verify = VerifyFun::new(|_, _, s: ()| VerifyResult::Valid(s), ());
    let cases = [
        (O::VerifyFun(verify), "{verify_fun,{#Fun<wassl>,[]}}"),
        (
            O::PartialChain(PartialChain::new(|_| None)),
            "{partial_chain,#Fun<wassl>}",
        ),
        (
            O::CustomizeHostnameCheck(MatchFun::new(|_, _| true)),
            "{customize_hostname_check,[{match_fun,#Fun<wassl>}]}",
        ),
        (
            O::SniFun(SniFun::new(|_| SniAnswer::Undefined)),
            "{sni_fun,#Fun<wassl>}",
        ),
        (O::UserLookupFun, "{user_lookup_fun,#Fun<wassl>}"),
    ];
    for (o, want) in cases {
        assert_eq!(o.to_erlang(), want);
    }
}

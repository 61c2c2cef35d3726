//! Properties of the parsers, over generated inputs: targets, response heads split
//! anywhere across reads, and chunked bodies cut any way.

use fetch::chunked::ChunkedDecoder;
use fetch::response::{Head, HeadReader};
use fetch::target::{Host, Target};
use proptest::prelude::*;

fn host_name() -> impl Strategy<Value = String> {
    // Labels start with a letter, so no name can be read as an IPv4 address.
    proptest::collection::vec("[a-z][a-z0-9-]{0,8}[a-z0-9]", 1..4).prop_map(|l| l.join("."))
}

fn path() -> impl Strategy<Value = String> {
    (
        "(/[A-Za-z0-9._~-]{0,8}){1,3}",
        proptest::option::of("[a-z0-9=&]{0,8}"),
    )
        .prop_map(|(p, q)| q.map_or(p.clone(), |q| format!("{p}?{q}")))
}

proptest! {
    #[test]
    fn valid_targets_round_trip(host in host_name(), port in 1u16.., path in path()) {
        for typed in [format!("http://{host}:{port}{path}"), format!("{host}:{port}")] {
            let with_path = !typed.starts_with("http://");
            let arg = with_path.then_some(path.as_bytes());
            let target = Target::parse(typed.as_bytes(), arg).unwrap();
            prop_assert_eq!(&target.host, &Host::Name(host.clone()));
            prop_assert_eq!(target.port, port);
            prop_assert_eq!(&target.path, &path);
            // What fetch shows is what it would parse again.
            let again = Target::parse(target.authority().as_bytes(), Some(path.as_bytes())).unwrap();
            prop_assert_eq!(again, target);
        }
    }

    #[test]
    fn ip_targets_round_trip(ip in any::<std::net::IpAddr>(), port in 1u16..) {
        let typed = std::net::SocketAddr::new(ip, port).to_string();
        let target = Target::parse(typed.as_bytes(), None).unwrap();
        prop_assert_eq!(target.host, Host::Ip(ip));
        prop_assert_eq!(target.port, port);
    }

    #[test]
    fn any_control_byte_is_rejected(
        host in host_name(),
        path in path(),
        control in prop_oneof![0u8..0x20, Just(0x7f)],
        at in any::<prop::sample::Index>(),
        in_path in any::<bool>(),
    ) {
        let (mut target, mut path) = (format!("{host}:80").into_bytes(), path.into_bytes());
        let spoiled = if in_path { &mut path } else { &mut target };
        let at = at.index(spoiled.len() + 1);
        spoiled.insert(at, control);
        prop_assert!(Target::parse(&target, Some(&path)).is_err());
    }
}

/// A response head with generated headers, perhaps after an interim 100 head,
/// and a body.
fn response() -> impl Strategy<Value = Vec<u8>> {
    (
        any::<bool>(),
        200u16..600,
        proptest::collection::vec(("[A-Za-z][A-Za-z0-9-]{0,10}", "[ -~]{0,30}"), 0..6),
        proptest::collection::vec(any::<u8>(), 0..200),
        any::<bool>(),
    )
        .prop_map(|(interim, status, headers, body, lf_only)| {
            let eol = if lf_only { "\n" } else { "\r\n" };
            let mut text = String::new();
            if interim {
                text.push_str(&format!("HTTP/1.1 100 Continue{eol}{eol}"));
            }
            text.push_str(&format!("HTTP/1.1 {status} Whatever{eol}"));
            for (name, value) in headers {
                if !name.eq_ignore_ascii_case("content-length")
                    && !name.eq_ignore_ascii_case("transfer-encoding")
                {
                    text.push_str(&format!("{name}: {}{eol}", value.trim()));
                }
            }
            text.push_str(&format!("Content-Length: {}{eol}{eol}", body.len()));
            let mut bytes = text.into_bytes();
            bytes.extend_from_slice(&body);
            bytes
        })
}

/// Pushes `pieces` in turn until the head is complete.
fn read_head(pieces: &[&[u8]]) -> Option<Head> {
    let mut reader = HeadReader::new(false);
    for piece in pieces {
        if let Some(head) = reader.push(piece).unwrap() {
            return Some(head);
        }
    }
    None
}

proptest! {
    #[test]
    fn a_head_split_anywhere_parses_the_same(bytes in response()) {
        let whole = read_head(&[&bytes]).unwrap();
        for at in 0..=bytes.len() {
            let (first, second) = bytes.split_at(at);
            let split = read_head(&[first, second]);
            prop_assert_eq!(split.as_ref(), Some(&whole), "split at {}", at);
        }
    }

    #[test]
    fn a_head_in_many_pieces_parses_the_same(
        bytes in response(),
        sizes in proptest::collection::vec(1usize..20, 1..50),
    ) {
        let whole = read_head(&[&bytes]).unwrap();
        let mut pieces = Vec::new();
        let mut rest = &bytes[..];
        for size in sizes.iter().cycle() {
            if rest.is_empty() {
                break;
            }
            let (piece, after) = rest.split_at((*size).min(rest.len()));
            pieces.push(piece);
            rest = after;
        }
        prop_assert_eq!(read_head(&pieces), Some(whole));
    }

    #[test]
    fn any_valid_chunking_decodes_to_the_body(
        body in proptest::collection::vec(any::<u8>(), 0..3000),
        chunk_sizes in proptest::collection::vec(1usize..400, 1..20),
        read_sizes in proptest::collection::vec(1usize..64, 1..20),
        extension in any::<bool>(),
        trailer in any::<bool>(),
        upper_hex in any::<bool>(),
    ) {
        let mut encoded = Vec::new();
        let mut rest = &body[..];
        for size in chunk_sizes.iter().cycle() {
            if rest.is_empty() {
                break;
            }
            let (chunk, after) = rest.split_at((*size).min(rest.len()));
            let size = if upper_hex { format!("{:X}", chunk.len()) } else { format!("{:x}", chunk.len()) };
            encoded.extend_from_slice(size.as_bytes());
            if extension {
                encoded.extend_from_slice(b";name=value");
            }
            encoded.extend_from_slice(b"\r\n");
            encoded.extend_from_slice(chunk);
            encoded.extend_from_slice(b"\r\n");
            rest = after;
        }
        encoded.extend_from_slice(b"0\r\n");
        if trailer {
            encoded.extend_from_slice(b"X-Checksum: 1\r\n");
        }
        encoded.extend_from_slice(b"\r\n");
        let complete_len = encoded.len();
        encoded.extend_from_slice(b"HTTP/1.1 200 next response");

        let mut decoder = ChunkedDecoder::new();
        let mut decoded = Vec::new();
        let mut consumed = 0;
        let mut sizes = read_sizes.iter().cycle();
        while consumed < encoded.len() && !decoder.is_done() {
            let read_end = (consumed + sizes.next().unwrap()).min(encoded.len());
            let mut piece = &encoded[consumed..read_end];
            while !piece.is_empty() && !decoder.is_done() {
                let step = decoder.step(piece).unwrap();
                decoded.extend_from_slice(&piece[step.data.clone()]);
                consumed += step.consumed;
                piece = &piece[step.consumed..];
            }
        }
        prop_assert!(decoder.is_done());
        prop_assert_eq!(consumed, complete_len, "stops at the end of the chunked body");
        prop_assert_eq!(decoded, body);
    }
}

/// A real certificate (rcgen), as DER.
fn certificate_der() -> Vec<u8> {
    let key = rcgen::KeyPair::generate().expect("a key");
    let params = rcgen::CertificateParams::new(vec!["a.test".to_string(), "10.0.0.1".to_string()])
        .expect("params");
    params
        .self_signed(&key)
        .expect("a certificate")
        .der()
        .to_vec()
}

proptest! {
    /// The certificate summary reads bytes a server sent: whatever they are, it
    /// returns (what it could read), never panics.
    #[test]
    fn certificate_summary_never_panics_on_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = fetch::tls::cert::Summary::of(&bytes);
    }

    #[test]
    fn certificate_summary_never_panics_on_a_damaged_certificate(
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut der = certificate_der();
        for (at, byte) in flips {
            let i = at.index(der.len());
            der[i] = byte;
        }
        let end = cut.index(der.len() + 1);
        let _ = fetch::tls::cert::Summary::of(&der[..end]);
    }
}

#[test]
fn certificate_summary_reads_what_rcgen_wrote() {
    let summary = fetch::tls::cert::Summary::of(&certificate_der());
    assert_eq!(summary.names, ["a.test", "10.0.0.1"]);
    assert_eq!(
        summary.not_before.map(fetch::tls::cert::date).as_deref(),
        Some("1975-01-01")
    );
    assert_eq!(
        summary.not_after.map(fetch::tls::cert::date).as_deref(),
        Some("4096-01-01")
    );
}

//! Why a handshake failed, in words: which of the usual causes it was, and what
//! to do about it; and what -v says about a handshake that worked.

use std::net::SocketAddr;

use rustls::{AlertDescription, CertificateError, Error as TlsError, PeerIncompatible};

use super::Seen;
use super::cert::{Summary, date};
use super::roots::Roots;
use crate::duration::Elapsed;
use crate::error::Error;
use crate::escape::shown;
use crate::stream::Failure;

/// What a certificate was checked against: the name, and the roots trusted.
pub struct Checked<'a> {
    pub seen: &'a Seen,
    pub host: &'a str,
    pub roots: &'a Roots,
    /// Whether the server asked for a client certificate, and what was sent.
    pub asked: &'a super::client_cert::Asked,
}

/// The error for a failed handshake. `first` is what the server sent first.
pub fn handshake_error(
    failure: Failure,
    first: &[u8],
    checked: &Checked,
    addr: SocketAddr,
    elapsed: Elapsed,
) -> Error {
    let handshake = |reason: String| Error::TlsHandshake {
        addr,
        elapsed,
        reason,
    };
    if first.starts_with(b"HTTP/") {
        let line = first
            .split(|&b| b == b'\r' || b == b'\n')
            .next()
            .unwrap_or(first);
        return handshake(format!(
            "the server answered in plain HTTP (\"{}\"): this port speaks plain HTTP: use http://",
            shown(line)
        ));
    }
    let error = match failure {
        Failure::Timeout(_) => return Error::TlsTimeout { addr, elapsed },
        Failure::Eof => return handshake(format!("the server closed {WITHOUT_ALERT}")),
        Failure::Reset => return handshake(format!("the server reset {WITHOUT_ALERT}")),
        Failure::Other(e) => e,
    };
    let Some(tls) = error.get_ref().and_then(|e| e.downcast_ref::<TlsError>()) else {
        return handshake(error.to_string());
    };
    match tls {
        TlsError::InvalidCertificate(cause) => Error::TlsCertificate {
            addr,
            elapsed,
            reason: certificate_reason(cause, checked),
        },
        TlsError::PeerIncompatible(PeerIncompatible::ServerDoesNotSupportTls12Or13) => {
            handshake("the server chose TLS 1.1 or older; fetch speaks TLS 1.2 and 1.3".into())
        }
        TlsError::AlertReceived(alert) => handshake(
            checked
                .asked
                .refusal(*alert)
                .unwrap_or_else(|| alert_message(*alert)),
        ),
        TlsError::InvalidMessage(_) if !first.is_empty() => handshake(format!(
            "the server's answer is not TLS: it starts with \"{}\"",
            shown(&first[..first.len().min(40)])
        )),
        other => handshake(other.to_string()),
    }
}

/// A close or reset during the handshake, and what it usually means.
const WITHOUT_ALERT: &str = "the connection during the handshake, without a TLS alert: it usually accepts only TLS versions or cipher suites that fetch does not offer, or wants the name (SNI) of another site";

/// A TLS alert the server sent: its name as the RFC spells it, then what it
/// usually means.
pub fn alert_message(alert: AlertDescription) -> String {
    let meaning = match alert {
        AlertDescription::ProtocolVersion => {
            "it offers only TLS 1.1 or older; fetch speaks TLS 1.2 and 1.3"
        }
        AlertDescription::HandshakeFailure => {
            "it shares no TLS version or cipher suite with fetch, or wants a client certificate"
        }
        AlertDescription::NoApplicationProtocol => {
            "it accepts none of the protocols fetch offers (ALPN http/1.0, http/1.1)"
        }
        AlertDescription::CertificateRequired => {
            "it requires a client certificate: give it with --cert FILE (and --key FILE)"
        }
        AlertDescription::UnrecognisedName => "it serves no site of the name fetch asked for (SNI)",
        AlertDescription::InsufficientSecurity => {
            "it wants stronger cipher suites than fetch offered"
        }
        AlertDescription::AccessDenied => "it refuses this client",
        AlertDescription::InternalError => "it failed on its side",
        _ => "it refused the handshake",
    };
    format!(
        "the server sent the TLS alert {}: {meaning}",
        alert_name(alert)
    )
}

/// `certificate_required` for CertificateRequired: RFC 8446's spelling of the
/// alerts rustls names in CamelCase; an alert rustls does not know, by number.
pub fn alert_name(alert: AlertDescription) -> String {
    if let AlertDescription::Unknown(number) = alert {
        return format!("number {number}");
    }
    let camel: Vec<char> = format!("{alert:?}").chars().collect();
    let mut name = String::new();
    for (i, &c) in camel.iter().enumerate() {
        // A word starts at a capital after a small letter (BadRecord), or at
        // the last capital of a run before a small one (UnknownPSKIdentity).
        let after_small = i > 0 && camel[i - 1].is_ascii_lowercase();
        let ends_run = i > 0 && camel.get(i + 1).is_some_and(char::is_ascii_lowercase);
        if c.is_ascii_uppercase() && (after_small || ends_run) {
            name.push('_');
        }
        name.push(c.to_ascii_lowercase());
    }
    // rustls spells it the British way; the RFC's name is unrecognized_name.
    name.replace("unrecognised", "unrecognized")
}

/// A TLS failure after the handshake, in words, where it is an alert
/// (`certificate_required` comes then in TLS 1.3); other errors as they are.
pub fn in_words(error: std::io::Error) -> std::io::Error {
    match error.get_ref().and_then(|e| e.downcast_ref::<TlsError>()) {
        Some(TlsError::AlertReceived(alert)) => std::io::Error::other(alert_message(*alert)),
        _ => error,
    }
}

/// What is wrong with the certificate, and what usually fixes it.
fn certificate_reason(cause: &CertificateError, checked: &Checked) -> String {
    let (seen, host) = (checked.seen, checked.host);
    let leaf = seen
        .chain
        .first()
        .map(|c| Summary::of(c))
        .unwrap_or_default();
    let now = crate::clock::unix_now();
    match cause {
        CertificateError::UnknownIssuer => {
            let issuer = leaf.issuer.clone().unwrap_or_else(|| "unknown".into());
            let own = if leaf.issuer.is_some() && leaf.issuer == leaf.subject {
                " (the certificate is self-signed)"
            } else {
                ""
            };
            format!(
                "it is not signed by a CA in {}: its issuer is {issuer}{own}. For a private CA, {}; for a public one, the server may not be sending its intermediate certificate",
                checked.roots.described,
                checked.roots.source.remedy()
            )
        }
        CertificateError::ExpiredContext { not_after, .. } => expired(not_after.as_secs() as i64, now),
        CertificateError::Expired => leaf.not_after.map_or("it has expired".into(), |t| expired(t, now)),
        CertificateError::NotValidYetContext { not_before, .. } => {
            not_yet(not_before.as_secs() as i64, now)
        }
        CertificateError::NotValidYet => {
            leaf.not_before.map_or("it is not valid yet".into(), |t| not_yet(t, now))
        }
        // The names as -v shows them (rustls's own list is in its Debug form).
        CertificateError::NotValidForNameContext { .. } | CertificateError::NotValidForName => {
            wrong_name(host, leaf.names.clone())
        }
        CertificateError::Other(other) if other.to_string().contains("CaUsedAsEndEntity") => {
            "the server's certificate is a CA certificate (CA:TRUE) used as its own end-entity certificate, which is refused even when it is the trusted root: have that CA issue a server certificate".into()
        }
        CertificateError::BadSignature => "its signature does not verify against its issuer".into(),
        other => other.to_string(),
    }
}

fn expired(not_after: i64, now: i64) -> String {
    let days = now.saturating_sub(not_after) / 86_400;
    format!(
        "it expired on {} ({days} days ago); if that date is wrong, check this machine's clock",
        date(not_after)
    )
}

fn not_yet(not_before: i64, now: i64) -> String {
    let days = not_before.saturating_sub(now) / 86_400;
    format!(
        "it is not valid until {} (in {days} days); if that date is wrong, check this machine's clock",
        date(not_before)
    )
}

fn wrong_name(host: &str, names: Vec<String>) -> String {
    if names.is_empty() {
        return format!("it is not valid for {host}, and names no host at all");
    }
    format!(
        "it is not valid for {host}: it is valid for {}",
        names.join(", ")
    )
}

/// curl's %{ssl_verify_result}: 0 when verified, else OpenSSL's code for the
/// cause (20 unknown issuer, 10 expired, 9 not yet valid, 62 wrong name,
/// 18 self-signed as its own CA, 1 anything else).
pub fn verify_code(seen: &Seen) -> i64 {
    match &seen.verdict {
        None | Some(Ok(())) => 0,
        Some(Err(TlsError::InvalidCertificate(cause))) => match cause {
            CertificateError::UnknownIssuer => 20,
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => 10,
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => 9,
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                62
            }
            CertificateError::Other(o) if o.to_string().contains("CaUsedAsEndEntity") => 18,
            _ => 1,
        },
        Some(Err(_)) => 1,
    }
}

/// The -v lines about the certificate the server presented, verified or not.
pub fn certificate_lines(checked: &Checked) -> Vec<String> {
    let seen = checked.seen;
    let Some(leaf) = seen.chain.first().map(|c| Summary::of(c)) else {
        return vec!["no certificate was presented".into()];
    };
    let unknown = || "?".to_string();
    let mut lines = vec![
        format!(
            "certificate: subject {}, issuer {}",
            leaf.subject.clone().unwrap_or_else(unknown),
            leaf.issuer.clone().unwrap_or_else(unknown)
        ),
        format!(
            "certificate: valid from {} to {}",
            leaf.not_before.map_or_else(unknown, date),
            leaf.not_after.map_or_else(unknown, date)
        ),
        format!("certificate: names {}", leaf.names.join(", ")),
    ];
    lines.push(match &seen.verdict {
        Some(Ok(())) => format!(
            "certificate verified: {} matches, chain of {} trusted",
            checked.host,
            seen.chain.len()
        ),
        Some(Err(TlsError::InvalidCertificate(cause))) => {
            format!(
                "certificate NOT verified: {}",
                certificate_reason(cause, checked)
            )
        }
        Some(Err(other)) => format!("certificate NOT verified: {other}"),
        None => "certificate not checked".into(),
    });
    lines
}

/// Why the certificate was not verified, when it was not (for -k's warning).
pub fn unverified(checked: &Checked) -> Option<String> {
    match &checked.seen.verdict {
        Some(Err(TlsError::InvalidCertificate(cause))) => Some(certificate_reason(cause, checked)),
        Some(Err(other)) => Some(other.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alerts_are_named_as_the_rfcs_spell_them() {
        use AlertDescription as A;
        for (alert, name) in [
            (A::UnknownCA, "unknown_ca"),
            (A::UnknownPSKIdentity, "unknown_psk_identity"),
            (A::CertificateRequired, "certificate_required"),
            (A::UnrecognisedName, "unrecognized_name"),
            (A::BadRecordMac, "bad_record_mac"),
            (A::Unknown(200), "number 200"),
        ] {
            assert_eq!(alert_name(alert), name);
        }
    }
}

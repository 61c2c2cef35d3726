//! Mutual TLS: the client certificate and key from --cert and --key (PEM only),
//! checked to match before any socket exists; and what the server asked for,
//! recorded during the handshake for -v and for the message when it refuses.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rustls::client::ResolvesClientCert;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::sign::CertifiedKey;
use rustls::{AlertDescription, SignatureScheme};

use super::cert::{Summary, date, distinguished_name};
use crate::error::{Error, io_text};

/// What fetch reads: said in every refusal.
const ACCEPTED: &str = "fetch reads PEM only: a certificate chain, and an unencrypted PKCS#8, PKCS#1 RSA or SEC1 EC key";

/// --cert and --key as given, not yet read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCertPlan {
    pub cert: PathBuf,
    /// `None`: the key is in the --cert file.
    pub key: Option<PathBuf>,
    /// --cert-type and --key-type, as given: only PEM is read.
    pub cert_type: Option<String>,
    pub key_type: Option<String>,
}

/// A client certificate and its key, ready to present.
#[derive(Debug, Clone)]
pub struct Identity {
    key: Arc<CertifiedKey>,
    /// The leaf's subject, issuer and dates, for -v and messages.
    pub leaf: Summary,
}

impl Identity {
    /// Reads and checks both files: exit 58 for anything that would make the
    /// handshake fail later for a reason on this side.
    pub fn load(plan: &ClientCertPlan) -> Result<Identity, Error> {
        let refuse = |text: String| Error::ClientCert(text);
        if let Some(kind) = &plan.cert_type {
            check_type("--cert-type", kind)?;
        }
        if let Some(kind) = &plan.key_type {
            check_type("--key-type", kind)?;
        }
        let cert_bytes = read(&plan.cert, "--cert")?;
        let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&cert_bytes)
            .filter_map(Result::ok)
            .collect();
        if chain.is_empty() {
            let what = not_pem_or("holds no certificate", &cert_bytes);
            return Err(refuse(format!(
                "--cert {}: {what}; {ACCEPTED}",
                plan.cert.display()
            )));
        }
        let (key_path, flag) = match &plan.key {
            Some(path) => (path.as_path(), "--key"),
            None => (plan.cert.as_path(), "--cert"),
        };
        let key_bytes = match &plan.key {
            Some(path) => read(path, "--key")?,
            None => cert_bytes,
        };
        let key = private_key(&key_bytes, plan.key.is_none())
            .map_err(|why| refuse(format!("{flag} {}: {why}", key_path.display())))?;
        let leaf = Summary::of(&chain[0]);
        let provider = rustls::crypto::ring::default_provider();
        let key = CertifiedKey::from_der(chain, key, &provider).map_err(|e| {
            let why = match e {
                rustls::Error::InconsistentKeys(_) => format!(
                    "the key does not match the certificate {} in {}",
                    leaf.subject.as_deref().unwrap_or("(no common name)"),
                    plan.cert.display()
                ),
                other => format!("the key cannot be used: {other}"),
            };
            refuse(format!("{flag} {}: {why}", key_path.display()))
        })?;
        Ok(Identity {
            key: Arc::new(key),
            leaf,
        })
    }

    /// `CN=client (issued by CN=Client CA, not after 2027-01-01)`.
    pub fn described(&self) -> String {
        let subject = self.leaf.subject.as_deref().unwrap_or("(no common name)");
        let issuer = self.leaf.issuer.as_deref().unwrap_or("an unnamed issuer");
        match self.leaf.not_after {
            Some(end) => format!("{subject} (issued by {issuer}, not after {})", date(end)),
            None => format!("{subject} (issued by {issuer})"),
        }
    }
}

fn read(path: &Path, flag: &str) -> Result<Vec<u8>, Error> {
    std::fs::read(path).map_err(|e| {
        Error::ClientCert(format!(
            "cannot read {flag} {}: {}",
            path.display(),
            io_text(&e)
        ))
    })
}

/// The key in PEM `bytes`; why not, in words.
fn private_key(bytes: &[u8], beside_cert: bool) -> Result<PrivateKeyDer<'static>, String> {
    let text = String::from_utf8_lossy(bytes);
    if text.contains("ENCRYPTED PRIVATE KEY") || text.contains("Proc-Type: 4,ENCRYPTED") {
        return Err(format!(
            "the key is encrypted; {ACCEPTED} (openssl pkey -in KEY -out plain.pem decrypts it)"
        ));
    }
    PrivateKeyDer::from_pem_slice(bytes).map_err(|_| match beside_cert {
        true => "holds no private key: give it with --key FILE".to_string(),
        false => format!("{}; {ACCEPTED}", not_pem_or("holds no private key", bytes)),
    })
}

/// Why a file gave nothing: it is not PEM at all (DER, PKCS#12), or `else`.
fn not_pem_or(otherwise: &str, bytes: &[u8]) -> String {
    if bytes.windows(11).any(|w| w == b"-----BEGIN ") {
        otherwise.to_string()
    } else {
        "is not PEM (DER or PKCS#12?)".to_string()
    }
}

/// --cert-type and --key-type: PEM is the only kind fetch reads.
fn check_type(flag: &str, kind: &str) -> Result<(), Error> {
    if kind.eq_ignore_ascii_case("PEM") {
        return Ok(());
    }
    Err(Error::ClientCert(format!(
        "{flag} {}: {ACCEPTED}",
        crate::escape::shown(kind.as_bytes())
    )))
}

/// What the server asked for during the handshake.
#[derive(Debug, Default, Clone)]
pub struct Asked {
    /// It sent a CertificateRequest.
    pub asked: bool,
    /// The CA names it accepts, as `CN=…` (none: any, or it did not say).
    pub authorities: Vec<String>,
    /// The certificate fetch presented, described.
    pub sent: Option<String>,
}

/// Presents the identity, if any, and records the server's request.
#[derive(Debug)]
pub struct Presenter {
    pub identity: Option<Identity>,
    pub asked: Arc<Mutex<Asked>>,
}

impl ResolvesClientCert for Presenter {
    fn resolve(
        &self,
        root_hint_subjects: &[&[u8]],
        _sigschemes: &[SignatureScheme],
    ) -> Option<Arc<CertifiedKey>> {
        if let Ok(mut asked) = self.asked.lock() {
            asked.asked = true;
            asked.authorities = root_hint_subjects
                .iter()
                .map(|dn| distinguished_name(dn))
                .collect();
            asked.sent = self.identity.as_ref().map(Identity::described);
        }
        self.identity.as_ref().map(|identity| identity.key.clone())
    }

    fn has_certs(&self) -> bool {
        self.identity.is_some()
    }
}

impl Asked {
    /// -v's lines about client authentication.
    pub fn lines(&self, identity: Option<&Identity>) -> Vec<String> {
        match (self.asked, identity) {
            (false, None) => Vec::new(),
            (false, Some(identity)) => vec![format!(
                "the server did not ask for a client certificate: {} not sent",
                identity.described()
            )],
            (true, _) => {
                let mut lines = vec![format!(
                    "the server asked for a client certificate; {}",
                    self.accepted()
                )];
                lines.push(match &self.sent {
                    Some(sent) => format!("client certificate sent: {sent}"),
                    None => "no client certificate sent (--cert gives one)".into(),
                });
                lines
            }
        }
    }

    fn accepted(&self) -> String {
        match self.authorities.as_slice() {
            [] => "it named no CA it accepts".into(),
            names => format!("it accepts certificates issued by {}", names.join(", ")),
        }
    }

    /// The message for an alert that ended the connection after the server
    /// asked for a certificate, when the alert is about it; `None` otherwise.
    pub fn refusal(&self, alert: AlertDescription) -> Option<String> {
        use AlertDescription as A;
        let about_certificate = matches!(
            alert,
            A::CertificateRequired
                | A::BadCertificate
                | A::UnsupportedCertificate
                | A::CertificateRevoked
                | A::CertificateExpired
                | A::CertificateUnknown
                | A::UnknownCA
                | A::AccessDenied
                | A::HandshakeFailure
                | A::DecryptError
        );
        if !self.asked || !about_certificate {
            return None;
        }
        let alert = super::diagnose::alert_name(alert);
        let accepted = self.accepted();
        Some(match &self.sent {
            None => format!(
                "the server requires a client certificate and none was given (TLS alert {alert}): give it with --cert FILE (and --key FILE); {accepted}"
            ),
            Some(sent) => format!(
                "the server rejected the client certificate {sent} (TLS alert {alert}); {accepted}"
            ),
        })
    }
}

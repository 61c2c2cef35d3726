//! The certificates to trust: what --cacert or --capath names, else what
//! CURL_CA_BUNDLE, SSL_CERT_FILE or SSL_CERT_DIR name (as curl and OpenSSL read
//! them), else the system store, else the Mozilla roots compiled in (for scratch
//! and distroless containers, which have no store).

use crate::error::io_text;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::RootCertStore;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

/// Where the roots come from, decided from the command line and the environment
/// before anything is loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RootSource {
    /// --cacert, or a variable naming a file: (how it was given, the file).
    File(String, PathBuf),
    /// --capath, or SSL_CERT_DIR.
    Dir(String, PathBuf),
    /// The system store, or the compiled-in roots where there is none.
    System,
}

impl RootSource {
    /// --cacert or --capath when given; else the environment, as curl reads it.
    pub fn choose(
        cacert: Option<PathBuf>,
        capath: Option<PathBuf>,
        env: impl Fn(&str) -> Option<String>,
    ) -> RootSource {
        if let Some(file) = cacert {
            return RootSource::File("--cacert".into(), file);
        }
        if let Some(dir) = capath {
            return RootSource::Dir("--capath".into(), dir);
        }
        for name in ["CURL_CA_BUNDLE", "SSL_CERT_FILE"] {
            if let Some(file) = env(name).filter(|v| !v.is_empty()) {
                return RootSource::File(name.into(), file.into());
            }
        }
        match env("SSL_CERT_DIR").filter(|v| !v.is_empty()) {
            Some(dir) => RootSource::Dir("SSL_CERT_DIR".into(), dir.into()),
            None => RootSource::System,
        }
    }
}

impl RootSource {
    /// What would make a private CA trusted, given where the roots came from:
    /// never a variable that another setting overrides.
    pub fn remedy(&self) -> String {
        match self {
            RootSource::File(how, _) if how == "--cacert" => {
                "give --cacert a file that holds its certificate".into()
            }
            RootSource::File(variable, _) => {
                format!("give its certificate with --cacert FILE or in {variable}")
            }
            RootSource::Dir(how, dir) => format!(
                "give its certificate with --cacert FILE, or put it in {how} {}",
                dir.display()
            ),
            RootSource::System => "give its certificate with --cacert FILE or SSL_CERT_FILE".into(),
        }
    }
}

/// A loaded store, what to call it in -v and messages, and where it came from.
#[derive(Debug, Clone)]
pub struct Roots {
    /// Shared with each connection's verifier, not copied.
    pub store: Arc<RootCertStore>,
    pub described: String,
    pub source: RootSource,
}

impl Roots {
    /// Loads the roots; the error (exit 77) names the path and why.
    pub fn load(source: &RootSource) -> Result<Roots, String> {
        let (described, certs) = match source {
            RootSource::File(how, path) => {
                (format!("{how} {}", path.display()), from_file(how, path)?)
            }
            RootSource::Dir(how, dir) => (format!("{how} {}", dir.display()), from_dir(how, dir)?),
            RootSource::System => return Ok(system()),
        };
        let mut store = RootCertStore::empty();
        let (added, _) = store.add_parsable_certificates(certs);
        if added == 0 {
            return Err(format!(
                "{described} holds no certificate a TLS server could be checked against"
            ));
        }
        Ok(Roots {
            store: Arc::new(store),
            described: format!("{described} ({})", certificates(added)),
            source: source.clone(),
        })
    }
}

fn certificates(count: usize) -> String {
    match count {
        1 => "1 certificate".into(),
        n => format!("{n} certificates"),
    }
}

fn from_file(how: &str, path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let bytes = fs::read(path)
        .map_err(|e| format!("cannot read {how} {}: {}", path.display(), io_text(&e)))?;
    let certs: Vec<_> = CertificateDer::pem_slice_iter(&bytes)
        .filter_map(Result::ok)
        .collect();
    if certs.is_empty() {
        return Err(format!(
            "{how} {} holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
            path.display()
        ));
    }
    Ok(certs)
}

/// Every PEM certificate in the directory's files (hashed names or not).
fn from_dir(how: &str, dir: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let entries = fs::read_dir(dir)
        .map_err(|e| format!("cannot read {how} {}: {}", dir.display(), io_text(&e)))?;
    let mut certs = Vec::new();
    for entry in entries.flatten() {
        if let Ok(bytes) = fs::read(entry.path()) {
            certs.extend(CertificateDer::pem_slice_iter(&bytes).filter_map(Result::ok));
        }
    }
    if certs.is_empty() {
        return Err(format!("{how} {} holds no PEM certificate", dir.display()));
    }
    Ok(certs)
}

/// The system store (rustls-native-certs), or the compiled-in Mozilla roots.
fn system() -> Roots {
    let found = rustls_native_certs::load_native_certs();
    let mut store = RootCertStore::empty();
    let (added, _) = store.add_parsable_certificates(found.certs);
    if added > 0 {
        return Roots {
            store: Arc::new(store),
            described: format!("the system store ({})", certificates(added)),
            source: RootSource::System,
        };
    }
    let store = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    Roots {
        described: format!(
            "the compiled-in Mozilla roots ({}; no system store found)",
            certificates(store.len())
        ),
        store: Arc::new(store),
        source: RootSource::System,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_win_over_the_environment_and_curls_variable_over_openssls() {
        let env = |name: &str| match name {
            "SSL_CERT_FILE" => Some("/env/file.pem".to_string()),
            "CURL_CA_BUNDLE" => Some("/env/curl.pem".to_string()),
            "SSL_CERT_DIR" => Some("/env/dir".to_string()),
            _ => None,
        };
        assert_eq!(
            RootSource::choose(Some("/ca.pem".into()), None, env),
            RootSource::File("--cacert".into(), "/ca.pem".into())
        );
        assert_eq!(
            RootSource::choose(None, None, env),
            RootSource::File("CURL_CA_BUNDLE".into(), "/env/curl.pem".into())
        );
        let only_dir = |name: &str| (name == "SSL_CERT_DIR").then(|| "/d".to_string());
        assert_eq!(
            RootSource::choose(None, None, only_dir),
            RootSource::Dir("SSL_CERT_DIR".into(), "/d".into())
        );
        assert_eq!(RootSource::choose(None, None, |_| None), RootSource::System);
    }

    #[test]
    fn an_unreadable_or_empty_file_says_why() {
        let missing = Roots::load(&RootSource::File(
            "--cacert".into(),
            "/nonexistent/ca.pem".into(),
        ));
        assert!(
            missing
                .unwrap_err()
                .starts_with("cannot read --cacert /nonexistent/ca.pem: ")
        );
        let dir = std::env::temp_dir().join(format!("fetch-roots-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let empty = dir.join("empty.pem");
        fs::write(&empty, "not a certificate\n").unwrap();
        let error =
            Roots::load(&RootSource::File("SSL_CERT_FILE".into(), empty.clone())).unwrap_err();
        assert!(error.contains("holds no PEM certificate"), "{error}");
        fs::remove_dir_all(&dir).unwrap();
    }
}

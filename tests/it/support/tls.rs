//! TLS for the tests: a CA and certificates made at run time (rcgen), and a
//! rustls server on loopback. Nothing here touches the network.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::{ServerConfig, ServerConnection, StreamOwned, SupportedProtocolVersion};

use super::{Scratch, Server, serve_raw};

/// A certificate authority the tests make and trust.
pub struct Ca {
    pub cert: CertificateDer<'static>,
    pub pem: String,
    issuer: Issuer<'static, KeyPair>,
}

/// A server certificate, its chain as the server sends it, and its key.
pub struct Leaf {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivatePkcs8KeyDer<'static>,
    /// The certificate and the key as PEM, for --cert and --key.
    pub cert_pem: String,
    pub key_pem: String,
}

impl Leaf {
    /// The key as SEC1 (`EC PRIVATE KEY`, as `openssl ec` writes it): the
    /// ECPrivateKey inside the PKCS#8 document.
    pub fn sec1_key_pem(&self) -> String {
        let (info, _) = der_element(self.key.secret_pkcs8_der());
        // PrivateKeyInfo: version, algorithm, then the key as an OCTET STRING.
        let (_, rest) = der_element(info);
        let (_, rest) = der_element(rest);
        let (sec1, _) = der_element(rest);
        pem("EC PRIVATE KEY", sec1)
    }

    /// The certificate, and the key after it unless `key` names a file of its
    /// own, written as PEM in `dir`; the certificate's path.
    pub fn write(&self, dir: &Scratch, name: &str, key: Option<&str>) -> PathBuf {
        let path = dir.path(name);
        match key {
            Some(key) => {
                std::fs::write(dir.path(key), &self.key_pem).expect("write the key");
                std::fs::write(&path, &self.cert_pem).expect("write the certificate");
            }
            None => std::fs::write(&path, format!("{}{}", self.cert_pem, self.key_pem))
                .expect("write the certificate and key"),
        }
        path
    }
}

impl Ca {
    pub fn new(name: &str) -> Ca {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        let key = KeyPair::generate().expect("a key");
        let cert = params.self_signed(&key).expect("a CA certificate");
        Ca {
            pem: cert.pem(),
            cert: cert.der().clone(),
            issuer: Issuer::new(params, key),
        }
    }

    /// A CA signed by this one.
    pub fn intermediate(&self, name: &str) -> Ca {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        let key = KeyPair::generate().expect("a key");
        let cert = params
            .signed_by(&key, &self.issuer)
            .expect("an intermediate");
        Ca {
            pem: cert.pem(),
            cert: cert.der().clone(),
            issuer: Issuer::new(params, key),
        }
    }

    /// A server certificate for `names`, after `tweak` has its say.
    pub fn leaf(&self, names: &[&str], tweak: impl FnOnce(&mut CertificateParams)) -> Leaf {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let mut params = CertificateParams::new(names.clone()).expect("leaf params");
        params.distinguished_name.push(
            DnType::CommonName,
            names.first().cloned().unwrap_or_default(),
        );
        tweak(&mut params);
        let key = KeyPair::generate().expect("a key");
        let cert = params.signed_by(&key, &self.issuer).expect("a leaf");
        Leaf {
            chain: vec![cert.der().clone()],
            key: PrivatePkcs8KeyDer::from(key.serialize_der()),
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        }
    }

    /// This CA's certificate as a PEM file in `dir`.
    pub fn write(&self, dir: &Scratch, name: &str) -> PathBuf {
        let path = dir.path(name);
        std::fs::write(&path, &self.pem).expect("write the CA file");
        path
    }
}

/// A self-signed CA:TRUE certificate used as the server's own (rustls refuses
/// that as an end entity); its PEM to trust.
pub fn ca_as_leaf(names: &[&str]) -> (Leaf, String) {
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let mut params = CertificateParams::new(names).expect("params");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(DnType::CommonName, "self-made");
    let key = KeyPair::generate().expect("a key");
    let cert = params.self_signed(&key).expect("a certificate");
    let leaf = Leaf {
        chain: vec![cert.der().clone()],
        key: PrivatePkcs8KeyDer::from(key.serialize_der()),
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    };
    (leaf, cert.pem())
}

pub type TlsStream = StreamOwned<ServerConnection, TcpStream>;

fn config(
    leaf: Leaf,
    versions: &[&'static SupportedProtocolVersion],
    alpn: &[&[u8]],
) -> Arc<ServerConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .expect("protocol versions")
        .with_no_client_auth()
        .with_single_cert(leaf.chain, PrivateKeyDer::Pkcs8(leaf.key))
        .expect("a server certificate");
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Arc::new(config)
}

/// Serves one TLS connection with `leaf`: the handshake, then the request head,
/// then `handler`. A handshake the client breaks off ends the server quietly.
/// `finish` returns the request, prefixed with `SNI=name\n` when one was sent.
pub fn tls_server(leaf: Leaf, handler: impl FnOnce(&mut TlsStream) + Send + 'static) -> Server {
    tls_server_with(leaf, rustls::ALL_VERSIONS, handler)
}

pub fn tls_server_with(
    leaf: Leaf,
    versions: &'static [&'static SupportedProtocolVersion],
    handler: impl FnOnce(&mut TlsStream) + Send + 'static,
) -> Server {
    serve_tls(config(leaf, versions, &[b"http/1.1"]), handler)
}

/// Like `tls_server`, but `handler` gets the stream right after the handshake,
/// before anything of the request is read.
pub fn tls_server_raw(leaf: Leaf, handler: impl FnOnce(&mut TlsStream) + Send + 'static) -> Server {
    let config = config(leaf, rustls::ALL_VERSIONS, &[b"http/1.1"]);
    serve_raw(move |mut socket| {
        let mut conn = ServerConnection::new(config).expect("a server connection");
        while conn.is_handshaking() {
            if conn.complete_io(&mut socket).is_err() {
                return Vec::new();
            }
        }
        handler(&mut StreamOwned::new(conn, socket));
        Vec::new()
    })
}

/// A server that requires a client certificate signed by `client_ca`, speaking
/// only `versions`.
pub fn tls_server_requiring_client_cert(
    leaf: Leaf,
    client_ca: &Ca,
    versions: &'static [&'static SupportedProtocolVersion],
) -> Server {
    tls_server_with_client_auth(leaf, client_ca, true, versions, |_| {})
}

/// A server that asks for a client certificate signed by `client_ca`
/// (`required`, or optional), then runs `handler` as `tls_server` does.
pub fn tls_server_with_client_auth(
    leaf: Leaf,
    client_ca: &Ca,
    required: bool,
    versions: &'static [&'static SupportedProtocolVersion],
    handler: impl FnOnce(&mut TlsStream) + Send + 'static,
) -> Server {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots.add(client_ca.cert.clone()).expect("a client CA");
    let builder = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        provider.clone(),
    );
    let builder = match required {
        true => builder,
        false => builder.allow_unauthenticated(),
    };
    let verifier = builder.build().expect("a client verifier");
    let config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .expect("protocol versions")
        .with_client_cert_verifier(verifier)
        .with_single_cert(leaf.chain, PrivateKeyDer::Pkcs8(leaf.key))
        .expect("a server certificate");
    serve_tls(Arc::new(config), handler)
}

/// A server that offers only the ALPN protocols `alpn`.
pub fn tls_server_alpn(
    leaf: Leaf,
    alpn: &[&[u8]],
    handler: impl FnOnce(&mut TlsStream) + Send + 'static,
) -> Server {
    serve_tls(config(leaf, rustls::ALL_VERSIONS, alpn), handler)
}

fn serve_tls(
    config: Arc<ServerConfig>,
    handler: impl FnOnce(&mut TlsStream) + Send + 'static,
) -> Server {
    serve_raw(move |mut socket| {
        let mut conn = ServerConnection::new(config).expect("a server connection");
        while conn.is_handshaking() {
            if conn.complete_io(&mut socket).is_err() {
                return Vec::new();
            }
        }
        let sni = conn.server_name().map(str::to_string);
        let mut stream = StreamOwned::new(conn, socket);
        let mut request = Vec::new();
        let mut byte = [0u8; 1];
        while !request.ends_with(b"\r\n\r\n") {
            match stream.read(&mut byte) {
                Ok(1) => request.push(byte[0]),
                _ => break,
            }
        }
        handler(&mut stream);
        let mut seen = sni
            .map(|s| format!("SNI={s}\n").into_bytes())
            .unwrap_or_default();
        seen.extend(request);
        seen
    })
}

/// Ends the response properly: close_notify, then the TCP close.
pub fn close_notify(stream: &mut TlsStream) {
    stream.conn.send_close_notify();
    let _ = stream.flush();
}

/// One DER element: its contents and what follows it.
fn der_element(input: &[u8]) -> (&[u8], &[u8]) {
    let (len, start) = match input[1] {
        n if n < 0x80 => (usize::from(n), 2),
        0x81 => (usize::from(input[2]), 3),
        _ => (usize::from(input[2]) << 8 | usize::from(input[3]), 4),
    };
    (&input[start..start + len], &input[start + len..])
}

/// DER as a PEM block.
pub fn pem(label: &str, der: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut text = String::new();
    for chunk in der.chunks(3) {
        let n = chunk.iter().fold(0u32, |n, &b| n << 8 | u32::from(b)) << (8 * (3 - chunk.len()));
        for i in 0..4 {
            let c = if i <= chunk.len() {
                ALPHABET[(n >> (18 - 6 * i) & 63) as usize]
            } else {
                b'='
            };
            text.push(char::from(c));
        }
    }
    let lines: Vec<&str> = text
        .as_bytes()
        .chunks(64)
        .map(|l| std::str::from_utf8(l).unwrap())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

//! `tlsref CA_PEM NAME ADDR:PORT PATH`: one HTTP/1.0 GET over TLS, the response
//! to stdout. The least a rustls + ring client can do, to measure fetch against.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, ca, name, addr, path] = &args[..] else {
        eprintln!("usage: tlsref CA_PEM NAME ADDR:PORT PATH");
        std::process::exit(2);
    };
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca).expect("read the CA file") {
        roots
            .add(cert.expect("a PEM certificate"))
            .expect("a CA certificate");
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS 1.2 and 1.3")
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.0".to_vec(), b"http/1.1".to_vec()];
    let server = ServerName::try_from(name.clone()).expect("a server name");
    let mut conn = rustls::ClientConnection::new(Arc::new(config), server).expect("a client");
    let mut socket = TcpStream::connect(addr).expect("connect");
    socket.set_nodelay(true).expect("TCP_NODELAY");
    let mut tls = rustls::Stream::new(&mut conn, &mut socket);
    write!(tls, "GET {path} HTTP/1.0\r\nHost: {name}\r\n\r\n").expect("send the request");
    let mut response = Vec::new();
    tls.read_to_end(&mut response).expect("read the response");
    std::io::stdout()
        .write_all(&response)
        .expect("write the response");
}

//! https://: TLS on loopback servers with certificates made at run time. Each
//! way a handshake or a certificate can fail has its exit code and its message.

mod support;

use std::io::Write;

use predicates::str::contains;
use support::tls::*;
use support::*;

/// `https://localhost:PORT/` pinned to the server with --resolve: SNI and the
/// certificate check use the name, never a DNS lookup.
fn localhost(server: &Server) -> [String; 3] {
    let port = server.port();
    [
        "--resolve".into(),
        format!("localhost:{port}:127.0.0.1"),
        format!("https://localhost:{port}/"),
    ]
}

fn respond(body: &'static str) -> impl FnOnce(&mut TlsStream) + Send + 'static {
    move |stream| {
        let response = format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(response.as_bytes()).unwrap();
        close_notify(stream);
    }
}

#[test]
fn a_valid_chain_via_cacert_fetches_the_body_with_sni() {
    let dir = Scratch::new("tls-ok");
    let ca = Ca::new("fetch test CA");
    let server = tls_server(ca.leaf(&["localhost"], |_| {}), respond("secret"));
    let cacert = ca.write(&dir, "ca.pem");
    fetch()
        .args(["--cacert", cacert.to_str().unwrap()])
        .args(localhost(&server))
        .assert()
        .code(0)
        .stdout("secret")
        .stderr("");
    let seen = String::from_utf8(server.finish()).unwrap();
    let port = seen
        .split("localhost:")
        .nth(1)
        .unwrap_or_default()
        .split("\r\n")
        .next()
        .unwrap_or_default()
        .to_string();
    assert!(
        seen.starts_with(&format!(
            "SNI=localhost\nGET / HTTP/1.0\r\nHost: localhost:{port}\r\n"
        )),
        "{seen}"
    );
}

#[test]
fn ssl_cert_file_names_the_roots() {
    let dir = Scratch::new("tls-env");
    let ca = Ca::new("fetch test CA");
    let server = tls_server(ca.leaf(&["localhost"], |_| {}), respond("via env"));
    let cacert = ca.write(&dir, "ca.pem");
    fetch()
        .env("SSL_CERT_FILE", &cacert)
        .args(localhost(&server))
        .assert()
        .code(0)
        .stdout("via env");
    server.finish();
}

#[test]
fn an_unknown_issuer_is_60_naming_it() {
    let dir = Scratch::new("tls-unknown");
    let ca = Ca::new("fetch test CA");
    let other = Ca::new("some other CA");
    let server = tls_server(ca.leaf(&["localhost"], |_| {}), respond("x"));
    let cacert = other.write(&dir, "other.pem");
    fetch()
        .args(["--cacert", cacert.to_str().unwrap()])
        .args(localhost(&server))
        .assert()
        .code(60)
        .stdout("")
        .stderr(one_line())
        .stderr(contains("could not be verified: it is not signed by a trusted CA: its issuer is CN=fetch test CA"))
        .stderr(contains("--cacert FILE or SSL_CERT_FILE"));
    server.finish();
}

//! Mutual TLS: --cert and --key against a rustls server that requires a client
//! certificate, asks for one optionally, or trusts another CA; the files
//! fetch refuses (exit 58) before it connects.

use std::io::Write;

use crate::support::tls::*;
use crate::support::*;
use predicates::str::contains;

static TLS12: [&rustls::SupportedProtocolVersion; 1] = [&rustls::version::TLS12];
static TLS13: [&rustls::SupportedProtocolVersion; 1] = [&rustls::version::TLS13];

/// The server's CA, the clients' CA, and a scratch directory holding the
/// server CA's certificate as ca.pem.
struct Setup {
    dir: Scratch,
    ca: Ca,
    clients: Ca,
}

impl Setup {
    fn new(name: &str) -> Setup {
        let setup = Setup {
            dir: Scratch::new(name),
            ca: Ca::new("fetch test CA"),
            clients: Ca::new("Client CA"),
        };
        setup.ca.write(&setup.dir, "ca.pem");
        setup
    }

    fn server_leaf(&self) -> Leaf {
        self.ca.leaf(&["localhost"], |_| {})
    }

    /// fetch of `https://localhost:PORT/` from `server`, trusting ca.pem.
    fn fetch(&self, server: &Server, args: &[&str]) -> assert_cmd::assert::Assert {
        let port = server.port();
        fetch()
            .args(args)
            .args(["--cacert", self.dir.path("ca.pem").to_str().unwrap()])
            .args(["--resolve", &format!("localhost:{port}:127.0.0.1")])
            .arg(format!("https://localhost:{port}/"))
            .assert()
    }
}

fn answer_ok(stream: &mut TlsStream) {
    stream
        .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nhello\n")
        .unwrap();
    close_notify(stream);
}

#[test]
fn a_required_client_certificate_is_presented_in_both_tls_versions() {
    let setup = Setup::new("mtls-ok");
    let client = setup.clients.leaf(&["client.test"], |_| {});
    let both = client.write(&setup.dir, "client.pem", None);
    let cert = client.write(&setup.dir, "cert.pem", Some("key.pem"));
    let key = setup.dir.path("key.pem");
    for versions in [&TLS12, &TLS13] {
        let server = tls_server_with_client_auth(
            setup.server_leaf(),
            &setup.clients,
            true,
            versions,
            answer_ok,
        );
        setup
            .fetch(&server, &["--cert", both.to_str().unwrap()])
            .code(0)
            .stdout("hello\n")
            .stderr("");
        let server = tls_server_with_client_auth(
            setup.server_leaf(),
            &setup.clients,
            true,
            versions,
            answer_ok,
        );
        let (cert, key) = (cert.to_str().unwrap(), key.to_str().unwrap());
        setup
            .fetch(&server, &["-v", "-E", cert, "--key", key, "--cert-type", "pem"])
            .code(0)
            .stdout("hello\n")
            .stderr(contains(
                "the server asked for a client certificate; it accepts certificates issued by CN=Client CA",
            ))
            .stderr(contains(
                "client certificate sent: CN=client.test (issued by CN=Client CA, not after ",
            ));
    }
}

#[test]
fn a_sec1_ec_key_is_read_too() {
    let setup = Setup::new("mtls-sec1");
    let client = setup.clients.leaf(&["client.test"], |_| {});
    let cert = client.write(&setup.dir, "cert.pem", Some("pkcs8.pem"));
    let key = setup.dir.path("sec1.pem");
    std::fs::write(&key, client.sec1_key_pem()).unwrap();
    assert!(
        client
            .sec1_key_pem()
            .starts_with("-----BEGIN EC PRIVATE KEY-----\n")
    );
    let server =
        tls_server_with_client_auth(setup.server_leaf(), &setup.clients, true, &TLS13, answer_ok);
    let (cert, key) = (cert.to_str().unwrap(), key.to_str().unwrap());
    setup
        .fetch(&server, &["--cert", cert, "--key", key])
        .code(0)
        .stdout("hello\n");
}

#[test]
fn an_optional_request_without_a_certificate_goes_on_and_v_says_so() {
    let setup = Setup::new("mtls-optional");
    let server = tls_server_with_client_auth(
        setup.server_leaf(),
        &setup.clients,
        false,
        &TLS13,
        answer_ok,
    );
    setup
        .fetch(&server, &["-v"])
        .code(0)
        .stdout("hello\n")
        .stderr(contains("the server asked for a client certificate"))
        .stderr(contains("no client certificate sent (--cert gives one)"));
}

#[test]
fn none_given_to_a_server_that_requires_one_is_35_or_56_with_the_cas_it_accepts() {
    let setup = Setup::new("mtls-none");
    for (versions, code) in [(&TLS13, 56), (&TLS12, 35)] {
        let server =
            tls_server_requiring_client_cert(setup.server_leaf(), &setup.clients, versions);
        setup
            .fetch(&server, &[])
            .code(code)
            .stdout("")
            .stderr(one_line())
            .stderr(contains(
                "the server requires a client certificate and none was given (TLS alert certificate_required): give it with --cert FILE (and --key FILE); it accepts certificates issued by CN=Client CA",
            ));
        server.finish();
    }
}

#[test]
fn a_certificate_from_another_ca_is_rejected_by_name() {
    let setup = Setup::new("mtls-other-ca");
    let other = Ca::new("Other CA");
    let client = other.leaf(&["client.test"], |_| {});
    let path = client.write(&setup.dir, "client.pem", None);
    for (versions, code) in [(&TLS13, 56), (&TLS12, 35)] {
        let server =
            tls_server_requiring_client_cert(setup.server_leaf(), &setup.clients, versions);
        setup
            .fetch(&server, &["--cert", path.to_str().unwrap()])
            .code(code)
            .stdout("")
            .stderr(one_line())
            .stderr(contains(
                "the server rejected the client certificate CN=client.test (issued by CN=Other CA, not after ",
            ))
            .stderr(contains(
                "(TLS alert unknown_ca); it accepts certificates issued by CN=Client CA",
            ));
        server.finish();
    }
}

#[test]
fn unusable_files_are_58_before_connecting() {
    let setup = Setup::new("mtls-files");
    let dir = &setup.dir;
    let client = setup.clients.leaf(&["client.test"], |_| {});
    let other = setup.clients.leaf(&["other.test"], |_| {});
    let cert = client.write(dir, "cert.pem", Some("key.pem"));
    other.write(dir, "other.pem", Some("other-key.pem"));
    std::fs::write(dir.path("cert.der"), &client.chain[0]).unwrap();
    let encrypted =
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n";
    std::fs::write(dir.path("encrypted.pem"), encrypted).unwrap();
    let path = |name: &str| dir.path(name).to_str().unwrap().to_string();
    let cert = cert.to_str().unwrap().to_string();
    let accepted = "fetch reads PEM only: a certificate chain, and an unencrypted PKCS#8, PKCS#1 RSA or SEC1 EC key";
    let cases: Vec<(Vec<String>, String)> = vec![
        (
            vec![
                "--cert".into(),
                cert.clone(),
                "--key".into(),
                path("other-key.pem"),
            ],
            format!(
                "--key {}: the key does not match the certificate CN=client.test in {cert}",
                path("other-key.pem")
            ),
        ),
        (
            vec![
                "--cert".into(),
                path("cert.der"),
                "--key".into(),
                path("key.pem"),
            ],
            format!(
                "--cert {}: is not PEM (DER or PKCS#12?); {accepted}",
                path("cert.der")
            ),
        ),
        (
            vec![
                "--cert".into(),
                cert.clone(),
                "--key".into(),
                path("encrypted.pem"),
            ],
            format!(
                "--key {}: the key is encrypted; {accepted}",
                path("encrypted.pem")
            ),
        ),
        (
            vec!["--cert".into(), cert.clone()],
            format!("--cert {cert}: holds no private key: give it with --key FILE"),
        ),
        (
            vec![
                "--cert".into(),
                cert.clone(),
                "--key".into(),
                path("key.pem"),
                "--cert-type".into(),
                "P12".into(),
            ],
            format!("--cert-type P12: {accepted}"),
        ),
        (
            vec![
                "--cert".into(),
                cert.clone(),
                "--key".into(),
                path("key.pem"),
                "--key-type".into(),
                "DER".into(),
            ],
            format!("--key-type DER: {accepted}"),
        ),
        (
            vec!["--cert".into(), path("missing.pem")],
            format!("cannot read --cert {}: ", path("missing.pem")),
        ),
    ];
    for (args, message) in cases {
        let witness = Witness::new();
        let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
        let url = format!("https://{}/", witness.target());
        args.push(&url);
        let stderr = fails(&args, 58, &message);
        assert!(stderr.starts_with("fetch: "), "{stderr}");
        witness.assert_untouched();
    }
    refused_with(&["--key", "k.pem", "{}"], "--cert");
}

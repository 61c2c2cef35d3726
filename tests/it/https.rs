//! https://: TLS on loopback servers with certificates made at run time. Each
//! way a handshake or a certificate can fail has its exit code and its message.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use predicates::prelude::*;

use crate::support::tls::*;
use crate::support::*;
use predicates::str::contains;

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
    let server = tls_server(ca.leaf(&["localhost"], |_| {}), |stream| {
        respond("secret")(stream);
        // fetch ends with its own close_notify: a clean end of the TLS stream.
        let mut rest = Vec::new();
        assert!(
            stream.read_to_end(&mut rest).is_ok(),
            "no close_notify from fetch"
        );
    });
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
        .stderr(contains(format!(
            "ms: it is not signed by a CA in --cacert {} (1 certificate): its issuer is CN=fetch test CA. For a private CA, give --cacert a file that holds its certificate",
            cacert.display()
        )));
    server.finish();
}

/// Runs fetch against `server` trusting `ca`, with `extra` flags first.
fn fetch_trusting(
    ca: &Ca,
    dir: &Scratch,
    server: &Server,
    extra: &[&str],
) -> assert_cmd::assert::Assert {
    let cacert = ca.write(dir, "ca.pem");
    fetch()
        .args(extra)
        .args(["--cacert", cacert.to_str().unwrap()])
        .args(localhost(server))
        .assert()
}

#[test]
fn an_expired_and_a_not_yet_valid_certificate_are_60_with_their_dates() {
    let dir = Scratch::new("tls-dates");
    let ca = Ca::new("fetch test CA");
    let expired = ca.leaf(&["localhost"], |p| {
        p.not_before = rcgen::date_time_ymd(2019, 1, 1);
        p.not_after = rcgen::date_time_ymd(2020, 1, 1);
    });
    let server = tls_server(expired, respond("x"));
    fetch_trusting(&ca, &dir, &server, &[])
        .code(60)
        .stdout("")
        .stderr(one_line())
        .stderr(contains("it expired on 2020-01-01 ("))
        .stderr(contains(
            " days ago); if that date is wrong, check this machine's clock",
        ));
    server.finish();

    let future = ca.leaf(&["localhost"], |p| {
        p.not_before = rcgen::date_time_ymd(2090, 1, 1);
        p.not_after = rcgen::date_time_ymd(2091, 1, 1);
    });
    let server = tls_server(future, respond("x"));
    fetch_trusting(&ca, &dir, &server, &[])
        .code(60)
        .stdout("")
        .stderr(contains("it is not valid until 2090-01-01 (in "));
    server.finish();
}

#[test]
fn a_certificate_for_another_name_is_60_listing_its_names() {
    let dir = Scratch::new("tls-name");
    let ca = Ca::new("fetch test CA");
    let server = tls_server(ca.leaf(&["api.test", "10.9.8.7"], |_| {}), respond("x"));
    fetch_trusting(&ca, &dir, &server, &[])
        .code(60)
        .stdout("")
        .stderr(contains(
            "it is not valid for localhost: it is valid for api.test, 10.9.8.7\n",
        ));
    server.finish();
}

#[test]
fn a_ca_certificate_used_as_the_servers_own_is_60_saying_so() {
    let dir = Scratch::new("tls-ca-leaf");
    let (leaf, pem) = ca_as_leaf(&["localhost"]);
    let cacert = dir.path("self.pem");
    std::fs::write(&cacert, pem).unwrap();
    let server = tls_server(leaf, respond("x"));
    fetch()
        .args(["--cacert", cacert.to_str().unwrap()])
        .args(localhost(&server))
        .assert()
        .code(60)
        .stdout("")
        .stderr(contains(
            "a CA certificate (CA:TRUE) used as its own end-entity certificate",
        ));
    server.finish();
}

#[test]
fn a_missing_intermediate_is_60_and_the_whole_chain_works() {
    let dir = Scratch::new("tls-chain");
    let root = Ca::new("fetch root CA");
    let intermediate = root.intermediate("fetch intermediate CA");
    let server = tls_server(intermediate.leaf(&["localhost"], |_| {}), respond("x"));
    fetch_trusting(&root, &dir, &server, &[])
        .code(60)
        .stdout("")
        .stderr(contains("its issuer is CN=fetch intermediate CA"))
        .stderr(contains(
            "the server may not be sending its intermediate certificate",
        ));
    server.finish();

    let mut leaf = intermediate.leaf(&["localhost"], |_| {});
    leaf.chain.push(intermediate.cert.clone());
    let server = tls_server(leaf, respond("whole chain"));
    fetch_trusting(&root, &dir, &server, &[])
        .code(0)
        .stdout("whole chain");
    server.finish();
}

#[test]
fn insecure_goes_on_with_a_warning_that_says_why() {
    let dir = Scratch::new("tls-k");
    let ca = Ca::new("fetch test CA");
    let other = Ca::new("some other CA");
    let expired = |p: &mut rcgen::CertificateParams| {
        p.not_before = rcgen::date_time_ymd(2019, 1, 1);
        p.not_after = rcgen::date_time_ymd(2020, 1, 1);
    };
    let future = |p: &mut rcgen::CertificateParams| {
        p.not_before = rcgen::date_time_ymd(2090, 1, 1);
        p.not_after = rcgen::date_time_ymd(2091, 1, 1);
    };
    let intermediate = other.intermediate("an intermediate CA");
    let cases: [(Leaf, &str); 6] = [
        (
            ca.leaf(&["localhost"], |_| {}),
            "it is not signed by a CA in --cacert",
        ),
        (
            other.leaf(&["localhost"], expired),
            "it expired on 2020-01-01",
        ),
        (
            other.leaf(&["localhost"], future),
            "it is not valid until 2090-01-01",
        ),
        (
            other.leaf(&["elsewhere.test"], |_| {}),
            "it is not valid for localhost",
        ),
        (
            ca_as_leaf(&["localhost"]).0,
            "the server's certificate is a CA certificate (CA:TRUE)",
        ),
        (
            intermediate.leaf(&["localhost"], |_| {}),
            "(1 certificate): its issuer is CN=an intermediate CA",
        ),
    ];
    for (leaf, why) in cases {
        let server = tls_server(leaf, respond("anyway"));
        let assert = fetch_trusting(
            &other,
            &dir,
            &server,
            &["-k", "-w", "\n%{ssl_verify_result}"],
        )
        .code(0)
        .stderr(one_line())
        .stderr(contains("fetch: warning: the certificate of 127.0.0.1:"))
        .stderr(contains("was not verified (-k): "))
        .stderr(contains(why));
        let stdout = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
        let (body, code) = stdout.split_once('\n').unwrap();
        assert_eq!(body, "anyway");
        assert_ne!(code, "0", "{why}");
        server.finish();
    }
    // -s keeps the warning quiet; the verdict is still in -w.
    let server = tls_server(ca.leaf(&["localhost"], |_| {}), respond("quiet"));
    fetch_trusting(
        &other,
        &dir,
        &server,
        &["-k", "-s", "-w", " %{ssl_verify_result}"],
    )
    .code(0)
    .stdout("quiet 20")
    .stderr("");
    server.finish();
}

#[test]
fn an_unreadable_or_empty_ca_file_is_77_before_anything_is_sent() {
    let dir = Scratch::new("tls-77");
    let empty = dir.path("empty.pem");
    std::fs::write(&empty, "no certificates here\n").unwrap();
    for (cafile, message) in [
        (
            "/nonexistent/ca.pem".to_string(),
            "cannot read --cacert /nonexistent/ca.pem: ",
        ),
        (empty.display().to_string(), "holds no PEM certificate"),
    ] {
        let witness = Witness::new();
        let port = witness.target().rsplit(':').next().unwrap().to_string();
        fetch()
            .args(["--cacert", &cafile, "--resolve"])
            .arg(format!("localhost:{port}:127.0.0.1"))
            .arg(format!("https://localhost:{port}/"))
            .assert()
            .code(77)
            .stdout("")
            .stderr(one_line())
            .stderr(contains(message));
        // Read before connecting: not even a TLS hello went out.
        witness.assert_untouched();
    }
}

#[test]
fn a_silent_listener_is_28_at_the_connect_deadline() {
    let server = serve_raw(|mut socket| {
        hold_open(&mut socket, Duration::from_secs(10));
        Vec::new()
    });
    let start = Instant::now();
    fetch()
        .args(["--connect-timeout", "1"])
        .args(localhost(&server))
        .assert()
        .code(28)
        .stdout("")
        .stderr(one_line())
        .stderr(contains(format!(
            "connected to 127.0.0.1:{}, but no TLS answer within",
            server.port()
        )))
        .stderr(contains("is this port plain HTTP?"));
    within(start, 0.8, 3.0);
    server.finish();
}

#[test]
fn a_plain_http_server_on_the_https_port_is_35_quoting_its_answer() {
    let server = serve_raw(|mut socket| {
        let mut hello = [0u8; 64];
        let _ = socket.read(&mut hello);
        let _ = socket.write_all(b"HTTP/1.0 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
        Vec::new()
    });
    fetch()
        .args(localhost(&server))
        .assert()
        .code(35)
        .stdout("")
        .stderr(one_line())
        .stderr(contains(
            "the server answered in plain HTTP (\"HTTP/1.0 400 Bad Request\"): this port speaks plain HTTP: use http://",
        ));
    server.finish();
}

#[test]
fn an_alert_a_reset_and_a_close_during_the_handshake_are_35() {
    type Answer = fn(std::net::TcpStream);
    let cases: [(Answer, &str); 4] = [
        // A fatal protocol_version alert: what a TLS 1.1-only server says.
        (
            |mut s| drop(s.write_all(&[0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46])),
            "the server sent the TLS alert protocol_version: it offers only TLS 1.1 or older; fetch speaks TLS 1.2 and 1.3",
        ),
        (
            |mut s| drop(s.write_all(&[0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28])),
            "the server sent the TLS alert handshake_failure: it shares no TLS version or cipher suite with fetch",
        ),
        (
            reset,
            "the server reset the connection during the handshake, without a TLS alert: it usually accepts only TLS versions or cipher suites that fetch does not offer, or wants the name (SNI) of another site",
        ),
        (
            |mut s| {
                // A FIN, not an RST: the hello is read first, then writing shut.
                let _ = s.shutdown(std::net::Shutdown::Write);
                hold_open(&mut s, Duration::from_secs(5));
            },
            "the server closed the connection during the handshake, without a TLS alert: it usually",
        ),
    ];
    for (answer, message) in cases {
        let server = serve_raw(move |mut socket| {
            let mut hello = [0u8; 4096];
            let _ = socket.read(&mut hello);
            answer(socket);
            Vec::new()
        });
        fetch()
            .args(localhost(&server))
            .assert()
            .code(35)
            .stdout("")
            .stderr(one_line())
            .stderr(contains(message));
        server.finish();
    }
}

#[test]
fn without_close_notify_a_length_is_complete_and_a_close_delimited_body_is_56() {
    let dir = Scratch::new("tls-notify");
    let ca = Ca::new("fetch test CA");
    let server = tls_server(ca.leaf(&["localhost"], |_| {}), |stream| {
        stream
            .write_all(b"HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nwhole")
            .unwrap();
        // No close_notify: the TCP close only.
    });
    fetch_trusting(&ca, &dir, &server, &[])
        .code(0)
        .stdout("whole");
    server.finish();

    let server = tls_server(ca.leaf(&["localhost"], |_| {}), |stream| {
        stream
            .write_all(b"HTTP/1.0 200 OK\r\n\r\nperhaps all")
            .unwrap();
    });
    fetch_trusting(&ca, &dir, &server, &[])
        .code(56)
        .stdout("perhaps all")
        .stderr(one_line())
        .stderr(contains(
            "closed the connection without TLS close_notify after 11 body bytes",
        ))
        .stderr(contains("so it may be truncated"));
    server.finish();

    // With close_notify the same body is complete.
    let server = tls_server(ca.leaf(&["localhost"], |_| {}), |stream| {
        stream
            .write_all(b"HTTP/1.0 200 OK\r\n\r\nsurely all")
            .unwrap();
        close_notify(stream);
    });
    fetch_trusting(&ca, &dir, &server, &[])
        .code(0)
        .stdout("surely all");
    server.finish();
}

#[test]
fn a_failure_mid_body_keeps_the_bytes_as_part() {
    let dir = Scratch::new("tls-part");
    let ca = Ca::new("fetch test CA");
    let server = tls_server(ca.leaf(&["localhost"], |_| {}), |stream| {
        stream.write_all(b"HTTP/1.0 200 OK\r\n\r\n").unwrap();
        stream.write_all(&pattern(3000)).unwrap();
    });
    let file = dir.path("out.bin");
    fetch_trusting(&ca, &dir, &server, &["-o", file.to_str().unwrap()])
        .code(56)
        .stdout("")
        .stderr(contains(format!(
            "the 3000 bytes written are in {}.part",
            file.display()
        )));
    server.finish();
    assert_same_bytes(
        &std::fs::read(dir.path("out.bin.part")).unwrap(),
        &pattern(3000),
    );
}

#[test]
fn tls_1_2_only_and_tls_1_3_only_servers_both_work() {
    let dir = Scratch::new("tls-versions");
    let ca = Ca::new("fetch test CA");
    static TLS12: [&rustls::SupportedProtocolVersion; 1] = [&rustls::version::TLS12];
    static TLS13: [&rustls::SupportedProtocolVersion; 1] = [&rustls::version::TLS13];
    for (versions, name) in [(&TLS12, "1.2"), (&TLS13, "1.3")] {
        let server = tls_server_with(ca.leaf(&["localhost"], |_| {}), versions, respond("v"));
        fetch_trusting(&ca, &dir, &server, &["-v"])
            .code(0)
            .stdout("v")
            .stderr(contains(format!("TLS {name} with")))
            .stderr(contains("ALPN http/1.1"));
        server.finish();
    }
}

#[test]
fn verbose_and_write_out_describe_the_handshake() {
    let dir = Scratch::new("tls-v");
    let ca = Ca::new("fetch test CA");
    let server = tls_server(ca.leaf(&["localhost", "127.0.0.1"], |_| {}), respond("ok"));
    let assert = fetch_trusting(
        &ca,
        &dir,
        &server,
        &["-v", "-w", " %{scheme} %{ssl_verify_result} %{json}"],
    )
    .code(0)
    .stderr(contains("TLS handshake for localhost; roots: --cacert "))
    .stderr(contains("(1 certificate)"))
    .stderr(contains(
        "certificate: subject CN=localhost, issuer CN=fetch test CA",
    ))
    .stderr(contains("certificate: valid from 1975-01-01 to 4096-01-01"))
    .stderr(contains("certificate: names localhost, 127.0.0.1"))
    .stderr(contains(
        "certificate verified: localhost matches, chain of 1 trusted",
    ));
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    let json: serde_json::Value =
        serde_json::from_str(stdout.splitn(4, ' ').nth(3).unwrap()).unwrap();
    // Lower case, as curl 8 prints it (curl test 1438).
    assert!(stdout.starts_with("ok https 0 "), "{stdout}");
    let appconnect = json["time_appconnect"].as_f64().unwrap();
    assert!(
        appconnect >= json["time_connect"].as_f64().unwrap() && appconnect > 0.0,
        "{json}"
    );
    assert!(
        json["time_starttransfer"].as_f64().unwrap() >= appconnect,
        "{json}"
    );
    assert_eq!(json["url"], format!("https://localhost:{}/", server.port()));
    server.finish();
}

#[test]
fn plain_http_to_a_tls_port_is_8_saying_use_https() {
    let ca = Ca::new("fetch test CA");
    let server = tls_server(ca.leaf(&["localhost"], |_| {}), respond("x"));
    fetch()
        .arg(format!("http://127.0.0.1:{}/", server.port()))
        .assert()
        .code(8)
        .stderr(one_line())
        .stderr(contains("this port speaks TLS: use https://"));
    server.finish();
}

#[test]
fn a_certificate_error_is_never_retried_and_a_handshake_failure_is() {
    let dir = Scratch::new("tls-retry");
    let ca = Ca::new("fetch test CA");
    let other = Ca::new("some other CA");
    let server = tls_server(ca.leaf(&["localhost"], |_| {}), respond("x"));
    fetch_trusting(
        &other,
        &dir,
        &server,
        &["--retry", "2", "--retry-delay", "10ms"],
    )
    .code(60)
    .stderr(contains("attempt").not());
    server.finish();

    // Two connections, each closed after the hello: both attempts are made.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let closer = std::thread::spawn(move || {
        for _ in 0..2 {
            let (mut socket, _) = listener.accept().unwrap();
            let mut hello = [0u8; 4096];
            let _ = socket.read(&mut hello);
            let _ = socket.shutdown(std::net::Shutdown::Write);
        }
    });
    // Two lines: the retry's announcement, then the failure.
    fetch()
        .args(["--retry", "1", "--retry-delay", "10ms", "--resolve"])
        .arg(format!("localhost:{port}:127.0.0.1"))
        .arg(format!("https://localhost:{port}/"))
        .assert()
        .code(35)
        .stdout("")
        .stderr(contains("attempt 2 of 2 in 0.0s: TLS handshake failed"));
    closer.join().unwrap();
}

#[test]
fn capath_and_the_other_variables_name_the_roots() {
    let dir = Scratch::new("tls-capath");
    let ca = Ca::new("fetch test CA");
    let cadir = dir.path("cas");
    std::fs::create_dir(&cadir).unwrap();
    std::fs::write(cadir.join("ours.pem"), &ca.pem).unwrap();
    std::fs::write(cadir.join("README"), "not a certificate").unwrap();
    let server = tls_server(ca.leaf(&["localhost"], |_| {}), respond("by dir"));
    fetch()
        .args(["--capath", cadir.to_str().unwrap()])
        .args(localhost(&server))
        .assert()
        .code(0)
        .stdout("by dir");
    server.finish();
    for variable in ["SSL_CERT_DIR", "CURL_CA_BUNDLE"] {
        let roots = if variable == "SSL_CERT_DIR" {
            cadir.clone()
        } else {
            cadir.join("ours.pem")
        };
        let server = tls_server(ca.leaf(&["localhost"], |_| {}), respond("by env"));
        fetch()
            .env(variable, &roots)
            .arg("-v")
            .args(localhost(&server))
            .assert()
            .code(0)
            .stdout("by env")
            .stderr(contains(format!("roots: {variable} {}", roots.display())));
        server.finish();
    }
    // CURL_CA_BUNDLE naming nothing usable is 77, naming the variable.
    fetch()
        .env("CURL_CA_BUNDLE", "/nonexistent/bundle.pem")
        .args(["--resolve", "localhost:9:127.0.0.1", "https://localhost:9/"])
        .assert()
        .code(77)
        .stdout("")
        .stderr(contains(
            "cannot read CURL_CA_BUNDLE /nonexistent/bundle.pem",
        ));
}

#[test]
fn no_common_alpn_is_35_saying_so() {
    let dir = Scratch::new("tls-alpn");
    let ca = Ca::new("fetch test CA");
    let server = tls_server_alpn(ca.leaf(&["localhost"], |_| {}), &[b"h2"], respond("x"));
    fetch_trusting(&ca, &dir, &server, &[])
        .code(35)
        .stdout("")
        .stderr(contains(
            "accepts none of the protocols fetch offers (ALPN http/1.0, http/1.1)",
        ));
    server.finish();
}

#[test]
fn a_corrupt_record_mid_body_is_56_keeping_what_came() {
    let dir = Scratch::new("tls-corrupt");
    let ca = Ca::new("fetch test CA");
    let server = tls_server(ca.leaf(&["localhost"], |_| {}), |stream| {
        stream.write_all(b"HTTP/1.0 200 OK\r\n\r\nbefore").unwrap();
        stream.flush().unwrap();
        // An application-data record whose bytes decrypt to nothing.
        let _ = stream.sock.write_all(&[0x17, 0x03, 0x03, 0x00, 0x20]);
        let _ = stream.sock.write_all(&[0xaa; 32]);
        hold_open(&mut stream.sock, Duration::from_secs(5));
    });
    fetch_trusting(&ca, &dir, &server, &[])
        .code(56)
        .stdout("before")
        .stderr(one_line())
        .stderr(contains("receiving from 127.0.0.1:"));
    server.finish();
}

#[test]
fn without_flags_or_variables_the_system_store_or_the_builtin_roots_are_used() {
    // The test CA is in neither, so the certificate is refused; -v names the store.
    let ca = Ca::new("fetch test CA");
    let server = tls_server(ca.leaf(&["localhost"], |_| {}), respond("x"));
    let assert = fetch()
        .arg("-v")
        .args(localhost(&server))
        .assert()
        .code(60)
        .stdout("")
        .stderr(contains("not signed by a CA in the system store ("));
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(
        stderr.contains("roots: the system store (")
            || stderr.contains("roots: the compiled-in Mozilla roots ("),
        "{stderr}"
    );
    server.finish();
}

#[test]
fn a_tls_server_that_stops_reading_the_request_is_29() {
    let dir = Scratch::new("tls-send-stall");
    let upload = dir.path("upload.bin");
    std::fs::write(&upload, pattern(32 << 20)).unwrap();
    let ca = Ca::new("fetch test CA");
    let (done, wait_done) = std::sync::mpsc::channel::<()>();
    let leaf = ca.leaf(&["localhost"], |_| {});
    // The handshake completes; then the server reads nothing more.
    let server = tls_server_raw(leaf, move |_stream| {
        let _ = wait_done.recv_timeout(Duration::from_secs(20));
    });
    let start = Instant::now();
    let data = format!("@{}", upload.display());
    fetch_trusting(&ca, &dir, &server, &["--read-timeout", "1", "-d", &data])
        .code(29)
        .stdout("")
        .stderr(one_line())
        .stderr(contains("stalled after"))
        .stderr(contains("the server took nothing more for 1.00s"));
    within(start, 0.8, 3.0);
    done.send(()).unwrap();
    server.finish();
}

#[test]
fn max_time_ends_a_stalled_tls_body_with_29_keeping_what_came() {
    let dir = Scratch::new("tls-stall");
    let ca = Ca::new("fetch test CA");
    let server = tls_server(ca.leaf(&["localhost"], |_| {}), |stream| {
        stream
            .write_all(b"HTTP/1.0 200 OK\r\nContent-Length: 100\r\n\r\nfirst")
            .unwrap();
        stream.flush().unwrap();
        hold_open(&mut stream.sock, Duration::from_secs(10));
    });
    let start = Instant::now();
    fetch_trusting(&ca, &dir, &server, &["--max-time", "1"])
        .code(29)
        .stdout("first")
        .stderr(one_line())
        .stderr(contains("--max-time 1.00s ran out"));
    within(start, 0.8, 3.0);
    server.finish();
}

#[test]
fn output_file_over_tls_appears_complete() {
    let dir = Scratch::new("tls-o");
    let ca = Ca::new("fetch test CA");
    let body = pattern(300_000);
    let sent = body.clone();
    let server = tls_server(ca.leaf(&["localhost"], |_| {}), move |stream| {
        stream.write_all(&ok_response(&sent)).unwrap();
        close_notify(stream);
    });
    let file = dir.path("page.bin");
    fetch_trusting(&ca, &dir, &server, &["-o", file.to_str().unwrap()])
        .code(0)
        .stdout("")
        .stderr("");
    server.finish();
    assert_same_bytes(&std::fs::read(&file).unwrap(), &body);
    assert_eq!(dir.names(), ["ca.pem", "page.bin"]);
}

#[test]
fn the_roots_named_are_those_used_and_the_hint_names_what_would_change_them() {
    let dir = Scratch::new("tls-roots-hint");
    let ca = Ca::new("fetch test CA");
    let other = Ca::new("some other CA");
    let server = tls_server(ca.leaf(&["localhost"], |_| {}), respond("x"));
    let bundle = other.write(&dir, "bundle.pem");
    let ignored = ca.write(&dir, "ignored.pem");
    let assert = fetch()
        .env("CURL_CA_BUNDLE", &bundle)
        .env("SSL_CERT_FILE", &ignored)
        .args(localhost(&server))
        .assert()
        .code(60)
        .stdout("")
        .stderr(one_line())
        .stderr(contains(format!(
            "not signed by a CA in CURL_CA_BUNDLE {} (1 certificate)",
            bundle.display()
        )))
        .stderr(contains(
            "For a private CA, give its certificate with --cacert FILE or in CURL_CA_BUNDLE",
        ));
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(!stderr.contains("SSL_CERT_FILE"), "{stderr}");
    server.finish();
}

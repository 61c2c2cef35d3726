//! --http1.1 and --http1.0: the request line, chunked uploads of unknown
//! length, the framing that ends a read either way, and the hints for servers
//! that refuse HTTP/1.0.

use std::io::{Read, Write};
use std::net::TcpStream;

use crate::support::*;
use predicates::prelude::*;
use predicates::str::contains;

/// Reads a request head, then a chunked body up to its last chunk.
fn read_chunked_request(stream: &mut TcpStream) -> Vec<u8> {
    let mut request = read_request(stream);
    let mut byte = [0u8; 1];
    while !request.ends_with(b"\r\n0\r\n\r\n") && !request.ends_with(b"\r\n\r\n0\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => request.push(byte[0]),
            _ => break,
        }
    }
    request
}

#[test]
fn http11_sends_its_request_line_with_connection_close() {
    let server = reply("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n");
    fetch()
        .args(["--http1.1", "-w", " %{http_version}", &server.target()])
        .assert()
        .code(0)
        .stdout("ok 1.1");
    let request = String::from_utf8(server.finish()).unwrap();
    let expected = format!(
        "GET / HTTP/1.1\r\nHost: {}\r\nUser-Agent: {}\r\nAccept: */*\r\nConnection: close\r\n\r\n",
        server_host(&request),
        user_agent()
    );
    assert_eq!(request, expected);
}

/// The Host line's value, which holds the server's port.
fn server_host(request: &str) -> &str {
    request
        .lines()
        .find_map(|l| l.strip_prefix("Host: "))
        .expect("a Host line")
}

#[test]
fn http10_is_the_default_and_can_be_asked_for() {
    for args in [&[][..], &["--http1.0"], &["--http1.1", "--http1.0"]] {
        let server = reply(ok_response(b"ok"));
        fetch()
            .args(args)
            .arg(server.target())
            .assert()
            .code(0)
            .stdout("ok");
        let request = String::from_utf8(server.finish()).unwrap();
        assert!(request.starts_with("GET / HTTP/1.0\r\n"), "{request}");
        assert!(!request.contains("Connection"), "{request}");
    }
}

#[test]
fn http11_sends_a_piped_body_chunked_and_http10_with_its_length() {
    let server = serve_raw(|mut stream| {
        let request = read_chunked_request(&mut stream);
        stream.write_all(&ok_response(b"ok")).unwrap();
        request
    });
    fetch()
        .args(["--http1.1", "-d", "@-", &server.target()])
        .write_stdin("from\na pipe")
        .assert()
        .code(0)
        .stdout("ok");
    let request = String::from_utf8(server.finish()).unwrap();
    let (head, body) = request.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("POST / HTTP/1.1\r\n"), "{head}");
    assert!(head.contains("\r\nTransfer-Encoding: chunked"), "{head}");
    assert!(!head.contains("Content-Length"), "{head}");
    // -d strips newlines as curl's does, on the way out.
    assert_eq!(body, "a\r\nfroma pipe\r\n0\r\n\r\n");

    let server = reply(ok_response(b"ok"));
    fetch()
        .args(["--data-binary", "@-", &server.target()])
        .write_stdin("from\na pipe")
        .assert()
        .code(0);
    let request = String::from_utf8(server.finish()).unwrap();
    assert!(request.contains("Content-Length: 11\r\n"), "{request}");
    assert!(request.ends_with("\r\n\r\nfrom\na pipe"), "{request}");
}

#[test]
fn an_unasked_100_continue_is_skipped_in_both_versions() {
    for version in ["--http1.0", "--http1.1"] {
        let server =
            reply("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        // -i shows the interim head too, as curl does; the body is the final one's.
        fetch()
            .args([version, "-i", &server.target()])
            .assert()
            .code(0)
            .stdout("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    }
}

#[test]
fn a_server_that_keeps_the_connection_open_is_ended_by_the_framing() {
    for version in ["--http1.0", "--http1.1"] {
        for response in [
            "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
        ] {
            let server = serve(move |stream| {
                stream.write_all(response.as_bytes()).unwrap();
                hold_open(stream, std::time::Duration::from_secs(10));
            });
            let start = std::time::Instant::now();
            fetch()
                .args([version, "--read-timeout", "5s", &server.target()])
                .assert()
                .code(0)
                .stdout("ok");
            within(start, 0.0, 3.0);
        }
    }
}

#[test]
fn a_426_says_the_server_refuses_http10_and_names_envoy() {
    let server = reply(
        "HTTP/1.1 426 Upgrade Required\r\nserver: envoy\r\ncontent-length: 16\r\n\r\nUpgrade Required",
    );
    let assert = fetch()
        .arg(server.target())
        .assert()
        .code(0)
        .stdout("Upgrade Required");
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert_eq!(
        stderr,
        "fetch: the server (Envoy) refuses HTTP/1.0 (426 Upgrade Required); --http1.1 asks in HTTP/1.1\n"
    );
}

#[test]
fn a_505_and_a_400_naming_the_version_get_the_hint_too() {
    for response in [
        "HTTP/1.1 505 HTTP Version Not Supported\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 400 Bad Request\r\nContent-Length: 35\r\n\r\nHTTP/1.0 requests are not supported",
    ] {
        let server = reply(response);
        fetch()
            .args(["-f", &server.target()])
            .assert()
            .code(22)
            .stdout("")
            .stderr(contains("fetch: the server refuses HTTP/1.0 ("))
            .stderr(contains("--http1.1 asks in HTTP/1.1"));
    }
}

#[test]
fn no_hint_for_a_plain_400_for_http11_or_with_silent() {
    let plain = "HTTP/1.1 400 Bad Request\r\nContent-Length: 3\r\n\r\nbad";
    let upgrade = "HTTP/1.1 426 Upgrade Required\r\nContent-Length: 0\r\n\r\n";
    for (response, args) in [
        (plain, &[][..]),
        (upgrade, &["--http1.1"]),
        (upgrade, &["-s"]),
    ] {
        let server = reply(response);
        fetch()
            .args(args)
            .arg(server.target())
            .assert()
            .code(0)
            .stderr("");
    }
}

#[test]
fn verbose_says_a_default_nginx_compresses_only_for_http11() {
    let response = "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nContent-Length: 2\r\n\r\nok";
    let server = reply(response);
    fetch()
        .args(["-v", "--compressed", &server.target()])
        .assert()
        .code(0)
        .stdout("ok")
        .stderr(contains("ms GET / HTTP/1.0\n"))
        .stderr(contains(
            "nginx compresses only for HTTP/1.1 by default (gzip_http_version 1.1): --http1.1 asks in HTTP/1.1",
        ));
    let server = reply(response);
    fetch()
        .args(["-v", "--compressed", "--http1.1", &server.target()])
        .assert()
        .code(0)
        .stderr(contains("ms GET / HTTP/1.1\n"))
        .stderr(contains("gzip_http_version").not());
}

#[test]
fn a_307_for_a_streamed_body_is_65_and_not_sent_empty() {
    let server = serve_raw(|mut stream| {
        let request = read_chunked_request(&mut stream);
        stream
            .write_all(
                b"HTTP/1.1 307 Temporary Redirect\r\nLocation: /next\r\nContent-Length: 0\r\n\r\n",
            )
            .unwrap();
        request
    });
    let target = server.target();
    let message = format!(
        "HTTP/1.1 307 Temporary Redirect asks to send the body again to http://{target}/next, and it came from standard input, which cannot be read twice"
    );
    fetch()
        .args(["--http1.1", "-L", "-d", "@-", &target])
        .write_stdin("a=1")
        .assert()
        .code(65)
        .stdout("")
        .stderr(contains(message));
    let request = String::from_utf8(server.finish()).unwrap();
    assert!(
        request.ends_with("\r\n\r\n3\r\na=1\r\n0\r\n\r\n"),
        "{request}"
    );
}

/// Answers as Envoy does by default: 426 to HTTP/1.0, the page to HTTP/1.1.
fn envoy_like() -> Server {
    serve_raw(|mut stream| {
        let request = read_request(&mut stream);
        let response: &[u8] = if request.starts_with(b"GET / HTTP/1.1\r\n") {
            b"HTTP/1.1 200 OK\r\nserver: envoy\r\ncontent-length: 5\r\n\r\nhello"
        } else {
            b"HTTP/1.1 426 Upgrade Required\r\nserver: envoy\r\ncontent-length: 16\r\n\r\nUpgrade Required"
        };
        stream.write_all(response).unwrap();
        request
    })
}

#[test]
fn an_envoy_that_refuses_http10_answers_http11() {
    let server = envoy_like();
    fetch()
        .args(["-f", &server.target()])
        .assert()
        .code(22)
        .stdout("")
        .stderr(contains("fetch: the server (Envoy) refuses HTTP/1.0"));
    let server = envoy_like();
    fetch()
        .args(["--http1.1", "-f", &server.target()])
        .assert()
        .code(0)
        .stdout("hello")
        .stderr("");
}

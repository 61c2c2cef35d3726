//! The curl options people type next, with curl's meaning: -m, --fail-with-body,
//! --create-dirs, -T, -U, --retry-connrefused, --retry-all-errors, -C N.

use std::fs;
use std::io::Write;
use std::time::{Duration, Instant};

use crate::support::*;
use predicates::str::contains;

#[test]
fn m_is_max_time() {
    let server = serve(|stream| hold_open(stream, Duration::from_secs(10)));
    let start = Instant::now();
    fetch()
        .args(["-m", "1", &server.target()])
        .assert()
        .code(29)
        .stdout("")
        .stderr(contains("--max-time 1.00s"));
    within(start, 0.8, 3.0);
}

#[test]
fn fail_with_body_writes_the_body_and_exits_22() {
    let response = "HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\nnope";
    let server = reply(response);
    fetch()
        .args(["--fail-with-body", &server.target()])
        .assert()
        .code(22)
        .stdout("nope")
        .stderr(one_line())
        .stderr(contains("HTTP/1.1 404 Not Found"));
    // In a file, the body is complete: it takes its name.
    let scratch = Scratch::new("fail-with-body");
    let file = scratch.path("page.html");
    let server = reply(response);
    fetch()
        .args([
            "--fail-with-body",
            "-o",
            file.to_str().unwrap(),
            &server.target(),
        ])
        .assert()
        .code(22)
        .stdout("");
    assert_eq!(scratch.names(), ["page.html"]);
    assert_eq!(fs::read(&file).unwrap(), b"nope");
    refused_with(&["--fail-with-body", "-f", "{}"], "cannot be used with");
}

#[test]
fn create_dirs_makes_the_missing_directories_of_o_and_d() {
    let scratch = Scratch::new("create-dirs");
    let file = scratch.path("a/b/page.html");
    let heads = scratch.path("c/heads.txt");
    let server = reply(ok_response(b"ok"));
    let (file_arg, heads_arg) = (file.to_str().unwrap(), heads.to_str().unwrap());
    fetch()
        .args([
            "--create-dirs",
            "-o",
            file_arg,
            "-D",
            heads_arg,
            &server.target(),
        ])
        .assert()
        .code(0);
    assert_eq!(fs::read(&file).unwrap(), b"ok");
    assert!(
        fs::read_to_string(&heads)
            .unwrap()
            .starts_with("HTTP/1.0 200 OK")
    );
    // Without it, a missing directory is exit 23 before anything is sent.
    let witness = Witness::new();
    let missing = scratch.path("x/y.html");
    fetch()
        .args(["-o", missing.to_str().unwrap(), &witness.target()])
        .assert()
        .code(23);
    witness.assert_untouched();
}

#[test]
fn upload_file_puts_the_file_under_its_name() {
    let scratch = Scratch::new("upload-file");
    let file = scratch.path("report 1.txt");
    fs::write(&file, b"line1\nline2\n").unwrap();
    let server = reply(ok_response(b"ok"));
    let url = format!("http://{}/files/", server.target());
    fetch()
        .args(["-T", file.to_str().unwrap(), &url])
        .assert()
        .code(0)
        .stdout("ok");
    let request = String::from_utf8(server.finish()).unwrap();
    assert!(
        request.starts_with("PUT /files/report%201.txt HTTP/1.0\r\n"),
        "{request}"
    );
    assert!(request.contains("\r\nContent-Length: 12\r\n"), "{request}");
    assert!(!request.contains("Content-Type"), "{request}");
    assert!(request.ends_with("\r\n\r\nline1\nline2\n"), "{request}");
}

#[test]
fn upload_file_from_stdin_has_its_length_in_http10_and_is_chunked_in_http11() {
    let server = reply(ok_response(b"ok"));
    fetch()
        .args(["-T", "-", &server.target(), "/up"])
        .write_stdin("abc\n")
        .assert()
        .code(0);
    let request = String::from_utf8(server.finish()).unwrap();
    assert!(request.starts_with("PUT /up HTTP/1.0\r\n"), "{request}");
    assert!(
        request.ends_with("Content-Length: 4\r\n\r\nabc\n"),
        "{request}"
    );

    let server = serve_raw(|mut stream| {
        let mut request = read_request(&mut stream);
        let mut byte = [0u8; 1];
        while !request.ends_with(b"\r\n0\r\n\r\n") {
            match std::io::Read::read(&mut stream, &mut byte) {
                Ok(1) => request.push(byte[0]),
                _ => break,
            }
        }
        stream.write_all(&ok_response(b"ok")).unwrap();
        request
    });
    fetch()
        .args(["--http1.1", "-T", "-", &server.target(), "/up"])
        .write_stdin("abc\n")
        .assert()
        .code(0);
    let request = String::from_utf8(server.finish()).unwrap();
    assert!(request.starts_with("PUT /up HTTP/1.1\r\n"), "{request}");
    assert!(
        request.ends_with("Transfer-Encoding: chunked\r\n\r\n4\r\nabc\n\r\n0\r\n\r\n"),
        "{request}"
    );
}

#[test]
fn proxy_user_sends_the_proxy_its_credentials() {
    let proxy = reply(ok_response(b"via proxy"));
    fetch()
        .args(["-x", &proxy.target(), "-U", "pu:pp", "http://origin.test/x"])
        .assert()
        .code(0)
        .stdout("via proxy");
    let request = String::from_utf8(proxy.finish()).unwrap();
    assert!(
        request.starts_with("GET http://origin.test/x HTTP/1.0\r\n"),
        "{request}"
    );
    assert!(
        request.contains("\r\nProxy-Authorization: Basic cHU6cHA=\r\n"),
        "{request}"
    );
}

#[test]
fn retry_connrefused_is_accepted_and_refused_connections_are_retried() {
    let port = refused_port().to_string();
    let target = format!("127.0.0.1:{port}");
    fetch()
        .args([
            "--retry",
            "1",
            "--retry-delay",
            "0",
            "--retry-connrefused",
            &target,
        ])
        .assert()
        .code(7)
        .stderr(contains("attempt 2 of 2"));
}

#[test]
fn retry_all_errors_retries_a_4xx_with_fail() {
    let responses = [
        "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok",
    ];
    let server = serve_each(2, Duration::from_secs(5), move |n, mut stream| {
        stream.write_all(responses[n].as_bytes()).unwrap();
    });
    fetch()
        .args([
            "-f",
            "--retry",
            "1",
            "--retry-delay",
            "0",
            "--retry-all-errors",
            &server.target(),
        ])
        .assert()
        .code(0)
        .stdout("ok");
    assert_eq!(count_requests(&server.finish()), 2);
    // Without it, a 404 is final.
    let server = serve_each(2, Duration::from_millis(500), move |_, mut stream| {
        stream.write_all(responses[0].as_bytes()).unwrap();
    });
    fetch()
        .args(["-f", "--retry", "1", "--retry-delay", "0", &server.target()])
        .assert()
        .code(22);
    assert_eq!(count_requests(&server.finish()), 1);
}

#[test]
fn continue_at_a_number_keeps_that_many_bytes_and_asks_for_the_rest() {
    let scratch = Scratch::new("resume-at");
    let file = scratch.path("out.bin");
    fs::write(&file, b"0123456789").unwrap();
    let server = reply(
        "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 4-9/10\r\nContent-Length: 6\r\n\r\nABCDEF",
    );
    fetch()
        .args(["-C", "4", "-o", file.to_str().unwrap(), &server.target()])
        .assert()
        .code(0)
        .stderr("");
    let request = String::from_utf8(server.finish()).unwrap();
    assert!(request.contains("\r\nRange: bytes=4-\r\n"), "{request}");
    assert_eq!(scratch.names(), ["out.bin"]);
    assert_eq!(fs::read(&file).unwrap(), b"0123ABCDEF");

    let path = file.to_str().unwrap();
    refused_with(
        &["-C", "20", "-o", path, "{}"],
        "-C 20: the file to resume holds 10 bytes",
    );
    refused_with(
        &["-C", "x1", "-o", path, "{}"],
        "-C 'x1': give a byte offset",
    );
    refused_with(&["-C", "4", "{}"], "-C resumes a file: give -o FILE or -O");
    assert_eq!(fs::read(&file).unwrap(), b"0123ABCDEF");
}

//! Complete responses: what reaches stdout, and what the server received.

use std::io::{Read, Write};
use std::process::Stdio;
use std::thread;
use std::time::{Duration, Instant};

use crate::support::*;
use predicates::prelude::*;
use predicates::str::contains;

#[test]
fn small_reply_prints_only_the_body_when_piped() {
    let server = reply(ok_response(b"hello\n"));
    fetch()
        .arg(server.target())
        .assert()
        .code(0)
        .stdout("hello\n")
        .stderr("");
    server.finish();
}

#[test]
fn request_bytes_are_exactly_the_documented_ones() {
    let server = reply(ok_response(b""));
    fetch()
        .args([server.target().as_str(), "/a/b?c=d"])
        .assert()
        .code(0);
    let expected = format!(
        "GET /a/b?c=d HTTP/1.0\r\nHost: 127.0.0.1:{}\r\nUser-Agent: {}\r\nAccept: */*\r\n\r\n",
        server.port(),
        user_agent()
    );
    assert_eq!(String::from_utf8(server.finish()).unwrap(), expected);
}

#[test]
fn url_target_sends_its_path_and_query_without_the_fragment() {
    let server = reply(ok_response(b""));
    let url = format!("http://{}/x/%41?q=1#part", server.target());
    fetch().arg(url).assert().code(0);
    let request = String::from_utf8(server.finish()).unwrap();
    assert!(
        request.starts_with("GET /x/%41?q=1 HTTP/1.0\r\n"),
        "{request}"
    );
}

#[test]
fn non_ascii_path_is_sent_percent_encoded() {
    let server = reply(ok_response(b""));
    fetch()
        .args([&server.target(), "/caf\u{e9}"])
        .assert()
        .code(0);
    let request = String::from_utf8(server.finish()).unwrap();
    assert!(
        request.starts_with("GET /caf%C3%A9 HTTP/1.0\r\n"),
        "{request}"
    );
}

#[test]
fn include_prints_the_head_exactly_as_received() {
    let response = b"HTTP/1.1 200 OK\r\nX-Odd:  spaced \r\nContent-Length: 3\r\n\r\nabc".to_vec();
    let server = reply(response.clone());
    fetch()
        .args(["-i", &server.target()])
        .assert()
        .code(0)
        .stdout(response);
    server.finish();
}

#[test]
fn error_status_still_exits_0_with_the_body() {
    let server = reply("HTTP/1.0 404 Not Found\r\nContent-Length: 4\r\n\r\ngone");
    fetch().arg(server.target()).assert().code(0).stdout("gone");
    server.finish();
}

#[test]
fn multi_mebibyte_body_arrives_byte_for_byte() {
    let body = pattern(8 << 20);
    let server = reply(ok_response(&body));
    let assert = fetch().arg(server.target()).assert().code(0).stderr("");
    assert_same_bytes(&assert.get_output().stdout, &body);
    server.finish();
}

#[test]
fn body_without_content_length_ends_when_the_peer_closes() {
    let body = pattern(3 << 20);
    let mut response =
        b"HTTP/1.0 200 OK\r\nContent-Type: application/octet-stream\r\n\r\n".to_vec();
    response.extend_from_slice(&body);
    let server = reply(response);
    let assert = fetch().arg(server.target()).assert().code(0).stderr("");
    assert_same_bytes(&assert.get_output().stdout, &body);
    server.finish();
}

#[test]
fn server_that_keeps_the_socket_open_after_content_length_does_not_stall_fetch() {
    let server = serve(|stream| {
        stream.write_all(&ok_response(b"done")).unwrap();
        hold_open(stream, Duration::from_secs(20));
    });
    let start = Instant::now();
    fetch().arg(server.target()).assert().code(0).stdout("done");
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "took {:?}",
        start.elapsed()
    );
    server.finish();
}

#[test]
fn no_content_status_ends_at_the_head_even_if_the_socket_stays_open() {
    let server = serve(|stream| {
        stream
            .write_all(b"HTTP/1.1 204 No Content\r\nContent-Length: 99\r\n\r\n")
            .unwrap();
        hold_open(stream, Duration::from_secs(20));
    });
    let start = Instant::now();
    fetch().arg(server.target()).assert().code(0).stdout("");
    assert!(start.elapsed() < Duration::from_secs(3));
    server.finish();
}

#[test]
fn interim_continue_head_is_skipped_in_body_mode_and_shown_with_include() {
    let response = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    let server = reply(response);
    fetch().arg(server.target()).assert().code(0).stdout("ok");
    server.finish();
    let server = reply(response);
    fetch()
        .args(["-i", &server.target()])
        .assert()
        .code(0)
        .stdout(response);
    server.finish();
}

#[test]
fn ipv6_loopback_target_works_and_host_header_has_brackets() {
    let server = serve_at("[::1]:0", |stream| {
        stream.write_all(&ok_response(b"six")).unwrap();
    });
    let port = server.port();
    fetch().arg(server.target()).assert().code(0).stdout("six");
    let request = String::from_utf8(server.finish()).unwrap();
    assert!(
        request.contains(&format!("\r\nHost: [::1]:{port}\r\n")),
        "{request}"
    );
}

#[test]
fn closed_stdout_pipe_ends_quietly_with_exit_0() {
    let response = ok_response(&pattern(8 << 20));
    // fetch hangs up mid-body; the server's failed write is expected.
    let server = serve(move |stream| drop(stream.write_all(&response)));
    let mut child = command()
        .arg(server.target())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 10];
    let mut stdout = child.stdout.take().unwrap();
    stdout.read_exact(&mut first).unwrap();
    drop(stdout); // like `| head -c 10`
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&output.stderr), "");
    assert_eq!(&first, &pattern(10)[..]);
    server.finish();
}

#[test]
fn on_a_terminal_the_head_is_shown_by_default() {
    let server = reply(ok_response(b"tty body"));
    let seen = on_terminal(&server.target());
    assert!(seen.starts_with("HTTP/1.0 200 OK"), "{seen:?}");
    assert!(seen.ends_with("tty body"), "{seen:?}");
    server.finish();
}

#[test]
fn large_chunked_body_arrives_byte_for_byte() {
    let body = pattern(3 << 20);
    let mut response = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for chunk in body.chunks(100_000) {
        response.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        response.extend_from_slice(chunk);
        response.extend_from_slice(b"\r\n");
    }
    response.extend_from_slice(b"0\r\n\r\n");
    let server = reply(response);
    let assert = fetch().arg(server.target()).assert().code(0).stderr("");
    assert_same_bytes(&assert.get_output().stdout, &body);
    server.finish();
}

#[test]
fn bytes_reach_a_pipe_while_the_server_pauses() {
    // The body comes after the head, so it goes through the splice path; the
    // server then pauses with most of the body still due.
    let server = serve(|stream| {
        stream
            .write_all(b"HTTP/1.0 200 OK\r\nContent-Length: 1000000\r\n\r\n")
            .unwrap();
        thread::sleep(Duration::from_millis(200));
        stream.write_all(&pattern(3000)).unwrap();
        hold_open(stream, Duration::from_secs(20));
    });
    let mut child = command()
        .arg(server.target())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let (sent, received) = std::sync::mpsc::channel();
    thread::spawn(move || {
        let mut got = vec![0u8; 3000];
        let _ = sent.send(stdout.read_exact(&mut got).map(|()| got));
    });
    let got = received.recv_timeout(Duration::from_secs(5));
    let _ = child.kill();
    let _ = child.wait();
    let got = got
        .expect("the 3000 bytes within 5 s, during the pause")
        .unwrap();
    assert_same_bytes(&got, &pattern(3000));
    server.finish();
}

#[test]
fn control_bytes_in_a_head_are_escaped_on_a_terminal() {
    // A valid head may carry obs-text, such as U+009B (CSI, a C1 control).
    let server = reply("HTTP/1.0 200 OK\r\nX-Evil: \u{9b}31mred\r\nContent-Length: 2\r\n\r\nok");
    let seen = on_terminal(&server.target());
    server.finish();
    assert!(!seen.contains('\u{9b}'), "{seen:?}");
    assert!(seen.contains("X-Evil: \\xc2\\x9b31mred"), "{seen:?}");
    assert!(seen.ends_with("ok"), "{seen:?}");

    // A malformed head is shown as it came, but escaped too: OSC 52 asks the
    // terminal to write the clipboard.
    let server = reply("HTTP/1.0 200 OK\r\nX: \x1b]52;c;aGk=\x07\r\n\r\n");
    let seen = on_terminal(&server.target());
    server.finish();
    assert!(!seen.contains('\x1b'), "{seen:?}");
    assert!(seen.contains("X: \\x1b]52;c;aGk=\\x07"), "{seen:?}");
    assert!(seen.contains("fetch: malformed response head"), "{seen:?}");
}

#[test]
fn messages_and_the_trace_show_peer_bytes_as_received_escaping_only_controls() {
    let server = reply("HTTP/1.1 404 \"Not\" Found\u{9b}\r\nContent-Length: 0\r\n\r\n");
    fetch()
        .args(["-f", "-v", &server.target()])
        .assert()
        .code(22)
        .stdout("")
        .stderr(contains("HTTP/1.1 404 \"Not\" Found\\xc2\\x9b\n"))
        .stderr(contains("HTTP/1.1 404 \"Not\" Found\\xc2\\x9b (--fail"))
        .stderr(contains("\u{9b}").not());
    server.finish();

    let server = reply("\x1b]0;owned\x07 not http");
    fetch()
        .arg(server.target())
        .assert()
        .code(8)
        .stdout("\x1b]0;owned\x07 not http")
        .stderr(contains("it starts with \"\\x1b]0;owned\\x07 not http\""));
    server.finish();
}

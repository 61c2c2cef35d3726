//! --fail, --max-size and -I against loopback servers.

use std::io::Write;
use std::time::{Duration, Instant};

use crate::support::*;
use predicates::str::contains;

#[test]
fn fail_on_404_and_500_exits_22_without_the_body() {
    for status in ["404 Not Found", "500 Internal Server Error"] {
        let server = reply(format!(
            "HTTP/1.1 {status}\r\nContent-Length: 9\r\n\r\nerror doc"
        ));
        fetch()
            .args(["--fail", &server.target()])
            .assert()
            .code(22)
            .stdout("")
            .stderr(contains(format!(
                "HTTP error from {} after ",
                server.target()
            )))
            .stderr(contains(format!("s: HTTP/1.1 {status} (--fail")));
        server.finish();
    }
}

#[test]
fn fail_with_include_shows_the_head_but_not_the_body() {
    let head = "HTTP/1.0 403 Forbidden\r\nContent-Length: 4\r\n\r\n";
    let server = reply(format!("{head}nope"));
    fetch()
        .args(["-f", "-i", &server.target()])
        .assert()
        .code(22)
        .stdout(head);
    server.finish();
}

#[test]
fn fail_lets_success_through() {
    let server = reply(ok_response(b"fine"));
    fetch()
        .args(["-f", &server.target()])
        .assert()
        .code(0)
        .stdout("fine");
    server.finish();
}

#[test]
fn max_size_stops_an_endless_body_at_exactly_the_limit() {
    let server = serve(|stream| {
        stream.write_all(b"HTTP/1.0 200 OK\r\n\r\n").unwrap();
        let block = pattern(64 * 1024);
        // Until fetch hangs up; bounded so a broken fetch cannot hang the test.
        for _ in 0..100_000 {
            if stream.write_all(&block).is_err() {
                break;
            }
        }
    });
    let start = Instant::now();
    let assert = fetch()
        .args(["--max-size", "100k", &server.target()])
        .assert()
        .code(63)
        .stderr(contains(
            "grew past --max-size 102400: stopped after writing 102400 bytes",
        ));
    assert_eq!(assert.get_output().stdout.len(), 102_400);
    assert!(start.elapsed() < Duration::from_secs(3));
    server.finish();
}

#[test]
fn max_size_refuses_an_announced_length_over_the_limit_before_writing() {
    let server = reply(ok_response(&pattern(2000)));
    fetch()
        .args(["--max-size", "1k", &server.target()])
        .assert()
        .code(63)
        .stdout("")
        .stderr(contains(
            "announces 2000 body bytes, more than --max-size 1024",
        ));
    server.finish();
}

#[test]
fn max_size_equal_to_the_body_is_fine() {
    let server = reply(ok_response(b"12345"));
    fetch()
        .args(["--max-size", "5", &server.target()])
        .assert()
        .code(0)
        .stdout("12345");
    server.finish();
}

#[test]
fn max_size_counts_decoded_chunked_bytes() {
    let server = reply(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n4\r\nefgh\r\n0\r\n\r\n",
    );
    fetch()
        .args(["--max-size", "6", &server.target()])
        .assert()
        .code(63)
        .stdout("abcdef");
    server.finish();
}

#[test]
fn head_flag_sends_head_and_prints_the_head_promptly() {
    let head = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n";
    let server = serve(move |stream| {
        stream.write_all(head.as_bytes()).unwrap();
        hold_open(stream, Duration::from_secs(20));
    });
    let start = Instant::now();
    fetch()
        .args(["-I", &server.target()])
        .assert()
        .code(0)
        .stdout(head);
    assert!(start.elapsed() < Duration::from_secs(3));
    let request = String::from_utf8(server.finish()).unwrap();
    assert!(request.starts_with("HEAD / HTTP/1.0\r\n"), "{request}");
}

#[test]
fn head_with_data_is_a_usage_error() {
    let witness = Witness::new();
    fails(
        &["-I", "-d", "x", &witness.target()],
        2,
        "cannot be used with",
    );
    witness.assert_untouched();
}

#[test]
fn dump_header_writes_every_head_to_its_file() {
    let dir = Scratch::new("dump-header");
    let first = "HTTP/1.1 302 Found\r\nLocation: /next\r\nContent-Length: 0\r\n\r\n";
    let last = "HTTP/1.0 200 OK\r\nContent-Length: 4\r\n\r\n";
    let server = serve_each(
        2,
        std::time::Duration::from_secs(5),
        move |n, mut stream| {
            let response = if n == 0 {
                first.to_string()
            } else {
                format!("{last}body")
            };
            std::io::Write::write_all(&mut stream, response.as_bytes()).unwrap();
        },
    );
    let heads = dir.path("heads.txt");
    fetch()
        .args(["-L", "-D", heads.to_str().unwrap(), &server.target()])
        .assert()
        .code(0)
        .stdout("body");
    server.finish();
    assert_eq!(
        std::fs::read_to_string(&heads).unwrap(),
        format!("{first}{last}")
    );

    // '-' is standard output: the head, then the body.
    let server = reply(format!("{last}body"));
    fetch()
        .args(["-D", "-", &server.target()])
        .assert()
        .code(0)
        .stdout(format!("{last}body"));
    server.finish();
}

#[test]
fn an_unwritable_dump_header_file_is_23_before_connecting() {
    let witness = Witness::new();
    fails(
        &["-D", "/nonexistent/dir/heads.txt", &witness.target()],
        23,
        "cannot write '/nonexistent/dir/heads.txt'",
    );
    witness.assert_untouched();
}

/// curl tests 266, 1116 and 1417: the trailer of a chunked body follows the
/// body with -i, and goes to -D's file after the head; -w describes the head.
#[test]
fn chunked_trailers_follow_the_body_with_i_and_go_to_the_dump_file() {
    let head = "HTTP/1.1 200 funky chunky!\r\nTransfer-Encoding: chunked\r\nTrailer: chunky-trailer\r\n\r\n";
    let body =
        "4\r\naaaa\r\n3;ext=1\r\nbbb\r\n0\r\nchunky-trailer: header data\r\nsecond: 2\r\n\r\n";
    let server = reply(format!("{head}{body}"));
    let dir = Scratch::new("trailers");
    let dump = dir.path("heads");
    fetch()
        .args([
            "-i",
            "-D",
            dump.to_str().unwrap(),
            "-w",
            "[%header{chunky-trailer}]",
        ])
        .arg(server.target())
        .assert()
        .code(0)
        .stdout(format!(
            "{head}aaaabbbchunky-trailer: header data\r\nsecond: 2\r\n[]"
        ));
    server.finish();
    assert_eq!(
        std::fs::read_to_string(&dump).unwrap(),
        format!("{head}chunky-trailer: header data\r\nsecond: 2\r\n")
    );
}

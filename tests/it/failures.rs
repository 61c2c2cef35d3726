//! Every way a fetch can fail on the wire: exit code, what still reached stdout,
//! and the one line on stderr. Timeouts are checked with generous bounds only.

use std::io::Write;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::support::*;
use predicates::str::contains;

/// Runs `f`, which waits on a 1 s limit, and checks it ended between 0.8 s and 3 s.
fn takes_about_one_second(f: impl FnOnce()) {
    let start = Instant::now();
    f();
    within(start, 0.8, 3.0);
}

#[test]
fn refused_port_exits_7_saying_nothing_listens() {
    let port = refused_port();
    fetch()
        .arg(format!("127.0.0.1:{port}"))
        .assert()
        .code(7)
        .stdout("")
        .stderr(one_line())
        .stderr(contains(format!(
            "could not connect to 127.0.0.1:{port} after"
        )))
        .stderr(contains("connection refused"))
        .stderr(contains("nothing is listening on that port"));
}

#[test]
fn unresolvable_name_exits_6() {
    fails(
        &["no-such-host.invalid:8080"],
        6,
        "could not resolve host no-such-host.invalid",
    );
}

#[test]
fn unanswered_connect_exits_28_after_the_connect_timeout() {
    let hole = blackhole();
    takes_about_one_second(|| {
        fetch()
            .args(["--connect-timeout", "1", &hole.addr.to_string()])
            .assert()
            .code(28)
            .stdout("")
            .stderr(one_line())
            .stderr(contains(format!("connect timed out to {}", hole.addr)))
            .stderr(contains(
                "packets dropped by a firewall, or the host is down",
            ));
    });
}

#[test]
fn silent_server_exits_29_after_the_read_timeout() {
    let server = serve(|stream| hold_open(stream, Duration::from_secs(10)));
    takes_about_one_second(|| {
        fetch()
            .args(["--read-timeout", "1", &server.target()])
            .assert()
            .code(29)
            .stdout("")
            .stderr(one_line())
            .stderr(contains(format!("no response from {}", server.target())))
            .stderr(contains(
                "the server accepted the connection but did not answer within 1.00s",
            ));
    });
    server.finish();
}

#[test]
fn max_time_ends_a_slow_response_with_29_keeping_what_arrived() {
    let server = serve(|stream| {
        stream
            .write_all(b"HTTP/1.0 200 OK\r\nContent-Length: 100\r\n\r\npart")
            .unwrap();
        hold_open(stream, Duration::from_secs(10));
    });
    takes_about_one_second(|| {
        fetch()
            .args(["--max-time", "1", &server.target()])
            .assert()
            .code(29)
            .stdout("part")
            .stderr(one_line())
            .stderr(contains("--max-time 1.00s ran out"));
    });
    server.finish();
}

#[test]
fn stalled_body_exits_29_keeping_the_bytes_before_the_stall() {
    let server = serve(|stream| {
        stream
            .write_all(b"HTTP/1.0 200 OK\r\nContent-Length: 100\r\n\r\nfirst")
            .unwrap();
        hold_open(stream, Duration::from_secs(10));
    });
    fetch()
        .args(["--read-timeout", "500ms", &server.target()])
        .assert()
        .code(29)
        .stdout("first")
        .stderr(contains("stalled after"))
        .stderr(contains("nothing more arrived within 500ms"));
    server.finish();
}

#[test]
fn close_without_a_byte_exits_52() {
    let server = serve(|_stream| {});
    fails(
        &[&server.target()],
        52,
        &format!("empty reply from {}", server.target()),
    );
    server.finish();
}

#[test]
fn reset_before_any_byte_exits_56() {
    let server = serve_raw(|mut stream| {
        let request = read_request(&mut stream);
        reset(stream);
        request
    });
    fetch()
        .arg(server.target())
        .assert()
        .code(56)
        .stdout("")
        .stderr(one_line())
        .stderr(contains("reset by the peer"))
        .stderr(contains(", nothing received: the server aborted"));
    server.finish();
}

#[test]
fn reset_mid_body_keeps_received_bytes() {
    let head = b"HTTP/1.0 200 OK\r\nContent-Length: 1000000\r\n\r\n";
    let body = pattern(3000);
    let (sent_head, sent_body) = (head.to_vec(), body.clone());
    let (go, resume) = go_signal();
    let server = serve_raw(move |mut stream| {
        let request = read_request(&mut stream);
        stream.write_all(&sent_head).unwrap();
        stream.write_all(&sent_body).unwrap();
        resume.wait();
        reset(stream);
        request
    });
    let mut running = spawn_fetch(&[&server.target()]);
    running.wait_for_stdout(body.len());
    go.send(()).unwrap();
    let (code, stdout, stderr) = running.finish();
    assert_eq!(code, Some(56), "{stderr}");
    assert!(
        stderr.contains(&format!(
            ", the head and {} body bytes received:",
            body.len()
        )),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert_same_bytes(&stdout, &body);
    server.finish();
}

#[test]
fn close_before_content_length_exits_18_with_the_partial_body() {
    let server = reply("HTTP/1.0 200 OK\r\nContent-Length: 10\r\n\r\n12345");
    fetch()
        .arg(server.target())
        .assert()
        .code(18)
        .stdout("12345")
        .stderr(one_line())
        .stderr(contains("ended after 5 of 10 body bytes"));
    server.finish();
}

#[test]
fn non_http_reply_exits_8_at_once_and_shows_what_came() {
    let server = serve(|stream| {
        stream.write_all(b"SSH-2.0-OpenSSH_9.2\r\n").unwrap();
        hold_open(stream, Duration::from_secs(10));
    });
    let start = Instant::now();
    fetch()
        .arg(server.target())
        .assert()
        .code(8)
        .stdout("SSH-2.0-OpenSSH_9.2\r\n")
        .stderr(one_line())
        .stderr(contains(
            r#"is not HTTP: it starts with "SSH-2.0-OpenSSH_9.2\r\n""#,
        ));
    assert!(start.elapsed() < Duration::from_secs(3));
    server.finish();
}

#[test]
fn malformed_head_exits_8() {
    let server = reply("HTTP/1.0 200 OK\r\nBad Header: x\r\n\r\nbody");
    fetch()
        .args(["--body", &server.target()])
        .assert()
        .code(8)
        .stdout("HTTP/1.0 200 OK\r\nBad Header: x\r\n\r\nbody")
        .stderr(one_line())
        .stderr(contains("malformed response head"));
    server.finish();
}

#[test]
fn conflicting_content_lengths_exit_8() {
    let server = reply("HTTP/1.0 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd");
    fetch()
        .arg(server.target())
        .assert()
        .code(8)
        .stdout("HTTP/1.0 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd")
        .stderr(contains("conflicting Content-Length values"));
    server.finish();
}

#[test]
fn head_over_64_kib_exits_8() {
    let mut response = b"HTTP/1.0 200 OK\r\n".to_vec();
    for i in 0..2000 {
        response.extend_from_slice(format!("X-Filler-{i}: {}\r\n", "v".repeat(40)).as_bytes());
    }
    response.extend_from_slice(b"\r\nbody");
    let sent = response.clone();
    let server = serve(move |stream| drop(stream.write_all(&sent)));
    let assert = fetch()
        .arg(server.target())
        .assert()
        .code(8)
        .stderr(contains("no end of the head within 64 KiB"));
    server.finish();
    // What was read before the limit tripped is shown, and nothing else.
    let shown = &assert.get_output().stdout;
    assert!(
        shown.len() > 64 * 1024 && shown.len() <= 68 * 1024,
        "{}",
        shown.len()
    );
    assert_same_bytes(shown, &response[..shown.len()]);
}

#[test]
fn close_inside_the_head_exits_8_and_keeps_the_bytes() {
    let server = reply("HTTP/1.0 200 OK\r\nContent-Le");
    fetch()
        .arg(server.target())
        .assert()
        .code(8)
        .stdout("HTTP/1.0 200 OK\r\nContent-Le")
        .stderr(contains("closed after 27 bytes, inside the head"));
    server.finish();
}

/// /dev/full is Linux's.
#[cfg(target_os = "linux")]
#[test]
fn unwritable_output_exits_23() {
    let server = reply(ok_response(b"hello"));
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full");
    let output = command()
        .arg(server.target())
        .stdin(Stdio::null())
        .stdout(Stdio::from(full))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(23));
    let stderr = String::from_utf8_lossy(&output.stderr);
    // With its time, as every message has, and no "(os error 28)" beside
    // fetch's own exit codes.
    let line = stderr.strip_prefix("fetch: writing the output failed after ");
    let rest = line.and_then(|l| l.split_once("s: ")).map(|(_, rest)| rest);
    assert_eq!(rest, Some("No space left on device\n"), "{stderr}");
    server.finish();
    // -v keeps the system's number, for whoever wants it.
    let server = reply(ok_response(b"hello"));
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full");
    let output = command()
        .args(["-v", &server.target()])
        .stdout(Stdio::from(full.expect("/dev/full")))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(23));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("No space left on device (os error 28)\n"),
        "{stderr}"
    );
    server.finish();
}

#[test]
fn reset_while_the_request_body_is_still_being_sent_exits_55() {
    // 32 MiB cannot fit in loopback socket buffers, so fetch is still writing
    // when the RST comes, and no reply follows it.
    let dir = std::env::temp_dir().join(format!("fetch-55-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("big.bin");
    std::fs::write(&file, vec![b'x'; 32 << 20]).unwrap();
    let server = serve_raw(|mut stream| {
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n")
            && std::io::Read::read(&mut stream, &mut byte).unwrap_or(0) == 1
        {
            head.push(byte[0]);
        }
        reset(stream);
        head
    });
    let assert = fetch()
        .args(["-d", &format!("@{}", file.display()), &server.target()])
        .args(["-w", "%{json}"])
        .assert()
        .code(55)
        .stderr(one_line())
        .stderr(contains(format!(
            "sending the request to {} failed",
            server.target()
        )));
    let json = json_ending(&assert.get_output().stdout);
    assert_eq!(
        (&json["exitcode"], &json["error_kind"]),
        (&55.into(), &"send".into())
    );
    let head = String::from_utf8(server.finish()).unwrap();
    assert!(head.contains("Content-Length: 33554432\r\n"), "{head}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn chunked_stream_closed_mid_chunk_exits_18_with_the_decoded_bytes() {
    let server =
        reply("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n8\r\ndefg");
    fetch()
        .arg(server.target())
        .assert()
        .code(18)
        .stdout("abcdefg")
        .stderr(one_line())
        .stderr(contains("ended after 7 body bytes"))
        .stderr(contains("before its last chunk"));
    server.finish();
}

#[test]
fn malformed_chunk_exits_8_keeping_the_bytes_before_it() {
    let server = reply("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\nzz\r\n");
    fetch()
        .arg(server.target())
        .assert()
        .code(8)
        .stdout("abc")
        .stderr(one_line())
        .stderr(contains("malformed chunked body"))
        .stderr(contains("after 3 body bytes"));
    server.finish();
}

/// Every way a head can fail after some of it came: the bytes that arrived are on
/// stdout, byte for byte, and in FILE.part with -o.
#[test]
fn every_head_failure_writes_exactly_what_arrived() {
    let part_head = "HTTP/1.0 200 OK\r\nX-Partial: ";
    type Ending = fn(std::net::TcpStream);
    let endings: [(i32, Ending); 3] = [
        (8, drop),                                                // closed inside the head
        (56, reset),                                              // reset inside the head
        (29, |mut s| hold_open(&mut s, Duration::from_secs(10))), // silent inside it
    ];
    for (code, ending) in endings {
        for to_file in [false, true] {
            let server = serve_raw(move |mut stream| {
                let request = read_request(&mut stream);
                stream.write_all(part_head.as_bytes()).unwrap();
                ending(stream);
                request
            });
            let dir = Scratch::new(&format!("head-fail-{code}-{to_file}"));
            let file = dir.path("out");
            let mut args = vec!["--read-timeout", "500ms"];
            if to_file {
                args.extend(["-o", file.to_str().unwrap()]);
            }
            let target = server.target();
            args.push(&target);
            let (exit, stdout, stderr) = spawn_fetch(&args).finish();
            server.finish();
            assert_eq!(exit, Some(code), "{stderr}");
            let shown = if to_file {
                let kept = format!("the {} bytes written are in", part_head.len());
                assert!(stderr.contains(&kept), "{stderr}");
                std::fs::read(dir.path("out.part")).unwrap()
            } else {
                stdout
            };
            assert_eq!(
                String::from_utf8_lossy(&shown),
                part_head,
                "exit {code}, -o {to_file}"
            );
        }
    }
}

#[test]
fn a_machine_out_of_descriptors_is_exit_1_naming_what_failed() {
    // stdin, stdout, stderr, and fetch's copies of stderr and stdout: the socket
    // is the first thing that cannot be had.
    let port = refused_port();
    fetch_after("exec </dev/null; ulimit -n 5")
        .arg(format!("127.0.0.1:{port}"))
        .assert()
        .code(1)
        .stdout("")
        .stderr(one_line())
        .stderr(format!(
            "fetch: unexpected local failure: creating a socket for 127.0.0.1:{port}: Too many open files (os error 24)\n"
        ));
}

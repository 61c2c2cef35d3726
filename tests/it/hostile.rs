//! Peers that misbehave on purpose: whatever they send, fetch must end within its
//! limits, in bounded memory, with the exit code that says what happened.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::support::*;
use predicates::prelude::*;
use predicates::str::contains;

/// Sends `bytes`, then one `x` every 200 ms until the peer goes away.
fn trickle(stream: &mut std::net::TcpStream, bytes: &[u8]) {
    if stream.write_all(bytes).is_err() {
        return;
    }
    while stream.write_all(b"x").is_ok() {
        thread::sleep(Duration::from_millis(200));
    }
}

/// Sends `first`, then `filler` over and over until the peer goes away.
fn endless(stream: &mut std::net::TcpStream, first: &[u8], filler: &[u8]) {
    if stream.write_all(first).is_err() {
        return;
    }
    while stream.write_all(filler).is_ok() {}
}

/// Runs fetch with stdout discarded, sampling its peak RSS (VmHWM) as it runs
/// (on Linux; elsewhere the peak is 0).
/// Returns the exit code, stderr and the highest peak seen, in KiB.
fn run_measured(args: &[&str]) -> (Option<i32>, String, u64) {
    let mut child = command()
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start fetch");
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        let status = std::fs::read_to_string(&status_file).unwrap_or_default();
        if let Some(kib) = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
        {
            peak = peak.max(kib);
        }
        thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    let _ = child.stderr.take().unwrap().read_to_string(&mut stderr);
    (status.code(), stderr, peak)
}

/// Peak RSS of a debug build streaming for a second; a leak of one buffer per read
/// would pass it within that second.
const FLAT_KIB: u64 = 16 * 1024;

#[test]
fn trickled_body_is_ended_by_max_time_with_29() {
    let server = serve(|s| trickle(s, b"HTTP/1.0 200 OK\r\n\r\n"));
    let start = Instant::now();
    let assert = fetch()
        .args(["--max-time", "1", &server.target()])
        .assert()
        .code(29)
        .stderr(contains("--max-time"));
    within(start, 0.8, 3.0);
    let out = &assert.get_output().stdout;
    assert!(!out.is_empty() && out.iter().all(|&b| b == b'x'), "{out:?}");
    server.finish();
}

#[test]
fn trickled_head_is_ended_by_max_time_with_29() {
    let server = serve(|s| trickle(s, b"HTTP/1.0 200 OK\r\nX-Slow: "));
    let start = Instant::now();
    let assert = fetch()
        .args(["--max-time", "1", &server.target()])
        .assert()
        .code(29);
    within(start, 0.8, 3.0);
    // The head so far is shown: its start and the trickled bytes.
    let shown = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    let trickled = shown.strip_prefix("HTTP/1.0 200 OK\r\nX-Slow: ").unwrap();
    assert!(
        !trickled.is_empty() && trickled.bytes().all(|b| b == b'x'),
        "{shown:?}"
    );
    server.finish();
}

#[test]
fn trickled_body_is_ended_by_max_size_with_63() {
    let server = serve(|s| trickle(s, b"HTTP/1.0 200 OK\r\n\r\n"));
    fetch()
        .args(["--max-size", "3", &server.target()])
        .assert()
        .code(63)
        .stdout("xxx");
    server.finish();
}

#[test]
fn endless_head_stops_at_64_kib_with_8_in_bounded_memory() {
    let server = serve(|s| endless(s, b"HTTP/1.0 200 OK\r\n", b"X-Filler: aaaaaaaaaaaaaaaa\r\n"));
    let (code, stderr, peak) = run_measured(&[&server.target()]);
    assert_eq!(code, Some(8), "{stderr}");
    assert!(stderr.contains("64 KiB"), "{stderr}");
    assert_flat(peak);
    server.finish();
}

/// The peak RSS stayed flat: on Linux, where /proc shows it (and it was seen).
fn assert_flat(peak: u64) {
    if cfg!(target_os = "linux") {
        assert!(peak > 0, "no peak RSS read from /proc");
        assert!(peak < FLAT_KIB, "peak RSS {peak} KiB");
    }
}

#[test]
fn endless_body_runs_until_max_time_in_flat_memory() {
    let block = pattern(64 * 1024);
    let server = serve(move |s| endless(s, b"HTTP/1.0 200 OK\r\n\r\n", &block));
    let start = Instant::now();
    let (code, stderr, peak) = run_measured(&["--max-time", "1", &server.target()]);
    within(start, 0.8, 3.0);
    assert_eq!(code, Some(29), "{stderr}");
    assert_flat(peak);
    server.finish();
}

#[test]
fn endless_body_stops_at_max_size_with_exactly_the_limit() {
    let block = pattern(64 * 1024);
    let server = serve(move |s| endless(s, b"HTTP/1.0 200 OK\r\n\r\n", &block));
    let assert = fetch()
        .args(["--max-size", "5M", &server.target()])
        .assert()
        .code(63);
    let out = &assert.get_output().stdout;
    assert_eq!(out.len(), 5 << 20);
    assert_same_bytes(&out[..64 * 1024], &pattern(64 * 1024));
    server.finish();
}

#[test]
fn content_length_of_2_pow_64_minus_1_is_taken_at_its_word() {
    let server = reply("HTTP/1.0 200 OK\r\nContent-Length: 18446744073709551615\r\n\r\nonly this");
    fetch()
        .arg(server.target())
        .assert()
        .code(18)
        .stdout("only this")
        .stderr(contains("after 9 of 18446744073709551615 body bytes"));
    server.finish();

    let server = reply("HTTP/1.0 200 OK\r\nContent-Length: 18446744073709551615\r\n\r\nx");
    fetch()
        .args(["--max-size", "1G", &server.target()])
        .assert()
        .code(63)
        .stdout("");
    server.finish();
}

#[test]
fn invalid_content_lengths_exit_8_and_spaces_around_one_are_fine() {
    for value in [
        "18446744073709551616", // 2^64
        "-1",
        "+5",
        "5 5",
        "0x10",
        "",
        "5, 6",
    ] {
        let response = format!("HTTP/1.0 200 OK\r\nContent-Length: {value}\r\n\r\nhello");
        let server = reply(response.clone());
        fetch()
            .arg(server.target())
            .assert()
            .code(8)
            .stdout(response)
            .stderr(contains("Content-Length"));
        server.finish();
    }
    let server = reply("HTTP/1.0 200 OK\r\nContent-Length:   5  \r\n\r\nhello, and more");
    fetch()
        .arg(server.target())
        .assert()
        .code(0)
        .stdout("hello");
    server.finish();
    let response = "HTTP/1.0 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!";
    let server = reply(response);
    fetch()
        .arg(server.target())
        .assert()
        .code(8)
        .stdout(response);
    server.finish();
}

#[test]
fn head_that_turns_into_random_bytes_exits_8_and_shows_them() {
    let mut garbage = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n".to_vec();
    garbage.extend((0..2000u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8));
    let sent = garbage.clone();
    let server = reply(garbage);
    let assert = fetch().arg(server.target()).assert().code(8);
    assert_same_bytes(&assert.get_output().stdout, &sent);
    server.finish();
}

#[test]
fn body_of_random_bytes_after_a_valid_head_passes_through_unchanged() {
    let body: Vec<u8> = (0..100_000u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 11) as u8)
        .collect();
    let server = reply(ok_response(&body));
    let assert = fetch().arg(server.target()).assert().code(0);
    assert_same_bytes(&assert.get_output().stdout, &body);
    server.finish();
}

#[test]
fn odd_status_lines_and_header_names() {
    // NUL in a header name, a status out of range either way: not HTTP we can trust.
    for head in [
        "HTTP/1.0 200 OK\r\nX-\0Bad: 1\r\n\r\n",
        "HTTP/1.0 600 Beyond\r\n\r\n",
        "HTTP/1.0 099 Below\r\n\r\n",
        "HTTP/1.0 20 Short\r\n\r\n",
    ] {
        let server = reply(format!("{head}body"));
        fetch()
            .arg(server.target())
            .assert()
            .code(8)
            .stdout(format!("{head}body"))
            .stderr(contains("malformed").or(contains("out of range")));
        server.finish();
    }
    // No reason phrase is allowed (RFC 9112: the reason may be empty).
    let server = reply("HTTP/1.0 200 \r\n\r\nbody");
    fetch().arg(server.target()).assert().code(0).stdout("body");
    server.finish();
    let server = reply("HTTP/1.0 404\r\n\r\nbody");
    fetch().arg(server.target()).assert().code(0).stdout("body");
    server.finish();
}

#[test]
fn reset_right_after_accept_exits_56_or_55() {
    // Whether the RST or our request goes first is a race on the wire: the send
    // fails (55) or the read does (56). Both say the peer reset; neither is 0.
    let server = serve_raw(|stream| {
        reset(stream);
        Vec::new()
    });
    let assert = fetch().arg(server.target()).assert();
    let code = assert.get_output().status.code();
    assert!(matches!(code, Some(55 | 56)), "{code:?}");
    assert_eq!(assert.get_output().stdout, b"");
    server.finish();
}

#[test]
fn reset_after_reading_half_the_request_exits_56() {
    let server = serve_raw(|mut stream| {
        let mut half = [0u8; 20];
        stream.read_exact(&mut half).unwrap();
        reset(stream);
        half.to_vec()
    });
    fails(&[&server.target()], 56, "reset");
    assert_eq!(server.finish(), b"GET / HTTP/1.0\r\nHost");
}

#[test]
fn reset_after_the_head_exits_56_and_shows_the_head_with_include() {
    let head = "HTTP/1.0 200 OK\r\nContent-Length: 1000\r\n\r\n";
    let (go, resume) = go_signal();
    let server = serve(move |stream| {
        stream.write_all(head.as_bytes()).unwrap();
        resume.wait();
        reset(stream.try_clone().unwrap());
    });
    let mut running = spawn_fetch(&["-i", &server.target()]);
    running.wait_for_stdout(head.len());
    go.send(()).unwrap();
    let (code, stdout, stderr) = running.finish();
    assert_eq!(code, Some(56), "{stderr}");
    assert_eq!(String::from_utf8_lossy(&stdout), head);
    server.finish();
}

#[test]
fn reset_mid_chunk_exits_56_with_the_decoded_bytes() {
    let (go, resume) = go_signal();
    let server = serve(move |stream| {
        stream
            .write_all(
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\na\r\n01234",
            )
            .unwrap();
        resume.wait();
        reset(stream.try_clone().unwrap());
    });
    let mut running = spawn_fetch(&[&server.target()]);
    running.wait_for_stdout("hello01234".len());
    go.send(()).unwrap();
    let (code, stdout, stderr) = running.finish();
    assert_eq!(code, Some(56), "{stderr}");
    assert_eq!(stdout, b"hello01234");
    server.finish();
}

#[test]
fn peer_that_half_closes_at_once_gets_the_whole_request_and_fetch_exits_52() {
    let server = serve_raw(|mut stream| {
        stream.shutdown(Shutdown::Write).unwrap();
        read_request(&mut stream)
    });
    fails(&[&server.target()], 52, "empty reply");
    let request = server.finish();
    assert!(request.starts_with(b"GET / HTTP/1.0\r\n") && request.ends_with(b"\r\n\r\n"));
}

#[test]
fn a_thousand_fetches_in_a_row_are_all_exact() {
    const RUNS: usize = 1000;
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let target = listener.local_addr().unwrap().to_string();
    // Each connection: read the request, answer, then wait for fetch to close
    // first: a connection fetch left open would stall this server and fail the test.
    let server = thread::spawn(move || {
        for n in 0..RUNS {
            let (mut stream, _) = listener.accept().unwrap();
            read_request(&mut stream);
            stream
                .write_all(&ok_response(format!("reply {n}\n").as_bytes()))
                .unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(5)))
                .unwrap();
            let mut rest = [0u8; 16];
            assert_eq!(stream.read(&mut rest).unwrap(), 0, "fetch closed");
        }
    });
    for n in 0..RUNS {
        let output = command()
            .arg(&target)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "run {n}: {:?}", output);
        assert_eq!(output.stdout, format!("reply {n}\n").as_bytes(), "run {n}");
        assert_eq!(output.stderr, b"", "run {n}");
    }
    server.join().unwrap();
}

#[test]
fn obsolete_line_folding_in_a_head_is_accepted() {
    // RFC 9112, 5.2: a recipient of a response MUST accept a folded header line.
    let head =
        "HTTP/1.1 200 OK\r\nX-Long: first\r\n  second\r\n\tthird\r\nContent-Length: 5\r\n\r\n";
    let server = reply(format!("{head}hello"));
    fetch()
        .args(["-i", &server.target()])
        .assert()
        .code(0)
        .stdout(format!("{head}hello"))
        .stderr("");
    server.finish();
}

#[test]
fn unknown_transfer_coding_exits_61_at_once_naming_it() {
    for coding in ["gzip", "identityx", "chunked, gzip"] {
        let head = format!("HTTP/1.1 200 OK\r\nTransfer-Encoding: {coding}\r\n\r\n");
        let sent = head.clone();
        let server = serve(move |stream| {
            stream.write_all(sent.as_bytes()).unwrap();
            stream.write_all(b"\x1f\x8b coded bytes").unwrap();
            hold_open(stream, Duration::from_secs(10));
        });
        let start = Instant::now();
        fetch()
            .args(["-i", &server.target()])
            .assert()
            .code(61)
            .stdout(head)
            .stderr(contains(format!(
                "unsupported Transfer-Encoding '{coding}'"
            )));
        within(start, 0.0, 3.0);
        server.finish();
    }
}

#[test]
fn nul_in_a_chunked_trailer_exits_8_keeping_the_body() {
    let server = reply(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\nX-T: a\0b\r\n\r\n",
    );
    fetch()
        .arg(server.target())
        .assert()
        .code(8)
        .stdout("hi")
        .stderr(contains("malformed chunked body"))
        .stderr(contains("trailer"));
    server.finish();
}

#[test]
fn content_length_too_large_to_represent_is_over_any_max_size() {
    // curl test 393: a Content-Length past 2^64-1 with a size limit exits 63.
    let server = reply("HTTP/1.0 200 OK\r\nContent-Length: 18446744073709551616\r\n\r\nx");
    fails(
        &["--max-size", "1G", &server.target()],
        63,
        "more than --max-size 1073741824",
    );
    server.finish();
}

/// A request body large enough to fill both sockets' buffers on loopback.
fn big_upload(dir: &Scratch) -> String {
    let file = dir.path("upload.bin");
    std::fs::write(&file, pattern(32 << 20)).unwrap();
    format!("@{}", file.display())
}

#[test]
fn a_server_that_never_reads_the_request_is_a_timeout_29() {
    let dir = Scratch::new("send-stall");
    let upload = big_upload(&dir);
    let (done, wait_done) = std::sync::mpsc::channel::<()>();
    let server = serve_raw(move |_stream| {
        let _ = wait_done.recv_timeout(Duration::from_secs(20));
        Vec::new()
    });
    let start = Instant::now();
    fetch()
        .args([
            "--read-timeout",
            "1",
            "--data-binary",
            &upload,
            &server.target(),
        ])
        .assert()
        .code(29)
        .stdout("")
        .stderr(contains(format!(
            "sending the request to {} stalled after",
            server.target()
        )))
        .stderr(predicate::str::is_match(r"after \d+ of 33554\d\d\d bytes").unwrap())
        .stderr(contains("the server took nothing more for 1.00s"));
    within(start, 0.8, 3.0);
    done.send(()).unwrap();
    server.finish();
}

#[test]
fn max_time_holds_against_a_server_that_reads_the_request_slowly() {
    let dir = Scratch::new("send-slow");
    let upload = big_upload(&dir);
    let (done, wait_done) = std::sync::mpsc::channel::<()>();
    let server = serve_raw(move |mut stream| {
        let mut sip = [0u8; 4096];
        // Takes 4 KiB every 20 ms: always some progress, never the whole request.
        while wait_done.recv_timeout(Duration::from_millis(20)).is_err() {
            if !matches!(stream.read(&mut sip), Ok(n) if n > 0) {
                break;
            }
        }
        Vec::new()
    });
    let start = Instant::now();
    fails(
        &[
            "--max-time",
            "1",
            "--data-binary",
            &upload,
            &server.target(),
        ],
        29,
        "--max-time 1.00s ran out sending the request",
    );
    within(start, 0.8, 3.0);
    done.send(()).unwrap();
    server.finish();
}

#[test]
fn max_time_holds_while_the_reader_of_stdout_takes_nothing() {
    let body = pattern(8 << 20);
    let sent = body.clone();
    let server = serve(move |stream| {
        let _ = stream.write_all(&ok_response(&sent));
    });
    let mut child = command()
        .args(["--max-time", "1", &server.target()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start fetch");
    // Nobody reads stdout until fetch has ended.
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > Duration::from_secs(5) {
            let _ = child.kill();
            panic!("fetch was still waiting for its output after 5 s");
        }
        thread::sleep(Duration::from_millis(10));
    };
    within(start, 0.8, 3.0);
    let mut got = Vec::new();
    child.stdout.take().unwrap().read_to_end(&mut got).unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert_eq!(status.code(), Some(29), "{stderr}");
    assert!(
        !got.is_empty() && got.len() < body.len(),
        "{} bytes",
        got.len()
    );
    assert_same_bytes(&got, &body[..got.len()]);
    assert_eq!(
        stderr,
        "fetch: --max-time 1.00s ran out while the output was not taking bytes: whatever reads fetch's output stopped reading\n"
    );
    server.finish();
}

#[test]
fn max_time_holds_while_no_one_opens_a_named_pipe() {
    let dir = Scratch::new("fifo-noreader");
    let fifo = dir.path("pipe");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let witness = Witness::new();
    let start = Instant::now();
    fetch()
        .args([
            "--max-time",
            "1",
            "-o",
            fifo.to_str().unwrap(),
            &witness.target(),
        ])
        .assert()
        .code(29)
        .stdout("")
        .stderr(format!(
            "fetch: --max-time 1.00s ran out while waiting for a reader to open {}\n",
            fifo.display()
        ));
    within(start, 0.8, 3.0);
    // The output is opened before anything is sent.
    witness.assert_untouched();
}

#[test]
fn a_bad_chunk_size_byte_is_shown_as_received_not_as_a_rust_char() {
    let server = reply("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\u{e9}\r\n");
    fetch()
        .arg(server.target())
        .assert()
        .code(8)
        .stdout("")
        .stderr(one_line())
        .stderr(predicates::str::contains(
            "chunk size expected, found '\\xc3'",
        ));
    server.finish();
}

//! --retry: which failures are retried, how long it waits, and what bounds it.

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use crate::support::*;
use predicates::prelude::*;
use predicates::str::contains;

fn respond(mut stream: TcpStream, response: &str) {
    stream.write_all(response.as_bytes()).unwrap();
}

#[test]
fn waits_for_a_service_that_starts_later() {
    let port = refused_port();
    let service = thread::spawn(move || {
        thread::sleep(Duration::from_millis(1200));
        let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
        let (mut stream, _) = listener.accept().unwrap();
        read_request(&mut stream);
        respond(stream, "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nup");
    });
    fetch()
        .args([
            "--retry",
            "10",
            "--retry-delay",
            "300ms",
            &format!("127.0.0.1:{port}"),
            "/health",
        ])
        .assert()
        .code(0)
        .stdout("up")
        .stderr(contains(
            "fetch: attempt 2 of 11 in 0.3s: connection refused\n",
        ));
    service.join().unwrap();
}

#[test]
fn server_busy_twice_then_fine_is_retried_with_fail() {
    let server = serve_each(3, Duration::from_secs(5), |n, stream| match n {
        0 | 1 => respond(
            stream,
            "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy",
        ),
        _ => respond(stream, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nfine"),
    });
    let assert = fetch()
        .args([
            "-f",
            "--retry",
            "5",
            "--retry-delay",
            "100ms",
            "-w",
            " %{num_retries}",
            &server.target(),
        ])
        .assert()
        .code(0)
        .stdout("fine 2");
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert_eq!(
        stderr,
        "fetch: attempt 2 of 6 in 0.1s: HTTP/1.1 503 Service Unavailable\n\
         fetch: attempt 3 of 6 in 0.1s: HTTP/1.1 503 Service Unavailable\n"
    );
    assert_eq!(count_requests(&server.finish()), 3);
}

#[test]
fn post_is_not_retried_after_a_reset() {
    let server = serve_each(2, Duration::from_millis(1500), |_, stream| reset(stream));
    fetch()
        .args([
            "-d",
            "x=1",
            "--retry",
            "3",
            "--retry-delay",
            "100ms",
            &server.target(),
        ])
        .assert()
        .code(56)
        .stdout("")
        .stderr(contains("attempt").not());
    assert_eq!(count_requests(&server.finish()), 1);
}

#[test]
fn other_client_errors_are_not_retried() {
    let server = serve_each(2, Duration::from_millis(1500), |_, stream| {
        respond(
            stream,
            "HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n",
        )
    });
    fetch()
        .args([
            "-f",
            "--retry",
            "3",
            "--retry-delay",
            "100ms",
            &server.target(),
        ])
        .assert()
        .code(22)
        .stdout("")
        .stderr(contains("attempt").not());
    assert_eq!(count_requests(&server.finish()), 1);
}

#[test]
fn max_time_bounds_the_retries_and_their_waits() {
    let port = refused_port();
    let start = Instant::now();
    fetch()
        .args([
            "--retry",
            "100",
            "--retry-delay",
            "300ms",
            "--max-time",
            "1",
            &format!("127.0.0.1:{port}"),
        ])
        .assert()
        .code(7)
        .stdout("");
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(500) && took <= Duration::from_secs(3),
        "took {took:?}"
    );
}

#[test]
fn retry_max_time_stops_retrying() {
    let port = refused_port();
    let start = Instant::now();
    let assert = fetch()
        .args([
            "--retry",
            "100",
            "--retry-delay",
            "200ms",
            "--retry-max-time",
            "700ms",
            &format!("127.0.0.1:{port}"),
        ])
        .assert()
        .code(7)
        .stdout("");
    assert!(start.elapsed() < Duration::from_secs(3));
    let announcements = String::from_utf8_lossy(&assert.get_output().stderr)
        .matches("attempt")
        .count();
    assert!((2..=4).contains(&announcements), "{announcements} retries");
}

#[test]
fn retry_after_is_honoured() {
    let server = serve_each(2, Duration::from_secs(5), |n, stream| match n {
        0 => respond(
            stream,
            "HTTP/1.1 503 Busy\r\nRetry-After: 1\r\nContent-Length: 0\r\n\r\n",
        ),
        _ => respond(stream, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
    });
    let start = Instant::now();
    fetch()
        .args(["-f", "--retry", "2", "--retry-delay", "0", &server.target()])
        .assert()
        .code(0)
        .stdout("ok")
        .stderr(contains("in 1.0s: HTTP/1.1 503 Busy"));
    assert!(start.elapsed() >= Duration::from_millis(900));
    server.finish();
}

#[test]
fn silent_hides_the_announcements_but_not_the_error() {
    let port = refused_port();
    let assert = fetch()
        .args([
            "-s",
            "--retry",
            "2",
            "--retry-delay",
            "50ms",
            &format!("127.0.0.1:{port}"),
        ])
        .assert()
        .code(7)
        .stdout("");
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("fetch: could not connect"), "{stderr}");
}

#[test]
fn with_output_file_a_retry_starts_the_file_afresh() {
    let dir = Scratch::new("retry-o");
    let body = pattern(100);
    let sent = body.clone();
    let server = serve_each(2, Duration::from_secs(5), move |n, mut stream| {
        stream
            .write_all(b"HTTP/1.0 200 OK\r\nContent-Length: 100\r\n\r\n")
            .unwrap();
        if n == 0 {
            stream.write_all(&sent[..50]).unwrap();
            reset(stream);
        } else {
            stream.write_all(&sent).unwrap();
        }
    });
    let file = dir.path("data.bin");
    fetch()
        .args([
            "-o",
            file.to_str().unwrap(),
            "--retry",
            "2",
            "--retry-delay",
            "100ms",
            &server.target(),
        ])
        .assert()
        .code(0)
        .stderr(contains("attempt 2 of 3 in 0.1s: connection reset"));
    assert_eq!(count_requests(&server.finish()), 2);
    assert_same_bytes(&std::fs::read(&file).unwrap(), &body);
    assert_eq!(dir.names(), ["data.bin"]);
}

#[test]
fn bytes_already_on_stdout_are_not_repeated_by_a_retry() {
    let server = serve_each(2, Duration::from_millis(1500), |_, mut stream| {
        stream
            .write_all(b"HTTP/1.0 200 OK\r\nContent-Length: 100\r\n\r\nhalf")
            .unwrap();
        reset(stream);
    });
    fetch()
        .args(["--retry", "3", "--retry-delay", "100ms", &server.target()])
        .assert()
        .code(56)
        .stdout("half")
        .stderr(contains("attempt").not());
    assert_eq!(count_requests(&server.finish()), 1);
}

#[test]
fn huge_retry_after_past_the_deadline_means_no_retry_and_no_crash() {
    for limit in ["--max-time", "--retry-max-time"] {
        let server = serve_each(2, Duration::from_secs(1), |_, stream| {
            respond(
                stream,
                "HTTP/1.1 503 Busy\r\nRetry-After: 18446744073709551615\r\nContent-Length: 4\r\n\r\nbusy",
            )
        });
        let start = Instant::now();
        fetch()
            .args(["-f", "--retry", "3", limit, "5", &server.target()])
            .assert()
            .code(22)
            .stdout("")
            .stderr(contains("HTTP/1.1 503 Busy"))
            .stderr(contains("attempt").not());
        assert!(start.elapsed() < Duration::from_secs(3), "{limit}");
        assert_eq!(count_requests(&server.finish()), 1, "{limit}");
    }
}

#[test]
fn a_503_is_retried_without_fail_and_its_body_is_not_written() {
    let server = serve_each(3, Duration::from_secs(5), |n, stream| match n {
        0 => respond(
            stream,
            "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy",
        ),
        1 => respond(
            stream,
            "HTTP/1.1 429 Too Many Requests\r\nContent-Length: 4\r\n\r\nslow",
        ),
        _ => respond(stream, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nfine"),
    });
    let assert = fetch()
        .args([
            "-i",
            "--retry",
            "5",
            "--retry-delay",
            "100ms",
            &server.target(),
        ])
        .assert()
        .code(0)
        .stdout("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nfine");
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert_eq!(
        stderr,
        "fetch: attempt 2 of 6 in 0.1s: HTTP/1.1 503 Service Unavailable\n\
         fetch: attempt 3 of 6 in 0.1s: HTTP/1.1 429 Too Many Requests\n"
    );
    assert_eq!(count_requests(&server.finish()), 3);
}

#[test]
fn the_last_attempts_503_is_written_as_usual_without_fail() {
    let server = serve_each(2, Duration::from_secs(5), |_, stream| {
        respond(
            stream,
            "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy",
        )
    });
    let assert = fetch()
        .args([
            "--retry",
            "1",
            "--retry-delay",
            "100ms",
            "-w",
            " %{http_code}",
        ])
        .arg(server.target())
        .assert()
        .code(0)
        .stdout("busy 503");
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert_eq!(
        stderr,
        "fetch: attempt 2 of 2 in 0.1s: HTTP/1.1 503 Service Unavailable\n"
    );
    assert_eq!(count_requests(&server.finish()), 2);
}

#[test]
fn a_503_after_output_was_shown_is_written_not_retried() {
    let server = serve_each(2, Duration::from_secs(5), |n, stream| match n {
        0 => respond(
            stream,
            "HTTP/1.1 302 Found\r\nLocation: /next\r\nContent-Length: 0\r\n\r\n",
        ),
        _ => respond(
            stream,
            "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy",
        ),
    });
    // -i showed the redirect's head on stdout: a retry would repeat it.
    fetch()
        .args([
            "-i",
            "-L",
            "--retry",
            "2",
            "--retry-delay",
            "100ms",
            &server.target(),
        ])
        .assert()
        .code(0)
        .stdout(
            "HTTP/1.1 302 Found\r\nLocation: /next\r\nContent-Length: 0\r\n\r\n\
             HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy",
        )
        .stderr("");
    assert_eq!(count_requests(&server.finish()), 2);
}

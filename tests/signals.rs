//! Ctrl-C and SIGTERM: fetch stops at once, keeps what arrived, exits 130 or 143.

mod support;

use std::io::{Read, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::*;

/// A server that sends a head announcing 1 MB and the first `sent` bytes of the
/// body, then waits for fetch to go away.
fn stalls_after(sent: usize) -> Server {
    serve(move |stream| {
        stream
            .write_all(b"HTTP/1.0 200 OK\r\nContent-Length: 1000000\r\n\r\n")
            .unwrap();
        stream.write_all(&pattern(sent)).unwrap();
        hold_open(stream, Duration::from_secs(20));
    })
}

fn spawn_fetch(args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_fetch"))
        .args(args)
        .env_clear()
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start fetch")
}

fn send_signal(child: &Child, signal: &str) {
    let status = Command::new("sh")
        .args(["-c", &format!("kill -{signal} {}", child.id())])
        .status()
        .expect("run kill");
    assert!(status.success());
}

/// Waits for the exit, which must come promptly; returns the code and stderr.
fn wait_exit(mut child: Child, signalled: Instant) -> (Option<i32>, String) {
    loop {
        if let Some(status) = child.try_wait().expect("wait for fetch") {
            let mut stderr = String::new();
            let _ = child.stderr.take().unwrap().read_to_string(&mut stderr);
            return (status.code(), stderr);
        }
        if signalled.elapsed() > Duration::from_secs(3) {
            let _ = child.kill();
            panic!("fetch still ran 3 s after the signal");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn sigint_stops_at_once_with_130_and_the_bytes_that_arrived() {
    let server = stalls_after(3000);
    let mut child = spawn_fetch(&[&server.target()]);
    // Once the bytes are on stdout fetch is blocked in a read with 30 s to go.
    let mut stdout = child.stdout.take().unwrap();
    let mut got = vec![0u8; 3000];
    stdout.read_exact(&mut got).expect("the first 3000 bytes");
    let signalled = Instant::now();
    send_signal(&child, "INT");
    let (code, stderr) = wait_exit(child, signalled);
    assert_eq!(code, Some(130), "{stderr}");
    assert!(
        stderr.starts_with("fetch: interrupted by SIGINT after ") && stderr.ends_with('\n'),
        "{stderr:?}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr:?}");
    let mut rest = Vec::new();
    stdout.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty(), "{} bytes after the signal", rest.len());
    assert_same_bytes(&got, &pattern(3000));
    server.finish();
}

#[test]
fn sigterm_keeps_a_partial_file_as_part_with_143() {
    let dir = Scratch::new("sig-part");
    let file = dir.path("big.bin");
    let server = stalls_after(5000);
    let child = spawn_fetch(&["-o", file.to_str().unwrap(), &server.target()]);
    let temp = dir.path(&format!(".big.bin.fetch-{}.tmp", child.id()));
    // The temporary file holds the 5000 bytes once fetch has written them.
    let start = Instant::now();
    while std::fs::metadata(&temp).map(|m| m.len()).unwrap_or(0) < 5000 {
        assert!(start.elapsed() < Duration::from_secs(10), "no 5000 bytes");
        std::thread::sleep(Duration::from_millis(10));
    }
    let signalled = Instant::now();
    send_signal(&child, "TERM");
    let (code, stderr) = wait_exit(child, signalled);
    assert_eq!(code, Some(143), "{stderr}");
    let part = dir.path("big.bin.part");
    assert!(
        stderr.starts_with("fetch: interrupted by SIGTERM after ")
            && stderr.ends_with(&format!(
                "; the 5000 bytes received are in {}\n",
                part.display()
            )),
        "{stderr:?}"
    );
    assert_eq!(dir.names(), ["big.bin.part"]);
    assert_same_bytes(&std::fs::read(&part).unwrap(), &pattern(5000));
    server.finish();
}

#[test]
fn sigint_before_any_body_leaves_no_file() {
    let dir = Scratch::new("sig-none");
    let file = dir.path("out.txt");
    let server = serve(|stream| hold_open(stream, Duration::from_secs(20)));
    let child = spawn_fetch(&["-o", file.to_str().unwrap(), &server.target()]);
    let temp = dir.path(&format!(".out.txt.fetch-{}.tmp", child.id()));
    let start = Instant::now();
    while !temp.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "no temporary file"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    // Let the request go out, so that fetch waits in the read.
    std::thread::sleep(Duration::from_millis(200));
    let signalled = Instant::now();
    send_signal(&child, "INT");
    let (code, stderr) = wait_exit(child, signalled);
    assert_eq!(code, Some(130), "{stderr}");
    assert!(!stderr.contains(".part"), "{stderr:?}");
    assert_eq!(dir.names(), Vec::<String>::new());
    let request = server.finish();
    assert!(request.starts_with(b"GET / HTTP/1.0\r\n"));
}

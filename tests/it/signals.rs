//! Ctrl-C and SIGTERM: fetch stops at once, keeps what arrived, and dies by the
//! signal, so that a shell loop around it stops too.

use std::io::{Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::support::*;

const SIGINT: i32 = 2;
const SIGTERM: i32 = 15;

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

/// A server that says on `told` when it has the whole request, then stays silent.
fn silent_after_request() -> (Server, mpsc::Receiver<()>) {
    let (tell, told) = mpsc::channel();
    let server = serve(move |stream| {
        tell.send(()).unwrap();
        hold_open(stream, Duration::from_secs(20));
    });
    (server, told)
}

/// fetch as a child process, for tests that look at how it died.
fn spawn_child(args: &[&str]) -> Child {
    command()
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start fetch")
}

/// Sends `signal` to `pid`, or to the process group `-pid`.
fn send_signal(pid: i64, signal: &str) {
    let status = Command::new("kill")
        .args([&format!("-{signal}"), "--", &pid.to_string()])
        .status()
        .expect("run kill");
    assert!(status.success());
}

/// Waits for the exit, which must come promptly; returns the status and stderr.
fn wait_exit(mut child: Child, signalled: Instant) -> (ExitStatus, String) {
    loop {
        if let Some(status) = child.try_wait().expect("wait for fetch") {
            let mut stderr = String::new();
            let _ = child.stderr.take().unwrap().read_to_string(&mut stderr);
            return (status, stderr);
        }
        if signalled.elapsed() > Duration::from_secs(3) {
            let _ = child.kill();
            panic!("fetch still ran 3 s after the signal");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn sigint_stops_at_once_dying_by_the_signal_with_the_bytes_that_arrived() {
    let server = stalls_after(3000);
    let mut child = spawn_child(&[&server.target()]);
    // Once the bytes are on stdout fetch is blocked in a read with 30 s to go.
    let mut stdout = child.stdout.take().unwrap();
    let mut got = vec![0u8; 3000];
    stdout.read_exact(&mut got).expect("the first 3000 bytes");
    let signalled = Instant::now();
    send_signal(child.id().into(), "INT");
    let (status, stderr) = wait_exit(child, signalled);
    // Killed by the signal, as a shell sees it (its $? is still 130).
    assert_eq!(status.signal(), Some(SIGINT), "{status:?} {stderr}");
    // The phase and the address, as every other message names them.
    // (", writing to the output" may follow, if the signal caught the write.)
    let receiving = format!(" while receiving the body from {}", server.target());
    assert!(
        stderr.starts_with("fetch: interrupted by SIGINT after ")
            && stderr.contains(&receiving)
            && stderr.ends_with('\n'),
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
fn sigterm_keeps_a_partial_file_as_part() {
    let dir = Scratch::new("sig-part");
    let file = dir.path("big.bin");
    let server = stalls_after(5000);
    let child = spawn_child(&["-o", file.to_str().unwrap(), &server.target()]);
    wait_for_open_file(child.id(), &dir.0, 5000);
    let signalled = Instant::now();
    send_signal(child.id().into(), "TERM");
    let (status, stderr) = wait_exit(child, signalled);
    assert_eq!(status.signal(), Some(SIGTERM), "{status:?} {stderr}");
    let part = dir.path("big.bin.part");
    assert!(
        stderr.starts_with("fetch: interrupted by SIGTERM after ")
            && stderr.ends_with(&format!(
                "; the 5000 bytes written are in {}\n",
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
    let (server, told) = silent_after_request();
    let child = spawn_child(&["-o", file.to_str().unwrap(), &server.target()]);
    told.recv_timeout(Duration::from_secs(10))
        .expect("the request");
    let signalled = Instant::now();
    send_signal(child.id().into(), "INT");
    let (status, stderr) = wait_exit(child, signalled);
    assert_eq!(status.signal(), Some(SIGINT), "{status:?} {stderr}");
    assert!(!stderr.contains(".part"), "{stderr:?}");
    assert_eq!(dir.names(), Vec::<String>::new());
    let request = server.finish();
    assert!(request.starts_with(b"GET / HTTP/1.0\r\n"));
}

#[test]
fn ctrl_c_stops_a_shell_loop_around_fetch() {
    // A terminal sends SIGINT to the whole foreground process group. bash waits
    // for its child, and stops the loop only if the child died by the signal.
    let (server, told) = silent_after_request();
    let script = format!(
        "for i in 1 2; do \"$0\" {}; done; echo after the loop",
        server.target()
    );
    let child = Command::new("bash")
        .args(["-c", &script, env!("CARGO_BIN_EXE_fetch")])
        .env_clear()
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .expect("start bash");
    told.recv_timeout(Duration::from_secs(10))
        .expect("the request");
    let signalled = Instant::now();
    send_signal(-i64::from(child.id()), "INT");
    let mut stdout = String::new();
    let mut child = child;
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    let (status, stderr) = wait_exit(child, signalled);
    assert_eq!(stdout, "", "the loop went on: {stderr}");
    assert_eq!(status.signal(), Some(SIGINT), "{status:?} {stderr}");
    server.finish();
}

//! File descriptors and threads are released on every path: many failing fetches
//! run in this one process, through the library, and leave it as they found it.
//! A file of its own, so that no other test opens descriptors meanwhile.
// /proc/self/fd and /proc/self/status are Linux's.
#![cfg(target_os = "linux")]

#[path = "it/support/mod.rs"]
mod support;

use std::ffi::OsString;
use std::io::Write;
use std::thread;
use std::time::Duration;

use fetch::cli::{Terminals, parse_from};
use support::*;

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

fn threads() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("Threads:")).unwrap();
    line["Threads:".len()..].trim().parse().unwrap()
}

fn run(args: &[&str]) -> u8 {
    let args = std::iter::once(OsString::from("fetch")).chain(args.iter().map(OsString::from));
    match parse_from(args, Terminals::default()).and_then(|plan| fetch::run(&plan)) {
        Ok(()) => 0,
        Err(error) => error.exit_code(),
    }
}

#[test]
fn failing_fetches_leave_no_descriptor_or_thread_behind() {
    let dir = Scratch::new("leaks");
    let out = dir.path("out.bin");
    let out = out.to_str().unwrap();
    let refused = refused_port();
    let dead = blackhole();
    // The first run installs the signal handlers, which keep a duplicate of
    // stderr for the life of the process: once, not per fetch.
    assert_eq!(run(&[&format!("127.0.0.1:{refused}")]), 7);
    let before = (open_fds(), threads());
    for _ in 0..20 {
        assert_eq!(run(&[&format!("127.0.0.1:{refused}")]), 7);
        // Happy Eyeballs: three addresses, three connect threads.
        let pinned = format!("many.test:{refused}:127.0.0.1,127.0.0.2,127.0.0.3");
        let target = format!("many.test:{refused}");
        assert_eq!(run(&["--resolve", &pinned, &target]), 7);
        assert_eq!(
            run(&["--connect-timeout", "0.05", &dead.addr.to_string()]),
            28
        );
        assert_eq!(run(&["nothing.invalid"]), 6);

        let server = serve(|_| {});
        assert_eq!(run(&["-o", out, &server.target()]), 52);
        server.finish();
        let server = serve(|stream| {
            stream
                .write_all(b"HTTP/1.0 200 OK\r\nContent-Length: 100\r\n\r\npartial")
                .unwrap();
        });
        assert_eq!(run(&["-o", out, &server.target()]), 18);
        server.finish();
        let server = serve(|stream| hold_open(stream, Duration::from_secs(5)));
        assert_eq!(run(&["--read-timeout", "0.05", &server.target()]), 29);
        server.finish();
    }
    // Connect attempts that lost the race end on their own: wait until they have.
    let start = std::time::Instant::now();
    while (open_fds(), threads()) != before && start.elapsed() < Duration::from_secs(5) {
        thread::sleep(Duration::from_millis(10));
    }
    assert_eq!((open_fds(), threads()), before);
    assert_eq!(dir.names(), ["out.bin.part"]);
}

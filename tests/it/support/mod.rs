//! Loopback servers for the tests, one shape per helper, and a hermetic `fetch` command.
//!
//! Every server binds 127.0.0.1 or ::1 on port 0 and serves one connection on a
//! thread. `Server::finish` joins it, so a handler that panicked fails the test.
#![allow(dead_code)] // each test file uses a different part of this module

pub mod tls;

use std::io::{ErrorKind, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use socket2::{Domain, Socket, Type};

/// The fetch binary with an empty environment; its stdin closes at once.
pub fn fetch() -> assert_cmd::Command {
    let mut command = assert_cmd::Command::new(env!("CARGO_BIN_EXE_fetch"));
    command.env_clear();
    command.timeout(Duration::from_secs(30));
    command
}

/// The fetch binary as a std Command, for tests that wire its streams themselves:
/// the environment cleared, stdin empty.
pub fn command() -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_fetch"));
    command.env_clear().stdin(std::process::Stdio::null());
    command
}

/// stderr is exactly one line, a fetch message.
pub fn one_line() -> impl predicates::Predicate<[u8]> {
    predicates::function::function(|err: &[u8]| {
        err.starts_with(b"fetch: ") && err.iter().filter(|&&b| b == b'\n').count() == 1
    })
}

/// A usage error: fetch with `args` (where `{}` stands for a live loopback address)
/// exits 2 with one line containing `message`, prints nothing on stdout, and never
/// contacts the listener behind that address.
pub fn refused_with(args: &[&str], message: &str) {
    let witness = Witness::new();
    let target = witness.target();
    let args: Vec<String> = args.iter().map(|a| a.replace("{}", &target)).collect();
    fetch()
        .args(&args)
        .assert()
        .code(2)
        .stdout("")
        .stderr(one_line())
        .stderr(predicates::str::contains(message));
    witness.assert_untouched();
}

/// Checks that `start` was between `low` and `high` seconds ago: generous bounds
/// for a limit that should have ended something.
pub fn within(start: Instant, low: f64, high: f64) {
    let took = start.elapsed().as_secs_f64();
    assert!(
        (low..high).contains(&took),
        "took {took:.2}s, expected {low}-{high}s"
    );
}

pub struct Server {
    pub addr: SocketAddr,
    thread: Option<JoinHandle<Vec<u8>>>,
}

impl Server {
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `127.0.0.1:PORT` or `[::1]:PORT`, as typed on the command line.
    pub fn target(&self) -> String {
        self.addr.to_string()
    }

    /// Waits for the handler and returns the request bytes it received.
    pub fn finish(mut self) -> Vec<u8> {
        let thread = self.thread.take().expect("finished once");
        match thread.join() {
            Ok(request) => request,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }
}

impl Drop for Server {
    /// A server a test did not `finish` is joined here, so that its handler's
    /// panic still fails the test; not while the test is failing already, when
    /// the handler may be waiting for a fetch that never came.
    fn drop(&mut self) {
        if let Some(thread) = self.thread.take() {
            if !thread::panicking() {
                if let Err(panic) = thread.join() {
                    std::panic::resume_unwind(panic);
                }
            }
        }
    }
}

/// Serves one connection on 127.0.0.1: reads the request head, then runs `handler`.
pub fn serve(handler: impl FnOnce(&mut TcpStream) + Send + 'static) -> Server {
    serve_at("127.0.0.1:0", handler)
}

/// Like `serve`, on an address such as `[::1]:0`.
pub fn serve_at(bind: &str, handler: impl FnOnce(&mut TcpStream) + Send + 'static) -> Server {
    serve_raw_at(bind, |mut stream| {
        let request = read_request(&mut stream);
        handler(&mut stream);
        request
    })
}

/// Serves one connection and hands over the stream before anything is read.
pub fn serve_raw(handler: impl FnOnce(TcpStream) -> Vec<u8> + Send + 'static) -> Server {
    serve_raw_at("127.0.0.1:0", handler)
}

fn serve_raw_at(bind: &str, handler: impl FnOnce(TcpStream) -> Vec<u8> + Send + 'static) -> Server {
    let listener = TcpListener::bind(bind).expect("bind a loopback port");
    let addr = listener.local_addr().expect("local address");
    let thread = thread::spawn(move || {
        let stream = accept_within(&listener, Duration::from_secs(20)).expect("fetch connected");
        handler(stream)
    });
    Server {
        addr,
        thread: Some(thread),
    }
}

/// Answers with exactly `response` after reading the request, then closes.
pub fn reply(response: impl Into<Vec<u8>>) -> Server {
    let response = response.into();
    serve(move |stream| {
        stream.write_all(&response).expect("send the response");
    })
}

/// Accepts one connection. TCP_NODELAY: every write leaves at once, so bytes a
/// handler writes before it closes or resets reach fetch before the FIN or RST,
/// with no pause (Nagle could hold a segment back, and SO_LINGER 0 drops it).
fn accept_within(listener: &TcpListener, limit: Duration) -> Option<TcpStream> {
    listener.set_nonblocking(true).ok()?;
    let start = Instant::now();
    while start.elapsed() < limit {
        match listener.accept() {
            Ok((stream, _)) => {
                stream.set_nonblocking(false).ok()?;
                stream.set_nodelay(true).ok()?;
                return Some(stream);
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => thread::sleep(Duration::from_millis(5)),
            Err(_) => return None,
        }
    }
    None
}

/// Reads a request head up to its blank line, then the body its Content-Length announces.
pub fn read_request(stream: &mut TcpStream) -> Vec<u8> {
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("set a read timeout");
    let mut request = Vec::new();
    let mut byte = [0u8; 1];
    while !request.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => request.push(byte[0]),
            _ => return request,
        }
    }
    let head = String::from_utf8_lossy(&request).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    if stream.read_exact(&mut body).is_ok() {
        request.extend_from_slice(&body);
    }
    request
}

/// Aborts the connection with a RST instead of a FIN (SO_LINGER 0, then close).
pub fn reset(stream: TcpStream) {
    let socket = Socket::from(stream);
    socket
        .set_linger(Some(Duration::ZERO))
        .expect("set SO_LINGER 0");
    drop(socket);
}

/// Keeps the connection open without sending, until the client closes or `limit` passes.
pub fn hold_open(stream: &mut TcpStream, limit: Duration) {
    stream
        .set_read_timeout(Some(limit))
        .expect("set a read timeout");
    let mut sink = [0u8; 1024];
    while let Ok(n) = stream.read(&mut sink) {
        if n == 0 {
            break;
        }
    }
}

/// A loopback port with nothing listening: connecting is refused.
pub fn refused_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind");
    listener.local_addr().expect("local address").port()
}

/// A listener that answers no SYN: backlog 0, its one queue slot already taken by a
/// connection nobody accepts, so further connection attempts hang unanswered.
pub struct Blackhole {
    pub addr: SocketAddr,
    _listener: Socket,
    _filler: TcpStream,
}

pub fn blackhole() -> Blackhole {
    blackhole_at("127.0.0.1:0")
}

/// A blackhole on a given address, such as `127.0.0.2:PORT` or `[::1]:0`.
pub fn blackhole_at(bind: &str) -> Blackhole {
    let bind: SocketAddr = bind.parse().expect("a socket address");
    let listener = Socket::new(Domain::for_address(bind), Type::STREAM, None).expect("socket");
    listener.bind(&bind.into()).expect("bind");
    listener.listen(0).expect("listen");
    let addr = listener
        .local_addr()
        .expect("local address")
        .as_socket()
        .expect("an IP address");
    let filler = TcpStream::connect(addr).expect("fill the queue");
    Blackhole {
        addr,
        _listener: listener,
        _filler: filler,
    }
}

/// A listener that only records whether anyone connected, for "nothing was sent" checks.
pub struct Witness {
    listener: TcpListener,
}

impl Witness {
    pub fn new() -> Witness {
        Witness {
            listener: TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind"),
        }
    }

    pub fn target(&self) -> String {
        self.listener
            .local_addr()
            .expect("local address")
            .to_string()
    }

    pub fn assert_untouched(&self) {
        self.listener.set_nonblocking(true).expect("nonblocking");
        match self.listener.accept() {
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            Ok(_) => panic!("fetch opened a connection for an invalid command line"),
            Err(e) => panic!("accept failed: {e}"),
        }
    }
}

/// Deterministic bytes that are not all text, for byte-for-byte comparisons.
pub fn pattern(len: usize) -> Vec<u8> {
    let mut state: u32 = 0x1234_5678;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state >> 24) as u8
        })
        .collect()
}

pub fn ok_response(body: &[u8]) -> Vec<u8> {
    let mut response =
        format!("HTTP/1.0 200 OK\r\nContent-Length: {}\r\n\r\n", body.len()).into_bytes();
    response.extend_from_slice(body);
    response
}

pub fn user_agent() -> String {
    format!("fetch/{}", env!("CARGO_PKG_VERSION"))
}

/// Compares output with `expected` byte for byte, reporting the first difference
/// rather than printing megabytes.
pub fn assert_same_bytes(got: &[u8], expected: &[u8]) {
    if got != expected {
        let at = got
            .iter()
            .zip(expected)
            .position(|(a, b)| a != b)
            .unwrap_or(got.len().min(expected.len()));
        panic!(
            "output differs: got {} bytes, expected {}, first difference at byte {at}",
            got.len(),
            expected.len()
        );
    }
}

/// An empty directory of the test's own, removed when dropped.
pub struct Scratch(pub std::path::PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("fetch-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create a scratch directory");
        Scratch(dir)
    }

    pub fn path(&self, name: &str) -> std::path::PathBuf {
        self.0.join(name)
    }

    /// The names in the directory, sorted: shows leftovers such as temporary files.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&self.0)
            .expect("read the scratch directory")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs fetch with `args` under script(1), so its stdout and stderr are a terminal;
/// returns what the terminal showed. util-linux's script and the BSDs' (macOS)
/// take the command differently.
pub fn on_terminal(args: &str) -> String {
    let command = format!("{} {args}", env!("CARGO_BIN_EXE_fetch"));
    let mut script = std::process::Command::new("script");
    if cfg!(target_os = "linux") {
        script.args(["-qec", &command, "/dev/null"]);
    } else {
        script.args(["-q", "/dev/null", "sh", "-c", &command]);
    }
    let output = script
        .stdin(std::process::Stdio::null())
        .output()
        .expect("script(1)");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Serves connections in turn on 127.0.0.1, up to `max`, calling `handler(n, stream)`
/// for the n-th (from 0) after reading its request. Stops at `max`, or when no new
/// connection comes within `wait`. `finish` returns every request received, joined.
pub fn serve_each(
    max: usize,
    wait: Duration,
    handler: impl Fn(usize, TcpStream) + Send + 'static,
) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let addr = listener.local_addr().expect("local address");
    let thread = thread::spawn(move || {
        let mut requests = Vec::new();
        for n in 0..max {
            let limit = if n == 0 {
                Duration::from_secs(20)
            } else {
                wait
            };
            let Some(mut stream) = accept_within(&listener, limit) else {
                break;
            };
            requests.extend(read_request(&mut stream));
            handler(n, stream);
        }
        requests
    });
    Server {
        addr,
        thread: Some(thread),
    }
}

/// How many requests `finish` returned: each starts with a request line.
pub fn count_requests(requests: &[u8]) -> usize {
    String::from_utf8_lossy(requests)
        .matches(" HTTP/1.0\r\n")
        .count()
}

/// Waits until process `pid` has a file open under `dir` that holds at least
/// `len` bytes: on Linux through /proc/PID/fd, so it works for a file with no
/// name (O_TMPFILE); elsewhere fetch's temporary file has a name in `dir`.
pub fn wait_for_open_file(pid: u32, dir: &std::path::Path, len: u64) {
    let start = Instant::now();
    loop {
        if has_open_file(pid, dir, len) {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "process {pid} never had {len} bytes in a file under {}",
            dir.display()
        );
        thread::sleep(Duration::from_millis(5));
    }
}

#[cfg(target_os = "linux")]
fn has_open_file(pid: u32, dir: &std::path::Path, len: u64) -> bool {
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .into_iter()
        .flatten();
    fds.flatten().any(|fd| {
        let in_dir = std::fs::read_link(fd.path()).is_ok_and(|p| p.starts_with(dir));
        in_dir && std::fs::metadata(fd.path()).is_ok_and(|m| m.len() >= len)
    })
}

#[cfg(not(target_os = "linux"))]
fn has_open_file(_pid: u32, dir: &std::path::Path, len: u64) -> bool {
    let entries = std::fs::read_dir(dir).into_iter().flatten();
    entries
        .flatten()
        .any(|entry| entry.metadata().is_ok_and(|m| m.len() >= len))
}

/// The fetch binary run through `sh -c`, so that `setup` (umask, ulimit, trap)
/// applies to it: `sh -c 'SETUP; exec fetch ARGS'`.
pub fn fetch_after(setup: &str) -> assert_cmd::Command {
    let mut command = assert_cmd::Command::new("bash");
    command.env_clear();
    command.timeout(Duration::from_secs(30));
    command.args([
        "-c",
        &format!("{setup}; exec \"$0\" \"$@\""),
        env!("CARGO_BIN_EXE_fetch"),
    ]);
    command
}

/// A fetch running in the background, for tests that act once it has shown
/// something: its stdout is read as it comes.
pub struct Running {
    child: std::process::Child,
    stdout: std::process::ChildStdout,
    pub shown: Vec<u8>,
}

pub fn spawn_fetch(args: &[&str]) -> Running {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_fetch"))
        .args(args)
        .env_clear()
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start fetch");
    let stdout = child.stdout.take().expect("piped stdout");
    Running {
        child,
        stdout,
        shown: Vec::new(),
    }
}

impl Running {
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Reads stdout until `len` bytes have come in all.
    pub fn wait_for_stdout(&mut self, len: usize) {
        let mut byte = [0u8; 1];
        while self.shown.len() < len {
            match self.stdout.read(&mut byte) {
                Ok(1) => self.shown.push(byte[0]),
                _ => panic!("stdout ended after {} of {len} bytes", self.shown.len()),
            }
        }
    }

    /// Waits for the exit (within 20 s): the exit code, all of stdout, stderr.
    pub fn finish(mut self) -> (Option<i32>, Vec<u8>, String) {
        let _ = self.stdout.read_to_end(&mut self.shown);
        let start = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("wait for fetch") {
                break status;
            }
            if start.elapsed() > Duration::from_secs(20) {
                let _ = self.child.kill();
                panic!("fetch did not end within 20 s");
            }
            thread::sleep(Duration::from_millis(5));
        };
        let mut stderr = String::new();
        if let Some(mut err) = self.child.stderr.take() {
            let _ = err.read_to_string(&mut stderr);
        }
        (status.code(), self.shown, stderr)
    }
}

/// A signal from the test to a server thread: "fetch has what you sent; go on".
pub fn go_signal() -> (std::sync::mpsc::Sender<()>, Go) {
    let (tx, rx) = std::sync::mpsc::channel();
    (tx, Go(rx))
}

pub struct Go(std::sync::mpsc::Receiver<()>);

impl Go {
    pub fn wait(&self) {
        self.0
            .recv_timeout(Duration::from_secs(20))
            .expect("the test's go-ahead");
    }
}

/// The `-w '\n%{json}'` figures that end stdout, parsed.
pub fn json_ending(stdout: &[u8]) -> serde_json::Value {
    let text = String::from_utf8_lossy(stdout);
    let line = text.rsplit('\n').next().unwrap_or_default();
    serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// Runs `command` with `-w '\n%{json}'` added: it must exit `code` and end
/// stdout with one JSON line carrying that exit code and `kind`.
pub fn ends_with_json(mut command: assert_cmd::Command, code: i32, kind: &str) {
    let assert = command.args(["-w", "\n%{json}"]).assert().code(code);
    let json = json_ending(&assert.get_output().stdout);
    assert_eq!(json["exitcode"], code, "{json}");
    assert_eq!(json["error_kind"], kind, "{json}");
}

/// A failure as a user sees it: fetch with `args` exits `code`, prints nothing
/// on stdout, and one line on stderr containing `message`; that line returned.
pub fn fails(args: &[&str], code: i32, message: &str) -> String {
    let assert = fetch()
        .args(args)
        .assert()
        .code(code)
        .stdout("")
        .stderr(one_line())
        .stderr(predicates::str::contains(message));
    String::from_utf8_lossy(&assert.get_output().stderr).into_owned()
}

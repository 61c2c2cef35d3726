//! What stops fetch from outside the main thread's flow: Ctrl-C (SIGINT) and
//! SIGTERM (stop at once, keep what arrived, die by the signal: the shell's $? is
//! 130 or 143), and the --max-time watchdog for an output that takes no bytes.
//!
//! The work is done inside the signal handler, because the main thread may be
//! blocked in a read, a connect or a full pipe for as long as its timeouts allow.
//! A handler may only do what is async-signal-safe, so it uses atomics, a buffer on
//! its stack and plain system calls (write, rename, unlink, _exit), and everything
//! else is prepared before: the start time, a handle on stderr, the -o paths.

use std::ffi::CString;
use std::fs::File;
use std::io::{self, Cursor, Write};
use std::net::{IpAddr, SocketAddr};
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU16, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use signal_hook::consts::{SIGINT, SIGTERM};

use crate::duration::Elapsed;

struct Watch {
    start: Instant,
    /// A duplicate of fd 2: writing to a `File` is one write(2), where
    /// `io::stderr()` takes a lock the interrupted thread may hold.
    stderr: File,
}

/// The -o temporary file and the name it gets if the fetch is interrupted.
struct PartFile {
    temp: CString,
    /// `/proc/self/fd/N` while the file has no name (see atomic.rs).
    unnamed: Option<CString>,
    part: CString,
    part_shown: String,
}

static WATCH: OnceLock<Watch> = OnceLock::new();
static PART: OnceLock<PartFile> = OnceLock::new();
/// Bytes written to the output (for -o, its temporary file).
static WRITTEN: AtomicU64 = AtomicU64::new(0);
/// What the main thread waits for on the output, if anything (`Waiting as u8`).
static WAITING: AtomicU8 = AtomicU8::new(Waiting::Nothing as u8);
/// The -o file was named FILE or FILE.part already.
static SETTLED: AtomicBool = AtomicBool::new(false);
/// A progress bar is on the screen, so the message must start a new line.
static PROGRESS: AtomicBool = AtomicBool::new(false);

/// What the main thread is doing, for an interruption's message ("while
/// receiving the body from 10.0.0.5:80"). Kept as a code and the address's
/// bits, not as text: set at every phase of every fetch, it must cost next to
/// nothing, and the handler formats it only when a signal comes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Phase {
    Nothing,
    Resolving,
    Connecting,
    Handshake,
    Sending,
    Waiting,
    Receiving,
}

impl Phase {
    const ALL: [Phase; 7] = [
        Phase::Nothing,
        Phase::Resolving,
        Phase::Connecting,
        Phase::Handshake,
        Phase::Sending,
        Phase::Waiting,
        Phase::Receiving,
    ];

    fn doing(self) -> &'static str {
        match self {
            Phase::Nothing => "",
            Phase::Resolving => "resolving",
            Phase::Connecting => "connecting to",
            Phase::Handshake => "in the TLS handshake with",
            Phase::Sending => "sending the request to",
            Phase::Waiting => "waiting for the response from",
            Phase::Receiving => "receiving the body from",
        }
    }
}

/// `Phase as u8`; `Nothing` while the address or name below changes.
static PHASE: AtomicU8 = AtomicU8::new(Phase::Nothing as u8);
static PEER_IP: AtomicU64 = AtomicU64::new(0);
static PEER_IP_LOW: AtomicU64 = AtomicU64::new(0);
static PEER_PORT: AtomicU16 = AtomicU16::new(0);
static PEER_V6: AtomicBool = AtomicBool::new(false);
/// The name being resolved, its bytes as atomics.
const NAME_MAX: usize = 128;
static NAME: [AtomicU8; NAME_MAX] = [const { AtomicU8::new(0) }; NAME_MAX];
static NAME_LEN: AtomicUsize = AtomicUsize::new(0);

/// Sets the phase an interruption names, with the address it concerns.
pub fn set_phase(phase: Phase, addr: SocketAddr) {
    PHASE.store(Phase::Nothing as u8, Ordering::Release);
    let (bits, v6) = match addr.ip() {
        IpAddr::V4(ip) => (u128::from(u32::from(ip)), false),
        IpAddr::V6(ip) => (u128::from(ip), true),
    };
    PEER_IP.store((bits >> 64) as u64, Ordering::Relaxed);
    PEER_IP_LOW.store(bits as u64, Ordering::Relaxed);
    PEER_PORT.store(addr.port(), Ordering::Relaxed);
    PEER_V6.store(v6, Ordering::Relaxed);
    PHASE.store(phase as u8, Ordering::Release);
}

/// The name being resolved, for an interruption's message.
pub fn set_resolving(name: &str) {
    PHASE.store(Phase::Nothing as u8, Ordering::Release);
    let mut len = name.len().min(NAME_MAX);
    while !name.is_char_boundary(len) {
        len -= 1;
    }
    for (slot, byte) in NAME.iter().zip(&name.as_bytes()[..len]) {
        slot.store(*byte, Ordering::Relaxed);
    }
    NAME_LEN.store(len, Ordering::Relaxed);
    PHASE.store(Phase::Resolving as u8, Ordering::Release);
}

/// " while receiving the body from 10.0.0.5:80", into the handler's buffer.
fn write_phase(line: &mut Cursor<&mut [u8]>) {
    let code = PHASE.load(Ordering::Acquire);
    let Some(&phase) = Phase::ALL.get(usize::from(code)) else {
        return;
    };
    if phase == Phase::Nothing {
        return;
    }
    let _ = write!(line, " while {}", phase.doing());
    if phase == Phase::Resolving {
        let _ = line.write_all(b" ");
        for slot in &NAME[..NAME_LEN.load(Ordering::Relaxed).min(NAME_MAX)] {
            let _ = line.write_all(&[slot.load(Ordering::Relaxed)]);
        }
        return;
    }
    let high = u128::from(PEER_IP.load(Ordering::Relaxed)) << 64;
    let bits = high | u128::from(PEER_IP_LOW.load(Ordering::Relaxed));
    let ip = if PEER_V6.load(Ordering::Relaxed) {
        IpAddr::V6(bits.into())
    } else {
        IpAddr::V4((bits as u32).into())
    };
    let addr = SocketAddr::new(ip, PEER_PORT.load(Ordering::Relaxed));
    let _ = write!(line, " {addr}");
}

/// Installs the handlers; called once, before any socket is opened.
pub fn install(start: Instant) -> io::Result<()> {
    let stderr = File::from(io::stderr().as_fd().try_clone_to_owned()?);
    if WATCH.set(Watch { start, stderr }).is_err() {
        return Ok(()); // already installed
    }
    for (signal, name) in [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM")] {
        // SAFETY: `interrupted` is async-signal-safe: it reads atomics and
        // OnceLocks that were set before, formats into a stack buffer without
        // allocating, and makes only write, rename, link, unlink, sigaction,
        // sigprocmask, raise and _exit calls.
        #[allow(unsafe_code)]
        unsafe { signal_hook::low_level::register(signal, move || interrupted(name, signal)) }?;
    }
    Ok(())
}

/// Names the -o temporary file, so that an interruption keeps it as `part`:
/// `temp` is its name, or the name it is linked to from `unnamed` first.
pub fn watch_part(temp: &Path, unnamed: Option<&Path>, part: &Path) {
    let c_path = |path: &Path| CString::new(path.as_os_str().as_bytes()).ok();
    let (Some(temp_c), Some(part_c)) = (c_path(temp), c_path(part)) else {
        return;
    };
    let _ = PART.set(PartFile {
        temp: temp_c,
        unnamed: unnamed.and_then(c_path),
        part: part_c,
        part_shown: part.display().to_string(),
    });
}

/// The -o file has its final name (FILE or FILE.part): an interruption from now
/// on must leave it alone.
pub fn part_settled() {
    WRITTEN.store(0, Ordering::Relaxed);
    SETTLED.store(true, Ordering::Relaxed);
}

/// A wait on the output that only its reader can end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Waiting {
    Nothing,
    /// A write or splice into the output.
    Write,
    /// The open of a named pipe, which blocks until a reader opens it too.
    Open,
}

/// Runs `f`, a call that may block until the output's reader acts, marked so that
/// the --max-time watchdog can end fetch if the deadline passes meanwhile.
pub fn waiting_for_output<T>(what: Waiting, f: impl FnOnce() -> T) -> T {
    WAITING.store(what as u8, Ordering::Relaxed);
    let result = f();
    WAITING.store(Waiting::Nothing as u8, Ordering::Relaxed);
    result
}

/// Ends fetch with exit 29 if, once `deadline` has passed, the main thread is
/// still waiting for the output (every other wait has the deadline in its own
/// timeout). Stops when dropped.
pub struct Watchdog {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Watchdog {
    /// `None` without --max-time: then nothing needs watching.
    pub fn start(
        deadline: Option<Instant>,
        limit: Duration,
        output: &Path,
    ) -> io::Result<Option<Watchdog>> {
        let Some(deadline) = deadline else {
            return Ok(None);
        };
        let (stop, stopped) = mpsc::channel::<()>();
        let output = output.display().to_string();
        let thread = thread::Builder::new()
            .name("deadline".into())
            .spawn(move || watch(deadline, limit, &output, &stopped))?;
        Ok(Some(Watchdog {
            stop: Some(stop),
            thread: Some(thread),
        }))
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn watch(deadline: Instant, limit: Duration, output: &str, stopped: &mpsc::Receiver<()>) {
    let mut wake = deadline.saturating_duration_since(Instant::now());
    // Past the deadline the main thread ends by itself within moments, unless it is
    // stuck on the output: look every 10 ms until one or the other.
    while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(wake) {
        wake = Duration::from_millis(10);
        let what = match WAITING.load(Ordering::Relaxed) {
            // No byte count: a write that stalls part-way into a pipe has put bytes
            // there already without returning, so no count fetch has is exact.
            w if w == Waiting::Write as u8 => {
                "while the output was not taking bytes: whatever reads fetch's output stopped reading".to_string()
            }
            w if w == Waiting::Open as u8 => format!("while waiting for a reader to open {output}"),
            _ => continue,
        };
        let newline = if PROGRESS.load(Ordering::Relaxed) {
            "\n"
        } else {
            ""
        };
        let line = format!(
            "{newline}fetch: --max-time {} ran out {what}\n",
            Elapsed(limit)
        );
        if let Some(watch) = WATCH.get() {
            let _ = (&watch.stderr).write_all(line.as_bytes());
        }
        // _exit: the main thread is blocked in a write and must not run on.
        signal_hook::low_level::exit(29);
    }
}

/// Records how many bytes the output holds.
pub fn set_written(bytes: u64) {
    WRITTEN.store(bytes, Ordering::Relaxed);
}

pub fn set_progress_shown(shown: bool) {
    PROGRESS.store(shown, Ordering::Relaxed);
}

fn interrupted(name: &str, signal: i32) -> ! {
    let mut buf = [0u8; 1024];
    let mut line = Cursor::new(&mut buf[..]);
    // A message longer than the buffer is cut short; the exit status still tells.
    if PROGRESS.load(Ordering::Relaxed) {
        let _ = line.write_all(b"\n");
    }
    let _ = write!(line, "fetch: interrupted by {name}");
    if let Some(watch) = WATCH.get() {
        let _ = write!(line, " after {}", Elapsed(watch.start.elapsed()));
    }
    write_phase(&mut line);
    if WAITING.load(Ordering::Relaxed) == Waiting::Write as u8 {
        let _ = line.write_all(b", writing to the output");
    }
    if let Some(part) = PART.get().filter(|_| !SETTLED.load(Ordering::Relaxed)) {
        let written = WRITTEN.load(Ordering::Relaxed);
        // Fails harmlessly if the file was already renamed, complete or as .part.
        if written > 0 && keep_part(part).is_ok() {
            let _ = write!(
                line,
                "; the {written} bytes written are in {}",
                part.part_shown
            );
        } else if part.unnamed.is_none() {
            let _ = rustix::fs::unlink(&part.temp);
        }
    }
    let _ = line.write_all(b"\n");
    let end = line.position() as usize;
    let message = &line.into_inner()[..end];
    if let Some(watch) = WATCH.get() {
        let _ = (&watch.stderr).write_all(message);
    }
    // Die by the signal itself, not with exit(128 + N): a shell running fetch in a
    // loop stops the loop only when its child was killed by SIGINT (bash's "wait
    // and cooperative exit"); $? is 130 or 143 all the same.
    let _ = signal_hook::low_level::emulate_default_handler(signal);
    signal_hook::low_level::exit(128 + signal)
}

/// Names the temporary file FILE.part; only system calls, for the signal handler.
fn keep_part(part: &PartFile) -> rustix::io::Result<()> {
    if let Some(unnamed) = &part.unnamed {
        use rustix::fs::{AtFlags, CWD};
        let _ = rustix::fs::unlink(&part.temp);
        rustix::fs::linkat(CWD, unnamed, CWD, &part.temp, AtFlags::SYMLINK_FOLLOW)?;
    }
    rustix::fs::rename(&part.temp, &part.part)
}

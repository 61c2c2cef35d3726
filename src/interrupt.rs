//! Ctrl-C (SIGINT) and SIGTERM: stop at once, keep what arrived, die by the signal
//! (the shell's $? is 130 or 143).
//!
//! The work is done inside the signal handler, because the main thread may be
//! blocked in a read, a connect or a full pipe for as long as its timeouts allow.
//! A handler may only do what is async-signal-safe, so it uses atomics, a buffer on
//! its stack and plain system calls (write, rename, unlink, _exit), and everything
//! else is prepared before: the start time, a handle on stderr, the -o paths.

use std::ffi::CString;
use std::fs::File;
use std::io::{self, Cursor, Write};
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

use signal_hook::consts::{SIGINT, SIGTERM};

use crate::error::Elapsed;

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
/// Bytes in the -o temporary file.
static WRITTEN: AtomicU64 = AtomicU64::new(0);
/// The -o file was named FILE or FILE.part already.
static SETTLED: AtomicBool = AtomicBool::new(false);
/// A progress bar is on the screen, so the message must start a new line.
static PROGRESS: AtomicBool = AtomicBool::new(false);

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

/// Records how many bytes the -o temporary file holds.
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
    if let Some(part) = PART.get().filter(|_| !SETTLED.load(Ordering::Relaxed)) {
        let written = WRITTEN.load(Ordering::Relaxed);
        // Fails harmlessly if the file was already renamed, complete or as .part.
        if written > 0 && keep_part(part).is_ok() {
            let _ = write!(
                line,
                "; the {written} bytes received are in {}",
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

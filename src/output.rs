//! Where response bytes go: standard output, unbuffered and unmodified, or a file
//! that only takes its name once the response is complete.

use std::fs::{self, File, OpenOptions};
use std::io::{self, IsTerminal, Seek, Write};
use std::os::fd::{AsFd, BorrowedFd};
use std::path::Path;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::atomic::{AtomicFile, part_path};
use crate::error::{Error, Stop};
use crate::interrupt::{self, Waiting};

/// How much of the body is looked at to decide whether it is binary.
const SNIFF_LEN: usize = 1024;

/// Linux's default /proc/sys/fs/pipe-max-size, the most an unprivileged process may ask.
pub const PIPE_SIZE: usize = 1 << 20;

pub struct Output {
    /// stdout is a duplicate of fd 1: `io::stdout()` is line-buffered, which would
    /// split a body with many newlines into many small writes.
    file: File,
    /// For `-o FILE`: `file` is its temporary file, named only when complete.
    target: Option<AtomicFile>,
    guard: Guard,
    /// Bytes written to `file`, head included.
    written: u64,
    progress: Option<ProgressBar>,
    /// `file` is a pipe in blocking mode, so the body can be spliced into it.
    pipe: bool,
    /// `file` is a terminal: bytes that are not the body are shown escaped.
    terminal: bool,
    /// The body's length, when the head announced one.
    body_length: Option<u64>,
}

/// On a terminal, a binary body would garble the screen, so it is not printed.
enum Guard {
    Off,
    /// Holding the first body bytes until there are enough to decide.
    Sniffing(Vec<u8>),
    /// Binary: the body was not printed, and no more of it is wanted. The size
    /// to mention, when known.
    Suppressed(Option<u64>),
}

impl Output {
    /// Standard output; `binary_guard` when it is a terminal the user did not force.
    pub fn stdout(binary_guard: bool) -> Result<Output, Error> {
        let fd = io::stdout()
            .as_fd()
            .try_clone_to_owned()
            .map_err(Error::Write)?;
        let guard = if binary_guard {
            Guard::Sniffing(Vec::new())
        } else {
            Guard::Off
        };
        Ok(Output::new(File::from(fd), None, guard))
    }

    /// A temporary file beside `dest`, created now so that an unwritable place fails
    /// before anything is sent. It becomes `dest` only in `finish`.
    pub fn file(dest: &Path) -> Result<Output, Error> {
        match fs::metadata(dest) {
            Ok(meta) if meta.is_dir() => return Err(file_error(dest, "is a directory")),
            // A device or a FIFO (-o /dev/null, a named pipe) is written in place:
            // renaming a file over it would replace it, /dev/null included.
            Ok(meta) if !meta.is_file() => {
                // A named pipe's open waits for a reader, under --max-time's watch.
                let file = interrupt::waiting_for_output(Waiting::Open, || {
                    OpenOptions::new().write(true).open(dest)
                })
                .map_err(|e| file_error(dest, &e.to_string()))?;
                return Ok(Output::new(file, None, Guard::Off));
            }
            _ => {}
        }
        let (file, atomic) =
            AtomicFile::create(dest).map_err(|e| file_error(dest, &e.to_string()))?;
        let (temp, unnamed) = atomic.names();
        interrupt::watch_part(temp, unnamed, &part_path(dest));
        Ok(Output::new(file, Some(atomic), Guard::Off))
    }

    fn new(file: File, target: Option<AtomicFile>, guard: Guard) -> Output {
        let pipe = target.is_none() && is_blocking_pipe(&file);
        if pipe {
            size_pipe(&file);
        }
        Output {
            terminal: file.is_terminal(),
            file,
            target,
            guard,
            written: 0,
            progress: None,
            pipe,
            body_length: None,
        }
    }

    /// The pipe to splice body bytes into: when the output is a pipe and nothing
    /// needs to see the bytes on their way (the binary guard does).
    pub fn splice_target(&self) -> Option<BorrowedFd<'_>> {
        (self.pipe && matches!(self.guard, Guard::Off)).then(|| self.file.as_fd())
    }

    /// Counts body bytes that went into the pipe by splice.
    pub fn spliced(&mut self, count: usize) {
        if let Some(bar) = &self.progress {
            bar.inc(count as u64);
        }
        self.written += count as u64;
        interrupt::set_written(self.written);
    }

    /// Shows a progress bar on stderr while the body is written.
    pub fn with_progress(mut self) -> Output {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.set_style(style("{spinner} {bytes} {binary_bytes_per_sec} {elapsed}"));
        self.progress = Some(bar);
        interrupt::set_progress_shown(true);
        self
    }

    /// Once the head has said how long the body is, the bar shows percent and ETA.
    pub fn set_body_length(&mut self, length: Option<u64>) {
        self.body_length = length;
        if let (Some(bar), Some(length)) = (&self.progress, length) {
            bar.set_length(length);
            bar.set_style(style(
                "{bytes}/{total_bytes} [{bar:30}] {percent}% {binary_bytes_per_sec} ETA {eta}",
            ));
        }
    }

    /// Readies the output for another attempt: `false` when bytes already reached
    /// the user (stdout), so a retry would repeat them. A temporary file starts afresh.
    pub fn restart(&mut self) -> Result<bool, Error> {
        match (&self.target, &mut self.guard) {
            (Some(_), _) => {
                self.file.set_len(0).map_err(Error::Write)?;
                self.file.rewind().map_err(Error::Write)?;
            }
            (None, _) if self.written > 0 => return Ok(false),
            (None, Guard::Sniffing(held)) => held.clear(),
            (None, Guard::Suppressed(_)) => self.guard = Guard::Sniffing(Vec::new()),
            (None, Guard::Off) => {}
        }
        self.written = 0;
        interrupt::set_written(0);
        if let Some(bar) = &self.progress {
            bar.reset();
        }
        Ok(true)
    }

    /// A response head, as received; on a terminal with its control bytes escaped.
    pub fn write_head(&mut self, bytes: &[u8]) -> Result<(), Stop> {
        self.write_unparsed(bytes)
    }

    /// Bytes that did not parse as a response (a malformed head, not HTTP at all):
    /// as received, but on a terminal escaped, for they are not a body the user
    /// asked to see and may hold escape sequences. They bypass the binary guard.
    pub fn write_unparsed(&mut self, bytes: &[u8]) -> Result<(), Stop> {
        if self.terminal {
            self.write_out(&crate::escape::shown_lines(bytes))
        } else {
            self.write_out(bytes)
        }
    }

    pub fn write_body(&mut self, bytes: &[u8]) -> Result<(), Stop> {
        if let Some(bar) = &self.progress {
            bar.inc(bytes.len() as u64);
        }
        match &mut self.guard {
            Guard::Off => self.write_out(bytes),
            Guard::Suppressed(_) => Err(Stop::Quiet),
            Guard::Sniffing(held) => {
                held.extend_from_slice(bytes);
                if held.len() >= SNIFF_LEN {
                    self.decide(self.body_length)
                } else {
                    Ok(())
                }
            }
        }
    }

    /// Ends the sniffing: writes the held bytes if they are text; if they are
    /// binary, the body is not printed and no more of it is wanted (`Stop::Quiet`).
    /// `size` is the body's size to mention, when known.
    fn decide(&mut self, size: Option<u64>) -> Result<(), Stop> {
        let Guard::Sniffing(held) = &mut self.guard else {
            return Ok(());
        };
        let held = std::mem::take(held);
        if held[..held.len().min(SNIFF_LEN)].contains(&0) {
            self.guard = Guard::Suppressed(size);
            Err(Stop::Quiet)
        } else {
            self.guard = Guard::Off;
            self.write_out(&held)
        }
    }

    /// Writes all of `bytes`, counting each write that succeeds, so that after a
    /// failure the count is what reached the output. A reader that went away
    /// (`fetch … | head`) is not a failure: Rust ignores SIGPIPE, so we see EPIPE
    /// where a C tool would just die.
    fn write_out(&mut self, mut bytes: &[u8]) -> Result<(), Stop> {
        while !bytes.is_empty() {
            let file = &mut self.file;
            match interrupt::waiting_for_output(Waiting::Write, || file.write(bytes)) {
                Ok(0) => return Err(Error::Write(io::ErrorKind::WriteZero.into()).into()),
                Ok(n) => {
                    self.written += n as u64;
                    interrupt::set_written(self.written);
                    bytes = &bytes[n..];
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Err(Stop::Quiet),
                Err(e) => return Err(Error::Write(e).into()),
            }
        }
        Ok(())
    }

    /// The response is complete: flush what the guard held, give the file its name.
    pub fn finish(mut self) -> Result<(), Error> {
        self.end_progress(ProgressBar::finish);
        // A body shorter than the sniffing length is whole here: its size is known.
        let held = match &self.guard {
            Guard::Sniffing(held) => Some(held.len() as u64),
            _ => None,
        };
        match self.decide(held) {
            Ok(()) | Err(Stop::Quiet) => {}
            Err(Stop::Failed(error)) => return Err(error),
        }
        self.note_suppressed();
        if let Some(target) = self.target.take() {
            // Durable before it is named: a complete-looking FILE is a complete one.
            let dest = target.dest().to_path_buf();
            target
                .commit(&self.file)
                .map_err(|e| file_error(&dest, &e.to_string()))?;
            interrupt::part_settled();
        }
        Ok(())
    }

    /// The response failed: keep what arrived where it cannot pass for the whole,
    /// and say so in the error.
    pub fn abandon(mut self, error: Error) -> Error {
        self.end_progress(ProgressBar::abandon);
        // Held bytes are the user's too; if writing them fails, the error at hand matters more.
        let _ = self.decide(None);
        self.note_suppressed();
        let Some(target) = self.target.take() else {
            return error;
        };
        if self.written == 0 {
            target.discard();
            return error;
        }
        let kept = target.keep_part(&self.file);
        interrupt::part_settled();
        match kept {
            Ok(part) => Error::PartKept {
                source: Box::new(error),
                path: part,
                bytes: self.written,
            },
            Err(_) => error,
        }
    }

    /// Leaves the bar's last state on screen and ends its line, which indicatif
    /// does not, so that what follows (an error, the prompt) starts on its own line.
    fn end_progress(&self, end: fn(&ProgressBar)) {
        if let Some(bar) = &self.progress {
            end(bar);
            let _ = writeln!(io::stderr());
            interrupt::set_progress_shown(false);
        }
    }

    fn note_suppressed(&self) {
        if let Guard::Suppressed(size) = self.guard {
            let size = size.map(|n| format!(" ({n} bytes)")).unwrap_or_default();
            let line = format!(
                "fetch: the body{size} looks binary and was not printed to the terminal; use -o FILE to save it, or -o - to print it anyway\n"
            );
            let _ = io::stderr().write_all(line.as_bytes());
        }
    }
}

/// A pipe in non-blocking mode (shared with a process that set O_NONBLOCK) would
/// make a full pipe look like a socket timeout to splice; it gets plain writes.
/// Only Linux splices (and not with `--cfg fetch_portable`).
#[cfg(all(target_os = "linux", not(fetch_portable)))]
fn is_blocking_pipe(file: &File) -> bool {
    use rustix::fs::OFlags;
    use std::os::unix::fs::FileTypeExt;
    let is_fifo = file.metadata().is_ok_and(|m| m.file_type().is_fifo());
    is_fifo && rustix::fs::fcntl_getfl(file).is_ok_and(|flags| !flags.contains(OFlags::NONBLOCK))
}

#[cfg(not(all(target_os = "linux", not(fetch_portable))))]
fn is_blocking_pipe(_: &File) -> bool {
    false
}

/// Linux pipes hold 64 KiB by default, so each 64 KiB write waits for the reader to
/// empty the pipe. At the unprivileged maximum (1 MiB) writer and reader overlap
/// (bench/: 1 GiB through `| cat` 2.9 × faster). The pipe is only a buffer; if the
/// system refuses, the default still works.
#[cfg(all(target_os = "linux", not(fetch_portable)))]
fn size_pipe(file: &File) {
    let _ = rustix::pipe::fcntl_setpipe_size(file, PIPE_SIZE);
}

#[cfg(not(all(target_os = "linux", not(fetch_portable))))]
fn size_pipe(_: &File) {}

/// Our templates are constants that parse; the fallback only keeps this panic-free.
fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
}

fn file_error(path: &Path, why: &str) -> Error {
    Error::Write(io::Error::other(format!(
        "cannot write '{}': {why}",
        path.display()
    )))
}

//! Where response bytes go: standard output, unbuffered and unmodified, or a file
//! that only takes its name once the response is complete. In four parts: the
//! sink (the descriptor), the atomic file (-o), the binary guard and the progress
//! bar; `Output` puts them together.

pub mod atomic;
mod guard;
mod progress;
mod sink;

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::fs::DirBuilderExt;
use std::path::Path;

use crate::error::{Error, Stop, io_text};
use crate::interrupt::{self, Waiting};
use atomic::{AtomicFile, part_path};
use guard::{Guard, Verdict};
use progress::Progress;
use sink::Sink;

pub use sink::PIPE_SIZE;

/// A Content-Encoding left on the body (fetch did not decode it): the binary
/// guard's note names it, and says whether --compressed would undo it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    pub listed: String,
    pub decodable: bool,
}

pub struct Output {
    sink: Sink,
    /// -D: every response head goes here too, as received.
    dump: Option<Sink>,
    /// For `-o FILE`: the sink writes its temporary file, named only when complete.
    target: Option<AtomicFile>,
    guard: Guard,
    progress: Progress,
    /// The body's length, when the head announced one.
    body_length: Option<u64>,
    /// -C -: how many bytes of the file were there before this fetch, to write
    /// on from (0 once a response started the file over).
    resumed: Option<u64>,
    /// The body's Content-Encoding, when it reaches the output undecoded, and
    /// whether --compressed would decode it.
    body_coding: Option<Encoded>,
}

impl Output {
    /// Standard output; `binary_guard` when it is a terminal the user did not force.
    pub fn stdout(binary_guard: bool) -> Result<Output, Error> {
        let fd = io::stdout()
            .as_fd()
            .try_clone_to_owned()
            .map_err(Error::write)?;
        Ok(Output::new(File::from(fd), None, Guard::new(binary_guard)))
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

    /// -C -: FILE.part (or a partial FILE, renamed so), written on from its
    /// `offset` bytes, and named FILE once the response is complete.
    pub fn resume(dest: &Path, offset: u64) -> Result<Output, Error> {
        let (file, atomic) =
            AtomicFile::resume(dest, offset).map_err(|e| file_error(dest, &e.to_string()))?;
        let part = part_path(dest);
        interrupt::watch_part(&part, None, &part);
        let mut out = Output::new(file, Some(atomic), Guard::Off);
        out.sink.resume_at(offset);
        out.resumed = Some(offset);
        Ok(out)
    }

    /// -C -: the length the file is resumed from; 0 once a response started it
    /// over, when a later attempt's 206 (to the same Range) no longer fits.
    pub fn resume_offset(&self) -> Option<u64> {
        self.resumed
    }

    /// -C -: the server sends the whole body, not the rest: the file starts over.
    pub fn start_over(&mut self) -> Result<(), Error> {
        self.sink.truncate_to(0).map_err(Error::write)?;
        self.resumed = Some(0);
        Ok(())
    }

    fn new(file: File, target: Option<AtomicFile>, guard: Guard) -> Output {
        Output {
            dump: None,
            sink: Sink::new(file, target.is_none()),
            target,
            guard,
            progress: Progress::default(),
            body_length: None,
            body_coding: None,
            resumed: None,
        }
    }

    /// -D FILE: the response heads also go to FILE (`-`: standard output),
    /// created or emptied now, so that an unwritable one fails before anything
    /// is sent.
    pub fn with_dump(mut self, path: &Path) -> Result<Output, Error> {
        let file = if path.as_os_str() == "-" {
            File::from(
                io::stdout()
                    .as_fd()
                    .try_clone_to_owned()
                    .map_err(Error::write)?,
            )
        } else {
            File::create(path).map_err(|e| file_error(path, &e.to_string()))?
        };
        self.dump = Some(Sink::new(file, false));
        Ok(self)
    }

    /// A response head for -D; on a terminal, escaped as any head.
    pub fn dump_head(&mut self, bytes: &[u8]) -> Result<(), Stop> {
        let Some(dump) = &mut self.dump else {
            return Ok(());
        };
        if dump.is_terminal() {
            dump.write(&crate::escape::shown_lines(bytes))
        } else {
            dump.write(bytes)
        }
    }

    /// Shows a progress bar on stderr while the body is written.
    pub fn with_progress(mut self) -> Output {
        self.progress = Progress::shown();
        self
    }

    /// The pipe to splice body bytes into: when the output is a pipe and nothing
    /// needs to see the bytes on their way (the binary guard does).
    pub fn splice_target(&self) -> Option<BorrowedFd<'_>> {
        self.sink.pipe().filter(|_| self.guard.is_off())
    }

    /// Counts body bytes that went into the pipe by splice.
    pub fn spliced(&mut self, count: usize) {
        self.progress.add(count as u64);
        self.sink.spliced(count);
    }

    /// Once the head has said how long the body is, the bar shows percent and ETA.
    pub fn set_body_length(&mut self, length: Option<u64>) {
        self.body_length = length;
        if let Some(length) = length {
            self.progress.set_length(length);
        }
    }

    /// The body comes with this Content-Encoding, not undone: the binary note says so.
    /// Compressed bytes are binary whatever they hold (br may have no NUL in
    /// its first KiB): on a terminal, the first of them stops the body.
    pub fn set_body_coding(&mut self, coding: Option<Encoded>) {
        self.body_coding = coding;
    }

    /// Readies the output for another attempt: `false` when bytes already reached
    /// the user (stdout), so a retry would repeat them. A temporary file starts afresh.
    pub fn restart(&mut self) -> Result<bool, Error> {
        if !self.can_restart() {
            return Ok(false);
        }
        if self.target.is_some() {
            // A resumed file goes back to what it held before this fetch.
            let keep = self.resumed.unwrap_or(0);
            self.sink.truncate_to(keep).map_err(Error::write)?;
        }
        self.guard.reset();
        self.progress.reset();
        Ok(true)
    }

    /// Whether `restart` can take back all that was written: a file can, a
    /// stream that has shown bytes cannot.
    pub fn can_restart(&self) -> bool {
        self.target.is_some() || self.sink.written() == 0
    }

    /// A response head, as received; on a terminal with its control bytes escaped.
    pub fn write_head(&mut self, bytes: &[u8]) -> Result<(), Stop> {
        self.write_unparsed(bytes)
    }

    /// Bytes that did not parse as a response (a malformed head, not HTTP at all):
    /// as received, but on a terminal escaped, for they are not a body the user
    /// asked to see and may hold escape sequences. They bypass the binary guard.
    pub fn write_unparsed(&mut self, bytes: &[u8]) -> Result<(), Stop> {
        if self.sink.is_terminal() {
            self.sink.write(&crate::escape::shown_lines(bytes))
        } else {
            self.sink.write(bytes)
        }
    }

    pub fn write_body(&mut self, bytes: &[u8]) -> Result<(), Stop> {
        if self.body_coding.is_some() && !bytes.is_empty() {
            self.guard.suppress(self.body_length);
        }
        self.progress.add(bytes.len() as u64);
        match self.guard.pass(bytes, self.body_length) {
            Verdict::Write(bytes) => self.sink.write(&bytes),
            Verdict::Hold => Ok(()),
            // Binary on a terminal: no more of the body is wanted (a success).
            Verdict::Stop => Err(Stop::Quiet),
        }
    }

    /// The response is complete: flush what the guard held, give the file its name.
    pub fn finish(mut self) -> Result<(), Error> {
        self.progress.end(true);
        if let Verdict::Write(held) = self.guard.end() {
            match self.sink.write(&held) {
                Ok(()) | Err(Stop::Quiet) => {}
                Err(Stop::Failed(error)) => return Err(error),
            }
        }
        self.note_suppressed();
        if let Some(target) = self.target.take() {
            // Durable before it is named: a complete-looking FILE is a complete one.
            let dest = target.dest().to_path_buf();
            target
                .commit(self.sink.file())
                .map_err(|e| file_error(&dest, &e.to_string()))?;
            interrupt::part_settled();
        }
        Ok(())
    }

    /// The response failed: keep what arrived where it cannot pass for the whole,
    /// and say so in the error.
    pub fn abandon(mut self, error: Error) -> Error {
        self.progress.end(false);
        // Held bytes are the user's too; if writing them fails, the error at hand matters more.
        if let Verdict::Write(held) = self.guard.decide(None) {
            let _ = self.sink.write(&held);
        }
        self.note_suppressed();
        let Some(target) = self.target.take() else {
            return error;
        };
        if self.sink.written() == 0 {
            target.discard();
            return error;
        }
        let kept = target.keep_part(self.sink.file());
        interrupt::part_settled();
        match kept {
            Ok(part) => Error::PartKept {
                source: Box::new(error),
                path: part,
                bytes: self.sink.written(),
            },
            Err(_) => error,
        }
    }

    fn note_suppressed(&self) {
        if let Some(line) = self.guard.note(
            self.body_coding
                .as_ref()
                .map(|c| (c.listed.as_str(), c.decodable)),
        ) {
            let _ = io::stderr().write_all(line.as_bytes());
        }
    }
}

/// --create-dirs: the directories `path` goes in, made when missing (curl's
/// mode for them, 0750 before the umask).
pub fn create_dirs(path: &Path) -> Result<(), Error> {
    let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) else {
        return Ok(());
    };
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o750)
        .create(dir)
        .map_err(|e| {
            file_error(
                path,
                &format!("cannot create its directory: {}", io_text(&e)),
            )
        })
}

/// A file written only at the end (-c's jar) must have a directory to go in,
/// checked before anything is sent.
pub fn check_dir(path: &Path) -> Result<(), Error> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    match dir.map(std::fs::metadata) {
        None | Some(Ok(_)) => Ok(()),
        Some(Err(e)) => Err(file_error(path, &format!("its directory: {}", io_text(&e)))),
    }
}

fn file_error(path: &Path, why: &str) -> Error {
    Error::write(io::Error::other(format!(
        "cannot write '{}': {why}",
        path.display()
    )))
}

//! The descriptor the bytes go to: counted as they reach it, a closed reader a
//! quiet stop, a pipe sized and offered for splice, a terminal shown escaped text.

use std::fs::File;
use std::io::{self, IsTerminal, Seek, Write};
use std::os::fd::{AsFd, BorrowedFd};

use crate::error::{Error, Stop};
use crate::interrupt::{self, Waiting};

/// Linux's default /proc/sys/fs/pipe-max-size, the most an unprivileged process may ask.
pub const PIPE_SIZE: usize = 1 << 20;

pub struct Sink {
    /// stdout is a duplicate of fd 1: `io::stdout()` is line-buffered, which would
    /// split a body with many newlines into many small writes.
    file: File,
    /// Bytes that reached `file`, head included.
    written: u64,
    /// `file` is a pipe in blocking mode, so the body can be spliced into it.
    pipe: bool,
    /// `file` is a terminal: bytes that are not the body are shown escaped.
    terminal: bool,
    /// A reader can hold `file`'s writes (a pipe, a terminal, a socket), not a
    /// regular file: the --max-time watchdog watches these writes.
    has_reader: bool,
}

impl Sink {
    /// `may_splice`: the bytes may go into `file` without passing through fetch
    /// (not for -o's temporary file, which is a regular file anyway).
    pub fn new(file: File, may_splice: bool) -> Sink {
        let pipe = may_splice && is_blocking_pipe(&file);
        if pipe {
            size_pipe(&file);
        }
        Sink {
            has_reader: !file.metadata().is_ok_and(|m| m.is_file()),
            terminal: file.is_terminal(),
            file,
            written: 0,
            pipe,
        }
    }

    pub fn file(&self) -> &File {
        &self.file
    }

    pub fn written(&self) -> u64 {
        self.written
    }

    pub fn is_terminal(&self) -> bool {
        self.terminal
    }

    /// The pipe to splice into, if `file` is one.
    pub fn pipe(&self) -> Option<BorrowedFd<'_>> {
        self.pipe.then(|| self.file.as_fd())
    }

    /// Counts bytes that reached the pipe by splice.
    pub fn spliced(&mut self, count: usize) {
        self.count(count);
    }

    /// Writes all of `bytes`, counting each write that succeeds, so that after a
    /// failure the count is what reached the output. A reader that went away
    /// (`fetch … | head`) is not a failure: Rust ignores SIGPIPE, so we see EPIPE
    /// where a C tool would just die.
    pub fn write(&mut self, mut bytes: &[u8]) -> Result<(), Stop> {
        while !bytes.is_empty() {
            let file = &mut self.file;
            let written = if self.has_reader {
                interrupt::waiting_for_output(Waiting::Write, || file.write(bytes))
            } else {
                file.write(bytes)
            };
            match written {
                Ok(0) => return Err(Error::write(io::ErrorKind::WriteZero.into()).into()),
                Ok(n) => {
                    self.count(n);
                    bytes = &bytes[n..];
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Err(Stop::Quiet),
                Err(e) => return Err(Error::write(e).into()),
            }
        }
        Ok(())
    }

    /// Cuts a file back to its first `length` bytes, to write on from there:
    /// another attempt, or (-C -) what the file held before.
    pub fn truncate_to(&mut self, length: u64) -> io::Result<()> {
        self.file.set_len(length)?;
        self.file.seek(io::SeekFrom::Start(length))?;
        self.count_from(length);
        Ok(())
    }

    /// -C -: the file holds `length` bytes already, counted as written.
    pub fn resume_at(&mut self, length: u64) {
        self.count_from(length);
    }

    fn count_from(&mut self, length: u64) {
        self.written = length;
        interrupt::set_written(length);
    }

    fn count(&mut self, bytes: usize) {
        self.written += bytes as u64;
        interrupt::set_written(self.written);
    }
}

/// A pipe in non-blocking mode (shared with a process that set O_NONBLOCK) would
/// make a full pipe look like a socket timeout to splice; it gets plain writes.
/// Only Linux splices (and only with the feature linux-fast-paths).
#[cfg(all(target_os = "linux", feature = "linux-fast-paths"))]
fn is_blocking_pipe(file: &File) -> bool {
    use rustix::fs::OFlags;
    use std::os::unix::fs::FileTypeExt;
    let is_fifo = file.metadata().is_ok_and(|m| m.file_type().is_fifo());
    is_fifo && rustix::fs::fcntl_getfl(file).is_ok_and(|flags| !flags.contains(OFlags::NONBLOCK))
}

#[cfg(not(all(target_os = "linux", feature = "linux-fast-paths")))]
fn is_blocking_pipe(_: &File) -> bool {
    false
}

/// Linux pipes hold 64 KiB by default, so each 64 KiB write waits for the reader to
/// empty the pipe. At the unprivileged maximum (1 MiB) writer and reader overlap
/// (bench/README.md: a pipe's throughput). The pipe is only a buffer; if the
/// system refuses, the default still works.
#[cfg(all(target_os = "linux", feature = "linux-fast-paths"))]
fn size_pipe(file: &File) {
    let _ = rustix::pipe::fcntl_setpipe_size(file, PIPE_SIZE);
}

#[cfg(not(all(target_os = "linux", feature = "linux-fast-paths")))]
fn size_pipe(_: &File) {}

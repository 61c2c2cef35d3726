//! Where response bytes go: standard output, unbuffered and unmodified.

use std::fs::File;
use std::io::{self, Write};
use std::os::fd::AsFd;

use crate::error::Error;

pub struct Output {
    /// A duplicate of fd 1: `io::stdout()` is line-buffered, which would split a
    /// body with many newlines into many small writes.
    file: File,
    written: u64,
}

impl Output {
    pub fn stdout() -> Result<Output, Error> {
        let fd = io::stdout()
            .as_fd()
            .try_clone_to_owned()
            .map_err(Error::Write)?;
        Ok(Output {
            file: File::from(fd),
            written: 0,
        })
    }

    /// Writes all of `bytes`. A reader that went away (`fetch … | head`) is not a
    /// failure: Rust ignores SIGPIPE, so we see EPIPE where a C tool would just die.
    pub fn write(&mut self, bytes: &[u8]) -> Result<(), Error> {
        match self.file.write_all(bytes) {
            Ok(()) => {
                self.written += bytes.len() as u64;
                Ok(())
            }
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Err(Error::OutputClosed),
            Err(e) => Err(Error::Write(e)),
        }
    }

    pub fn written(&self) -> u64 {
        self.written
    }
}

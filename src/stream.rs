//! A connected byte stream whose every read and write obeys the clock. Plain TCP
//! is the first layer; a TLS stream over it, or a proxy tunnel, is another
//! `Stream`, and the transfer never knows which. A deadline that runs out inside
//! a layer travels up as an `io::Error` that carries its limit (`Expired`), so the
//! layers above can pass it through as any I/O error.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags, Timespec};
use rustix::io::Errno;
use rustix::net::SendFlags;

use crate::clock::Clock;
use crate::error::TimeLimit;

/// A connected stream: `read` and `write` wait at most what the clock allows.
pub trait Stream: Read + Write {
    /// Whether the peer has sent something a read would return now: data, its
    /// close, or an error. (TLS: records that carry no data, such as the session
    /// tickets a server sends after the handshake, are not an answer.)
    fn readable_now(&mut self) -> bool;

    /// splice(2) into `pipe`: only a layer whose bytes are the response's own, as
    /// they come off the socket, can offer it. `None`: read instead.
    fn splice_into(
        &mut self,
        _pipe: std::os::fd::BorrowedFd,
        _len: usize,
    ) -> Option<Result<usize, Spliced>> {
        None
    }

    /// Bytes the layer already holds in its own buffer (TLS: decrypted plaintext),
    /// lent so that they can be written without another copy; empty at a clean
    /// close. `None`: this layer has no such buffer, read into one instead.
    fn buffered(&mut self) -> Option<io::Result<&[u8]>> {
        None
    }

    /// Marks `count` bytes of what `buffered` lent as used.
    fn consume(&mut self, _count: usize) {}

    /// The response is complete: say goodbye (TLS sends its close_notify).
    fn finish(&mut self) {}
}

/// Why a stream operation failed, as the transfer reports it.
#[derive(Debug)]
pub enum Failure {
    Timeout(TimeLimit),
    Reset,
    /// The peer closed where a layer expected more (TLS: no close_notify).
    Eof,
    Other(io::Error),
}

impl Failure {
    /// What an I/O error from any layer means: a deadline (`Expired`), a reset, or
    /// something else.
    pub fn from_io(e: io::Error) -> Failure {
        if let Some(expired) = e
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<Expired>())
        {
            return Failure::Timeout(expired.0);
        }
        match e.kind() {
            io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted => Failure::Reset,
            io::ErrorKind::UnexpectedEof => Failure::Eof,
            _ => Failure::Other(e),
        }
    }

    pub fn into_io(self) -> io::Error {
        match self {
            Failure::Timeout(limit) => Expired(limit).into(),
            Failure::Reset => io::ErrorKind::ConnectionReset.into(),
            Failure::Eof => io::ErrorKind::UnexpectedEof.into(),
            Failure::Other(e) => e,
        }
    }
}

/// A deadline ran out: `--read-timeout` (no progress for that long) or `--max-time`.
#[derive(Debug, Clone, Copy)]
pub struct Expired(pub TimeLimit);

impl std::fmt::Display for Expired {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("timed out")
    }
}

impl std::error::Error for Expired {}

impl From<Expired> for io::Error {
    fn from(expired: Expired) -> io::Error {
        io::Error::new(io::ErrorKind::TimedOut, expired)
    }
}

/// How a splice ended, when it did not move bytes. (Without the Linux fast
/// paths nothing splices, but the body loop still asks.)
#[derive(Debug)]
#[cfg_attr(
    not(all(target_os = "linux", feature = "linux-fast-paths")),
    allow(dead_code)
)]
pub enum Spliced {
    Failed(Failure),
    /// The reader of the pipe went away.
    OutputClosed,
    /// This kernel or this pipe cannot splice: read instead.
    Unsupported,
}

/// Plain TCP under the clock.
pub struct Tcp<'c> {
    stream: TcpStream,
    clock: &'c Clock,
    /// The read timeout last given to the socket, to skip needless setsockopt calls.
    read_timeout: Option<Option<Duration>>,
    /// When the last byte went out: the idle limit on sending counts from it.
    sent_at: Instant,
    /// A handshake is under way: it belongs to connecting, so the connect
    /// deadline bounds it, not the idle limit.
    connecting: bool,
    /// The first bytes received, to show what answered when a layer above
    /// could not make sense of it (a plain-HTTP reply to a TLS hello).
    first: Vec<u8>,
}

impl<'c> Tcp<'c> {
    pub fn new(stream: TcpStream, clock: &'c Clock) -> Tcp<'c> {
        Tcp {
            stream,
            clock,
            read_timeout: None,
            sent_at: Instant::now(),
            connecting: false,
            first: Vec::new(),
        }
    }

    /// Whether the socket has something a read would get now (data, EOF, error).
    pub fn socket_readable(&self) -> bool {
        let mut socket = [PollFd::new(&self.stream, PollFlags::IN)];
        rustix::event::poll(&mut socket, Some(&Timespec::default())).is_ok_and(|n| n > 0)
    }

    /// Waits are bounded by the connect deadline while `connecting`.
    pub fn within_connect_deadline(&mut self, connecting: bool) {
        self.connecting = connecting;
    }

    pub fn first_bytes(&self) -> &[u8] {
        &self.first
    }

    /// How long the next read may wait, and which limit ends it.
    fn wait(&self) -> Result<Option<(Duration, TimeLimit)>, TimeLimit> {
        if !self.connecting {
            return self.clock.next_wait();
        }
        let Some(deadline) = self.clock.connect_deadline() else {
            return Ok(None);
        };
        let left = deadline.saturating_duration_since(Instant::now());
        let limit = TimeLimit::Total(left);
        if left.is_zero() {
            Err(limit)
        } else {
            Ok(Some((left, limit)))
        }
    }

    fn set_read_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        if self.read_timeout != Some(timeout) {
            self.stream.set_read_timeout(timeout)?;
            self.read_timeout = Some(timeout);
        }
        Ok(())
    }
}

impl Read for Tcp<'_> {
    /// One read, waiting at most until the idle limit or --max-time.
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let wait = self.wait().map_err(Expired)?;
        self.set_read_timeout(wait.map(|(d, _)| d))?;
        loop {
            match self.stream.read(buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Ok(n) => {
                    if self.first.len() < 64 {
                        let keep = (64 - self.first.len()).min(n);
                        self.first.extend_from_slice(&buf[..keep]);
                    }
                    return Ok(n);
                }
                Err(e) => return Err(deadline_or(e, wait)),
            }
        }
    }
}

impl Write for Tcp<'_> {
    /// Sends what fits, waiting for room in poll with the idle limit counted from
    /// the last byte that went out, then sending without blocking. (A socket's
    /// send timeout applies per call, and a blocking write returns its partial
    /// count only after waiting its whole timeout, so neither --max-time nor the
    /// idle limit would hold.)
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        loop {
            match rustix::net::send(&self.stream, bytes, SendFlags::DONTWAIT) {
                Ok(n) => {
                    self.sent_at = Instant::now();
                    return Ok(n);
                }
                Err(Errno::AGAIN | Errno::INTR) => {}
                Err(errno) => return Err(errno.into()),
            }
            let wait = if self.connecting {
                self.wait()
            } else {
                self.clock.wait_since(self.sent_at)
            }
            .map_err(Expired)?;
            let timeout = wait.and_then(|(d, _)| Timespec::try_from(d).ok());
            let mut socket = [PollFd::new(&self.stream, PollFlags::OUT)];
            match rustix::event::poll(&mut socket, timeout.as_ref()) {
                Ok(0) => return Err(expired(wait).into()),
                Ok(_) | Err(Errno::INTR) => {}
                Err(errno) => return Err(errno.into()),
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Stream for Tcp<'_> {
    fn readable_now(&mut self) -> bool {
        self.socket_readable()
    }

    /// splice(2): Linux only, and off without the feature linux-fast-paths, which tests the
    /// portable read/write path on Linux too.
    #[cfg(all(target_os = "linux", feature = "linux-fast-paths"))]
    fn splice_into(
        &mut self,
        pipe: std::os::fd::BorrowedFd,
        len: usize,
    ) -> Option<Result<usize, Spliced>> {
        Some(splice(&self.stream, self.clock, pipe, len))
    }
}

/// Moves up to `len` bytes from the socket into `pipe` inside the kernel.
#[cfg(all(target_os = "linux", feature = "linux-fast-paths"))]
fn splice(
    stream: &TcpStream,
    clock: &Clock,
    pipe: std::os::fd::BorrowedFd,
    len: usize,
) -> Result<usize, Spliced> {
    use crate::interrupt::{Waiting, waiting_for_output};
    use rustix::pipe::SpliceFlags;
    let wait = clock
        .next_wait()
        .map_err(|limit| Spliced::Failed(Failure::Timeout(limit)))?;
    // splice(2) keeps the pipe locked while it waits for the socket, so during a
    // pause the reader could not take the bytes already in the pipe. It is
    // called only once poll says the socket has something (data, EOF or error).
    let timeout = wait.and_then(|(d, _)| Timespec::try_from(d).ok());
    loop {
        let mut socket = [PollFd::new(stream, PollFlags::IN)];
        match rustix::event::poll(&mut socket, timeout.as_ref()) {
            Ok(0) => return Err(Spliced::Failed(Failure::Timeout(expired(wait).0))),
            Ok(_) => break,
            Err(Errno::INTR) => continue,
            Err(errno) => return Err(Spliced::Failed(Failure::Other(errno.into()))),
        }
    }
    loop {
        let moved = waiting_for_output(Waiting::Write, || {
            rustix::pipe::splice(stream, None, pipe, None, len, SpliceFlags::MOVE)
        });
        match moved {
            Ok(n) => return Ok(n),
            Err(Errno::INTR) => continue,
            // A kernel or a file that cannot splice: plain reads still work.
            Err(Errno::INVAL | Errno::NOSYS) => return Err(Spliced::Unsupported),
            Err(Errno::PIPE) => return Err(Spliced::OutputClosed),
            Err(errno) => {
                return Err(Spliced::Failed(Failure::from_io(deadline_or(
                    errno.into(),
                    wait,
                ))));
            }
        }
    }
}

/// A socket read timeout is `WouldBlock` on Unix and `TimedOut` elsewhere (std's
/// `set_read_timeout` docs): either means the wait ran out.
fn deadline_or(e: io::Error, wait: Option<(Duration, TimeLimit)>) -> io::Error {
    match e.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => expired(wait).into(),
        _ => e,
    }
}

/// The wait ran out: which limit it was comes from the clock.
fn expired(wait: Option<(Duration, TimeLimit)>) -> Expired {
    Expired(wait.map_or(TimeLimit::Idle(Duration::ZERO), |(_, limit)| limit))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deadline_survives_a_trip_through_io_error() {
        let limit = TimeLimit::Total(Duration::from_secs(2));
        let e: io::Error = Expired(limit).into();
        // As a layer above (TLS) would hand it back: wrapped as any I/O error.
        assert!(matches!(Failure::from_io(e), Failure::Timeout(l) if l == limit));
        let reset = io::Error::from(io::ErrorKind::ConnectionReset);
        assert!(matches!(Failure::from_io(reset), Failure::Reset));
    }
}

/// A stream in memory, as ureq's test transport: the response arrives in the
/// pieces given, then the peer closes; what fetch sends is kept. Protocol
/// cases drive `transfer::exchange` with it, exactly and without sockets,
/// processes or time.
#[cfg(test)]
pub mod memory {
    use std::collections::VecDeque;
    use std::io::{self, Read, Write};

    pub struct Memory {
        pieces: VecDeque<Vec<u8>>,
        /// The peer keeps the connection open after its last piece: a read
        /// past it is a test failure (fetch should have known the end).
        open_ended: bool,
        pub sent: Vec<u8>,
    }

    impl Memory {
        /// `response` cut into pieces of `size` bytes (each read returns one).
        pub fn new(response: &[u8], size: usize) -> Memory {
            Memory {
                pieces: response.chunks(size.max(1)).map(<[u8]>::to_vec).collect(),
                open_ended: false,
                sent: Vec::new(),
            }
        }

        /// As `new`, but the peer never closes.
        pub fn open_ended(response: &[u8], size: usize) -> Memory {
            Memory {
                open_ended: true,
                ..Memory::new(response, size)
            }
        }
    }

    impl Read for Memory {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let Some(mut piece) = self.pieces.pop_front() else {
                assert!(!self.open_ended, "read past the end of the response");
                return Ok(0);
            };
            let n = piece.len().min(buf.len());
            buf[..n].copy_from_slice(&piece[..n]);
            if n < piece.len() {
                self.pieces.push_front(piece.split_off(n));
            }
            Ok(n)
        }
    }

    impl Write for Memory {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.sent.extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl super::Stream for Memory {
        fn readable_now(&mut self) -> bool {
            true
        }
    }
}

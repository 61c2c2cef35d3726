//! One exchange on a connected stream: send the request, stream the response out.

use std::fs::File;
use std::io::{self, Read};
use std::net::SocketAddr;
use std::os::fd::BorrowedFd;
use std::path::Path;
use std::time::Duration;

use crate::body::{self, Body, BodyError, Refusal};
use crate::clock::Clock;
use crate::decode::{self, BodyOutput, Coding, Decoder};
use crate::duration::Elapsed;
use crate::error::{Error, Received, Stop};
use crate::output::{Encoded, Output};
use crate::payload::Piece;
use crate::report::Report;
use crate::request::Request;
use crate::response::{BodyLength, Head, HeadError, HeadReader};
use crate::stream::{Failure, Spliced, Stream};

/// 64 KiB matches a pipe's default capacity, so one read fills one write.
const BUF_SIZE: usize = 64 * 1024;
const HEAD_BUF_SIZE: usize = 4 * 1024;

/// A 3xx response that names where to go (RFC 9110, 15.4; not 304).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    pub status: u16,
    pub status_line: String,
    pub location: Vec<u8>,
}

impl Redirect {
    fn of(head: &Head) -> Option<Redirect> {
        let location = head.location.clone()?;
        ((300..400).contains(&head.status) && head.status != 304).then(|| Redirect {
            status: head.status,
            status_line: head.status_line.clone(),
            location,
        })
    }
}

/// How the response is taken: the flags that shape it, checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    /// -L: a redirect's body is neither read nor written; the caller follows it.
    pub follow: bool,
    /// Write the response head to the output too, not just the body.
    pub include_head: bool,
    /// --fail: a status of 400 or more ends the exchange before any body is written.
    pub fail_on_error: bool,
    /// --fail-with-body: a status of 400 or more fails after its body is written.
    pub fail_with_body: bool,
    /// --max-size: the most body bytes to accept.
    pub max_size: Option<u64>,
    /// --raw: write chunked bodies as received instead of decoded.
    pub raw: bool,
    /// --compressed: undo the Content-Encoding; --max-size counts decoded bytes.
    pub decode: bool,
    /// --retry, when this attempt's "try again" status is to be retried: such a
    /// response ends the exchange before its head or body is written.
    pub retry: Option<crate::retry::Budget>,
    /// fetch made the request in HTTP/1.0 (not --http1.1, not --raw): a server
    /// that refuses it gets a hint.
    pub http10: bool,
    /// Hints may go to stderr (not -s).
    pub notes: bool,
}

/// The exchange's view of its stream: where it goes, and how much came back.
struct Link<'s> {
    stream: &'s mut dyn Stream,
    addr: SocketAddr,
    clock: &'s Clock,
    /// Bytes received so far, head included.
    received: u64,
    /// Body bytes written so far, once the head is in.
    body_written: Option<u64>,
}

impl Link<'_> {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Failure> {
        let n = self.stream.read(buf).map_err(Failure::from_io)?;
        self.received += n as u64;
        Ok(n)
    }

    /// Sends all of `bytes`; on failure, says how many went out.
    fn send(&mut self, bytes: &[u8]) -> Result<(), (Failure, usize)> {
        let mut sent = 0;
        while sent < bytes.len() {
            match self.stream.write(&bytes[sent..]) {
                Ok(0) => return Err((Failure::Other(io::ErrorKind::WriteZero.into()), sent)),
                Ok(n) => sent += n,
                Err(e) => return Err((Failure::from_io(e), sent)),
            }
        }
        Ok(())
    }

    /// splice(2) into `pipe`, when the stream offers it.
    fn splice(&mut self, pipe: BorrowedFd, len: usize) -> Option<Result<usize, Spliced>> {
        let moved = self.stream.splice_into(pipe, len)?;
        if let Ok(n) = moved {
            self.received += n as u64;
        }
        Some(moved)
    }

    fn error(&self, failure: Failure) -> Error {
        let received = match self.body_written {
            Some(written) => Received::Body(written),
            None => Received::Head(self.received),
        };
        let (addr, elapsed) = (self.addr, self.clock.elapsed());
        match failure {
            Failure::Timeout(limit) => Error::ResponseTimeout {
                addr,
                elapsed,
                received,
                limit,
            },
            Failure::Reset => Error::Reset {
                addr,
                elapsed,
                received,
            },
            Failure::Eof => Error::Receive {
                addr,
                elapsed,
                received,
                source: io::ErrorKind::UnexpectedEof.into(),
            },
            Failure::Other(source) => Error::Receive {
                addr,
                elapsed,
                received,
                source: crate::tls::diagnose::in_words(source),
            },
        }
    }
}

/// What one exchange needs besides its stream, its output and its report.
pub struct Exchange<'a> {
    pub request: &'a Request,
    /// Where the request goes: the origin whose cookies a response sets.
    pub target: &'a crate::target::Target,
    /// The cookie engine, when on: Set-Cookie fields go in it.
    pub jar: Option<&'a std::cell::RefCell<crate::cookies::Jar>>,
    pub rules: &'a Rules,
    /// The address the stream is connected to, for messages.
    pub addr: SocketAddr,
    pub clock: &'a Clock,
}

pub fn exchange(
    stream: &mut dyn Stream,
    how: &Exchange,
    out: &mut Output,
    report: &mut Report,
) -> Result<Option<Redirect>, Stop> {
    let (request, rules, addr, clock) = (how.request, how.rules, how.addr, how.clock);
    let mut link = Link {
        stream,
        addr,
        clock,
        received: 0,
        body_written: None,
    };
    let send_error = send_request(&mut link, request, report)?;
    // Small until a body needs more: most heads fit, and each page of the buffer
    // is a page fault (bench/README.md).
    let mut buf = vec![0u8; HEAD_BUF_SIZE];
    let mut reader = HeadReader::new(request.is_head);
    let head = receive_head(&mut link, &mut reader, &mut buf, out, report, send_error)?;
    store_cookies(how, &head, report);
    let redirect = Redirect::of(&head);
    if rules.follow && redirect.is_some() {
        // The next hop is a new connection; this one's body is not wanted.
        show_head(
            &reader.buffered()[..head.len],
            head.status,
            rules,
            out,
            report,
        )?;
        return Ok(redirect);
    }
    let head_len = head.len;
    let elapsed = clock.elapsed();
    let failure = failed_with_body(&head, rules, addr, elapsed);
    let (mut body, codings) = start_body(head, &reader, rules, out, report, addr, elapsed)?;
    let early_body = &reader.buffered()[head_len..];
    let mut writer = match codings {
        Some(codings) => BodyWriter::Decoded(Decoder::new(&codings, out, rules.max_size, addr)),
        None => BodyWriter::Plain(out),
    };
    let result = receive_body(&mut body, early_body, &mut link, &mut buf, &mut writer)
        .and_then(|()| writer.finish());
    drop(writer);
    let result = result.and_then(|()| write_trailer(body.trailer(), rules, out));
    report.body_received(body.written());
    result?;
    link.stream.finish();
    let ended = match body.ends_by_close() {
        true => "peer closed",
        false => "body complete",
    };
    let (written, received) = (body.written(), link.received);
    report.step(format_args!(
        "{ended}: {written} bytes after {received} received"
    ));
    failure.map_or(Ok(redirect), |error| Err(error.into()))
}

/// --fail-with-body: the failure a status of 400 or more is once its body
/// has been written whole.
fn failed_with_body(
    head: &Head,
    rules: &Rules,
    addr: SocketAddr,
    elapsed: Elapsed,
) -> Option<Error> {
    (rules.fail_with_body && head.status >= 400).then(|| Error::HttpStatus {
        addr,
        elapsed,
        status: head.status,
        status_line: head.status_line.clone(),
        retry_after: head.retry_after,
    })
}

/// A head whose body is not taken (a redirect -L follows): in -v, -D's file,
/// and the output with -i.
fn show_head(
    head: &[u8],
    status: u16,
    rules: &Rules,
    out: &mut Output,
    report: &mut Report,
) -> Result<(), Stop> {
    report.response_head(head, status);
    out.dump_head(head)?;
    if rules.include_head {
        out.write_head(head)?;
    }
    Ok(())
}

/// The response's Set-Cookie fields, into the jar when the engine is on;
/// -v names each cookie stored, or says why one was ignored.
fn store_cookies(how: &Exchange, head: &Head, report: &Report) {
    let Some(jar) = how.jar else {
        return;
    };
    let now = crate::clock::unix_now();
    for field in &head.set_cookies {
        match jar.borrow_mut().set(field, how.target, now) {
            Ok(name) => report.step(format_args!("cookie {name} stored")),
            Err(why) => report.step(format_args!("Set-Cookie ignored: {why}")),
        }
    }
}

/// A chunked body's trailer fields go where the head went: after the body with
/// -i (as curl shows them), and after the head in -D's file.
fn write_trailer(trailer: &[u8], rules: &Rules, out: &mut Output) -> Result<(), Stop> {
    if trailer.is_empty() {
        return Ok(());
    }
    out.dump_head(trailer)?;
    if rules.include_head {
        out.write_head(trailer)?;
    }
    Ok(())
}

/// Reads the head. On failure, whatever arrived is the user's even if it is not a
/// complete head, so it is written out first. A server may answer (say, with an
/// error) and close before reading the whole request; its reply is worth more
/// than our send error, so the send error is reported only if nothing came back.
fn receive_head(
    link: &mut Link,
    reader: &mut HeadReader,
    buf: &mut [u8],
    out: &mut Output,
    report: &mut Report,
    send_error: Option<io::Error>,
) -> Result<Head, Stop> {
    let error = match read_head(link, reader, buf, report) {
        Ok(head) => return Ok(head),
        Err(HeadFailure::Link(error)) => match send_error {
            Some(e) if link.received == 0 => Error::Send {
                addr: link.addr,
                elapsed: link.clock.elapsed(),
                source: e,
            },
            _ => error,
        },
        Err(HeadFailure::Malformed(e)) => head_error(link.addr, e, reader.buffered()),
    };
    out.write_unparsed(reader.buffered())?;
    Err(error.into())
}

/// The head is in: shows it (-i, -v), then admits the body or ends the exchange.
/// With the body, the codings to undo when it is to be decoded.
fn start_body(
    head: Head,
    reader: &HeadReader,
    rules: &Rules,
    out: &mut Output,
    report: &mut Report,
    addr: SocketAddr,
    elapsed: Elapsed,
) -> Result<(Body, Option<Vec<Coding>>), Stop> {
    let (head_bytes, early_body) = reader.buffered().split_at(head.len);
    report.response_head(head_bytes, head.status);
    if rules.http10 {
        version_hints(&head, early_body, rules, report);
    }
    out.dump_head(head_bytes)?;
    if let Some(wait) = retried(&head, rules).filter(|_| out.can_restart()) {
        let status_line = head.status_line;
        return Err(Error::RetryStatus {
            addr,
            status_line,
            wait,
        }
        .into());
    }
    if rules.include_head {
        out.write_head(head_bytes)?;
    }
    if resume(&head, rules, out, report, addr)? {
        let empty = body::Framing::Length { left: 0, total: 0 };
        return Ok((Body::new(empty, None, false), None));
    }
    let undecoded = match rules.decode {
        true => None,
        false => left_encoded(&head.content_codings),
    };
    match admit(head, rules, addr, elapsed) {
        Ok((body, codings)) => {
            out.set_body_coding(undecoded);
            // Decoded, the body is longer than announced, by an unknown amount.
            out.set_body_length(body.announced().filter(|_| codings.is_none()));
            Ok((body, codings))
        }
        Err(Rejected::Error(error)) => Err(error.into()),
        // A malformed head after all: what arrived is shown, as for any other.
        Err(Rejected::Malformed(error)) => {
            let unshown = if rules.include_head {
                early_body
            } else {
                reader.buffered()
            };
            out.write_unparsed(unshown)?;
            Err(error.into())
        }
    }
}

/// Sends the request. A server that stops taking it is a time-out, unless it has
/// answered already; any other send failure is returned for later, when it is
/// known whether a reply came.
fn send_request(
    link: &mut Link,
    request: &Request,
    report: &mut Report,
) -> Result<Option<io::Error>, Error> {
    let head_len = request.head.len() as u64;
    let total = request.body.len().map(|len| head_len.saturating_add(len));
    report.request(&request.head, total.unwrap_or(head_len));
    let mut sent = 0;
    match send_all(link, request, &mut sent) {
        Ok(()) => {
            report.sent(sent);
            Ok(None)
        }
        Err(SendFailure::File(error)) => {
            report.step(format_args!("sending stopped after {sent} bytes: {error}"));
            Err(error)
        }
        Err(SendFailure::Link(Failure::Timeout(limit))) if !link.stream.readable_now() => {
            let of_total = total.map(|t| format!(" of {t}")).unwrap_or_default();
            report.step(format_args!("sending stalled after {sent}{of_total} bytes"));
            Err(Error::SendTimeout {
                addr: link.addr,
                elapsed: link.clock.elapsed(),
                sent,
                total,
                limit,
            })
        }
        Err(SendFailure::Link(failure)) => {
            let e = failure.into_io();
            report.step(format_args!("sending failed after {sent} bytes: {e}"));
            Ok(Some(e))
        }
    }
}

/// Why the request did not all go out.
enum SendFailure {
    Link(Failure),
    /// A file of the body, or standard input, could not be read as it was sent.
    File(Error),
}

/// Sends the head, then the body, files and standard input read as they go,
/// counting in `sent` the bytes that went out. A body of unknown length goes
/// chunked (the request says so), every piece of it.
fn send_all(link: &mut Link, request: &Request, sent: &mut u64) -> Result<(), SendFailure> {
    send_counted(link, &request.head, sent)?;
    let mut body = BodySender {
        chunked: request.body.len().is_none(),
        buf: Vec::new(),
    };
    for piece in request.body.pieces() {
        match piece {
            Piece::Bytes(bytes) => body.send(link, bytes, sent)?,
            Piece::File { path, len } => body.send_file(link, path, *len, sent)?,
            Piece::Stdin { strip_newlines } => body.send_stdin(link, *strip_newlines, sent)?,
        }
    }
    if body.chunked {
        send_counted(link, b"0\r\n\r\n", sent)?;
    }
    Ok(())
}

fn send_counted(link: &mut Link, bytes: &[u8], sent: &mut u64) -> Result<(), SendFailure> {
    let result = link.send(bytes);
    let n = match &result {
        Ok(()) => bytes.len(),
        Err((_, n)) => *n,
    };
    *sent = sent.saturating_add(n as u64);
    result.map_err(|(failure, _)| SendFailure::Link(failure))
}

/// The body's bytes on their way: as they are, or each piece a chunk.
struct BodySender {
    chunked: bool,
    buf: Vec<u8>,
}

impl BodySender {
    fn send(&self, link: &mut Link, bytes: &[u8], sent: &mut u64) -> Result<(), SendFailure> {
        if !self.chunked {
            return send_counted(link, bytes, sent);
        }
        if bytes.is_empty() {
            return Ok(()); // an empty chunk would end the body
        }
        send_counted(link, format!("{:x}\r\n", bytes.len()).as_bytes(), sent)?;
        send_counted(link, bytes, sent)?;
        send_counted(link, b"\r\n", sent)
    }

    /// Sends the `len` bytes the Content-Length promised from the file at
    /// `path`, one buffer at a time.
    fn send_file(
        &mut self,
        link: &mut Link,
        path: &Path,
        len: u64,
        sent: &mut u64,
    ) -> Result<(), SendFailure> {
        let failed = |source: io::Error| {
            let path = path.to_path_buf();
            SendFailure::File(Error::ReadFile { path, source })
        };
        let mut file = File::open(path).map_err(failed)?;
        let mut buf = std::mem::take(&mut self.buf);
        buf.resize(BUF_SIZE, 0);
        let mut left = len;
        while left > 0 {
            let want = usize::try_from(left).map_or(BUF_SIZE, |l| l.min(BUF_SIZE));
            let n = match file.read(&mut buf[..want]) {
                Ok(0) => {
                    let why = format!("it ended before the {len} bytes announced: it changed");
                    return Err(failed(io::Error::other(why)));
                }
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(failed(e)),
            };
            self.send(link, &buf[..n], sent)?;
            left -= n as u64;
        }
        self.buf = buf;
        Ok(())
    }

    /// Sends standard input to its end, as it comes; -d's newlines dropped.
    fn send_stdin(
        &mut self,
        link: &mut Link,
        strip_newlines: bool,
        sent: &mut u64,
    ) -> Result<(), SendFailure> {
        let failed = |source: io::Error| {
            let path = "standard input".into();
            SendFailure::File(Error::ReadFile { path, source })
        };
        let mut buf = std::mem::take(&mut self.buf);
        buf.resize(BUF_SIZE, 0);
        let mut stdin = io::stdin().lock();
        loop {
            let mut n = match stdin.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(failed(e)),
            };
            if strip_newlines {
                n = strip_in_place(&mut buf[..n]);
            }
            self.send(link, &buf[..n], sent)?;
        }
        self.buf = buf;
        Ok(())
    }
}

/// Drops CR and LF from `bytes`, keeping the rest in order at the front;
/// returns how many are kept.
fn strip_in_place(bytes: &mut [u8]) -> usize {
    let mut kept = 0;
    for i in 0..bytes.len() {
        if bytes[i] != b'\r' && bytes[i] != b'\n' {
            bytes[kept] = bytes[i];
            kept += 1;
        }
    }
    kept
}

enum HeadFailure {
    /// The connection failed or closed before the head was complete.
    Link(Error),
    Malformed(HeadError),
}

/// Reads until the final head is complete; its bytes and any body bytes that
/// came with it stay in `reader`.
fn read_head(
    link: &mut Link,
    reader: &mut HeadReader,
    buf: &mut [u8],
    report: &mut Report,
) -> Result<Head, HeadFailure> {
    loop {
        let n = match link.read(buf) {
            Ok(n) => n,
            // A close without TLS close_notify inside the head: a close all the same.
            Err(Failure::Eof) => 0,
            Err(failure) => return Err(HeadFailure::Link(link.error(failure))),
        };
        if n == 0 {
            let (addr, elapsed) = (link.addr, link.clock.elapsed());
            return Err(HeadFailure::Link(if link.received == 0 {
                Error::EmptyReply { addr, elapsed }
            } else {
                Error::BadHead {
                    addr,
                    reason: format!(
                        "the connection closed after {} bytes, inside the head",
                        link.received
                    ),
                }
            }));
        }
        if link.received == n as u64 {
            report.first_byte();
        }
        if let Some(head) = reader.push(&buf[..n]).map_err(HeadFailure::Malformed)? {
            return Ok(head);
        }
    }
}

/// A server that refuses HTTP/1.0 says so with 426 (Envoy), 505 (Helidon),
/// or a 400 whose body names the version: one line says --http1.1 asks in
/// HTTP/1.1. A default nginx compresses only for HTTP/1.1: -v says so when
/// --compressed got a body as it is.
fn version_hints(head: &Head, early_body: &[u8], rules: &Rules, report: &Report) {
    let names_version = |body: &[u8]| {
        let body = String::from_utf8_lossy(body).to_ascii_lowercase();
        body.contains("http/1.0") || body.contains("http/1.1") || body.contains("upgrade required")
    };
    let refused = match head.status {
        426 | 505 => true,
        400 => names_version(early_body),
        _ => false,
    };
    let server = head.server.as_deref().unwrap_or_default();
    if refused && rules.notes {
        let envoy = server.eq_ignore_ascii_case("envoy");
        let status = head.status_line.split_once(' ').map_or("", |(_, s)| s);
        let line = format!(
            "fetch: the server{} refuses HTTP/1.0 ({status}); --http1.1 asks in HTTP/1.1\n",
            if envoy { " (Envoy)" } else { "" }
        );
        let _ = io::Write::write_all(&mut io::stderr(), line.as_bytes());
    }
    let nginx = server
        .get(..5)
        .is_some_and(|s| s.eq_ignore_ascii_case("nginx"));
    if rules.decode && nginx && head.content_codings.is_empty() {
        report.step(format_args!(
            "nginx compresses only for HTTP/1.1 by default (gzip_http_version 1.1): --http1.1 asks in HTTP/1.1"
        ));
    }
}

/// The wait before the next attempt, when --retry takes this response.
fn retried(head: &Head, rules: &Rules) -> Option<std::time::Duration> {
    if !crate::retry::STATUSES.contains(&head.status) {
        return None;
    }
    rules.retry?.wait(head.retry_after)
}

/// -C -: appends, starts the file over, or refuses, as the answer says; `true`
/// when the file turns out complete already, and no body is wanted. With
/// --fail, a status of 400 or more is --fail's to report.
fn resume(
    head: &Head,
    rules: &Rules,
    out: &mut Output,
    report: &mut Report,
    addr: SocketAddr,
) -> Result<bool, Stop> {
    let Some(offset) = out.resume_offset() else {
        return Ok(false);
    };
    if rules.fail_on_error && head.status >= 400 {
        return Ok(false);
    }
    match resumed(head, offset) {
        Resume::Append => Ok(false),
        Resume::StartOver => {
            out.start_over()?;
            Ok(false)
        }
        Resume::Complete => {
            report.step(format_args!("the file is complete already: {offset} bytes"));
            Ok(true)
        }
        Resume::Refused(reason) => Err(Error::RangeRefused {
            addr,
            offset,
            reason,
        }
        .into()),
    }
}

/// -C -: what the answer to a Range request means for the file.
#[derive(Debug, PartialEq, Eq)]
enum Resume {
    /// 206 from the file's end: the body is the rest.
    Append,
    /// 200: the body is the whole, the file starts over.
    StartOver,
    /// 416 saying the whole is what the file holds.
    Complete,
    Refused(String),
}

fn resumed(head: &Head, offset: u64) -> Resume {
    let range = head.content_range.as_deref().unwrap_or_default();
    let unit = range.strip_prefix("bytes ");
    let (span, total) = unit.and_then(|r| r.split_once('/')).unwrap_or_default();
    match head.status {
        200 => Resume::StartOver,
        206 => match span.split_once('-').map(|(first, _)| first.parse::<u64>()) {
            Some(Ok(first)) if first == offset => Resume::Append,
            Some(Ok(first)) => Resume::Refused(format!(
                "it sent the bytes from {first} on (Content-Range: {range})"
            )),
            _ => Resume::Refused(format!("its 206 has no usable Content-Range ('{range}')")),
        },
        416 if span == "*" && total.parse() == Ok(offset) => Resume::Complete,
        416 if span == "*" && total.parse::<u64>().is_ok() => Resume::Refused(format!(
            "it has {total} bytes, and the file holds more: it may have changed on the server"
        )),
        _ => Resume::Refused(format!("it answered {}", head.status_line)),
    }
}

enum Rejected {
    Error(Error),
    /// The head is malformed after all: its bytes are shown, as for any such head.
    Malformed(Error),
}

/// Whether the body may be received, how it ends, and what decodes it: --fail,
/// a length over --max-size, or a coding fetch cannot decode end the exchange
/// before any body byte.
fn admit(
    head: Head,
    rules: &Rules,
    addr: SocketAddr,
    elapsed: Elapsed,
) -> Result<(Body, Option<Vec<Coding>>), Rejected> {
    if rules.fail_on_error && head.status >= 400 {
        return Err(Rejected::Error(Error::HttpStatus {
            addr,
            elapsed,
            status: head.status,
            status_line: head.status_line,
            retry_after: head.retry_after,
        }));
    }
    let codings = content_codings(&head, rules, addr)?;
    // Decoded, --max-size counts what comes out of the decoder, not the length sent.
    let limit = rules.max_size.filter(|_| codings.is_none());
    let framing = body::framing(head.body, limit).map_err(|refusal| match refusal {
        Refusal::TooLarge { announced, limit } => Rejected::Error(Error::TooLarge {
            addr,
            limit,
            announced: Some(announced),
        }),
        Refusal::Overflow(digits) => Rejected::Malformed(Error::BadHead {
            addr,
            reason: format!("Content-Length {digits} is larger than 2^64-1"),
        }),
        Refusal::Unsupported(codings) => {
            Rejected::Error(Error::UnsupportedCoding { addr, codings })
        }
    })?;
    Ok((Body::new(framing, limit, rules.raw), codings))
}

/// A Content-Encoding left on the body (no --compressed), and whether
/// --compressed could undo it, for the binary guard's note.
fn left_encoded(listed: &[String]) -> Option<Encoded> {
    let decodable = match decode::codings(listed) {
        Ok(codings) if codings.is_empty() => return None,
        Ok(_) => true,
        Err(_) => false,
    };
    Some(Encoded {
        listed: listed.join(", "),
        decodable,
    })
}

/// With --compressed, the codings to undo, if any; a coding fetch does not know
/// ends the exchange, as the bytes would not be what the user asked for.
fn content_codings(
    head: &Head,
    rules: &Rules,
    addr: SocketAddr,
) -> Result<Option<Vec<Coding>>, Rejected> {
    if !rules.decode || head.content_codings.is_empty() || head.body == BodyLength::Exactly(0) {
        return Ok(None);
    }
    match decode::codings(&head.content_codings) {
        Ok(codings) if codings.is_empty() => Ok(None),
        Ok(codings) => Ok(Some(codings)),
        Err(_) => Err(Rejected::Error(Error::UnknownContentCoding {
            addr,
            codings: head.content_codings.join(", "),
        })),
    }
}

/// Writes the body: first what came with the head, then what the socket gives,
/// until the body is done or the peer closes.
fn receive_body(
    body: &mut Body,
    early_body: &[u8],
    link: &mut Link,
    buf: &mut Vec<u8>,
    out: &mut BodyWriter,
) -> Result<(), Stop> {
    let addr = link.addr;
    feed(body, early_body, out, addr)?;
    let mut splice = true;
    while !body.is_done() {
        match splice_step(body, link, out, &mut splice)? {
            Some(0) => break,
            Some(_) => continue,
            None => {}
        }
        let n = match read_and_feed(body, link, buf, out)? {
            Ok(n) => n,
            // A close without TLS close_notify where only the close ends the body:
            // whatever came is written, and it may not be all.
            Err(Failure::Eof) if body.ends_by_close() => {
                return Err(Error::TlsTruncated {
                    addr,
                    elapsed: link.clock.elapsed(),
                    received: body.written(),
                }
                .into());
            }
            // Where a length or the last chunk ends it, a short body shows as such.
            Err(Failure::Eof) => 0,
            Err(failure) => {
                link.body_written = Some(body.written());
                return Err(link.error(failure).into());
            }
        };
        if n == 0 {
            break;
        }
    }
    body.closed()
        .map_err(|e| body_error(e, addr, body.written(), Some(link.clock)).into())
}

/// Body-only into a pipe: the kernel moves the bytes from the socket to the pipe
/// without copying them through a buffer (about twice as fast: bench/README.md),
/// where the stream and the output allow it. `Some(moved)`, 0 at the peer's
/// close; `None` when the bytes must be read instead.
fn splice_step(
    body: &mut Body,
    link: &mut Link,
    out: &mut BodyWriter,
    enabled: &mut bool,
) -> Result<Option<usize>, Stop> {
    let (true, Some(len), Some(pipe)) = (*enabled, body.passthrough_len(), out.splice_target())
    else {
        return Ok(None);
    };
    let len = len.min(crate::output::PIPE_SIZE as u64) as usize;
    match link.splice(pipe, len) {
        Some(Ok(n)) => {
            out.spliced(n);
            body.passed_through(n as u64);
            Ok(Some(n))
        }
        Some(Err(Spliced::Failed(f))) => {
            link.body_written = Some(body.written());
            Err(link.error(f).into())
        }
        Some(Err(Spliced::OutputClosed)) => Err(Stop::Quiet),
        Some(Err(Spliced::Unsupported)) | None => {
            *enabled = false;
            Ok(None)
        }
    }
}

/// The next bytes from the stream, fed to the body: straight from the stream's
/// own buffer where it lends one (TLS plaintext, one copy fewer), else through
/// `buf`. Outside, a stop from the output; inside, how many bytes came (0 at
/// the close) or how the stream failed.
fn read_and_feed(
    body: &mut Body,
    link: &mut Link,
    buf: &mut Vec<u8>,
    out: &mut BodyWriter,
) -> Result<Result<usize, Failure>, Stop> {
    let addr = link.addr;
    if let Some(lent) = link.stream.buffered() {
        let chunk = match lent {
            Ok(chunk) => chunk,
            Err(e) => return Ok(Err(Failure::from_io(e))),
        };
        let n = chunk.len();
        feed(body, chunk, out, addr)?;
        link.stream.consume(n);
        link.received += n as u64;
        return Ok(Ok(n));
    }
    if buf.len() < BUF_SIZE {
        buf.resize(BUF_SIZE, 0);
    }
    let n = match link.read(buf) {
        Ok(n) => n,
        Err(failure) => return Ok(Err(failure)),
    };
    feed(body, &buf[..n], out, addr)?;
    Ok(Ok(n))
}

/// Writes the body bytes among `bytes`; bytes after the end of the body are not
/// part of this response and are not written.
fn feed(
    body: &mut Body,
    mut bytes: &[u8],
    out: &mut BodyWriter,
    addr: SocketAddr,
) -> Result<(), Stop> {
    while !bytes.is_empty() && !body.is_done() {
        let step = body
            .step(bytes)
            .map_err(|e| body_error(e, addr, body.written(), None))?;
        out.write(&bytes[step.data])?;
        if step.over_limit {
            let limit = body.written();
            return Err(body_error(BodyError::TooLarge { limit }, addr, limit, None).into());
        }
        bytes = &bytes[step.consumed..];
    }
    Ok(())
}

/// What a body failure means to the user, after `written` body bytes.
fn body_error(error: BodyError, addr: SocketAddr, written: u64, clock: Option<&Clock>) -> Error {
    let elapsed = clock.map_or(crate::duration::Elapsed(Duration::ZERO), Clock::elapsed);
    match error {
        BodyError::Partial { received, expected } => Error::Partial {
            addr,
            elapsed,
            received,
            expected,
        },
        BodyError::PartialChunked { received } => Error::PartialChunked {
            addr,
            elapsed,
            received,
        },
        BodyError::Chunk(reason) => Error::BadChunk {
            addr,
            reason,
            received: written,
        },
        BodyError::TooLarge { limit } => Error::TooLarge {
            addr,
            limit,
            announced: None,
        },
    }
}

fn head_error(addr: SocketAddr, error: HeadError, received: &[u8]) -> Error {
    match error {
        HeadError::NotHttp => {
            let start = &received[..received.len().min(40)];
            // A TLS record (handshake or alert, version 3.x) or an SSH banner.
            let hint = match received {
                [0x15 | 0x16, 0x03, ..] => "this port speaks TLS: use https://",
                [b'S', b'S', b'H', b'-', ..] => "this port speaks SSH",
                _ => "is this the right port?",
            };
            Error::NotHttp {
                addr,
                start: format!("\"{}\"", crate::escape::shown(start)),
                hint,
            }
        }
        HeadError::TooLarge => Error::BadHead {
            addr,
            reason: format!(
                "no end of the head within {} KiB",
                crate::response::MAX_HEAD / 1024
            ),
        },
        HeadError::Malformed(reason) => Error::BadHead { addr, reason },
    }
}

/// The output takes decoded bytes as it takes any body bytes.
impl BodyOutput for Output {
    fn write_body(&mut self, bytes: &[u8]) -> Result<(), Stop> {
        Output::write_body(self, bytes)
    }
}

/// Where body bytes go: to the output as they are, or through the decoders.
pub enum BodyWriter<'o> {
    Plain(&'o mut Output),
    Decoded(Decoder<'o>),
}

impl BodyWriter<'_> {
    pub fn write(&mut self, bytes: &[u8]) -> Result<(), Stop> {
        match self {
            BodyWriter::Plain(out) => out.write_body(bytes),
            BodyWriter::Decoded(decoder) => decoder.write(bytes),
        }
    }

    /// The body is complete: a decoder must have seen its stream's end.
    pub fn finish(&mut self) -> Result<(), Stop> {
        match self {
            BodyWriter::Plain(_) => Ok(()),
            BodyWriter::Decoded(decoder) => decoder.finish(),
        }
    }

    /// splice moves bytes past fetch, so only bytes that need no decoding.
    pub fn splice_target(&self) -> Option<BorrowedFd<'_>> {
        match self {
            BodyWriter::Plain(out) => out.splice_target(),
            BodyWriter::Decoded(_) => None,
        }
    }

    pub fn spliced(&mut self, count: usize) {
        if let BodyWriter::Plain(out) = self {
            out.spliced(count);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Timeouts;
    use crate::stream::memory::Memory;
    use std::net::TcpListener;

    fn rules() -> Rules {
        Rules {
            follow: false,
            include_head: false,
            fail_on_error: false,
            fail_with_body: false,
            max_size: None,
            raw: false,
            decode: false,
            retry: None,
            http10: false,
            notes: false,
        }
    }

    /// One exchange over `stream` into a file of its own: the exit code (0 on
    /// success), what reached the file (FILE, or FILE.part on a failure) and
    /// what was sent.
    fn exchanged(mut stream: Memory, rules: Rules, name: &str) -> (u8, Vec<u8>, Vec<u8>) {
        let dir = std::env::temp_dir().join(format!("fetch-memory-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("out");
        let clock = Clock::start(Timeouts {
            connect: None,
            idle: None,
            total: None,
        });
        let mut out = Output::file(&file).unwrap();
        let mut report = Report::new(false, &clock);
        let request = Request::raw(b"GET / HTTP/1.0\r\n\r\n".to_vec());
        let target = crate::target::Target::parse(b"127.0.0.1", None).unwrap();
        let how = Exchange {
            request: &request,
            target: &target,
            jar: None,
            rules: &rules,
            addr: "127.0.0.1:80".parse().unwrap(),
            clock: &clock,
        };
        let result = exchange(&mut stream, &how, &mut out, &mut report);
        let code = match result {
            Ok(_) | Err(Stop::Quiet) => out.finish().map_or_else(|e| e.exit_code(), |()| 0),
            Err(Stop::Failed(error)) => out.abandon(error).exit_code(),
        };
        let written = std::fs::read(&file)
            .or_else(|_| std::fs::read(dir.join("out.part")))
            .unwrap_or_default();
        let _ = std::fs::remove_dir_all(&dir);
        (code, written, stream.sent)
    }

    #[test]
    fn content_length_ends_the_body_at_every_split_whatever_follows() {
        let response = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloEXTRA";
        for size in 1..=response.len() {
            let (code, written, sent) = exchanged(
                Memory::new(response, size),
                rules(),
                &format!("length-{size}"),
            );
            assert_eq!(
                (code, written.as_slice()),
                (0, &b"hello"[..]),
                "pieces of {size}"
            );
            assert_eq!(sent, b"GET / HTTP/1.0\r\n\r\n");
        }
    }

    #[test]
    fn chunked_bodies_decode_at_every_split_and_the_trailer_follows_the_head() {
        let head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
        let response = format!("{head}3\r\nabc\r\n2;x=y\r\nde\r\n0\r\nT: 1\r\n\r\nafter");
        let shown = Rules {
            include_head: true,
            ..rules()
        };
        for size in 1..=response.len() {
            let stream = Memory::new(response.as_bytes(), size);
            let (code, written, _) = exchanged(stream, shown, &format!("chunked-{size}"));
            let expected = format!("{head}abcdeT: 1\r\n");
            assert_eq!(
                (code, written),
                (0, expected.into_bytes()),
                "pieces of {size}"
            );
        }
    }

    #[test]
    fn a_chunked_body_ends_at_its_last_chunk_without_waiting_for_the_close() {
        let response: &[u8] = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
            4\r\nWiki\r\n7;note=x\r\npedia i\r\nB\r\nn \r\nchunks.\r\n0\r\nX-Trailer: 1\r\n\r\n";
        for size in 1..=response.len() {
            let stream = Memory::open_ended(response, size);
            let (code, written, _) = exchanged(stream, rules(), &format!("open-{size}"));
            let expected = &b"Wikipedia in \r\nchunks."[..];
            assert_eq!(
                (code, written.as_slice()),
                (0, expected),
                "pieces of {size}"
            );
        }
    }

    #[test]
    fn a_body_cut_short_is_18_keeping_what_came() {
        let response = b"HTTP/1.0 200 OK\r\nContent-Length: 10\r\n\r\nhalf";
        for size in [1, 7, response.len()] {
            let (code, written, _) = exchanged(
                Memory::new(response, size),
                rules(),
                &format!("short-{size}"),
            );
            assert_eq!(
                (code, written.as_slice()),
                (18, &b"half"[..]),
                "pieces of {size}"
            );
        }
    }

    #[test]
    fn request_to_a_peer_that_already_reset_is_a_send_failure() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let stream = std::net::TcpStream::connect(addr).unwrap();
        let (accepted, _) = listener.accept().unwrap();
        let accepted = socket2::Socket::from(accepted);
        accepted.set_linger(Some(Duration::ZERO)).unwrap();
        drop(accepted);
        let clock = Clock::start(Timeouts {
            connect: None,
            idle: Some(Duration::from_secs(5)),
            total: None,
        });
        let mut stream = crate::stream::Tcp::new(stream, &clock);
        // The RST has arrived once the socket reads as ready (with the error).
        let start = std::time::Instant::now();
        while !stream.readable_now() {
            assert!(start.elapsed() < Duration::from_secs(5), "no RST");
            std::thread::yield_now();
        }
        let request = Request::raw(b"GET / HTTP/1.0\r\n\r\n".to_vec());
        let rules = rules();
        let mut out = Output::stdout(false).unwrap();
        let mut report = Report::new(false, &clock);
        let target = crate::target::Target::parse(b"127.0.0.1", None).unwrap();
        let how = Exchange {
            request: &request,
            target: &target,
            jar: None,
            rules: &rules,
            addr,
            clock: &clock,
        };
        let result = super::exchange(&mut stream, &how, &mut out, &mut report);
        let Err(Stop::Failed(error)) = result else {
            panic!("expected a failure, got {result:?}");
        };
        assert_eq!(error.exit_code(), 55, "{error}");
        assert!(
            error
                .to_string()
                .starts_with(&format!("sending the request to {addr} failed"))
        );
    }
}

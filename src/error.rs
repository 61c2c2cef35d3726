//! The one error type: every failure class, its exit code and its one-line message.
//!
//! Exit codes follow curl's numbers where curl has the same failure, so scripts
//! written for curl keep working. They are a stable API: `EXIT_CODES` feeds
//! `--help`, and a test checks README's table against it.

use std::fmt;

use crate::connect::{Attempt, connect_class, connect_message};

use crate::duration::Elapsed;
use std::net::SocketAddr;
use std::time::Duration;

/// Exit codes with their meaning, in the order `--help` and README list them.
pub const EXIT_CODES: &[(u8, &str)] = &[
    (0, "complete response received (whatever the HTTP status)"),
    (1, "unexpected local failure (e.g. no sockets available)"),
    (2, "invalid command line; nothing was sent"),
    (
        3,
        "-L: a redirect's Location is not an http or https URL fetch can follow",
    ),
    (5, "could not resolve the proxy's host"),
    (
        6,
        "could not resolve the host, or the resolver did not answer in time",
    ),
    (
        7,
        "could not connect: refused or unreachable; or the proxy refused a tunnel",
    ),
    (
        8,
        "the reply is not HTTP, or its head is malformed or over 64 KiB",
    ),
    (
        18,
        "the peer closed before the announced Content-Length arrived",
    ),
    (22, "--fail: the HTTP status was 400 or more"),
    (23, "writing the output failed"),
    (
        26,
        "a file to send (-d @FILE, -F NAME=@FILE) could not be read while sending",
    ),
    (
        28,
        "connect or TLS handshake timed out: the request was never sent",
    ),
    (
        29,
        "timed out once connected: the server stopped reading the request or answering (or --max-time)",
    ),
    (
        33,
        "-C -: the server cannot resume the file where it stopped",
    ),
    (
        35,
        "the TLS handshake failed (plain HTTP on the port, an alert, old TLS, a client certificate wanted)",
    ),
    (
        47,
        "-L: more redirects than --max-redirs allows, or a redirect loop (the message shows it)",
    ),
    (52, "empty reply: the peer closed without sending a byte"),
    (55, "sending the request failed"),
    (
        56,
        "connection broken while receiving (reset, or TLS closed without close_notify)",
    ),
    (
        58,
        "--cert or --key cannot be used: unreadable, not PEM, encrypted, or the key does not match",
    ),
    (60, "the server's TLS certificate could not be verified"),
    (
        61,
        "the body cannot be decoded: a transfer coding other than chunked, or with --compressed a broken or unknown Content-Encoding",
    ),
    (63, "--max-size: the body is larger than allowed"),
    (
        65,
        "-L: a 307 or 308 asks for a body again that came from standard input (--http1.1)",
    ),
    (
        77,
        "the CA file or directory cannot be read or holds no certificate",
    ),
    (
        130,
        "killed by SIGINT (Ctrl-C), as the shell reports it; a partial -o FILE is kept as FILE.part",
    ),
    (
        143,
        "killed by SIGTERM, as the shell reports it; a partial -o FILE is kept as FILE.part",
    ),
];

/// Renders the exit-code table for the end of `--help`.
pub fn exit_codes_help() -> String {
    let mut text = String::from("Exit codes:\n");
    for (code, meaning) in EXIT_CODES {
        text.push_str(&format!("  {code:>3}  {meaning}\n"));
    }
    text
}

/// How a failure class may be retried (see --retry).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryRule {
    Never,
    /// The request never reached a server: always safe.
    Always,
    /// The server may have acted on the request: only a request that is safe to
    /// repeat (GET, HEAD), and only while nothing has reached the output.
    IfRepeatable,
    /// As `IfRepeatable`, for the statuses that say "try again" (408, 429, 500,
    /// 502, 503, 504: RFC 9110 15.5.9 and 15.6, as curl retries).
    IfStatusSaysSo,
}

/// Declares the failure classes once: the enum, the list of all of them, and each
/// one's exit code, `error_kind` and retry rule come from the same table, so a new
/// class cannot miss any of its facts.
macro_rules! classes {
    ($($class:ident => $code:literal, $kind:literal, $retry:ident;)*) => {
        /// What a script can see of a failure: its exit code, its `error_kind` in
        /// `-w '%{json}'`, and whether --retry tries again.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Class {
            $($class,)*
        }

        impl Class {
            pub const ALL: &[Class] = &[$(Class::$class,)*];

            pub fn exit_code(self) -> u8 {
                match self { $(Class::$class => $code,)* }
            }

            /// A stable name for `-w '%{json}'` (`error_kind`).
            pub fn kind(self) -> &'static str {
                match self { $(Class::$class => $kind,)* }
            }

            pub fn retry(self) -> RetryRule {
                match self { $(Class::$class => RetryRule::$retry,)* }
            }
        }
    };
}

classes! {
    Usage => 2, "usage", Never;
    Local => 1, "local", Never;
    Resolve => 6, "resolve", Always;
    Refused => 7, "refused", Always;
    Unreachable => 7, "unreachable", Always;
    ConnectTimeout => 28, "connect_timeout", Always;
    Send => 55, "send", Never;
    SendTimeout => 29, "send_timeout", IfRepeatable;
    ResponseTimeout => 29, "response_timeout", IfRepeatable;
    EmptyReply => 52, "empty_reply", IfRepeatable;
    Reset => 56, "reset", IfRepeatable;
    NotHttp => 8, "not_http", Never;
    BadHead => 8, "bad_head", Never;
    BadChunk => 8, "bad_chunk", Never;
    Partial => 18, "partial", Never;
    HttpError => 22, "http_error", IfStatusSaysSo;
    BadEncoding => 61, "bad_encoding", Never;
    RangeRefused => 33, "range_refused", Never;
    TooLarge => 63, "too_large", Never;
    Write => 23, "write", Never;
    ReadFile => 26, "read_file", Never;
    TlsHandshake => 35, "tls_handshake", Always;
    TlsCertificate => 60, "tls_certificate", Never;
    TlsCaFile => 77, "tls_ca_file", Never;
    ClientCert => 58, "client_cert", Never;
    Rewind => 65, "rewind", Never;
    TlsTruncated => 56, "tls_truncated", IfRepeatable;
    BadLocation => 3, "bad_location", Never;
    ProxyResolve => 5, "proxy_resolve", Always;
    ProxyRefused => 7, "proxy_refused", Always;
    TooManyRedirects => 47, "too_many_redirects", Never;
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Usage(String),

    /// Something on this machine failed, not on the network: the context says
    /// which operation ("starting the resolver thread: …").
    #[error("unexpected local failure: {0:#}")]
    Local(anyhow::Error),

    #[error(
        "could not resolve host {host} after {elapsed}: {cause} (check the name, or give an IP address)"
    )]
    Resolve {
        host: String,
        elapsed: Elapsed,
        cause: String,
    },

    #[error(
        "could not resolve host {host}: the resolver did not answer within {limit} (DNS server unreachable or slow; give an IP address)"
    )]
    ResolveTimeout { host: String, limit: Elapsed },

    /// No address connected; `connect_class` says how they failed.
    #[error("{}", connect_message(.attempts, *.elapsed))]
    Connect {
        attempts: Vec<Attempt>,
        elapsed: Elapsed,
    },

    #[error("the TLS handshake with {addr} failed after {elapsed}: {reason}")]
    TlsHandshake {
        addr: SocketAddr,
        elapsed: Elapsed,
        reason: String,
    },

    #[error("the TLS certificate of {addr} could not be verified after {elapsed}: {reason}")]
    TlsCertificate {
        addr: SocketAddr,
        elapsed: Elapsed,
        reason: String,
    },

    #[error("cannot follow the redirect from {from} to Location \"{location}\": {why}")]
    BadLocation {
        from: String,
        /// As sent, control bytes escaped and any password hidden.
        location: String,
        why: String,
    },

    #[error("{}", redirects_message(.hops, *.max))]
    TooManyRedirects {
        /// Every URL reached, the first one included, then the one not followed.
        hops: Vec<String>,
        max: u32,
    },

    /// A failure on a hop that a redirect led to: its class, but the message
    /// names the hop and where the redirect came from.
    #[error("{url} (redirect {number}, from {from}): {source}")]
    AfterRedirect {
        url: String,
        from: String,
        number: usize,
        source: Box<Error>,
    },

    /// A failure on the way to a proxy: its class, but the message names the proxy.
    #[error("proxy {proxy}: {source}")]
    Proxy { proxy: String, source: Box<Error> },

    /// The proxy did not open a tunnel (CONNECT) for https.
    #[error("the proxy {proxy} did not open a tunnel to {target}: {answer}")]
    ProxyConnect {
        proxy: String,
        target: String,
        answer: String,
        /// It stayed silent until the connect deadline (exit 28, not 7).
        timed_out: bool,
    },

    /// The roots to trust could not be loaded; the text names the path and why.
    #[error("{0}")]
    TlsCaFile(String),

    /// --cert or --key cannot be used: which file, and why.
    #[error("{0}")]
    ClientCert(String),

    /// A 307 or 308 asks for the body again, and it was standard input,
    /// streamed and gone.
    #[error(
        "{status_line} asks to send the body again to {location}, and it came from standard input, which cannot be read twice: save it to a file and give -d @FILE or -T FILE"
    )]
    Rewind {
        status_line: String,
        location: String,
    },

    #[error(
        "connected to {addr}, but no TLS answer within {elapsed}: is this port plain HTTP? (the TLS handshake counts toward --connect-timeout)"
    )]
    TlsTimeout { addr: SocketAddr, elapsed: Elapsed },

    #[error(
        "the server at {addr} closed the connection without TLS close_notify after {received} body bytes ({elapsed}): the body had no length, so it may be truncated"
    )]
    TlsTruncated {
        addr: SocketAddr,
        elapsed: Elapsed,
        received: u64,
    },

    #[error("sending the request to {addr} failed after {elapsed}: {}", io_text(.source))]
    Send {
        addr: SocketAddr,
        elapsed: Elapsed,
        source: std::io::Error,
    },

    #[error("{}", send_timeout_message(*.addr, *.elapsed, *.sent, *.total, .limit))]
    SendTimeout {
        addr: SocketAddr,
        elapsed: Elapsed,
        /// Request bytes the kernel took before the server stopped reading.
        sent: u64,
        /// `None` for a chunked body, whose length no one knew.
        total: Option<u64>,
        limit: TimeLimit,
    },

    #[error("{}", response_timeout_message(*.addr, *.elapsed, *.received, .limit))]
    ResponseTimeout {
        addr: SocketAddr,
        elapsed: Elapsed,
        received: Received,
        limit: TimeLimit,
    },

    #[error(
        "empty reply from {addr} after {elapsed}: the server closed the connection without sending anything"
    )]
    EmptyReply { addr: SocketAddr, elapsed: Elapsed },

    #[error(
        "connection to {addr} reset by the peer after {elapsed}, {received}: the server aborted the connection (crashed, or refused the request)"
    )]
    Reset {
        addr: SocketAddr,
        elapsed: Elapsed,
        received: Received,
    },

    #[error("receiving from {addr} failed after {elapsed}, {received}: {}", io_text(.source))]
    Receive {
        addr: SocketAddr,
        elapsed: Elapsed,
        received: Received,
        source: std::io::Error,
    },

    #[error("the reply from {addr} is not HTTP: it starts with {start} ({hint})")]
    NotHttp {
        addr: SocketAddr,
        start: String,
        /// What the first bytes suggest: TLS, SSH, or just the wrong port.
        hint: &'static str,
    },

    #[error("malformed response head from {addr}: {reason}")]
    BadHead { addr: SocketAddr, reason: String },

    #[error("malformed chunked body from {addr} after {received} body bytes: {reason}")]
    BadChunk {
        addr: SocketAddr,
        reason: String,
        received: u64,
    },

    #[error(
        "the chunked response from {addr} ended after {received} body bytes ({elapsed}), before its last chunk: the server closed the connection early"
    )]
    PartialChunked {
        addr: SocketAddr,
        elapsed: Elapsed,
        received: u64,
    },

    #[error(
        "the response from {addr} ended after {received} of {expected} body bytes ({elapsed}): the server closed the connection early"
    )]
    Partial {
        addr: SocketAddr,
        elapsed: Elapsed,
        received: u64,
        expected: u64,
    },

    #[error(
        "HTTP error from {addr} after {elapsed}: {status_line} (--fail: the body was not written)"
    )]
    HttpStatus {
        addr: SocketAddr,
        elapsed: Elapsed,
        status: u16,
        status_line: String,
        retry_after: Option<u64>,
    },

    /// A "try again" status that --retry takes: its body is not written.
    #[error("{status_line} from {addr}: retried (its body was not written)")]
    RetryStatus {
        addr: SocketAddr,
        status_line: String,
        wait: Duration,
    },

    #[error("{}", too_large_message(*.addr, *.limit, .announced.as_deref()))]
    TooLarge {
        addr: SocketAddr,
        limit: u64,
        /// The Content-Length's digits, when the server announced one over the limit.
        announced: Option<String>,
    },

    #[error(
        "the response from {addr} has an unsupported Transfer-Encoding '{codings}': fetch decodes only chunked, so the body's end and its bytes are unknown (the body was not written)"
    )]
    UnsupportedCoding { addr: SocketAddr, codings: String },

    #[error(
        "the response from {addr} has Content-Encoding '{codings}', which fetch cannot decode (--compressed decodes gzip, deflate and br); the body was not written"
    )]
    UnknownContentCoding { addr: SocketAddr, codings: String },

    #[error("the server at {addr} cannot resume the file at byte {offset}: {reason}")]
    RangeRefused {
        addr: SocketAddr,
        offset: u64,
        reason: String,
    },

    #[error(
        "the body from {addr} does not decode as Content-Encoding '{codings}': {reason}; what decoded before it was written"
    )]
    BadContent {
        addr: SocketAddr,
        codings: String,
        reason: String,
    },

    /// The time is filled in where the clock is known (`Error::timed`).
    #[error("writing the output failed{}: {}", after(.elapsed), io_text(.source))]
    Write {
        source: std::io::Error,
        elapsed: Option<Elapsed>,
    },

    #[error("reading '{}' to send it failed: {}", .path.display(), io_text(.source))]
    ReadFile {
        path: std::path::PathBuf,
        source: std::io::Error,
    },

    /// A failure after part of the body was written to `-o FILE`: what arrived is
    /// kept under a name that cannot pass for the complete file.
    #[error("{source}; the {bytes} bytes written are in {}", .path.display())]
    PartKept {
        source: Box<Error>,
        path: std::path::PathBuf,
        bytes: u64,
    },
}

/// How a fetch can end before its response does.
#[derive(Debug)]
pub enum Stop {
    Failed(Error),
    /// Nothing more is wanted, and that is a success: the output's reader went
    /// away (`fetch … | head`, as for any Unix filter), or the binary guard chose
    /// not to print the body.
    Quiet,
}

impl From<Error> for Stop {
    fn from(error: Error) -> Stop {
        Stop::Failed(error)
    }
}

impl Error {
    /// The class of this failure: the one place that looks at every variant.
    pub fn class(&self) -> Class {
        match self {
            Error::Usage(_) => Class::Usage,
            Error::Local(_) => Class::Local,
            Error::Resolve { .. } | Error::ResolveTimeout { .. } => Class::Resolve,
            Error::Connect { attempts, .. } => connect_class(attempts),
            Error::Send { .. } => Class::Send,
            Error::SendTimeout { .. } => Class::SendTimeout,
            Error::ResponseTimeout { .. } => Class::ResponseTimeout,
            Error::EmptyReply { .. } => Class::EmptyReply,
            Error::Reset { .. } | Error::Receive { .. } => Class::Reset,
            Error::NotHttp { .. } => Class::NotHttp,
            Error::BadHead { .. } => Class::BadHead,
            Error::BadChunk { .. } => Class::BadChunk,
            Error::Partial { .. } | Error::PartialChunked { .. } => Class::Partial,
            Error::HttpStatus { .. } | Error::RetryStatus { .. } => Class::HttpError,
            Error::UnsupportedCoding { .. }
            | Error::UnknownContentCoding { .. }
            | Error::BadContent { .. } => Class::BadEncoding,
            Error::RangeRefused { .. } => Class::RangeRefused,
            Error::TooLarge { .. } => Class::TooLarge,
            Error::Write { .. } => Class::Write,
            Error::ReadFile { .. } => Class::ReadFile,
            Error::TlsHandshake { .. } => Class::TlsHandshake,
            Error::TlsCertificate { .. } => Class::TlsCertificate,
            Error::TlsCaFile(_) => Class::TlsCaFile,
            Error::ClientCert(_) => Class::ClientCert,
            Error::Rewind { .. } => Class::Rewind,
            Error::TlsTimeout { .. } => Class::ConnectTimeout,
            Error::TlsTruncated { .. } => Class::TlsTruncated,
            Error::BadLocation { .. } => Class::BadLocation,
            Error::Proxy { source, .. } => match source.class() {
                Class::Resolve => Class::ProxyResolve,
                Class::Refused | Class::Unreachable => Class::ProxyRefused,
                other => other,
            },
            Error::ProxyConnect {
                timed_out: true, ..
            } => Class::ConnectTimeout,
            Error::ProxyConnect { .. } => Class::ProxyRefused,
            Error::TooManyRedirects { .. } => Class::TooManyRedirects,
            Error::PartKept { source, .. } | Error::AfterRedirect { source, .. } => source.class(),
        }
    }

    /// A write failure, its time not known yet.
    pub fn write(source: std::io::Error) -> Error {
        Error::Write {
            source,
            elapsed: None,
        }
    }

    /// With the time of the failure where the message has none yet.
    pub fn timed(self, now: Elapsed) -> Error {
        match self {
            Error::Write {
                source,
                elapsed: None,
            } => Error::Write {
                source,
                elapsed: Some(now),
            },
            Error::AfterRedirect {
                url,
                from,
                number,
                source,
            } => Error::AfterRedirect {
                url,
                from,
                number,
                source: Box::new(source.timed(now)),
            },
            other => other,
        }
    }

    /// The failure itself, without the hop that names where it happened.
    pub fn unwrapped(&self) -> &Error {
        match self {
            Error::AfterRedirect { source, .. } => source.unwrapped(),
            other => other,
        }
    }

    /// The system's error number behind this failure, for -v (messages leave
    /// it out: "os error 28" beside fetch's own exit code 28 confuses).
    pub fn os_error(&self) -> Option<i32> {
        match self {
            Error::Send { source, .. }
            | Error::Receive { source, .. }
            | Error::Write { source, .. }
            | Error::ReadFile { source, .. } => source.raw_os_error(),
            Error::AfterRedirect { source, .. }
            | Error::PartKept { source, .. }
            | Error::Proxy { source, .. } => source.os_error(),
            _ => None,
        }
    }

    pub fn exit_code(&self) -> u8 {
        self.class().exit_code()
    }

    /// A stable name for the failure class, for `-w '%{json}'` (`error_kind`).
    pub fn kind(&self) -> &'static str {
        self.class().kind()
    }

    /// How --retry treats this failure, its status considered.
    pub fn retry(&self) -> RetryRule {
        match (self.class().retry(), self.status()) {
            (RetryRule::IfStatusSaysSo, Some(status))
                if crate::retry::STATUSES.contains(&status) =>
            {
                RetryRule::IfRepeatable
            }
            (RetryRule::IfStatusSaysSo, _) => RetryRule::Never,
            (rule, _) => rule,
        }
    }

    fn status(&self) -> Option<u16> {
        match self {
            Error::HttpStatus { status, .. } => Some(*status),
            Error::PartKept { source, .. } | Error::AfterRedirect { source, .. } => source.status(),
            _ => None,
        }
    }

    /// A few words for a retry announcement.
    pub fn brief(&self) -> String {
        match (self, self.class()) {
            (Error::HttpStatus { status_line, .. }, _)
            | (Error::RetryStatus { status_line, .. }, _) => status_line.clone(),
            (Error::PartKept { source, .. }, _) | (Error::AfterRedirect { source, .. }, _) => {
                source.brief()
            }
            (_, Class::Resolve) => "could not resolve host".into(),
            (_, Class::Refused) => "connection refused".into(),
            (_, Class::Unreachable) => "host unreachable".into(),
            (_, Class::ConnectTimeout) => "connect timed out".into(),
            (_, Class::ResponseTimeout) => "response timed out".into(),
            (_, Class::SendTimeout) => "sending timed out".into(),
            (_, Class::EmptyReply) => "empty reply".into(),
            (_, Class::Reset) => "connection reset".into(),
            (_, Class::TlsHandshake) => "TLS handshake failed".into(),
            (_, Class::TlsTruncated) => "TLS closed without close_notify".into(),
            _ => self.to_string(),
        }
    }
}

/// What had arrived of the response when the connection failed, as a message
/// counts it: the body as it reached the output, so the count matches the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Received {
    /// Bytes of a head not yet complete.
    Head(u64),
    /// The head, and this many body bytes written to the output.
    Body(u64),
}

impl fmt::Display for Received {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Received::Head(0) => f.write_str("nothing received"),
            Received::Head(n) => write!(f, "{n} bytes of the head received"),
            Received::Body(n) => write!(f, "the head and {n} body bytes received"),
        }
    }
}

/// Which limit ended a wait for the response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeLimit {
    /// `--read-timeout`: no bytes for this long.
    Idle(Duration),
    /// `--max-time`: the whole command took this long.
    Total(Duration),
}

/// " after 5ms", when the time is known.
fn after(elapsed: &Option<Elapsed>) -> String {
    elapsed.map_or(String::new(), |e| format!(" after {e}"))
}

/// An I/O error's text without Rust's " (os error N)": the number is for -v.
pub fn io_text(error: &std::io::Error) -> String {
    let text = error.to_string();
    match text.rsplit_once(" (os error ") {
        Some((words, number)) if number.ends_with(')') => words.to_string(),
        _ => text,
    }
}

/// A chain of redirects: a loop shown once, up to the first URL that comes
/// again; a long chain cut in the middle.
fn redirects_message(hops: &[String], max: u32) -> String {
    let repeat = (1..hops.len()).find(|&j| hops[..j].contains(&hops[j]));
    let stopped = format!("stopped after {max} redirects");
    match repeat {
        Some(j) => format!(
            "redirect loop: {} ({stopped}, --max-redirs {max})",
            chain(&hops[..=j])
        ),
        None => format!("{stopped} (--max-redirs {max}): {}", chain(hops)),
    }
}

/// `A → B → C`, or the first three and the last three around "… N more …".
fn chain(hops: &[String]) -> String {
    const END: usize = 3;
    if hops.len() <= 2 * END + 1 {
        return hops.join(" \u{2192} ");
    }
    let more = format!("\u{2026} {} more \u{2026}", hops.len() - 2 * END);
    let (first, last) = (&hops[..END], &hops[hops.len() - END..]);
    let pieces: Vec<&str> = first
        .iter()
        .map(String::as_str)
        .chain(std::iter::once(more.as_str()))
        .chain(last.iter().map(String::as_str))
        .collect();
    pieces.join(" \u{2192} ")
}

fn too_large_message(addr: SocketAddr, limit: u64, announced: Option<&str>) -> String {
    match announced {
        Some(length) => format!(
            "the response from {addr} announces {length} body bytes, more than --max-size {limit}: nothing of the body was written"
        ),
        None => format!(
            "the body from {addr} grew past --max-size {limit}: stopped after writing {limit} bytes"
        ),
    }
}

fn send_timeout_message(
    addr: SocketAddr,
    elapsed: Elapsed,
    sent: u64,
    total: Option<u64>,
    limit: &TimeLimit,
) -> String {
    let sent = match total {
        Some(total) => format!("{sent} of {total}"),
        None => sent.to_string(),
    };
    match limit {
        TimeLimit::Idle(idle) => format!(
            "sending the request to {addr} stalled after {sent} bytes ({elapsed}): the server took nothing more for {} (it is not reading the request)",
            Elapsed(*idle)
        ),
        TimeLimit::Total(limit) => format!(
            "--max-time {} ran out sending the request to {addr}: the server had taken {sent} bytes",
            Elapsed(*limit)
        ),
    }
}

fn response_timeout_message(
    addr: SocketAddr,
    elapsed: Elapsed,
    received: Received,
    limit: &TimeLimit,
) -> String {
    match (limit, received) {
        (TimeLimit::Idle(idle), Received::Head(0)) => format!(
            "no response from {addr} after {elapsed}: the server accepted the connection but did not answer within {}",
            Elapsed(*idle)
        ),
        (TimeLimit::Idle(idle), received) => format!(
            "the response from {addr} stalled after {elapsed}, {received}: nothing more arrived within {}",
            Elapsed(*idle)
        ),
        (TimeLimit::Total(total), received) => format!(
            "--max-time {} ran out waiting for {addr}, {received}",
            Elapsed(*total)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connect::Outcome;
    use std::collections::HashSet;
    use std::io;

    fn addr() -> SocketAddr {
        "127.0.0.1:8080".parse().unwrap()
    }

    fn one_of_each() -> Vec<Error> {
        let e = Elapsed(Duration::from_millis(5));
        let io = || io::Error::other("x");
        let attempt = |outcome| Attempt {
            addr: addr(),
            outcome,
        };
        vec![
            Error::Usage("x".into()),
            Error::Local(anyhow::Error::new(io()).context("starting a thread")),
            Error::Resolve {
                host: "h".into(),
                elapsed: e,
                cause: "x".into(),
            },
            Error::Connect {
                attempts: vec![attempt(Outcome::Refused)],
                elapsed: e,
            },
            Error::NotHttp {
                addr: addr(),
                start: "x".into(),
                hint: "is this the right port?",
            },
            Error::BadHead {
                addr: addr(),
                reason: "x".into(),
            },
            Error::BadChunk {
                addr: addr(),
                reason: "x".into(),
                received: 0,
            },
            Error::Connect {
                attempts: vec![attempt(Outcome::Unreachable("no route to host".into()))],
                elapsed: e,
            },
            Error::Partial {
                addr: addr(),
                elapsed: e,
                received: 1,
                expected: 2,
            },
            Error::write(io()),
            Error::ReadFile {
                path: "f".into(),
                source: io(),
            },
            Error::HttpStatus {
                addr: addr(),
                elapsed: e,
                status: 404,
                status_line: "HTTP/1.1 404 Not Found".into(),
                retry_after: None,
            },
            Error::TooLarge {
                addr: addr(),
                limit: 1,
                announced: None,
            },
            Error::UnsupportedCoding {
                addr: addr(),
                codings: "gzip".into(),
            },
            Error::UnknownContentCoding {
                addr: addr(),
                codings: "zstd".into(),
            },
            Error::RangeRefused {
                addr: addr(),
                offset: 1,
                reason: "x".into(),
            },
            Error::BadContent {
                addr: addr(),
                codings: "gzip".into(),
                reason: "x".into(),
            },
            Error::TlsHandshake {
                addr: addr(),
                elapsed: e,
                reason: "x".into(),
            },
            Error::TlsCertificate {
                addr: addr(),
                elapsed: e,
                reason: "x".into(),
            },
            Error::TlsCaFile("x".into()),
            Error::ClientCert("x".into()),
            Error::Rewind {
                status_line: "HTTP/1.1 307 Temporary Redirect".into(),
                location: "http://a.test/".into(),
            },
            Error::Proxy {
                proxy: "p.test:1080 (-x)".into(),
                source: Box::new(Error::Resolve {
                    host: "p.test".into(),
                    elapsed: e,
                    cause: "x".into(),
                }),
            },
            Error::ProxyConnect {
                proxy: "p.test:1080 (-x)".into(),
                target: "a.test:443".into(),
                answer: "HTTP/1.1 403 Forbidden".into(),
                timed_out: false,
            },
            Error::BadLocation {
                from: "http://a/".into(),
                location: "ftp://b/".into(),
                why: "x".into(),
            },
            Error::TooManyRedirects {
                hops: vec!["http://a/".into(), "http://a/".into()],
                max: 1,
            },
            Error::TlsTruncated {
                addr: addr(),
                elapsed: e,
                received: 1,
            },
            Error::Connect {
                attempts: vec![attempt(Outcome::TimedOut)],
                elapsed: e,
            },
            Error::ResponseTimeout {
                addr: addr(),
                elapsed: e,
                received: Received::Head(0),
                limit: TimeLimit::Idle(Duration::from_secs(1)),
            },
            Error::EmptyReply {
                addr: addr(),
                elapsed: e,
            },
            Error::Send {
                addr: addr(),
                elapsed: e,
                source: io(),
            },
            Error::SendTimeout {
                addr: addr(),
                elapsed: e,
                sent: 1,
                total: Some(2),
                limit: TimeLimit::Total(Duration::from_secs(1)),
            },
            Error::Reset {
                addr: addr(),
                elapsed: e,
                received: Received::Body(0),
            },
        ]
    }

    #[test]
    fn every_class_has_its_own_kind_and_a_documented_code() {
        let kinds: HashSet<&str> = Class::ALL.iter().map(|c| c.kind()).collect();
        assert_eq!(kinds.len(), Class::ALL.len(), "two classes share a kind");
        let documented: HashSet<u8> = EXIT_CODES.iter().map(|(c, _)| *c).collect();
        let used: HashSet<u8> = Class::ALL.iter().map(|c| c.exit_code()).collect();
        for class in Class::ALL {
            assert!(
                documented.contains(&class.exit_code()),
                "{class:?}'s code is not in EXIT_CODES"
            );
        }
        // Every documented failure code is some class's (0 is success; 128 + a
        // signal number comes from interrupt.rs, not from an Error).
        for code in documented.iter().filter(|c| **c != 0 && **c < 128) {
            assert!(used.contains(code), "documented code {code} is never used");
        }
    }

    #[test]
    fn the_sample_errors_cover_every_class() {
        let sampled: HashSet<Class> = one_of_each().iter().map(Error::class).collect();
        for class in Class::ALL {
            assert!(sampled.contains(class), "one_of_each has no {class:?}");
        }
    }

    #[test]
    fn readme_lists_every_error_kind() {
        let readme = include_str!("../README.md");
        for class in Class::ALL {
            assert!(
                readme.contains(&format!("`{}`", class.kind())),
                "README lacks {}",
                class.kind()
            );
        }
    }

    #[test]
    fn readme_table_lists_every_exit_code() {
        let readme = include_str!("../README.md");
        for (code, _) in EXIT_CODES {
            assert!(
                readme.contains(&format!("\n| {code} |")),
                "README's exit-code table lacks a row for {code}"
            );
        }
    }

    #[test]
    fn messages_fit_on_one_line() {
        for error in one_of_each() {
            assert!(!error.to_string().contains('\n'), "{error}");
        }
    }
}

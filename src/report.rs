//! What happened during a fetch, event by event: each event sets its figure for -w
//! and, with -v, prints its line of the trace, both timed from the clock's start.

use std::fmt;
use std::io::{self, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::clock::Clock;
use crate::escape::shown;
use crate::interrupt::Phase;

/// The figures -w reports, with curl's meanings.
#[derive(Debug, Default, Clone)]
pub struct Figures {
    /// Times since the start, each cumulative (curl's `time_*` semantics).
    pub namelookup: Option<Duration>,
    pub connect: Option<Duration>,
    pub starttransfer: Option<Duration>,
    pub remote: Option<SocketAddr>,
    pub num_connects: u32,
    pub num_retries: u32,
    pub size_request: u64,
    pub size_header: u64,
    pub size_download: u64,
    pub http_code: Option<u16>,
    /// When the TLS handshake completed.
    pub appconnect: Option<Duration>,
    /// curl's %{ssl_verify_result}: 0 when the certificate was verified.
    pub ssl_verify_result: Option<i64>,
    /// Redirects followed, and when the last one was (curl's time_redirect).
    pub num_redirects: u32,
    pub time_redirect: Option<Duration>,
    /// The URL of the last hop, when a redirect was followed.
    pub url_effective: Option<String>,
    /// Where a redirect would have gone, when it was not followed.
    pub redirect_url: Option<String>,
    /// The proxy's answer to CONNECT (curl's %{http_connect}).
    pub http_connect: Option<u16>,
    /// The last request's method, and the bytes of its body.
    pub method: Option<String>,
    pub size_upload: u64,
    /// The Referer the last request sent, if any.
    pub referer: Option<String>,
    /// When the last request was about to go, and when all of it had gone.
    pub pretransfer: Option<Duration>,
    pub posttransfer: Option<Duration>,
    /// This end of the last connection.
    pub local: Option<SocketAddr>,
    /// The last response head (the final one, interim heads left out).
    pub head: Vec<u8>,
}

impl Figures {
    /// The last head's fields, obsolete line folding joined (RFC 9112, 5.2),
    /// cookie values hidden.
    pub fn fields(&self) -> Vec<(String, String)> {
        let text = String::from_utf8_lossy(&self.head);
        let mut fields: Vec<(String, String)> = Vec::new();
        for line in text.lines().skip(1) {
            if line.starts_with([' ', '\t']) {
                if let Some((_, value)) = fields.last_mut() {
                    value.push(' ');
                    value.push_str(line.trim());
                }
                continue;
            }
            // -w shows no cookie value either.
            if let Some((name, value)) = hidden(line).split_once(':') {
                fields.push((name.to_string(), value.trim().to_string()));
            }
        }
        fields
    }

    /// The values of the field `name` (case aside), joined as curl joins them.
    pub fn field(&self, name: &str) -> Option<String> {
        let values: Vec<String> = self
            .fields()
            .into_iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
            .collect();
        (!values.is_empty()).then(|| values.join(", "))
    }

    /// `1.1` of `HTTP/1.1 200 OK`.
    pub fn http_version(&self) -> Option<String> {
        let line = self.head.split(|&b| b == b'\n').next()?;
        let version = line.strip_prefix(b"HTTP/")?.split(|&b| b == b' ').next()?;
        Some(String::from_utf8_lossy(version).into_owned())
    }
}

#[derive(Debug)]
pub struct Report {
    verbose: bool,
    /// The clock's start: the trace, -w and every "after …" count from it.
    start: Instant,
    figures: Figures,
}

impl Report {
    pub fn new(verbose: bool, clock: &Clock) -> Report {
        Report {
            verbose,
            start: clock.started(),
            figures: Figures::default(),
        }
    }

    pub fn figures(&self) -> &Figures {
        &self.figures
    }

    pub fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }

    /// Another attempt: its figures replace the last one's; times still count
    /// from the start, and the counters go on.
    pub fn retrying(&mut self) {
        let (num_connects, num_retries) = (self.figures.num_connects, self.figures.num_retries);
        self.figures = Figures {
            num_connects,
            num_retries: num_retries + 1,
            ..Figures::default()
        };
    }

    /// A redirect followed to `url`: the next hop's figures replace this one's.
    pub fn redirected(&mut self, status_line: &str, url: &str) {
        self.figures.num_redirects += 1;
        self.figures.time_redirect = Some(self.elapsed());
        self.figures.url_effective = Some(url.to_string());
        self.step(format_args!("following {status_line} to {url}"));
    }

    /// The proxy answered CONNECT with `status`.
    pub fn tunnel(&mut self, status: u16) {
        self.figures.http_connect = Some(status);
        self.step(format_args!("proxy answered CONNECT with {status}"));
    }

    /// A redirect not followed (no -L, or past --max-redirs).
    pub fn not_followed(&mut self, url: &str) {
        self.figures.redirect_url = Some(url.to_string());
    }

    /// The name is being looked up.
    pub fn resolving(&mut self, name: &str) {
        crate::interrupt::set_resolving(name);
    }

    /// The TLS handshake with `addr` starts.
    pub fn handshaking(&mut self, addr: SocketAddr) {
        crate::interrupt::set_phase(Phase::Handshake, addr);
    }

    pub fn resolved(&mut self) {
        self.figures.namelookup = Some(self.elapsed());
    }

    /// An address is tried: if no connection comes, -w names the last one tried.
    pub fn connecting(&mut self, addr: SocketAddr) {
        self.figures.num_connects += 1;
        self.figures.remote = Some(addr);
        crate::interrupt::set_phase(Phase::Connecting, addr);
        self.step(format_args!("connecting to {addr}"));
    }

    pub fn connected(&mut self, addr: SocketAddr, local: Option<SocketAddr>) {
        self.figures.connect = Some(self.elapsed());
        self.figures.remote = Some(addr);
        self.figures.local = local;
        self.step(format_args!("connected to {addr}"));
    }

    /// The TLS handshake is done; `verify` is the certificate's verdict as curl's
    /// %{ssl_verify_result} gives it.
    pub fn tls_done(&mut self, verify: i64) {
        self.figures.appconnect = Some(self.elapsed());
        self.figures.ssl_verify_result = Some(verify);
    }

    /// The request is about to go out: its head in the trace, its size for -w.
    pub fn request(&mut self, head: &[u8], size: u64) {
        self.figures.pretransfer = Some(self.elapsed());
        self.phase(Phase::Sending);
        self.lines('>', head);
        self.figures.size_request = size;
        self.figures.size_upload = size.saturating_sub(head.len() as u64);
        let method = head.split(|&b| b == b' ').next().unwrap_or_default();
        self.figures.method = Some(String::from_utf8_lossy(method).into_owned());
        self.figures.referer = request_field(head, "referer");
    }

    /// The whole request has gone out.
    pub fn sent(&mut self, total: u64) {
        self.figures.posttransfer = Some(self.elapsed());
        // A chunked body's length is known only now.
        let head = self
            .figures
            .size_request
            .saturating_sub(self.figures.size_upload);
        self.figures.size_request = total;
        self.figures.size_upload = total.saturating_sub(head);
        self.phase(Phase::Waiting);
        self.step(format_args!("{total} bytes sent"));
    }

    pub fn first_byte(&mut self) {
        self.figures.starttransfer = Some(self.elapsed());
        self.step(format_args!("first byte received"));
    }

    pub fn response_head(&mut self, head: &[u8], status: u16) {
        self.phase(Phase::Receiving);
        self.lines('<', head);
        self.figures.size_header = head.len() as u64;
        self.figures.http_code = Some(status);
        // Interim (1xx) heads come first: the last head is what -w describes.
        let trimmed = head.trim_ascii_end();
        let start = [&b"\r\n\r\n"[..], b"\n\n"]
            .iter()
            .filter_map(|sep| {
                trimmed
                    .windows(sep.len())
                    .rposition(|w| w == *sep)
                    .map(|i| i + sep.len())
            })
            .max()
            .unwrap_or(0);
        self.figures.head = head[start..].to_vec();
    }

    /// Body bytes written, decoded (so far, if the transfer failed).
    pub fn body_received(&mut self, bytes: u64) {
        self.figures.size_download = bytes;
    }

    /// What an interruption names: the phase, and the connection's address.
    fn phase(&self, phase: Phase) {
        if let Some(addr) = self.figures.remote {
            crate::interrupt::set_phase(phase, addr);
        }
    }

    /// A `*` line of the trace: one step and what came of it.
    pub fn step(&self, what: fmt::Arguments) {
        if self.verbose {
            self.line('*', &what.to_string());
        }
    }

    /// `>` lines for a request head, `<` lines for a response head, one per line.
    fn lines(&self, marker: char, head: &[u8]) {
        if !self.verbose {
            return;
        }
        for line in head.split(|&b| b == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if !line.is_empty() {
                self.line(marker, &hidden(&shown(line)));
            }
        }
    }

    fn line(&self, marker: char, text: &str) {
        let ms = self.elapsed().as_secs_f64() * 1000.0;
        // A trace that cannot be written is not worth failing the fetch for.
        let _ = writeln!(io::stderr().lock(), "{marker} {ms:>9.3}ms {text}");
    }
}

/// A header line as the trace shows it: credentials as `[hidden]`, keeping the
/// scheme (`Authorization: Basic [hidden]`), and cookies' values, keeping
/// their names and attributes, so a trace can go into a log.
fn hidden(line: &str) -> String {
    let Some((name, value)) = line.split_once(':') else {
        return line.to_string();
    };
    let value = value.trim();
    match name.trim().to_ascii_lowercase().as_str() {
        "authorization" | "proxy-authorization" => match value.split_once(' ') {
            Some((scheme, _)) => format!("{name}: {scheme} [hidden]"),
            None => format!("{name}: [hidden]"),
        },
        "cookie" => {
            let pairs: Vec<String> = value.split(';').map(|p| value_hidden(p.trim())).collect();
            format!("{name}: {}", pairs.join("; "))
        }
        "set-cookie" => match value.split_once(';') {
            Some((pair, attributes)) => format!("{name}: {};{attributes}", value_hidden(pair)),
            None => format!("{name}: {}", value_hidden(value)),
        },
        _ => line.to_string(),
    }
}

/// `NAME=[hidden]` for `NAME=VALUE`.
fn value_hidden(pair: &str) -> String {
    match pair.split_once('=') {
        Some((name, _)) => format!("{}=[hidden]", name.trim()),
        None => "[hidden]".into(),
    }
}

/// A field's value in a request head we built (so one line per field).
fn request_field(head: &[u8], name: &str) -> Option<String> {
    String::from_utf8_lossy(head)
        .lines()
        .skip(1)
        .filter_map(|line| line.split_once(':'))
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::hidden;

    #[test]
    fn credentials_are_hidden_in_the_trace() {
        assert_eq!(
            hidden("Authorization: Basic YWxpY2U6czNjcmV0"),
            "Authorization: Basic [hidden]"
        );
        assert_eq!(
            hidden("proxy-authorization: Bearer x.y.z"),
            "proxy-authorization: Bearer [hidden]"
        );
        assert_eq!(hidden("authorization: token"), "authorization: [hidden]");
        assert_eq!(hidden("Accept: */*"), "Accept: */*");
        assert_eq!(
            hidden("Cookie: sid=s3cret; theme=dark"),
            "Cookie: sid=[hidden]; theme=[hidden]"
        );
        assert_eq!(
            hidden("set-cookie: sid=s3cret; Path=/; HttpOnly"),
            "set-cookie: sid=[hidden]; Path=/; HttpOnly"
        );
        assert_eq!(hidden("Set-Cookie: junk"), "Set-Cookie: [hidden]");
        assert_eq!(hidden("GET / HTTP/1.0"), "GET / HTTP/1.0");
    }
}

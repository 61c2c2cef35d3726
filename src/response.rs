//! The response head: collected across reads, parsed with httparse, and turned into
//! what the body loop needs to know. No I/O here.

use crate::escape::shown;

/// A head longer than this is refused (curl's limit is 100 KiB; 64 KiB is plenty).
pub const MAX_HEAD: usize = 64 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// Length of the head in `HeadReader::buffered()`, blank line included.
    pub len: usize,
    pub status: u16,
    /// The first line of the final head, without its line end, as `escape::shown`.
    pub status_line: String,
    pub body: BodyLength,
    /// `Retry-After` in seconds (RFC 9110, 10.2.3); the HTTP-date form is not used.
    pub retry_after: Option<u64>,
    /// The `Location` field's value, as sent.
    pub location: Option<Vec<u8>>,
    /// The Content-Encoding list, in the order the codings were applied.
    pub content_codings: Vec<String>,
    /// The Content-Range field's value, as `escape::shown`.
    pub content_range: Option<String>,
    /// The Server field's value, as `escape::shown`: some servers' hints name it.
    pub server: Option<String>,
    /// Every Set-Cookie field's value, as sent, for the cookie engine.
    pub set_cookies: Vec<Vec<u8>>,
}

impl Head {
    /// 1xx heads other than 101 announce that the real response follows.
    pub fn is_interim(&self) -> bool {
        (100..200).contains(&self.status) && self.status != 101
    }
}

/// How the end of the body is recognised (RFC 9112, 6.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyLength {
    Exactly(u64),
    Chunked,
    UntilClose,
    /// A Content-Length past 2^64-1, as sent: over any --max-size, else malformed.
    Overflow(String),
    /// Transfer codings other than chunked (their header values, as sent):
    /// fetch cannot find the body's end or decode it (curl's exit 61).
    Unsupported(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeadError {
    /// The first bytes cannot start an HTTP/1.x status line.
    NotHttp,
    TooLarge,
    Malformed(String),
}

/// Collects response bytes until the final head's blank line, skipping interim
/// (1xx) heads. All heads together may take at most `MAX_HEAD` bytes, so a peer
/// that sends endless `100 Continue` heads cannot grow memory.
#[derive(Debug, Default)]
pub struct HeadReader {
    /// The request was HEAD: no body follows, whatever the head announces.
    head_request: bool,
    buf: Vec<u8>,
    /// Where the head being read starts (after any interim heads).
    start: usize,
    /// How far the search for the blank line has looked already.
    scanned: usize,
}

impl HeadReader {
    pub fn new(head_request: bool) -> HeadReader {
        HeadReader {
            head_request,
            ..HeadReader::default()
        }
    }

    /// Everything pushed so far: the heads, then any body bytes that came with them.
    pub fn buffered(&self) -> &[u8] {
        &self.buf
    }

    /// Adds received bytes; returns the final head once its blank line has arrived.
    /// `Head::len` then counts every head byte in `buffered()`, interim ones included.
    pub fn push(&mut self, bytes: &[u8]) -> Result<Option<Head>, HeadError> {
        self.buf.extend_from_slice(bytes);
        loop {
            let current = &self.buf[self.start..];
            let prefix = current.len().min(5);
            if current[..prefix] != b"HTTP/"[..prefix] {
                return Err(HeadError::NotHttp);
            }
            let from = self.scanned.saturating_sub(2).max(self.start);
            let Some(end) = find_blank_line(&self.buf, from) else {
                self.scanned = self.buf.len();
                return if self.buf.len() > MAX_HEAD {
                    Err(HeadError::TooLarge)
                } else {
                    Ok(None)
                };
            };
            if end > MAX_HEAD {
                return Err(HeadError::TooLarge);
            }
            let head = parse_head(&self.buf[self.start..end])?;
            if head.is_interim() {
                self.start = end;
                self.scanned = end;
                continue;
            }
            let body = if self.head_request {
                BodyLength::Exactly(0)
            } else {
                head.body
            };
            return Ok(Some(Head {
                len: end,
                body,
                ..head
            }));
        }
    }
}

/// The index just past the first empty line (`\n\n` or `\n\r\n`), searching from `from`.
fn find_blank_line(buf: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while let Some(offset) = buf[i..].iter().position(|&b| b == b'\n') {
        let nl = i + offset;
        match buf.get(nl + 1) {
            Some(b'\n') => return Some(nl + 2),
            Some(b'\r') if buf.get(nl + 2) == Some(&b'\n') => return Some(nl + 3),
            _ => i = nl + 1,
        }
    }
    None
}

fn parse_head(head: &[u8]) -> Result<Head, HeadError> {
    // One slot per line is always enough, and no head is parsed twice.
    let lines = head.iter().filter(|&&b| b == b'\n').count();
    let mut headers = vec![httparse::EMPTY_HEADER; lines];
    let mut response = httparse::Response::new(&mut headers);
    // RFC 9112, 5.2: a recipient of a response MUST accept obsolete line folding.
    let parsed = httparse::ParserConfig::default()
        .allow_obsolete_multiline_headers_in_responses(true)
        .parse_response(&mut response, head);
    match parsed {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) => {
            return Err(HeadError::Malformed("the head is incomplete".into()));
        }
        Err(e) => return Err(HeadError::Malformed(e.to_string())),
    }
    let status = response.code.unwrap_or_default();
    if !(100..=599).contains(&status) {
        return Err(HeadError::Malformed(format!(
            "status {status} is out of range (100-599)"
        )));
    }
    let body = if (100..200).contains(&status) && status != 101 || status == 204 || status == 304 {
        BodyLength::Exactly(0)
    } else if let Some(codings) = transfer_codings(response.headers) {
        // Transfer-Encoding overrides Content-Length (RFC 9112, 6.3).
        codings
    } else {
        content_length(response.headers)?
    };
    let headers = &*response.headers;
    let retry_after = field(headers, "retry-after")
        .and_then(|v| std::str::from_utf8(v).ok())
        .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|v| v.parse().ok());
    let location = field(headers, "location").map(<[u8]>::to_vec);
    let content_codings = every(headers, "content-encoding")
        .flat_map(|value| value.split(|&b| b == b','))
        .map(unfold)
        .filter(|c| !c.is_empty())
        .map(shown)
        .collect();
    let content_range = field(headers, "content-range").map(shown);
    let server = field(headers, "server").map(shown);
    let set_cookies = every(headers, "set-cookie").map(<[u8]>::to_vec).collect();
    let first_line = head.split(|&b| b == b'\n').next().unwrap_or_default();
    Ok(Head {
        len: head.len(),
        status,
        status_line: shown(first_line.trim_ascii_end()),
        body,
        retry_after,
        location,
        content_codings,
        content_range,
        server,
        set_cookies,
    })
}

/// The values of every field called `name` (case aside), trimmed.
fn every<'h>(
    headers: &'h [httparse::Header<'h>],
    name: &'h str,
) -> impl Iterator<Item = &'h [u8]> + 'h {
    headers
        .iter()
        .filter(move |h| h.name.eq_ignore_ascii_case(name))
        .map(|h| h.value.trim_ascii())
}

/// The first field called `name` (case aside), its value trimmed.
fn field<'h>(headers: &[httparse::Header<'h>], name: &str) -> Option<&'h [u8]> {
    headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case(name))
        .map(|h| h.value.trim_ascii())
}

/// `None` without Transfer-Encoding. Chunked alone frames the body; any other
/// coding (gzip, a typo, chunked twice) cannot be decoded here, and passing it on
/// as if it were the body would hand the user bytes that are not what was sent.
/// An empty field lists no coding at all, so the body runs until the close.
fn transfer_codings(headers: &[httparse::Header]) -> Option<BodyLength> {
    let fields: Vec<&[u8]> = headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case("transfer-encoding"))
        .map(|h| h.value.trim_ascii())
        .collect();
    if fields.is_empty() {
        return None;
    }
    let codings: Vec<&[u8]> = fields
        .iter()
        .flat_map(|f| f.split(|&b| b == b',').map(unfold))
        .filter(|c| !c.is_empty())
        .collect();
    Some(match codings[..] {
        [] => BodyLength::UntilClose,
        [only] if only.eq_ignore_ascii_case(b"chunked") => BodyLength::Chunked,
        _ => {
            let listed: Vec<String> = fields.iter().map(|f| shown(f)).collect();
            BodyLength::Unsupported(listed.join(", "))
        }
    })
}

/// A list item with surrounding white space removed, folds included (obs-fold).
fn unfold(item: &[u8]) -> &[u8] {
    item.trim_ascii()
}

/// The one Content-Length all its fields agree on (RFC 9110, 8.6: `42, 42` is 42).
fn content_length(headers: &[httparse::Header]) -> Result<BodyLength, HeadError> {
    let mut found: Option<u64> = None;
    for header in headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case("content-length"))
    {
        for item in header.value.split(|&b| b == b',').map(unfold) {
            let digits = std::str::from_utf8(item)
                .ok()
                .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
                .ok_or_else(|| {
                    HeadError::Malformed(format!(
                        "invalid Content-Length '{}'",
                        shown(header.value)
                    ))
                })?;
            let Ok(value) = digits.parse::<u64>() else {
                return Ok(BodyLength::Overflow(digits.to_string()));
            };
            if found.is_some_and(|f| f != value) {
                return Err(HeadError::Malformed(
                    "conflicting Content-Length values".into(),
                ));
            }
            found = Some(value);
        }
    }
    Ok(found.map_or(BodyLength::UntilClose, BodyLength::Exactly))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(bytes: &[u8]) -> Result<Option<Head>, HeadError> {
        HeadReader::new(false).push(bytes)
    }

    fn body_of(head: &str) -> Result<BodyLength, HeadError> {
        Ok(parse(head.as_bytes())?.expect("complete head").body)
    }

    #[test]
    fn complete_head_with_length() {
        let head = parse(b"HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello")
            .unwrap()
            .unwrap();
        assert_eq!(head.status, 200);
        assert_eq!(head.len, 38);
        assert_eq!(head.body, BodyLength::Exactly(5));
    }

    #[test]
    fn bare_lf_and_missing_reason_are_accepted() {
        let head = parse(b"HTTP/1.1 404\nA: b\n\n").unwrap().unwrap();
        assert_eq!((head.status, head.len), (404, 19));
        assert_eq!(head.body, BodyLength::UntilClose);
    }

    #[test]
    fn head_split_at_every_byte_gives_the_same_head() {
        let whole = b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nX: y\r\n\r\nabc";
        let expected = parse(whole).unwrap().unwrap();
        for split in 1..whole.len() {
            let mut reader = HeadReader::new(false);
            let first = reader.push(&whole[..split]).unwrap();
            let head = match first {
                Some(head) => head,
                None => reader.push(&whole[split..]).unwrap().unwrap(),
            };
            assert_eq!(head, expected, "split at {split}");
        }
    }

    #[test]
    fn interim_heads_are_skipped_but_counted() {
        let whole = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
        let head = parse(whole).unwrap().unwrap();
        assert_eq!((head.status, head.len), (200, whole.len() - 2));
        assert_eq!(head.body, BodyLength::Exactly(2));
    }

    #[test]
    fn endless_interim_heads_hit_the_limit() {
        let mut reader = HeadReader::new(false);
        let interim = b"HTTP/1.1 100 Continue\r\n\r\n".repeat(100);
        let mut result = Ok(None);
        for _ in 0..100 {
            result = reader.push(&interim);
            if result.is_err() {
                break;
            }
        }
        assert_eq!(result, Err(HeadError::TooLarge));
    }

    #[test]
    fn not_http_is_detected_from_the_first_bytes() {
        assert_eq!(parse(b"SSH-2.0-OpenSSH"), Err(HeadError::NotHttp));
        assert_eq!(parse(b"HTT"), Ok(None));
        assert_eq!(parse(b"http/1.0 200 OK\r\n"), Err(HeadError::NotHttp));
    }

    #[test]
    fn head_over_the_limit_is_refused() {
        let mut reader = HeadReader::new(false);
        reader.push(b"HTTP/1.0 200 OK\r\n").unwrap();
        let line = [b'a'; 1024];
        let mut result = Ok(None);
        for _ in 0..70 {
            result = reader.push(&line);
            if result.is_err() {
                break;
            }
        }
        assert_eq!(result, Err(HeadError::TooLarge));
    }

    #[test]
    fn content_length_rules() {
        let with = |cl: &str| body_of(&format!("HTTP/1.0 200 OK\r\n{cl}\r\n\r\n"));
        assert_eq!(with("Content-Length: 42, 42"), Ok(BodyLength::Exactly(42)));
        assert_eq!(
            with("content-length: 7\r\nContent-Length: 7"),
            Ok(BodyLength::Exactly(7))
        );
        for bad in [
            "Content-Length: 1\r\nContent-Length: 2",
            "Content-Length: -1",
            "Content-Length: abc",
            "Content-Length: 1 2",
            "Content-Length: +5",
            "Content-Length:",
        ] {
            assert!(matches!(with(bad), Err(HeadError::Malformed(_))), "{bad}");
        }
        assert_eq!(
            with("Content-Length: 18446744073709551615"),
            Ok(BodyLength::Exactly(u64::MAX))
        );
        assert_eq!(
            with("Content-Length: 18446744073709551616"),
            Ok(BodyLength::Overflow("18446744073709551616".into()))
        );
    }

    #[test]
    fn chunked_is_recognised_and_overrides_content_length() {
        let with = |te: &str| body_of(&format!("HTTP/1.1 200 OK\r\n{te}\r\n\r\n"));
        assert_eq!(with("Transfer-Encoding: chunked"), Ok(BodyLength::Chunked));
        assert_eq!(
            with("Transfer-Encoding: Chunked\r\nContent-Length: 5"),
            Ok(BodyLength::Chunked)
        );
        assert_eq!(
            with("Transfer-Encoding:\r\nContent-Length: 5"),
            Ok(BodyLength::UntilClose)
        );
    }

    #[test]
    fn other_transfer_codings_are_unsupported() {
        let with = |te: &str| body_of(&format!("HTTP/1.1 200 OK\r\n{te}\r\n\r\n"));
        let unsupported = |listed: &str| Ok(BodyLength::Unsupported(listed.into()));
        assert_eq!(with("Transfer-Encoding: gzip"), unsupported("gzip"));
        assert_eq!(
            with("Transfer-Encoding: identityx"),
            unsupported("identityx")
        );
        assert_eq!(
            with("Transfer-Encoding: gzip, chunked"),
            unsupported("gzip, chunked")
        );
        assert_eq!(
            with("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked"),
            unsupported("chunked, chunked")
        );
        // No body follows a 204 whatever it announces.
        assert_eq!(
            body_of("HTTP/1.1 204 No Content\r\nTransfer-Encoding: gzip\r\n\r\n"),
            Ok(BodyLength::Exactly(0))
        );
    }

    #[test]
    fn folded_header_lines_are_accepted() {
        let head = "HTTP/1.1 200 OK\r\nX: a\r\n b\r\nContent-Length:\r\n 5\r\n\r\n";
        assert_eq!(body_of(head), Ok(BodyLength::Exactly(5)));
    }

    #[test]
    fn reply_to_head_has_no_body_and_keeps_its_status_line() {
        let head = HeadReader::new(true)
            .push(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n")
            .unwrap()
            .unwrap();
        assert_eq!(head.body, BodyLength::Exactly(0));
        assert_eq!(head.status_line, "HTTP/1.1 200 OK");
    }

    #[test]
    fn statuses_without_a_body() {
        for status in ["204 No Content", "304 Not Modified"] {
            let head = format!("HTTP/1.1 {status}\r\nContent-Length: 10\r\n\r\n");
            assert_eq!(body_of(&head), Ok(BodyLength::Exactly(0)), "{status}");
        }
    }

    #[test]
    fn out_of_range_status_and_garbage_are_malformed() {
        assert!(matches!(
            parse(b"HTTP/1.0 999 X\r\n\r\n"),
            Err(HeadError::Malformed(_))
        ));
        assert!(matches!(
            parse(b"HTTP/1.0 2000 X\r\n\r\n"),
            Err(HeadError::Malformed(_))
        ));
        assert!(matches!(
            parse(b"HTTP/1.0 200 OK\r\nBad Name: x\r\n\r\n"),
            Err(HeadError::Malformed(_))
        ));
    }
}

//! The request, built from the arguments: method, headers, and the body from
//! -d, --data-urlencode, -G, --json, -F, @FILE and standard input, read here,
//! in the plan step, never during clap's parsing.

use std::ffi::OsString;

use super::Args;
use crate::error::{Error, io_text};
use crate::payload::{Payload, Piece};
use crate::request::{self, Request};
use crate::target::Target;

const JSON_TYPE: &str = "application/json";

impl Args {
    /// The request, built whole: from the flags, or verbatim from stdin (--raw).
    pub(super) fn request(&self, target: &Target, resume: Option<u64>) -> Result<Request, Error> {
        if self.raw {
            return self.raw_request(target);
        }
        let (body, content_type) = self.body()?;
        let (body, target) = self.get_query(body, target)?;
        let target = &self.upload_target(&target);
        let natural = match () {
            _ if self.head => "HEAD",
            _ if self.upload_file.is_some() => "PUT",
            _ if body.is_some() => "POST",
            _ => "GET",
        };
        let method = match &self.method {
            Some(method) => request::parse_method(method).map_err(Error::Usage)?,
            None => natural.to_string(),
        };
        // -T sends the file as it is, with no Content-Type (as curl).
        let body_type = body.as_ref().filter(|_| self.upload_file.is_none());
        let mut defaults = self.default_headers(target, body_type.map(|_| content_type.as_str()));
        if let Some(offset) = resume {
            defaults.push(("Range".into(), format!("bytes={offset}-")));
        }
        if let Some(credentials) = self.credentials(target)? {
            defaults.push(("Authorization".into(), credentials));
        }
        let mut headers = request::merge_headers(defaults, self.user_headers()?);
        if !self.form.is_empty() {
            with_boundary(&mut headers, &content_type);
        }
        if let Some(body) = &body {
            framing(&mut headers, body.len());
        }
        let method = request::Method {
            sent: &method,
            natural,
        };
        let request = Request::new(method, target, headers, body.unwrap_or_default());
        let request = match self.http1_1 {
            true => request.in_http11(target),
            false => request,
        };
        // -u's credentials may follow a redirect with --location-trusted; the
        // URL's belong to its origin.
        Ok(match (&self.user, &target.credentials) {
            (None, Some(_)) => request.with_url_credentials(),
            _ => request,
        })
    }

    /// --raw: standard input, verbatim, is the whole request.
    fn raw_request(&self, target: &Target) -> Result<Request, Error> {
        if self.path.is_some() || target.path != "/" {
            return Err(Error::Usage(
                "--raw sends standard input as the whole request: give no PATH".into(),
            ));
        }
        let bytes = read_data(std::ffi::OsStr::new("@-"))?;
        if bytes.is_empty() {
            return Err(Error::Usage(
                "--raw needs the request on standard input, and it was empty".into(),
            ));
        }
        Ok(Request::raw(bytes))
    }

    /// -G: the data goes in the query string of a GET (or HEAD with -I), and
    /// there is no body.
    fn get_query(
        &self,
        body: Option<Payload>,
        target: &Target,
    ) -> Result<(Option<Payload>, Target), Error> {
        let (body, path) = match (self.get, body) {
            (true, Some(data)) => {
                let joiner = if target.path.contains('?') { "&" } else { "?" };
                let data = data.to_vec().map_err(|e| {
                    Error::Usage(format!("cannot read the -d data: {}", io_text(&e)))
                })?;
                (None, format!("{}{joiner}{}", target.path, query(&data)?))
            }
            (_, body) => (body, target.path.clone()),
        };
        let target = Target {
            path,
            ..target.clone()
        };
        Ok((body, target))
    }

    /// -T FILE to a URL ending in '/' goes to that directory under the file's
    /// name, as curl sends it.
    fn upload_target(&self, target: &Target) -> Target {
        let name = self
            .upload_file
            .as_ref()
            .filter(|path| path.as_os_str() != "-")
            .and_then(|path| path.file_name());
        match name {
            Some(name) if target.path.ends_with('/') => Target {
                path: format!("{}{}", target.path, path_segment(name.as_encoded_bytes())),
                ..target.clone()
            },
            _ => target.clone(),
        }
    }

    /// The body (-d and --data-urlencode joined with &, --json, -F, or -T) and its type.
    fn body(&self) -> Result<(Option<Payload>, String), Error> {
        if let Some(path) = &self.upload_file {
            return Ok((Some(upload(path, self.http1_1)?), String::new()));
        }
        if !self.json.is_empty() {
            // Repeated, the pieces are joined as they are (curl's rule).
            let mut body = Payload::default();
            for json in &self.json {
                body.append(data_payload(json, false, false)?);
            }
            return Ok((Some(body), JSON_TYPE.into()));
        }
        if !self.form.is_empty() {
            let fields: Vec<_> = self.form.iter().map(|f| crate::form::parse(f)).collect();
            let fields = fields.into_iter().collect::<Result<Vec<_>, _>>();
            let (body, content_type) = crate::form::body(&fields.map_err(Error::Usage)?)
                .map_err(|e| Error::Usage(format!("cannot make the -F form: {e}")))?;
            return Ok((Some(body), content_type));
        }
        if self.data_parts.is_empty() {
            return Ok((None, request::FORM_TYPE.into()));
        }
        let mut body = Payload::default();
        for (i, (kind, value)) in self.data_parts.iter().enumerate() {
            if i > 0 {
                body.push_bytes(b"&");
            }
            match kind {
                DataKind::UrlEncode => body.push_bytes(&urlencoded(value)?),
                DataKind::Raw => body.push_bytes(value.as_encoded_bytes()),
                DataKind::Ascii | DataKind::Binary => {
                    let strip = *kind == DataKind::Ascii;
                    body.append(data_payload(value, strip, self.http1_1)?);
                }
            }
        }
        Ok((Some(body), request::FORM_TYPE.into()))
    }

    fn default_headers(&self, target: &Target, body_type: Option<&str>) -> Vec<(String, String)> {
        let mut defaults = request::default_headers(target);
        if self.http1_1 {
            // One request a connection, as in HTTP/1.0: the close ends the read.
            defaults.push(("Connection".into(), "close".into()));
        }
        if let Some(content_type) = body_type {
            // As curl does: without it, web frameworks see an empty form.
            defaults.push(("Content-Type".into(), content_type.into()));
        }
        if !self.json.is_empty() {
            defaults.retain(|(name, _)| name != "Accept");
            defaults.push(("Accept".into(), JSON_TYPE.into()));
        }
        if self.compressed {
            defaults.push(("Accept-Encoding".into(), crate::decode::ACCEPTED.into()));
        }
        defaults
    }

    /// `Basic …` for -u, else for the URL's user and password (curl's order);
    /// a missing password is asked for on the terminal.
    fn credentials(&self, target: &Target) -> Result<Option<String>, Error> {
        let (user, password) = match (&self.user, &target.credentials) {
            (Some(given), _) => match given.split_once(':') {
                Some((user, password)) => (user.to_string(), Some(password.to_string())),
                None => (given.clone(), None),
            },
            (None, Some(url)) => (url.user.clone(), url.password.clone()),
            (None, None) => return Ok(None),
        };
        let basic = crate::password::basic(&user, password.as_deref()).map_err(Error::Usage)?;
        Ok(Some(basic))
    }

    /// -A, -b, -e and -H, checked; `None` removes a header.
    fn user_headers(&self) -> Result<Vec<(String, Option<String>)>, Error> {
        let mut user = Vec::new();
        // -b with a `=` is cookies to send, as curl decides; else a file.
        let given: Vec<&str> = (self.cookie.iter())
            .filter(|c| c.contains('='))
            .map(String::as_str)
            .collect();
        if !given.is_empty() {
            let cookie = given.join("; ");
            request::check_value("Cookie", &cookie).map_err(Error::Usage)?;
            user.push(("Cookie".to_string(), Some(cookie)));
        }
        if let Some(referer) = &self.referer {
            request::check_value("Referer", referer).map_err(Error::Usage)?;
            user.push(("Referer".to_string(), Some(referer.clone())));
        }
        if let Some(agent) = &self.user_agent {
            request::check_value("User-Agent", agent).map_err(Error::Usage)?;
            let agent = Some(agent.clone()).filter(|a| !a.is_empty());
            user.push(("User-Agent".to_string(), agent));
        }
        for line in &self.headers {
            let (name, value) = request::parse_header(line).map_err(Error::Usage)?;
            // With -d, fetch would send Transfer-Encoding beside its Content-Length:
            // the shape of request smuggling (curl test 1333).
            if value.is_some() && name.eq_ignore_ascii_case("transfer-encoding") {
                let why = match self.http1_1 {
                    false => {
                        "HTTP/1.0 requests have no Transfer-Encoding: fetch sends a body with Content-Length"
                    }
                    true => {
                        "fetch frames the body itself: Content-Length, or chunked for standard input"
                    }
                };
                return Err(Error::Usage(why.into()));
            }
            user.push((name, value));
        }
        Ok(user)
    }
}

/// A file name as one segment of a URL path: RFC 3986's unreserved bytes as
/// they are, the rest percent-encoded.
fn path_segment(name: &[u8]) -> String {
    name.iter()
        .map(|&b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The header that says where the body ends: its Content-Length, or chunked
/// for standard input streamed in HTTP/1.1. A length the user gave, if any,
/// is theirs to get wrong (as with curl).
fn framing(headers: &mut Vec<(String, String)>, len: Option<u64>) {
    let given = |name: &str| headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name));
    match len {
        Some(_) if given("content-length") => {}
        Some(len) => headers.push(("Content-Length".into(), len.to_string())),
        None => {
            headers.retain(|(n, _)| !n.eq_ignore_ascii_case("content-length"));
            headers.push(("Transfer-Encoding".into(), "chunked".into()));
        }
    }
}

/// A multipart Content-Type the user gave with -H for a -F form keeps its name
/// and gets the form's boundary, without which no server can split the parts
/// (curl tests 277 and 669).
fn with_boundary(headers: &mut [(String, String)], form_type: &str) {
    let Some((_, boundary)) = form_type.split_once("; boundary=") else {
        return;
    };
    for (name, value) in headers.iter_mut() {
        let multipart = value
            .get(..10)
            .is_some_and(|t| t.eq_ignore_ascii_case("multipart/"));
        if name.eq_ignore_ascii_case("content-type")
            && multipart
            && !value.to_ascii_lowercase().contains("boundary=")
        {
            value.push_str("; boundary=");
            value.push_str(boundary);
        }
    }
}

/// How a data argument becomes body bytes, as curl's flags differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataKind {
    /// -d: @FILE and @- are read without their CR and LF.
    Ascii,
    /// --data-binary: @FILE and @- are sent exactly.
    Binary,
    /// --data-raw: no @ is special.
    Raw,
    /// --data-urlencode.
    UrlEncode,
}

/// The data values in command-line order, with their kind, as curl joins them.
pub(super) fn data_parts(matches: &clap::ArgMatches) -> Vec<(DataKind, OsString)> {
    let mut parts = Vec::new();
    let ids = [
        ("data", DataKind::Ascii),
        ("data_binary", DataKind::Binary),
        ("data_raw", DataKind::Raw),
        ("data_urlencode", DataKind::UrlEncode),
    ];
    for (id, kind) in ids {
        let (Some(values), Some(indices)) =
            (matches.get_many::<OsString>(id), matches.indices_of(id))
        else {
            continue;
        };
        parts.extend(indices.zip(values).map(|(i, v)| (i, kind, v.clone())));
    }
    parts.sort_by_key(|(i, ..)| *i);
    parts.into_iter().map(|(_, kind, v)| (kind, v)).collect()
}

/// -G data as a query string: it goes into the request line, so a space or a
/// control byte (which would end or split it) is refused; bytes above 0x7f are
/// percent-encoded, as in a PATH.
fn query(data: &[u8]) -> Result<String, Error> {
    if let Some(&b) = data.iter().find(|&&b| b == b' ' || b.is_ascii_control()) {
        return Err(Error::Usage(format!(
            "-G puts the data in the URL, where byte 0x{b:02x} is not allowed: use --data-urlencode"
        )));
    }
    Ok(data
        .iter()
        .map(|&b| {
            if b.is_ascii() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect())
}

/// A --data-urlencode value in curl's forms: `CONTENT`, `=CONTENT`,
/// `NAME=CONTENT`, `@FILE`, `NAME@FILE`; the content (or the file's) encoded.
fn urlencoded(value: &std::ffi::OsStr) -> Result<Vec<u8>, Error> {
    let bytes = value.as_encoded_bytes();
    let equals = bytes.iter().position(|&b| b == b'=');
    let at = bytes.iter().position(|&b| b == b'@');
    let (name, content) = match (equals, at) {
        (Some(e), at) if at.is_none_or(|a| e < a) => (&bytes[..e], bytes[e + 1..].to_vec()),
        (_, Some(a)) => {
            let file = <std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(&bytes[a..]);
            (&bytes[..a], read_data(file)?)
        }
        _ => (&b""[..], bytes.to_vec()),
    };
    let mut out = name.to_vec();
    if !name.is_empty() {
        out.push(b'=');
    }
    for b in content {
        // RFC 3986's unreserved characters stay; everything else is %XX (a space
        // as %20, as curl does).
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b);
        } else {
            out.extend_from_slice(format!("%{b:02X}").as_bytes());
        }
    }
    Ok(out)
}

/// `-d` argument: literal bytes, `@FILE`, or `@-` for standard input (the only
/// place stdin is ever read). Read before any socket exists, so a missing file is
/// a usage error and nothing is sent.
/// `-d` or `--json` argument as a body: a named file is read as it is sent.
/// A -d or --data-binary value: `@FILE` (a regular file streamed as it is
/// sent, unless -d drops its newlines), `@-` (streamed with --http1.1, else
/// read now), or the bytes themselves.
fn data_payload(
    data: &std::ffi::OsStr,
    strip_newlines: bool,
    stream: bool,
) -> Result<Payload, Error> {
    let bytes = data.as_encoded_bytes();
    let mut payload = Payload::default();
    match bytes.strip_prefix(b"@") {
        Some(b"-") if stream => payload.push(Piece::Stdin { strip_newlines }),
        Some(source) if source != b"-" && !strip_newlines => {
            let path = std::path::Path::new(
                <std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(source),
            );
            let piece = crate::payload::file_piece(path).map_err(|e| {
                Error::Usage(format!(
                    "cannot read --data file '{}': {}",
                    path.display(),
                    io_text(&e)
                ))
            })?;
            payload.push(piece);
        }
        Some(_) if strip_newlines => {
            let mut read = read_data(data)?;
            read.retain(|&b| b != b'\r' && b != b'\n');
            payload.push_bytes(&read);
        }
        _ => payload.push_bytes(&read_data(data)?),
    }
    Ok(payload)
}

/// -T FILE: a regular file streamed as it is sent; `-` standard input,
/// streamed with --http1.1, else read now.
fn upload(path: &std::path::Path, stream: bool) -> Result<Payload, Error> {
    let mut payload = Payload::default();
    if path.as_os_str() == "-" {
        match stream {
            true => payload.push(Piece::Stdin {
                strip_newlines: false,
            }),
            false => payload.push_bytes(&read_data(std::ffi::OsStr::new("@-"))?),
        }
        return Ok(payload);
    }
    let piece = crate::payload::file_piece(path).map_err(|e| {
        Error::Usage(format!(
            "cannot read -T file '{}': {}",
            path.display(),
            io_text(&e)
        ))
    })?;
    payload.push(piece);
    Ok(payload)
}

fn read_data(data: &std::ffi::OsStr) -> Result<Vec<u8>, Error> {
    // (--raw reads its request through here too, as "@-".)
    let bytes = data.as_encoded_bytes();
    let Some(source) = bytes.strip_prefix(b"@") else {
        return Ok(bytes.to_vec());
    };
    if source == b"-" {
        let mut body = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut body).map_err(|e| {
            Error::Usage(format!(
                "cannot read --data from standard input: {}",
                io_text(&e)
            ))
        })?;
        return Ok(body);
    }
    let path =
        std::path::Path::new(<std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(source));
    std::fs::read(path).map_err(|e| {
        Error::Usage(format!(
            "cannot read --data file '{}': {}",
            path.display(),
            io_text(&e)
        ))
    })
}

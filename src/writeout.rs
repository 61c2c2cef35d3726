//! `-w FORMAT`: figures about the transfer, printed after it, with curl's variable names.

use serde_json::json;

use crate::error::Error;
use crate::report::Report;
use crate::target::Target;

/// Declares the variables once: the enum and its table of names come from the
/// same list, so no variable can lack a name or a name its variable.
macro_rules! variables {
    ($($name:literal => $var:ident,)*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        enum Var {
            $($var,)*
        }

        const VARS: &[(&str, Var)] = &[$(($name, Var::$var),)*];
    };
}

variables! {
    "http_code" => HttpCode,
    "response_code" => ResponseCode,
    "time_namelookup" => TimeNamelookup,
    "time_connect" => TimeConnect,
    "time_appconnect" => TimeAppconnect,
    "time_starttransfer" => TimeStarttransfer,
    "time_total" => TimeTotal,
    "size_download" => SizeDownload,
    "size_header" => SizeHeader,
    "size_request" => SizeRequest,
    "remote_ip" => RemoteIp,
    "remote_port" => RemotePort,
    "num_connects" => NumConnects,
    "num_retries" => NumRetries,
    "exitcode" => Exitcode,
    "errormsg" => Errormsg,
    "url" => Url,
    "url_effective" => UrlEffective,
    "redirect_url" => RedirectUrl,
    "num_redirects" => NumRedirects,
    "http_connect" => HttpConnect,
    "time_redirect" => TimeRedirect,
    "scheme" => Scheme,
    "ssl_verify_result" => SslVerifyResult,
    "content_type" => ContentType,
    "http_version" => HttpVersion,
    "method" => Method,
    "num_headers" => NumHeaders,
    "size_upload" => SizeUpload,
    "speed_download" => SpeedDownload,
    "speed_upload" => SpeedUpload,
    "header_json" => HeaderJson,
    "filename_effective" => FilenameEffective,
    "local_ip" => LocalIp,
    "local_port" => LocalPort,
    "referer" => Referer,
    "time_pretransfer" => TimePretransfer,
    "time_posttransfer" => TimePosttransfer,
    "json" => Json,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    Var(Var),
    /// `%header{NAME}`: that field of the last response head.
    Header(String),
    /// `%{stdout}`, `%{stderr}`: where the rest goes.
    Switch(Sink),
    /// `%{onerror}`: the rest only when the fetch failed.
    OnError,
    /// `%{url.PART}` of the target as given, `%{urle.PART}` of the last hop's URL.
    UrlPart {
        effective: bool,
        part: UrlPart,
    },
    /// A variable curl has and fetch cannot know: it prints empty.
    Unknown(String),
}

/// curl's URL parts (8.1): `%{url.host}`, `%{urle.path}`, ...
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum UrlPart {
    Scheme,
    User,
    /// `***` when there is one: no credential is ever printed.
    Password,
    /// Only other protocols have options: always empty.
    Options,
    Host,
    Port,
    Path,
    Query,
    Fragment,
    /// An IPv6 zone: fetch takes none, so always empty.
    Zoneid,
}

const URL_PARTS: &[(&str, UrlPart)] = &[
    ("scheme", UrlPart::Scheme),
    ("user", UrlPart::User),
    ("password", UrlPart::Password),
    ("options", UrlPart::Options),
    ("host", UrlPart::Host),
    ("port", UrlPart::Port),
    ("path", UrlPart::Path),
    ("query", UrlPart::Query),
    ("fragment", UrlPart::Fragment),
    ("zoneid", UrlPart::Zoneid),
];

/// Where a part of the -w text goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sink {
    Stdout,
    Stderr,
}

/// curl's variables that fetch has no figure for (curl 8.x's write-out list).
/// A format copied from a curl script runs, with these empty and a warning.
const CURL_ONLY: &[&str] = &[
    "certs",
    "conn_id",
    "ftp_entry_path",
    "num_certs",
    "proxy_ssl_verify_result",
    "proxy_used",
    "time_queue",
    "tls_earlydata",
    "urlnum",
    "xfer_id",
];

/// A parsed -w FORMAT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteOut(Vec<Piece>);

impl std::str::FromStr for WriteOut {
    type Err = String;

    fn from_str(format: &str) -> Result<WriteOut, String> {
        let mut pieces = Vec::new();
        let mut text = String::new();
        let mut rest = format;
        while let Some(c) = rest.chars().next() {
            if let Some((literal, len)) = escape(rest) {
                text.push(literal);
                rest = &rest[len..];
            } else if let Some(found) = placeholder(rest) {
                let (piece, len) = found?;
                pieces.push(Piece::Text(std::mem::take(&mut text)));
                pieces.push(piece);
                rest = &rest[len..];
            } else {
                text.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
        pieces.push(Piece::Text(text));
        pieces.retain(|p| *p != Piece::Text(String::new()));
        Ok(WriteOut(pieces))
    }
}

/// The variables for --help, wrapped narrow enough for the man page too.
pub fn variables_help() -> String {
    let mut names: Vec<String> = VARS
        .iter()
        .map(|(name, _)| format!("%{{{name}}}"))
        .collect();
    names.extend(
        [
            "%header{NAME}",
            "%{url.PART}",
            "%{urle.PART}",
            "%{stdout}",
            "%{stderr}",
            "%{onerror}",
        ]
        .map(String::from),
    );
    let mut text = String::from("-w variables (as curl's):\n");
    let mut line = String::from(" ");
    for name in names {
        if line.len() + 1 + name.len() > 64 {
            text.push_str(&line);
            text.push('\n');
            line = String::from(" ");
        }
        line.push(' ');
        line.push_str(&name);
    }
    text.push_str(&line);
    text.push('\n');
    text
}

/// A two-character escape at the start of `rest`, and what it stands for.
fn escape(rest: &str) -> Option<(char, usize)> {
    let literal = match rest.get(..2)? {
        "\\n" => '\n',
        "\\t" => '\t',
        "\\r" => '\r',
        "\\\\" => '\\',
        "%%" => '%',
        _ => return None,
    };
    Some((literal, 2))
}

/// `%{NAME}` or `%header{NAME}` at the start of `rest`: its piece and length.
fn placeholder(rest: &str) -> Option<Result<(Piece, usize), String>> {
    let (open, header) = if rest.starts_with("%{") {
        (2, false)
    } else if rest.starts_with("%header{") {
        (8, true)
    } else {
        return None;
    };
    Some(braced(&rest[open..]).and_then(|(name, len)| {
        let piece = if header {
            Piece::Header(name.to_string())
        } else {
            var(name)?
        };
        Ok((piece, open + len))
    }))
}

/// The name up to the closing brace, and the length it takes with the brace.
fn braced(rest: &str) -> Result<(&str, usize), String> {
    match rest.find('}') {
        Some(end) => Ok((&rest[..end], end + 1)),
        None => Err(format!("-w: '%{{' without a closing '}}' in '%{{{rest}'")),
    }
}

fn var(name: &str) -> Result<Piece, String> {
    if let Some((_, var)) = VARS.iter().find(|(n, _)| *n == name) {
        return Ok(Piece::Var(*var));
    }
    match name {
        "stdout" => Ok(Piece::Switch(Sink::Stdout)),
        "stderr" => Ok(Piece::Switch(Sink::Stderr)),
        "onerror" => Ok(Piece::OnError),
        _ if CURL_ONLY.contains(&name) => Ok(Piece::Unknown(name.to_string())),
        _ if name.starts_with("url.") || name.starts_with("urle.") => url_part(name),
        _ => Err(format!("unknown -w variable '%{{{name}}}'")),
    }
}

/// `url.PART` or `urle.PART`.
fn url_part(name: &str) -> Result<Piece, String> {
    let (effective, part) = match name.split_once('.') {
        Some(("url", part)) => (false, part),
        Some((_, part)) => (true, part),
        None => (false, name),
    };
    match URL_PARTS.iter().find(|(n, _)| *n == part) {
        Some((_, part)) => Ok(Piece::UrlPart {
            effective,
            part: *part,
        }),
        None => Err(format!("unknown -w variable '%{{{name}}}'")),
    }
}

/// How the fetch ended, as -w reports it.
pub struct Ending<'a> {
    pub error: Option<&'a Error>,
    pub url: &'a str,
    /// The target as given, for %{url.*}.
    pub target: &'a Target,
    /// The file the body went to (-o, -O), `None` for stdout.
    pub filename: Option<&'a std::path::Path>,
}

impl WriteOut {
    /// The text, in parts, each with where it goes (stdout unless switched).
    pub fn render(&self, report: &Report, ending: &Ending) -> Vec<(Sink, String)> {
        let mut parts = vec![(Sink::Stdout, String::new())];
        for piece in &self.0 {
            let text = match piece {
                Piece::Text(text) => text.clone(),
                Piece::Var(var) => plain(*var, report, ending),
                Piece::Header(name) => report.figures().field(name).unwrap_or_default(),
                Piece::UrlPart { effective, part } => url_text(*effective, *part, report, ending),
                Piece::Unknown(_) => String::new(),
                Piece::Switch(sink) => {
                    parts.push((*sink, String::new()));
                    continue;
                }
                Piece::OnError if ending.error.is_none() => break,
                Piece::OnError => continue,
            };
            if let Some((_, out)) = parts.last_mut() {
                out.push_str(&text);
            }
        }
        parts.retain(|(_, text)| !text.is_empty());
        parts
    }

    /// The curl variables in the format that fetch prints empty.
    pub fn unknown(&self) -> Vec<&str> {
        self.0
            .iter()
            .filter_map(|piece| match piece {
                Piece::Unknown(name) => Some(name.as_str()),
                _ => None,
            })
            .collect()
    }
}

/// A part of the target, or of the last hop's URL (a redirect's, which has no
/// credentials and no fragment).
fn url_text(effective: bool, part: UrlPart, report: &Report, ending: &Ending) -> String {
    let redirected = report
        .figures()
        .url_effective
        .as_deref()
        .filter(|_| effective);
    let parsed;
    let target = match redirected.map(|url| Target::parse(url.as_bytes(), None)) {
        Some(Ok(hop)) => {
            parsed = hop;
            &parsed
        }
        _ => ending.target,
    };
    let (path, query) = match target.path.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (target.path.as_str(), None),
    };
    let credentials = target.credentials.as_ref();
    match part {
        UrlPart::Scheme => target.scheme.name().to_string(),
        UrlPart::User => credentials.map(|c| c.user.clone()).unwrap_or_default(),
        UrlPart::Password => match credentials.and_then(|c| c.password.as_ref()) {
            Some(_) => "***".into(),
            None => String::new(),
        },
        UrlPart::Host => target.host.to_string(),
        UrlPart::Port => target.port.to_string(),
        UrlPart::Path => path.to_string(),
        UrlPart::Query => query.unwrap_or_default().to_string(),
        UrlPart::Fragment => target.fragment.clone().unwrap_or_default(),
        UrlPart::Options | UrlPart::Zoneid => String::new(),
    }
}

/// Seconds, to the microsecond, as curl reports them.
fn seconds(time: Option<std::time::Duration>) -> f64 {
    time.map_or(0.0, |t| t.as_micros() as f64 / 1e6)
}

fn plain(var: Var, report: &Report, ending: &Ending) -> String {
    match var {
        // curl prints 000 when no response arrived.
        Var::HttpCode | Var::ResponseCode => {
            format!("{:03}", report.figures().http_code.unwrap_or(0))
        }
        Var::TimeNamelookup => format!("{:.6}", seconds(report.figures().namelookup)),
        Var::TimeConnect => format!("{:.6}", seconds(report.figures().connect)),
        Var::TimeAppconnect => format!("{:.6}", seconds(report.figures().appconnect)),
        Var::Scheme => scheme(effective(report, ending)).to_string(),
        Var::SslVerifyResult => report.figures().ssl_verify_result.unwrap_or(0).to_string(),
        Var::TimeStarttransfer => format!("{:.6}", seconds(report.figures().starttransfer)),
        Var::TimeTotal => format!("{:.6}", report.elapsed().as_secs_f64()),
        Var::SizeDownload => report.figures().size_download.to_string(),
        Var::SizeHeader => report.figures().size_header.to_string(),
        Var::SizeRequest => report.figures().size_request.to_string(),
        Var::RemoteIp => report
            .figures()
            .remote
            .map(|a| a.ip().to_string())
            .unwrap_or_default(),
        Var::RemotePort => report.figures().remote.map_or(0, |a| a.port()).to_string(),
        Var::NumConnects => report.figures().num_connects.to_string(),
        Var::NumRetries => report.figures().num_retries.to_string(),
        Var::Exitcode => ending.error.map_or(0, Error::exit_code).to_string(),
        Var::Errormsg => ending.error.map(Error::to_string).unwrap_or_default(),
        Var::Url => ending.url.to_string(),
        Var::UrlEffective => effective(report, ending).to_string(),
        Var::RedirectUrl => report.figures().redirect_url.clone().unwrap_or_default(),
        Var::NumRedirects => report.figures().num_redirects.to_string(),
        Var::HttpConnect => format!("{:03}", report.figures().http_connect.unwrap_or(0)),
        Var::TimeRedirect => format!("{:.6}", seconds(report.figures().time_redirect)),
        Var::ContentType => report.figures().field("content-type").unwrap_or_default(),
        Var::HttpVersion => report.figures().http_version().unwrap_or("0".into()),
        Var::Method => report.figures().method.clone().unwrap_or_default(),
        Var::NumHeaders => report.figures().fields().len().to_string(),
        Var::SizeUpload => report.figures().size_upload.to_string(),
        Var::SpeedDownload => speed(report.figures().size_download, report).to_string(),
        Var::SpeedUpload => speed(report.figures().size_upload, report).to_string(),
        Var::HeaderJson => header_json(report).to_string(),
        Var::FilenameEffective => filename(ending),
        Var::LocalIp => report
            .figures()
            .local
            .map(|a| a.ip().to_string())
            .unwrap_or_default(),
        Var::LocalPort => report.figures().local.map_or(0, |a| a.port()).to_string(),
        Var::Referer => report.figures().referer.clone().unwrap_or_default(),
        Var::TimePretransfer => format!("{:.6}", seconds(report.figures().pretransfer)),
        Var::TimePosttransfer => format!("{:.6}", seconds(report.figures().posttransfer)),
        Var::Json => to_json(report, ending).to_string(),
    }
}

/// The file's name as the user will find it; empty for stdout.
fn filename(ending: &Ending) -> String {
    ending
        .filename
        .map(|path| path.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Bytes per second over the whole transfer, as curl's %{speed_*} (whole bytes).
fn speed(bytes: u64, report: &Report) -> u64 {
    let seconds = report.elapsed().as_secs_f64();
    if seconds > 0.0 {
        (bytes as f64 / seconds) as u64
    } else {
        0
    }
}

/// curl's %{header_json}: each field name, lower case, to the list of its values.
fn header_json(report: &Report) -> serde_json::Value {
    let mut map = serde_json::Map::new();
    for (name, value) in report.figures().fields() {
        let values = map
            .entry(name.to_ascii_lowercase())
            .or_insert_with(|| serde_json::Value::Array(Vec::new()));
        if let serde_json::Value::Array(values) = values {
            values.push(value.into());
        }
    }
    serde_json::Value::Object(map)
}

/// The URL of the last hop: the target itself unless a redirect was followed.
fn effective<'a>(report: &'a Report, ending: &'a Ending) -> &'a str {
    report
        .figures()
        .url_effective
        .as_deref()
        .unwrap_or(ending.url)
}

/// The URL's scheme, as curl 8's %{scheme} gives it (lower case; curl 7
/// printed it upper case).
fn scheme(url: &str) -> String {
    url.split("://")
        .next()
        .unwrap_or("http")
        .to_ascii_lowercase()
}

fn to_json(report: &Report, ending: &Ending) -> serde_json::Value {
    json!({
        "http_code": report.figures().http_code.unwrap_or(0),
        "response_code": report.figures().http_code.unwrap_or(0),
        "time_namelookup": seconds(report.figures().namelookup),
        "time_connect": seconds(report.figures().connect),
        "time_starttransfer": seconds(report.figures().starttransfer),
        "time_total": seconds(Some(report.elapsed())),
        "size_download": report.figures().size_download,
        "size_header": report.figures().size_header,
        "size_request": report.figures().size_request,
        "remote_ip": report.figures().remote.map(|a| a.ip().to_string()),
        "remote_port": report.figures().remote.map(|a| a.port()),
        "num_connects": report.figures().num_connects,
        "num_retries": report.figures().num_retries,
        "exitcode": ending.error.map_or(0, Error::exit_code),
        "errormsg": ending.error.map(Error::to_string),
        "error_kind": ending.error.map(Error::kind),
        "url": ending.url,
        "url_effective": effective(report, ending),
        "redirect_url": report.figures().redirect_url,
        "num_redirects": report.figures().num_redirects,
        "http_connect": report.figures().http_connect.unwrap_or(0),
        "time_redirect": seconds(report.figures().time_redirect),
        "scheme": scheme(effective(report, ending)),
        "time_appconnect": seconds(report.figures().appconnect),
        "ssl_verify_result": report.figures().ssl_verify_result.unwrap_or(0),
        "content_type": report.figures().field("content-type"),
        "http_version": report.figures().http_version().unwrap_or("0".into()),
        "method": report.figures().method,
        "num_headers": report.figures().fields().len(),
        "size_upload": report.figures().size_upload,
        "speed_download": speed(report.figures().size_download, report),
        "speed_upload": speed(report.figures().size_upload, report),
        "header_json": header_json(report),
        "filename_effective": ending.filename.map(|_| filename(ending)),
        "local_ip": report.figures().local.map(|a| a.ip().to_string()),
        "local_port": report.figures().local.map(|a| a.port()),
        "referer": report.figures().referer,
        "time_pretransfer": seconds(report.figures().pretransfer),
        "time_posttransfer": seconds(report.figures().posttransfer),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_text_escapes_and_variables() {
        let w: WriteOut = "code=%{http_code}\\t%%\\n".parse().unwrap();
        assert_eq!(
            w.0,
            vec![
                Piece::Text("code=".into()),
                Piece::Var(Var::HttpCode),
                Piece::Text("\t%\n".into())
            ]
        );
    }

    #[test]
    fn parses_header_pieces() {
        let w: WriteOut = "%header{X-A}%{method}%header".parse().unwrap();
        assert_eq!(
            w.0,
            vec![
                Piece::Header("X-A".into()),
                Piece::Var(Var::Method),
                Piece::Text("%header".into())
            ]
        );
        assert!("%header{X-A".parse::<WriteOut>().is_err());
    }

    #[test]
    fn unknown_variable_is_refused() {
        let error = "%{http_code} %{bogus}".parse::<WriteOut>().unwrap_err();
        assert_eq!(error, "unknown -w variable '%{bogus}'");
        assert!("%{unclosed".parse::<WriteOut>().is_err());
    }

    #[test]
    fn every_variable_parses_by_its_name_alone() {
        let mut seen = std::collections::HashSet::new();
        for (name, var) in VARS {
            assert!(seen.insert(name), "{name} is listed twice");
            let w: WriteOut = format!("%{{{name}}}").parse().unwrap();
            assert_eq!(w.0, vec![Piece::Var(*var)]);
        }
    }

    #[test]
    fn json_carries_every_variable() {
        let clock = crate::clock::Clock::start(crate::clock::Timeouts {
            connect: None,
            idle: None,
            total: None,
        });
        let report = Report::new(false, &clock);
        let target = Target::parse(b"http://h/", None).unwrap();
        let ending = Ending {
            error: None,
            url: "http://h/",
            target: &target,
            filename: Some(std::path::Path::new("f")),
        };
        let json = to_json(&report, &ending);
        for (name, var) in VARS {
            if *var != Var::Json {
                assert!(json.get(name).is_some(), "%{{json}} lacks {name}");
            }
        }
    }

    #[test]
    fn readme_documents_every_variable() {
        let readme = include_str!("../README.md");
        for (name, _) in VARS {
            assert!(
                readme.contains(&format!("`%{{{name}}}`")),
                "README lacks %{{{name}}}"
            );
        }
    }
}

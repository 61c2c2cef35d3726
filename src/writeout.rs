//! `-w FORMAT`: figures about the transfer, printed after it, with curl's variable names.

use serde_json::json;

use crate::error::Error;
use crate::report::Report;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Var {
    HttpCode,
    ResponseCode,
    TimeNamelookup,
    TimeConnect,
    TimeStarttransfer,
    TimeTotal,
    SizeDownload,
    SizeHeader,
    SizeRequest,
    RemoteIp,
    RemotePort,
    NumConnects,
    NumRetries,
    Exitcode,
    Errormsg,
    Url,
    Json,
}

const VARS: &[(&str, Var)] = &[
    ("http_code", Var::HttpCode),
    ("response_code", Var::ResponseCode),
    ("time_namelookup", Var::TimeNamelookup),
    ("time_connect", Var::TimeConnect),
    ("time_starttransfer", Var::TimeStarttransfer),
    ("time_total", Var::TimeTotal),
    ("size_download", Var::SizeDownload),
    ("size_header", Var::SizeHeader),
    ("size_request", Var::SizeRequest),
    ("remote_ip", Var::RemoteIp),
    ("remote_port", Var::RemotePort),
    ("num_connects", Var::NumConnects),
    ("num_retries", Var::NumRetries),
    ("exitcode", Var::Exitcode),
    ("errormsg", Var::Errormsg),
    ("url", Var::Url),
    ("json", Var::Json),
];

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    Var(Var),
}

/// A parsed -w FORMAT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteOut(Vec<Piece>);

impl std::str::FromStr for WriteOut {
    type Err = String;

    fn from_str(format: &str) -> Result<WriteOut, String> {
        let mut pieces = Vec::new();
        let mut text = String::new();
        let mut chars = format.chars().peekable();
        while let Some(c) = chars.next() {
            match (c, chars.peek()) {
                ('\\', Some('n')) => text.push('\n'),
                ('\\', Some('t')) => text.push('\t'),
                ('\\', Some('r')) => text.push('\r'),
                ('\\', Some('\\')) => text.push('\\'),
                ('%', Some('%')) => text.push('%'),
                ('%', Some('{')) => {
                    chars.next();
                    let mut name = String::new();
                    loop {
                        match chars.next() {
                            Some('}') => break,
                            Some(c) => name.push(c),
                            None => {
                                return Err(format!(
                                    "-w: '%{{' without a closing '}}' in '%{{{name}'"
                                ));
                            }
                        }
                    }
                    let var = VARS
                        .iter()
                        .find(|(n, _)| *n == name)
                        .map(|(_, v)| *v)
                        .ok_or_else(|| format!("unknown -w variable '%{{{name}}}'"))?;
                    pieces.push(Piece::Text(std::mem::take(&mut text)));
                    pieces.push(Piece::Var(var));
                    continue;
                }
                _ => {
                    text.push(c);
                    continue;
                }
            }
            chars.next();
        }
        pieces.push(Piece::Text(text));
        pieces.retain(|p| *p != Piece::Text(String::new()));
        Ok(WriteOut(pieces))
    }
}

/// How the fetch ended, as -w reports it.
pub struct Ending<'a> {
    pub error: Option<&'a Error>,
    pub url: &'a str,
}

impl WriteOut {
    pub fn render(&self, report: &Report, ending: &Ending) -> String {
        let mut out = String::new();
        for piece in &self.0 {
            match piece {
                Piece::Text(text) => out.push_str(text),
                Piece::Var(Var::Json) => out.push_str(&to_json(report, ending).to_string()),
                Piece::Var(var) => out.push_str(&plain(*var, report, ending)),
            }
        }
        out
    }
}

/// Seconds, to the microsecond, as curl reports them.
fn seconds(time: Option<std::time::Duration>) -> f64 {
    time.map_or(0.0, |t| t.as_micros() as f64 / 1e6)
}

fn plain(var: Var, report: &Report, ending: &Ending) -> String {
    match var {
        // curl prints 000 when no response arrived.
        Var::HttpCode | Var::ResponseCode => format!("{:03}", report.http_code.unwrap_or(0)),
        Var::TimeNamelookup => format!("{:.6}", seconds(report.namelookup)),
        Var::TimeConnect => format!("{:.6}", seconds(report.connect)),
        Var::TimeStarttransfer => format!("{:.6}", seconds(report.starttransfer)),
        Var::TimeTotal => format!("{:.6}", report.elapsed().as_secs_f64()),
        Var::SizeDownload => report.size_download.to_string(),
        Var::SizeHeader => report.size_header.to_string(),
        Var::SizeRequest => report.size_request.to_string(),
        Var::RemoteIp => report
            .remote
            .map(|a| a.ip().to_string())
            .unwrap_or_default(),
        Var::RemotePort => report.remote.map_or(0, |a| a.port()).to_string(),
        Var::NumConnects => report.num_connects.to_string(),
        Var::NumRetries => report.num_retries.to_string(),
        Var::Exitcode => ending.error.map_or(0, Error::exit_code).to_string(),
        Var::Errormsg => ending.error.map(Error::to_string).unwrap_or_default(),
        Var::Url => ending.url.to_string(),
        Var::Json => to_json(report, ending).to_string(),
    }
}

fn to_json(report: &Report, ending: &Ending) -> serde_json::Value {
    json!({
        "http_code": report.http_code.unwrap_or(0),
        "response_code": report.http_code.unwrap_or(0),
        "time_namelookup": seconds(report.namelookup),
        "time_connect": seconds(report.connect),
        "time_starttransfer": seconds(report.starttransfer),
        "time_total": seconds(Some(report.elapsed())),
        "size_download": report.size_download,
        "size_header": report.size_header,
        "size_request": report.size_request,
        "remote_ip": report.remote.map(|a| a.ip().to_string()),
        "remote_port": report.remote.map(|a| a.port()),
        "num_connects": report.num_connects,
        "num_retries": report.num_retries,
        "exitcode": ending.error.map_or(0, Error::exit_code),
        "errormsg": ending.error.map(Error::to_string),
        "error_kind": ending.error.map(Error::kind),
        "url": ending.url,
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
    fn unknown_variable_is_refused() {
        let error = "%{http_code} %{bogus}".parse::<WriteOut>().unwrap_err();
        assert_eq!(error, "unknown -w variable '%{bogus}'");
        assert!("%{unclosed".parse::<WriteOut>().is_err());
    }

    #[test]
    fn every_variable_has_a_name() {
        for (name, var) in VARS {
            let w: WriteOut = format!("%{{{name}}}").parse().unwrap();
            assert_eq!(w.0, vec![Piece::Var(*var)]);
        }
    }
}

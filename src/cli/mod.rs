//! The command line, and its conversion into a checked `Plan` before any socket
//! exists: here clap's definition (`Args`, whole) and its messages; the Plan in
//! plan.rs; the request and its data (-d, -F, @FILE, stdin) in data.rs.
//!
//! House rules: help text is the `///` comment; every option that takes a value has
//! an uppercase `value_name`; defaults are shown by clap.

mod data;
mod plan;

pub use plan::{CookiePlan, Follow, OutputPlan, Plan, ReportPlan, Retry, TlsPlan};

use std::ffi::OsString;
use std::io::IsTerminal;

use clap::{CommandFactory, FromArgMatches, Parser};

use crate::duration::Timeout;
use crate::error::{Error, exit_codes_help};
use crate::generate::{self, Generated};
use crate::writeout::WriteOut;

/// Fetch a URL over HTTP/1.0 (1.1 with --http1.1), plain or TLS, and say exactly what happened on the wire.
///
/// The body goes to stdout unmodified; diagnostics go to stderr; every kind of
/// failure has its own exit code.
#[derive(Debug, Parser)]
#[command(name = "fetch", version)]
pub struct Args {
    /// HOST, HOST:PORT, [IPV6]:PORT, an IP address, or http(s)://HOST[:PORT][/PATH]
    // Required, so that -h shows <TARGET> as the usage line does; the exclusive
    // --generate needs none.
    #[arg(value_name = "TARGET", required = true)]
    target: Option<OsString>,

    /// The path to request, starting with '/' [default: /]
    #[arg(value_name = "PATH")]
    path: Option<OsString>,

    /// Deadline for resolving the name and connecting, across all addresses (0: none)
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "5s",
        allow_negative_numbers = true
    )]
    connect_timeout: Timeout,

    /// Longest wait for the next bytes from the server once connected (0: none)
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "30s",
        allow_negative_numbers = true
    )]
    read_timeout: Timeout,

    /// Deadline for the whole command (0: none)
    #[arg(
        short = 'm',
        long,
        value_name = "DURATION",
        default_value = "0",
        allow_negative_numbers = true
    )]
    max_time: Timeout,

    /// Print the response head before the body [default when stdout is a terminal]
    #[arg(short = 'i', long, overrides_with = "body")]
    include: bool,

    /// Print only the body, exactly as received [default when stdout is not a terminal]
    #[arg(hide_short_help = true, long, overrides_with = "include")]
    body: bool,

    /// The request method [default: GET, or POST with --data]
    #[arg(short = 'X', long = "request", value_name = "METHOD")]
    method: Option<String>,

    /// Add a header, or replace a default one; 'Name:' removes it (repeatable)
    #[arg(short = 'H', long = "header", value_name = "HEADER")]
    headers: Vec<String>,

    /// The User-Agent header ('' removes it)
    #[arg(hide_short_help = true, short = 'A', long, value_name = "STRING")]
    user_agent: Option<String>,

    /// Send DATA as the request body (repeated: joined with &); @FILE sends a file without its CR and LF, @- standard input
    #[arg(short = 'd', long, visible_alias = "data-ascii", value_name = "DATA")]
    data: Vec<OsString>,

    /// Like -d, but @FILE and @- are sent exactly, newlines included
    #[arg(hide_short_help = true, long, value_name = "DATA")]
    data_binary: Vec<OsString>,

    /// Like -d, but a leading @ is sent as it is
    #[arg(hide_short_help = true, long, value_name = "DATA")]
    data_raw: Vec<OsString>,

    /// Like -d, URL-encoded; curl's forms: CONTENT, =CONTENT, NAME=CONTENT, @FILE, NAME@FILE
    #[arg(hide_short_help = true, long, value_name = "DATA")]
    data_urlencode: Vec<OsString>,

    /// Send the -d data as the URL's query string, in a GET
    #[arg(hide_short_help = true, short = 'G', long)]
    get: bool,

    /// Send DATA as JSON (Content-Type and Accept: application/json); @FILE and @- as for -d; repeated, joined
    #[arg(long, value_name = "DATA", conflicts_with_all = ["data", "data_binary", "data_raw", "data_urlencode", "get"])]
    json: Vec<OsString>,

    /// Send a multipart form field: NAME=VALUE, NAME=@FILE (a file upload), NAME=<FILE (repeatable)
    #[arg(short = 'F', long, value_name = "NAME=CONTENT", conflicts_with_all = ["data", "data_binary", "data_raw", "data_urlencode", "json", "get"])]
    form: Vec<OsString>,

    /// Send cookies: 'NAME=VALUE; ...', or those of FILE (Netscape format); '' starts an empty jar (repeatable)
    #[arg(short = 'b', long, value_name = "DATA|FILE")]
    cookie: Vec<String>,

    /// Write every cookie to FILE (Netscape format, mode 0600) when done; keeps cookies across -L's hops
    #[arg(short = 'c', long, value_name = "FILE")]
    cookie_jar: Option<std::path::PathBuf>,

    /// The Referer header
    #[arg(hide_short_help = true, short = 'e', long, value_name = "URL")]
    referer: Option<String>,

    /// Ask for a compressed response (gzip, deflate, br) and decode it
    #[arg(long, conflicts_with = "raw")]
    compressed: bool,

    /// Accepted for curl's sake: fetch always shows errors, with -s too
    #[arg(hide_short_help = true, short = 'S', long)]
    show_error: bool,

    /// Accepted for curl's sake: the progress bar is fetch's own
    #[arg(hide_short_help = true, short = '#', long)]
    progress_bar: bool,

    /// -d, --data-binary, --data-raw and --data-urlencode values, in the
    /// order given (filled after parsing).
    #[arg(skip)]
    data_parts: Vec<(data::DataKind, OsString)>,

    /// Send HEAD and print the response head
    #[arg(short = 'I', long, conflicts_with_all = ["data", "data_binary", "data_raw", "data_urlencode", "json", "form", "method", "body"])]
    head: bool,

    /// Exit 22 without writing the body when the HTTP status is 400 or more
    #[arg(short = 'f', long)]
    fail: bool,

    /// Like -f, but the body is written first
    #[arg(hide_short_help = true, long, conflicts_with = "fail")]
    fail_with_body: bool,

    /// Upload FILE with PUT, streamed as it is read ('-': standard input)
    #[arg(hide_short_help = true, short = 'T', long, value_name = "FILE", conflicts_with_all = ["data", "data_binary", "data_raw", "data_urlencode", "json", "form", "get", "head"])]
    upload_file: Option<std::path::PathBuf>,

    /// Send standard input verbatim as the whole request; print the reply verbatim
    #[arg(hide_short_help = true, long, conflicts_with_all = ["method", "headers", "user_agent", "data", "data_binary", "data_raw", "data_urlencode", "json", "form", "head", "body", "cookie", "cookie_jar", "referer", "upload_file", "http1_1"])]
    raw: bool,

    /// Use these addresses for HOST:PORT instead of asking DNS (repeatable)
    #[arg(hide_short_help = true, long, value_name = "HOST:PORT:ADDR[,ADDR...]")]
    resolve: Vec<String>,

    /// Use only IPv4 addresses
    #[arg(
        hide_short_help = true,
        short = '4',
        long = "ipv4",
        conflicts_with = "ipv6"
    )]
    ipv4: bool,

    /// Use only IPv6 addresses
    #[arg(hide_short_help = true, short = '6', long = "ipv6")]
    ipv6: bool,

    /// Send the request in HTTP/1.1, with Connection: close; a body of unknown length goes chunked
    #[arg(hide_short_help = true, long = "http1.1", overrides_with = "http1_0")]
    http1_1: bool,

    /// Send the request in HTTP/1.0 [default]
    #[arg(hide_short_help = true, long = "http1.0", overrides_with = "http1_1")]
    http1_0: bool,

    /// Trace each step on stderr with its time: `*` steps, `>` request head, `<` response head
    #[arg(short = 'v', long)]
    verbose: bool,

    /// After the transfer, print FORMAT to stdout: %{http_code}, %{time_total}, %{json}, ...
    #[arg(short = 'w', long, value_name = "FORMAT")]
    write_out: Option<WriteOut>,

    /// Retry up to N times when the server could not be reached (refused too) or answered 408, 429, 500, 502, 503 or 504
    #[arg(long, value_name = "N", default_value_t = 0)]
    retry: u32,

    /// Accepted for curl's sake: --retry retries refused connections already
    #[arg(hide_short_help = true, long)]
    retry_connrefused: bool,

    /// With --retry, retry every failure: also a 4xx with -f, a malformed reply, a failed upload, any method
    #[arg(hide_short_help = true, long)]
    retry_all_errors: bool,

    /// A fixed wait between retries [default: 1s, doubling up to 30s]
    #[arg(
        hide_short_help = true,
        long,
        value_name = "DURATION",
        allow_negative_numbers = true
    )]
    retry_delay: Option<Timeout>,

    /// Start no retry after DURATION since the start (0: no limit)
    #[arg(
        hide_short_help = true,
        long,
        value_name = "DURATION",
        default_value = "0",
        allow_negative_numbers = true
    )]
    retry_max_time: Timeout,

    /// Hide the progress bar (errors are still printed)
    #[arg(short = 's', long)]
    silent: bool,

    /// Write the body to FILE, which appears only once the response is complete ('-' for stdout)
    #[arg(short = 'o', long, value_name = "FILE")]
    output: Option<std::path::PathBuf>,

    /// Like -o, named after the last segment of the URL's path
    #[arg(short = 'O', long, conflicts_with = "output")]
    remote_name: bool,

    /// Write the response heads (every hop's with -L) to FILE ('-' for stdout)
    #[arg(hide_short_help = true, short = 'D', long, value_name = "FILE")]
    dump_header: Option<std::path::PathBuf>,

    /// Resume the -o or -O file: '-' from what FILE.part (or FILE) holds, or from byte N of it
    #[arg(
        hide_short_help = true,
        short = 'C',
        long,
        value_name = "-|N",
        allow_hyphen_values = true,
        conflicts_with_all = ["compressed", "raw", "head"]
    )]
    continue_at: Option<String>,

    /// Put the -o or -O file in DIR (which must exist, unless --create-dirs)
    #[arg(hide_short_help = true, long, value_name = "DIR")]
    output_dir: Option<std::path::PathBuf>,

    /// Create the missing directories of the -o, -O, -D and -c files
    #[arg(hide_short_help = true, long)]
    create_dirs: bool,

    /// Refuse a body larger than BYTES (exit 63); accepts k, M, G (1024-based)
    #[arg(hide_short_help = true, long, value_name = "BYTES", value_parser = parse_size)]
    max_size: Option<u64>,

    /// https: trust exactly the certificates in this PEM file
    #[arg(hide_short_help = true, long, value_name = "FILE")]
    cacert: Option<std::path::PathBuf>,

    /// https: trust exactly the certificates in the PEM files of this directory
    #[arg(
        hide_short_help = true,
        long,
        value_name = "DIR",
        conflicts_with = "cacert"
    )]
    capath: Option<std::path::PathBuf>,

    /// https: present this client certificate (PEM; with its key unless --key)
    #[arg(hide_short_help = true, short = 'E', long, value_name = "FILE")]
    cert: Option<std::path::PathBuf>,

    /// https: the client certificate's private key (PEM: PKCS#8, PKCS#1 or SEC1)
    #[arg(hide_short_help = true, long, value_name = "FILE", requires = "cert")]
    key: Option<std::path::PathBuf>,

    /// The --cert file's type: only PEM is read
    #[arg(hide_short_help = true, long, value_name = "TYPE", requires = "cert")]
    cert_type: Option<String>,

    /// The --key file's type: only PEM is read
    #[arg(hide_short_help = true, long, value_name = "TYPE", requires = "cert")]
    key_type: Option<String>,

    /// https: go on when the certificate cannot be verified (a warning says why)
    #[arg(short = 'k', long)]
    insecure: bool,

    /// Basic authentication; without :PASSWORD it is asked for on the terminal
    #[arg(short = 'u', long = "user", value_name = "USER[:PASSWORD]")]
    user: Option<String>,

    /// Use this HTTP proxy: [http://][USER:PASSWORD@]HOST[:PORT] (port 1080 by default)
    #[arg(short = 'x', long, value_name = "PROXY")]
    proxy: Option<String>,

    /// The proxy's credentials (Basic), for -x or the environment's proxy
    #[arg(
        hide_short_help = true,
        short = 'U',
        long,
        value_name = "USER:PASSWORD"
    )]
    proxy_user: Option<String>,

    /// Go direct to these hosts: comma list of names (and their subdomains), IPs, CIDR ranges, or *
    #[arg(hide_short_help = true, long, value_name = "LIST")]
    noproxy: Option<String>,

    /// Follow redirects (3xx with a Location), each on a new connection
    #[arg(short = 'L', long, conflicts_with = "raw")]
    location: bool,

    /// With -L, follow at most N redirects (-1: no limit)
    #[arg(hide_short_help = true, long, value_name = "N", default_value_t = 50, allow_negative_numbers = true, value_parser = clap::value_parser!(i64).range(-1..))]
    max_redirs: i64,

    /// With -L, send credentials (Authorization, Cookie) to other origins too
    #[arg(hide_short_help = true, long)]
    location_trusted: bool,

    /// Print a shell completion script or the man page, and exit
    #[arg(hide_short_help = true, long, value_name = "KIND", exclusive = true)]
    generate: Option<Generated>,
}

/// Parses the process's arguments. `--help` and `--version` print and exit here.
pub fn parse() -> Result<Plan, Error> {
    let terminals = Terminals {
        stdout: std::io::stdout().is_terminal(),
        stderr: std::io::stderr().is_terminal(),
    };
    parse_from(std::env::args_os(), terminals)
}

/// Which standard streams are terminals: several defaults depend on it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Terminals {
    pub stdout: bool,
    pub stderr: bool,
}

pub fn parse_from(
    args: impl IntoIterator<Item = OsString>,
    terminals: Terminals,
) -> Result<Plan, Error> {
    let args: Vec<OsString> = args.into_iter().collect();
    // --help's closing text is made only when it can be shown: made on every
    // run, it was a measurable part of a small fetch (bench/README.md).
    let long_help = args.iter().any(|arg| arg == "--help");
    let mut matches = match definition(long_help).try_get_matches_from(args) {
        Ok(matches) => matches,
        Err(e) if e.kind() == clap::error::ErrorKind::DisplayHelp => print_help(&e),
        Err(e) if !e.use_stderr() => e.exit(),
        Err(e) => return Err(Error::Usage(usage_message(&e))),
    };
    // Read before the values are moved out of the matches.
    let data_parts = data::data_parts(&matches);
    let mut args =
        Args::from_arg_matches_mut(&mut matches).map_err(|e| Error::Usage(one_line(&e)))?;
    if let Some(kind) = args.generate {
        // Like --help: printed here, and the process ends.
        generate::print(kind, definition(true))?;
        std::process::exit(0);
    }
    args.data_parts = data_parts;
    args.into_plan(terminals)
}

/// The command line's definition; with `long_help`, the text after --help's
/// flags: the exit codes and the -w variables.
fn definition(long_help: bool) -> clap::Command {
    // -h is one screen of the common flags; --help has them all.
    let command = Args::command()
        .override_usage("fetch [OPTIONS] <TARGET> [PATH]\n       fetch --generate <KIND>")
        .after_help("All options, the exit codes and the -w variables: fetch --help");
    if !long_help {
        return command;
    }
    command.after_long_help(format!(
        "{}\n{}",
        exit_codes_help(),
        crate::writeout::variables_help()
    ))
}

/// BYTES for --max-size: a whole number, optionally with k, M or G (powers of 1024).
fn parse_size(text: &str) -> Result<u64, String> {
    let (digits, scale) = match text.char_indices().last() {
        Some((i, 'k' | 'K')) => (&text[..i], 1u64 << 10),
        Some((i, 'm' | 'M')) => (&text[..i], 1 << 20),
        Some((i, 'g' | 'G')) => (&text[..i], 1 << 30),
        _ => (text, 1),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "'{text}' is not a size (examples: 500, 500k, 10M, 1G)"
        ));
    }
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(scale))
        .ok_or_else(|| format!("'{text}' is too large"))
}

/// -h and --help, as clap prints them; a reader that leaves early is no failure.
fn print_help(e: &clap::Error) -> ! {
    let styled = e.render();
    // As clap's own printing does: colour on a terminal, unless NO_COLOR.
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let text = if std::io::stdout().is_terminal() && !no_color {
        styled.ansi().to_string()
    } else {
        styled.to_string()
    };
    let mut out = std::io::stdout().lock();
    // A reader that left early (`fetch --help | head`) is no failure.
    let _ = std::io::Write::write_all(&mut out, text.as_bytes());
    let _ = std::io::Write::flush(&mut out);
    std::process::exit(0);
}

/// clap's error in one line; for an option curl has and fetch lacks, what
/// fetch offers instead; for any other unknown option, no tip about `--`.
fn usage_message(e: &clap::Error) -> String {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if e.kind() == ErrorKind::InvalidValue {
        return with_kind_meant(e);
    }
    if e.kind() != ErrorKind::UnknownArgument {
        return one_line(e);
    }
    let Some(ContextValue::String(arg)) = e.get(ContextKind::InvalidArg) else {
        return one_line(e);
    };
    if let Some(text) = crate::curl_options::lacking(arg) {
        return format!("{text} (see 'fetch --help')");
    }
    let suggestion = match e.get(ContextKind::SuggestedArg) {
        Some(ContextValue::String(similar)) => format!("; a similar argument exists: '{similar}'"),
        _ => String::new(),
    };
    format!("unexpected argument '{arg}'{suggestion} (see 'fetch --help')")
}

/// `--generate bash`: the kind meant is `complete-bash`.
fn with_kind_meant(e: &clap::Error) -> String {
    use clap::ValueEnum;
    use clap::error::{ContextKind, ContextValue};
    let value = match e.get(ContextKind::InvalidValue) {
        Some(ContextValue::String(value)) => value.as_str(),
        _ => "",
    };
    let meant = format!("complete-{value}");
    let known = Generated::value_variants()
        .iter()
        .filter_map(|kind| kind.to_possible_value())
        .any(|kind| kind.get_name() == meant);
    match e.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(arg)) if known && arg.starts_with("--generate") => {
            format!(
                "invalid value '{value}' for '{arg}': did you mean '{meant}'? (see 'fetch --help')"
            )
        }
        _ => one_line(e),
    }
}

/// clap's errors span several lines (usage, tips); a script reading stderr wants one.
fn one_line(e: &clap::Error) -> String {
    let text = e.to_string();
    // The usage block runs from "Usage:" to the next blank line.
    let mut in_usage = false;
    let words: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| {
            in_usage = (in_usage || l.starts_with("Usage:")) && !l.is_empty();
            !in_usage && !l.is_empty() && !l.starts_with("For more")
        })
        .collect();
    let joined = words.join(" ");
    let message = joined.strip_prefix("error: ").unwrap_or(&joined);
    format!("{message} (see 'fetch --help')")
}

#[cfg(test)]
mod tests {
    use super::plan::{parse_resolve, remote_name};
    use super::*;
    use crate::connect::Family;
    use std::net::IpAddr;

    fn plan(args: &[&str]) -> Result<Plan, Error> {
        let args = std::iter::once("fetch").chain(args.iter().copied());
        parse_from(args.map(OsString::from), Terminals::default())
    }

    fn usage_message(args: &[&str]) -> String {
        match plan(args) {
            Err(Error::Usage(message)) => message,
            other => panic!("expected a usage error, got {other:?}"),
        }
    }

    #[test]
    fn command_is_well_formed() {
        Args::command().debug_assert();
    }

    #[test]
    fn defaults() {
        let p = plan(&["h"]).unwrap();
        assert_eq!(p.target.path, "/");
        assert_eq!(p.timeouts.connect, Some(std::time::Duration::from_secs(5)));
        assert_eq!(p.timeouts.idle, Some(std::time::Duration::from_secs(30)));
        assert_eq!(p.timeouts.total, None);
        assert!(!p.rules.include_head);
    }

    #[test]
    fn head_shown_on_a_terminal_unless_body_only() {
        let on_tty = |args: &[&str]| {
            let args = std::iter::once("fetch").chain(args.iter().copied());
            let terminals = Terminals {
                stdout: true,
                stderr: true,
            };
            parse_from(args.map(OsString::from), terminals)
                .unwrap()
                .rules
                .include_head
        };
        assert!(on_tty(&["h"]));
        assert!(!on_tty(&["--body", "h"]));
        assert!(plan(&["-i", "h"]).unwrap().rules.include_head);
        // The last of -i and --body wins, so an alias can be overridden.
        assert!(!plan(&["-i", "--body", "h"]).unwrap().rules.include_head);
        assert!(plan(&["--body", "-i", "h"]).unwrap().rules.include_head);
    }

    #[test]
    fn progress_bar_only_on_a_terminal_stderr_and_never_over_the_body() {
        let progress = |args: &[&str], stdout: bool, stderr: bool| {
            let args = std::iter::once("fetch").chain(args.iter().copied());
            parse_from(args.map(OsString::from), Terminals { stdout, stderr })
                .unwrap()
                .output
                .progress
        };
        assert!(progress(&["h"], false, true)); // fetch h | less
        assert!(progress(&["-o", "f", "h"], true, true));
        assert!(!progress(&["h"], true, true)); // the body is on the terminal
        assert!(!progress(&["-o", "-", "h"], true, true));
        assert!(!progress(&["h"], false, false)); // CI logs
        assert!(!progress(&["-s", "-o", "f", "h"], true, true));
    }

    #[test]
    fn resolve_entries() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(
            parse_resolve("svc.test:8080:127.0.0.1,[::1],::2"),
            Ok((
                "svc.test".into(),
                8080,
                vec![ip("127.0.0.1"), ip("::1"), ip("::2")]
            ))
        );
        for bad in [
            "svc.test:80",
            "svc.test:0:1.2.3.4",
            "svc.test:+80:1.2.3.4",
            ":80:1.2.3.4",
            "h:80:nope",
            "h:80:",
        ] {
            assert!(parse_resolve(bad).is_err(), "{bad}");
        }
        let p = plan(&[
            "--resolve",
            "other:80:10.0.0.1",
            "--resolve",
            "SVC.test:80:10.0.0.2",
            "svc.test",
        ])
        .unwrap();
        let target = &p.target;
        assert_eq!(
            p.lookup.pinned_for(&target.host, target.port),
            Some(&[ip("10.0.0.2")][..])
        );
        let p = plan(&["--resolve", "svc.test:81:10.0.0.2", "svc.test"]).unwrap();
        assert_eq!(p.lookup.pinned_for(&p.target.host, p.target.port), None);
    }

    #[test]
    fn family_flags() {
        assert_eq!(plan(&["-4", "h"]).unwrap().lookup.family, Family::V4);
        assert_eq!(plan(&["-6", "h"]).unwrap().lookup.family, Family::V6);
        assert!(matches!(plan(&["-4", "-6", "h"]), Err(Error::Usage(_))));
        assert!(matches!(plan(&["-4", "[::1]:80"]), Err(Error::Usage(_))));
        assert!(matches!(plan(&["-6", "127.0.0.1"]), Err(Error::Usage(_))));
    }

    #[test]
    fn remote_names_stay_in_the_directory() {
        assert_eq!(remote_name("/dir/page.html?x=1"), Ok("page.html".into()));
        assert_eq!(remote_name("/a%2Fb"), Ok("a%2Fb".into()));
        for bad in ["/", "/a/", "/..", "/.", "/.hidden", "/x/.."] {
            assert!(remote_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("500"), Ok(500));
        assert_eq!(parse_size("500k"), Ok(500 * 1024));
        assert_eq!(parse_size("10M"), Ok(10 << 20));
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert_eq!(parse_size("0"), Ok(0));
        for bad in [
            "",
            "k",
            "-1",
            "1.5M",
            "1T",
            "99999999999999999999",
            "17179869184G",
        ] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn head_flag_sends_head_and_shows_the_head() {
        let p = plan(&["-I", "h"]).unwrap();
        assert!(p.request.head.starts_with(b"HEAD / HTTP/1.0\r\n"));
        assert!(p.rules.include_head && p.request.is_head);
        assert!(plan(&["-X", "HEAD", "h"]).unwrap().request.is_head);
        assert!(matches!(
            plan(&["-I", "-d", "x", "h"]),
            Err(Error::Usage(_))
        ));
    }

    #[test]
    fn usage_errors_are_one_line() {
        for args in [
            &[][..],
            &["--connect-timeout", "-1", "h"],
            &["--bogus", "h"],
            &["h", "/", "extra"],
        ] {
            let message = usage_message(args);
            assert!(!message.contains('\n'), "{message}");
            assert!(message.ends_with("(see 'fetch --help')"), "{message}");
        }
        assert!(usage_message(&["--read-timeout", "x", "h"]).contains("not a duration"));
        assert!(usage_message(&[]).contains("<TARGET>"));
    }
}

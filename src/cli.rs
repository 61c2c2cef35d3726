//! The command line, and its conversion into a checked `Plan` before any socket exists.
//!
//! House rules: help text is the `///` comment; every option that takes a value has
//! an uppercase `value_name`; defaults are shown by clap.

use crate::error::io_text;
use crate::payload::Payload;
use std::ffi::OsString;
use std::io::IsTerminal;

use clap::{CommandFactory, FromArgMatches, Parser};

use std::net::IpAddr;

use crate::clock::Timeouts;
use crate::connect::{Family, Lookup};
use crate::duration::Timeout;
use crate::error::{Error, exit_codes_help};
use crate::generate::{self, Generated};
use crate::proxy::Proxies;
use crate::request::{self, Request};
use crate::target::{Host, Target};
use crate::tls::RootSource;
use crate::transfer::Rules;
use crate::writeout::WriteOut;

/// Fetch a URL over HTTP/1.0, plain or TLS, and say exactly what happened on the wire.
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

    /// Send DATA as the request body (repeated: joined with &); @FILE sends a file, @- standard input
    #[arg(short = 'd', long, value_name = "DATA")]
    data: Vec<OsString>,

    /// Like -d, URL-encoded; curl's forms: CONTENT, =CONTENT, NAME=CONTENT, @FILE, NAME@FILE
    #[arg(hide_short_help = true, long, value_name = "DATA")]
    data_urlencode: Vec<OsString>,

    /// Send the -d data as the URL's query string, in a GET
    #[arg(hide_short_help = true, short = 'G', long)]
    get: bool,

    /// Send DATA as JSON (Content-Type and Accept: application/json); @FILE and @- as for -d; repeated, joined
    #[arg(long, value_name = "DATA", conflicts_with_all = ["data", "data_urlencode", "get"])]
    json: Vec<OsString>,

    /// Send a multipart form field: NAME=VALUE, NAME=@FILE (a file upload), NAME=<FILE (repeatable)
    #[arg(short = 'F', long, value_name = "NAME=CONTENT", conflicts_with_all = ["data", "data_urlencode", "json", "get"])]
    form: Vec<OsString>,

    /// Send cookies: 'NAME=VALUE; NAME2=VALUE2' as the Cookie header
    #[arg(short = 'b', long, value_name = "NAME=VALUE; ...")]
    cookie: Option<String>,

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

    /// -d and --data-urlencode values, in the order given (filled after parsing).
    #[arg(skip)]
    data_parts: Vec<(bool, OsString)>,

    /// Send HEAD and print the response head
    #[arg(short = 'I', long, conflicts_with_all = ["data", "data_urlencode", "json", "form", "method", "body"])]
    head: bool,

    /// Exit 22 without writing the body when the HTTP status is 400 or more
    #[arg(short = 'f', long)]
    fail: bool,

    /// Send standard input verbatim as the whole request; print the reply verbatim
    #[arg(hide_short_help = true, long, conflicts_with_all = ["method", "headers", "user_agent", "data", "data_urlencode", "json", "form", "head", "body", "cookie", "referer"])]
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

    /// Trace each step on stderr with its time: `*` steps, `>` request head, `<` response head
    #[arg(short = 'v', long)]
    verbose: bool,

    /// After the transfer, print FORMAT to stdout: %{http_code}, %{time_total}, %{json}, ...
    #[arg(short = 'w', long, value_name = "FORMAT")]
    write_out: Option<WriteOut>,

    /// Retry up to N times when the server could not be reached or asked to try again
    #[arg(long, value_name = "N", default_value_t = 0)]
    retry: u32,

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

    /// Resume the -o or -O file from what FILE.part (or FILE) holds (only '-' is accepted)
    #[arg(
        hide_short_help = true,
        short = 'C',
        long,
        value_name = "-",
        allow_hyphen_values = true,
        conflicts_with_all = ["compressed", "raw", "head"]
    )]
    continue_at: Option<String>,

    /// Put the -o or -O file in DIR (which must exist)
    #[arg(hide_short_help = true, long, value_name = "DIR")]
    output_dir: Option<std::path::PathBuf>,

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

    /// https: go on when the certificate cannot be verified (a warning says why)
    #[arg(short = 'k', long)]
    insecure: bool,

    /// Basic authentication; without :PASSWORD it is asked for on the terminal
    #[arg(short = 'u', long = "user", value_name = "USER[:PASSWORD]")]
    user: Option<String>,

    /// Use this HTTP proxy: [http://][USER:PASSWORD@]HOST[:PORT] (port 1080 by default)
    #[arg(short = 'x', long, value_name = "PROXY")]
    proxy: Option<String>,

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

const JSON_TYPE: &str = "application/json";

/// --retry and its limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    pub count: u32,
    /// --retry-delay; `None` for the default back-off.
    pub delay: Option<std::time::Duration>,
    pub max_time: Option<std::time::Duration>,
}

/// Where the body goes, and how it is shown.
#[derive(Debug, Clone)]
pub struct OutputPlan {
    /// `-o FILE`; `None` is stdout.
    pub file: Option<std::path::PathBuf>,
    /// -D: where the response heads also go.
    pub dump_header: Option<std::path::PathBuf>,
    /// stdout is a terminal the user did not force: do not print a binary body.
    pub binary_guard: bool,
    /// Show a progress bar on stderr.
    pub progress: bool,
    /// -C -: the length of the partial file to resume (FILE.part, else FILE).
    pub resume: Option<u64>,
}

/// What fetch says about the fetch, besides the body.
#[derive(Debug, Clone)]
pub struct ReportPlan {
    /// -v: trace each step on stderr.
    pub verbose: bool,
    /// Say so on stderr when a redirect is not followed: where a person reads
    /// stderr, or where stdout is not the terminal (so the note is not lost).
    pub redirect_note: bool,
    pub write_out: Option<WriteOut>,
    /// -s: no progress bar, no retry announcements.
    pub silent: bool,
    /// The target as a URL, for -w's %{url}.
    pub url: String,
}

/// For https: which roots to trust, and whether a failed verification stops.
#[derive(Debug, Clone)]
pub struct TlsPlan {
    pub roots: RootSource,
    pub insecure: bool,
}

/// -L and its limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Follow {
    pub on: bool,
    /// --max-redirs; `None` for no limit.
    pub max: Option<u32>,
    /// --location-trusted.
    pub trusted: bool,
}

/// Everything a fetch needs, checked and grouped by the stage that uses it:
/// nothing here can fail to go on the wire.
#[derive(Debug, Clone)]
pub struct Plan {
    pub target: Target,
    pub lookup: Lookup,
    pub timeouts: Timeouts,
    pub request: Request,
    pub rules: Rules,
    pub output: OutputPlan,
    pub retry: Retry,
    pub report: ReportPlan,
    /// For any https hop (and loaded ahead when the target is https).
    pub tls: TlsPlan,
    pub follow: Follow,
    /// -x, --noproxy and the environment's proxies.
    pub proxies: Proxies,
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
    // run, it took 4% of the instructions of a small HTTPS fetch.
    let long_help = args.iter().any(|arg| arg == "--help");
    let mut matches = match definition(long_help).try_get_matches_from(args) {
        Ok(matches) => matches,
        Err(e) if e.kind() == clap::error::ErrorKind::DisplayHelp => print_help(&e),
        Err(e) if !e.use_stderr() => e.exit(),
        Err(e) => return Err(Error::Usage(usage_message(&e))),
    };
    // Read before the values are moved out of the matches.
    let data_parts = data_parts(&matches);
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

impl Args {
    fn into_plan(self, terminals: Terminals) -> Result<Plan, Error> {
        let target = self
            .target
            .as_ref()
            .ok_or_else(|| Error::Usage("no TARGET".into()))?;
        let target = Target::parse(
            target.as_encoded_bytes(),
            self.path.as_ref().map(|p| p.as_encoded_bytes()),
        )
        .map_err(Error::Usage)?;
        let lookup = self.lookup(&target)?;
        let output = self.output_plan(&target, terminals)?;
        let request = self.request(&target, output.resume)?;
        let tls = TlsPlan {
            roots: RootSource::choose(self.cacert.clone(), self.capath.clone(), |name| {
                std::env::var(name).ok()
            }),
            insecure: self.insecure,
        };
        let proxies = Proxies::choose(self.proxy.as_deref(), self.noproxy.as_deref(), |name| {
            std::env::var(name).ok()
        })
        .map_err(Error::Usage)?;
        Ok(Plan {
            proxies,
            tls,
            follow: Follow {
                on: self.location,
                max: u32::try_from(self.max_redirs).ok(),
                trusted: self.location_trusted,
            },
            rules: self.rules(terminals),
            output,
            timeouts: Timeouts {
                connect: self.connect_timeout.0,
                idle: self.read_timeout.0,
                total: self.max_time.0,
            },
            retry: Retry {
                count: self.retry,
                // `--retry-delay 0` means no wait, not "no limit".
                delay: self.retry_delay.map(|d| d.0.unwrap_or_default()),
                max_time: self.retry_max_time.0,
            },
            report: ReportPlan {
                verbose: self.verbose,
                redirect_note: !self.silent && (terminals.stderr || !terminals.stdout),
                silent: self.silent,
                url: target.url(),
                write_out: self.write_out,
            },
            target,
            lookup,
            request,
        })
    }

    /// The request, built whole: from the flags, or verbatim from stdin (--raw).
    fn request(&self, target: &Target, resume: Option<u64>) -> Result<Request, Error> {
        if self.raw {
            return self.raw_request(target);
        }
        let (body, content_type) = self.body()?;
        let (body, target) = self.get_query(body, target)?;
        let target = &target;
        let natural = match () {
            _ if self.head => "HEAD",
            _ if body.is_some() => "POST",
            _ => "GET",
        };
        let method = match &self.method {
            Some(method) => request::parse_method(method).map_err(Error::Usage)?,
            None => natural.to_string(),
        };
        let mut defaults =
            self.default_headers(target, body.as_ref().map(|_| content_type.as_str()));
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
            // The length the user gave, if any, is theirs to get wrong (as with curl).
            if !headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case("content-length"))
            {
                headers.push(("Content-Length".into(), body.len().to_string()));
            }
        }
        let method = request::Method {
            sent: &method,
            natural,
        };
        let request = Request::new(method, target, headers, body.unwrap_or_default());
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

    /// The body (-d and --data-urlencode joined with &, --json, or -F) and its type.
    fn body(&self) -> Result<(Option<Payload>, String), Error> {
        if !self.json.is_empty() {
            // Repeated, the pieces are joined as they are (curl's rule).
            let mut body = Payload::default();
            for json in &self.json {
                body.append(data_payload(json)?);
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
        for (i, (encode, value)) in self.data_parts.iter().enumerate() {
            if i > 0 {
                body.push_bytes(b"&");
            }
            if *encode {
                body.push_bytes(&urlencoded(value)?);
            } else {
                body.append(data_payload(value)?);
            }
        }
        Ok((Some(body), request::FORM_TYPE.into()))
    }

    fn default_headers(&self, target: &Target, body_type: Option<&str>) -> Vec<(String, String)> {
        let mut defaults = request::default_headers(target);
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
        if let Some(cookie) = &self.cookie {
            if !cookie.contains('=') {
                return Err(Error::Usage(format!(
                    "-b '{}': fetch sends cookies given as NAME=VALUE; it reads no cookie files",
                    crate::escape::shown(cookie.as_bytes())
                )));
            }
            request::check_value("Cookie", cookie).map_err(Error::Usage)?;
            user.push(("Cookie".to_string(), Some(cookie.clone())));
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
                return Err(Error::Usage(
                    "HTTP/1.0 requests have no Transfer-Encoding: fetch sends a body with Content-Length".into(),
                ));
            }
            user.push((name, value));
        }
        Ok(user)
    }

    fn rules(&self, terminals: Terminals) -> Rules {
        Rules {
            follow: self.location,
            // With -o the head is for the terminal default only when stdout gets the body.
            include_head: self.head
                || self.raw
                || self.include
                || (!self.body && self.output.is_none() && !self.remote_name && terminals.stdout),
            fail_on_error: self.fail,
            max_size: self.max_size,
            raw: self.raw,
            decode: self.compressed,
            retry: None,
        }
    }

    fn output_plan(&self, target: &Target, terminals: Terminals) -> Result<OutputPlan, Error> {
        let named = match (&self.output, self.remote_name) {
            (_, true) => Some(remote_name(&target.path).map_err(Error::Usage)?),
            (Some(path), false) if path.as_os_str() != "-" => Some(path.clone()),
            _ => None,
        };
        // --output-dir holds relative names; an absolute -o path stays as given.
        let file = match (named, &self.output_dir) {
            (Some(name), Some(dir)) if name.is_relative() => Some(dir.join(name)),
            (named, _) => named,
        };
        let resume = match (self.continue_at.as_deref(), &file) {
            (None, _) => None,
            (Some("-"), Some(file)) => resumable_length(file),
            (Some("-"), None) => {
                return Err(Error::Usage(
                    "-C - resumes a file: give -o FILE or -O".into(),
                ));
            }
            (Some(offset), _) => {
                return Err(Error::Usage(format!(
                    "-C '{}': fetch resumes from what the file holds: give -C - (only '-' is accepted)",
                    crate::escape::shown(offset.as_bytes())
                )));
            }
        };
        Ok(OutputPlan {
            resume,
            // `-o -` is the user's way to print a binary body to a terminal anyway.
            binary_guard: self.output.is_none() && !self.remote_name && terminals.stdout,
            // A bar only where a person watches, and never over a body on the same
            // terminal. The bar would overwrite trace lines, so -v turns it off.
            progress: !self.silent
                && !self.verbose
                && terminals.stderr
                && (file.is_some() || !terminals.stdout),
            file,
            dump_header: self.dump_header.clone(),
        })
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

/// -C -: the bytes to resume from, in FILE.part (fetch's own partial file),
/// else in FILE; `None` when neither holds any, and the fetch starts afresh.
fn resumable_length(file: &std::path::Path) -> Option<u64> {
    let part = crate::output::atomic::part_path(file);
    [part.as_path(), file].into_iter().find_map(|path| {
        std::fs::metadata(path)
            .ok()
            .filter(|m| m.is_file() && m.len() > 0)
            .map(|m| m.len())
    })
}

impl Args {
    /// --resolve entries for this target, and -4/-6.
    fn lookup(&self, target: &Target) -> Result<Lookup, Error> {
        let family = match (self.ipv4, self.ipv6) {
            (true, _) => Family::V4,
            (_, true) => Family::V6,
            _ => Family::Any,
        };
        if let Host::Ip(ip) = &target.host {
            if family == Family::V4 && ip.is_ipv6() || family == Family::V6 && ip.is_ipv4() {
                return Err(Error::Usage(format!(
                    "the target {ip} is not of the family -4/-6 asks for"
                )));
            }
        }
        let mut pinned = Vec::new();
        for entry in &self.resolve {
            pinned.push(parse_resolve(entry).map_err(Error::Usage)?);
        }
        // As with curl, a later entry for the same HOST:PORT wins.
        pinned.reverse();
        Ok(Lookup { pinned, family })
    }
}

/// `HOST:PORT:ADDR[,ADDR...]` (curl's --resolve); IPv6 addresses with or without brackets.
fn parse_resolve(entry: &str) -> Result<(String, u16, Vec<IpAddr>), String> {
    let bad = |why: &str| {
        let entry = crate::escape::shown(entry.as_bytes());
        format!("invalid --resolve '{entry}': {why}")
    };
    let mut parts = entry.splitn(3, ':');
    let (Some(host), Some(port), Some(addrs)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(bad("expected HOST:PORT:ADDR[,ADDR...]"));
    };
    if host.is_empty() {
        return Err(bad("the host is empty"));
    }
    let port = match port.parse::<u16>() {
        Ok(n) if n != 0 && port.bytes().all(|b| b.is_ascii_digit()) => n,
        _ => return Err(bad(&format!("port '{port}' is not 1-65535"))),
    };
    let addrs = addrs
        .split(',')
        .map(|a| {
            let bare = a
                .strip_prefix('[')
                .and_then(|a| a.strip_suffix(']'))
                .unwrap_or(a);
            bare.parse::<IpAddr>()
                .map_err(|_| bad(&format!("'{a}' is not an IP address")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((host.to_string(), port, addrs))
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

/// -d and --data-urlencode values in command-line order (true: to be encoded),
/// as curl joins them.
fn data_parts(matches: &clap::ArgMatches) -> Vec<(bool, OsString)> {
    let mut parts = Vec::new();
    for (id, encode) in [("data", false), ("data_urlencode", true)] {
        let (Some(values), Some(indices)) =
            (matches.get_many::<OsString>(id), matches.indices_of(id))
        else {
            continue;
        };
        parts.extend(indices.zip(values).map(|(i, v)| (i, encode, v.clone())));
    }
    parts.sort_by_key(|(i, ..)| *i);
    parts
        .into_iter()
        .map(|(_, encode, v)| (encode, v))
        .collect()
}

/// -O's file name: the last segment of the URL's path, as sent (not decoded,
/// so `%2F` cannot make a directory). Never a name that leaves the directory,
/// hides itself or is empty: those are refused.
fn remote_name(path: &str) -> Result<std::path::PathBuf, String> {
    let path = path.split('?').next().unwrap_or_default();
    let name = path.rsplit('/').next().unwrap_or_default();
    match name {
        "" => Err(format!(
            "-O: the URL path '{path}' ends in '/': no file name to save under (use -o FILE)"
        )),
        "." | ".." => Err(format!("-O: '{name}' is not a file name (use -o FILE)")),
        _ if name.starts_with('.') => Err(format!(
            "-O: '{name}' would be a hidden file; fetch does not make one from a URL (use -o FILE)"
        )),
        _ => Ok(name.into()),
    }
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
fn data_payload(data: &std::ffi::OsStr) -> Result<Payload, Error> {
    let bytes = data.as_encoded_bytes();
    match bytes.strip_prefix(b"@") {
        Some(source) if source != b"-" => {
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
            let mut payload = Payload::default();
            payload.push(piece);
            Ok(payload)
        }
        _ => Ok(Payload::from_bytes(read_data(data)?)),
    }
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

/// -h and --help, with -C's value shown as `-C -`: it takes nothing else, and
/// clap would show the placeholder as `<->`.
fn print_help(e: &clap::Error) -> ! {
    let styled = e.render();
    // As clap's own printing does: colour on a terminal, unless NO_COLOR.
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let text = if std::io::stdout().is_terminal() && !no_color {
        styled.ansi().to_string()
    } else {
        styled.to_string()
    };
    let text = dash_placeholder(&text);
    let mut out = std::io::stdout().lock();
    // A reader that left early (`fetch --help | head`) is no failure.
    let _ = std::io::Write::write_all(&mut out, text.as_bytes());
    let _ = std::io::Write::flush(&mut out);
    std::process::exit(0);
}

/// `-C -` for clap's `<->`.
pub fn dash_placeholder(text: &str) -> String {
    text.replace("<->", "-")
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
    let joined = dash_placeholder(&words.join(" "));
    let message = joined.strip_prefix("error: ").unwrap_or(&joined);
    format!("{message} (see 'fetch --help')")
}

#[cfg(test)]
mod tests {
    use super::*;

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

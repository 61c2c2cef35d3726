//! The checked Plan: everything a fetch needs, made from the arguments before
//! any socket exists.

use std::net::IpAddr;

use super::{Args, Terminals};
use crate::clock::Timeouts;
use crate::connect::{Family, Lookup};
use crate::cookies::Jar;
use crate::error::{Error, io_text};
use crate::proxy::Proxies;
use crate::request::Request;
use crate::target::{Host, Target};
use crate::tls::RootSource;
use crate::tls::client_cert::ClientCertPlan;
use crate::transfer::Rules;
use crate::writeout::WriteOut;

/// --retry and its limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    pub count: u32,
    /// --retry-delay; `None` for the default back-off.
    pub delay: Option<std::time::Duration>,
    pub max_time: Option<std::time::Duration>,
    /// --retry-all-errors: every failure is retried, whatever the method.
    pub all_errors: bool,
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
    /// -C: the length of the partial file to resume (FILE.part, else FILE).
    pub resume: Option<u64>,
    /// --create-dirs: make the -o, -O, -D and -c files' missing directories.
    pub create_dirs: bool,
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
    /// --cert and --key: read when the fetch starts, before any socket.
    pub client: Option<ClientCertPlan>,
}

/// The cookie engine: on with -b FILE, -b '' or -c.
#[derive(Debug, Clone)]
pub struct CookiePlan {
    /// The cookies of the -b files; `None` when the engine is off.
    pub jar: Option<Jar>,
    /// -c: where every cookie is written when the fetch ends.
    pub save_to: Option<std::path::PathBuf>,
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
    pub cookies: CookiePlan,
}

impl Args {
    pub(super) fn into_plan(self, terminals: Terminals) -> Result<Plan, Error> {
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
        Ok(Plan {
            cookies: self.cookie_plan()?,
            proxies: self.proxies()?,
            tls: self.tls_plan(),
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
                all_errors: self.retry_all_errors,
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

    fn tls_plan(&self) -> TlsPlan {
        TlsPlan {
            roots: RootSource::choose(self.cacert.clone(), self.capath.clone(), |name| {
                std::env::var(name).ok()
            }),
            insecure: self.insecure,
            client: self.cert.clone().map(|cert| ClientCertPlan {
                cert,
                key: self.key.clone(),
                cert_type: self.cert_type.clone(),
                key_type: self.key_type.clone(),
            }),
        }
    }

    /// -x, --noproxy, -U, and the environment's proxy variables.
    fn proxies(&self) -> Result<Proxies, Error> {
        let proxies = Proxies::choose(self.proxy.as_deref(), self.noproxy.as_deref(), |name| {
            std::env::var(name).ok()
        })
        .map_err(Error::Usage)?;
        Ok(match &self.proxy_user {
            Some(user) => proxies.with_credentials(user),
            None => proxies,
        })
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
            fail_with_body: self.fail_with_body,
            max_size: self.max_size,
            raw: self.raw,
            decode: self.compressed,
            retry: None,
            http10: !self.raw && !self.http1_1,
            notes: !self.silent,
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
            (Some(_), None) => {
                return Err(Error::Usage("-C resumes a file: give -o FILE or -O".into()));
            }
            (Some(at), Some(file)) => resume_offset(at, file)?,
        };
        Ok(OutputPlan {
            resume,
            create_dirs: self.create_dirs,
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

    /// -b FILE (read now: a file that cannot be read is exit 2; one that does
    /// not exist yet is an empty jar), -b '', -c.
    fn cookie_plan(&self) -> Result<CookiePlan, Error> {
        let files: Vec<&String> = self.cookie.iter().filter(|c| !c.contains('=')).collect();
        if files.is_empty() && self.cookie_jar.is_none() {
            return Ok(CookiePlan {
                jar: None,
                save_to: None,
            });
        }
        let mut jar = Jar::default();
        let now = crate::clock::unix_now();
        for file in files.iter().filter(|f| !f.is_empty()) {
            crate::cookies::load(&mut jar, file.as_ref(), now).map_err(|e| {
                let shown = crate::escape::shown(file.as_bytes());
                Error::Usage(format!(
                    "-b: cannot read the cookie file '{shown}': {}",
                    io_text(&e)
                ))
            })?;
        }
        Ok(CookiePlan {
            jar: Some(jar),
            save_to: self.cookie_jar.clone(),
        })
    }

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

/// -C's offset: `-`, what the file holds; N, byte N of what it holds (the
/// rest is cut off when the fetch starts). `None` starts afresh.
fn resume_offset(at: &str, file: &std::path::Path) -> Result<Option<u64>, Error> {
    let held = resumable_length(file);
    if at == "-" {
        return Ok(held);
    }
    let shown = crate::escape::shown(at.as_bytes());
    let offset: u64 = match at.parse() {
        Ok(n) if at.bytes().all(|b| b.is_ascii_digit()) => n,
        _ => {
            return Err(Error::Usage(format!(
                "-C '{shown}': give a byte offset (a number) or '-' (what the file holds)"
            )));
        }
    };
    match held {
        _ if offset == 0 => Ok(None),
        Some(held) if held >= offset => Ok(Some(offset)),
        held => Err(Error::Usage(format!(
            "-C {offset}: the file to resume holds {} bytes ({} or {}): use -C - to go on from its end",
            held.unwrap_or(0),
            crate::output::atomic::part_path(file).display(),
            file.display()
        ))),
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

/// `HOST:PORT:ADDR[,ADDR...]` (curl's --resolve); IPv6 addresses with or without brackets.
pub(super) fn parse_resolve(entry: &str) -> Result<(String, u16, Vec<IpAddr>), String> {
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

/// -O's file name: the last segment of the URL's path, as sent (not decoded,
/// so `%2F` cannot make a directory). Never a name that leaves the directory,
/// hides itself or is empty: those are refused.
pub(super) fn remote_name(path: &str) -> Result<std::path::PathBuf, String> {
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

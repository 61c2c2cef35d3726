//! fetch: one HTTP/1.0 (or 1.1) request over a TCP socket, plain or TLS, with a precise
//! account of how it went. The modules follow the data: command line → target →
//! resolve and connect → TLS → request → response → output, with one error type
//! for every failure.

// The one exception, the signal handler's registration, is in interrupt.rs.
#![deny(unsafe_code)]

// Public: what the fuzz target and the tests outside the crate use (the pure
// parsers, the command line, the exit codes). The rest is the crate's own, so
// that dead code shows.

pub mod body;
pub mod chunked;
pub mod cli;
pub(crate) mod clock;
pub(crate) mod connect;
pub(crate) mod cookies;
pub(crate) mod curl_options;
pub(crate) mod decode;
pub(crate) mod duration;
pub mod error;
pub(crate) mod escape;
pub(crate) mod form;
pub(crate) mod generate;
pub(crate) mod interrupt;
pub(crate) mod output;
pub(crate) mod password;
pub(crate) mod payload;
pub(crate) mod proxy;
pub(crate) mod report;
pub(crate) mod request;
pub mod response;
pub(crate) mod retry;
pub(crate) mod stream;
pub mod target;
pub mod tls;
pub(crate) mod transfer;
pub(crate) mod writeout;

use anyhow::Context;
use cli::Plan;
use request::Request;
use std::io::Write;
use std::time::Duration;
use target::{Scheme, Target};

use clock::Clock;
use error::{Error, RetryRule, Stop};
use output::Output;
use report::Report;

/// Carries out a checked plan: resolve, connect, send, stream the response out;
/// again, as --retry allows. -w reports every ending once the command line was
/// accepted, failures before any socket included (as curl).
pub fn run(plan: &Plan) -> Result<(), Error> {
    let mut clock = Clock::start(plan.timeouts);
    warn_unknown_variables(plan);
    let mut report = Report::new(plan.report.verbose, &clock);
    let result = carry_out(plan, &mut clock, &mut report);
    if let Some(write_out) = &plan.report.write_out {
        write_out_figures(write_out, plan, &report, result.as_ref().err());
    }
    result
}

fn carry_out(plan: &Plan, clock: &mut Clock, report: &mut Report) -> Result<(), Error> {
    interrupt::install(clock.started())
        .context("installing the SIGINT and SIGTERM handlers")
        .map_err(Error::Local)?;
    let output_name = plan.output.file.as_deref();
    let output_name = output_name.unwrap_or(std::path::Path::new("stdout"));
    let total = plan.timeouts.total.unwrap_or_default();
    let _watchdog = interrupt::Watchdog::start(clock.total_deadline(), total, output_name)
        .context("starting the --max-time watchdog thread")
        .map_err(Error::Local)?;
    // Read now, so that a key that does not match fails before connecting.
    let identity = match &plan.tls.client {
        Some(client) => Some(tls::client_cert::Identity::load(client)?),
        None => None,
    };
    // Before any socket: an unusable output must fail before the request is sent.
    let out = open_output(plan)?;
    // For an https target the roots load while the name resolves; a redirect to
    // https loads them when it comes.
    let roots = match plan.target.scheme {
        Scheme::Https => Some(tls::RootsLoader::start(plan.tls.roots.clone())?),
        Scheme::Http => None,
    };
    let mut running = Running {
        plan,
        clock,
        out,
        report,
        roots,
        identity,
        jar: plan.cookies.jar.clone().map(std::cell::RefCell::new),
    };
    let result = running.fetch_with_retries();
    let Running {
        out, clock, jar, ..
    } = running;
    // A quiet stop (the output's reader left, the binary guard) is a success.
    let result = match result {
        Ok(()) | Err(Stop::Quiet) => out.finish(),
        // --fail-with-body: the body came whole; the output is complete.
        Err(Stop::Failed(error))
            if plan.rules.fail_with_body
                && matches!(error.unwrapped(), Error::HttpStatus { .. }) =>
        {
            out.finish().and(Err(error))
        }
        Err(Stop::Failed(error)) => Err(out.abandon(error)),
    };
    let result = save_cookies(plan, jar, result);
    result.map_err(|error| error.timed(clock.elapsed()))
}

/// -c: every cookie, written whatever the fetch's outcome (what the server set
/// is the user's). A jar that cannot be written fails a fetch that went well,
/// and is a warning after one that failed (its own error matters more).
fn save_cookies(
    plan: &Plan,
    jar: Option<std::cell::RefCell<cookies::Jar>>,
    result: Result<(), Error>,
) -> Result<(), Error> {
    let (Some(path), Some(jar)) = (&plan.cookies.save_to, jar) else {
        return result;
    };
    let Err(e) = cookies::save(&jar.into_inner(), path) else {
        return result;
    };
    let why = format!(
        "cannot write the cookie jar '{}': {}",
        path.display(),
        error::io_text(&e)
    );
    match result {
        Ok(()) => Err(Error::write(std::io::Error::other(why))),
        Err(failed) => {
            let _ = std::io::stderr().write_all(format!("fetch: warning: {why}\n").as_bytes());
            Err(failed)
        }
    }
}

/// The body's destination, and -D's, opened (their directories made with
/// --create-dirs).
fn open_output(plan: &Plan) -> Result<Output, Error> {
    let files = [
        &plan.output.file,
        &plan.output.dump_header,
        &plan.cookies.save_to,
    ];
    for path in files.into_iter().flatten() {
        if plan.output.create_dirs {
            output::create_dirs(path)?;
        }
        output::check_dir(path)?;
    }
    let mut out = match (&plan.output.file, plan.output.resume) {
        (Some(path), Some(offset)) => Output::resume(path, offset)?,
        (Some(path), None) => Output::file(path)?,
        (None, _) => Output::stdout(plan.output.binary_guard)?,
    };
    if let Some(path) = &plan.output.dump_header {
        out = out.with_dump(path)?;
    }
    if plan.output.progress {
        out = out.with_progress();
    }
    Ok(out)
}

/// -w's text, after the body as with curl; a closed stdout has no reader to tell.
fn write_out_figures(
    write_out: &writeout::WriteOut,
    plan: &Plan,
    report: &Report,
    error: Option<&Error>,
) {
    let ending = writeout::Ending {
        error,
        url: &plan.report.url,
        target: &plan.target,
        filename: plan.output.file.as_deref(),
    };
    for (sink, text) in write_out.render(report, &ending) {
        let _ = interrupt::waiting_for_output(interrupt::Waiting::Write, || match sink {
            writeout::Sink::Stdout => std::io::stdout().write_all(text.as_bytes()),
            writeout::Sink::Stderr => std::io::stderr().write_all(text.as_bytes()),
        });
    }
}

/// A -w format copied from a curl script runs; one line says what prints empty.
fn warn_unknown_variables(plan: &Plan) {
    let Some(write_out) = &plan.report.write_out else {
        return;
    };
    let unknown = write_out.unknown();
    if unknown.is_empty() || plan.report.silent {
        return;
    }
    let names: Vec<String> = unknown.iter().map(|name| format!("%{{{name}}}")).collect();
    let line = format!(
        "fetch: warning: -w: fetch has no figure for curl's {}; printed empty\n",
        names.join(", ")
    );
    let _ = std::io::stderr().write_all(line.as_bytes());
}

/// A fetch under way: the plan, and what every step of it shares.
struct Running<'a> {
    plan: &'a Plan,
    clock: &'a mut Clock,
    out: Output,
    report: &'a mut Report,
    /// Loaded for the first https hop, and kept for the next ones.
    roots: Option<tls::RootsLoader>,
    /// --cert: presented to any https hop that asks for it.
    identity: Option<tls::client_cert::Identity>,
    /// The cookie engine (-b FILE, -c): what responses set, for later hops.
    jar: Option<std::cell::RefCell<cookies::Jar>>,
}

/// One hop: where it goes, and what is sent there.
struct Hop {
    target: Target,
    request: Request,
}

impl Running<'_> {
    /// One fetch, and more as --retry allows while they fail.
    fn fetch_with_retries(&mut self) -> Result<(), Stop> {
        let mut result = self.fetch();
        while let Err(Stop::Failed(error)) = &result {
            let Some(wait) = self.retry_wait(error) else {
                break;
            };
            if !self.out.restart()? {
                break; // bytes already reached the user: another attempt would repeat them
            }
            if !self.plan.report.silent {
                let line = format!(
                    "fetch: attempt {} of {} in {:.1}s: {}\n",
                    self.report.figures().num_retries + 2,
                    self.plan.retry.count + 1,
                    wait.as_secs_f64(),
                    error.brief()
                );
                let _ = std::io::stderr().write_all(line.as_bytes());
            }
            std::thread::sleep(wait);
            self.clock.new_connection();
            self.report.retrying();
            result = self.fetch();
        }
        result
    }

    /// What retries may still spend, or `None` when none is left.
    fn retry_budget(&self) -> Option<retry::Budget> {
        let (plan, clock) = (self.plan, &self.clock);
        let retries = self.report.figures().num_retries;
        if retries >= plan.retry.count {
            return None;
        }
        // 1 s, doubling, at most 30 s.
        let backoff = Duration::from_secs((1u64 << retries.min(5)).min(30));
        let retry_limit = plan
            .retry
            .max_time
            .and_then(|limit| clock.started().checked_add(limit));
        // --max-time bounds the whole command, waits included (unlike curl's per attempt).
        let until = [retry_limit, clock.total_deadline()]
            .into_iter()
            .flatten()
            .min();
        Some(retry::Budget {
            default_wait: plan.retry.delay.unwrap_or(backoff),
            until,
        })
    }

    /// How long to wait before retrying after `error`, or `None` if no retry is
    /// due: retries used up, a failure that is not retried, or no time left.
    fn retry_wait(&self, error: &Error) -> Option<Duration> {
        // Decided when its head came, and its body left unwritten for it.
        if let Error::RetryStatus { wait, .. } = error.unwrapped() {
            return Some(*wait);
        }
        let budget = self.retry_budget()?;
        match error.retry() {
            // Standard input streamed is gone once sent: it cannot go again.
            _ if self.plan.retry.all_errors && self.plan.request.body.len().is_some() => {}
            RetryRule::Always => {}
            RetryRule::IfRepeatable if self.plan.request.repeatable => {}
            _ => return None,
        }
        match error.unwrapped() {
            Error::HttpStatus { retry_after, .. } => budget.wait(*retry_after),
            _ => budget.wait(None),
        }
    }

    /// The rules of this attempt: with the retry budget when a "try again"
    /// status is to be retried rather than written (the exchange checks, when
    /// the status comes, that the output can still be taken back).
    fn attempt_rules(&self) -> transfer::Rules {
        let repeatable = self.plan.request.repeatable || self.plan.retry.all_errors;
        transfer::Rules {
            retry: self.retry_budget().filter(|_| repeatable),
            ..self.plan.rules
        }
    }

    /// One attempt: the target, and with -L every hop it is redirected to.
    fn fetch(&mut self) -> Result<(), Stop> {
        let mut hop = Hop {
            target: self.plan.target.clone(),
            request: self.plan.request.clone(),
        };
        let mut hops = vec![self.plan.target.url()];
        let rules = self.attempt_rules();
        loop {
            let redirect = match self.exchange(&hop, &rules) {
                Ok(Some(redirect)) => redirect,
                Ok(None) => return Ok(()),
                Err(Stop::Failed(error)) => {
                    let os_error = error.os_error().map(|n| format!(" (os error {n})"));
                    let os_error = os_error.unwrap_or_default();
                    self.report.step(format_args!("stopped: {error}{os_error}"));
                    return Err(after_redirect(error, &hops).into());
                }
                Err(Stop::Quiet) => return Err(Stop::Quiet),
            };
            let Some(next) = self.next_hop(&hop, &redirect, &mut hops)? else {
                return Ok(());
            };
            hop = next;
            self.clock.new_connection();
        }
    }
}

/// The proxy `target` goes through, if any; -v says which, or why none.
fn proxy_for<'p>(plan: &'p Plan, target: &Target, report: &Report) -> Option<&'p proxy::Proxy> {
    match plan.proxies.route(target) {
        Ok(Some(proxy)) => {
            report.step(format_args!("via proxy {}", proxy.named()));
            Some(proxy)
        }
        Ok(None) => None,
        Err((skipped, why)) => {
            report.step(format_args!("not via proxy {}: {why}", skipped.named()));
            None
        }
    }
}

/// Without -L a redirect is the answer: -w records where it pointed, and a
/// note says so where a person reads it.
fn not_followed(plan: &Plan, report: &mut Report, redirect: &transfer::Redirect, to: &str) {
    report.not_followed(to);
    if plan.report.redirect_note {
        // "301 Moved Permanently", without the protocol version.
        let status = redirect.status_line.split_once(' ').map_or("", |(_, s)| s);
        let line = format!("fetch: {status} \u{2192} {to} (not followed; -L follows)\n");
        let _ = std::io::stderr().write_all(line.as_bytes());
    }
}

/// A failure on a hop a redirect led to names that hop and where it came from.
fn after_redirect(error: Error, hops: &[String]) -> Error {
    match hops {
        [.., from, url] => Error::AfterRedirect {
            url: url.clone(),
            from: from.clone(),
            number: hops.len() - 1,
            source: Box::new(error),
        },
        _ => error,
    }
}

impl Running<'_> {
    /// Where a redirect goes, and the request for it; `None` when it is not
    /// followed (no -L: a success, with a note).
    fn next_hop(
        &mut self,
        Hop { target, request }: &Hop,
        redirect: &transfer::Redirect,
        hops: &mut Vec<String>,
    ) -> Result<Option<Hop>, Error> {
        let (plan, report) = (self.plan, &mut *self.report);
        let next = target
            .follow(&redirect.location)
            .map_err(|why| Error::BadLocation {
                from: target.url(),
                location: escape::shown(&target::without_password(&redirect.location)),
                why,
            });
        let shown_next = match &next {
            Ok(next) => next.url(),
            Err(_) => escape::shown(&target::without_password(&redirect.location)),
        };
        if !plan.follow.on {
            not_followed(plan, report, redirect, &shown_next);
            return Ok(None);
        }
        let next = next?;
        if let Some(max) = plan.follow.max {
            if report.figures().num_redirects >= max {
                report.not_followed(&shown_next);
                hops.push(shown_next);
                return Err(Error::TooManyRedirects {
                    hops: std::mem::take(hops),
                    max,
                });
            }
        }
        let same_origin = target.origin() == next.origin();
        // --raw cannot be combined with -L, so the request has its parts.
        let Some((request, dropped)) =
            request.next_hop(redirect.status, &next, same_origin, plan.follow.trusted)
        else {
            return Ok(None);
        };
        if request.body.len().is_none() && matches!(redirect.status, 307 | 308) {
            return Err(Error::Rewind {
                status_line: redirect.status_line.clone(),
                location: shown_next,
            });
        }
        if dropped && plan.follow.trusted {
            report.step(format_args!(
                "the URL's credentials not sent to another origin: they belong to the URL's own"
            ));
        } else if dropped {
            report.step(format_args!(
                "credentials (Authorization, Cookie) not sent to another origin; --location-trusted sends them"
            ));
        }
        report.redirected(&redirect.status_line, &shown_next);
        hops.push(shown_next);
        Ok(Some(Hop {
            target: next,
            request,
        }))
    }

    /// Resolves and connects to the hop's host, or to its proxy.
    fn connect(
        &mut self,
        target: &Target,
        proxy: Option<&proxy::Proxy>,
    ) -> Result<(std::net::TcpStream, std::net::SocketAddr), Error> {
        let (clock, report) = (&*self.clock, &mut *self.report);
        let (host, port) = match proxy {
            Some(proxy) => (&proxy.host, proxy.port),
            None => (&target.host, target.port),
        };
        // On the way to a proxy, a failure keeps its class and names the proxy.
        let named = |error: Error| match proxy {
            Some(proxy) => Error::Proxy {
                proxy: proxy.named(),
                source: Box::new(error),
            },
            None => error,
        };
        if let target::Host::Name(name) = host {
            report.resolving(name);
        }
        let lookup = &self.plan.lookup;
        let addrs = connect::resolve(host, port, lookup, clock, report).map_err(named)?;
        report.resolved();
        connect::connect(&addrs, clock, report).map_err(named)
    }

    /// What this hop sends, when it is not the hop's request as it is: with
    /// the jar's cookies for the hop's origin, and, through a plain-HTTP proxy,
    /// naming the whole URL (https tunnels instead).
    fn hop_request(
        &self,
        target: &Target,
        request: &Request,
        proxy: Option<&proxy::Proxy>,
    ) -> Result<Option<Request>, Error> {
        let jar = self.jar.as_ref();
        let cookies = jar.and_then(|jar| jar.borrow().header_for(target, clock::unix_now()));
        let with_cookies = cookies.and_then(|cookies| request.with_cookies(&cookies, target));
        let request = with_cookies.as_ref().unwrap_or(request);
        Ok(match (target.scheme, proxy) {
            (Scheme::Http, Some(proxy)) => {
                Some(request.through_proxy(target, proxy.authorization()?))
            }
            _ => with_cookies,
        })
    }

    /// One hop: resolve, connect, TLS for https, then the exchange.
    fn exchange(
        &mut self,
        Hop { target, request }: &Hop,
        rules: &transfer::Rules,
    ) -> Result<Option<transfer::Redirect>, Stop> {
        let proxy = proxy_for(self.plan, target, self.report);
        let (stream, addr) = self.connect(target, proxy)?;
        let sent = self.hop_request(target, request, proxy)?;
        let (plan, clock, out) = (self.plan, &*self.clock, &mut self.out);
        let (report, roots) = (&mut *self.report, &mut self.roots);
        let mut tcp = stream::Tcp::new(stream, clock);
        let exchange = transfer::Exchange {
            request: sent.as_ref().unwrap_or(request),
            target,
            jar: self.jar.as_ref(),
            rules,
            addr,
            clock,
        };
        if target.scheme == Scheme::Http {
            return transfer::exchange(&mut tcp, &exchange, out, report);
        }
        if let Some(proxy) = proxy {
            proxy.tunnel(&mut tcp, target, report)?;
        }
        let loader = match roots {
            Some(loader) => loader,
            None => roots.insert(tls::RootsLoader::start(plan.tls.roots.clone())?),
        };
        let how = tls::Handshake {
            host: &target.host,
            addr,
            roots: loader.get()?,
            insecure: plan.tls.insecure,
            silent: plan.report.silent,
            identity: self.identity.as_ref(),
        };
        let mut tls = tls::secure(tcp, &how, clock, report)?;
        transfer::exchange(&mut tls, &exchange, out, report)
    }
}

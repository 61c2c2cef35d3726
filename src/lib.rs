//! fetch: one HTTP/1.0 request over a plain TCP socket, with a precise account of
//! how it went. The modules follow the data: command line → target → resolve and
//! connect → request → response → output, with one error type for every failure.

pub mod chunked;
pub mod cli;
pub mod clock;
pub mod connect;
pub mod duration;
pub mod error;
pub mod output;
pub mod report;
pub mod request;
pub mod response;
pub mod target;
pub mod transfer;
pub mod writeout;

use cli::Plan;
use std::io::Write;

use clock::Clock;
use error::Error;
use output::Output;
use report::Report;

/// Carries out a checked plan: resolve, connect, send, stream the response out.
pub fn run(plan: &Plan) -> Result<(), Error> {
    let clock = Clock::start(plan.timeouts);
    // Before any socket: an unusable output must fail before the request is sent.
    let mut out = match &plan.output {
        Some(path) => Output::file(path)?,
        None => Output::stdout(plan.binary_guard)?,
    };
    if plan.progress {
        out = out.with_progress();
    }
    let mut report = Report::new(plan.verbose);
    let result = match fetch(plan, &clock, &mut out, &mut report) {
        Ok(()) => out.finish(),
        Err(error) => Err(out.abandon(error)),
    };
    if let Some(write_out) = &plan.write_out {
        let ending = writeout::Ending {
            error: result.as_ref().err(),
            url: &plan.url,
        };
        // After the body, on stdout, as with curl; a closed stdout has no reader to tell.
        let _ = std::io::stdout().write_all(write_out.render(&report, &ending).as_bytes());
    }
    result
}

fn fetch(plan: &Plan, clock: &Clock, out: &mut Output, report: &mut Report) -> Result<(), Error> {
    let target = &plan.target;
    let addrs = connect::resolve(&target.host, target.port, &plan.lookup, clock, report)?;
    report.namelookup = Some(report.elapsed());
    let (stream, addr) = connect::connect(&addrs, clock, report)?;
    report.connect = Some(report.elapsed());
    report.remote = Some(addr);
    let exchange = transfer::Exchange {
        request: &plan.request,
        include_head: plan.include_head,
        head_request: plan.head_request,
        fail_on_error: plan.fail_on_error,
        max_size: plan.max_size,
        raw: plan.raw,
    };
    let result = transfer::exchange(stream, addr, clock, &exchange, out, report);
    if let Err(error) = &result {
        report.step(format_args!("stopped: {error}"));
    }
    result
}

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
pub mod request;
pub mod response;
pub mod target;
pub mod transfer;

use cli::Plan;
use clock::Clock;
use error::Error;
use output::Output;

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
    match fetch(plan, &clock, &mut out) {
        Ok(()) => out.finish(),
        Err(error) => Err(out.abandon(error)),
    }
}

fn fetch(plan: &Plan, clock: &Clock, out: &mut Output) -> Result<(), Error> {
    let addrs = connect::resolve(&plan.target.host, plan.target.port, &plan.lookup, clock)?;
    let (stream, addr) = connect::connect(&addrs, clock)?;
    let exchange = transfer::Exchange {
        request: &plan.request,
        include_head: plan.include_head,
        head_request: plan.head_request,
        fail_on_error: plan.fail_on_error,
        max_size: plan.max_size,
        raw: plan.raw,
    };
    transfer::exchange(stream, addr, clock, &exchange, out)
}

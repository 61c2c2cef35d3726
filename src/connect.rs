//! Name resolution and TCP connect, all within one deadline.

use std::fmt;
use std::io;
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::Context;
use socket2::{Domain, Protocol, Socket, Type};

use crate::clock::Clock;
use crate::duration::Elapsed;
use crate::error::{Class, Error};
use crate::report::Report;
use crate::target::Host;

/// Which addresses may be used: `-4`, `-6`, or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Any,
    V4,
    V6,
}

impl Lookup {
    /// The addresses --resolve gives for HOST:PORT, if any (the last entry wins).
    pub fn pinned_for(&self, host: &Host, port: u16) -> Option<&[IpAddr]> {
        let Host::Name(name) = host else {
            return None;
        };
        self.pinned
            .iter()
            .find(|(h, p, _)| h.eq_ignore_ascii_case(name) && *p == port)
            .map(|(_, _, addrs)| addrs.as_slice())
    }
}

impl Family {
    fn admits(self, addr: &SocketAddr) -> bool {
        match self {
            Family::Any => true,
            Family::V4 => addr.is_ipv4(),
            Family::V6 => addr.is_ipv6(),
        }
    }
}

/// How the target's addresses are found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lookup {
    /// From --resolve: (HOST, PORT, addresses), later entries first; for these,
    /// no DNS. They hold for every hop of a redirect, as in curl.
    pub pinned: Vec<(String, u16, Vec<IpAddr>)>,
    pub family: Family,
}

/// The addresses to try for HOST:PORT: pinned ones, the IP literal, or every address
/// the resolver knows, in its order of preference (RFC 6724); then those of the family.
pub fn resolve(
    host: &Host,
    port: u16,
    lookup: &Lookup,
    clock: &Clock,
    report: &Report,
) -> Result<Vec<SocketAddr>, Error> {
    let addrs: Vec<SocketAddr> = match (lookup.pinned_for(host, port), host) {
        (Some(pinned), _) => {
            report.step(format_args!(
                "{host}:{port} pinned by --resolve, DNS not asked"
            ));
            pinned.iter().map(|ip| SocketAddr::new(*ip, port)).collect()
        }
        (None, Host::Ip(ip)) => vec![SocketAddr::new(*ip, port)],
        (None, Host::Name(name)) => {
            report.step(format_args!("resolving {name}"));
            let addrs = ask_resolver(name, port, clock)?;
            let list: Vec<String> = addrs.iter().map(|a| a.ip().to_string()).collect();
            report.step(format_args!("{name} is {}", list.join(", ")));
            addrs
        }
    };
    let found = addrs.len();
    let addrs: Vec<SocketAddr> = addrs
        .into_iter()
        .filter(|a| lookup.family.admits(a))
        .collect();
    if addrs.is_empty() {
        let wanted = if lookup.family == Family::V4 {
            "IPv4 (-4)"
        } else {
            "IPv6 (-6)"
        };
        return Err(Error::Resolve {
            host: host.to_string(),
            elapsed: clock.elapsed(),
            cause: format!("none of its {found} addresses is {wanted}"),
        });
    }
    Ok(addrs)
}

fn ask_resolver(name: &str, port: u16, clock: &Clock) -> Result<Vec<SocketAddr>, Error> {
    let name = name.to_string();
    // getaddrinfo cannot be cancelled, so it runs on a thread we can stop waiting
    // for: a resolver that never answers must not hold us past the deadline.
    let (tx, rx) = mpsc::channel();
    let lookup_name = name.clone();
    thread::Builder::new()
        .name("resolve".into())
        .spawn(move || {
            let found = (lookup_name.as_str(), port)
                .to_socket_addrs()
                .map(Iterator::collect::<Vec<_>>);
            // The receiver is gone if we already gave up waiting; nothing to do then.
            let _ = tx.send(found);
        })
        .context("starting the resolver thread")
        .map_err(Error::Local)?;

    let answer = match clock.connect_deadline() {
        None => rx.recv().map_err(|_| mpsc::RecvTimeoutError::Disconnected),
        Some(deadline) => rx.recv_timeout(deadline.saturating_duration_since(Instant::now())),
    };
    match answer {
        Ok(Ok(addrs)) if !addrs.is_empty() => Ok(addrs),
        Ok(Ok(_)) => Err(Error::Resolve {
            host: name,
            elapsed: clock.elapsed(),
            cause: "the name has no addresses".into(),
        }),
        Ok(Err(e)) => Err(Error::Resolve {
            host: name,
            elapsed: clock.elapsed(),
            cause: lookup_cause(&e),
        }),
        Err(mpsc::RecvTimeoutError::Timeout) => Err(Error::ResolveTimeout {
            host: name,
            limit: clock.elapsed(),
        }),
        Err(mpsc::RecvTimeoutError::Disconnected) => Err(Error::Resolve {
            host: name,
            elapsed: clock.elapsed(),
            cause: "the resolver thread ended without an answer".into(),
        }),
    }
}

/// std wraps getaddrinfo's text in a prefix that says nothing to a user.
fn lookup_cause(e: &io::Error) -> String {
    let text = e.to_string();
    text.strip_prefix("failed to lookup address information: ")
        .unwrap_or(&text)
        .to_string()
}

/// RFC 8305, 5: the recommended wait before starting the next attempt.
const ATTEMPT_DELAY: Duration = Duration::from_millis(250);

/// Connects to the first address that answers, racing them Happy Eyeballs style
/// (RFC 8305): families interleaved, IPv6 first; a new attempt every 250 ms, or at
/// once when one fails; earlier attempts keep running. All within the connect deadline.
pub fn connect(
    addrs: &[SocketAddr],
    clock: &Clock,
    report: &mut Report,
) -> Result<(TcpStream, SocketAddr), Error> {
    let order = interleave(addrs);
    match order[..] {
        // One address: nothing to race, no thread needed.
        [addr] => connect_one(addr, clock, report),
        _ => race(&order, clock, report),
    }
}

fn connect_one(
    addr: SocketAddr,
    clock: &Clock,
    report: &mut Report,
) -> Result<(TcpStream, SocketAddr), Error> {
    let remaining = clock
        .connect_deadline()
        .map(|d| d.saturating_duration_since(Instant::now()));
    report.connecting(addr);
    match try_connect(addr, remaining) {
        Ok(stream) => {
            report.connected(addr, stream.local_addr().ok());
            Ok((stream, addr))
        }
        Err(AttemptError::Local(e)) => Err(local_socket_error(e, addr)),
        Err(AttemptError::Failed(outcome)) => {
            report.step(format_args!("{addr}: {outcome}"));
            Err(connect_error(vec![Attempt { addr, outcome }], clock))
        }
    }
}

/// What an attempt thread sends back: its index in the order, and how it went.
type Finished = (usize, Result<TcpStream, AttemptError>);

/// Happy Eyeballs over `order`: attempts start 250 ms apart (at once after a
/// failure), run on threads, and the first connection wins.
fn race(
    order: &[SocketAddr],
    clock: &Clock,
    report: &mut Report,
) -> Result<(TcpStream, SocketAddr), Error> {
    let deadline = clock.connect_deadline();
    let (tx, rx) = mpsc::channel::<Finished>();
    let mut outcomes: Vec<Option<Outcome>> = vec![None; order.len()];
    let (mut started, mut finished) = (0, 0);
    let mut next_start = Instant::now();
    loop {
        let now = Instant::now();
        if deadline.is_some_and(|d| now >= d) {
            break;
        }
        if started < order.len() && now >= next_start {
            let remaining = deadline.map(|d| d.saturating_duration_since(now));
            start_attempt(started, order[started], remaining, tx.clone(), report)?;
            started += 1;
            next_start = now + ATTEMPT_DELAY;
        }
        if finished == order.len() {
            break;
        }
        let more_to_start = started < order.len();
        let wake = match (more_to_start, deadline) {
            (true, Some(d)) => Some(next_start.min(d)),
            (true, None) => Some(next_start),
            (false, d) => d,
        };
        match wait_until(&rx, wake) {
            Ok((index, Ok(stream))) => {
                report.connected(order[index], stream.local_addr().ok());
                return Ok((stream, order[index]));
            }
            Ok((index, Err(AttemptError::Local(e)))) => {
                return Err(local_socket_error(e, order[index]));
            }
            Ok((index, Err(AttemptError::Failed(outcome)))) => {
                report.step(format_args!("{}: {outcome}", order[index]));
                outcomes[index] = Some(outcome);
                finished += 1;
                next_start = Instant::now();
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    Err(connect_error(attempts(order, outcomes, started), clock))
}

fn start_attempt(
    index: usize,
    addr: SocketAddr,
    remaining: Option<Duration>,
    tx: mpsc::Sender<Finished>,
    report: &mut Report,
) -> Result<(), Error> {
    report.connecting(addr);
    thread::Builder::new()
        .name("connect".into())
        .spawn(move || {
            // If another attempt already won, the receiver is gone and this
            // connection is dropped, which closes it.
            let _ = tx.send((index, try_connect(addr, remaining)));
        })
        .context("starting a connect thread")
        .map_err(Error::Local)?;
    Ok(())
}

fn wait_until(
    rx: &mpsc::Receiver<Finished>,
    wake: Option<Instant>,
) -> Result<Finished, mpsc::RecvTimeoutError> {
    match wake {
        Some(wake) => rx.recv_timeout(wake.saturating_duration_since(Instant::now())),
        None => rx.recv().map_err(|_| mpsc::RecvTimeoutError::Disconnected),
    }
}

/// Each address with how it ended: the attempts that never finished were
/// silent until the deadline; the ones after them were never tried.
fn attempts(order: &[SocketAddr], outcomes: Vec<Option<Outcome>>, started: usize) -> Vec<Attempt> {
    order
        .iter()
        .zip(outcomes)
        .enumerate()
        .map(|(index, (&addr, outcome))| Attempt {
            addr,
            outcome: outcome.unwrap_or(if index < started {
                Outcome::TimedOut
            } else {
                Outcome::NotTried
            }),
        })
        .collect()
}

/// No address connected: what each did decides the class (error::connect_class).
fn connect_error(attempts: Vec<Attempt>, clock: &Clock) -> Error {
    Error::Connect {
        attempts,
        elapsed: clock.elapsed(),
    }
}

/// IPv6 and IPv4 addresses alternated, IPv6 first, each family in resolver order.
fn interleave(addrs: &[SocketAddr]) -> Vec<SocketAddr> {
    let (v6, v4): (Vec<SocketAddr>, Vec<SocketAddr>) = addrs.iter().partition(|a| a.is_ipv6());
    let mut order = Vec::with_capacity(addrs.len());
    let (mut v6, mut v4) = (v6.into_iter(), v4.into_iter());
    loop {
        match (v6.next(), v4.next()) {
            (None, None) => return order,
            (a, b) => order.extend(a.into_iter().chain(b)),
        }
    }
}

fn local_socket_error(e: io::Error, addr: SocketAddr) -> Error {
    Error::Local(anyhow::Error::new(e).context(format!("creating a socket for {addr}")))
}

enum AttemptError {
    /// This address did not work; the next one may.
    Failed(Outcome),
    /// Something on this machine is wrong (no sockets left): no address will work.
    Local(io::Error),
}

fn try_connect(addr: SocketAddr, timeout: Option<Duration>) -> Result<TcpStream, AttemptError> {
    let socket = match Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP)) {
        Ok(socket) => socket,
        // No IPv6 (or IPv4) on this machine: this address is unreachable, others may do.
        Err(e) if e.kind() == io::ErrorKind::Unsupported || is_no_family(&e) => {
            return Err(AttemptError::Failed(Outcome::Unreachable(
                "address family not supported here".into(),
            )));
        }
        Err(e) => return Err(AttemptError::Local(e)),
    };
    let result = match timeout {
        Some(timeout) => socket.connect_timeout(&addr.into(), timeout),
        None => socket.connect(&addr.into()),
    };
    match result {
        // No Nagle: a request, or a TLS handshake's small records, must not wait
        // for the peer's delayed ACK (up to 40 ms a round), as curl also does.
        Ok(()) => {
            let _ = socket.set_tcp_nodelay(true);
            Ok(socket.into())
        }
        Err(e) => Err(AttemptError::Failed(classify(&e))),
    }
}

fn is_no_family(e: &io::Error) -> bool {
    // EAFNOSUPPORT has no ErrorKind of its own (and its number differs by system).
    e.raw_os_error() == Some(rustix::io::Errno::AFNOSUPPORT.raw_os_error())
}

fn classify(e: &io::Error) -> Outcome {
    use io::ErrorKind::*;
    match e.kind() {
        ConnectionRefused => Outcome::Refused,
        TimedOut | WouldBlock => Outcome::TimedOut,
        HostUnreachable => Outcome::Unreachable("no route to host".into()),
        NetworkUnreachable => Outcome::Unreachable("network unreachable".into()),
        AddrNotAvailable => Outcome::Unreachable("address not available".into()),
        PermissionDenied => Outcome::Unreachable("not permitted by a local firewall".into()),
        _ => Outcome::Unreachable(e.to_string()),
    }
}

/// Refused, unreachable or silent: decided here only, from what each address did.
/// Any refusal means something answered (exit 7); only silence everywhere is a
/// time-out (28).
pub fn connect_class(attempts: &[Attempt]) -> Class {
    if attempts.iter().any(|a| a.outcome == Outcome::Refused) {
        Class::Refused
    } else if attempts
        .iter()
        .any(|a| matches!(a.outcome, Outcome::Unreachable(_)))
    {
        Class::Unreachable
    } else {
        Class::ConnectTimeout
    }
}

/// What happened to one address during connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub addr: SocketAddr,
    pub outcome: Outcome,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Refused,
    Unreachable(String),
    TimedOut,
    /// The deadline had passed before this address could be tried.
    NotTried,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Refused => f.write_str("connection refused"),
            Outcome::Unreachable(why) => write!(f, "unreachable: {why}"),
            Outcome::TimedOut => f.write_str("no answer"),
            Outcome::NotTried => f.write_str("not tried"),
        }
    }
}

impl Outcome {
    /// What this outcome usually means.
    fn hint(&self) -> &'static str {
        match self {
            Outcome::Refused => "nothing is listening on that port",
            Outcome::Unreachable(_) => "check the address and the network",
            Outcome::TimedOut => "packets dropped by a firewall, or the host is down",
            Outcome::NotTried => "the deadline was reached first",
        }
    }

    /// The outcome with the addresses it befell: "connection refused by A and B".
    fn with_addresses(&self, addrs: &str) -> String {
        match self {
            Outcome::Refused => format!("connection refused by {addrs}"),
            Outcome::Unreachable(why) => format!("{addrs} unreachable: {why}"),
            Outcome::TimedOut => format!("no answer from {addrs}"),
            Outcome::NotTried => format!("{addrs} not tried"),
        }
    }
}

/// Each outcome once, in the order first seen, with its addresses and its hint.
pub(crate) fn connect_message(attempts: &[Attempt], elapsed: Elapsed) -> String {
    let verb = match connect_class(attempts) {
        Class::Refused | Class::Unreachable => "could not connect to",
        _ => "connect timed out to",
    };
    if let [one] = attempts {
        let (addr, outcome) = (one.addr, &one.outcome);
        return format!(
            "{verb} {addr} after {elapsed}: {outcome} ({})",
            outcome.hint()
        );
    }
    let mut outcomes: Vec<&Outcome> = Vec::new();
    for attempt in attempts {
        if !outcomes.contains(&&attempt.outcome) {
            outcomes.push(&attempt.outcome);
        }
    }
    let parts: Vec<String> = outcomes
        .iter()
        .map(|outcome| {
            let addrs: Vec<String> = attempts
                .iter()
                .filter(|a| a.outcome == **outcome)
                .map(|a| a.addr.to_string())
                .collect();
            let addrs = listed(&addrs);
            format!("{} ({})", outcome.with_addresses(&addrs), outcome.hint())
        })
        .collect();
    format!(
        "{verb} any of {} addresses after {elapsed}: {}",
        attempts.len(),
        parts.join("; ")
    )
}

/// `A`, `A and B`, `A, B and C`.
fn listed(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local() -> SocketAddr {
        "127.0.0.1:8080".parse().unwrap()
    }

    #[test]
    fn refused_beats_unreachable_beats_silence() {
        let attempt = |outcome| Attempt {
            addr: local(),
            outcome,
        };
        let silent = attempt(Outcome::TimedOut);
        let unreachable = attempt(Outcome::Unreachable("no route".into()));
        let refused = attempt(Outcome::Refused);
        assert_eq!(
            connect_class(std::slice::from_ref(&silent)),
            Class::ConnectTimeout
        );
        assert_eq!(
            connect_class(&[silent.clone(), unreachable.clone()]),
            Class::Unreachable
        );
        assert_eq!(
            connect_class(&[unreachable, refused, silent]),
            Class::Refused
        );
    }

    #[test]
    fn connect_message_lists_every_address() {
        let v6: SocketAddr = "[::1]:9".parse().unwrap();
        let error = Error::Connect {
            attempts: vec![
                Attempt {
                    addr: v6,
                    outcome: Outcome::TimedOut,
                },
                Attempt {
                    addr: local(),
                    outcome: Outcome::Refused,
                },
            ],
            elapsed: Elapsed(Duration::from_millis(20)),
        };
        assert_eq!(
            error.to_string(),
            "could not connect to any of 2 addresses after 20ms: no answer from [::1]:9 \
             (packets dropped by a firewall, or the host is down); connection refused by \
             127.0.0.1:8080 (nothing is listening on that port)"
        );
    }

    fn addrs(list: &[&str]) -> Vec<SocketAddr> {
        list.iter().map(|a| a.parse().unwrap()).collect()
    }

    #[test]
    fn families_alternate_ipv6_first() {
        let mixed = addrs(&[
            "10.0.0.1:80",
            "10.0.0.2:80",
            "[::1]:80",
            "[::2]:80",
            "[::3]:80",
        ]);
        assert_eq!(
            interleave(&mixed),
            addrs(&[
                "[::1]:80",
                "10.0.0.1:80",
                "[::2]:80",
                "10.0.0.2:80",
                "[::3]:80"
            ])
        );
        let v4 = addrs(&["10.0.0.2:80", "10.0.0.1:80"]);
        assert_eq!(interleave(&v4), v4);
    }
}

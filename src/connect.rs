//! Name resolution and TCP connect, all within one deadline.

use std::io;
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::mpsc;
use std::thread;
use std::time::Instant;

use socket2::{Domain, Protocol, Socket, Type};

use crate::clock::Clock;
use crate::error::{Attempt, Elapsed, Error, Outcome};
use crate::target::Host;

/// Every address HOST has, in the resolver's order of preference (RFC 6724).
pub fn resolve(host: &Host, port: u16, clock: &Clock) -> Result<Vec<SocketAddr>, Error> {
    let name = match host {
        Host::Ip(ip) => return Ok(vec![SocketAddr::new(*ip, port)]),
        Host::Name(name) => name.clone(),
    };
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

/// Tries each address in order until one connects, each bounded by what is left
/// of the connect deadline.
pub fn connect(addrs: &[SocketAddr], clock: &Clock) -> Result<(TcpStream, SocketAddr), Error> {
    let mut attempts = Vec::with_capacity(addrs.len());
    for &addr in addrs {
        let remaining = clock
            .connect_deadline()
            .map(|d| d.saturating_duration_since(Instant::now()));
        if remaining.is_some_and(|r| r.is_zero()) {
            attempts.push(Attempt {
                addr,
                outcome: Outcome::NotTried,
            });
            continue;
        }
        let outcome = match try_connect(addr, remaining) {
            Ok(stream) => return Ok((stream, addr)),
            Err(AttemptError::Local(e)) => return Err(Error::Local(e)),
            Err(AttemptError::Failed(outcome)) => outcome,
        };
        attempts.push(Attempt { addr, outcome });
    }
    let elapsed: Elapsed = clock.elapsed();
    if attempts.iter().any(|a| a.outcome.is_refusal()) {
        Err(Error::ConnectFailed { attempts, elapsed })
    } else {
        Err(Error::ConnectTimeout { attempts, elapsed })
    }
}

enum AttemptError {
    /// This address did not work; the next one may.
    Failed(Outcome),
    /// Something on this machine is wrong (no sockets left): no address will work.
    Local(io::Error),
}

fn try_connect(
    addr: SocketAddr,
    timeout: Option<std::time::Duration>,
) -> Result<TcpStream, AttemptError> {
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
        Ok(()) => Ok(socket.into()),
        Err(e) => Err(AttemptError::Failed(classify(&e))),
    }
}

fn is_no_family(e: &io::Error) -> bool {
    // EAFNOSUPPORT has no ErrorKind of its own.
    e.raw_os_error() == Some(97)
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

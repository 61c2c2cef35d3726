//! The command's start time and the deadlines derived from it.

use std::time::{Duration, Instant};

use crate::duration::Elapsed;
use crate::error::TimeLimit;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Resolve + connect, across all addresses.
    pub connect: Option<Duration>,
    /// Longest silence from the peer once connected.
    pub idle: Option<Duration>,
    /// The whole command.
    pub total: Option<Duration>,
}

#[derive(Debug, Clone, Copy)]
pub struct Clock {
    start: Instant,
    /// Where the connect deadline counts from: each connection gets the whole of it.
    attempt_start: Instant,
    timeouts: Timeouts,
}

impl Clock {
    pub fn start(timeouts: Timeouts) -> Clock {
        let now = Instant::now();
        Clock {
            start: now,
            attempt_start: now,
            timeouts,
        }
    }

    /// A new connection (a retry, or a redirect's next hop): the connect deadline
    /// starts again; --max-time does not.
    pub fn new_connection(&mut self) {
        self.attempt_start = Instant::now();
    }

    /// The --max-time deadline, if any.
    pub fn total_deadline(&self) -> Option<Instant> {
        self.timeouts.total.map(|t| self.start + t)
    }

    /// When the command started: what every "after …" in a message counts from.
    pub fn started(&self) -> Instant {
        self.start
    }

    pub fn elapsed(&self) -> Elapsed {
        Elapsed(self.start.elapsed())
    }

    /// The earlier of the connect deadline and the overall one.
    pub fn connect_deadline(&self) -> Option<Instant> {
        let connect = self.timeouts.connect.map(|t| self.attempt_start + t);
        match (connect, self.total_deadline()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// How long the next read or write may wait, and which limit ends it.
    /// `Err` when --max-time has already run out.
    pub fn next_wait(&self) -> Result<Option<(Duration, TimeLimit)>, TimeLimit> {
        self.within_total(self.timeouts.idle.map(|d| (d, TimeLimit::Idle(d))))
    }

    /// Like `next_wait`, for a wait whose idle limit counts from `progress`, the
    /// last time bytes moved. `Err` when either limit has already run out.
    pub fn wait_since(
        &self,
        progress: Instant,
    ) -> Result<Option<(Duration, TimeLimit)>, TimeLimit> {
        let idle = match self.timeouts.idle {
            Some(idle) => match idle.checked_sub(progress.elapsed()) {
                Some(left) if !left.is_zero() => Some((left, TimeLimit::Idle(idle))),
                _ => return Err(TimeLimit::Idle(idle)),
            },
            None => None,
        };
        self.within_total(idle)
    }

    /// `idle`, or what is left of --max-time when that is nearer.
    fn within_total(
        &self,
        idle: Option<(Duration, TimeLimit)>,
    ) -> Result<Option<(Duration, TimeLimit)>, TimeLimit> {
        let Some(total) = self.timeouts.total else {
            return Ok(idle);
        };
        let left = (self.start + total).saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(TimeLimit::Total(total));
        }
        Ok(match idle {
            Some((d, limit)) if d <= left => Some((d, limit)),
            _ => Some((left, TimeLimit::Total(total))),
        })
    }
}

/// The wall clock in UNIX seconds, for dates (certificates, cookies); 0 if
/// the clock is before 1970.
pub fn unix_now() -> i64 {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    now.map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clock(connect: u64, idle: u64, total: Option<u64>) -> Clock {
        Clock::start(Timeouts {
            connect: Some(Duration::from_secs(connect)),
            idle: Some(Duration::from_secs(idle)),
            total: total.map(Duration::from_secs),
        })
    }

    #[test]
    fn max_time_caps_the_connect_deadline() {
        let c = clock(5, 30, Some(2));
        let left = c.connect_deadline().unwrap() - Instant::now();
        assert!(left <= Duration::from_secs(2));
    }

    #[test]
    fn idle_wait_applies_until_max_time_is_nearer() {
        let (wait, limit) = clock(5, 30, None).next_wait().unwrap().unwrap();
        assert_eq!(
            (wait, limit),
            (Duration::from_secs(30), TimeLimit::Idle(wait))
        );
        let (wait, limit) = clock(5, 30, Some(10)).next_wait().unwrap().unwrap();
        assert!(wait <= Duration::from_secs(10));
        assert_eq!(limit, TimeLimit::Total(Duration::from_secs(10)));
        let (_, limit) = clock(5, 3, Some(10)).next_wait().unwrap().unwrap();
        assert_eq!(limit, TimeLimit::Idle(Duration::from_secs(3)));
    }

    #[test]
    fn idle_counts_from_the_last_progress() {
        let c = clock(5, 3, None);
        let progress = Instant::now() - Duration::from_secs(2);
        let (wait, limit) = c.wait_since(progress).unwrap().unwrap();
        assert!(wait <= Duration::from_secs(1), "{wait:?}");
        assert_eq!(limit, TimeLimit::Idle(Duration::from_secs(3)));
        let stalled = Instant::now() - Duration::from_secs(4);
        assert_eq!(
            c.wait_since(stalled),
            Err(TimeLimit::Idle(Duration::from_secs(3)))
        );
    }

    #[test]
    fn no_limits_means_wait_forever() {
        let c = Clock::start(Timeouts {
            connect: None,
            idle: None,
            total: None,
        });
        assert_eq!(c.connect_deadline(), None);
        assert_eq!(c.next_wait(), Ok(None));
    }
}

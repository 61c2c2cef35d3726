//! --retry's budget: how long to wait before the next attempt, and whether that
//! wait still fits the limits.

use std::time::{Duration, Instant};

/// The longest wait a server's Retry-After can ask for: curl's cap on its retry
/// sleep (`RETRY_SLEEP_MAX`, 10 minutes), so a peer cannot park fetch for centuries.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(600);

/// The statuses that say "try again" (RFC 9110 15.5.9 and 15.6), as curl retries
/// them, with or without --fail.
pub const STATUSES: [u16; 6] = [408, 429, 500, 502, 503, 504];

/// What an attempt may still spend on retries, fixed when it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// --retry-delay, or the back-off's next step.
    pub default_wait: Duration,
    /// No retry starts at or after this (--max-time, --retry-max-time).
    pub until: Option<Instant>,
}

impl Budget {
    /// The wait before the next attempt (the server's Retry-After in seconds, if
    /// it gave one), or `None` when the attempt would start past the limits
    /// (checked: the wait comes from the peer).
    pub fn wait(&self, retry_after: Option<u64>) -> Option<Duration> {
        let wait = match retry_after {
            Some(seconds) => Duration::from_secs(seconds).min(MAX_RETRY_AFTER),
            None => self.default_wait,
        };
        let retry_at = Instant::now().checked_add(wait)?;
        if self.until.is_some_and(|until| retry_at >= until) {
            return None;
        }
        Some(wait)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_servers_retry_after_is_capped_and_bounded_by_the_limits() {
        let open = Budget {
            default_wait: Duration::from_secs(1),
            until: None,
        };
        assert_eq!(open.wait(Some(u64::MAX)), Some(MAX_RETRY_AFTER));
        assert_eq!(open.wait(Some(3)), Some(Duration::from_secs(3)));
        assert_eq!(open.wait(None), Some(Duration::from_secs(1)));
        let soon = Budget {
            until: Instant::now().checked_add(Duration::from_secs(2)),
            ..open
        };
        assert_eq!(soon.wait(Some(3)), None);
        assert_eq!(soon.wait(None), Some(Duration::from_secs(1)));
    }
}

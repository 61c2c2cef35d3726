//! Durations: DURATION values for the timeout flags (`5`, `2.5`, `500ms`, `2s`, `1m`,
//! `1h`; `0` disables), and elapsed times as messages show them.

use std::fmt;
use std::time::Duration;

/// Longer than any sane timeout; beyond it a value is almost surely a typo.
const MAX_SECONDS: f64 = 7.0 * 24.0 * 3600.0;

/// A parsed timeout: `None` means "no limit" (the user wrote 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeout(pub Option<Duration>);

impl std::str::FromStr for Timeout {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        let (number, scale) = if let Some(n) = text.strip_suffix("ms") {
            (n, 0.001)
        } else if let Some(n) = text.strip_suffix('s') {
            (n, 1.0)
        } else if let Some(n) = text.strip_suffix('m') {
            (n, 60.0)
        } else if let Some(n) = text.strip_suffix('h') {
            (n, 3600.0)
        } else {
            (text, 1.0)
        };
        // f64's parser also takes "inf", "nan" and exponents; a duration is plain digits.
        let plain = !number.is_empty()
            && number
                .chars()
                .all(|c| c.is_ascii_digit() || c == '.' || c == '-');
        let value: f64 = match number.parse() {
            Ok(v) if plain => v,
            _ => {
                return Err(format!(
                    "'{text}' is not a duration (examples: 5, 2.5, 500ms, 2s, 1m)"
                ));
            }
        };
        let seconds = value * scale;
        if seconds < 0.0 {
            return Err(format!("'{text}' is negative; use 0 to disable the limit"));
        }
        if seconds > MAX_SECONDS {
            return Err(format!("'{text}' is longer than the maximum of 7 days"));
        }
        if seconds == 0.0 {
            return Ok(Timeout(None));
        }
        // Below a microsecond the kernel rounds to zero, which would mean "block forever".
        Ok(Timeout(Some(
            Duration::from_secs_f64(seconds).max(Duration::from_micros(1)),
        )))
    }
}

/// A duration shown the way a person reads it: `0.3ms`, `120ms`, `5.00s`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Elapsed(pub Duration);

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0.as_secs_f64() * 1000.0;
        if ms < 10.0 {
            write!(f, "{ms:.1}ms")
        } else if ms < 1000.0 {
            write!(f, "{ms:.0}ms")
        } else {
            write!(f, "{:.2}s", self.0.as_secs_f64())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elapsed_reads_naturally() {
        assert_eq!(Elapsed(Duration::from_micros(300)).to_string(), "0.3ms");
        assert_eq!(Elapsed(Duration::from_millis(120)).to_string(), "120ms");
        assert_eq!(Elapsed(Duration::from_secs(5)).to_string(), "5.00s");
    }

    fn parse(text: &str) -> Result<Option<Duration>, String> {
        text.parse::<Timeout>().map(|t| t.0)
    }

    #[test]
    fn accepts_plain_seconds_and_units() {
        assert_eq!(parse("5"), Ok(Some(Duration::from_secs(5))));
        assert_eq!(parse("2.5"), Ok(Some(Duration::from_millis(2500))));
        assert_eq!(parse("500ms"), Ok(Some(Duration::from_millis(500))));
        assert_eq!(parse("2s"), Ok(Some(Duration::from_secs(2))));
        assert_eq!(parse("1m"), Ok(Some(Duration::from_secs(60))));
        assert_eq!(parse("1h"), Ok(Some(Duration::from_secs(3600))));
        assert_eq!(parse(".5"), Ok(Some(Duration::from_millis(500))));
    }

    #[test]
    fn zero_disables() {
        assert_eq!(parse("0"), Ok(None));
        assert_eq!(parse("0ms"), Ok(None));
    }

    #[test]
    fn rejects_negative_nan_huge_and_garbage() {
        assert!(parse("-1").unwrap_err().contains("negative"));
        assert!(parse("NaN").unwrap_err().contains("not a duration"));
        assert!(parse("inf").unwrap_err().contains("not a duration"));
        assert!(parse("1e9").unwrap_err().contains("not a duration"));
        assert!(parse("8d").unwrap_err().contains("not a duration"));
        assert!(parse("1000000").unwrap_err().contains("maximum"));
        assert!(parse("").unwrap_err().contains("not a duration"));
        assert!(parse("s").unwrap_err().contains("not a duration"));
        assert!(parse("1.2.3").unwrap_err().contains("not a duration"));
    }
}

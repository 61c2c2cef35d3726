//! RFC 6265, 5.1.1: the cookie-date algorithm, which reads every Expires form
//! servers send (`Wed, 21 Oct 2015 07:28:00 GMT`, `Wed, 21-Oct-15 07:28:00 GMT`,
//! `Wed Oct 21 07:28:00 2015`).

use crate::tls::cert::days_from_civil;

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

/// UNIX seconds, or `None` for a date the algorithm rejects.
pub fn parse(text: &str) -> Option<i64> {
    let delimiter =
        |c: char| matches!(c as u32, 0x09 | 0x20..=0x2f | 0x3b..=0x40 | 0x5b..=0x60 | 0x7b..=0x7e);
    let (mut time, mut day, mut month, mut year) = (None, None, None, None);
    for token in text.split(delimiter).filter(|t| !t.is_empty()) {
        if time.is_none() {
            if let Some(found) = clock(token) {
                time = Some(found);
                continue;
            }
        }
        if day.is_none() {
            if let Some(found) = digits(token, 1, 2) {
                day = Some(found);
                continue;
            }
        }
        if month.is_none() {
            let lower = token.get(..3).map(str::to_ascii_lowercase);
            if let Some(i) = MONTHS.iter().position(|m| lower.as_deref() == Some(*m)) {
                month = Some(i as i64 + 1);
                continue;
            }
        }
        if year.is_none() {
            year = digits(token, 2, 4);
        }
    }
    let (hour, minute, second) = time?;
    let (day, month, mut year) = (day?, month?, year?);
    year += match year {
        70..=99 => 1900,
        0..=69 => 2000,
        _ => 0,
    };
    if !(1..=31).contains(&day) || year < 1601 || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(days * 86_400 + hour * 3600 + minute * 60 + second)
}

/// `min` to `max` leading digits (what follows them is ignored, as the RFC says).
fn digits(token: &str, min: usize, max: usize) -> Option<i64> {
    let count = token.bytes().take_while(u8::is_ascii_digit).count();
    if count < min || count > max {
        return None;
    }
    token[..count].parse().ok()
}

/// `hh:mm:ss`, each one or two digits.
fn clock(token: &str) -> Option<(i64, i64, i64)> {
    let mut fields = token.splitn(3, ':');
    let hour = digits(fields.next()?, 1, 2)?;
    let minute = digits(fields.next()?, 1, 2)?;
    let second = digits(fields.next()?, 1, 2)?;
    Some((hour, minute, second))
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn the_forms_servers_send() {
        let want = Some(1_445_412_480);
        assert_eq!(parse("Wed, 21 Oct 2015 07:28:00 GMT"), want);
        assert_eq!(parse("Wed, 21-Oct-15 07:28:00 GMT"), want);
        assert_eq!(parse("Wed Oct 21 07:28:00 2015"), want);
        assert_eq!(parse("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        for bad in [
            "",
            "tomorrow",
            "Wed, 32 Oct 2015 07:28:00 GMT",
            "21 Oct 2015",
            "99:99:99 1 jan 2020",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}

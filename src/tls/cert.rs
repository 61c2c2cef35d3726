//! What a certificate says, for messages and -v: subject and issuer common names,
//! validity dates, and the names it is valid for. A small DER walk over the
//! fields needed (RFC 5280, 4.1), not a certificate parser: anything it cannot
//! read is left out, never an error, since rustls has already judged the chain.

use std::net::IpAddr;

/// The parts of a certificate that messages show.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    pub subject: Option<String>,
    pub issuer: Option<String>,
    /// notBefore and notAfter, as seconds since the UNIX epoch.
    pub not_before: Option<i64>,
    pub not_after: Option<i64>,
    /// DNS names and IP addresses from subjectAltName.
    pub names: Vec<String>,
}

impl Summary {
    pub fn of(der: &[u8]) -> Summary {
        read(der).unwrap_or_default()
    }
}

/// One DER element: its tag and contents; the rest after it.
fn element(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 || rest.len() < count {
            return None;
        }
        let len = rest[..count]
            .iter()
            .fold(0usize, |n, &b| (n << 8) | usize::from(b));
        (len, &rest[count..])
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

const SEQUENCE: u8 = 0x30;

fn read(der: &[u8]) -> Option<Summary> {
    let (_, certificate, _) = element(der).filter(|(t, ..)| *t == SEQUENCE)?;
    let (_, tbs, _) = element(certificate).filter(|(t, ..)| *t == SEQUENCE)?;
    let mut rest = tbs;
    // [0] version, if present; then serialNumber and signature.
    if rest.first() == Some(&0xa0) {
        rest = element(rest)?.2;
    }
    rest = element(rest)?.2;
    rest = element(rest)?.2;
    let (_, issuer, after) = element(rest)?;
    let (_, validity, after) = element(after)?;
    let (_, subject, after) = element(after)?;
    let (_, _spki, mut after) = element(after)?;
    let (before, not_after_rest) = element(validity).map(|(t, v, r)| (time(t, v), r))?;
    let not_after = element(not_after_rest).and_then(|(t, v, _)| time(t, v));
    let mut names = Vec::new();
    while let Some((tag, value, next)) = element(after) {
        if tag == 0xa3 {
            names = subject_alt_names(value);
        }
        after = next;
    }
    Some(Summary {
        subject: common_name(subject),
        issuer: common_name(issuer),
        not_before: before,
        not_after,
        names,
    })
}

/// A DER Name (as a server lists the CAs it accepts) as `CN=…`; one without a
/// common name, by its length.
pub fn distinguished_name(der: &[u8]) -> String {
    element(der)
        .filter(|(tag, ..)| *tag == SEQUENCE)
        .and_then(|(_, name, _)| common_name(name))
        .unwrap_or_else(|| format!("(a name without CN, {} bytes)", der.len()))
}

/// The CN of a Name, as `CN=…`.
fn common_name(name: &[u8]) -> Option<String> {
    const CN: &[u8] = &[0x55, 0x04, 0x03];
    let mut sets = name;
    while let Some((_, set, next)) = element(sets) {
        let (_, pair, _) = element(set)?;
        let (_, oid, value) = element(pair)?;
        if oid == CN {
            let (_, text, _) = element(value)?;
            return Some(format!("CN={}", String::from_utf8_lossy(text)));
        }
        sets = next;
    }
    None
}

/// DNS names and IP addresses in the subjectAltName extension (2.5.29.17).
fn subject_alt_names(extensions: &[u8]) -> Vec<String> {
    const SAN: &[u8] = &[0x55, 0x1d, 0x11];
    let mut names = Vec::new();
    let Some((_, mut list, _)) = element(extensions) else {
        return names;
    };
    while let Some((_, extension, next)) = element(list) {
        list = next;
        let Some((_, oid, mut rest)) = element(extension) else {
            continue;
        };
        if oid != SAN {
            continue;
        }
        if rest.first() == Some(&0x01) {
            rest = element(rest).map_or(&[][..], |e| e.2); // critical
        }
        let Some((_, octets, _)) = element(rest) else {
            continue;
        };
        let Some((_, mut general, _)) = element(octets) else {
            continue;
        };
        while let Some((tag, value, next)) = element(general) {
            match (tag, value.len()) {
                (0x82, _) => names.push(String::from_utf8_lossy(value).into_owned()),
                (0x87, 4) => names
                    .push(IpAddr::from(<[u8; 4]>::try_from(value).unwrap_or_default()).to_string()),
                (0x87, 16) => names.push(
                    IpAddr::from(<[u8; 16]>::try_from(value).unwrap_or_default()).to_string(),
                ),
                _ => {}
            }
            general = next;
        }
    }
    names
}

/// UTCTime (YYMMDDHHMMSSZ) or GeneralizedTime (YYYYMMDDHHMMSSZ), as UNIX seconds.
fn time(tag: u8, value: &[u8]) -> Option<i64> {
    let text = std::str::from_utf8(value).ok()?.strip_suffix('Z')?;
    // Byte offsets below: a non-ASCII character would not split on them.
    if !text.is_ascii() {
        return None;
    }
    let (year, rest) = match tag {
        0x17 if text.len() == 12 => {
            let yy: i64 = text[..2].parse().ok()?;
            (if yy < 50 { 2000 + yy } else { 1900 + yy }, &text[2..])
        }
        0x18 if text.len() == 14 => (text[..4].parse().ok()?, &text[4..]),
        _ => return None,
    };
    let field = |i: usize| rest.get(i..i + 2)?.parse::<i64>().ok();
    let (month, day) = (field(0)?, field(2)?);
    let (hour, minute, second) = (field(4)?, field(6)?, field(8)?);
    Some(days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `YYYY-MM-DD` of UNIX seconds (the inverse of `days_from_civil`).
pub fn date(seconds: i64) -> String {
    let z = seconds.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(951_782_400), "2000-02-29");
        assert_eq!(date(-157_766_400), "1965-01-01");
        assert_eq!(days_from_civil(2000, 2, 29) * 86_400, 951_782_400);
        assert_eq!(time(0x17, b"000229000000Z"), Some(951_782_400));
        assert_eq!(
            time(0x18, b"40960101000000Z").map(date),
            Some("4096-01-01".into())
        );
        assert_eq!(time(0x17, b"garbage"), None);
        // Twelve bytes, but not ASCII: no slicing across a character.
        assert_eq!(time(0x17, "0é022900000Z".as_bytes()), None);
        assert_eq!(time(0x18, "2é00022900000Z".as_bytes()), None);
    }

    #[test]
    fn garbage_is_an_empty_summary() {
        assert_eq!(Summary::of(b""), Summary::default());
        assert_eq!(Summary::of(&[0x30, 0x82, 0xff]), Summary::default());
    }
}

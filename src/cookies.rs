//! The cookie engine (-b FILE, -c FILE): RFC 6265's storage and retrieval
//! rules, and the Netscape cookie file that curl and browsers' exporters
//! write. Hand-written: cookie_store with its URL and IDNA crates cost a plain
//! fetch 6 page faults and 6% of its time at start, used or not
//! (bench/README.md).

mod date;
mod file;

pub use file::{load, save};

use crate::target::{Host, Scheme, Target};

/// One cookie as RFC 6265, 5.3, stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cookie {
    pub name: String,
    pub value: String,
    /// Lower case, no leading dot.
    pub domain: String,
    /// Sent to `domain` only, not its subdomains (no Domain attribute).
    pub host_only: bool,
    pub path: String,
    pub secure: bool,
    pub http_only: bool,
    /// UNIX seconds; `None` for a session cookie.
    pub expires: Option<i64>,
}

/// The cookies of this run: loaded from -b files, set by responses.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Jar {
    cookies: Vec<Cookie>,
}

/// The host as cookies match it: lower case, an IPv6 address without brackets.
fn host_of(target: &Target) -> String {
    match &target.host {
        Host::Name(name) => name.to_ascii_lowercase(),
        Host::Ip(ip) => ip.to_string(),
    }
}

/// RFC 6265, 5.1.3: `host` is `domain` or a name under it (never an IP address).
fn domain_match(host: &str, domain: &str, host_is_ip: bool) -> bool {
    host == domain
        || (!host_is_ip
            && host
                .strip_suffix(domain)
                .is_some_and(|rest| rest.ends_with('.')))
}

/// RFC 6265, 5.1.4: the request path is the cookie's path or below it.
fn path_match(request: &str, cookie: &str) -> bool {
    let request = request.split('?').next().unwrap_or("/");
    request == cookie
        || (request.starts_with(cookie)
            && (cookie.ends_with('/') || request[cookie.len()..].starts_with('/')))
}

/// RFC 6265, 5.1.4: the directory of the request's path.
fn default_path(request: &str) -> String {
    let path = request.split('?').next().unwrap_or("/");
    match path.rfind('/') {
        Some(0) | None => "/".into(),
        Some(i) => path[..i].into(),
    }
}

impl Jar {
    pub fn cookies(&self) -> &[Cookie] {
        &self.cookies
    }

    /// Adds `cookie`, replacing one of the same name, domain and path; an
    /// expired one only removes its namesake (how a server deletes a cookie).
    pub fn insert(&mut self, cookie: Cookie, now: i64) {
        self.cookies.retain(|c| {
            !(c.name == cookie.name && c.domain == cookie.domain && c.path == cookie.path)
        });
        if cookie.expires.is_none_or(|at| at > now) {
            self.cookies.push(cookie);
        }
    }

    /// A Set-Cookie field from a response for `target` (RFC 6265, 5.2 and
    /// 5.3); what is ignored, and why, for -v.
    pub fn set(&mut self, field: &[u8], target: &Target, now: i64) -> Result<String, String> {
        let cookie = parse_set_cookie(field, target, now)?;
        let name = cookie.name.clone();
        self.insert(cookie, now);
        Ok(name)
    }

    /// The Cookie header's value for a request to `target` (RFC 6265, 5.4):
    /// longer paths first, then in the order set; `None` when none applies.
    pub fn header_for(&self, target: &Target, now: i64) -> Option<String> {
        let host = host_of(target);
        let is_ip = matches!(target.host, Host::Ip(_));
        let mut matching: Vec<&Cookie> = self
            .cookies
            .iter()
            .filter(|c| match c.host_only {
                true => c.domain == host,
                false => domain_match(&host, &c.domain, is_ip),
            })
            .filter(|c| path_match(&target.path, &c.path))
            .filter(|c| !c.secure || target.scheme == Scheme::Https)
            .filter(|c| c.expires.is_none_or(|at| at > now))
            .collect();
        if matching.is_empty() {
            return None;
        }
        // A stable sort keeps the order set among equal paths.
        matching.sort_by_key(|c| std::cmp::Reverse(c.path.len()));
        let pairs: Vec<String> = matching
            .iter()
            .map(|c| format!("{}={}", c.name, c.value))
            .collect();
        Some(pairs.join("; "))
    }
}

/// A Set-Cookie field as the cookie it sets for `target`, or why it is ignored.
fn parse_set_cookie(field: &[u8], target: &Target, now: i64) -> Result<Cookie, String> {
    let text = std::str::from_utf8(field).map_err(|_| "not UTF-8".to_string())?;
    if text.bytes().any(|b| b.is_ascii_control() && b != b'\t') {
        return Err("a control byte in it".into());
    }
    let mut parts = text.split(';');
    let pair = parts.next().unwrap_or_default();
    let (name, value) = pair.split_once('=').ok_or("no NAME=VALUE")?;
    let (name, value) = (name.trim(), value.trim());
    if name.is_empty() {
        return Err("an empty name".into());
    }
    let host = host_of(target);
    let mut cookie = Cookie {
        name: name.into(),
        value: value.into(),
        domain: host.clone(),
        host_only: true,
        path: default_path(&target.path),
        secure: false,
        http_only: false,
        expires: None,
    };
    let mut max_age = None;
    for attribute in parts {
        let (key, val) = attribute.split_once('=').unwrap_or((attribute, ""));
        let (key, val) = (key.trim().to_ascii_lowercase(), val.trim());
        match key.as_str() {
            "expires" => cookie.expires = date::parse(val).or(cookie.expires),
            "max-age" => max_age = max_age_at(val, now).or(max_age),
            "domain" if !val.is_empty() => {
                cookie.domain = val.trim_start_matches('.').to_ascii_lowercase();
                cookie.host_only = false;
            }
            "path" if val.starts_with('/') => cookie.path = val.into(),
            "secure" => cookie.secure = true,
            "httponly" => cookie.http_only = true,
            _ => {}
        }
    }
    // Max-Age wins over Expires (RFC 6265, 5.3, step 3).
    cookie.expires = max_age.or(cookie.expires);
    check_domain(&cookie, &host, matches!(target.host, Host::Ip(_)))?;
    if cookie.secure && target.scheme != Scheme::Https {
        return Err("Secure, set over plain HTTP (RFC 6265bis)".into());
    }
    Ok(cookie)
}

/// Max-Age's seconds as the time it ends; zero or less: already.
fn max_age_at(value: &str, now: i64) -> Option<i64> {
    let digits = value.strip_prefix('-').unwrap_or(value);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    match value.parse::<i64>() {
        Ok(seconds) if seconds <= 0 => Some(i64::MIN),
        Ok(seconds) => Some(now.saturating_add(seconds)),
        // More digits than i64 holds: as good as never.
        Err(_) if value.starts_with('-') => Some(i64::MIN),
        Err(_) => Some(i64::MAX),
    }
}

/// A Domain attribute must cover the host that set it, and be more than a
/// top-level name (fetch has no public suffix list: `com` is refused, a
/// registry's `co.uk` is not).
fn check_domain(cookie: &Cookie, host: &str, host_is_ip: bool) -> Result<(), String> {
    if cookie.host_only {
        return Ok(());
    }
    if !domain_match(host, &cookie.domain, host_is_ip) {
        return Err(format!("Domain={} does not cover {host}", cookie.domain));
    }
    if !cookie.domain.contains('.') && cookie.domain != host {
        return Err(format!("Domain={} is a top-level name", cookie.domain));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(url: &str) -> Target {
        Target::parse(url.as_bytes(), None).unwrap()
    }

    fn jar_after(url: &str, fields: &[&str]) -> Jar {
        let mut jar = Jar::default();
        for field in fields {
            let _ = jar.set(field.as_bytes(), &target(url), 1000);
        }
        jar
    }

    #[test]
    fn host_only_cookies_go_back_to_their_host_only() {
        let jar = jar_after("http://a.test/login", &["s=1", "t=2; Path=/"]);
        assert_eq!(
            jar.header_for(&target("http://a.test/x"), 1000).as_deref(),
            Some("s=1; t=2")
        );
        assert_eq!(jar.header_for(&target("http://b.a.test/x"), 1000), None);
        assert_eq!(jar.header_for(&target("http://other.test/"), 1000), None);
    }

    #[test]
    fn domain_cookies_go_to_subdomains_and_foreign_domains_are_refused() {
        let mut jar = Jar::default();
        let from = target("http://www.a.test/");
        assert!(jar.set(b"d=1; Domain=.a.test", &from, 0).is_ok());
        assert!(jar.set(b"x=1; Domain=other.test", &from, 0).is_err());
        assert!(jar.set(b"y=1; Domain=test", &from, 0).is_err());
        assert_eq!(
            jar.header_for(&target("http://api.a.test/"), 0).as_deref(),
            Some("d=1")
        );
        assert_eq!(jar.header_for(&target("http://a.test.evil/"), 0), None);
        assert_eq!(jar.header_for(&target("http://xa.test/"), 0), None);
    }

    #[test]
    fn paths_match_by_segment_and_longer_paths_come_first() {
        let jar = jar_after(
            "http://a.test/app/login",
            &["root=1; Path=/", "app=2", "deep=3; Path=/app/admin"],
        );
        let header = |path| jar.header_for(&target(&format!("http://a.test{path}")), 0);
        assert_eq!(
            header("/app/admin/x").as_deref(),
            Some("deep=3; app=2; root=1")
        );
        assert_eq!(header("/app").as_deref(), Some("app=2; root=1"));
        assert_eq!(header("/application").as_deref(), Some("root=1"));
    }

    #[test]
    fn secure_cookies_need_https_and_cannot_be_set_over_http() {
        let jar = jar_after("https://a.test/", &["s=1; Secure"]);
        assert_eq!(jar.header_for(&target("http://a.test/"), 0), None);
        assert_eq!(
            jar.header_for(&target("https://a.test/"), 0).as_deref(),
            Some("s=1")
        );
        assert!(
            jar_after("http://a.test/", &["s=1; Secure"])
                .cookies()
                .is_empty()
        );
    }

    #[test]
    fn expiry_max_age_and_deletion() {
        let url = "http://a.test/";
        let jar = jar_after(
            url,
            &[
                "a=1; Max-Age=60",
                "b=2; Expires=Thu, 01 Jan 1970 00:10:00 GMT",
            ],
        );
        assert_eq!(jar.cookies().len(), 1);
        assert_eq!(jar.cookies()[0].expires, Some(1060));
        assert_eq!(jar.header_for(&target(url), 2000), None);
        // Max-Age wins over Expires; 0 deletes.
        let jar = jar_after(
            url,
            &[
                "a=1",
                "a=2; Max-Age=0; Expires=Fri, 01 Jan 2100 00:00:00 GMT",
            ],
        );
        assert!(jar.cookies().is_empty());
        let jar = jar_after(url, &["a=1", "a=2"]);
        assert_eq!(jar.header_for(&target(url), 0).as_deref(), Some("a=2"));
    }

    proptest::proptest! {
        /// Any bytes a server sends as Set-Cookie, for any path, are stored or
        /// refused; what is stored goes back only to where it matches.
        #[test]
        fn any_set_cookie_is_stored_or_refused(
            field in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..120),
            path in "(/[a-z]{0,3}){1,3}",
            now in proptest::prelude::any::<i64>(),
        ) {
            let from = Target::parse(b"http://www.a.test", Some(path.as_bytes())).unwrap();
            let mut jar = Jar::default();
            if jar.set(&field, &from, now).is_ok() {
                let _ = jar.header_for(&from, now);
                proptest::prop_assert!(jar.header_for(&target("http://b.test/"), now).is_none());
            }
            let _ = date::parse(&String::from_utf8_lossy(&field));
        }
    }

    #[test]
    fn malformed_fields_are_ignored_without_panicking() {
        let jar = jar_after(
            "http://a.test/",
            &[
                "",
                "noequals",
                "=v",
                "a=1\r\nX: y",
                "m=1; Max-Age=99999999999999999999999",
            ],
        );
        assert_eq!(jar.cookies().len(), 1);
        assert_eq!(jar.cookies()[0].expires, Some(i64::MAX));
    }
}

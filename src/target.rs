//! TARGET and PATH from the command line, checked strictly: whatever passes here is
//! safe to put into a request line and a Host header byte for byte.
//!
//! Not the `url` crate: WHATWG parsing is lenient by design (it repairs spaces and
//! control bytes, which we must refuse) and it does not take bare `HOST:PORT`.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// http:// or https://; a bare HOST:PORT is plain HTTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Http,
    Https,
}

impl Scheme {
    pub fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    Name(String),
    Ip(IpAddr),
}

impl fmt::Display for Host {
    /// The form used in Host headers and messages: IPv6 in brackets.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Name(name) => f.write_str(name),
            Host::Ip(IpAddr::V6(ip)) => write!(f, "[{ip}]"),
            Host::Ip(IpAddr::V4(ip)) => write!(f, "{ip}"),
        }
    }
}

/// A user name and password from the URL (`http://user:pw@host/`), decoded.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub user: String,
    /// `None` when the URL gives only a user: it is asked for.
    pub password: Option<String>,
}

impl fmt::Debug for Credentials {
    /// Never the password: a Debug print can end up in a log.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "[hidden]"))
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// From the URL's userinfo; never part of `url()` or any message.
    pub credentials: Option<Credentials>,
    pub scheme: Scheme,
    pub host: Host,
    pub port: u16,
    /// The request-target: starts with `/`, ASCII only, no spaces or control bytes.
    pub path: String,
    /// The URL's fragment, without `#`: never sent, only reported (-w).
    pub fragment: Option<String>,
}

impl Target {
    /// Parses TARGET (`HOST`, `HOST:PORT`, `[IPV6]:PORT`, an IP literal or an
    /// `http://` URL) and the optional PATH argument.
    pub fn parse(target: &[u8], path: Option<&[u8]>) -> Result<Target, String> {
        let shown = || {
            format!(
                "invalid target '{}'",
                crate::escape::shown(&without_password(target))
            )
        };
        reject_controls(target).map_err(|why| format!("{}: {why}", shown()))?;
        let target =
            std::str::from_utf8(target).map_err(|_| format!("{}: not valid UTF-8", shown()))?;

        let (scheme, rest) = match target.split_once("://") {
            Some((name, rest)) if name.eq_ignore_ascii_case("http") => (Scheme::Http, rest),
            Some((name, rest)) if name.eq_ignore_ascii_case("https") => (Scheme::Https, rest),
            Some((name, _)) => {
                return Err(format!(
                    "{}: unsupported scheme '{name}'; fetch speaks http:// and https://",
                    shown()
                ));
            }
            None => (Scheme::Http, target),
        };

        let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, url_path) = rest.split_at(authority_end);
        let (credentials, authority) = match authority.rsplit_once('@') {
            Some((userinfo, host)) => (Some(credentials(userinfo)), host),
            None => (None, authority),
        };
        let (host, port) = parse_authority(authority, scheme.default_port())
            .map_err(|why| format!("{}: {why}", shown()))?;

        // A fragment is for the browser; it is never sent (RFC 9110, 4.2.4).
        let (url_path, fragment) = url_path
            .split_once('#')
            .map_or((url_path, None), |(p, f)| (p, Some(f.to_string())));
        let path = request_path(url_path, path).map_err(|why| match path {
            Some(port) if authority_has_no_port(authority) && is_port(port) => format!(
                "{why} (for port {0}, write {authority}:{0})",
                String::from_utf8_lossy(port)
            ),
            _ => why,
        })?;
        Ok(Target {
            credentials,
            scheme,
            host,
            port,
            path,
            fragment,
        })
    }

    /// The Host header value: the port only when it is not the scheme's own
    /// (RFC 9112, 3.2).
    pub fn host_header(&self) -> String {
        if self.port == self.scheme.default_port() {
            self.host.to_string()
        } else {
            self.authority()
        }
    }

    /// The target as a URL, as -w reports it.
    pub fn url(&self) -> String {
        format!(
            "{}://{}{}",
            self.scheme.name(),
            self.host_header(),
            self.path
        )
    }

    /// Where a redirect's `Location` points, resolved against this target
    /// (RFC 3986, 5.2): absolute, `//host…`, `/path`, `?query` or a relative
    /// path. A space becomes `%20`, control bytes and bytes above 0x7f are
    /// percent-encoded, a fragment is dropped. Only http and https are followed.
    pub fn follow(&self, location: &[u8]) -> Result<Target, String> {
        let encoded = encode_location(location.trim_ascii());
        let reference = encoded.split('#').next().unwrap_or_default();
        if reference.is_empty() {
            return Err("it is empty".into());
        }
        let scheme_end = reference.find(':').filter(|&i| {
            let name = &reference[..i];
            !name.is_empty()
                && name.starts_with(|c: char| c.is_ascii_alphabetic())
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        });
        let absolute = match scheme_end {
            Some(i) => {
                let name = &reference[..i];
                if !name.eq_ignore_ascii_case("http") && !name.eq_ignore_ascii_case("https") {
                    return Err(format!("fetch follows only http and https, not {name}"));
                }
                reference.to_string()
            }
            None if reference.starts_with("//") => format!("{}:{reference}", self.scheme.name()),
            None => {
                let path = match reference.as_bytes()[0] {
                    b'/' => remove_dot_segments(reference),
                    b'?' => format!("{}{reference}", self.path.split('?').next().unwrap_or("/")),
                    _ => {
                        let base = self.path.split('?').next().unwrap_or("/");
                        let dir = &base[..base.rfind('/').map_or(0, |i| i + 1)];
                        remove_dot_segments(&format!("{dir}{reference}"))
                    }
                };
                format!("{}://{}{path}", self.scheme.name(), self.host_header())
            }
        };
        let mut next = Target::parse(absolute.as_bytes(), None)?;
        // RFC 3986 5.2.2 removes them from an absolute reference too (curl test 663).
        next.path = remove_dot_segments(&next.path);
        if next.credentials.is_some() {
            return Err("it carries credentials, which fetch does not take from a server".into());
        }
        Ok(next)
    }

    /// Scheme, host (case aside) and port, the default one counted as given:
    /// what must match for credentials to go along (RFC 6454).
    pub fn origin(&self) -> (Scheme, String, u16) {
        (
            self.scheme,
            self.host.to_string().to_ascii_lowercase(),
            self.port,
        )
    }

    /// `host:port`, with IPv6 in brackets.
    pub fn authority(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }
}

/// The request-target: from the URL, or the PATH argument, not both.
fn request_path(url_path: &str, path: Option<&[u8]>) -> Result<String, String> {
    match (url_path, path) {
        ("", None) => Ok("/".to_string()),
        ("", Some(path)) => parse_path(path),
        (url_path, None) => {
            let url_path = if url_path.starts_with('?') {
                format!("/{url_path}")
            } else {
                url_path.to_string()
            };
            Ok(percent_encode_non_ascii(url_path.as_bytes()))
        }
        (_, Some(path)) if path.windows(3).any(|w| w == b"://") => Err(format!(
            "fetch takes one target, and '{}' is a second URL",
            crate::escape::shown(&without_password(path))
        )),
        (url_path, Some(_)) => Err(format!(
            "PATH given twice: the target already has the path '{url_path}'"
        )),
    }
}

fn parse_authority(authority: &str, default_port: u16) -> Result<(Host, u16), String> {
    if let Some(bracketed) = authority.strip_prefix('[') {
        let (inside, after) = bracketed
            .split_once(']')
            .ok_or("'[' without a closing ']'")?;
        let ip: Ipv6Addr = inside
            .parse()
            .map_err(|_| format!("'{inside}' is not an IPv6 address"))?;
        let port = match after {
            "" => default_port,
            _ => match after.strip_prefix(':') {
                Some(port) => parse_port(port)?,
                None => return Err(format!("unexpected '{after}' after ']'")),
            },
        };
        return Ok((Host::Ip(IpAddr::V6(ip)), port));
    }
    if authority.matches(':').count() > 1 {
        return match authority.parse::<Ipv6Addr>() {
            Ok(ip) => Ok((Host::Ip(IpAddr::V6(ip)), default_port)),
            Err(_) => Err("an IPv6 address with a port needs brackets, like [::1]:8080".into()),
        };
    }
    let (host, port) = match authority.split_once(':') {
        Some((host, port)) => (host, parse_port(port)?),
        None => (authority, default_port),
    };
    Ok((parse_host(host)?, port))
}

fn parse_host(host: &str) -> Result<Host, String> {
    if host.is_empty() {
        return Err("the host is empty".into());
    }
    if let Ok(ip) = host.parse::<Ipv4Addr>() {
        return Ok(Host::Ip(IpAddr::V4(ip)));
    }
    if !host.is_ascii() {
        return Err("non-ASCII host names are not supported; use the xn-- (punycode) form".into());
    }
    if let Some(bad) = host
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_')))
    {
        return Err(format!("'{bad}' is not allowed in a host name"));
    }
    if host.len() > 253 {
        return Err("the host name is longer than 253 characters".into());
    }
    Ok(Host::Name(host.to_string()))
}

fn parse_port(port: &str) -> Result<u16, String> {
    if port.is_empty() {
        return Err("the port after ':' is empty".into());
    }
    if !port.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("port '{port}' is not a number"));
    }
    match port.parse::<u32>() {
        Ok(n @ 1..=65535) => Ok(n as u16),
        _ => Err(format!("port {port} is out of range (1-65535)")),
    }
}

/// `api.test`, not `api.test:80` or `[::1]:80`.
fn authority_has_no_port(authority: &str) -> bool {
    let after_bracket = authority.rsplit_once(']').map_or(authority, |(_, p)| p);
    !after_bracket.contains(':')
}

/// A PATH that is a port number: `fetch api.test 8080`.
fn is_port(text: &[u8]) -> bool {
    !text.is_empty()
        && text.len() <= 5
        && text.iter().all(u8::is_ascii_digit)
        && std::str::from_utf8(text).is_ok_and(|t| t.parse::<u16>().is_ok_and(|n| n > 0))
}

fn parse_path(path: &[u8]) -> Result<String, String> {
    let shown = || format!("invalid PATH '{}'", crate::escape::shown(path));
    reject_controls(path).map_err(|why| format!("{}: {why}", shown()))?;
    if !path.starts_with(b"/") {
        return Err(format!("{}: it must start with '/'", shown()));
    }
    Ok(percent_encode_non_ascii(path))
}

/// The target as typed, with any password in its authority (`user:PASSWORD@host`)
/// replaced by `***`: a target is echoed in messages, and those end up in CI logs.
pub fn without_password(target: &[u8]) -> Vec<u8> {
    let start = find(target, b"://").map_or(0, |i| i + 3);
    let end = target[start..]
        .iter()
        .position(|b| b"/?#".contains(b))
        .map_or(target.len(), |i| start + i);
    let Some(at) = target[start..end].iter().rposition(|&b| b == b'@') else {
        return target.to_vec();
    };
    let userinfo = &target[start..start + at];
    let Some(colon) = userinfo.iter().position(|&b| b == b':') else {
        return target.to_vec();
    };
    let mut shown = target[..start + colon + 1].to_vec();
    shown.extend_from_slice(b"***");
    shown.extend_from_slice(&target[start + at..]);
    shown
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Spaces and control bytes would end or split the request line: refuse them all.
fn reject_controls(text: &[u8]) -> Result<(), String> {
    match text.iter().position(|&b| b.is_ascii_control() || b == b' ') {
        None => Ok(()),
        Some(at) => {
            let what = match text[at] {
                b' ' => "a space".to_string(),
                b'\r' => "a carriage return (CR)".to_string(),
                b'\n' => "a line feed (LF)".to_string(),
                0 => "a NUL byte".to_string(),
                b'\t' => "a tab".to_string(),
                other => format!("control byte 0x{other:02x}"),
            };
            Err(format!("{what} at position {at} is not allowed"))
        }
    }
}

/// `user[:password]`, percent-decoded (RFC 3986, 3.2.1).
fn credentials(userinfo: &str) -> Credentials {
    let (user, password) = match userinfo.split_once(':') {
        Some((user, password)) => (user, Some(password)),
        None => (userinfo, None),
    };
    Credentials {
        user: percent_decode(user),
        password: password.map(percent_decode),
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A Location value made safe to send: space, control bytes and bytes above
/// 0x7f percent-encoded, the rest as the server sent it.
fn encode_location(location: &[u8]) -> String {
    let mut out = String::with_capacity(location.len());
    for &b in location {
        if b == b' ' || b.is_ascii_control() || !b.is_ascii() {
            out.push_str(&format!("%{b:02X}"));
        } else {
            out.push(b as char);
        }
    }
    out
}

/// RFC 3986, 5.2.4, on a path that may carry a query: `.` and `..` segments go.
fn remove_dot_segments(path_and_query: &str) -> String {
    let (path, query) = match path_and_query.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (path_and_query, None),
    };
    let mut segments: Vec<&str> = Vec::new();
    let parts: Vec<&str> = path.split('/').skip(1).collect();
    for (i, segment) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        match *segment {
            "." => {
                if last {
                    segments.push("");
                }
            }
            ".." => {
                segments.pop();
                if last {
                    segments.push("");
                }
            }
            other => segments.push(other),
        }
    }
    let mut out = format!("/{}", segments.join("/"));
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

/// Bytes above 0x7f go out as `%XX` (RFC 3986, 2.1); everything else as given.
fn percent_encode_non_ascii(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if b.is_ascii() {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(target: &str, path: Option<&str>) -> Target {
        Target::parse(target.as_bytes(), path.map(str::as_bytes)).unwrap()
    }

    fn err(target: &str, path: Option<&str>) -> String {
        Target::parse(target.as_bytes(), path.map(str::as_bytes)).unwrap_err()
    }

    fn name(host: &str) -> Host {
        Host::Name(host.into())
    }

    #[test]
    fn host_forms() {
        assert_eq!(ok("example.test", None).host, name("example.test"));
        assert_eq!(ok("example.test", None).port, 80);
        assert_eq!(ok("example.test:8080", None).port, 8080);
        assert_eq!(
            ok("10.1.2.3:81", None).host,
            Host::Ip("10.1.2.3".parse().unwrap())
        );
        let v6 = ok("[::1]:8080", None);
        assert_eq!(v6.host, Host::Ip("::1".parse().unwrap()));
        assert_eq!(v6.port, 8080);
        assert_eq!(ok("::1", None).port, 80);
        assert_eq!(ok("[::1]", None).port, 80);
    }

    #[test]
    fn url_forms() {
        let t = ok("http://example.test:8080/a/b?q=1#frag", None);
        assert_eq!((t.port, t.path.as_str()), (8080, "/a/b?q=1"));
        assert_eq!(ok("HTTP://example.test", None).path, "/");
        assert_eq!(ok("http://example.test?x", None).path, "/?x");
        assert_eq!(ok("http://example.test", Some("/p")).path, "/p");
        assert_eq!(ok("example.test:81/health", None).path, "/health");
    }

    #[test]
    fn https_defaults_to_port_443_and_leaves_it_out_of_host() {
        let t = ok("https://example.test/x", None);
        assert_eq!((t.scheme, t.port), (Scheme::Https, 443));
        assert_eq!(t.host_header(), "example.test");
        assert_eq!(t.url(), "https://example.test/x");
        let t = ok("HTTPS://example.test:80/", None);
        assert_eq!((t.port, t.host_header().as_str()), (80, "example.test:80"));
        assert_eq!(ok("example.test:443", None).scheme, Scheme::Http);
    }

    #[test]
    fn locations_resolve_against_the_current_url() {
        let base = ok("http://a.test:8080/dir/page?x=1", None);
        let at = |l: &str| base.follow(l.as_bytes()).map(|t| t.url());
        assert_eq!(at("https://b.test/new"), Ok("https://b.test/new".into()));
        assert_eq!(at("//c.test/p"), Ok("http://c.test/p".into()));
        assert_eq!(at("/root?q"), Ok("http://a.test:8080/root?q".into()));
        assert_eq!(at("?y=2"), Ok("http://a.test:8080/dir/page?y=2".into()));
        assert_eq!(at("other"), Ok("http://a.test:8080/dir/other".into()));
        assert_eq!(at("../up/./x"), Ok("http://a.test:8080/up/x".into()));
        assert_eq!(at("../../.."), Ok("http://a.test:8080/".into()));
        assert_eq!(at("/a b#frag"), Ok("http://a.test:8080/a%20b".into()));
        assert_eq!(at("/caf\u{e9}"), Ok("http://a.test:8080/caf%C3%A9".into()));
        assert_eq!(at("  /trimmed  "), Ok("http://a.test:8080/trimmed".into()));
        assert_eq!(at("HTTP://D.test"), Ok("http://D.test/".into()));
    }

    #[test]
    fn origins_differ_by_scheme_host_or_port_only() {
        let origin = |url: &str| ok(url, None).origin();
        assert_eq!(origin("http://A.test/x"), origin("http://a.test:80/y"));
        assert_eq!(origin("https://a.test/"), origin("https://a.test:443/"));
        assert_ne!(origin("http://a.test/"), origin("https://a.test/"));
        assert_ne!(origin("http://a.test/"), origin("http://b.test/"));
        assert_ne!(origin("http://a.test/"), origin("http://a.test:8080/"));
    }

    #[test]
    fn bad_locations_say_why() {
        let base = ok("http://a.test/", None);
        let why = |l: &str| base.follow(l.as_bytes()).unwrap_err();
        assert!(why("ftp://x/").contains("only http and https, not ftp"));
        assert!(why("javascript:alert(1)").contains("not javascript"));
        assert!(why("").contains("empty"));
        assert!(why("http://").contains("the host is empty"));
        assert!(why("http://u:p@h/").contains("credentials"));
    }

    #[test]
    fn credentials_in_a_url_are_decoded_and_kept_out_of_the_url() {
        let t = ok("http://al%69ce:s3%3Acret@h.test:8080/p", None);
        let c = t.credentials.clone().unwrap();
        assert_eq!(
            (c.user.as_str(), c.password.as_deref()),
            ("alice", Some("s3:cret"))
        );
        assert_eq!(t.url(), "http://h.test:8080/p");
        assert!(!format!("{t:?}").contains("s3:cret"));
        assert_eq!(ok("bob@h.test", None).credentials.unwrap().password, None);
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
    }

    #[test]
    fn host_header_has_port_only_when_not_80() {
        assert_eq!(ok("example.test", None).host_header(), "example.test");
        assert_eq!(ok("example.test:81", None).host_header(), "example.test:81");
        assert_eq!(ok("[::1]:80", None).host_header(), "[::1]");
        assert_eq!(ok("[::1]:81", None).host_header(), "[::1]:81");
    }

    #[test]
    fn non_ascii_path_bytes_are_percent_encoded() {
        assert_eq!(ok("h", Some("/é?ü")).path, "/%C3%A9?%C3%BC");
        let raw = Target::parse(b"h", Some(b"/\xff")).unwrap();
        assert_eq!(raw.path, "/%FF");
    }

    #[test]
    fn rejects_bad_input_naming_the_part() {
        assert!(err(":80", None).contains("the host is empty"));
        assert!(err("http://", None).contains("the host is empty"));
        assert!(err("h:0", None).contains("port 0 is out of range"));
        assert!(err("h:65536", None).contains("out of range"));
        assert!(err("h:http", None).contains("not a number"));
        assert!(err("h:+80", None).contains("not a number"));
        assert!(err("h:", None).contains("empty"));
        assert!(err("ftp://h/", None).contains("unsupported scheme 'ftp'"));
        assert!(err("h", Some("x")).contains("must start with '/'"));
        assert!(err("h", Some("/a b")).contains("a space at position 2"));
        assert!(err("h", Some("/a\r\nX: y")).contains("carriage return"));
        assert!(err("h\0", None).contains("NUL"));
        assert!(err("h\n", None).contains("line feed"));
        assert!(err("http://h/a", Some("/b")).contains("PATH given twice"));
        assert!(err("::1:99999x", None).contains("brackets"));
        assert!(err("[::1", None).contains("closing"));
        assert!(err("http://u:pw@h:0/x", None).starts_with("invalid target 'http://u:***@h:0/x'"));
        assert!(err("u:p:w@h:0", None).starts_with("invalid target 'u:***@h:0'"));
        assert!(err("http://h/a@b c", None).contains("'http://h/a@b c'"));
        assert!(err("h/x y", None).contains("space"));
        assert!(err("exämple.test", None).contains("punycode"));
        assert!(err("a,b", None).contains("','"));
    }
}

//! The request bytes, built once before any socket exists.

use crate::payload::Payload;
use crate::target::Target;

pub const USER_AGENT: &str = concat!("fetch/", env!("CARGO_PKG_VERSION"));

/// The Content-Type of a -d body unless the user gives another (curl's default).
pub const FORM_TYPE: &str = "application/x-www-form-urlencoded";

/// The headers every request carries, in the order they are sent.
pub fn default_headers(target: &Target) -> Vec<(String, String)> {
    vec![
        ("Host".into(), target.host_header()),
        ("User-Agent".into(), USER_AGENT.into()),
        ("Accept".into(), "*/*".into()),
    ]
}

/// The request, as it goes on the wire, with what the rest of the fetch must know
/// about it decided once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The request line and the headers, blank line included.
    pub head: Vec<u8>,
    pub body: Payload,
    /// A reply to HEAD has no body whatever it announces (RFC 9110, 9.3.2),
    /// however the method was asked for.
    pub is_head: bool,
    /// Only GET and HEAD may be sent again after the server may have seen them.
    pub repeatable: bool,
    /// What the request was built from, to build the next one on a redirect;
    /// `None` for --raw, whose bytes are the user's and are not rewritten.
    parts: Option<Parts>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Parts {
    method: String,
    /// The method without -X (GET, HEAD with -I, POST with -d): what a redirect
    /// other than 307 and 308 starts from.
    natural: String,
    headers: Vec<(String, String)>,
    body: Payload,
    /// The Authorization header holds credentials written in the URL: they
    /// belong to its origin, --location-trusted or not (curl test 998).
    url_credentials: bool,
    /// --http1.1: the request line says HTTP/1.1 (the headers say close).
    http11: bool,
}

/// Headers that carry credentials: they go to another origin only with
/// --location-trusted.
const CREDENTIALS: [&str; 3] = ["authorization", "cookie", "proxy-authorization"];

/// Headers that describe the body: they go when the body goes.
const BODY_HEADERS: [&str; 2] = ["content-length", "content-type"];

/// The request's method: as sent, and as it would be without -X (GET, HEAD
/// with -I, POST with a body), which a redirect other than 307 and 308 starts
/// from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Method<'a> {
    pub sent: &'a str,
    pub natural: &'a str,
}

impl<'a> Method<'a> {
    /// A method the flags chose themselves, with no -X.
    pub fn natural(method: &'a str) -> Method<'a> {
        Method {
            sent: method,
            natural: method,
        }
    }
}

impl Request {
    pub fn new(
        method: Method,
        target: &Target,
        headers: Vec<(String, String)>,
        body: Payload,
    ) -> Request {
        let parts = Parts {
            method: method.sent.to_string(),
            natural: method.natural.to_string(),
            headers,
            body,
            url_credentials: false,
            http11: false,
        };
        Request::from_parts(parts, &target.path)
    }

    /// --http1.1: the same request, in HTTP/1.1.
    pub fn in_http11(self, target: &Target) -> Request {
        match self.parts {
            Some(mut parts) => {
                parts.http11 = true;
                Request::from_parts(parts, &target.path)
            }
            None => self,
        }
    }

    /// Marks the Authorization header as the URL's credentials.
    pub fn with_url_credentials(mut self) -> Request {
        if let Some(parts) = &mut self.parts {
            parts.url_credentials = true;
        }
        self
    }

    fn from_parts(parts: Parts, path: &str) -> Request {
        let method = parts.method.as_str();
        Request {
            head: encode(&parts, path),
            body: parts.body.clone(),
            is_head: method == "HEAD",
            repeatable: method == "GET" || method == "HEAD",
            parts: Some(parts),
        }
    }

    /// --raw: the user's bytes, sent as they are; the method is read off them.
    pub fn raw(mut bytes: Vec<u8>) -> Request {
        // Split where the head ends, for the trace: what follows is the body.
        let head_end = bytes
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map_or(bytes.len(), |i| i + 4);
        let body = Payload::from_bytes(bytes.split_off(head_end));
        Request {
            is_head: bytes.starts_with(b"HEAD "),
            repeatable: bytes.starts_with(b"GET ") || bytes.starts_with(b"HEAD "),
            head: bytes,
            body,
            parts: None,
        }
    }

    /// All the bytes, files read: what a test compares.
    #[cfg(test)]
    pub fn wire(&self) -> Vec<u8> {
        [self.head.clone(), self.body.to_vec().unwrap()].concat()
    }

    /// The request as a proxy takes it: the request line names the whole URL
    /// (RFC 9112, 3.2.2, absolute-form), and the proxy's own credentials go in
    /// Proxy-Authorization. --raw bytes go as they are.
    pub fn through_proxy(&self, target: &Target, proxy_authorization: Option<String>) -> Request {
        let Some(parts) = &self.parts else {
            return self.clone();
        };
        let mut parts = parts.clone();
        if let Some(credentials) = proxy_authorization {
            parts
                .headers
                .push(("Proxy-Authorization".into(), credentials));
        }
        Request::from_parts(parts, &target.url())
    }

    /// The request with the cookie engine's cookies for this hop, after any
    /// the user gave with -b; `None` for --raw, whose bytes are the user's.
    pub fn with_cookies(&self, cookies: &str, target: &Target) -> Option<Request> {
        let mut parts = self.parts.clone()?;
        let given = parts
            .headers
            .iter_mut()
            .find(|(name, _)| name.eq_ignore_ascii_case("cookie"));
        match given {
            Some((_, value)) => *value = format!("{value}; {cookies}"),
            None => parts.headers.push(("Cookie".into(), cookies.into())),
        }
        Some(Request::from_parts(parts, &target.path))
    }

    pub fn method(&self) -> Option<&str> {
        self.parts.as_ref().map(|p| p.method.as_str())
    }

    /// The request for the next hop of a redirect with `status` to `to`
    /// (RFC 9110, 15.4, as curl's --follow does it): 301 and 302 turn POST into
    /// GET, 303 turns every method but HEAD into GET, dropping the body and the
    /// headers that describe it; 307 and 308 keep method and body. A method
    /// given with -X is kept only on 307 and 308. Host becomes the new
    /// target's; credentials are dropped on a change of origin unless
    /// `trusted`. `None` for --raw; else the request and whether credentials
    /// were dropped.
    pub fn next_hop(
        &self,
        status: u16,
        to: &Target,
        same_origin: bool,
        trusted: bool,
    ) -> Option<(Request, bool)> {
        let parts = self.parts.as_ref()?;
        let keep_body = matches!(status, 307 | 308);
        let method = match (status, parts.natural.as_str()) {
            (307 | 308, _) => parts.method.clone(),
            (303, "HEAD") => "HEAD".into(),
            (303, _) | (301 | 302, "POST") => "GET".into(),
            (_, natural) => natural.to_string(),
        };
        let mut dropped = false;
        let mut headers = Vec::new();
        for (name, value) in &parts.headers {
            let lower = name.to_ascii_lowercase();
            if !keep_body && BODY_HEADERS.contains(&lower.as_str()) {
                continue;
            }
            let trusted = trusted && !(parts.url_credentials && lower == "authorization");
            if !same_origin && !trusted && CREDENTIALS.contains(&lower.as_str()) {
                dropped = true;
                continue;
            }
            let value = if lower == "host" {
                to.host_header()
            } else {
                value.clone()
            };
            headers.push((name.clone(), value));
        }
        let next = Parts {
            natural: method.clone(),
            method,
            url_credentials: parts.url_credentials && same_origin,
            http11: parts.http11,
            headers,
            body: if keep_body {
                parts.body.clone()
            } else {
                Payload::default()
            },
        };
        Some((Request::from_parts(next, &to.path), dropped))
    }
}

/// `METHOD PATH HTTP/1.0`, the headers, a blank line (RFC 1945, 5).
/// HTTP/1.0 so the server closes the connection after the response;
/// HTTP/1.1 when asked, whose headers then carry `Connection: close`.
fn encode(parts: &Parts, path: &str) -> Vec<u8> {
    let version = if parts.http11 { "HTTP/1.1" } else { "HTTP/1.0" };
    let mut head = format!("{} {path} {version}\r\n", parts.method);
    for (name, value) in &parts.headers {
        head.push_str(name);
        head.push_str(": ");
        head.push_str(value);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    head.into_bytes()
}

/// RFC 9110, 5.6.2: the characters a method or a header name may use.
fn is_token(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Checks a method given with -X.
pub fn parse_method(method: &str) -> Result<String, String> {
    if is_token(method) {
        Ok(method.to_string())
    } else {
        Err(format!(
            "invalid method '{}': only letters, digits and !#$%&'*+-.^_`|~ are allowed",
            crate::escape::shown(method.as_bytes())
        ))
    }
}

/// Checks a header value: CR, LF, NUL and other control bytes would let it
/// end the header early and inject another one, so they are refused (tab is allowed).
pub fn check_value(name: &str, value: &str) -> Result<(), String> {
    match value.bytes().find(|&b| b.is_ascii_control() && b != b'\t') {
        None => Ok(()),
        Some(b) => Err(format!(
            "invalid value for header '{name}': control byte 0x{b:02x} is not allowed"
        )),
    }
}

/// Parses `-H 'Name: value'`. An empty value (`Name:`) means "remove this header".
pub fn parse_header(line: &str) -> Result<(String, Option<String>), String> {
    let (name, value) = line.split_once(':').ok_or_else(|| {
        format!(
            "invalid header '{}': expected 'Name: value'",
            crate::escape::shown(line.as_bytes())
        )
    })?;
    if !is_token(name) {
        return Err(format!(
            "invalid header name '{}': only letters, digits and !#$%&'*+-.^_`|~ are allowed",
            crate::escape::shown(name.as_bytes())
        ));
    }
    let value = value.trim_matches([' ', '\t']);
    check_value(name, value)?;
    Ok((
        name.to_string(),
        (!value.is_empty()).then(|| value.to_string()),
    ))
}

/// Applies the user's headers to the defaults: a header of the same name as a default
/// replaces it in place, `None` removes every header of that name, others are added.
pub fn merge_headers(
    mut headers: Vec<(String, String)>,
    user: Vec<(String, Option<String>)>,
) -> Vec<(String, String)> {
    let defaults = headers.len();
    let mut replaced = vec![false; defaults];
    for (name, value) in user {
        match value {
            None => headers.retain(|(n, _)| !n.eq_ignore_ascii_case(&name)),
            Some(value) => {
                let slot = (0..headers.len().min(defaults))
                    .find(|&i| !replaced[i] && headers[i].0.eq_ignore_ascii_case(&name));
                match slot {
                    Some(i) => {
                        replaced[i] = true;
                        headers[i] = (name, value);
                    }
                    None => headers.push((name, value)),
                }
            }
        }
    }
    headers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_request_is_exactly_as_documented() {
        let target = Target::parse(b"example.test:8080", Some(b"/x?y")).unwrap();
        let bytes = Request::new(
            Method::natural("GET"),
            &target,
            default_headers(&target),
            Payload::default(),
        )
        .wire();
        let expected = format!(
            "GET /x?y HTTP/1.0\r\nHost: example.test:8080\r\nUser-Agent: {USER_AGENT}\r\nAccept: */*\r\n\r\n"
        );
        assert_eq!(String::from_utf8(bytes).unwrap(), expected);
    }

    fn user(pairs: &[(&str, Option<&str>)]) -> Vec<(String, Option<String>)> {
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.map(str::to_string)))
            .collect()
    }

    #[test]
    fn user_headers_replace_remove_and_add() {
        let target = Target::parse(b"h", None).unwrap();
        let merged = merge_headers(
            default_headers(&target),
            user(&[
                ("accept", Some("text/plain")),
                ("User-Agent", None),
                ("X-A", Some("1")),
                ("X-A", Some("2")),
            ]),
        );
        let names: Vec<String> = merged.iter().map(|(n, v)| format!("{n}={v}")).collect();
        assert_eq!(names, ["Host=h", "accept=text/plain", "X-A=1", "X-A=2"]);
    }

    #[test]
    fn header_lines_are_checked() {
        assert_eq!(
            parse_header("X-Trace:  a b \t"),
            Ok(("X-Trace".into(), Some("a b".into())))
        );
        assert_eq!(parse_header("Accept:"), Ok(("Accept".into(), None)));
        assert!(parse_header("X: a\r\nY: b").unwrap_err().contains("0x0d"));
        assert!(parse_header("X: a\0").unwrap_err().contains("0x00"));
        assert!(
            parse_header("Bad Name: x")
                .unwrap_err()
                .contains("invalid header name")
        );
        assert!(
            parse_header(": x")
                .unwrap_err()
                .contains("invalid header name")
        );
        assert!(
            parse_header("NoColon")
                .unwrap_err()
                .contains("expected 'Name: value'")
        );
    }

    #[test]
    fn head_and_repeatable_are_decided_from_the_method() {
        let target = Target::parse(b"h", None).unwrap();
        let built = |method| {
            Request::new(
                Method::natural(method),
                &target,
                Vec::new(),
                Payload::default(),
            )
        };
        assert!(built("HEAD").is_head && built("HEAD").repeatable);
        assert!(!built("GET").is_head && built("GET").repeatable);
        assert!(!built("POST").repeatable && !built("DELETE").repeatable);
        let raw = Request::raw(b"HEAD / HTTP/1.0\r\n\r\n".to_vec());
        assert!(raw.is_head && raw.repeatable);
        assert!(!Request::raw(b"PUT / HTTP/1.0\r\n\r\n".to_vec()).repeatable);
    }

    #[test]
    fn redirects_change_the_method_and_the_body_as_curls_follow_does() {
        let from = Target::parse(b"a.test", Some(b"/form")).unwrap();
        let to = Target::parse(b"a.test", Some(b"/next")).unwrap();
        let headers = vec![
            ("Host".into(), "a.test".into()),
            ("Content-Type".into(), FORM_TYPE.into()),
            ("Content-Length".into(), "3".into()),
        ];
        let post = Request::new(
            Method::natural("POST"),
            &from,
            headers.clone(),
            Payload::from_bytes(b"a=1".to_vec()),
        );
        let hop = |request: &Request, status| {
            let (next, _) = request.next_hop(status, &to, true, false).unwrap();
            String::from_utf8(next.wire()).unwrap()
        };
        for status in [301, 302, 303] {
            assert_eq!(
                hop(&post, status),
                "GET /next HTTP/1.0\r\nHost: a.test\r\n\r\n",
                "{status}"
            );
        }
        for status in [307, 308] {
            assert!(
                hop(&post, status).starts_with("POST /next HTTP/1.0\r\n"),
                "{status}"
            );
            assert!(
                hop(&post, status).ends_with("Content-Length: 3\r\n\r\na=1"),
                "{status}"
            );
        }
        // -X PUT: kept on 307 and 308 only; else what the request is without -X.
        let put = Request::new(
            Method {
                sent: "PUT",
                natural: "GET",
            },
            &from,
            vec![("Host".into(), "a.test".into())],
            Payload::default(),
        );
        assert!(hop(&put, 301).starts_with("GET /next"));
        assert!(hop(&put, 307).starts_with("PUT /next"));
        let head = Request::new(
            Method::natural("HEAD"),
            &from,
            Vec::new(),
            Payload::default(),
        );
        assert!(hop(&head, 303).starts_with("HEAD /next"));
        assert!(
            Request::raw(b"GET / HTTP/1.0\r\n\r\n".to_vec())
                .next_hop(301, &to, true, false)
                .is_none()
        );
    }

    #[test]
    fn credentials_stay_on_the_same_origin_unless_trusted() {
        let from = Target::parse(b"a.test", None).unwrap();
        let to = Target::parse(b"b.test", None).unwrap();
        let headers = vec![
            ("Host".into(), "a.test".into()),
            ("Authorization".into(), "Basic eDp5".into()),
            ("cookie".into(), "s=1".into()),
            ("X-Other".into(), "kept".into()),
        ];
        let get = Request::new(Method::natural("GET"), &from, headers, Payload::default());
        let (elsewhere, dropped) = get.next_hop(302, &to, false, false).unwrap();
        assert!(dropped);
        assert_eq!(
            String::from_utf8(elsewhere.wire()).unwrap(),
            "GET / HTTP/1.0\r\nHost: b.test\r\nX-Other: kept\r\n\r\n"
        );
        let (trusted, dropped) = get.next_hop(302, &to, false, true).unwrap();
        assert!(
            !dropped
                && String::from_utf8_lossy(&trusted.wire()).contains("Authorization: Basic eDp5")
        );
        let (same, dropped) = get.next_hop(302, &from, true, false).unwrap();
        assert!(!dropped && String::from_utf8_lossy(&same.wire()).contains("cookie: s=1"));
    }

    #[test]
    fn methods_are_tokens() {
        assert_eq!(parse_method("PURGE"), Ok("PURGE".into()));
        assert!(parse_method("GET /x").is_err());
        assert!(parse_method("").is_err());
        assert!(parse_method("G\r\nET").is_err());
    }
}

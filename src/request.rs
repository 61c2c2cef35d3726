//! The request bytes, built once before any socket exists.

use crate::target::Target;

pub const USER_AGENT: &str = concat!("fetch/", env!("CARGO_PKG_VERSION"));

/// The headers every request carries, in the order they are sent.
pub fn default_headers(target: &Target) -> Vec<(String, String)> {
    vec![
        ("Host".into(), target.host_header()),
        ("User-Agent".into(), USER_AGENT.into()),
        ("Accept".into(), "*/*".into()),
    ]
}

/// `METHOD PATH HTTP/1.0`, the headers, a blank line (RFC 1945, 5).
/// HTTP/1.0 so the server closes the connection after the response.
pub fn encode(method: &str, path: &str, headers: &[(String, String)]) -> Vec<u8> {
    let mut head = format!("{method} {path} HTTP/1.0\r\n");
    for (name, value) in headers {
        head.push_str(name);
        head.push_str(": ");
        head.push_str(value);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    head.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_request_is_exactly_as_documented() {
        let target = Target::parse(b"example.test:8080", Some(b"/x?y")).unwrap();
        let bytes = encode("GET", &target.path, &default_headers(&target));
        let expected = format!(
            "GET /x?y HTTP/1.0\r\nHost: example.test:8080\r\nUser-Agent: {USER_AGENT}\r\nAccept: */*\r\n\r\n"
        );
        assert_eq!(String::from_utf8(bytes).unwrap(), expected);
    }
}

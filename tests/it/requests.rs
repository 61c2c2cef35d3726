//! What the server receives for -X, -H, -A and -d, byte for byte.

use crate::support::*;
use predicates::str::contains;

/// Runs fetch with `args` before the server's address and returns the request it sent.
fn sent(args: &[&str], stdin: Option<&str>) -> String {
    let server = reply(ok_response(b"ok"));
    let mut command = fetch();
    command.args(args).arg(server.target());
    if let Some(input) = stdin {
        command.write_stdin(input);
    }
    command.assert().code(0).stdout("ok");
    String::from_utf8(server.finish()).unwrap()
}

/// The request fetch sends by default, with `method`, `extra` header lines and `body`.
fn expected(method: &str, headers: &str, body: &str) -> String {
    format!("{method} / HTTP/1.0\r\n{headers}\r\n{body}")
}

fn defaults() -> String {
    format!("User-Agent: {}\r\nAccept: */*\r\n", user_agent())
}

/// Host is first; the server's port differs each run, so it is checked apart.
fn without_host(request: &str) -> String {
    let (line, rest) = request.split_once("\r\n").unwrap();
    let (host, rest) = rest.split_once("\r\n").unwrap();
    assert!(host.starts_with("Host: 127.0.0.1:"), "{request}");
    format!("{line}\r\n{rest}")
}

#[test]
fn method_flag_sets_the_request_line() {
    let request = without_host(&sent(&["-X", "DELETE"], None));
    assert_eq!(request, expected("DELETE", &defaults(), ""));
}

#[test]
fn headers_are_added_replaced_and_removed() {
    let request = without_host(&sent(
        &[
            "-H",
            "X-Trace: 42",
            "-H",
            "accept: text/plain",
            "-H",
            "User-Agent:",
        ],
        None,
    ));
    assert_eq!(
        request,
        expected("GET", "accept: text/plain\r\nX-Trace: 42\r\n", "")
    );
}

#[test]
fn host_header_can_be_replaced() {
    let request = sent(&["-H", "Host: example.test"], None);
    assert!(
        request.starts_with("GET / HTTP/1.0\r\nHost: example.test\r\n"),
        "{request}"
    );
}

#[test]
fn user_agent_flag_replaces_the_default() {
    let request = without_host(&sent(&["-A", "probe/1.0"], None));
    assert_eq!(
        request,
        expected("GET", "User-Agent: probe/1.0\r\nAccept: */*\r\n", "")
    );
}

#[test]
fn data_is_posted_with_its_length() {
    let request = without_host(&sent(&["-d", "a=1&b=2"], None));
    let headers = format!("{}{FORM}Content-Length: 7\r\n", defaults());
    assert_eq!(request, expected("POST", &headers, "a=1&b=2"));
}

/// What curl sends with -d, so that a web framework parses the body as a form.
const FORM: &str = "Content-Type: application/x-www-form-urlencoded\r\n";

#[test]
fn data_content_type_can_be_replaced_or_removed() {
    let request = without_host(&sent(&["-H", "content-type: text/plain", "-d", "x"], None));
    let headers = format!(
        "{}content-type: text/plain\r\nContent-Length: 1\r\n",
        defaults()
    );
    assert_eq!(request, expected("POST", &headers, "x"));
    let request = without_host(&sent(&["-d", "x", "-H", "Content-Type:"], None));
    let headers = format!("{}Content-Length: 1\r\n", defaults());
    assert_eq!(request, expected("POST", &headers, "x"));
}

#[test]
fn data_from_a_file_and_from_stdin() {
    let dir = std::env::temp_dir().join(format!("fetch-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("body.bin");
    std::fs::write(&file, b"line1\nline2\0end").unwrap();
    let arg = format!("@{}", file.display());
    let request = without_host(&sent(&["-X", "PUT", "--data-binary", &arg], None));
    let headers = format!("{}{FORM}Content-Length: 15\r\n", defaults());
    assert_eq!(request, expected("PUT", &headers, "line1\nline2\0end"));
    // -d drops a file's CR and LF, as curl's does; --data-raw sends the @.
    std::fs::write(&file, b"a=1\r\n&b=2\n").unwrap();
    let request = without_host(&sent(&["-d", &arg, "--data-raw", "@x"], None));
    let headers = format!("{}{FORM}Content-Length: 10\r\n", defaults());
    assert_eq!(request, expected("POST", &headers, "a=1&b=2&@x"));
    let request = without_host(&sent(&["--data-ascii", &arg], None));
    let headers = format!("{}{FORM}Content-Length: 7\r\n", defaults());
    assert_eq!(request, expected("POST", &headers, "a=1&b=2"));
    std::fs::remove_dir_all(&dir).unwrap();

    let request = without_host(&sent(&["-d", "@-"], Some("from stdin")));
    let headers = format!("{}{FORM}Content-Length: 10\r\n", defaults());
    assert_eq!(request, expected("POST", &headers, "from stdin"));
}

#[test]
fn empty_data_still_sends_a_zero_length() {
    let request = without_host(&sent(&["-d", ""], None));
    let headers = format!("{}{FORM}Content-Length: 0\r\n", defaults());
    assert_eq!(request, expected("POST", &headers, ""));
}

#[test]
fn stdin_is_not_read_without_data_at_dash() {
    // With stdin holding a body, a plain GET must still send no body.
    let request = without_host(&sent(&[], Some("ignored input")));
    assert_eq!(request, expected("GET", &defaults(), ""));
}

#[test]
fn header_injection_and_bad_names_are_refused_without_connecting() {
    refused_with(
        &["-H", "X-A: 1\r\nX-Injected: 2", "{}"],
        "control byte 0x0d",
    );
    refused_with(&["-H", "X-A: 1\nX-Injected: 2", "{}"], "control byte 0x0a");
    refused_with(&["-A", "a\r\nX: y", "{}"], "control byte 0x0d");
    refused_with(
        &["-H", "Bad Name: x", "{}"],
        "invalid header name 'Bad Name'",
    );
    refused_with(&["-H", "NoColon", "{}"], "expected 'Name: value'");
    refused_with(&["-X", "GET / HTTP/1.1\r\n", "{}"], "invalid method");
    refused_with(&["-X", "", "{}"], "invalid method");
}

#[test]
fn a_transfer_encoding_header_is_refused_without_connecting() {
    // HTTP/1.0 has no chunked requests; with -d, fetch would send both
    // Transfer-Encoding and Content-Length: the shape of request smuggling.
    let message = "HTTP/1.0 requests have no Transfer-Encoding";
    refused_with(
        &["-H", "Transfer-Encoding: chunked", "-d", "x", "{}"],
        message,
    );
    refused_with(&["-H", "transfer-encoding: gzip", "{}"], message);
}

#[test]
fn missing_data_file_is_refused_without_connecting() {
    refused_with(
        &["-d", "@/nonexistent/fetch-body", "{}"],
        "cannot read --data file '/nonexistent/fetch-body'",
    );
}

#[test]
fn raw_sends_stdin_verbatim_and_prints_the_reply_verbatim() {
    let request = b"GET /raw HTTP/1.0\nX-Odd:  as typed\n\n";
    let response = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n";
    let server = serve_raw(move |mut stream| {
        let mut got = vec![0u8; request.len()];
        std::io::Read::read_exact(&mut stream, &mut got).unwrap();
        std::io::Write::write_all(&mut stream, response.as_bytes()).unwrap();
        // Keep the socket open: the last chunk must end the transfer.
        hold_open(&mut stream, std::time::Duration::from_secs(20));
        got
    });
    fetch()
        .args(["--raw", &server.target()])
        .write_stdin(&request[..])
        .assert()
        .code(0)
        .stdout(response);
    assert_eq!(server.finish(), request);
}

#[test]
fn raw_keeps_the_exit_codes() {
    let server = serve_raw(|mut stream| {
        let mut got = vec![0u8; 5];
        std::io::Read::read_exact(&mut stream, &mut got).unwrap();
        got
    });
    fetch()
        .args(["--raw", &server.target()])
        .write_stdin("PING\n")
        .assert()
        .code(52)
        .stdout("");
    assert_eq!(server.finish(), b"PING\n");
}

#[test]
fn raw_refuses_an_empty_stdin_a_path_and_request_flags() {
    let witness = Witness::new();
    fails(
        &["--raw", &witness.target()],
        2,
        "--raw needs the request on standard input",
    );
    fetch()
        .args(["--raw", &witness.target(), "/x"])
        .write_stdin("GET / HTTP/1.0\r\n\r\n")
        .assert()
        .code(2)
        .stdout("")
        .stderr(contains("give no PATH"));
    for flags in [
        ["-H", "X: y"],
        ["-T", "file"],
        ["--http1.1", "-s"],
        ["-c", "jar"],
    ] {
        fetch()
            .arg("--raw")
            .args(flags)
            .arg(witness.target())
            .write_stdin("GET / HTTP/1.0\r\n\r\n")
            .assert()
            .code(2)
            .stdout("")
            .stderr(contains("cannot be used with"));
    }
    witness.assert_untouched();
}

#[test]
fn repeated_data_and_urlencoded_data_join_in_order() {
    let request = without_host(&sent(
        &[
            "-d",
            "a=1",
            "--data-urlencode",
            "q=x y&z",
            "-d",
            "b=2",
            "--data-urlencode",
            "=é",
        ],
        None,
    ));
    let body = "a=1&q=x%20y%26z&b=2&%C3%A9";
    let headers = format!("{}{FORM}Content-Length: {}\r\n", defaults(), body.len());
    assert_eq!(request, expected("POST", &headers, body));
}

#[test]
fn urlencoded_data_from_a_file_with_and_without_a_name() {
    let dir = Scratch::new("urlencode-file");
    let file = dir.path("v.txt");
    std::fs::write(&file, "a b\n").unwrap();
    let named = format!("n@{}", file.display());
    let bare = format!("@{}", file.display());
    let request = without_host(&sent(
        &["--data-urlencode", &named, "--data-urlencode", &bare],
        None,
    ));
    assert!(
        request.ends_with("\r\n\r\nn=a%20b%0A&a%20b%0A"),
        "{request}"
    );
}

#[test]
fn get_puts_the_data_in_the_query_string() {
    let server = reply(ok_response(b"ok"));
    fetch()
        .args(["-G", "-d", "a=1", "--data-urlencode", "q=x y"])
        .arg(format!("http://{}/search?lang=en", server.target()))
        .assert()
        .code(0)
        .stdout("ok");
    let request = String::from_utf8(server.finish()).unwrap();
    assert!(
        request.starts_with("GET /search?lang=en&a=1&q=x%20y HTTP/1.0\r\n"),
        "{request}"
    );
    assert!(!request.contains("Content-"), "{request}");
    refused_with(
        &["-G", "-d", "a b", "{}"],
        "-G puts the data in the URL, where byte 0x20 is not allowed",
    );
}

#[test]
fn json_sets_its_type_and_accept() {
    let request = without_host(&sent(&["--json", "{\"a\":1}"], None));
    let headers = format!(
        "User-Agent: {}\r\nContent-Type: application/json\r\nAccept: application/json\r\nContent-Length: 7\r\n",
        user_agent()
    );
    assert_eq!(request, expected("POST", &headers, "{\"a\":1}"));

    // Repeated, the pieces are joined as they are, as curl does.
    let request = without_host(&sent(&["--json", "{\"a\":", "--json", "1}"], None));
    assert_eq!(request, expected("POST", &headers, "{\"a\":1}"));
}

#[test]
fn cookie_and_referer_flags_send_their_headers() {
    let request = without_host(&sent(&["-b", "s=1; t=2", "-e", "http://from.test/"], None));
    let headers = format!(
        "{}Cookie: s=1; t=2\r\nReferer: http://from.test/\r\n",
        defaults()
    );
    assert_eq!(request, expected("GET", &headers, ""));
    refused_with(&["-b", "a=1\r\nX: y", "{}"], "control byte 0x0d");
    refused_with(&["-e", "a\r\nX: y", "{}"], "control byte 0x0d");
}

#[test]
fn curls_show_error_and_progress_bar_flags_are_accepted() {
    for flags in [["-S", "-#"], ["--show-error", "--progress-bar"]] {
        let request = without_host(&sent(&flags, None));
        assert_eq!(request, expected("GET", &defaults(), ""));
    }
}

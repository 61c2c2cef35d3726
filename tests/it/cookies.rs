//! The cookie engine: -c writes what servers set (Netscape format, 0600, whole
//! or not at all), -b FILE sends it back, and with -L cookies follow the hops
//! RFC 6265 allows, never another origin.

use std::fs;
use std::io::Write;
use std::time::Duration;

use crate::support::*;
use predicates::str::contains;

/// The value of the request's Cookie field, if any.
fn cookie_of(request: &[u8]) -> Option<String> {
    String::from_utf8_lossy(request)
        .lines()
        .find_map(|l| l.strip_prefix("Cookie: "))
        .map(str::to_string)
}

/// A login: the session cookie, and a preference for an hour.
const LOGGED_IN: &str = "HTTP/1.1 200 OK\r\nSet-Cookie: session=abc123; Path=/; HttpOnly\r\nSet-Cookie: theme=dark; Max-Age=3600\r\nContent-Length: 9\r\n\r\nlogged in";

#[test]
fn log_in_with_c_then_fetch_with_b_as_scripts_do() {
    let scratch = Scratch::new("cookie-login");
    let jar = scratch.path("jar.txt");
    let jar_arg = jar.to_str().unwrap();
    let login = reply(LOGGED_IN);
    let target = login.target();
    fetch()
        .args(["-c", jar_arg, "-d", "user=alice&password=x"])
        .arg(format!("http://{target}/login"))
        .assert()
        .code(0)
        .stdout("logged in")
        .stderr("");
    let saved = fs::read_to_string(&jar).unwrap();
    let host = target.split(':').next().unwrap();
    assert!(
        saved.starts_with("# Netscape HTTP Cookie File\n"),
        "{saved}"
    );
    assert!(
        saved.contains(&format!(
            "#HttpOnly_{host}\tFALSE\t/\tFALSE\t0\tsession\tabc123\n"
        )),
        "{saved}"
    );
    assert!(saved.contains("\ttheme\tdark\n"), "{saved}");
    let mode = std::os::unix::fs::PermissionsExt::mode(&fs::metadata(&jar).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600);
    login.finish();

    // The next command sends the session back; the server checks it.
    let server = serve_raw(|mut stream| {
        let request = read_request(&mut stream);
        let response: &[u8] = match cookie_of(&request).as_deref() {
            Some("session=abc123; theme=dark") => b"HTTP/1.0 200 OK\r\n\r\nhello alice",
            _ => b"HTTP/1.0 401 Unauthorized\r\n\r\nwho are you?",
        };
        stream.write_all(response).unwrap();
        request
    });
    fetch()
        .args(["-b", jar_arg])
        .arg(format!("http://{}/me", server.target()))
        .assert()
        .code(0)
        .stdout("hello alice");
    server.finish();
}

#[test]
fn cookies_set_by_a_redirect_go_to_the_next_hop_on_the_same_host_only() {
    let server = serve_each(2, Duration::from_secs(10), |n, mut stream| {
        let response = match n {
            0 => {
                "HTTP/1.1 302 Found\r\nSet-Cookie: sid=s1; Path=/\r\nSet-Cookie: wide=w; Domain=a.test\r\nLocation: /home\r\nContent-Length: 0\r\n\r\n"
            }
            _ => "HTTP/1.0 200 OK\r\nContent-Length: 4\r\n\r\nhome",
        };
        stream.write_all(response.as_bytes()).unwrap();
    });
    let port = server.port();
    let resolve = format!("www.a.test:{port}:127.0.0.1");
    fetch()
        .args(["-L", "-b", "", "--resolve", &resolve])
        .arg(format!("http://www.a.test:{port}/login"))
        .assert()
        .code(0)
        .stdout("home");
    let requests = String::from_utf8(server.finish()).unwrap();
    let (first, second) = requests.split_at(requests.rfind("GET /home").unwrap());
    assert_eq!(cookie_of(first.as_bytes()), None);
    assert_eq!(
        cookie_of(second.as_bytes()).as_deref(),
        Some("sid=s1; wide=w")
    );
}

#[test]
fn cookies_never_go_to_another_origin() {
    // a.test sets a host cookie, a domain cookie for a.test, and a Secure one;
    // then redirects to b.test, which must get none of them.
    let server = serve_each(2, Duration::from_secs(10), |n, mut stream| {
        let response = match n {
            0 => {
                "HTTP/1.1 302 Found\r\nSet-Cookie: host=1\r\nSet-Cookie: dom=2; Domain=a.test\r\nLocation: http://b.test:PORT/\r\nContent-Length: 0\r\n\r\n"
            }
            _ => "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok",
        };
        let port = stream.local_addr().unwrap().port().to_string();
        stream
            .write_all(response.replace("PORT", &port).as_bytes())
            .unwrap();
    });
    let port = server.port();
    let scratch = Scratch::new("cookie-origins");
    let jar = scratch.path("jar");
    fetch()
        .args(["-L", "-c", jar.to_str().unwrap()])
        .args(["--resolve", &format!("a.test:{port}:127.0.0.1")])
        .args(["--resolve", &format!("b.test:{port}:127.0.0.1")])
        .arg(format!("http://a.test:{port}/"))
        .assert()
        .code(0)
        .stdout("ok");
    let requests = String::from_utf8(server.finish()).unwrap();
    assert_eq!(cookie_of(requests.as_bytes()), None, "{requests}");
    let saved = fs::read_to_string(&jar).unwrap();
    assert!(
        saved.contains("a.test\tFALSE\t/\tFALSE\t0\thost\t1\n"),
        "{saved}"
    );
    assert!(
        saved.contains(".a.test\tTRUE\t/\tFALSE\t0\tdom\t2\n"),
        "{saved}"
    );
}

#[test]
fn verbose_shows_cookie_names_never_values() {
    let scratch = Scratch::new("cookie-verbose");
    let jar = scratch.path("jar");
    let line = "127.0.0.1\tFALSE\t/\tFALSE\t0\tsid\tsecret-value\n";
    fs::write(&jar, line).unwrap();
    let server = reply(
        "HTTP/1.0 200 OK\r\nSet-Cookie: next=other-secret; Path=/\r\nContent-Length: 2\r\n\r\nok",
    );
    let assert = fetch()
        .args([
            "-v",
            "-b",
            jar.to_str().unwrap(),
            "-b",
            "given=typed-secret",
        ])
        .args(["-w", "%{json}", &server.target()])
        .assert()
        .code(0)
        .stderr(contains("Cookie: given=[hidden]; sid=[hidden]"))
        .stderr(contains("Set-Cookie: next=[hidden]; Path=/"))
        .stderr(contains("cookie next stored"));
    let output = assert.get_output();
    for secret in ["secret-value", "other-secret", "typed-secret"] {
        assert!(!String::from_utf8_lossy(&output.stderr).contains(secret));
        assert!(!String::from_utf8_lossy(&output.stdout).contains(secret));
    }
    let request = server.finish();
    assert_eq!(
        cookie_of(&request).as_deref(),
        Some("given=typed-secret; sid=secret-value")
    );
}

#[test]
fn a_missing_jar_is_empty_and_an_unreadable_one_is_refused() {
    let scratch = Scratch::new("cookie-files");
    let server = reply(ok_response(b"ok"));
    let missing = scratch.path("none-yet");
    fetch()
        .args(["-b", missing.to_str().unwrap(), &server.target()])
        .assert()
        .code(0)
        .stdout("ok");
    assert_eq!(cookie_of(&server.finish()), None);
    let dir = scratch.path("a-directory");
    fs::create_dir(&dir).unwrap();
    refused_with(
        &["-b", dir.to_str().unwrap(), "{}"],
        &format!("-b: cannot read the cookie file '{}'", dir.display()),
    );
}

#[test]
fn a_jar_without_its_directory_is_23_before_connecting_unless_create_dirs() {
    let scratch = Scratch::new("cookie-jar-write");
    let witness = Witness::new();
    let missing = scratch.path("no/such/dir/jar");
    fetch()
        .args(["-c", missing.to_str().unwrap(), &witness.target()])
        .assert()
        .code(23)
        .stdout("")
        .stderr(contains("no/such/dir/jar"));
    witness.assert_untouched();
    // --create-dirs makes the directory; a jar written anew replaces the old whole.
    let server = reply("HTTP/1.0 200 OK\r\nSet-Cookie: a=1\r\nContent-Length: 0\r\n\r\n");
    fetch()
        .args([
            "--create-dirs",
            "-c",
            missing.to_str().unwrap(),
            &server.target(),
        ])
        .assert()
        .code(0);
    assert!(fs::read_to_string(&missing).unwrap().contains("\ta\t1\n"));
    let names = scratch.names();
    assert!(names.iter().all(|n| !n.contains(".tmp")), "{names:?}");
}

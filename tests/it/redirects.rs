//! -L: redirects followed hop by hop, methods and bodies as curl's --follow
//! treats them, credentials kept to their origin, and the limits.

use std::io::Write;
use std::net::TcpStream;
use std::time::Duration;

use crate::support::tls::*;
use crate::support::*;
use predicates::prelude::*;
use predicates::str::contains;

fn respond(mut stream: TcpStream, response: &str) {
    stream.write_all(response.as_bytes()).unwrap();
}

fn moved(status: &str, location: &str) -> String {
    format!("HTTP/1.1 {status}\r\nLocation: {location}\r\nContent-Length: 9\r\n\r\nmoved on\n")
}

/// The request lines (method and path) of every request in `requests`.
fn request_lines(requests: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(requests)
        .split("\r\n\r\n")
        .filter_map(|r| {
            r.lines()
                .find(|l| l.ends_with(" HTTP/1.0"))
                .map(str::to_string)
        })
        .collect()
}

#[test]
fn a_chain_is_followed_and_only_the_last_body_is_written() {
    let server = serve_each(3, Duration::from_secs(5), |n, stream| match n {
        0 => respond(stream, &moved("301 Moved Permanently", "/b")),
        1 => respond(stream, &moved("302 Found", "c?x=1")),
        _ => respond(stream, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nlast"),
    });
    fetch()
        .args(["-L", &format!("http://{}/a", server.target())])
        .assert()
        .code(0)
        .stdout("last")
        .stderr("");
    assert_eq!(
        request_lines(&server.finish()),
        ["GET /a HTTP/1.0", "GET /b HTTP/1.0", "GET /c?x=1 HTTP/1.0"]
    );
}

#[test]
fn include_shows_every_head_and_verbose_traces_every_hop() {
    let server = serve_each(2, Duration::from_secs(5), |n, stream| match n {
        0 => respond(stream, &moved("302 Found", "/next")),
        _ => respond(stream, "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok"),
    });
    fetch()
        .args(["-L", "-i", "-v", &server.target()])
        .assert()
        .code(0)
        .stdout("HTTP/1.1 302 Found\r\nLocation: /next\r\nContent-Length: 9\r\n\r\nHTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok")
        .stderr(contains(format!("following HTTP/1.1 302 Found to http://{}/next", server.target())));
    server.finish();
}

#[test]
fn without_location_following_a_note_says_where_it_would_go() {
    let server = reply(moved("301 Moved Permanently", "https://elsewhere.test/new"));
    fetch()
        .args(["-w", "%{redirect_url}|%{num_redirects}", &server.target()])
        .assert()
        .code(0)
        .stdout("moved on\nhttps://elsewhere.test/new|0")
        .stderr("fetch: 301 Moved Permanently \u{2192} https://elsewhere.test/new (not followed; -L follows)\n");
    server.finish();
    let server = reply(moved("301 Moved Permanently", "/new"));
    fetch()
        .args(["-s", &server.target()])
        .assert()
        .code(0)
        .stdout("moved on\n")
        .stderr("");
    server.finish();
}

#[test]
fn methods_and_bodies_follow_curls_follow_rules() {
    // (flags, status, the second request's line, whether it carries the body)
    let cases: [(&[&str], &str, &str, bool); 7] = [
        (&["-d", "a=1"], "301 Moved", "GET /next HTTP/1.0", false),
        (&["-d", "a=1"], "302 Found", "GET /next HTTP/1.0", false),
        (&["-d", "a=1"], "303 See Other", "GET /next HTTP/1.0", false),
        (
            &["-d", "a=1"],
            "307 Temporary Redirect",
            "POST /next HTTP/1.0",
            true,
        ),
        (
            &["-d", "a=1"],
            "308 Permanent Redirect",
            "POST /next HTTP/1.0",
            true,
        ),
        (&["-X", "PUT"], "301 Moved", "GET /next HTTP/1.0", false),
        (&["-I"], "303 See Other", "HEAD /next HTTP/1.0", false),
    ];
    for (flags, status, second, with_body) in cases {
        let answer = moved(status, "/next");
        let server = serve_each(2, Duration::from_secs(5), move |n, stream| match n {
            0 => respond(stream, &answer),
            _ => respond(stream, "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"),
        });
        fetch()
            .arg("-L")
            .args(flags)
            .arg(server.target())
            .assert()
            .code(0);
        let requests = String::from_utf8(server.finish()).unwrap();
        let later = requests.split_once("\r\n\r\n").unwrap().1;
        let later = later.strip_prefix("a=1").unwrap_or(later);
        assert!(later.starts_with(second), "{flags:?} {status}: {requests}");
        assert_eq!(
            later.ends_with("\r\n\r\na=1"),
            with_body,
            "{flags:?} {status}: {requests}"
        );
        assert_eq!(
            later.contains("Content-Type"),
            with_body,
            "{flags:?} {status}: {requests}"
        );
    }
    // -X PUT is kept on 307.
    let server = serve_each(2, Duration::from_secs(5), |n, stream| match n {
        0 => respond(stream, &moved("307 Temporary Redirect", "/next")),
        _ => respond(stream, "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"),
    });
    fetch()
        .args(["-L", "-X", "PUT", &server.target()])
        .assert()
        .code(0);
    assert_eq!(
        request_lines(&server.finish()),
        ["PUT / HTTP/1.0", "PUT /next HTTP/1.0"]
    );
}

#[test]
fn relative_scheme_relative_query_and_utf8_locations() {
    let server = serve_each(5, Duration::from_secs(5), |n, stream| {
        let port = stream.local_addr().unwrap().port();
        match n {
            0 => respond(stream, &moved("302 Found", "../up/x y")),
            1 => respond(stream, &moved("302 Found", "?q=1#frag")),
            2 => respond(
                stream,
                &moved("302 Found", &format!("//127.0.0.1:{port}/caf\u{e9}")),
            ),
            3 => respond(stream, &moved("302 Found", "/done")),
            _ => respond(stream, "HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nend"),
        }
    });
    fetch()
        .args(["-L", &format!("http://{}/a/b/c", server.target())])
        .assert()
        .code(0)
        .stdout("end");
    assert_eq!(
        request_lines(&server.finish()),
        [
            "GET /a/b/c HTTP/1.0",
            "GET /a/up/x%20y HTTP/1.0",
            "GET /a/up/x%20y?q=1 HTTP/1.0",
            "GET /caf%C3%A9 HTTP/1.0",
            "GET /done HTTP/1.0",
        ]
    );
}

#[test]
fn a_location_that_cannot_be_followed_is_3_quoting_it() {
    let server = reply(moved("302 Found", "ftp://files.test/x"));
    fetch()
        .args(["-L", &server.target()])
        .assert()
        .code(3)
        .stdout("")
        .stderr(one_line())
        .stderr(contains(
            "to Location \"ftp://files.test/x\": fetch follows only http and https, not ftp",
        ));
    server.finish();
    let server = reply(moved("302 Found", "http://user:s3cret@h.test/"));
    fetch()
        .args(["-L", &server.target()])
        .assert()
        .code(3)
        .stderr(contains("user:***@h.test"))
        .stderr(contains("s3cret").not());
    server.finish();
}

#[test]
fn a_loop_stops_at_max_redirs_with_47_listing_the_chain() {
    let server = serve_each(3, Duration::from_secs(5), |_, stream| {
        respond(stream, &moved("302 Found", "/again"))
    });
    let target = server.target();
    fetch()
        .args(["-L", "--max-redirs", "2", "-w", "%{num_redirects} %{redirect_url}", &target])
        .assert()
        .code(47)
        .stdout(format!("2 http://{target}/again"))
        .stderr(one_line())
        .stderr(format!(
            "fetch: redirect loop: http://{target}/ \u{2192} http://{target}/again \u{2192} http://{target}/again (stopped after 2 redirects, --max-redirs 2)\n"
        ));
    assert_eq!(request_lines(&server.finish()).len(), 3);
}

#[test]
fn a_long_loop_is_shown_once_and_a_long_chain_is_cut_in_the_middle() {
    let server = serve_each(51, Duration::from_secs(5), |n, stream| {
        let next = if n % 2 == 0 { "/b" } else { "/a" };
        respond(stream, &moved("302 Found", next))
    });
    let target = server.target();
    fetch()
        .args(["-L", &format!("http://{target}/a")])
        .assert()
        .code(47)
        .stdout("")
        .stderr(format!(
            "fetch: redirect loop: http://{target}/a \u{2192} http://{target}/b \u{2192} http://{target}/a (stopped after 50 redirects, --max-redirs 50)\n"
        ));
    server.finish();
    let server = serve_each(9, Duration::from_secs(5), |n, stream| {
        respond(stream, &moved("302 Found", &format!("/{}", n + 1)))
    });
    let target = server.target();
    let hop = |n: u32| format!("http://{target}/{n}");
    fetch()
        .args(["-L", "--max-redirs", "8", &hop(0)])
        .assert()
        .code(47)
        .stdout("")
        .stderr(format!(
            "fetch: stopped after 8 redirects (--max-redirs 8): {} \u{2192} {} \u{2192} {} \u{2192} \u{2026} 4 more \u{2026} \u{2192} {} \u{2192} {} \u{2192} {}\n",
            hop(0), hop(1), hop(2), hop(7), hop(8), hop(9)
        ));
    server.finish();
}

#[test]
fn credentials_stay_on_their_origin_unless_trusted() {
    let auth = "Authorization: Basic dXNlcjpzM2NyZXQ=";
    for (trusted, expect_sent) in [(false, false), (true, true)] {
        let second = serve(|stream| {
            stream
                .write_all(b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok")
                .unwrap()
        });
        let elsewhere = format!("http://{}/", second.target());
        let first = serve_each(2, Duration::from_secs(5), move |n, stream| match n {
            // Same origin first: the credentials go along.
            0 => respond(stream, &moved("302 Found", "/same")),
            _ => respond(stream, &moved("302 Found", &elsewhere)),
        });
        let mut command = fetch();
        command.args(["-L", "-v", "-H", auth, "-H", "Cookie: s=1"]);
        if trusted {
            command.arg("--location-trusted");
        }
        let assert = command.arg(first.target()).assert().code(0).stdout("ok");
        let to_first = String::from_utf8(first.finish()).unwrap();
        assert_eq!(to_first.matches(auth).count(), 2, "{to_first}");
        let to_second = String::from_utf8(second.finish()).unwrap();
        assert_eq!(to_second.contains(auth), expect_sent, "{to_second}");
        assert_eq!(
            to_second.contains("Cookie: s=1"),
            expect_sent,
            "{to_second}"
        );
        assert!(to_second.contains("Host: 127.0.0.1:"), "{to_second}");
        let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
        assert_eq!(
            stderr.contains("not sent to another origin"),
            !trusted,
            "{stderr}"
        );
    }
}

#[test]
fn output_file_holds_only_the_last_body_and_write_out_the_last_hop() {
    let dir = Scratch::new("redirect-o");
    let server = serve_each(2, Duration::from_secs(5), |n, stream| match n {
        0 => respond(stream, &moved("301 Moved Permanently", "/final")),
        _ => respond(stream, "HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nfinal"),
    });
    let file = dir.path("page");
    let target = server.target();
    let assert = fetch()
        .args(["-L", "-o", file.to_str().unwrap()])
        .args([
            "-w",
            "%{num_redirects} %{url_effective} %{http_code} %{time_redirect}",
        ])
        .arg(&target)
        .assert()
        .code(0)
        .stderr("");
    server.finish();
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "final");
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    let fields: Vec<&str> = stdout.split(' ').collect();
    assert_eq!(fields[..3], ["1", &format!("http://{target}/final"), "200"]);
    assert!(fields[3].parse::<f64>().unwrap() > 0.0, "{stdout}");
}

#[test]
fn http_to_https_and_back() {
    let dir = Scratch::new("redirect-tls");
    let ca = Ca::new("fetch test CA");
    let cacert = ca.write(&dir, "ca.pem");
    let plain_final = serve(|stream| {
        stream
            .write_all(b"HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nplain")
            .unwrap()
    });
    let back = format!("http://localhost:{}/end", plain_final.port());
    let tls = tls_server(ca.leaf(&["localhost"], |_| {}), move |stream| {
        let response = moved("302 Found", &back);
        stream.write_all(response.as_bytes()).unwrap();
        close_notify(stream);
    });
    let to_tls = format!("https://localhost:{}/secure", tls.port());
    let plain_first = reply(moved("301 Moved Permanently", &to_tls));
    fetch()
        .args(["-L", "--cacert", cacert.to_str().unwrap()])
        .args([
            "--resolve",
            &format!("localhost:{}:127.0.0.1", plain_first.port()),
        ])
        .args(["--resolve", &format!("localhost:{}:127.0.0.1", tls.port())])
        .args([
            "--resolve",
            &format!("localhost:{}:127.0.0.1", plain_final.port()),
        ])
        .arg(format!("http://localhost:{}/", plain_first.port()))
        .assert()
        .code(0)
        .stdout("plain")
        .stderr("");
    plain_first.finish();
    let seen = String::from_utf8(tls.finish()).unwrap();
    assert!(
        seen.starts_with("SNI=localhost\nGET /secure HTTP/1.0\r\n"),
        "{seen}"
    );
    assert!(
        String::from_utf8(plain_final.finish())
            .unwrap()
            .starts_with("GET /end HTTP/1.0\r\n")
    );
}

#[test]
fn each_hop_has_its_own_connect_deadline() {
    // The first hop answers after 1.5 s; the second cannot connect at all. Its
    // connect timeout (1 s) counts from its own start, not the command's.
    let hole = blackhole();
    let to = format!("http://{}/", hole.addr);
    let server = serve(move |stream| {
        std::thread::sleep(Duration::from_millis(1500));
        stream
            .write_all(moved("302 Found", &to).as_bytes())
            .unwrap();
    });
    let start = std::time::Instant::now();
    fails(
        &["-L", "--connect-timeout", "1", &server.target()],
        28,
        &format!("connect timed out to {}", hole.addr),
    );
    let took = start.elapsed();
    assert!(took >= Duration::from_millis(2300), "took {took:?}");
    server.finish();
}

#[test]
fn a_failure_after_a_redirect_names_the_hop_and_how_it_was_reached() {
    use crate::support::tls::*;
    let ca = Ca::new("fetch test CA");
    let tls = tls_server(ca.leaf(&["localhost"], |_| {}), |_| {});
    let next = format!("https://localhost:{}/next", tls.port());
    let first = reply(moved("302 Found", &next));
    let pin = format!("localhost:{}:127.0.0.1", tls.port());
    let assert = fetch()
        .args(["-L", "--resolve", &pin, &first.target()])
        .assert()
        .code(60)
        .stdout("")
        .stderr(one_line())
        .stderr(contains(format!(
            "fetch: {next} (redirect 1, from http://{}/): the TLS certificate of 127.0.0.1:{} could not be verified after ",
            first.target(),
            tls.port()
        )));
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(
        stderr.contains("ms: it is not signed by a CA in"),
        "{stderr}"
    );
    first.finish();
}

/// curl test 663: dot segments go from an absolute Location too.
#[test]
fn dot_segments_are_removed_from_an_absolute_location() {
    let second = reply(ok_response(b"there"));
    let location = format!("http://{}/a/../b/./c?x=../y", second.target());
    let first = reply(moved("301 Moved Permanently", &location));
    fetch()
        .args(["-L", &first.target()])
        .assert()
        .code(0)
        .stdout("there");
    first.finish();
    let request = String::from_utf8(second.finish()).unwrap();
    assert!(
        request.starts_with("GET /b/c?x=../y HTTP/1.0\r\n"),
        "{request}"
    );
}

/// curl test 998: credentials written in the URL belong to its origin;
/// --location-trusted takes -u's along, not those.
#[test]
fn url_credentials_stay_on_their_origin_even_when_trusted() {
    let second = reply(ok_response(b"there"));
    let first = reply(moved(
        "302 Found",
        &format!("http://{}/next", second.target()),
    ));
    fetch()
        .args(["-L", "--location-trusted"])
        .arg(format!("http://user:s3cret@{}/", first.target()))
        .assert()
        .code(0)
        .stdout("there");
    let first = String::from_utf8(first.finish()).unwrap();
    assert!(
        first.contains("Authorization: Basic dXNlcjpzM2NyZXQ=\r\n"),
        "{first}"
    );
    let second = String::from_utf8(second.finish()).unwrap();
    assert!(!second.contains("Authorization"), "{second}");
}

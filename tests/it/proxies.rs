//! Proxies: -x and the environment, absolute-form requests for http, CONNECT
//! tunnels for https, no_proxy, loopback always direct. The proxies are the
//! tests' own, on loopback; target names under .test are never looked up.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::thread;
use std::time::{Duration, Instant};

use crate::support::tls::*;
use crate::support::*;
use predicates::str::contains;

/// A proxy that answers an absolute-form request itself.
fn answering_proxy(body: &'static str) -> Server {
    reply(ok_response(body.as_bytes()))
}

/// A proxy that answers CONNECT with `answer`; on 200 it relays to `origin_port`.
fn connect_proxy(answer: &'static str, origin_port: u16) -> Server {
    serve_raw(move |mut client| {
        let request = read_request(&mut client);
        client.write_all(answer.as_bytes()).unwrap();
        if answer.starts_with("HTTP/1.1 200") {
            let origin = TcpStream::connect(("127.0.0.1", origin_port)).unwrap();
            let (mut up, mut down) = (origin.try_clone().unwrap(), client.try_clone().unwrap());
            let back = thread::spawn(move || std::io::copy(&mut up, &mut down));
            let mut origin = origin;
            let _ = std::io::copy(&mut client, &mut origin);
            let _ = origin.shutdown(std::net::Shutdown::Write);
            let _ = back.join();
        }
        request
    })
}

#[test]
fn http_goes_to_the_proxy_in_absolute_form() {
    let proxy = answering_proxy("from the proxy");
    fetch()
        .args(["-v", "-x", &proxy.target(), "http://origin.test:8080/a?b=1"])
        .assert()
        .code(0)
        .stdout("from the proxy")
        .stderr(contains(format!("via proxy {} (from -x)", proxy.target())));
    let request = String::from_utf8(proxy.finish()).unwrap();
    assert!(
        request.starts_with(
            "GET http://origin.test:8080/a?b=1 HTTP/1.0\r\nHost: origin.test:8080\r\n"
        ),
        "{request}"
    );
}

#[test]
fn proxy_credentials_go_in_proxy_authorization_hidden_in_the_trace() {
    let proxy = answering_proxy("ok");
    let assert = fetch()
        .args(["-v", "-x", &format!("http://pu:pp@{}", proxy.target())])
        .arg("http://origin.test/")
        .assert()
        .code(0)
        .stderr(contains("Proxy-Authorization: Basic [hidden]"));
    assert!(!String::from_utf8_lossy(&assert.get_output().stderr).contains("cHU6cHA="));
    let request = String::from_utf8(proxy.finish()).unwrap();
    assert!(
        request.contains("\r\nProxy-Authorization: Basic cHU6cHA=\r\n"),
        "{request}"
    );
}

#[test]
fn https_goes_through_a_connect_tunnel() {
    let dir = Scratch::new("proxy-tls");
    let ca = Ca::new("fetch test CA");
    let origin = tls_server(ca.leaf(&["origin.test"], |_| {}), |stream| {
        stream
            .write_all(b"HTTP/1.0 200 OK\r\nContent-Length: 6\r\n\r\nsecret")
            .unwrap();
        close_notify(stream);
    });
    let proxy = connect_proxy("HTTP/1.1 200 Connection established\r\n\r\n", origin.port());
    let cacert = ca.write(&dir, "ca.pem");
    fetch()
        .args([
            "--cacert",
            cacert.to_str().unwrap(),
            "-w",
            " %{http_connect}",
        ])
        .env("https_proxy", proxy.target())
        .arg("https://origin.test/")
        .assert()
        .code(0)
        .stdout("secret 200")
        .stderr("");
    let connect = String::from_utf8(proxy.finish()).unwrap();
    assert_eq!(
        connect,
        "CONNECT origin.test:443 HTTP/1.1\r\nHost: origin.test:443\r\n\r\n"
    );
    let seen = String::from_utf8(origin.finish()).unwrap();
    assert!(
        seen.starts_with("SNI=origin.test\nGET / HTTP/1.0\r\nHost: origin.test\r\n"),
        "{seen}"
    );
}

#[test]
fn a_refused_tunnel_is_7_quoting_the_proxy() {
    let proxy = connect_proxy("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n", 1);
    fetch()
        .args(["-x", &proxy.target(), "-w", "%{http_connect}", "https://origin.test/"])
        .assert()
        .code(7)
        .stdout("403")
        .stderr(one_line())
        .stderr(contains(format!(
            "the proxy {} (from -x) did not open a tunnel to origin.test:443: HTTP/1.1 403 Forbidden",
            proxy.target()
        )));
    proxy.finish();
}

#[test]
fn a_silent_proxy_is_28_at_the_connect_deadline() {
    let proxy = serve(|stream| hold_open(stream, Duration::from_secs(10)));
    let start = Instant::now();
    fetch()
        .args([
            "--connect-timeout",
            "1",
            "-x",
            &proxy.target(),
            "https://origin.test/",
        ])
        .assert()
        .code(28)
        .stdout("")
        .stderr(contains("no answer to CONNECT before the connect deadline"));
    within(start, 0.8, 3.0);
    proxy.finish();
}

#[test]
fn an_unreachable_or_unknown_proxy_is_7_or_5_naming_it() {
    let port = refused_port();
    fetch()
        .args(["-x", &format!("127.0.0.1:{port}"), "http://origin.test/"])
        .assert()
        .code(7)
        .stdout("")
        .stderr(one_line())
        .stderr(contains(format!(
            "proxy 127.0.0.1:{port} (from -x): could not connect"
        )));
    fetch()
        .env("http_proxy", "nothing.invalid:3128")
        .arg("http://origin.test/")
        .assert()
        .code(5)
        .stdout("")
        .stderr(contains(
            "proxy nothing.invalid:3128 (from http_proxy): could not resolve host",
        ));
}

#[test]
fn upper_case_http_proxy_is_ignored_and_exempt_hosts_go_direct() {
    let origin = serve_each(3, Duration::from_secs(5), |_, mut stream| {
        stream.write_all(&ok_response(b"direct")).unwrap();
    });
    let pin = format!("origin.test:{}:127.0.0.1", origin.port());
    let url = format!("http://origin.test:{}/", origin.port());
    let witness = Witness::new();
    // HTTP_PROXY is never read (httpoxy); no_proxy exempts a domain; and a
    // loopback target is never proxied.
    fetch()
        .env("HTTP_PROXY", witness.target())
        .args(["--resolve", &pin, &url])
        .assert()
        .code(0)
        .stdout("direct");
    fetch()
        .env("http_proxy", witness.target())
        .env("no_proxy", "example.com,.test")
        .args(["--resolve", &pin, &url])
        .assert()
        .code(0)
        .stdout("direct");
    fetch()
        .env("http_proxy", witness.target())
        .arg(origin.target())
        .assert()
        .code(0)
        .stdout("direct");
    witness.assert_untouched();
    origin.finish();
}

#[test]
fn a_proxy_of_another_kind_is_a_usage_error() {
    refused_with(
        &["-x", "socks5://127.0.0.1:1080", "{}"],
        "fetch speaks to http:// proxies only, not socks5",
    );
}

#[test]
fn the_connect_tunnel_carries_a_slow_body_under_max_time() {
    // The deadline holds inside a tunnel as anywhere: 29, the bytes kept.
    let dir = Scratch::new("proxy-stall");
    let ca = Ca::new("fetch test CA");
    let origin = tls_server(ca.leaf(&["origin.test"], |_| {}), |stream| {
        stream
            .write_all(b"HTTP/1.0 200 OK\r\nContent-Length: 100\r\n\r\npart")
            .unwrap();
        stream.flush().unwrap();
        let mut sink = [0u8; 64];
        let _ = stream.sock.read(&mut sink);
    });
    let proxy = connect_proxy("HTTP/1.1 200 OK\r\n\r\n", origin.port());
    let cacert = ca.write(&dir, "ca.pem");
    fetch()
        .args(["--max-time", "1", "--cacert", cacert.to_str().unwrap()])
        .args(["-x", &proxy.target(), "https://origin.test/"])
        .assert()
        .code(29)
        .stdout("part");
    proxy.finish();
    origin.finish();
}

#[test]
fn a_407_with_a_page_is_reported_with_its_status_and_how_to_give_credentials() {
    let page = "<html><body>Proxy Authentication Required</body></html>";
    let answer: &'static str = Box::leak(
        format!(
            "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"tinyproxy\"\r\nContent-Type: text/html\r\nContent-Length: {}\r\n\r\n{page}",
            page.len()
        )
        .into_boxed_str(),
    );
    let proxy = connect_proxy(answer, 1);
    fetch()
        .args(["-x", &proxy.target(), "-w", "%{http_connect}", "https://origin.test/"])
        .assert()
        .code(7)
        .stdout("407")
        .stderr(one_line())
        .stderr(contains(format!(
            "the proxy {} (from -x) did not open a tunnel to origin.test:443: HTTP/1.1 407 Proxy Authentication Required (the proxy wants credentials: give them with -U USER:PASSWORD)",
            proxy.target()
        )));
    proxy.finish();
}

#[test]
fn a_403_with_a_page_keeps_its_status() {
    let answer = "HTTP/1.1 403 Forbidden\r\nContent-Length: 9\r\n\r\nforbidden";
    let proxy = connect_proxy(answer, 1);
    fetch()
        .args([
            "-x",
            &proxy.target(),
            "-w",
            "%{http_connect}",
            "https://origin.test/",
        ])
        .assert()
        .code(7)
        .stdout("403")
        .stderr(one_line())
        .stderr(contains(
            "HTTP/1.1 403 Forbidden (the proxy refuses to open a tunnel to this host or port)",
        ));
    proxy.finish();
}

#[test]
fn a_proxy_given_with_x_is_used_for_a_loopback_target_too() {
    let proxy = answering_proxy("from the proxy");
    let witness = Witness::new();
    fetch()
        .args([
            "-x",
            &proxy.target(),
            &format!("http://{}/", witness.target()),
        ])
        .assert()
        .code(0)
        .stdout("from the proxy");
    let request = String::from_utf8(proxy.finish()).unwrap();
    assert!(
        request.starts_with(&format!("GET http://{}/ HTTP/1.0\r\n", witness.target())),
        "{request}"
    );
    witness.assert_untouched();
}

#[test]
fn verbose_says_why_a_proxy_is_skipped() {
    let origin = serve_each(2, Duration::from_secs(5), |_, mut stream| {
        stream.write_all(&ok_response(b"direct")).unwrap();
    });
    let witness = Witness::new();
    fetch()
        .env("http_proxy", witness.target())
        .args(["-v", &origin.target()])
        .assert()
        .code(0)
        .stdout("direct")
        .stderr(contains("not via proxy 127.0.0.1:"))
        .stderr(contains(
            "(from http_proxy): the target is a loopback address",
        ));
    let pin = format!("origin.test:{}:127.0.0.1", origin.port());
    fetch()
        .args(["-v", "-x", &witness.target(), "--noproxy", "a.test,.test"])
        .args([
            "--resolve",
            &pin,
            &format!("http://origin.test:{}/", origin.port()),
        ])
        .assert()
        .code(0)
        .stdout("direct")
        .stderr(contains("(from -x): --noproxy lists '.test'"));
    witness.assert_untouched();
    origin.finish();
}

#[test]
fn a_refusals_body_is_read_by_its_framing_before_the_connection_closes() {
    let proxy = serve_raw(|mut client| {
        let request = read_request(&mut client);
        let page = "x".repeat(32 * 1024);
        let answer = format!(
            "HTTP/1.1 403 Forbidden\r\nContent-Length: {}\r\n\r\n{page}",
            page.len()
        );
        client.write_all(answer.as_bytes()).unwrap();
        // fetch read the whole page: its close is a FIN, not the RST that
        // unread data would cause.
        let mut rest = [0u8; 16];
        assert_eq!(client.read(&mut rest).expect("a clean close"), 0);
        request
    });
    fetch()
        .args([
            "-x",
            &proxy.target(),
            "-w",
            "%{http_connect}",
            "https://origin.test/",
        ])
        .assert()
        .code(7)
        .stdout("403");
    proxy.finish();
}

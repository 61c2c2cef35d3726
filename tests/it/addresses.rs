//! --resolve, -4/-6 and Happy Eyeballs, all on loopback addresses.

use std::io::Write;
use std::time::{Duration, Instant};

use crate::support::*;
use predicates::str::contains;

fn answer_ok(stream: &mut std::net::TcpStream) {
    stream.write_all(&ok_response(b"alive")).unwrap();
}

#[test]
fn resolve_pins_a_name_without_dns_and_keeps_it_in_the_host_header() {
    let server = serve(answer_ok);
    let port = server.port();
    fetch()
        .args([
            "--resolve",
            &format!("svc.test:{port}:127.0.0.1"),
            &format!("svc.test:{port}"),
            "/health",
        ])
        .assert()
        .code(0)
        .stdout("alive");
    let request = String::from_utf8(server.finish()).unwrap();
    assert!(
        request.starts_with(&format!(
            "GET /health HTTP/1.0\r\nHost: svc.test:{port}\r\n"
        )),
        "{request}"
    );
}

#[test]
#[cfg_attr(
    not(target_os = "linux"),
    ignore = "only Linux routes all of 127/8 to loopback"
)]
fn dead_first_address_costs_about_250ms_not_the_connect_timeout() {
    let dead = blackhole();
    let port = dead.addr.port();
    let live = serve_at(&format!("127.0.0.3:{port}"), answer_ok);
    let start = Instant::now();
    fetch()
        .args([
            "--resolve",
            &format!("svc.test:{port}:127.0.0.1,127.0.0.3"),
            &format!("svc.test:{port}"),
        ])
        .assert()
        .code(0)
        .stdout("alive");
    // About 250 ms; the connect timeout, 5 s, is what a failure would take.
    let took = start.elapsed();
    assert!(took < Duration::from_millis(2500), "took {took:?}");
    live.finish();
}

#[test]
fn dead_ipv6_first_falls_back_to_ipv4_quickly() {
    let live = serve(answer_ok);
    let port = live.port();
    let _dead = blackhole_at(&format!("[::1]:{port}"));
    let start = Instant::now();
    fetch()
        .args([
            "--resolve",
            &format!("svc.test:{port}:127.0.0.1,[::1]"),
            &format!("svc.test:{port}"),
        ])
        .assert()
        .code(0)
        .stdout("alive");
    // About 250 ms; the connect timeout, 5 s, is what a failure would take.
    assert!(
        start.elapsed() < Duration::from_millis(2500),
        "took {:?}",
        start.elapsed()
    );
    live.finish();
}

#[test]
#[cfg_attr(
    not(target_os = "linux"),
    ignore = "only Linux routes all of 127/8 to loopback"
)]
fn every_refusing_address_is_listed_and_exit_is_7() {
    let port = refused_port();
    fetch()
        .args([
            "--resolve",
            &format!("svc.test:{port}:127.0.0.1,127.0.0.2"),
            &format!("svc.test:{port}"),
        ])
        .assert()
        .code(7)
        .stdout("")
        .stderr(contains("could not connect to any of 2 addresses after"))
        .stderr(contains(format!(
            "connection refused by 127.0.0.1:{port} and 127.0.0.2:{port} (nothing is listening on that port)\n"
        )));
}

#[test]
#[cfg_attr(
    not(target_os = "linux"),
    ignore = "only Linux routes all of 127/8 to loopback"
)]
fn mixed_outcomes_each_get_their_own_hint_once() {
    let silent = blackhole_at("127.0.0.2:0");
    let port = silent.addr.port();
    fetch()
        .args([
            "--connect-timeout",
            "500ms",
            "--resolve",
            &format!("svc.test:{port}:127.0.0.1,127.0.0.2"),
            &format!("svc.test:{port}"),
        ])
        .assert()
        .code(7)
        .stdout("")
        .stderr(one_line())
        .stderr(contains(format!(
            ": connection refused by 127.0.0.1:{port} (nothing is listening on that port); no answer from 127.0.0.2:{port} (packets dropped by a firewall, or the host is down)\n"
        )));
    let assert = fetch()
        .args(["--connect-timeout", "300ms", &silent.addr.to_string()])
        .assert()
        .code(28)
        .stdout("")
        .stderr(one_line())
        .stderr(contains(
            "ms: no answer (packets dropped by a firewall, or the host is down)\n",
        ));
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert_eq!(stderr.matches("no answer").count(), 1, "{stderr}");
}

#[test]
#[cfg_attr(
    not(target_os = "linux"),
    ignore = "only Linux routes all of 127/8 to loopback"
)]
fn all_silent_addresses_exit_28_within_the_one_deadline() {
    let first = blackhole();
    let port = first.addr.port();
    let _second = blackhole_at(&format!("127.0.0.2:{port}"));
    let start = Instant::now();
    fetch()
        .args([
            "--connect-timeout",
            "1",
            "--resolve",
            &format!("svc.test:{port}:127.0.0.1,127.0.0.2"),
            &format!("svc.test:{port}"),
        ])
        .assert()
        .code(28)
        .stdout("")
        .stderr(contains(format!(
            "no answer from 127.0.0.1:{port} and 127.0.0.2:{port} (packets dropped by a firewall, or the host is down)\n"
        )));
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(800) && took <= Duration::from_secs(3),
        "took {took:?}"
    );
}

#[test]
fn ipv6_only_flag_picks_the_ipv6_address() {
    let server = serve_at("[::1]:0", answer_ok);
    let port = server.port();
    fetch()
        .args([
            "-6",
            "--resolve",
            &format!("svc.test:{port}:127.0.0.1,[::1]"),
            &format!("svc.test:{port}"),
        ])
        .assert()
        .code(0)
        .stdout("alive");
    server.finish();
}

#[test]
fn ipv4_only_flag_with_only_ipv6_addresses_exits_6() {
    fails(
        &["-4", "--resolve", "svc.test:80:[::1]", "svc.test"],
        6,
        "none of its 1 addresses is IPv4 (-4)",
    );
}

#[test]
fn family_flag_contradicting_the_target_is_a_usage_error() {
    fails(
        &["-4", "[::1]:80"],
        2,
        "is not of the family -4/-6 asks for",
    );
}

//! -v traces.

mod support;

use std::time::Duration;

use predicates::str::contains;
use support::*;

/// The stderr lines that start with `marker` and a space, without the time column.
fn trace(stderr: &str) -> Vec<(char, f64, String)> {
    stderr
        .lines()
        .filter_map(|line| {
            let marker = line.chars().next()?;
            if !"*<>".contains(marker) {
                return None;
            }
            let rest = line[1..].trim_start();
            let (ms, text) = rest.split_once("ms ")?;
            Some((marker, ms.trim().parse().ok()?, text.to_string()))
        })
        .collect()
}

/// The length of the default GET request fetch sends to `target`.
fn request_size(target: &str) -> usize {
    format!(
        "GET / HTTP/1.0\r\nHost: {target}\r\nUser-Agent: {}\r\nAccept: */*\r\n\r\n",
        user_agent()
    )
    .len()
}

fn position(lines: &[(char, f64, String)], marker: char, start: &str) -> usize {
    lines
        .iter()
        .position(|(m, _, text)| *m == marker && text.starts_with(start))
        .unwrap_or_else(|| panic!("no {marker} line starting with {start:?} in {lines:#?}"))
}

#[test]
fn verbose_traces_every_step_in_order_with_rising_times() {
    let server = reply("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok");
    let target = server.target();
    let assert = fetch().args(["-v", &target]).assert().code(0).stdout("ok");
    server.finish();
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    let lines = trace(&stderr);
    let order = [
        position(&lines, '*', &format!("connecting to {target}")),
        position(&lines, '*', &format!("connected to {target}")),
        position(&lines, '>', "GET / HTTP/1.0"),
        position(&lines, '>', "Accept: */*"),
        position(
            &lines,
            '*',
            &format!("{} bytes sent", request_size(&target)),
        ),
        position(&lines, '*', "first byte received"),
        position(&lines, '<', "HTTP/1.0 200 OK"),
        position(&lines, '<', "Content-Length: 2"),
        position(&lines, '*', "body complete: 2 bytes after 40 received"),
    ];
    assert!(
        order.windows(2).all(|w| w[0] < w[1]),
        "out of order: {order:?}\n{stderr}"
    );
    let times: Vec<f64> = lines.iter().map(|(_, ms, _)| *ms).collect();
    assert!(
        times.windows(2).all(|w| w[0] <= w[1]),
        "times go back: {stderr}"
    );
    assert_eq!(
        lines.len(),
        stderr.lines().count(),
        "non-trace lines: {stderr}"
    );
}

#[test]
fn verbose_trace_on_failure_shows_where_it_stopped() {
    let server = serve(|stream| hold_open(stream, Duration::from_secs(10)));
    let target = server.target();
    let assert = fetch()
        .args(["-v", "--read-timeout", "300ms", &target])
        .assert()
        .code(29)
        .stderr(contains("fetch: no response from"));
    server.finish();
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    let lines = trace(&stderr);
    let sent = position(
        &lines,
        '*',
        &format!("{} bytes sent", request_size(&target)),
    );
    let stopped = position(&lines, '*', "stopped: no response from");
    assert_eq!(stopped, sent + 1, "{stderr}");
    assert!(!stderr.contains("first byte received"), "{stderr}");
}

#[test]
fn verbose_trace_of_a_refused_connect_has_no_request_lines() {
    let port = refused_port();
    let assert = fetch()
        .args(["-v", &format!("127.0.0.1:{port}")])
        .assert()
        .code(7);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    let lines = trace(&stderr);
    position(
        &lines,
        '*',
        &format!("127.0.0.1:{port}: connection refused"),
    );
    assert!(lines.iter().all(|(m, _, _)| *m == '*'), "{stderr}");
}

#[test]
fn verbose_shows_pinned_addresses_and_every_attempt() {
    let server = serve(|stream| {
        std::io::Write::write_all(stream, &ok_response(b"x")).unwrap();
    });
    let port = server.port();
    let assert = fetch()
        .args([
            "-v",
            "--resolve",
            &format!("svc.test:{port}:127.0.0.2,127.0.0.1"),
            &format!("svc.test:{port}"),
        ])
        .assert()
        .code(0);
    server.finish();
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    let lines = trace(&stderr);
    let order = [
        position(&lines, '*', &format!("svc.test:{port} pinned by --resolve")),
        position(&lines, '*', &format!("connecting to 127.0.0.2:{port}")),
        position(
            &lines,
            '*',
            &format!("127.0.0.2:{port}: connection refused"),
        ),
        position(&lines, '*', &format!("connected to 127.0.0.1:{port}")),
        position(&lines, '>', &format!("Host: svc.test:{port}")),
    ];
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{stderr}");
}

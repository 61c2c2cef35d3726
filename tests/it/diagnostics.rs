//! -v traces.

use std::io::Write;
use std::time::Duration;

use crate::support::*;
use predicates::str::contains;

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
        .stdout("")
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
        .code(7)
        .stdout("");
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
#[cfg_attr(
    not(target_os = "linux"),
    ignore = "only Linux routes all of 127/8 to loopback"
)]
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

#[test]
fn write_out_reports_the_transfer_after_the_body() {
    let response = "HTTP/1.0 201 Created\r\nContent-Length: 4\r\n\r\nbody";
    let server = reply(response);
    let target = server.target();
    let port = server.port();
    let format = "\\n%{http_code} %{response_code} %{size_download} %{size_header} %{size_request} \
                  %{remote_ip} %{remote_port} %{num_connects} %{num_retries} %{exitcode} [%{errormsg}] %{url}%%\\t.";
    let expected = format!(
        "body\n201 201 4 {} {} 127.0.0.1 {port} 1 0 0 [] http://{target}/x%\t.",
        response.len() - "body".len(),
        request_size(&target) + 1
    );
    fetch()
        .args(["-w", format, &target, "/x"])
        .assert()
        .code(0)
        .stdout(expected);
    server.finish();
}

#[test]
fn write_out_describes_the_final_response_head_and_the_upload() {
    let response = "HTTP/1.1 100 Continue\r\nX-Early: no\r\n\r\n\
                    HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Twice: a\r\n\
                    x-twice: b\r\nContent-Length: 2\r\n\r\nok";
    let server = reply(response);
    let format = "\\n%{method} %{size_upload} %{http_version} [%{content_type}] %{num_headers} \
                  [%header{x-TWICE}] [%header{X-Early}] %{header_json}";
    let expected = "ok\nPOST 5 1.1 [text/plain] 4 [a, b] [] \
                    {\"content-length\":[\"2\"],\"content-type\":[\"text/plain\"],\"x-twice\":[\"a\",\"b\"]}";
    fetch()
        .args(["-d", "hello", "-w", format, &server.target(), "/"])
        .assert()
        .code(0)
        .stdout(expected);
    server.finish();
}

#[test]
fn write_out_speeds_are_whole_bytes_per_second() {
    let server = reply("HTTP/1.0 200 OK\r\nContent-Length: 4\r\n\r\nbody");
    let output = fetch()
        .args([
            "-w",
            "\\n%{speed_download} %{speed_upload}",
            &server.target(),
            "/",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let (body, speeds) = stdout.split_once('\n').unwrap();
    assert_eq!(body, "body");
    let (download, upload) = speeds.split_once(' ').unwrap();
    assert!(download.parse::<u64>().unwrap() > 0, "{stdout}");
    assert_eq!(upload, "0");
    server.finish();
}

#[test]
fn write_out_times_are_cumulative_and_ordered() {
    let server = reply(ok_response(b"t"));
    let assert = fetch()
        .args([
            "-w",
            "\\n%{time_namelookup} %{time_connect} %{time_pretransfer} %{time_posttransfer} \
             %{time_starttransfer} %{time_total}",
            &server.target(),
        ])
        .assert()
        .code(0);
    server.finish();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    let times: Vec<f64> = stdout
        .lines()
        .nth(1)
        .unwrap()
        .split(' ')
        .map(|t| t.parse().unwrap())
        .collect();
    assert_eq!(times.len(), 6);
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    assert!(times[1] > 0.0, "{times:?}");
    assert!(times[5] > 0.0 && times[5] < 5.0, "{times:?}");
    // Microsecond precision: six decimals.
    assert!(
        stdout
            .lines()
            .nth(1)
            .unwrap()
            .split(' ')
            .all(|t| t.split('.').nth(1).map(str::len) == Some(6)),
        "{stdout}"
    );
}

fn json_of(stdout: &[u8]) -> serde_json::Value {
    serde_json::from_slice(stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(stdout)))
}

#[test]
fn write_out_json_on_failure_carries_the_exit_code_and_error_kind() {
    let port = refused_port();
    let assert = fetch()
        .args(["-w", "%{json}", &format!("127.0.0.1:{port}")])
        .assert()
        .code(7);
    let json = json_of(&assert.get_output().stdout);
    assert_eq!(json["exitcode"], 7);
    assert_eq!(json["error_kind"], "refused");
    assert_eq!(json["http_code"], 0);
    assert_eq!(json["num_connects"], 1);
    assert!(
        json["errormsg"]
            .as_str()
            .unwrap()
            .contains("connection refused")
    );

    let server = serve(|stream| hold_open(stream, Duration::from_secs(10)));
    let port = server.port();
    let assert = fetch()
        .args(["-w", "%{json}", "--read-timeout", "200ms", &server.target()])
        .assert()
        .code(29);
    server.finish();
    let json = json_of(&assert.get_output().stdout);
    assert_eq!(json["exitcode"], 29);
    assert_eq!(json["error_kind"], "response_timeout");
    assert_eq!(json["remote_port"], port);
    assert_eq!(json["remote_ip"], "127.0.0.1");
}

#[test]
fn write_out_json_on_success_has_every_field() {
    let server = reply(ok_response(b"12345"));
    let assert = fetch()
        .args([
            "--body",
            "-o",
            "/dev/null",
            "-w",
            "%{json}",
            &server.target(),
        ])
        .assert()
        .code(0);
    server.finish();
    let json = json_of(&assert.get_output().stdout);
    for key in [
        "http_code",
        "response_code",
        "time_namelookup",
        "time_connect",
        "time_starttransfer",
        "time_total",
        "size_download",
        "size_header",
        "size_request",
        "remote_ip",
        "remote_port",
        "num_connects",
        "num_retries",
        "exitcode",
        "errormsg",
        "error_kind",
        "url",
    ] {
        assert!(json.get(key).is_some(), "no {key} in {json}");
    }
    assert_eq!(json["size_download"], 5);
    assert_eq!(json["error_kind"], serde_json::Value::Null);
    assert_eq!(json["exitcode"], 0);
}

#[test]
fn unknown_write_out_variable_is_a_usage_error_before_connecting() {
    let witness = Witness::new();
    fails(
        &["-w", "%{http_code} %{nope}", &witness.target()],
        2,
        "unknown -w variable '%{nope}'",
    );
    witness.assert_untouched();
}

#[test]
fn write_out_switches_between_stdout_and_stderr() {
    let server = reply(ok_response(b"body"));
    fetch()
        .args(["-w", "[out%{stderr}err%{stdout}out2]", &server.target()])
        .assert()
        .code(0)
        .stdout("body[outout2]")
        .stderr("err");
    server.finish();
}

#[test]
fn write_out_onerror_prints_the_rest_only_on_failure() {
    let server = reply(ok_response(b"body"));
    fetch()
        .args(["-w", "a%{onerror}failed %{exitcode}", &server.target()])
        .assert()
        .code(0)
        .stdout("bodya");
    server.finish();
    let target = format!("127.0.0.1:{}", refused_port());
    fetch()
        .args(["-w", "a%{onerror}failed %{exitcode}", &target])
        .assert()
        .code(7)
        .stdout("afailed 7");
}

#[test]
fn write_out_prints_curls_variables_fetch_lacks_empty_with_one_warning() {
    let format = "[%{time_queue}|%{certs}|%{http_code}]";
    let server = reply(ok_response(b"body"));
    fetch()
        .args(["-w", format, &server.target()])
        .assert()
        .code(0)
        .stdout("body[||200]")
        .stderr(
            "fetch: warning: -w: fetch has no figure for curl's %{time_queue}, %{certs}; \
             printed empty\n",
        );
    server.finish();
    let server = reply(ok_response(b"body"));
    fetch()
        .args(["-s", "-w", format, &server.target()])
        .assert()
        .code(0)
        .stdout("body[||200]")
        .stderr("");
    server.finish();
}

#[test]
fn write_out_url_parts_are_the_targets_and_the_last_hops_never_the_password() {
    let format = "%{url.scheme}|%{url.user}|%{url.password}|%{url.host}|%{url.port}|\
        %{url.path}|%{url.query}|%{url.fragment}|%{url.options}|%{url.zoneid}\n\
        %{urle.scheme}|%{urle.user}|%{urle.password}|%{urle.host}|%{urle.port}|\
        %{urle.path}|%{urle.query}|%{urle.fragment}";
    let last = reply(ok_response(b""));
    let last_port = last.port();
    let first = reply(format!(
        "HTTP/1.1 302 Found\r\nLocation: http://localhost:{last_port}/next?b=2\r\nContent-Length: 0\r\n\r\n"
    ));
    let target = format!("http://ann:secret@127.0.0.1:{}/start?a=1#top", first.port());
    let output = fetch()
        .args([
            "-s",
            "-L",
            "--resolve",
            &format!("localhost:{last_port}:127.0.0.1"),
        ])
        .args(["-w", format, &target])
        .output()
        .unwrap();
    first.finish();
    last.finish();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        format!(
            "http|ann|***|127.0.0.1|{}|/start|a=1|top||\nhttp|||localhost|{last_port}|/next|b=2|",
            first_port(&target)
        )
    );
    assert!(!String::from_utf8_lossy(&output.stderr).contains("secret"));

    // Without a redirect, urle is the target; a part curl does not have is exit 2.
    let server = reply(ok_response(b""));
    fetch()
        .args([
            "-w",
            "%{urle.host}:%{urle.port}%{urle.path}",
            &server.target(),
        ])
        .assert()
        .code(0)
        .stdout(format!("127.0.0.1:{}/", server.port()));
    server.finish();
    refused_with(
        &["-w", "%{url.nope}", "{}"],
        "unknown -w variable '%{url.nope}'",
    );
}

fn first_port(target: &str) -> &str {
    let authority = target.split('@').nth(1).unwrap();
    authority.split(['/', ':']).nth(1).unwrap()
}

#[test]
fn write_out_filename_effective_is_the_file_written() {
    let scratch = Scratch::new("filename-effective");
    let file = scratch.path("out.txt");
    let server = reply(ok_response(b"body"));
    fetch()
        .args(["-w", "[%{filename_effective}]", "-o"])
        .arg(&file)
        .arg(server.target())
        .assert()
        .code(0)
        .stdout(format!("[{}]", file.display()));
    server.finish();
    let server = reply(ok_response(b"body"));
    fetch()
        .args(["-w", "[%{filename_effective}]", &server.target()])
        .assert()
        .code(0)
        .stdout("body[]");
    server.finish();
}

#[test]
fn write_out_local_address_and_referer_are_what_the_server_saw() {
    let server = serve(|stream| {
        let port = stream.peer_addr().expect("peer").port();
        let body = format!("{port}\n");
        let _ = stream.write_all(&ok_response(body.as_bytes()));
    });
    let output = fetch()
        .args([
            "-e",
            "http://from.invalid/",
            "-w",
            "%{local_ip} %{local_port} %{referer}",
        ])
        .arg(server.target())
        .output()
        .unwrap();
    let request = server.finish();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let (port, figures) = stdout.split_once('\n').unwrap();
    assert_eq!(figures, format!("127.0.0.1 {port} http://from.invalid/"));
    assert!(String::from_utf8_lossy(&request).contains("\r\nReferer: http://from.invalid/\r\n"));
}

/// Every exit code that can follow an accepted command line (but 26 and 55,
/// checked in uploads.rs and failures.rs; 1, which has no loopback cause; and
/// the signals) prints -w's figures.
#[test]
fn every_failure_prints_its_write_out_json() {
    use crate::support::tls::*;
    use std::io::Read;
    let run = |args: &[&str]| {
        let mut command = fetch();
        command.args(args);
        command
    };
    let served = |response: &'static str| reply(response);
    let s =
        served("HTTP/1.1 302 Found\r\nLocation: ftp://files.test/x\r\nContent-Length: 0\r\n\r\n");
    ends_with_json(run(&["-L", &s.target()]), 3, "bad_location");
    ends_with_json(
        run(&["-x", "proxy.invalid:3128", "http://a.test/"]),
        5,
        "proxy_resolve",
    );
    ends_with_json(run(&["host.invalid"]), 6, "resolve");
    ends_with_json(
        run(&[&format!("127.0.0.1:{}", refused_port())]),
        7,
        "refused",
    );
    let s = served("SSH-2.0-OpenSSH_9.2\r\n");
    ends_with_json(run(&[&s.target()]), 8, "not_http");
    let s = served("HTTP/1.0 200 OK\r\nContent-Length: 10\r\n\r\nhalf");
    ends_with_json(run(&[&s.target()]), 18, "partial");
    let s = served("HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n");
    ends_with_json(run(&["-f", &s.target()]), 22, "http_error");
    let witness = Witness::new();
    let unopenable = ["-o", "/nonexistent-dir/out", &witness.target()];
    ends_with_json(run(&unopenable), 23, "write");
    witness.assert_untouched();
    let hole = blackhole();
    let slow = ["--connect-timeout", "300ms", &hole.addr.to_string()];
    ends_with_json(run(&slow), 28, "connect_timeout");
    let s = serve(|stream| hold_open(stream, Duration::from_secs(10)));
    ends_with_json(
        run(&["--read-timeout", "200ms", &s.target()]),
        29,
        "response_timeout",
    );
    let scratch = Scratch::new("json-endings");
    let file = scratch.path("partial.bin");
    std::fs::write(&file, b"abc").unwrap();
    let s = served(
        "HTTP/1.1 206 Partial\r\nContent-Range: bytes 5-9/10\r\nContent-Length: 5\r\n\r\n56789",
    );
    let file_arg = file.to_str().unwrap();
    ends_with_json(
        run(&["-C", "-", "-o", file_arg, &s.target()]),
        33,
        "range_refused",
    );
    let s = serve_raw(|mut stream| {
        let _ = stream.write_all(b"HTTP/1.0 400 Bad Request\r\n\r\n");
        let mut hello = [0u8; 512];
        let _ = stream.read(&mut hello);
        Vec::new()
    });
    ends_with_json(
        run(&[&format!("https://{}/", s.target())]),
        35,
        "tls_handshake",
    );
    let s = served("HTTP/1.1 302 Found\r\nLocation: /again\r\nContent-Length: 0\r\n\r\n");
    ends_with_json(
        run(&["-L", "--max-redirs", "0", &s.target()]),
        47,
        "too_many_redirects",
    );
    let s = serve(|_| {});
    ends_with_json(run(&[&s.target()]), 52, "empty_reply");
    let s = serve(|stream| reset(stream.try_clone().unwrap()));
    ends_with_json(run(&[&s.target()]), 56, "reset");
    let ca = Ca::new("fetch test CA");
    let s = tls_server(ca.leaf(&["localhost"], |_| {}), |_| {});
    let pin = format!("localhost:{}:127.0.0.1", s.port());
    let url = format!("https://localhost:{}/", s.port());
    ends_with_json(run(&["--resolve", &pin, &url]), 60, "tls_certificate");
    let s = served("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nxx");
    ends_with_json(run(&[&s.target()]), 61, "bad_encoding");
    let s = served("HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\n12345");
    ends_with_json(run(&["--max-size", "3", &s.target()]), 63, "too_large");
    let empty = scratch.path("empty.pem");
    std::fs::write(&empty, b"").unwrap();
    let witness = Witness::new();
    let url = format!("https://{}/", witness.target());
    ends_with_json(
        run(&["--cacert", empty.to_str().unwrap(), &url]),
        77,
        "tls_ca_file",
    );
    witness.assert_untouched();
}

#[test]
fn a_refused_connect_names_the_address_tried_in_write_out() {
    let port = refused_port();
    let assert = fetch()
        .args([
            "-w",
            "%{remote_ip} %{remote_port}",
            &format!("127.0.0.1:{port}"),
        ])
        .assert()
        .code(7);
    assert_eq!(
        String::from_utf8_lossy(&assert.get_output().stdout),
        format!("127.0.0.1 {port}")
    );
}

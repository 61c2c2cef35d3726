//! -u and credentials in a URL: Basic authentication, the password asked for on
//! a terminal, and never a password in any output.

use std::io::Write;

use crate::support::*;
use predicates::prelude::*;
use predicates::str::contains;

const PASSWORD: &str = "s3cret";
/// base64("alice:s3cret")
const TOKEN: &str = "YWxpY2U6czNjcmV0";

/// No trace of the password, in clear or encoded, in `text`.
fn no_secret(text: &[u8]) {
    let text = String::from_utf8_lossy(text);
    assert!(!text.contains(PASSWORD) && !text.contains(TOKEN), "{text}");
}

#[test]
fn user_and_password_are_sent_as_basic_and_hidden_everywhere() {
    for how in ["flag", "url"] {
        let server = reply(ok_response(b"ok"));
        let mut command = fetch();
        command.args(["-v", "-w", "%{url} %{url_effective} %{json}"]);
        match how {
            "flag" => command.args(["-u", "alice:s3cret", &server.target()]),
            _ => command.arg(format!("http://alice:s3%63ret@{}/", server.target())),
        };
        let assert = command
            .assert()
            .code(0)
            .stderr(contains("> ").and(contains("Authorization: Basic [hidden]")));
        let output = assert.get_output();
        no_secret(&output.stderr);
        no_secret(&output.stdout);
        let request = String::from_utf8(server.finish()).unwrap();
        assert!(
            request.contains(&format!("\r\nAuthorization: Basic {TOKEN}\r\n")),
            "{how}: {request}"
        );
    }
}

#[test]
fn a_password_never_reaches_an_error_message_or_a_retry() {
    let port = refused_port();
    let assert = fetch()
        .args(["--retry", "1", "--retry-delay", "10ms", "-w", "%{json}"])
        .arg(format!("http://alice:s3cret@127.0.0.1:{port}/"))
        .assert()
        .code(7);
    no_secret(&assert.get_output().stderr);
    no_secret(&assert.get_output().stdout);
}

#[test]
fn a_user_without_a_password_and_no_terminal_is_a_usage_error() {
    refused_with(
        &["-u", "alice", "{}"],
        "-u alice gives no password, and there is no terminal",
    );
}

#[test]
fn the_password_is_asked_for_on_the_terminal_without_echo() {
    let server = reply(ok_response(b"ok"));
    let command = format!(
        "{} -u alice -o /dev/null {}",
        env!("CARGO_BIN_EXE_fetch"),
        server.target()
    );
    let mut script = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env_clear()
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("script(1) from util-linux");
    // Type only once the prompt shows, as a person would (typed ahead, the
    // terminal would echo it before fetch turned echo off).
    let mut screen = script.stdout.take().unwrap();
    let mut seen = Vec::new();
    let mut byte = [0u8; 1];
    while !seen.ends_with(b"': ") {
        assert_eq!(
            std::io::Read::read(&mut screen, &mut byte).unwrap(),
            1,
            "no prompt"
        );
        seen.push(byte[0]);
    }
    script.stdin.take().unwrap().write_all(b"s3cret\n").unwrap();
    std::io::Read::read_to_end(&mut screen, &mut seen).unwrap();
    script.wait().unwrap();
    let seen = String::from_utf8_lossy(&seen);
    assert!(seen.contains("Enter password for user 'alice': "), "{seen}");
    assert!(!seen.contains(PASSWORD), "echoed: {seen}");
    let request = String::from_utf8(server.finish()).unwrap();
    assert!(
        request.contains(&format!("Authorization: Basic {TOKEN}")),
        "{request}"
    );
}

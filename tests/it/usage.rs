//! Invalid command lines: exit 2, one line naming the bad part, and no connection.

use crate::support::*;
use predicates::prelude::*;
use predicates::str::contains;

#[test]
fn path_must_start_with_a_slash() {
    refused_with(
        &["{}", "index.html"],
        "invalid PATH 'index.html': it must start with '/'",
    );
}

#[test]
fn spaces_and_control_characters_in_the_path_are_refused() {
    refused_with(&["{}", "/a b"], "a space at position 2");
    refused_with(
        &["{}", "/a\r\nX-Injected: 1"],
        "a carriage return (CR) at position 2",
    );
    refused_with(&["{}", "/a\nb"], "a line feed (LF) at position 2");
    refused_with(&["{}", "/a\tb"], "a tab at position 2");
    refused_with(&["{}", "/a\x7fb"], "control byte 0x7f");
    refused_with(&["http://{}/a b"], "a space at position");
}

#[test]
fn control_characters_in_the_host_are_refused() {
    refused_with(&["127.0.0.1\r\n:80"], "carriage return");
    refused_with(&["exa mple.test"], "a space at position 3");
}

#[test]
fn empty_host_is_refused() {
    refused_with(&[":8080"], "the host is empty");
    refused_with(&["http:///path"], "the host is empty");
}

#[test]
fn bad_ports_are_refused() {
    refused_with(&["127.0.0.1:0"], "port 0 is out of range (1-65535)");
    refused_with(&["127.0.0.1:65536"], "port 65536 is out of range (1-65535)");
    refused_with(&["127.0.0.1:http"], "port 'http' is not a number");
    refused_with(&["127.0.0.1:"], "the port after ':' is empty");
}

#[test]
fn schemes_other_than_http_and_https_are_refused() {
    refused_with(
        &["ftp://{}/"],
        "unsupported scheme 'ftp'; fetch speaks http:// and https://",
    );
    refused_with(&["gopher://{}/"], "unsupported scheme 'gopher'");
}

#[test]
fn path_given_twice_is_refused() {
    refused_with(&["http://{}/a", "/b"], "PATH given twice");
    refused_with(
        &["http://{}/a", "http://{}/b"],
        "fetch takes one target, and 'http://127.0.0.1:",
    );
}

#[test]
fn a_port_given_as_the_path_gets_host_colon_port_suggested() {
    refused_with(
        &["api.test", "8080"],
        "invalid PATH '8080': it must start with '/' (for port 8080, write api.test:8080)",
    );
}

#[test]
fn a_non_ascii_host_is_echoed_as_typed() {
    refused_with(
        &["m\u{fc}nchen.test:99999"],
        "invalid target 'm\u{fc}nchen.test:99999'",
    );
    refused_with(&["-C", "caf\u{e9}", "-o", "f", "{}"], "-C 'caf\u{e9}':");
}

#[test]
fn generate_suggests_the_completion_kind_meant() {
    fails(&["--generate", "bash"], 2, "did you mean 'complete-bash'?");
}

#[test]
fn continue_at_shows_both_forms() {
    let help = fetch().arg("--help").assert().code(0);
    let help = String::from_utf8_lossy(&help.get_output().stdout).into_owned();
    assert!(help.contains("  -C, --continue-at <-|N>\n"), "{help}");
    assert!(help.contains("or from byte N of it"), "{help}");
    assert!(!help.contains("<->"), "{help}");
    refused_with(
        &["-C", "-", "--compressed", "-o", "f", "{}"],
        "'--continue-at <-|N>' cannot be used",
    );
}

#[test]
fn bad_durations_are_refused() {
    refused_with(&["--connect-timeout", "-1", "{}"], "'-1' is negative");
    refused_with(&["--read-timeout", "NaN", "{}"], "'NaN' is not a duration");
    refused_with(
        &["--max-time", "99999999", "{}"],
        "longer than the maximum of 7 days",
    );
}

#[test]
fn unknown_flags_and_extra_arguments_are_refused() {
    refused_with(
        &["--frobnicate", "{}"],
        "unexpected argument '--frobnicate'",
    );
    refused_with(&["{}", "/", "/again"], "unexpected argument '/again'");
}

#[test]
fn missing_target_is_refused() {
    fetch().assert().code(2).stderr(contains(
        "the following required arguments were not provided: <TARGET>",
    ));
}

#[test]
fn help_lists_every_exit_code() {
    let assert = fetch().arg("--help").assert().code(0).stderr("");
    let help = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    for (code, meaning) in fetch::error::EXIT_CODES {
        let row = format!("{code:>3}  {meaning}");
        assert!(
            help.lines().any(|l| l.trim_end() == format!("  {row}")),
            "--help lacks the row for exit code {code}: {row}"
        );
    }
}

#[test]
fn short_help_is_one_screen_of_the_common_flags() {
    let assert = fetch().arg("-h").assert().code(0).stderr("");
    let help = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    assert!(
        help.lines().count() <= 40,
        "-h is longer than a screen:\n{help}"
    );
    for common in [
        "-o, --output",
        "-L, --location",
        "-w, --write-out",
        "--connect-timeout",
    ] {
        assert!(help.contains(common), "-h lacks {common}");
    }
    for rare in [
        "--noproxy",
        "--location-trusted",
        "--data-urlencode",
        "Exit codes:",
    ] {
        assert!(!help.contains(rare), "-h shows {rare}");
    }
    assert!(help.ends_with("All options, the exit codes and the -w variables: fetch --help\n"));
}

#[test]
fn long_help_has_every_flag_and_every_write_out_variable() {
    let assert = fetch().arg("--help").assert().code(0).stderr("");
    let help = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    for flag in [
        "--noproxy",
        "--location-trusted",
        "--data-urlencode",
        "-D, --dump-header",
        "--raw",
    ] {
        assert!(help.contains(flag), "--help lacks {flag}");
    }
    for variable in [
        "%{http_code}",
        "%{header_json}",
        "%header{NAME}",
        "%{onerror}",
    ] {
        assert!(help.contains(variable), "--help lacks {variable}");
    }
}

#[test]
fn a_password_in_an_invalid_target_is_never_echoed() {
    let target = "http://alice:s3cret@127.0.0.1:0/";
    refused_with(&[target], "invalid target 'http://alice:***@127.0.0.1:0/'");
    fetch()
        .arg(target)
        .assert()
        .code(2)
        .stderr(contains("s3cret").not());
}

#[test]
fn an_unclosed_write_out_variable_is_refused() {
    refused_with(
        &["-w", "%{http_code", "{}"],
        "-w: '%{' without a closing '}'",
    );
}

#[test]
fn short_help_names_the_target_as_its_usage_line_does() {
    let help = fetch().arg("-h").assert().code(0);
    let help = String::from_utf8_lossy(&help.get_output().stdout).into_owned();
    assert!(
        help.contains("Usage: fetch [OPTIONS] <TARGET> [PATH]"),
        "{help}"
    );
    assert!(help.contains("\n  <TARGET>  "), "{help}");
}

#[test]
fn curl_options_fetch_lacks_are_named_with_what_fetch_offers() {
    for (args, message) in [
        (
            &["--http2", "{}"][..],
            "--http2: fetch speaks HTTP/1.0, or HTTP/1.1 with --http1.1; it has no HTTP/2 or HTTP/3",
        ),
        (
            &["--digest", "-u", "a:b", "{}"],
            "--digest: fetch sends Basic authentication only, with -u",
        ),
        (
            &["--url", "http://{}/"],
            "--url: give the URL as the TARGET argument",
        ),
        (&["-Z", "{}"], "-Z: fetch makes one request per run"),
        (
            &["--ftp-pasv", "{}"],
            "--ftp-pasv: fetch speaks HTTP only; it has no FTP",
        ),
        (
            &["--http3", "{}"],
            "--http3: fetch speaks HTTP/1.0, or HTTP/1.1 with --http1.1; it has no HTTP/2 or HTTP/3",
        ),
        (
            &["--limit-rate=1k", "{}"],
            "--limit-rate: fetch has no rate limit",
        ),
    ] {
        let witness = Witness::new();
        let args: Vec<String> = args
            .iter()
            .map(|a| a.replace("{}", &witness.target()))
            .collect();
        let assert = fetch()
            .args(&args)
            .assert()
            .code(2)
            .stdout("")
            .stderr(one_line());
        let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
        assert!(stderr.contains(message), "{stderr}");
        for misleading in ["similar argument", "tip:", "'-- "] {
            assert!(!stderr.contains(misleading), "{stderr}");
        }
        witness.assert_untouched();
    }
}

#[test]
fn a_typo_of_a_fetch_option_still_gets_its_suggestion() {
    refused_with(
        &["--locaton", "{}"],
        "a similar argument exists: '--location'",
    );
}

//! --generate: completion scripts and the man page, from the flag definitions.

use crate::support::*;
use predicates::str::contains;

fn generated(kind: &str) -> String {
    let assert = fetch()
        .args(["--generate", kind])
        .assert()
        .code(0)
        .stderr("");
    String::from_utf8(assert.get_output().stdout.clone()).expect("UTF-8")
}

#[test]
fn every_completion_script_names_the_flags() {
    for (kind, marker) in [
        ("complete-bash", "complete -F _fetch"),
        ("complete-zsh", "#compdef fetch"),
        ("complete-fish", "complete -c fetch"),
        ("complete-powershell", "Register-ArgumentCompleter"),
    ] {
        let script = generated(kind);
        assert!(script.contains(marker), "{kind} lacks {marker}");
        for flag in ["location-trusted", "write-out", "generate"] {
            assert!(script.contains(flag), "{kind} lacks --{flag}");
        }
    }
}

#[test]
fn bash_loads_the_completion_script() {
    let script = generated("complete-bash");
    let output = std::process::Command::new("bash")
        .args([
            "--norc",
            "-c",
            "eval \"$1\" && complete -p fetch",
            "bash",
            &script,
        ])
        .output()
        .expect("run bash");
    assert_eq!(String::from_utf8_lossy(&output.stderr), "");
    assert!(output.status.success());
    assert!(String::from_utf8_lossy(&output.stdout).contains("-F _fetch"));
}

#[test]
fn the_man_page_has_the_flags_exit_codes_and_variables() {
    let page = generated("man");
    assert!(
        page.starts_with(".ie"),
        "not roff: {}",
        &page[..40.min(page.len())]
    );
    for text in [
        ".TH fetch 1",
        "\\-\\-location\\-trusted",
        "130",
        "%{header_json}",
    ] {
        assert!(page.contains(text), "the man page lacks {text}");
    }
}

#[test]
fn generate_takes_no_target_and_refuses_an_unknown_kind() {
    fails(
        &["--generate", "man", "127.0.0.1:1"],
        2,
        "'--generate <KIND>' cannot be used with",
    );
    fetch()
        .args(["--generate", "complete-tcsh"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(contains(
            "invalid value 'complete-tcsh' for '--generate <KIND>'",
        ));
}

#[test]
fn a_reader_that_leaves_early_is_not_an_error() {
    let mut child = command()
        .args(["--generate", "complete-zsh"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn fetch");
    drop(child.stdout.take());
    let output = child.wait_with_output().expect("wait for fetch");
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&output.stderr), "");
}

/// Every option `--help` describes has the same description in the man page
/// (roff escapes undone), the ones -h hides included.
#[test]
fn the_man_page_describes_every_option_help_lists() {
    let page = generated("man").replace("\\-", "-").replace("\\*(Aq", "'");
    let help = fetch().arg("--help").assert().code(0);
    let help = String::from_utf8(help.get_output().stdout.clone()).expect("UTF-8");
    let options = help
        .split("\nOptions:\n")
        .nth(1)
        .expect("an Options section");
    let mut lines = options.lines().peekable();
    let mut checked = 0;
    while let Some(line) = lines.next() {
        let is_flag = line.starts_with("  -") || line.starts_with("      --");
        if !is_flag {
            continue;
        }
        let description = lines.next().unwrap_or_default().trim();
        assert!(!description.is_empty(), "{line} has no description");
        assert!(
            page.contains(description),
            "the man page lacks {}'s description: {description}",
            line.trim()
        );
        checked += 1;
    }
    assert!(checked > 40, "only {checked} options were read from --help");
}

//! -o FILE: the file appears only when the response is complete, and a failure
//! never leaves something that looks like it.

use std::io::Write;
use std::thread;
use std::time::Duration;

use crate::support::*;
use predicates::str::contains;

#[test]
fn complete_response_becomes_the_file() {
    let dir = Scratch::new("o-ok");
    let body = pattern(1 << 20);
    let server = reply(ok_response(&body));
    let file = dir.path("out.bin");
    fetch()
        .args(["-o", file.to_str().unwrap(), &server.target()])
        .assert()
        .code(0)
        .stdout("")
        .stderr("");
    assert_same_bytes(&std::fs::read(&file).unwrap(), &body);
    assert_eq!(dir.names(), ["out.bin"]);
    server.finish();
}

#[test]
fn devices_and_named_pipes_are_written_in_place_not_replaced() {
    use std::os::unix::fs::FileTypeExt;
    let server = reply(ok_response(b"discarded"));
    fetch()
        .args(["-o", "/dev/null", &server.target()])
        .assert()
        .code(0)
        .stderr("");
    server.finish();
    let null = std::fs::metadata("/dev/null").unwrap().file_type();
    assert!(null.is_char_device(), "/dev/null was replaced");

    let dir = Scratch::new("o-fifo");
    let fifo = dir.path("fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let reader = {
        let fifo = fifo.clone();
        thread::spawn(move || std::fs::read(fifo).unwrap())
    };
    let body = pattern(300_000);
    let server = reply(ok_response(&body));
    fetch()
        .args(["-o", fifo.to_str().unwrap(), &server.target()])
        .assert()
        .code(0)
        .stderr("");
    server.finish();
    // Checked before joining: had the FIFO been replaced, its reader would wait forever.
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
    assert_same_bytes(&reader.join().unwrap(), &body);
    assert_eq!(dir.names(), ["fifo"]);
}

#[test]
fn failure_before_any_byte_leaves_no_file_and_an_existing_one_untouched() {
    let dir = Scratch::new("o-none");
    let fresh = dir.path("fresh.txt");
    let server = serve(|_stream| {}); // empty reply
    fetch()
        .args(["-o", fresh.to_str().unwrap(), &server.target()])
        .assert()
        .code(52)
        .stdout("");
    server.finish();
    assert_eq!(dir.names(), Vec::<String>::new());

    let existing = dir.path("existing.txt");
    std::fs::write(&existing, "old contents").unwrap();
    let server = reply("HTTP/1.0 200 OK\r\nContent-Length: 10\r\n\r\n");
    fetch()
        .args(["-o", existing.to_str().unwrap(), &server.target()])
        .assert()
        .code(18)
        .stdout("");
    server.finish();
    assert_eq!(std::fs::read_to_string(&existing).unwrap(), "old contents");
    assert_eq!(dir.names(), ["existing.txt"]);
}

#[test]
fn failure_mid_body_keeps_exactly_the_received_bytes_as_part() {
    let dir = Scratch::new("o-part");
    let file = dir.path("data.bin");
    std::fs::write(&file, "previous").unwrap();
    let body = pattern(5000);
    let sent = body.clone();
    let (go, resume) = go_signal();
    let server = serve_raw(move |mut stream| {
        let request = read_request(&mut stream);
        stream
            .write_all(b"HTTP/1.0 200 OK\r\nContent-Length: 100000\r\n\r\n")
            .unwrap();
        stream.write_all(&sent).unwrap();
        resume.wait();
        reset(stream);
        request
    });
    let part = format!("{}.part", file.display());
    let running = spawn_fetch(&["-o", file.to_str().unwrap(), &server.target()]);
    wait_for_open_file(running.id(), &dir.0, 5000);
    go.send(()).unwrap();
    let (code, stdout, stderr) = running.finish();
    assert_eq!(code, Some(56), "{stderr}");
    assert_eq!(stdout, b"");
    assert!(
        stderr.ends_with(&format!("; the 5000 bytes written are in {part}\n")),
        "{stderr}"
    );
    server.finish();
    assert_same_bytes(&std::fs::read(&part).unwrap(), &body);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "previous");
    assert_eq!(dir.names(), ["data.bin", "data.bin.part"]);
}

#[test]
fn truncated_body_is_kept_as_part_with_its_count() {
    let dir = Scratch::new("o-short");
    let file = dir.path("short.txt");
    let server = reply("HTTP/1.0 200 OK\r\nContent-Length: 10\r\n\r\n123");
    fetch()
        .args(["-o", file.to_str().unwrap(), &server.target()])
        .assert()
        .code(18)
        .stdout("")
        .stderr(contains("ended after 3 of 10 body bytes"))
        .stderr(contains("the 3 bytes written are in"));
    server.finish();
    assert_eq!(dir.names(), ["short.txt.part"]);
    assert_eq!(
        std::fs::read_to_string(dir.path("short.txt.part")).unwrap(),
        "123"
    );
}

#[test]
fn fail_with_output_leaves_no_file() {
    let dir = Scratch::new("o-fail");
    let file = dir.path("page.html");
    let server = reply("HTTP/1.0 404 Not Found\r\nContent-Length: 4\r\n\r\ngone");
    fetch()
        .args(["-f", "-o", file.to_str().unwrap(), &server.target()])
        .assert()
        .code(22)
        .stdout("");
    server.finish();
    assert_eq!(dir.names(), Vec::<String>::new());
}

#[test]
fn unwritable_place_exits_23_before_connecting() {
    let witness = Witness::new();
    fails(
        &["-o", "/nonexistent-dir/out.txt", &witness.target()],
        23,
        "cannot write '/nonexistent-dir/out.txt'",
    );
    witness.assert_untouched();

    let dir = Scratch::new("o-dir");
    fails(
        &["-o", dir.0.to_str().unwrap(), &witness.target()],
        23,
        "is a directory",
    );
    witness.assert_untouched();
}

#[test]
fn dash_means_stdout() {
    let server = reply(ok_response(b"to stdout"));
    fetch()
        .args(["-o", "-", &server.target()])
        .assert()
        .code(0)
        .stdout("to stdout");
    server.finish();
}

#[test]
fn binary_body_is_not_printed_to_a_terminal_unless_forced() {
    let mut body = b"BINARY-MARKER\0\x01\x02".to_vec();
    body.extend_from_slice(&pattern(3000));
    let server = reply(ok_response(&body));
    let seen = on_terminal(&format!("--body {}", server.target()));
    server.finish();
    assert!(!seen.contains("BINARY-MARKER"), "{seen:?}");
    assert!(
        seen.contains("the body (3016 bytes) looks binary and was not printed to the terminal"),
        "{seen:?}"
    );

    let server = reply(ok_response(&body));
    let seen = on_terminal(&format!("--body -o - {}", server.target()));
    server.finish();
    assert!(seen.contains("BINARY-MARKER"), "{seen:?}");
}

#[test]
fn short_text_body_is_printed_to_a_terminal() {
    let server = reply(ok_response(b"short text"));
    let seen = on_terminal(&format!("--body {}", server.target()));
    server.finish();
    assert_eq!(seen, "short text");
}

#[test]
fn progress_bar_shows_on_a_terminal_stderr_and_silent_hides_it() {
    let dir = Scratch::new("o-progress");
    let body = pattern(40_000);
    let trickle = |body: Vec<u8>| {
        serve(move |stream| {
            stream
                .write_all(
                    format!("HTTP/1.0 200 OK\r\nContent-Length: {}\r\n\r\n", body.len()).as_bytes(),
                )
                .unwrap();
            // Slow enough for the bar to be drawn a few times.
            for piece in body.chunks(4000) {
                stream.write_all(piece).unwrap();
                thread::sleep(Duration::from_millis(60));
            }
        })
    };
    let file = dir.path("slow.bin");
    let server = trickle(body.clone());
    let seen = on_terminal(&format!("-o {} {}", file.display(), server.target()));
    server.finish();
    assert!(seen.contains("/39.06 KiB"), "{seen:?}");
    assert!(seen.contains("100%"), "{seen:?}");
    assert_same_bytes(&std::fs::read(&file).unwrap(), &body);

    let server = trickle(body.clone());
    let seen = on_terminal(&format!("-s -o {} {}", file.display(), server.target()));
    server.finish();
    assert_eq!(seen, "");
}

#[test]
fn an_existing_files_mode_is_kept_and_a_new_file_follows_the_umask() {
    use std::os::unix::fs::PermissionsExt;
    let dir = Scratch::new("o-mode");
    let file = dir.path("secret.txt");
    std::fs::write(&file, "old").unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let server = reply(ok_response(b"new"));
    fetch()
        .args(["-o", file.to_str().unwrap(), &server.target()])
        .assert()
        .code(0);
    server.finish();
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "new");
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode, 0o600, "{mode:o}");

    let fresh = dir.path("fresh.txt");
    let server = reply(ok_response(b"new"));
    fetch_after("umask 027")
        .args(["-o", fresh.to_str().unwrap(), &server.target()])
        .assert()
        .code(0);
    server.finish();
    let mode = std::fs::metadata(&fresh).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode, 0o640, "{mode:o}");
}

#[test]
fn a_full_disk_keeps_and_counts_exactly_what_reached_the_file() {
    // A file size limit (SIGXFSZ ignored, so writes fail with EFBIG) stands for a
    // full disk: the write that crosses 1 MiB is cut short, the next one fails.
    let dir = Scratch::new("o-full");
    let file = dir.path("out.bin");
    let body = pattern(2 << 20);
    let server = reply(ok_response(&body));
    let part = dir.path("out.bin.part");
    fetch_after("trap '' XFSZ; ulimit -f 1024")
        .args(["-o", file.to_str().unwrap(), &server.target()])
        .assert()
        .code(23)
        .stdout("")
        .stderr(contains(format!(
            "; the 1048576 bytes written are in {}\n",
            part.display()
        )));
    server.finish();
    assert_same_bytes(&std::fs::read(&part).unwrap(), &body[..1 << 20]);
    assert_eq!(dir.names(), ["out.bin.part"]);
}

#[test]
fn a_killed_fetch_leaves_no_file_behind() {
    let dir = Scratch::new("o-kill9");
    let file = dir.path("big.bin");
    let server = serve(|stream| {
        stream
            .write_all(b"HTTP/1.0 200 OK\r\nContent-Length: 1000000\r\n\r\n")
            .unwrap();
        stream.write_all(&pattern(5000)).unwrap();
        hold_open(stream, Duration::from_secs(20));
    });
    let mut child = command()
        .args(["-o", file.to_str().unwrap(), &server.target()])
        .stdin(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_for_open_file(child.id(), &dir.0, 5000);
    let pid = child.id();
    child.kill().unwrap(); // SIGKILL: no handler runs
    child.wait().unwrap();
    server.finish();
    if cfg!(all(target_os = "linux", feature = "linux-fast-paths")) {
        // O_TMPFILE: the file never had a name.
        assert_eq!(dir.names(), Vec::<String>::new());
    } else {
        // The documented fallback: a named temporary file, never FILE itself.
        assert_eq!(dir.names(), [format!(".big.bin.fetch-{pid}.tmp")]);
    }
}

#[test]
fn binary_guard_decides_on_the_first_kib_and_stops_there() {
    // A 100 MB binary body that comes slowly: the note must not wait for it all.
    let server = serve(|stream| {
        stream
            .write_all(b"HTTP/1.0 200 OK\r\nContent-Length: 100000000\r\n\r\n")
            .unwrap();
        let mut start = b"\x7fELF\0\x01".to_vec();
        start.extend_from_slice(&pattern(2000));
        stream.write_all(&start).unwrap();
        hold_open(stream, Duration::from_secs(10));
    });
    let start = std::time::Instant::now();
    let seen = on_terminal(&format!("--body --read-timeout 5 {}", server.target()));
    let took = start.elapsed();
    server.finish();
    assert!(took < Duration::from_secs(3), "took {took:?}: {seen:?}");
    assert_eq!(
        seen,
        "fetch: the body (100000000 bytes) looks binary and was not printed to the terminal; use -o FILE to save it, or -o - to print it anyway\r\n"
    );
}

#[test]
fn a_reader_that_closes_the_output_is_a_success_in_write_out() {
    let dir = Scratch::new("fifo-closed");
    let fifo = dir.path("pipe");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let reader_path = fifo.clone();
    let reader = thread::spawn(move || {
        let mut first = [0u8; 10];
        let mut pipe = std::fs::File::open(reader_path).unwrap();
        std::io::Read::read_exact(&mut pipe, &mut first).unwrap();
        first // and the pipe closes, like `| head -c 10`
    });
    let body = pattern(8 << 20);
    let server = serve(move |stream| drop(stream.write_all(&ok_response(&body))));
    let assert = fetch()
        .args([
            "-o",
            fifo.to_str().unwrap(),
            "-w",
            "%{json}",
            &server.target(),
        ])
        .assert()
        .code(0)
        .stderr("");
    let json: serde_json::Value = serde_json::from_slice(&assert.get_output().stdout).unwrap();
    assert_eq!(json["exitcode"], 0);
    assert_eq!(json["error_kind"], serde_json::Value::Null);
    assert_eq!(json["errormsg"], serde_json::Value::Null);
    assert_eq!(reader.join().unwrap(), pattern(10)[..]);
    server.finish();
}

#[test]
fn remote_name_saves_under_the_last_segment_in_the_directory() {
    let dir = Scratch::new("o-remote");
    let server = reply(ok_response(b"page"));
    fetch()
        .current_dir(&dir.0)
        .args([
            "-O",
            &format!("http://{}/dir/page.html?x=1", server.target()),
        ])
        .assert()
        .code(0)
        .stdout("")
        .stderr("");
    server.finish();
    assert_eq!(
        std::fs::read_to_string(dir.path("page.html")).unwrap(),
        "page"
    );

    // A percent-encoded slash is part of the name, not a directory.
    let server = reply(ok_response(b"odd"));
    fetch()
        .current_dir(&dir.0)
        .args(["-O", &format!("http://{}/a%2Fb", server.target())])
        .assert()
        .code(0);
    server.finish();
    assert_eq!(dir.names(), ["a%2Fb", "page.html"]);
}

#[test]
fn output_dir_holds_the_o_and_capital_o_files() {
    let dir = Scratch::new("o-dir");
    std::fs::create_dir(dir.path("out")).unwrap();
    let out = dir.path("out");
    for flags in [vec!["-O"], vec!["-o", "named.bin"]] {
        let server = reply(ok_response(b"in dir"));
        fetch()
            .current_dir(&dir.0)
            .args(&flags)
            .args(["--output-dir", out.to_str().unwrap()])
            .arg(format!("http://{}/remote.bin", server.target()))
            .assert()
            .code(0);
        server.finish();
    }
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["named.bin", "remote.bin"]);
    assert_eq!(dir.names(), ["out"]);
}

#[test]
fn remote_name_refuses_names_that_are_empty_hidden_or_leave_the_directory() {
    for (path, message) in [
        ("/", "ends in '/'"),
        ("/a/", "ends in '/'"),
        ("/..", "'..' is not a file name"),
        ("/.hidden", "would be a hidden file"),
    ] {
        refused_with(&["-O", &format!("http://{{}}{path}")], message);
    }
}

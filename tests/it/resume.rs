//! -C - (--continue-at -): resuming the FILE.part a failed fetch left, or a
//! partial FILE, with a Range request; what each answer does to the file.

use std::fs;
use std::io::Write;

use crate::support::*;
use predicates::str::contains;

const TOTAL: usize = 100_000;
const CUT: usize = 40_000;

/// A first fetch that fails mid-body, leaving the first CUT bytes in out.bin.part.
fn failed_first_fetch(scratch: &Scratch) -> Vec<u8> {
    let whole = pattern(TOTAL);
    let first = whole[..CUT].to_vec();
    let server = serve(move |stream| {
        let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {TOTAL}\r\n\r\n");
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(&first).unwrap();
    });
    let file = scratch.path("out.bin");
    fetch()
        .args(["-o", file.to_str().unwrap(), &server.target()])
        .assert()
        .code(18);
    server.finish();
    assert_eq!(scratch.names(), ["out.bin.part"]);
    whole
}

fn resume(scratch: &Scratch, server: &Server) -> assert_cmd::assert::Assert {
    let file = scratch.path("out.bin");
    fetch()
        .args(["-C", "-", "-o", file.to_str().unwrap(), &server.target()])
        .assert()
}

fn range_request(request: &[u8]) -> bool {
    String::from_utf8_lossy(request).contains(&format!("\r\nRange: bytes={CUT}-\r\n"))
}

#[test]
fn a_server_honouring_range_completes_the_part_file() {
    let scratch = Scratch::new("resume-206");
    let whole = failed_first_fetch(&scratch);
    let rest = whole[CUT..].to_vec();
    let server = serve(move |stream| {
        let head = format!(
            "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes {CUT}-{}/{TOTAL}\r\nContent-Length: {}\r\n\r\n",
            TOTAL - 1,
            rest.len()
        );
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(&rest).unwrap();
    });
    resume(&scratch, &server).code(0).stdout("").stderr("");
    assert!(range_request(&server.finish()));
    assert_eq!(scratch.names(), ["out.bin"]);
    assert_same_bytes(&fs::read(scratch.path("out.bin")).unwrap(), &whole);
}

#[test]
fn a_server_ignoring_range_sends_the_whole_and_the_file_starts_over() {
    let scratch = Scratch::new("resume-200");
    let whole = failed_first_fetch(&scratch);
    let server = reply(ok_response(&whole));
    resume(&scratch, &server).code(0);
    assert!(range_request(&server.finish()));
    assert_eq!(scratch.names(), ["out.bin"]);
    assert_same_bytes(&fs::read(scratch.path("out.bin")).unwrap(), &whole);
}

#[test]
fn a_second_failure_keeps_what_both_fetches_brought() {
    let scratch = Scratch::new("resume-again");
    let whole = failed_first_fetch(&scratch);
    let more = whole[CUT..CUT + 10_000].to_vec();
    let server = serve(move |stream| {
        let head = format!(
            "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes {CUT}-{}/{TOTAL}\r\nContent-Length: {}\r\n\r\n",
            TOTAL - 1,
            TOTAL - CUT
        );
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(&more).unwrap();
    });
    resume(&scratch, &server)
        .code(18)
        .stderr(contains("the 50000 bytes written are in"))
        .stderr(one_line());
    server.finish();
    assert_eq!(scratch.names(), ["out.bin.part"]);
    let part = fs::read(scratch.path("out.bin.part")).unwrap();
    assert_same_bytes(&part, &whole[..CUT + 10_000]);
}

#[test]
fn a_416_for_a_complete_file_names_it_and_any_other_is_33() {
    let scratch = Scratch::new("resume-416");
    let whole = failed_first_fetch(&scratch);
    // The whole is what the file holds: it is complete after all.
    let server = reply(format!(
        "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */{CUT}\r\nContent-Length: 5\r\n\r\nerror"
    ));
    resume(&scratch, &server).code(0).stderr("");
    server.finish();
    assert_eq!(scratch.names(), ["out.bin"]);
    assert_same_bytes(&fs::read(scratch.path("out.bin")).unwrap(), &whole[..CUT]);

    let scratch = Scratch::new("resume-416-refused");
    failed_first_fetch(&scratch);
    let server = reply(format!(
        "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */{}\r\nContent-Length: 5\r\n\r\nerror",
        CUT - 1
    ));
    resume(&scratch, &server)
        .code(33)
        .stdout("")
        .stderr(contains(format!(
            "cannot resume the file at byte {CUT}: it has {} bytes",
            CUT - 1
        )))
        .stderr(contains(format!("the {CUT} bytes written are in")))
        .stderr(one_line());
    server.finish();
    assert_eq!(scratch.names(), ["out.bin.part"]);
    assert_eq!(fs::read(scratch.path("out.bin.part")).unwrap().len(), CUT);
}

#[test]
fn a_wrong_range_or_an_error_status_leaves_the_part_file_as_it_was() {
    for (response, message, code, args) in [
        (
            format!(
                "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 0-9/{TOTAL}\r\nContent-Length: 10\r\n\r\n0123456789"
            ),
            "it sent the bytes from 0 on (Content-Range: bytes 0-9/100000)".to_string(),
            33,
            vec![],
        ),
        (
            "HTTP/1.1 206 Partial Content\r\nContent-Length: 10\r\n\r\n0123456789".into(),
            "its 206 has no usable Content-Range".to_string(),
            33,
            vec![],
        ),
        (
            "HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\ngone".into(),
            "it answered HTTP/1.1 404 Not Found".to_string(),
            33,
            vec![],
        ),
        (
            "HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\ngone".into(),
            "HTTP/1.1 404 Not Found (--fail".to_string(),
            22,
            vec!["-f"],
        ),
    ] {
        let scratch = Scratch::new("resume-wrong");
        let whole = failed_first_fetch(&scratch);
        let server = reply(response);
        let file = scratch.path("out.bin");
        let mut command = fetch();
        command.args(&args);
        command
            .args(["-C", "-", "-o", file.to_str().unwrap(), &server.target()])
            .assert()
            .code(code)
            .stdout("")
            .stderr(contains(message))
            .stderr(one_line());
        server.finish();
        assert_eq!(scratch.names(), ["out.bin.part"]);
        assert_same_bytes(
            &fs::read(scratch.path("out.bin.part")).unwrap(),
            &whole[..CUT],
        );
    }
}

#[test]
fn a_partial_file_of_another_tool_is_resumed_and_no_file_means_a_plain_fetch() {
    let scratch = Scratch::new("resume-file");
    let whole = pattern(TOTAL);
    fs::write(scratch.path("out.bin"), &whole[..CUT]).unwrap();
    let rest = whole[CUT..].to_vec();
    let server = serve(move |stream| {
        let head = format!(
            "HTTP/1.0 206 Partial Content\r\nContent-Range: bytes {CUT}-{}/{TOTAL}\r\n\r\n",
            TOTAL - 1
        );
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(&rest).unwrap();
    });
    resume(&scratch, &server).code(0);
    assert!(range_request(&server.finish()));
    assert_eq!(scratch.names(), ["out.bin"]);
    assert_same_bytes(&fs::read(scratch.path("out.bin")).unwrap(), &whole);

    let scratch = Scratch::new("resume-none");
    let server = reply(ok_response(b"fresh"));
    resume(&scratch, &server).code(0);
    let request = String::from_utf8(server.finish()).unwrap();
    assert!(!request.contains("Range"), "{request}");
    assert_eq!(fs::read(scratch.path("out.bin")).unwrap(), b"fresh");
}

#[test]
fn continue_at_needs_a_file_and_an_offset_it_holds() {
    refused_with(&["-C", "-", "{}"], "-C resumes a file: give -o FILE or -O");
    refused_with(
        &["-C", "100", "-o", "/tmp/fetch-never-written", "{}"],
        "-C 100: the file to resume holds 0 bytes",
    );
    refused_with(
        &[
            "-C",
            "-",
            "--compressed",
            "-o",
            "/tmp/fetch-never-written",
            "{}",
        ],
        "cannot be used with",
    );
}

#[test]
fn after_a_200_started_the_file_over_a_retrys_206_is_refused() {
    let scratch = Scratch::new("resume-retry");
    let whole = failed_first_fetch(&scratch);
    let server = serve_each(
        2,
        std::time::Duration::from_secs(5),
        move |n, mut stream| {
            if n == 0 {
                // The whole file, cut by a reset: the part file was started over.
                let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {TOTAL}\r\n\r\n");
                stream.write_all(head.as_bytes()).unwrap();
                stream.write_all(&whole[..1000]).unwrap();
                reset(stream);
            } else {
                let head = format!(
                    "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes {CUT}-{}/{TOTAL}\r\nContent-Length: {}\r\n\r\n",
                    TOTAL - 1,
                    TOTAL - CUT
                );
                stream.write_all(head.as_bytes()).unwrap();
                stream.write_all(&whole[CUT..]).unwrap();
            }
        },
    );
    let file = scratch.path("out.bin");
    fetch()
        .args(["--retry", "1", "--retry-delay", "0", "-s", "-C", "-"])
        .args(["-o", file.to_str().unwrap(), &server.target()])
        .assert()
        .code(33)
        .stdout("")
        .stderr(contains(format!(
            "cannot resume the file at byte 0: it sent the bytes from {CUT} on"
        )));
    assert_eq!(count_requests(&server.finish()), 2);
    // What the 206 carried would not be the file's start: nothing was written.
    assert_eq!(scratch.names(), Vec::<String>::new());
}

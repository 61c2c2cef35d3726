//! Request bodies from files and forms: -F multipart (read back by Python's
//! form parsing), and --data-binary @FILE / -F @FILE sent as they are read.

use std::fs;
use std::io::{Read, Write};
use std::process::{Command, Stdio};

use crate::support::*;
use predicates::str::contains;
use serde_json::{Value, json};

/// The request's head and body, split at the blank line.
fn split(request: &[u8]) -> (String, Vec<u8>) {
    let end = request
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete head")
        + 4;
    (
        String::from_utf8(request[..end].to_vec()).unwrap(),
        request[end..].to_vec(),
    )
}

fn header<'a>(head: &'a str, name: &str) -> &'a str {
    head.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}: ")))
        .unwrap_or_else(|| panic!("no {name} in {head}"))
}

/// The parts of a multipart body, as Python's email package reads them.
fn parse_form(content_type: &str, body: &[u8]) -> Value {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/it/support/form_parser.py"
    );
    let mut parser = Command::new("python3")
        .args([script, content_type])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3");
    parser.stdin.take().unwrap().write_all(body).unwrap();
    let output = parser.wait_with_output().unwrap();
    assert!(output.status.success(), "the form parser failed");
    serde_json::from_slice(&output.stdout).unwrap()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn a_form_with_text_files_and_settings_reads_back_as_sent() {
    let scratch = Scratch::new("form");
    // Content that looks like a boundary, with CR LF and binary bytes around it.
    let mut tricky = b"line\r\n--------------------------abc\r\n--\r\n".to_vec();
    tricky.extend((0..=255u8).collect::<Vec<_>>());
    tricky.extend_from_slice(b"\r\n--");
    let upload = scratch.path("photo.png");
    fs::write(&upload, &tricky).unwrap();
    let note = scratch.path("note.txt");
    fs::write(&note, "from a file\n").unwrap();
    let server = reply(ok_response(b"ok"));
    fetch()
        .args(["-F", "plain=some value", "-F"])
        .arg(format!("upload=@{}", upload.display()))
        .arg("-F")
        .arg(format!(
            "note=<{};type=text/plain;charset=utf-8",
            note.display()
        ))
        .args(["-F", "semi=\"a;b\"", "-F"])
        .arg(format!(
            "renamed=@{};filename=other.bin;type=application/x-thing",
            note.display()
        ))
        .arg(server.target())
        .assert()
        .code(0)
        .stdout("ok");
    let (head, body) = split(&server.finish());
    assert!(head.starts_with("POST / HTTP/1.0\r\n"), "{head}");
    assert_eq!(header(&head, "Content-Length"), body.len().to_string());
    let content_type = header(&head, "Content-Type");
    let boundary = content_type
        .strip_prefix("multipart/form-data; boundary=")
        .expect("a multipart type");
    assert!(body.starts_with(format!("--{boundary}\r\n").as_bytes()));
    assert!(body.ends_with(format!("\r\n--{boundary}--\r\n").as_bytes()));
    assert_eq!(
        parse_form(content_type, &body),
        json!([
            {"name": "plain", "filename": null, "type": null, "hex": hex(b"some value")},
            {"name": "upload", "filename": "photo.png", "type": "image/png", "hex": hex(&tricky)},
            {"name": "note", "filename": null, "type": "text/plain;charset=utf-8", "hex": hex(b"from a file\n")},
            {"name": "semi", "filename": null, "type": null, "hex": hex(b"a;b")},
            {"name": "renamed", "filename": "other.bin", "type": "application/x-thing", "hex": hex(b"from a file\n")},
        ])
    );
}

#[test]
fn each_form_has_its_own_boundary_and_stdin_can_be_a_part() {
    let mut boundaries = Vec::new();
    for _ in 0..2 {
        let server = reply(ok_response(b""));
        fetch()
            .args(["-F", "f=@-", &server.target()])
            .write_stdin("from stdin")
            .assert()
            .code(0);
        let (head, body) = split(&server.finish());
        let content_type = header(&head, "Content-Type").to_string();
        assert_eq!(
            parse_form(&content_type, &body),
            json!([{"name": "f", "filename": "-", "type": "application/octet-stream", "hex": hex(b"from stdin")}])
        );
        boundaries.push(content_type);
    }
    assert_ne!(boundaries[0], boundaries[1]);
}

#[test]
fn large_files_go_out_byte_for_byte_from_data_binary_and_f() {
    let scratch = Scratch::new("upload-large");
    let data = pattern(8 << 20);
    let path = scratch.path("big.bin");
    fs::write(&path, &data).unwrap();
    let server = reply(ok_response(b""));
    fetch()
        .arg("--data-binary")
        .arg(format!("@{}", path.display()))
        .arg(server.target())
        .assert()
        .code(0);
    let (head, body) = split(&server.finish());
    assert_eq!(header(&head, "Content-Length"), data.len().to_string());
    assert_same_bytes(&body, &data);

    let server = reply(ok_response(b""));
    fetch()
        .args(["-d", "a=1", "--data-binary"])
        .arg(format!("@{}", path.display()))
        .arg(server.target())
        .assert()
        .code(0);
    let (_, body) = split(&server.finish());
    assert_same_bytes(&body, &[&b"a=1&"[..], &data].concat());

    let server = reply(ok_response(b""));
    fetch()
        .arg("-F")
        .arg(format!("file=@{}", path.display()))
        .arg(server.target())
        .assert()
        .code(0);
    let (head, body) = split(&server.finish());
    let parsed = parse_form(header(&head, "Content-Type"), &body);
    assert_eq!(parsed[0]["hex"], hex(&data));
}

#[test]
fn a_file_that_shrinks_while_it_is_sent_is_26() {
    let scratch = Scratch::new("upload-shrinks");
    let path = scratch.path("shrinks.bin");
    fs::write(&path, pattern(16 << 20)).unwrap();
    let shrink = path.clone();
    let server = serve_raw(move |mut stream| {
        // Read a little, so fetch is sending the file, then cut the file short.
        let mut start = vec![0u8; 64 * 1024];
        stream.read_exact(&mut start).unwrap();
        fs::File::options()
            .write(true)
            .open(&shrink)
            .unwrap()
            .set_len(0)
            .unwrap();
        let mut rest = Vec::new();
        let _ = stream.read_to_end(&mut rest);
        start
    });
    let assert = fetch()
        .arg("--data-binary")
        .arg(format!("@{}", path.display()))
        .args([&server.target(), "-w", "%{json}"])
        .assert()
        .code(26)
        .stderr(contains(format!(
            "reading '{}' to send it failed: it ended before the 16777216 bytes announced",
            path.display()
        )))
        .stderr(one_line());
    let json = json_ending(&assert.get_output().stdout);
    assert_eq!(
        (&json["exitcode"], &json["error_kind"]),
        (&26.into(), &"read_file".into())
    );
    server.finish();
}

#[test]
fn bad_form_arguments_are_refused_before_anything_is_sent() {
    refused_with(&["-F", "novalue", "{}"], "-F 'novalue': give NAME=VALUE");
    refused_with(&["-F", "a=b;c=d", "{}"], "is not ;type= or ;filename=");
    refused_with(
        &["-F", "a=@/nonexistent/file", "{}"],
        "cannot read '/nonexistent/file'",
    );
    refused_with(&["-F", "a=b", "-d", "x", "{}"], "cannot be used with");
    refused_with(
        &["-d", "@/nonexistent/file", "{}"],
        "cannot read --data file",
    );
}

/// curl tests 186, 277 and 669: a value's leading blanks are not part of it,
/// and a multipart type given with -H keeps its name and gets the boundary.
#[test]
fn form_values_lose_leading_blanks_and_a_users_multipart_type_gets_the_boundary() {
    let server = reply(ok_response(b"ok"));
    fetch()
        .args([
            "-F",
            "name= moo;type=moo/foo",
            "-F",
            "html= <body>hi</body>;type=text/html",
        ])
        .args(["-H", "Content-Type: multipart/mixed", &server.target()])
        .assert()
        .code(0)
        .stdout("ok");
    let (head, body) = split(&server.finish());
    let content_type = header(&head, "Content-Type");
    let boundary = content_type
        .strip_prefix("multipart/mixed; boundary=")
        .unwrap_or_else(|| panic!("{content_type}"));
    let body = String::from_utf8(body).unwrap();
    assert_eq!(
        body,
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"name\"\r\nContent-Type: moo/foo\r\n\r\nmoo\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"html\"\r\nContent-Type: text/html\r\n\r\n<body>hi</body>\r\n\
             --{boundary}--\r\n"
        )
    );
}

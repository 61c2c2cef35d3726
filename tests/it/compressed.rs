//! --compressed: Accept-Encoding, and gzip, deflate (zlib and raw) and br decoded
//! on the way out; what happens without the flag, and with broken streams.

use std::io::Write;

use crate::support::*;
use flate2::Compression;
use flate2::write::{DeflateEncoder, GzEncoder, ZlibEncoder};
use predicates::str::contains;

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut encoder = ZlibEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

fn raw_deflate(data: &[u8]) -> Vec<u8> {
    let mut encoder = DeflateEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

fn brotli(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = brotli::CompressorWriter::new(&mut out, 4096, 5, 22);
    encoder.write_all(data).unwrap();
    drop(encoder);
    out
}

fn encoded_response(coding: &str, body: &[u8]) -> Vec<u8> {
    let mut response = format!(
        "HTTP/1.1 200 OK\r\nContent-Encoding: {coding}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    response.extend_from_slice(body);
    response
}

/// Text that compresses well but is not one repeated byte.
fn text(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| b"the quick brown fox jumps over the lazy dog\n"[i % 44])
        .collect()
}

#[test]
fn compressed_asks_for_gzip_deflate_br_and_decodes_each() {
    let plain = text(200_000);
    let encoded = [
        ("gzip", gzip(&plain)),
        ("x-gzip", gzip(&plain)),
        ("deflate", zlib(&plain)),
        ("deflate", raw_deflate(&plain)),
        ("br", brotli(&plain)),
    ];
    for (coding, body) in encoded {
        let server = reply(encoded_response(coding, &body));
        let output = fetch()
            .args(["--compressed", &server.target()])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{coding}: {output:?}");
        assert_same_bytes(&output.stdout, &plain);
        assert_eq!(output.stderr, b"", "{coding}");
        let request = String::from_utf8(server.finish()).unwrap();
        assert!(
            request.contains("\r\nAccept-Encoding: gzip, deflate, br\r\n"),
            "{request}"
        );
    }
}

#[test]
fn without_the_flag_nothing_is_asked_and_the_bytes_stay_as_received() {
    let body = gzip(b"hello");
    let server = reply(encoded_response("gzip", &body));
    let output = fetch().arg(server.target()).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(output.stdout, body);
    let request = String::from_utf8(server.finish()).unwrap();
    assert!(
        !request.to_ascii_lowercase().contains("accept-encoding"),
        "{request}"
    );
}

#[test]
fn the_head_stays_as_received_and_codings_are_undone_in_reverse_order() {
    // "deflate, gzip": deflate applied first, so gzip is undone first.
    let body = gzip(&zlib(b"layered"));
    let response = encoded_response("deflate, gzip", &body);
    let head_len = response.len() - body.len();
    let server = reply(response.clone());
    fetch()
        .args(["--compressed", "-i", &server.target()])
        .assert()
        .code(0)
        .stdout([&response[..head_len], b"layered"].concat());
    server.finish();
}

#[test]
fn a_user_accept_encoding_replaces_the_default_and_chunked_bodies_decode_too() {
    let body = gzip(b"chunked and gzipped");
    let mut response =
        b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for piece in body.chunks(7) {
        response.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        response.extend_from_slice(piece);
        response.extend_from_slice(b"\r\n");
    }
    response.extend_from_slice(b"0\r\n\r\n");
    let server = reply(response);
    fetch()
        .args([
            "--compressed",
            "-H",
            "Accept-Encoding: gzip",
            &server.target(),
        ])
        .assert()
        .code(0)
        .stdout("chunked and gzipped");
    let request = String::from_utf8(server.finish()).unwrap();
    assert!(
        request.contains("\r\nAccept-Encoding: gzip\r\n"),
        "{request}"
    );
    assert!(!request.contains("deflate"), "{request}");
}

#[test]
fn a_truncated_gzip_exits_61_after_writing_what_decoded() {
    let plain = text(100_000);
    let body = gzip(&plain);
    // Cut inside the compressed data, then again inside the 8-byte trailer:
    // both lengths are what the head announces, so only the decoder can tell.
    for cut in [body.len() / 2, body.len() - 3] {
        let server = reply(encoded_response("gzip", &body[..cut]));
        let output = fetch()
            .args(["--compressed", &server.target()])
            .output()
            .unwrap();
        server.finish();
        assert_eq!(output.status.code(), Some(61), "cut at {cut}: {output:?}");
        assert!(plain.starts_with(&output.stdout), "a prefix of the text");
        if cut > body.len() / 2 {
            assert_same_bytes(&output.stdout, &plain);
        }
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert!(
            stderr.starts_with("fetch: the body from 127.0.0.1:")
                && stderr.contains("does not decode as Content-Encoding 'gzip': "),
            "{stderr}"
        );
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }
}

#[test]
fn a_corrupt_stream_and_bytes_after_its_end_are_61() {
    let mut corrupt = gzip(&text(10_000));
    corrupt[20] ^= 0xff;
    let mut trailing = zlib(b"done");
    trailing.extend_from_slice(b"junk");
    for (coding, body, reason) in [
        ("gzip", corrupt, "corrupt"),
        (
            "deflate",
            trailing,
            "bytes follow the end of the compressed stream",
        ),
        ("br", b"not brotli at all".to_vec(), ""),
    ] {
        let server = reply(encoded_response(coding, &body));
        fetch()
            .args(["--compressed", &server.target()])
            .assert()
            .code(61)
            .stderr(contains(format!(
                "does not decode as Content-Encoding '{coding}': "
            )))
            .stderr(contains(reason));
        server.finish();
    }
}

#[test]
fn a_truncated_gzip_to_a_file_is_kept_as_part() {
    let scratch = Scratch::new("compressed-part");
    let body = gzip(&text(100_000));
    let server = reply(encoded_response("gzip", &body[..body.len() / 2]));
    let file = scratch.path("out.txt");
    fetch()
        .args([
            "--compressed",
            "-o",
            file.to_str().unwrap(),
            &server.target(),
        ])
        .assert()
        .code(61)
        .stdout("")
        .stderr(contains("bytes written are in"));
    server.finish();
    assert_eq!(scratch.names(), ["out.txt.part"]);
    let part = std::fs::read(scratch.path("out.txt.part")).unwrap();
    assert!(!part.is_empty() && text(100_000).starts_with(&part));
}

#[test]
fn max_size_counts_decoded_bytes_and_stops_a_bomb() {
    // 1 GiB of zeros in about 1 MiB of gzip (1024 members of 1 MiB each, as
    // gzip allows): fetch must stop at the limit, having written exactly that much.
    let member = gzip(&vec![0u8; 1 << 20]);
    let bomb = member.repeat(1024);
    assert!(bomb.len() < 2 << 20);
    let server = serve(move |stream| {
        // fetch hangs up at the limit: the rest of the bomb may not be taken.
        let _ = stream.write_all(&encoded_response("gzip", &bomb));
    });
    let output = fetch()
        .args(["--compressed", "--max-size", "1M", &server.target()])
        .output()
        .unwrap();
    server.finish();
    assert_eq!(output.status.code(), Some(63), "{output:?}");
    assert_eq!(output.stdout.len(), 1 << 20);
    assert!(output.stdout.iter().all(|&b| b == 0));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("1048576"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn an_unknown_coding_is_61_and_nothing_is_written() {
    let server = reply(encoded_response("zstd", b"\x28\xb5\x2f\xfd data"));
    fetch()
        .args(["--compressed", &server.target()])
        .assert()
        .code(61)
        .stdout("")
        .stderr(contains(
            "has Content-Encoding 'zstd', which fetch cannot decode",
        ))
        .stderr(one_line());
    server.finish();
}

#[test]
fn an_empty_body_and_identity_need_no_decoding() {
    let server = reply("HTTP/1.1 301 Moved\r\nContent-Encoding: gzip\r\nContent-Length: 0\r\n\r\n");
    fetch()
        .args(["--compressed", &server.target()])
        .assert()
        .code(0)
        .stdout("");
    server.finish();
    let server = reply(encoded_response("identity", b"as is"));
    fetch()
        .args(["--compressed", &server.target()])
        .assert()
        .code(0)
        .stdout("as is");
    server.finish();
}

#[test]
fn on_a_terminal_an_undecoded_body_says_what_it_is_and_how_to_decode_it() {
    let body = gzip(&text(5000));
    let server = reply(encoded_response("gzip", &body));
    let seen = on_terminal(&format!("-s {}", server.target()));
    server.finish();
    assert!(
        seen.contains(&format!(
            "fetch: the body ({} bytes) is gzip-encoded and was not printed to the terminal; --compressed decodes it, -o FILE saves it as received",
            body.len()
        )),
        "{seen:?}"
    );

    // br need not hold a NUL early on, and an unknown coding is named without a remedy.
    let body = brotli(b"plain words, compressed");
    assert!(!body.contains(&0), "a sample without NUL: {body:?}");
    let server = reply(encoded_response("br", &body));
    let seen = on_terminal(&format!("-s {}", server.target()));
    server.finish();
    assert!(
        seen.contains("is br-encoded and was not printed to the terminal; --compressed decodes it"),
        "{seen:?}"
    );
    let server = reply(encoded_response("zstd", b"no NUL here"));
    let seen = on_terminal(&format!("-s {}", server.target()));
    server.finish();
    assert!(
        seen.contains("is zstd-encoded and was not printed to the terminal; -o FILE saves it"),
        "{seen:?}"
    );

    let body = gzip(&text(5000));
    let server = reply(encoded_response("gzip", &body));
    let seen = on_terminal(&format!("-s --compressed --body {}", server.target()));
    server.finish();
    assert!(seen.starts_with("the quick brown fox"), "{seen:?}");
}

#[test]
fn write_out_reports_the_bytes_received_not_the_decoded_size() {
    let plain = text(50_000);
    let body = gzip(&plain);
    let server = reply(encoded_response("gzip", &body));
    let output = fetch()
        .args([
            "--compressed",
            "-o",
            "/dev/null",
            "-w",
            "%{size_download}",
            &server.target(),
        ])
        .output()
        .unwrap();
    server.finish();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        body.len().to_string()
    );
}

/// curl test 328: `none` is no coding at all, as `identity` is.
#[test]
fn content_encoding_none_is_identity() {
    let server = reply(encoded_response("none", b"plain text"));
    fetch()
        .args(["--compressed", &server.target()])
        .assert()
        .code(0)
        .stdout("plain text");
    server.finish();
    let server = reply(encoded_response("gzip, none", &gzip(b"zipped")));
    fetch()
        .args(["--compressed", &server.target()])
        .assert()
        .code(0)
        .stdout("zipped");
    server.finish();
}

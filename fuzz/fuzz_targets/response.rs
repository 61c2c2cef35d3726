//! The response path on arbitrary bytes, through fetch's own code: the head reader
//! (response.rs), the framing the head decides (body::framing), then the body
//! (body::Body: Content-Length, chunked, until close, --max-size, --raw), read in
//! pieces of the size the first byte picks. Nothing may panic, loop without
//! progress, point outside its input, or let through more than the head and
//! --max-size allow.
#![no_main]

use fetch::body::{self, Body, Framing};
use fetch::response::{HeadReader, MAX_HEAD};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let [piece, flags, response @ ..] = input else {
        return;
    };
    let piece = usize::from(piece % 64) + 1;
    let head_request = flags & 1 != 0;
    let raw = flags & 2 != 0;
    // Half the inputs run with a small --max-size.
    let limit = (flags & 4 != 0).then(|| u64::from(flags >> 3) * 7);

    let mut reader = HeadReader::new(head_request);
    let mut offset = 0;
    let head = loop {
        if offset >= response.len() {
            return; // the peer closed inside the head
        }
        let end = (offset + piece).min(response.len());
        match reader.push(&response[offset..end]) {
            Ok(Some(head)) => break head,
            Ok(None) => offset = end,
            Err(_) => {
                assert!(reader.buffered().len() <= MAX_HEAD + piece);
                return;
            }
        }
    };
    assert!(head.len <= reader.buffered().len() && head.len <= MAX_HEAD);
    assert!((100..=599).contains(&head.status));
    assert!(!head.status_line.contains(['\r', '\n', '\x1b']));

    let Ok(framing) = body::framing(head.body, limit) else {
        return;
    };
    let announced = match framing {
        Framing::Length { total, .. } => Some(total),
        _ => None,
    };
    let mut body = Body::new(framing, limit, raw);
    let mut let_through = 0u64;
    for read in response[head.len..].chunks(piece) {
        let mut rest = read;
        while !rest.is_empty() && !body.is_done() {
            let Ok(step) = body.step(rest) else {
                return;
            };
            assert!(step.consumed <= rest.len(), "consumed past the input");
            assert!(step.consumed > 0, "no progress");
            assert!(step.data.start <= step.data.end && step.data.end <= step.consumed);
            let_through += step.data.len() as u64;
            assert_eq!(let_through, body.written());
            if let Some(limit) = limit {
                assert!(let_through <= limit, "past --max-size");
            }
            if let Some(total) = announced {
                assert!(let_through <= total, "past Content-Length");
            }
            if step.over_limit {
                assert_eq!(Some(let_through), limit);
                return;
            }
            rest = &rest[step.consumed..];
        }
    }
    if body.is_done() {
        assert_eq!(body.closed(), Ok(()));
        if let Some(total) = announced {
            assert_eq!(let_through, total);
        }
    }
});

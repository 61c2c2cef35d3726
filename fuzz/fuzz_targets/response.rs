//! The response path on arbitrary bytes: the head reader, then the body as the
//! head frames it (Content-Length, chunked, or until close), read in pieces of the
//! size the first byte picks. Nothing may panic, loop without progress, or point
//! outside the bytes it was given.
#![no_main]

use fetch::chunked::ChunkedDecoder;
use fetch::response::{BodyLength, HeadReader, MAX_HEAD};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let Some((&piece, response)) = input.split_first() else {
        return;
    };
    let piece = usize::from(piece % 64) + 1;
    let head_request = piece % 2 == 0;

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
    assert!(head.len <= reader.buffered().len());
    assert!(head.len <= MAX_HEAD);
    assert!((100..=599).contains(&head.status));
    assert!(!head.status_line.contains(['\r', '\n']));

    let body = &response[head.len..];
    match head.body {
        BodyLength::Exactly(length) => {
            let take = body
                .len()
                .min(usize::try_from(length).unwrap_or(usize::MAX));
            assert!(take <= body.len());
        }
        BodyLength::UntilClose => {}
        BodyLength::Chunked => {
            let mut decoder = ChunkedDecoder::new();
            for read in body.chunks(piece) {
                let mut rest = read;
                while !rest.is_empty() && !decoder.is_done() {
                    let Ok(step) = decoder.step(rest) else {
                        return;
                    };
                    assert!(step.consumed <= rest.len());
                    assert!(step.consumed > 0, "no progress");
                    assert!(step.data.end <= step.consumed);
                    rest = &rest[step.consumed..];
                }
            }
        }
    }
});

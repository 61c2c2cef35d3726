//! The response body, in the style of chunked.rs: which received bytes are body,
//! where the body ends, and --max-size. No I/O, no addresses: transfer.rs feeds it
//! what the socket gives, and the fuzzer feeds it anything.

use std::ops::Range;

use crate::chunked::ChunkedDecoder;
use crate::response::BodyLength;

/// How the end of the body is recognised (RFC 9112, 6.3).
#[derive(Debug, Clone)]
pub enum Framing {
    /// Content-Length: this many bytes are still due, of `total`.
    Length {
        left: u64,
        total: u64,
    },
    Chunked(ChunkedDecoder),
    /// No length: the body ends when the peer closes.
    UntilClose,
}

/// Why a body is not received at all, decided from the head alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The announced length (its digits) is over --max-size; past 2^64-1 it is
    /// over any limit (curl test 393).
    TooLarge { announced: String, limit: u64 },
    /// Without --max-size, a length past 2^64-1 is a malformed head.
    Overflow(String),
    /// Transfer codings fetch cannot decode.
    Unsupported(String),
}

/// How the body that `length` announces ends, under --max-size `limit`.
pub fn framing(length: BodyLength, limit: Option<u64>) -> Result<Framing, Refusal> {
    Ok(match (length, limit) {
        (BodyLength::Exactly(length), Some(limit)) if length > limit => {
            return Err(Refusal::TooLarge {
                announced: length.to_string(),
                limit,
            });
        }
        (BodyLength::Exactly(total), _) => Framing::Length { left: total, total },
        (BodyLength::Chunked, _) => Framing::Chunked(ChunkedDecoder::new()),
        (BodyLength::UntilClose, _) => Framing::UntilClose,
        (BodyLength::Overflow(announced), Some(limit)) => {
            return Err(Refusal::TooLarge { announced, limit });
        }
        (BodyLength::Overflow(digits), None) => return Err(Refusal::Overflow(digits)),
        (BodyLength::Unsupported(codings), _) => return Err(Refusal::Unsupported(codings)),
    })
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyError {
    /// A malformed chunked body.
    Chunk(String),
    /// More body than --max-size allows; exactly `limit` bytes were let through.
    TooLarge { limit: u64 },
    /// The peer closed before Content-Length bytes came.
    Partial { received: u64, expected: u64 },
    /// The peer closed before the last chunk.
    PartialChunked { received: u64 },
}

/// One step through received bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Input bytes used by this step.
    pub consumed: usize,
    /// The bytes to write, within the input: body bytes, or with `raw` the chunked
    /// framing as received. Never more than --max-size allows.
    pub data: Range<usize>,
    /// The body went past --max-size: `data` stops at the limit, and the caller
    /// should write it and then fail with `BodyError::TooLarge`.
    pub over_limit: bool,
}

#[derive(Debug, Clone)]
pub struct Body {
    framing: Framing,
    /// Bytes let through so far, counted as `data`.
    written: u64,
    limit: u64,
    /// Let chunked framing through as received (--raw) rather than decoded.
    raw: bool,
}

impl Body {
    pub fn new(framing: Framing, limit: Option<u64>, raw: bool) -> Body {
        Body {
            framing,
            written: 0,
            limit: limit.unwrap_or(u64::MAX),
            raw,
        }
    }

    /// Bytes let through so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// The whole body has been seen: bytes after it are not part of this response.
    pub fn is_done(&self) -> bool {
        match &self.framing {
            Framing::Length { left, .. } => *left == 0,
            Framing::Chunked(decoder) => decoder.is_done(),
            Framing::UntilClose => false,
        }
    }

    /// The length the head announced, if any.
    pub fn announced(&self) -> Option<u64> {
        match self.framing {
            Framing::Length { total, .. } => Some(total),
            _ => None,
        }
    }

    /// A chunked body's trailer fields, once it is done (empty otherwise, and
    /// with --raw, which writes them with the framing).
    pub fn trailer(&self) -> &[u8] {
        match &self.framing {
            Framing::Chunked(decoder) if !self.raw => decoder.trailer(),
            _ => &[],
        }
    }

    pub fn ends_by_close(&self) -> bool {
        matches!(self.framing, Framing::UntilClose)
    }

    /// Takes the next run of bytes to write from the start of `input`. Call again
    /// with `input[consumed..]` until it is empty or the body is done.
    pub fn step(&mut self, input: &[u8]) -> Result<Step, BodyError> {
        let (consumed, data) = match &mut self.framing {
            Framing::Length { left, .. } => {
                let take = usize::try_from(*left).map_or(input.len(), |l| l.min(input.len()));
                *left -= take as u64;
                (take, 0..take)
            }
            Framing::UntilClose => (input.len(), 0..input.len()),
            Framing::Chunked(decoder) => {
                let step = decoder.step(input).map_err(BodyError::Chunk)?;
                let data = if self.raw {
                    0..step.consumed
                } else {
                    step.data
                };
                (step.consumed, data)
            }
        };
        let room = self.limit - self.written;
        let over_limit = data.len() as u64 > room;
        // room < data.len() here, so it fits in usize.
        let data = if over_limit {
            data.start..data.start + room as usize
        } else {
            data
        };
        self.written += data.len() as u64;
        Ok(Step {
            consumed,
            data,
            over_limit,
        })
    }

    /// How many bytes may be moved next without looking at them (splice): only
    /// plain bodies, never past Content-Length or --max-size. `None` means step
    /// through them instead, as when --max-size is used up and one more byte must
    /// be seen to report it.
    pub fn passthrough_len(&self) -> Option<u64> {
        let room = self.limit - self.written;
        let due = match self.framing {
            Framing::Length { left, .. } => left.min(room),
            Framing::UntilClose => room,
            Framing::Chunked(_) => return None,
        };
        (due > 0).then_some(due)
    }

    /// Counts `count` bytes moved as `passthrough_len` allowed.
    pub fn passed_through(&mut self, count: u64) {
        self.written += count;
        if let Framing::Length { left, .. } = &mut self.framing {
            *left = left.saturating_sub(count);
        }
    }

    /// The peer closed: fine only where the close is what ends the body.
    pub fn closed(&self) -> Result<(), BodyError> {
        match self.framing {
            _ if self.is_done() => Ok(()),
            Framing::UntilClose => Ok(()),
            Framing::Length { total, .. } => Err(BodyError::Partial {
                received: self.written,
                expected: total,
            }),
            Framing::Chunked(_) => Err(BodyError::PartialChunked {
                received: self.written,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `input` in pieces of `piece` bytes; returns the bytes let through and
    /// how it ended: `Ok(done)` or the error.
    pub fn run(body: &mut Body, input: &[u8], piece: usize) -> (Vec<u8>, Result<bool, BodyError>) {
        let mut out = Vec::new();
        for chunk in input.chunks(piece.max(1)) {
            let mut rest = chunk;
            while !rest.is_empty() && !body.is_done() {
                let step = match body.step(rest) {
                    Ok(step) => step,
                    Err(e) => return (out, Err(e)),
                };
                out.extend_from_slice(&rest[step.data.clone()]);
                if step.over_limit {
                    return (out, Err(BodyError::TooLarge { limit: body.limit }));
                }
                rest = &rest[step.consumed..];
            }
        }
        let done = body.is_done();
        (out, Ok(done))
    }

    fn length(total: u64) -> Framing {
        Framing::Length { left: total, total }
    }

    #[test]
    fn content_length_ends_the_body_and_leaves_the_rest() {
        for piece in 1..8 {
            let mut body = Body::new(length(5), None, false);
            assert_eq!(
                run(&mut body, b"helloEXTRA", piece),
                (b"hello".to_vec(), Ok(true))
            );
        }
        let mut body = Body::new(length(5), None, false);
        assert_eq!(run(&mut body, b"hel", 2), (b"hel".to_vec(), Ok(false)));
        assert_eq!(
            body.closed(),
            Err(BodyError::Partial {
                received: 3,
                expected: 5
            })
        );
    }

    #[test]
    fn max_size_lets_exactly_the_limit_through() {
        for framing in [length(10), Framing::UntilClose] {
            let mut body = Body::new(framing, Some(4), false);
            assert_eq!(
                run(&mut body, b"0123456789", 3),
                (b"0123".to_vec(), Err(BodyError::TooLarge { limit: 4 }))
            );
        }
        let chunked = Framing::Chunked(ChunkedDecoder::new());
        let mut body = Body::new(chunked, Some(4), false);
        assert_eq!(
            run(&mut body, b"3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n", 1),
            (b"abcd".to_vec(), Err(BodyError::TooLarge { limit: 4 }))
        );
        // Exactly at the limit is fine.
        let mut body = Body::new(length(4), Some(4), false);
        assert_eq!(run(&mut body, b"0123", 1), (b"0123".to_vec(), Ok(true)));
    }

    #[test]
    fn chunked_is_decoded_or_passed_raw() {
        let wire = b"2\r\nhi\r\n0\r\n\r\nafter";
        let mut body = Body::new(Framing::Chunked(ChunkedDecoder::new()), None, false);
        assert_eq!(run(&mut body, wire, 3), (b"hi".to_vec(), Ok(true)));
        let mut body = Body::new(Framing::Chunked(ChunkedDecoder::new()), None, true);
        assert_eq!(run(&mut body, wire, 3), (wire[..12].to_vec(), Ok(true)));
        let mut body = Body::new(Framing::Chunked(ChunkedDecoder::new()), None, false);
        let _ = run(&mut body, b"2\r\nhi", 64);
        assert_eq!(
            body.closed(),
            Err(BodyError::PartialChunked { received: 2 })
        );
    }

    #[test]
    fn passthrough_stops_at_the_length_and_the_limit() {
        let mut body = Body::new(length(10), Some(6), false);
        assert_eq!(body.passthrough_len(), Some(6));
        body.passed_through(6);
        assert_eq!(body.passthrough_len(), None);
        assert!(!body.is_done());
        let body = Body::new(Framing::Chunked(ChunkedDecoder::new()), None, false);
        assert_eq!(body.passthrough_len(), None);
        let mut body = Body::new(length(3), None, false);
        body.passed_through(3);
        assert!(body.is_done());
        assert_eq!(body.closed(), Ok(()));
    }
}

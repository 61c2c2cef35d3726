//! `Transfer-Encoding: chunked` (RFC 9112, 7.1), decoded in place: each step says how
//! much input it consumed and which part of it is body, so no byte is copied.
//! Some servers answer chunked even to an HTTP/1.0 request; the body then ends at the
//! last chunk, without waiting for the peer to close.

use crate::escape::shown;

use std::ops::Range;

/// Longer chunk extensions or trailers than this are refused rather than buffered.
const MAX_LINE: usize = 64 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading hex digits of a chunk size.
    Size {
        value: u64,
        digits: u8,
    },
    /// After the size: extensions or white space up to the end of the line.
    SizeLine {
        value: u64,
        len: usize,
    },
    Data {
        left: u64,
    },
    /// The CRLF after chunk data; `cr` once its CR was seen.
    DataEnd {
        cr: bool,
    },
    /// Trailer lines after the last chunk; `len` bytes of the current line so far.
    Trailer {
        len: usize,
        total: usize,
    },
    Done,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Input bytes used by this step.
    pub consumed: usize,
    /// The body bytes within the input, if this step found any.
    pub data: Range<usize>,
}

#[derive(Debug, Clone)]
pub struct ChunkedDecoder {
    state: State,
    /// The trailer section's lines as received, for -i and -D.
    trailer: Vec<u8>,
}

impl Default for ChunkedDecoder {
    fn default() -> Self {
        ChunkedDecoder {
            state: State::Size {
                value: 0,
                digits: 0,
            },
            trailer: Vec::new(),
        }
    }
}

impl ChunkedDecoder {
    pub fn new() -> ChunkedDecoder {
        ChunkedDecoder::default()
    }

    /// The last chunk and the trailers have been read: the body is complete.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// The trailer fields after the last chunk, each line as received, without
    /// the blank line that ends them; empty until the body is done.
    pub fn trailer(&self) -> &[u8] {
        match self.state {
            State::Done => &self.trailer,
            _ => &[],
        }
    }

    /// Keeps a byte of the trailer section; at its end, drops the blank line.
    fn keep_trailer(&mut self, byte: u8, done: bool) -> Result<(), String> {
        if done {
            while self.trailer.last() == Some(&b'\r') {
                self.trailer.pop();
            }
            return Ok(());
        }
        // Lone CRs count toward no line's length, so they are bounded here.
        if self.trailer.len() >= 2 * MAX_LINE {
            return Err("trailer section too long".into());
        }
        self.trailer.push(byte);
        Ok(())
    }

    /// Decodes from the start of `input` up to the next body bytes (or to its end).
    /// Call again with the rest until `input` is used up or the body is done.
    pub fn step(&mut self, input: &[u8]) -> Result<Step, String> {
        let mut at = 0;
        while at < input.len() {
            let byte = input[at];
            self.state = match self.state {
                State::Done => break,
                State::Data { left } => {
                    let take = (input.len() - at).min(usize::try_from(left).unwrap_or(usize::MAX));
                    let left = left - take as u64;
                    self.state = if left == 0 {
                        State::DataEnd { cr: false }
                    } else {
                        State::Data { left }
                    };
                    return Ok(Step {
                        consumed: at + take,
                        data: at..at + take,
                    });
                }
                State::Size { value, digits } => match (byte as char).to_digit(16) {
                    Some(d) if digits < 16 => State::Size {
                        value: value << 4 | u64::from(d),
                        digits: digits + 1,
                    },
                    Some(_) => return Err("chunk size over 16 hex digits".into()),
                    None if digits == 0 => {
                        return Err(format!("chunk size expected, found '{}'", shown(&[byte])));
                    }
                    None => match byte {
                        b';' | b' ' | b'\t' | b'\r' | b'\n' => {
                            // Re-read this byte as part of the size line.
                            self.state = State::SizeLine { value, len: 0 };
                            continue;
                        }
                        _ => {
                            return Err(format!(
                                "invalid character '{}' after chunk size",
                                shown(&[byte])
                            ));
                        }
                    },
                },
                State::SizeLine { value, len } => match byte {
                    b'\n' if value == 0 => State::Trailer { len: 0, total: 0 },
                    b'\n' => State::Data { left: value },
                    b if !b"\t\r".contains(&b) && b.is_ascii_control() => {
                        return Err(format!("control byte 0x{b:02x} in a chunk extension"));
                    }
                    _ if len >= MAX_LINE => return Err("chunk extension too long".into()),
                    _ => State::SizeLine {
                        value,
                        len: len + 1,
                    },
                },
                State::DataEnd { cr } => match byte {
                    b'\r' if !cr => State::DataEnd { cr: true },
                    b'\n' => State::Size {
                        value: 0,
                        digits: 0,
                    },
                    _ => return Err("chunk data not followed by CRLF".into()),
                },
                State::Trailer { len, total } => {
                    self.keep_trailer(byte, byte == b'\n' && len == 0)?;
                    trailer_step(byte, len, total)?
                }
            };
            at += 1;
        }
        Ok(Step {
            consumed: at,
            data: at..at,
        })
    }
}

/// The next state within the trailer section after `byte`.
fn trailer_step(byte: u8, len: usize, total: usize) -> Result<State, String> {
    Ok(match byte {
        b'\n' if len == 0 => State::Done,
        b'\n' => State::Trailer { len: 0, total },
        // A CR alone does not make a line non-empty.
        b'\r' => State::Trailer { len, total },
        // As in the head (curl test 2106): NUL and other controls but tab
        // have no place in a field.
        b if b != b'\t' && b.is_ascii_control() => {
            return Err(format!("control byte 0x{b:02x} in a trailer"));
        }
        _ if total >= MAX_LINE => return Err("trailer section too long".into()),
        _ => State::Trailer {
            len: len + 1,
            total: total + 1,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decodes `input` fed in pieces of `piece` bytes; returns the body and whether it ended.
    fn decode(input: &[u8], piece: usize) -> Result<(Vec<u8>, bool), String> {
        let mut decoder = ChunkedDecoder::new();
        let mut body = Vec::new();
        for chunk in input.chunks(piece.max(1)) {
            let mut rest = chunk;
            while !rest.is_empty() && !decoder.is_done() {
                let step = decoder.step(rest)?;
                body.extend_from_slice(&rest[step.data.clone()]);
                rest = &rest[step.consumed..];
            }
        }
        Ok((body, decoder.is_done()))
    }

    const WIKI: &[u8] =
        b"4\r\nWiki\r\n7;ext=1\r\npedia i\r\nB\r\nn \r\nchunks.\r\n0\r\nX-T: 1\r\n\r\n";

    #[test]
    fn decodes_split_at_every_position() {
        for piece in 1..=WIKI.len() {
            assert_eq!(
                decode(WIKI, piece),
                Ok((b"Wikipedia in \r\nchunks.".to_vec(), true)),
                "pieces of {piece}"
            );
        }
    }

    #[test]
    fn keeps_the_trailer_without_its_blank_line_at_every_split() {
        for piece in 1..=WIKI.len() {
            let mut decoder = ChunkedDecoder::new();
            for chunk in WIKI.chunks(piece) {
                let mut rest = chunk;
                while !rest.is_empty() && !decoder.is_done() {
                    let step = decoder.step(rest).unwrap();
                    rest = &rest[step.consumed..];
                }
            }
            assert_eq!(decoder.trailer(), b"X-T: 1\r\n", "pieces of {piece}");
        }
        let mut bare = ChunkedDecoder::new();
        bare.step(b"0\r\n\r\n").unwrap();
        assert_eq!(bare.trailer(), b"");
    }

    #[test]
    fn ends_at_the_last_chunk_and_leaves_the_rest() {
        let mut decoder = ChunkedDecoder::new();
        let step = decoder.step(b"0\r\n\r\nextra").unwrap();
        assert_eq!(step.consumed, 5);
        assert!(decoder.is_done());
    }

    #[test]
    fn bare_lf_is_accepted() {
        assert_eq!(decode(b"2\nok\n0\n\n", 100), Ok((b"ok".to_vec(), true)));
    }

    #[test]
    fn incomplete_stream_is_not_done() {
        assert_eq!(decode(b"5\r\nabc", 100), Ok((b"abc".to_vec(), false)));
        assert_eq!(decode(b"3\r\nabc\r\n", 100), Ok((b"abc".to_vec(), false)));
    }

    #[test]
    fn malformed_chunks_are_errors() {
        for bad in [
            &b"x\r\n"[..],
            b"\r\n",
            b"3\r\nabcX",
            b"3g\r\nabc\r\n",
            b"11111111111111111\r\n",
            b"0\r\nX: a\0b\r\n\r\n",
            b"0\r\nX: \x1b\r\n\r\n",
            b"2;x=\0\r\nok\r\n0\r\n\r\n",
        ] {
            assert!(decode(bad, 100).is_err(), "{}", bad.escape_ascii());
        }
    }
}

//! On a terminal, a binary body would garble the screen, so it is not printed:
//! the first KiB decides, and a binary body ends the fetch there.

use std::borrow::Cow;

/// How much of the body is looked at to decide whether it is binary.
const SNIFF_LEN: usize = 1024;

#[derive(Debug)]
pub enum Guard {
    Off,
    /// Holding the first body bytes until there are enough to decide.
    Sniffing(Vec<u8>),
    /// Binary: the body was not printed, and no more of it is wanted. The size
    /// to mention, when known.
    Suppressed(Option<u64>),
}

/// What to do with body bytes that went through the guard.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict<'a> {
    Write(Cow<'a, [u8]>),
    /// Held until there are enough to decide.
    Hold,
    /// Binary: write nothing, and want no more.
    Stop,
}

impl Guard {
    pub fn new(on: bool) -> Guard {
        if on {
            Guard::Sniffing(Vec::new())
        } else {
            Guard::Off
        }
    }

    pub fn is_off(&self) -> bool {
        matches!(self, Guard::Off)
    }

    /// Body bytes in; `size` is the body's announced size, for the note.
    pub fn pass<'a>(&mut self, bytes: &'a [u8], size: Option<u64>) -> Verdict<'a> {
        match self {
            Guard::Off => Verdict::Write(Cow::Borrowed(bytes)),
            Guard::Suppressed(_) => Verdict::Stop,
            Guard::Sniffing(held) => {
                held.extend_from_slice(bytes);
                if held.len() >= SNIFF_LEN {
                    self.decide(size)
                } else {
                    Verdict::Hold
                }
            }
        }
    }

    /// Ends the sniffing with what is held: text is written, binary suppressed.
    pub fn decide(&mut self, size: Option<u64>) -> Verdict<'static> {
        let Guard::Sniffing(held) = self else {
            return Verdict::Write(Cow::Borrowed(&[]));
        };
        let held = std::mem::take(held);
        if held[..held.len().min(SNIFF_LEN)].contains(&0) {
            *self = Guard::Suppressed(size);
            Verdict::Stop
        } else {
            *self = Guard::Off;
            Verdict::Write(Cow::Owned(held))
        }
    }

    /// The whole body is in: what is held is all of it, so its size is known.
    pub fn end(&mut self) -> Verdict<'static> {
        let size = match self {
            Guard::Sniffing(held) => Some(held.len() as u64),
            _ => None,
        };
        self.decide(size)
    }

    /// Binary without looking (a compressed body), if not decided yet.
    pub fn suppress(&mut self, size: Option<u64>) {
        if let Guard::Sniffing(_) = self {
            *self = Guard::Suppressed(size);
        }
    }

    /// Another attempt: nothing decided yet.
    pub fn reset(&mut self) {
        if !self.is_off() {
            *self = Guard::Sniffing(Vec::new());
        }
    }

    /// The line to print when the body was suppressed; `coding` is its
    /// Content-Encoding when fetch did not decode it, and whether it could.
    pub fn note(&self, coding: Option<(&str, bool)>) -> Option<String> {
        let Guard::Suppressed(size) = self else {
            return None;
        };
        let size = size.map(|n| format!(" ({n} bytes)")).unwrap_or_default();
        Some(match coding {
            Some((coding, decodable)) => format!(
                "fetch: the body{size} is {coding}-encoded and was not printed to the terminal; {}-o FILE saves it as received\n",
                if decodable {
                    "--compressed decodes it, "
                } else {
                    ""
                }
            ),
            None => format!(
                "fetch: the body{size} looks binary and was not printed to the terminal; use -o FILE to save it, or -o - to print it anyway\n"
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_passes_once_decided_and_binary_stops() {
        let mut guard = Guard::new(true);
        assert_eq!(guard.pass(b"short", None), Verdict::Hold);
        let text = vec![b'a'; SNIFF_LEN];
        let Verdict::Write(out) = guard.pass(&text, None) else {
            panic!("text is written");
        };
        assert_eq!(out.len(), SNIFF_LEN + 5);
        assert_eq!(
            guard.pass(b"more", None),
            Verdict::Write(Cow::Borrowed(&b"more"[..]))
        );

        let mut guard = Guard::new(true);
        let mut binary = vec![b'a'; SNIFF_LEN];
        binary[10] = 0;
        assert_eq!(guard.pass(&binary, Some(5000)), Verdict::Stop);
        assert!(
            guard
                .note(None)
                .unwrap()
                .contains("the body (5000 bytes) looks binary")
        );
    }

    #[test]
    fn a_short_body_is_decided_at_its_end_with_its_size() {
        let mut guard = Guard::new(true);
        assert_eq!(guard.pass(b"a\0b", None), Verdict::Hold);
        assert_eq!(guard.end(), Verdict::Stop);
        assert!(guard.note(None).unwrap().contains("the body (3 bytes)"));
        assert!(
            guard
                .note(Some(("gzip", true)))
                .unwrap()
                .contains("the body (3 bytes) is gzip-encoded and was not printed to the terminal; --compressed decodes it")
        );
        assert_eq!(
            Guard::new(false).pass(b"x\0", None),
            Verdict::Write(Cow::Borrowed(&b"x\0"[..]))
        );
    }
}

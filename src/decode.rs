//! --compressed: the body's Content-Encoding undone on its way to the output.
//! Each decoder writes at most one buffer at a time into the next, so memory
//! stays flat whatever the compression ratio, and --max-size stops a bomb.

use std::error::Error as StdError;
use std::fmt;
use std::io::{self, Write};
use std::net::SocketAddr;

use flate2::write::{DeflateDecoder, MultiGzDecoder, ZlibDecoder};

use crate::error::{Error, Stop};

/// What --compressed asks for, in Accept-Encoding.
pub const ACCEPTED: &str = "gzip, deflate, br";

/// Brotli's output buffer, and the most any layer hands on at once.
const BUFFER: usize = 32 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    Gzip,
    /// zlib (RFC 9110's "deflate"), or raw deflate as some servers send it.
    Deflate,
    Brotli,
}

impl Coding {
    fn name(self) -> &'static str {
        match self {
            Coding::Gzip => "gzip",
            Coding::Deflate => "deflate",
            Coding::Brotli => "br",
        }
    }
}

/// The codings of a Content-Encoding list, in the order they were applied;
/// `identity` is none at all. `Err` names the first one fetch cannot decode.
pub fn codings(listed: &[String]) -> Result<Vec<Coding>, String> {
    let mut codings = Vec::new();
    for name in listed {
        match name.to_ascii_lowercase().as_str() {
            "gzip" | "x-gzip" => codings.push(Coding::Gzip),
            "deflate" => codings.push(Coding::Deflate),
            "br" => codings.push(Coding::Brotli),
            // `none` is not registered, but servers send it (curl test 328).
            "identity" | "none" => {}
            _ => return Err(name.clone()),
        }
    }
    Ok(codings)
}

/// What decoded bytes are written to: the output, or in tests a buffer.
pub trait BodyOutput {
    fn write_body(&mut self, bytes: &[u8]) -> Result<(), Stop>;
}

pub struct Decoder<'o> {
    top: Box<dyn Layer + 'o>,
    /// The Content-Encoding, for messages.
    listed: String,
    addr: SocketAddr,
    fed: bool,
}

impl<'o> Decoder<'o> {
    /// Decodes `codings` (in the order applied) into `out`, stopping past
    /// `limit` decoded bytes.
    pub fn new(
        codings: &[Coding],
        out: &'o mut dyn BodyOutput,
        limit: Option<u64>,
        addr: SocketAddr,
    ) -> Decoder<'o> {
        let mut top: Box<dyn Layer + 'o> = Box::new(Bottom {
            out,
            limit,
            addr,
            written: 0,
        });
        // The first coding applied is the last undone: it wraps the bottom.
        for coding in codings {
            top = match coding {
                Coding::Gzip => Box::new(Ends(MultiGzDecoder::new(top))),
                Coding::Deflate => Box::new(Ends(Deflate::Sniffing(Some(top), Vec::new()))),
                Coding::Brotli => Box::new(Ends(Brotli(Some(
                    brotli_decompressor::DecompressorWriter::new(top, BUFFER),
                )))),
            };
        }
        let listed: Vec<&str> = codings.iter().map(|c| c.name()).collect();
        Decoder {
            top,
            listed: listed.join(", "),
            addr,
            fed: false,
        }
    }

    pub fn write(&mut self, bytes: &[u8]) -> Result<(), Stop> {
        self.fed |= !bytes.is_empty();
        // flate2 keeps its last output until the next write: flushing hands it
        // on now, so a stream shows as it comes.
        let written = self.top.write_all(bytes).and_then(|()| self.top.flush());
        written.map_err(|e| self.failure(e))
    }

    pub fn finish(&mut self) -> Result<(), Stop> {
        // An empty body (a redirect's, say) is no stream at all, not a broken one.
        if !self.fed {
            return Ok(());
        }
        self.top.finish().map_err(|e| self.failure(e))
    }

    /// A stop the output carried up through the decoders, or a decoding error.
    fn failure(&self, error: io::Error) -> Stop {
        let (kind, text) = (error.kind(), error.to_string());
        if let Some(Ok(carried)) = error.into_inner().map(|inner| inner.downcast::<Carried>()) {
            return carried.0;
        }
        let reason = match kind {
            // write_all's sign of a decoder that takes no more input.
            io::ErrorKind::WriteZero => "bytes follow the end of the compressed stream".into(),
            io::ErrorKind::UnexpectedEof => "the compressed stream ends early".into(),
            _ => text,
        };
        Error::BadContent {
            addr: self.addr,
            codings: self.listed.clone(),
            reason,
        }
        .into()
    }
}

/// A stop from the output, carried through the decoders as an io::Error.
#[derive(Debug)]
struct Carried(Stop);

impl fmt::Display for Carried {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("the output stopped")
    }
}

impl StdError for Carried {}

fn carry(stop: Stop) -> io::Error {
    io::Error::other(Carried(stop))
}

/// A decoder in the chain, which must be told the input is over to check
/// that its stream was complete.
trait Layer: Write {
    fn finish(&mut self) -> io::Result<()>;
}

impl Layer for Box<dyn Layer + '_> {
    fn finish(&mut self) -> io::Result<()> {
        (**self).finish()
    }
}

/// A decoder whose stream has ended takes no more bytes, and says so with
/// `Ok(0)`; brotli's writer would offer them again forever. Here that is an
/// error, as std's write_all makes it.
struct Ends<D>(D);

impl<D: Layer> Write for Ends<D> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        match self.0.write(bytes)? {
            0 if !bytes.is_empty() => Err(io::ErrorKind::WriteZero.into()),
            n => Ok(n),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

impl<D: Layer> Layer for Ends<D> {
    fn finish(&mut self) -> io::Result<()> {
        self.0.finish()
    }
}

/// The end of the chain: decoded bytes to the output, counted for --max-size.
struct Bottom<'o> {
    out: &'o mut dyn BodyOutput,
    limit: Option<u64>,
    addr: SocketAddr,
    written: u64,
}

impl Write for Bottom<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let room = self
            .limit
            .map_or(u64::MAX, |l| l.saturating_sub(self.written));
        let take = bytes.len().min(usize::try_from(room).unwrap_or(usize::MAX));
        self.out.write_body(&bytes[..take]).map_err(carry)?;
        self.written = self.written.saturating_add(take as u64);
        if take < bytes.len() {
            let limit = self.written;
            return Err(carry(
                Error::TooLarge {
                    addr: self.addr,
                    limit,
                    announced: None,
                }
                .into(),
            ));
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Layer for Bottom<'_> {
    fn finish(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<W: Layer> Layer for MultiGzDecoder<W> {
    fn finish(&mut self) -> io::Result<()> {
        self.try_finish()?;
        self.get_mut().finish()
    }
}

/// "deflate" is zlib by the RFC, but some servers send raw deflate: the first
/// two bytes tell (a zlib header is a multiple of 31 naming method 8).
enum Deflate<W: Layer> {
    Sniffing(Option<W>, Vec<u8>),
    Zlib(ZlibDecoder<W>),
    Raw(DeflateDecoder<W>),
}

impl<W: Layer> Write for Deflate<W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let (next, start) = match self {
            Deflate::Zlib(d) => return d.write(bytes),
            Deflate::Raw(d) => return d.write(bytes),
            Deflate::Sniffing(next, start) => (next, start),
        };
        let take = (2 - start.len()).min(bytes.len());
        start.extend_from_slice(&bytes[..take]);
        if let [first, second] = start[..] {
            let Some(next) = next.take() else {
                return Err(io::Error::other("the deflate decoder lost its output"));
            };
            let zlib = first & 0x0f == 8 && u16::from_be_bytes([first, second]) % 31 == 0;
            *self = if zlib {
                Deflate::Zlib(ZlibDecoder::new(next))
            } else {
                Deflate::Raw(DeflateDecoder::new(next))
            };
            self.write_all(&[first, second])?;
        }
        Ok(take)
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Deflate::Zlib(d) => d.flush(),
            Deflate::Raw(d) => d.flush(),
            Deflate::Sniffing(..) => Ok(()),
        }
    }
}

impl<W: Layer> Layer for Deflate<W> {
    fn finish(&mut self) -> io::Result<()> {
        match self {
            Deflate::Sniffing(..) => Err(io::ErrorKind::UnexpectedEof.into()),
            Deflate::Zlib(d) => {
                d.try_finish()?;
                d.get_mut().finish()
            }
            Deflate::Raw(d) => {
                d.try_finish()?;
                d.get_mut().finish()
            }
        }
    }
}

struct Brotli<W: Layer>(Option<brotli_decompressor::DecompressorWriter<W>>);

impl<W: Layer> Write for Brotli<W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        match &mut self.0 {
            Some(d) => d.write(bytes),
            None => Ok(0),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.0 {
            Some(d) => d.flush(),
            None => Ok(()),
        }
    }
}

impl<W: Layer> Layer for Brotli<W> {
    fn finish(&mut self) -> io::Result<()> {
        let Some(mut d) = self.0.take() else {
            return Ok(());
        };
        d.close()?;
        let mut next = d.into_inner().map_err(|_| io::Error::other("brotli"))?;
        next.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    impl BodyOutput for Vec<u8> {
        fn write_body(&mut self, bytes: &[u8]) -> Result<(), Stop> {
            self.extend_from_slice(bytes);
            Ok(())
        }
    }

    fn addr() -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], 80))
    }

    /// Decodes `input` fed in pieces of `split` bytes; the bytes out, and the result.
    fn decode(codings: &[Coding], input: &[u8], split: usize) -> (Vec<u8>, Result<(), Stop>) {
        let mut out = Vec::new();
        let mut decoder = Decoder::new(codings, &mut out, Some(1 << 20), addr());
        let mut result = Ok(());
        for piece in input.chunks(split.max(1)) {
            result = decoder.write(piece);
            if result.is_err() {
                break;
            }
        }
        let result = result.and_then(|()| decoder.finish());
        drop(decoder);
        (out, result)
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    const ALL: [Coding; 3] = [Coding::Gzip, Coding::Deflate, Coding::Brotli];

    proptest! {
        /// A peer's bytes, whatever they are, end in data or an error, never a panic.
        #[test]
        fn any_bytes_under_any_codings_decode_or_fail(
            input in proptest::collection::vec(any::<u8>(), 0..600),
            picks in proptest::collection::vec(0..3usize, 1..3),
            split in 1..80usize,
        ) {
            let codings: Vec<Coding> = picks.iter().map(|&i| ALL[i]).collect();
            let _ = decode(&codings, &input, split);
        }

        /// Damaged gzip (a byte changed, or cut short) fails, unless the change
        /// was where it does not matter (the header's time): then it is the original.
        #[test]
        fn damaged_gzip_fails_or_decodes_to_the_original(
            data in proptest::collection::vec(any::<u8>(), 0..2000),
            at in any::<prop::sample::Index>(),
            flip in 1..=255u8,
            cut in any::<bool>(),
            split in 1..300usize,
        ) {
            let mut encoded = gzip(&data);
            let i = at.index(encoded.len());
            if cut {
                encoded.truncate(i);
            } else {
                encoded[i] ^= flip;
            }
            let (out, result) = decode(&[Coding::Gzip], &encoded, split);
            if encoded.is_empty() {
                // No body at all (cut at 0) is no stream, not a broken one.
                prop_assert!(result.is_ok() && out.is_empty());
            } else if result.is_ok() {
                prop_assert_eq!(&out, &data);
            }
        }

        #[test]
        fn gzip_in_any_pieces_decodes_exactly(
            data in proptest::collection::vec(any::<u8>(), 0..5000),
            split in 1..700usize,
        ) {
            let (out, result) = decode(&[Coding::Gzip], &gzip(&data), split);
            prop_assert!(result.is_ok());
            prop_assert_eq!(out, data);
        }
    }

    /// brotli's writer loops for as long as the next writer takes 0 bytes: a
    /// deflate stream that ends before the bytes brotli hands it must stop that.
    #[test]
    fn bytes_after_an_inner_stream_end_are_an_error_not_a_spin() {
        let mut inner = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        inner.write_all(b"x").unwrap();
        let mut inner = inner.finish().unwrap();
        inner.extend_from_slice(b"junk after the end");
        let mut outer = Vec::new();
        let mut encoder = brotli::CompressorWriter::new(&mut outer, 4096, 5, 22);
        encoder.write_all(&inner).unwrap();
        drop(encoder);
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let (out, result) = decode(&[Coding::Deflate, Coding::Brotli], &outer, 1000);
            let _ = sender.send((out, result.is_err()));
        });
        let (out, failed) = receiver
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("the decoder returned");
        assert_eq!((out, failed), (b"x".to_vec(), true));
    }

    #[test]
    fn the_limit_stops_decoding_at_exactly_its_bytes() {
        let mut out = Vec::new();
        let mut decoder = Decoder::new(&[Coding::Gzip], &mut out, Some(10), addr());
        let result = decoder.write(&gzip(&[7; 100]));
        drop(decoder);
        assert!(matches!(
            result,
            Err(Stop::Failed(Error::TooLarge { limit: 10, .. }))
        ));
        assert_eq!(out, [7; 10]);
    }
}

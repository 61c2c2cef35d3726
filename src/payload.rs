//! A request body: bytes in memory and files read as they are sent, so that a
//! large upload (`-d @FILE`, `-F NAME=@FILE`) is never held in memory.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Payload {
    pieces: Vec<Piece>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Bytes(Vec<u8>),
    /// A regular file, sent from its start; `len` is its length when the
    /// request was made, and so what the Content-Length promises.
    File {
        path: PathBuf,
        len: u64,
    },
    /// Standard input, read as it is sent, to its end: a length no one knows
    /// beforehand, so only an HTTP/1.1 request sends it (chunked). `-d @-`
    /// drops CR and LF on the way, as curl's -d does.
    Stdin {
        strip_newlines: bool,
    },
}

impl Payload {
    pub fn from_bytes(bytes: Vec<u8>) -> Payload {
        let mut payload = Payload::default();
        payload.push_bytes(&bytes);
        payload
    }

    pub fn push_bytes(&mut self, bytes: &[u8]) {
        match self.pieces.last_mut() {
            Some(Piece::Bytes(last)) => last.extend_from_slice(bytes),
            _ if bytes.is_empty() => {}
            _ => self.pieces.push(Piece::Bytes(bytes.to_vec())),
        }
    }

    pub fn push(&mut self, piece: Piece) {
        match piece {
            Piece::Bytes(bytes) => self.push_bytes(&bytes),
            file => self.pieces.push(file),
        }
    }

    pub fn append(&mut self, other: Payload) {
        for piece in other.pieces {
            self.push(piece);
        }
    }

    pub fn pieces(&self) -> &[Piece] {
        &self.pieces
    }

    /// The Content-Length; `None` when standard input is streamed (chunked).
    pub fn len(&self) -> Option<u64> {
        self.pieces.iter().try_fold(0u64, |sum, piece| match piece {
            Piece::Bytes(bytes) => Some(sum.saturating_add(bytes.len() as u64)),
            Piece::File { len, .. } => Some(sum.saturating_add(*len)),
            Piece::Stdin { .. } => None,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.pieces.is_empty()
    }

    /// The whole body in memory, files read: for -G's query string.
    pub fn to_vec(&self) -> io::Result<Vec<u8>> {
        let mut all = Vec::new();
        for piece in &self.pieces {
            match piece {
                Piece::Bytes(bytes) => all.extend_from_slice(bytes),
                Piece::File { path, .. } => {
                    File::open(path)?.read_to_end(&mut all)?;
                }
                Piece::Stdin { strip_newlines } => {
                    let mut input = Vec::new();
                    io::stdin().lock().read_to_end(&mut input)?;
                    if *strip_newlines {
                        input.retain(|&b| b != b'\r' && b != b'\n');
                    }
                    all.extend_from_slice(&input);
                }
            }
        }
        Ok(all)
    }
}

/// A file to send, checked now so that a missing one fails before anything is
/// sent. A regular file with a length is read as it is sent; anything else (a
/// pipe, a /proc file whose length says 0) has no length to announce, so it is
/// read now.
pub fn file_piece(path: &Path) -> io::Result<Piece> {
    let mut file = File::open(path)?;
    let meta = file.metadata()?;
    if meta.is_file() && meta.len() > 0 {
        return Ok(Piece::File {
            path: path.to_path_buf(),
            len: meta.len(),
        });
    }
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    Ok(Piece::Bytes(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_merge_and_files_count_by_their_length() {
        let mut payload = Payload::from_bytes(b"a".to_vec());
        payload.push_bytes(b"b");
        payload.push(Piece::File {
            path: "/x".into(),
            len: 10,
        });
        payload.push_bytes(b"");
        payload.push_bytes(b"c");
        assert_eq!(payload.pieces().len(), 3);
        assert_eq!(payload.len(), Some(13));
        payload.push(Piece::Stdin {
            strip_newlines: false,
        });
        assert_eq!(payload.len(), None);
        assert!(Payload::from_bytes(Vec::new()).is_empty());
    }
}

//! -F: a multipart/form-data body (RFC 7578) in curl's syntax: `NAME=VALUE`,
//! `NAME=@FILE` (a file upload, read as it is sent), `NAME=<FILE` (a field
//! whose value is the file's content), each with `;type=` and `;filename=`.

use crate::error::io_text;
use std::ffi::OsStr;
use std::fs::File;
use std::hash::{BuildHasher, Hasher};
use std::io::{self, Read};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use memchr::memmem::Finder;

use crate::payload::{Payload, Piece, file_piece};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    name: Vec<u8>,
    content: Piece,
    filename: Option<Vec<u8>>,
    content_type: Option<String>,
}

/// Reads one -F argument; files are opened now, so a missing one fails before
/// anything is sent.
pub fn parse(arg: &OsStr) -> Result<Field, String> {
    let bytes = arg.as_bytes();
    let shown = || String::from_utf8_lossy(bytes).into_owned();
    let Some(equals) = bytes.iter().position(|&b| b == b'=').filter(|&i| i > 0) else {
        return Err(format!(
            "-F '{}': give NAME=VALUE, NAME=@FILE or NAME=<FILE",
            shown()
        ));
    };
    let (name, rest) = (&bytes[..equals], &bytes[equals + 1..]);
    let (file_kind, rest) = match rest.first() {
        Some(b'@') => (Some(true), &rest[1..]),
        Some(b'<') => (Some(false), &rest[1..]),
        _ => (None, rest),
    };
    let (content, mut rest) = word(rest).map_err(|why| format!("-F '{}': {why}", shown()))?;
    let mut field = Field {
        name: name.to_vec(),
        content: Piece::Bytes(content.clone()),
        filename: None,
        content_type: None,
    };
    if let Some(upload) = file_kind {
        let path = Path::new(OsStr::from_bytes(&content));
        field.content = content_of(path).map_err(|e| {
            format!(
                "-F '{}': cannot read '{}': {}",
                shown(),
                path.display(),
                io_text(&e)
            )
        })?;
        if upload {
            let base = path.file_name().map(|n| n.as_bytes().to_vec());
            field.content_type = Some(guess_type(&content).into());
            field.filename = base;
        }
    }
    let mut last_was_type = false;
    while let Some(after) = rest.strip_prefix(b";") {
        let (key, value, next) =
            setting(after).map_err(|why| format!("-F '{}': {why}", shown()))?;
        rest = next;
        last_was_type = field
            .set(key, value, last_was_type)
            .map_err(|why| format!("-F '{}': {why}", shown()))?;
    }
    Ok(field)
}

/// A setting's key, its value if it has one, and what follows.
type Setting<'a> = (&'a [u8], Option<Vec<u8>>, &'a [u8]);

/// `KEY=VALUE` (the value as a `word`, so it may be quoted) or a bare `KEY`,
/// and what follows it.
fn setting(input: &[u8]) -> Result<Setting<'_>, String> {
    let end = input
        .iter()
        .position(|&b| b == b'=' || b == b';')
        .unwrap_or(input.len());
    let key = &input[..end];
    match input.get(end) {
        Some(b'=') => {
            let (value, rest) = word(&input[end + 1..])?;
            Ok((key, Some(value), rest))
        }
        _ => Ok((key, None, &input[end..])),
    }
}

/// A file's content: `-` is standard input, read now (its length is needed).
fn content_of(path: &Path) -> io::Result<Piece> {
    if path.as_os_str() == "-" {
        let mut bytes = Vec::new();
        io::stdin().lock().read_to_end(&mut bytes)?;
        return Ok(Piece::Bytes(bytes));
    }
    file_piece(path)
}

impl Field {
    /// A `;type=` or `;filename=` after the content; after a type, any other
    /// `;x=y` is a parameter of that type (`type=text/plain;charset=utf-8`), as
    /// in curl. Returns whether the type may take more.
    fn set(
        &mut self,
        key: &[u8],
        value: Option<Vec<u8>>,
        after_type: bool,
    ) -> Result<bool, String> {
        let mut setting = key.to_vec();
        if let Some(value) = &value {
            setting.push(b'=');
            setting.extend_from_slice(value);
        }
        let text = String::from_utf8_lossy(&setting).into_owned();
        let media = |value: &[u8]| {
            std::str::from_utf8(value)
                .ok()
                .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_graphic() || b == b' '))
                .map(str::to_string)
                .ok_or_else(|| format!("';{text}' is not a media type"))
        };
        match (key, value) {
            (b"type", Some(value)) => {
                self.content_type = Some(media(&value)?);
                return Ok(true);
            }
            (b"filename", Some(value)) => {
                self.filename = Some(value);
                return Ok(false);
            }
            _ => {}
        }
        match &mut self.content_type {
            Some(content_type) if after_type => {
                content_type.push(';');
                content_type.push_str(&media(&setting)?);
                Ok(true)
            }
            _ => Err(format!(
                "';{text}' is not ;type= or ;filename= (quote a value with ';' in it: NAME=\"a;b\")"
            )),
        }
    }
}

/// A value up to the next `;`, or a double-quoted one (`\"` and `\\` inside),
/// and what follows it.
fn word(input: &[u8]) -> Result<(Vec<u8>, &[u8]), String> {
    // Leading blanks are not part of a value (curl: `-F 'html= <body>'`).
    let start = input.iter().position(|&b| b != b' ' && b != b'\t');
    let input = &input[start.unwrap_or(input.len())..];
    let Some(quoted) = input.strip_prefix(b"\"") else {
        let end = input.iter().position(|&b| b == b';').unwrap_or(input.len());
        return Ok((input[..end].to_vec(), &input[end..]));
    };
    let mut value = Vec::new();
    let mut bytes = quoted.iter().enumerate();
    while let Some((i, &b)) = bytes.next() {
        match b {
            b'"' => {
                let rest = &quoted[i + 1..];
                if !rest.is_empty() && !rest.starts_with(b";") {
                    return Err("text after a closing quote".into());
                }
                return Ok((value, rest));
            }
            b'\\' => match bytes.next() {
                Some((_, &escaped)) => value.push(escaped),
                None => break,
            },
            _ => value.push(b),
        }
    }
    Err("a quote is not closed".into())
}

/// curl's guesses from the file name's extension; anything else is bytes.
fn guess_type(path: &[u8]) -> &'static str {
    let path = String::from_utf8_lossy(path).to_ascii_lowercase();
    let extension = path.rsplit_once('.').map_or("", |(_, e)| e);
    match extension {
        "gif" => "image/gif",
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "svg" => "image/svg+xml",
        "txt" => "text/plain",
        "htm" | "html" => "text/html",
        "pdf" => "application/pdf",
        "xml" => "application/xml",
        _ => "application/octet-stream",
    }
}

/// The body, and the Content-Type that names its boundary. The boundary is
/// random, and checked against every part, files included, so that no part
/// can end early.
pub fn body(fields: &[Field]) -> io::Result<(Payload, String)> {
    let mut boundary = random_boundary();
    let mut tries = 0;
    while occurs_in(fields, boundary.as_bytes())? {
        tries += 1;
        if tries == 16 {
            return Err(io::Error::other(
                "no boundary found that the parts do not hold",
            ));
        }
        boundary = random_boundary();
    }
    let mut payload = Payload::default();
    for field in fields {
        payload.push_bytes(format!("--{boundary}\r\n").as_bytes());
        payload.push_bytes(&field.head());
        payload.push(field.content.clone());
        payload.push_bytes(b"\r\n");
    }
    payload.push_bytes(format!("--{boundary}--\r\n").as_bytes());
    Ok((payload, format!("multipart/form-data; boundary={boundary}")))
}

impl Field {
    /// The part's header lines and the blank line after them.
    fn head(&self) -> Vec<u8> {
        let mut head = b"Content-Disposition: form-data; name=\"".to_vec();
        head.extend(escaped(&self.name));
        head.push(b'"');
        if let Some(filename) = &self.filename {
            head.extend_from_slice(b"; filename=\"");
            head.extend(escaped(filename));
            head.push(b'"');
        }
        head.extend_from_slice(b"\r\n");
        if let Some(content_type) = &self.content_type {
            head.extend_from_slice(format!("Content-Type: {content_type}\r\n").as_bytes());
        }
        head.extend_from_slice(b"\r\n");
        head
    }
}

/// A name in quotes, as browsers write it (HTML's form encoding, curl's
/// default): `"`, CR and LF as %22, %0D and %0A.
fn escaped(name: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(name.len());
    for &b in name {
        match b {
            b'"' => out.extend_from_slice(b"%22"),
            b'\r' => out.extend_from_slice(b"%0D"),
            b'\n' => out.extend_from_slice(b"%0A"),
            _ => out.push(b),
        }
    }
    out
}

/// curl's shape: dashes and 22 letters and digits, from the process's random
/// hash keys (std seeds them from the system's random source).
fn random_boundary() -> String {
    const ALPHABET: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let state = std::collections::hash_map::RandomState::new();
    let mut boundary = String::from("------------------------");
    for i in 0..22u8 {
        let mut hasher = state.build_hasher();
        hasher.write_u8(i);
        boundary.push(ALPHABET[(hasher.finish() % ALPHABET.len() as u64) as usize] as char);
    }
    boundary
}

fn occurs_in(fields: &[Field], needle: &[u8]) -> io::Result<bool> {
    let finder = Finder::new(needle);
    for field in fields {
        let found = match &field.content {
            Piece::Bytes(bytes) => finder.find(bytes).is_some(),
            Piece::File { path, .. } => file_contains(path, &finder)?,
            // A form reads standard input when it is made: it is never streamed.
            Piece::Stdin { .. } => false,
        };
        if found || finder.find(&field.head()).is_some() {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Whether the file holds the needle, read one buffer at a time.
fn file_contains(path: &Path, finder: &Finder) -> io::Result<bool> {
    let needle = finder.needle();
    let mut file = File::open(path)?;
    let mut buf = vec![0u8; 64 * 1024];
    // The end of the last read, so a needle across two reads is found.
    let mut kept = 0;
    loop {
        let n = match file.read(&mut buf[kept..]) {
            Ok(0) => return Ok(false),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let filled = kept + n;
        if finder.find(&buf[..filled]).is_some() {
            return Ok(true);
        }
        kept = filled.min(needle.len() - 1);
        buf.copy_within(filled - kept..filled, 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(arg: &str) -> Result<Field, String> {
        parse(OsStr::new(arg))
    }

    #[test]
    fn values_quotes_and_settings_read_as_curl_reads_them() {
        let f = field("a=b").unwrap();
        assert_eq!(
            (f.name, f.content),
            (b"a".to_vec(), Piece::Bytes(b"b".to_vec()))
        );
        let f = field("a=\"x;y \\\"z\\\"\";type=text/x").unwrap();
        assert_eq!(f.content, Piece::Bytes(b"x;y \"z\"".to_vec()));
        assert_eq!(f.content_type.as_deref(), Some("text/x"));
        let f = field("a=v;filename=\"n;m.txt\"").unwrap();
        assert_eq!(f.filename.as_deref(), Some(&b"n;m.txt"[..]));
        assert!(
            field("a=b;c")
                .unwrap_err()
                .contains("is not ;type= or ;filename=")
        );
        assert!(field("=b").is_err() && field("ab").is_err());
        assert!(field("a=\"open").unwrap_err().contains("not closed"));
        assert!(
            field("a=\"q\"x")
                .unwrap_err()
                .contains("after a closing quote")
        );
        assert!(
            field("a=@/nonexistent/x")
                .unwrap_err()
                .contains("cannot read")
        );
        assert!(field("a=v;type=bad\ttype").is_err());
        let f = field("a=v;type=text/plain;charset=utf-8;filename=x").unwrap();
        assert_eq!(f.content_type.as_deref(), Some("text/plain;charset=utf-8"));
        assert!(field("a=v;filename=x;charset=utf-8").is_err());
    }

    proptest::proptest! {
        /// Whatever the argument, a field or a message; no panic.
        #[test]
        fn any_argument_parses_or_is_refused(arg in "[a-z=@<;\"\\\\ ]{0,24}") {
            if let Ok(field) = field(&arg) {
                proptest::prop_assert!(!field.name.is_empty());
                let _ = body(&[field]);
            }
        }
    }

    #[test]
    fn names_are_escaped_and_types_guessed() {
        let f = field("a\"\r\nb=v;filename=x\"y").unwrap();
        assert_eq!(
            f.head(),
            b"Content-Disposition: form-data; name=\"a%22%0D%0Ab\"; filename=\"x%22y\"\r\n\r\n"
        );
        assert_eq!(guess_type(b"/p/photo.JPG"), "image/jpeg");
        assert_eq!(guess_type(b"data.bin"), "application/octet-stream");
        assert_eq!(guess_type(b"noext"), "application/octet-stream");
    }

    #[test]
    fn boundaries_differ_and_a_file_holding_one_is_found() {
        let (a, b) = (random_boundary(), random_boundary());
        assert_ne!(a, b);
        assert_eq!(a.len(), 46);
        let path = std::env::temp_dir().join(format!("fetch-form-{}", std::process::id()));
        // Across the 64 KiB read boundary.
        let mut data = vec![b'x'; 64 * 1024 - 10];
        data.extend_from_slice(a.as_bytes());
        std::fs::write(&path, &data).unwrap();
        assert!(file_contains(&path, &Finder::new(a.as_bytes())).unwrap());
        assert!(!file_contains(&path, &Finder::new(b.as_bytes())).unwrap());
        std::fs::remove_file(&path).unwrap();
    }
}

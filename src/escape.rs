//! Bytes from a peer, made safe to show: as received, but with every control
//! character escaped, so that nothing a server sends can move the cursor, set the
//! window title or write the clipboard (OSC 52) on the user's terminal.

/// `bytes` as text: valid UTF-8 as itself, control characters (C0, DEL, C1) and
/// bytes that are not UTF-8 as `\xNN` (`\r`, `\n`, `\t` for those three). Quotes and backslashes stay as they are.
pub fn shown(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c.is_control() {
                let mut utf8 = [0u8; 4];
                for b in c.encode_utf8(&mut utf8).bytes() {
                    push_escaped(&mut out, b);
                }
            } else {
                out.push(c);
            }
        }
        for &b in chunk.invalid() {
            push_escaped(&mut out, b);
        }
    }
    out
}

/// A head for a terminal: each line through `shown`, line ends kept as received.
pub fn shown_lines(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    for line in bytes.split_inclusive(|&b| b == b'\n') {
        let (text, end) = match line {
            [text @ .., b'\r', b'\n'] => (text, &b"\r\n"[..]),
            [text @ .., b'\n'] => (text, &b"\n"[..]),
            text => (text, &b""[..]),
        };
        out.extend_from_slice(shown(text).as_bytes());
        out.extend_from_slice(end);
    }
    out
}

fn push_escaped(out: &mut String, byte: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    match byte {
        b'\r' => return out.push_str("\\r"),
        b'\n' => return out.push_str("\\n"),
        b'\t' => return out.push_str("\\t"),
        _ => {}
    }
    out.push_str("\\x");
    out.push(HEX[usize::from(byte >> 4)] as char);
    out.push(HEX[usize::from(byte & 0xf)] as char);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_and_the_rest_kept() {
        assert_eq!(shown(b"a \"q\" \\ \xc3\xa9"), "a \"q\" \\ \u{e9}");
        assert_eq!(shown(b"\x1b]52;c;eA==\x07"), "\\x1b]52;c;eA==\\x07");
        assert_eq!(shown(b"tab\there\r\n"), "tab\\there\\r\\n");
        // C1 controls (CSI is U+009B) and bytes that are not UTF-8.
        assert_eq!(shown("\u{9b}31m".as_bytes()), "\\xc2\\x9b31m");
        assert_eq!(shown(b"\xff\xfe ok"), "\\xff\\xfe ok");
    }

    #[test]
    fn lines_keep_their_ends() {
        assert_eq!(
            shown_lines(b"HTTP/1.1 200 OK\r\nX: \x1b[2J\r\n\r\n"),
            b"HTTP/1.1 200 OK\r\nX: \\x1b[2J\r\n\r\n"
        );
        assert_eq!(shown_lines(b"a\nb"), b"a\nb");
    }
}

//! curl's options that fetch does not have, with what fetch offers instead: a
//! curl user who types one gets one line that says so, not clap's guess at a
//! similar-looking flag (`--cert` is not `--cacert`).

/// One line an entry: the spellings (a trailing `*` matches any ending), `|`,
/// what to say after "NAME: ". One
/// string, not a table of slices: a static table of `&str` costs the loader a
/// relocation for each of them at every start, and this is read only on an
/// error.
const LACKING: &str = "\
--http2 --http2-prior-knowledge --http3 --http3-only|fetch speaks HTTP/1.0, or HTTP/1.1 with --http1.1; it has no HTTP/2 or HTTP/3\n\
--http0.9|fetch sends HTTP/1.0 requests, or HTTP/1.1 with --http1.1\n\
--pass|fetch reads unencrypted keys only: openssl pkey -in KEY -out plain.pem decrypts one\n\
--url|give the URL as the TARGET argument\n\
--limit-rate|fetch has no rate limit\n\
--socks4 --socks4a --socks5 --socks5-hostname --preproxy|fetch speaks to HTTP proxies only (-x)\n\
-K --config|fetch reads no config file\n\
-Z --parallel --next|fetch makes one request per run\n\
--oauth2-bearer|use -H 'Authorization: Bearer TOKEN'\n\
--digest --ntlm --negotiate --anyauth --basic|fetch sends Basic authentication only, with -u\n\
-N --no-buffer|fetch never buffers the body\n\
--tlsv1 --tlsv1.0 --tlsv1.1 --tlsv1.2 --tlsv1.3 --tls-max --ciphers --tls13-ciphers --sslv2 --sslv3|fetch speaks TLS 1.2 and 1.3 with rustls's cipher suites; they cannot be chosen\n\
--trace --trace-ascii --trace-time|-v traces every step with its time\n\
-r --range|fetch asks for a range only to resume (-C -); send -H 'Range: bytes=…' yourself\n\
-J --remote-header-name|fetch names the file after the URL (-O) or as -o FILE says\n\
-z --time-cond|send -H 'If-Modified-Since: DATE' yourself\n\
--unix-socket --abstract-unix-socket|fetch connects over TCP only\n\
--dns-servers --connect-to --doh-url|fetch asks the system's resolver; --resolve pins an address\n\
-q --disable|fetch reads no .curlrc\n\
--ftp-*|fetch speaks HTTP only; it has no FTP\n\
";

/// What to say about `arg` (as typed, `--name=value` too), when curl has it and
/// fetch does not.
pub fn lacking(arg: &str) -> Option<String> {
    let name = arg.split_once('=').map_or(arg, |(name, _)| name);
    // A short option with its value attached (`-Tfile`) is the option.
    let name = match name.strip_prefix('-') {
        Some(rest) if !rest.starts_with('-') && rest.len() > 1 => name.get(..2).unwrap_or(name),
        _ => name,
    };
    let (_, text) = LACKING
        .lines()
        .filter_map(|line| line.split_once('|'))
        .find(|(names, _)| {
            names.split(' ').any(|n| match n.strip_suffix('*') {
                Some(prefix) => name.starts_with(prefix),
                None => n == name,
            })
        })?;
    Some(format!("{name}: {text}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_with_values_are_recognised() {
        assert_eq!(
            lacking("--limit-rate=1k").as_deref(),
            Some("--limit-rate: fetch has no rate limit")
        );
        assert!(lacking("-Zx").unwrap().starts_with("-Z: "));
        assert!(lacking("--ftp-ssl").unwrap().starts_with("--ftp-ssl: "));
        assert_eq!(lacking("--frobnicate"), None);
        assert_eq!(lacking("-"), None);
        assert_eq!(lacking("-\u{e9}x"), None);
    }
}

//! Which proxy a target goes through: -x, else the environment as curl reads it,
//! minus what --noproxy or no_proxy exempts; a loopback target never through the
//! environment's (so CI health checks on localhost keep working where a proxy is
//! set), and through -x's as given.

use std::io::Write;
use std::net::IpAddr;

use crate::body::Body;
use crate::error::Error;
use crate::report::Report;
use crate::response::{BodyLength, HeadReader};
use crate::stream::{Failure, Tcp};
use crate::target::{Credentials, Host, Scheme, Target};

/// An HTTP proxy, and where its setting came from (for -v and messages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proxy {
    pub host: Host,
    pub port: u16,
    pub credentials: Option<Credentials>,
    /// `-x`, or the variable's name.
    pub from: String,
}

impl Proxy {
    /// `[http://][user:password@]HOST[:PORT]`, port 1080 when missing (curl's).
    pub fn parse(text: &str, from: &str) -> Result<Proxy, String> {
        let bad = |why: String| format!("invalid proxy '{}' ({from}): {why}", shown(text));
        let rest = match text.split_once("://") {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => rest,
            Some((scheme, _)) => {
                return Err(bad(format!(
                    "fetch speaks to http:// proxies only, not {scheme}"
                )));
            }
            None => text,
        };
        let authority = rest.trim_end_matches('/');
        let parsed = Target::parse(format!("http://{authority}").as_bytes(), None)
            .map_err(|e| bad(e.rsplit(": ").next().unwrap_or(&e).to_string()))?;
        if parsed.path != "/" {
            return Err(bad("a proxy is HOST[:PORT], without a path".into()));
        }
        let port = if authority
            .rsplit_once(']')
            .map_or(authority, |(_, p)| p)
            .contains(':')
        {
            parsed.port
        } else {
            1080
        };
        Ok(Proxy {
            host: parsed.host,
            port,
            credentials: parsed.credentials,
            from: from.to_string(),
        })
    }

    /// `host:port`, as messages and CONNECT name it.
    pub fn authority(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }
}

impl Proxy {
    /// How messages and -v name it: `host:port (from)`.
    pub fn named(&self) -> String {
        format!("{} (from {})", self.authority(), self.from)
    }

    /// `Basic …` for Proxy-Authorization, when the proxy URL has credentials.
    pub fn authorization(&self) -> Result<Option<String>, Error> {
        let Some(c) = &self.credentials else {
            return Ok(None);
        };
        crate::password::basic(&c.user, c.password.as_deref())
            .map(Some)
            .map_err(Error::Usage)
    }

    /// Opens a tunnel to `target` through the proxy (CONNECT, RFC 9110 9.3.6) on
    /// the connected `tcp`, within the connect deadline; TLS then runs inside it.
    pub fn tunnel(&self, tcp: &mut Tcp, target: &Target, report: &mut Report) -> Result<(), Error> {
        let authority = target.authority();
        let mut request = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n");
        if let Some(credentials) = self.authorization()? {
            request.push_str(&format!("Proxy-Authorization: {credentials}\r\n"));
        }
        request.push_str("\r\n");
        report.step(format_args!(
            "CONNECT {authority} via proxy {}",
            self.named()
        ));
        tcp.within_connect_deadline(true);
        let answer = self.connect_answer(tcp, request.as_bytes());
        tcp.within_connect_deadline(false);
        let refused = |answer: String, timed_out| Error::ProxyConnect {
            proxy: self.named(),
            target: authority.clone(),
            answer,
            timed_out,
        };
        match answer {
            Ok((status, _)) if (200..300).contains(&status) => {
                report.tunnel(status);
                Ok(())
            }
            Ok((status, line)) => {
                report.tunnel(status);
                match self.refusal_hint(status) {
                    Some(hint) => Err(refused(format!("{line} ({hint})"), false)),
                    None => Err(refused(line, false)),
                }
            }
            Err(Failure::Timeout(_)) => Err(refused(
                "no answer to CONNECT before the connect deadline".into(),
                true,
            )),
            Err(Failure::Eof) => Err(refused(
                "it closed the connection without an answer".into(),
                false,
            )),
            Err(Failure::Reset) => Err(refused("it reset the connection".into(), false)),
            Err(Failure::Other(e)) => Err(refused(e.to_string(), false)),
        }
    }

    /// What a refusal of CONNECT usually means, and what to do about it.
    fn refusal_hint(&self, status: u16) -> Option<String> {
        let hint = match status {
            407 if self.credentials.is_some() => "the proxy rejected the credentials given".into(),
            407 if self.from == "-x" => {
                "the proxy wants credentials: give them with -U USER:PASSWORD".into()
            }
            407 => format!(
                "the proxy wants credentials: give them with -U USER:PASSWORD, or in {} as http://USER:PASSWORD@HOST:PORT",
                self.from
            ),
            403 => "the proxy refuses to open a tunnel to this host or port".into(),
            405 | 501 => "the proxy does not open tunnels (CONNECT)".into(),
            502 | 504 => "the proxy could not reach the target".into(),
            503 => "the proxy could not reach the target, or is overloaded".into(),
            _ => return None,
        };
        Some(hint)
    }

    /// Reads a refusal's body (tinyproxy's HTML page) by its framing, at most
    /// 64 KiB and within the connect deadline, so that the answer is taken
    /// whole; a body that only the close ends is not waited for.
    fn drain_refusal(tcp: &mut Tcp, length: BodyLength, early: &[u8]) {
        const MOST: u64 = 64 * 1024;
        if length == BodyLength::UntilClose {
            return;
        }
        let Ok(framing) = crate::body::framing(length, Some(MOST)) else {
            return;
        };
        let mut body = Body::new(framing, Some(MOST), false);
        let mut buf = [0u8; 4096];
        let mut input = early;
        loop {
            while !input.is_empty() && !body.is_done() {
                match body.step(input) {
                    Ok(step) if !step.over_limit => input = &input[step.consumed..],
                    _ => return,
                }
            }
            if body.is_done() {
                return;
            }
            match std::io::Read::read(tcp, &mut buf) {
                Ok(n) if n > 0 => input = &buf[..n],
                _ => return,
            }
        }
    }

    /// Sends CONNECT, reads the proxy's answer: its status and status line.
    fn connect_answer(&self, tcp: &mut Tcp, request: &[u8]) -> Result<(u16, String), Failure> {
        tcp.write_all(request).map_err(Failure::from_io)?;
        // Not a HEAD: a refusal announces its body by its framing.
        let mut reader = HeadReader::new(false);
        let mut buf = [0u8; 1024];
        loop {
            let n = std::io::Read::read(tcp, &mut buf).map_err(Failure::from_io)?;
            if n == 0 {
                return Err(Failure::Eof);
            }
            match reader.push(&buf[..n]) {
                Ok(Some(head)) if !(200..300).contains(&head.status) => {
                    let early = reader.buffered()[head.len..].to_vec();
                    Self::drain_refusal(tcp, head.body, &early);
                    return Ok((head.status, head.status_line));
                }
                // Bytes after a 2xx answer would belong to the tunnel: there are
                // none before fetch's own TLS hello.
                Ok(Some(head)) if head.len == reader.buffered().len() => {
                    return Ok((head.status, head.status_line));
                }
                Ok(Some(head)) => {
                    return Ok((0, format!("{} (and bytes after it)", head.status_line)));
                }
                Ok(None) => {}
                Err(_) => {
                    let shown =
                        crate::escape::shown(&reader.buffered()[..reader.buffered().len().min(40)]);
                    return Ok((0, format!("an answer that is not HTTP: \"{shown}\"")));
                }
            }
        }
    }
}

/// Shows a proxy setting with any password as `***`.
fn shown(text: &str) -> String {
    String::from_utf8_lossy(&crate::target::without_password(text.as_bytes())).into_owned()
}

/// Every proxy setting, decided once from the command line and the environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Proxies {
    /// -x: for every scheme.
    explicit: Option<Proxy>,
    http: Option<Proxy>,
    https: Option<Proxy>,
    all: Option<Proxy>,
    /// --noproxy, else no_proxy / NO_PROXY.
    exempt: Vec<String>,
    /// The exempt list came from --noproxy.
    exempt_from_flag: bool,
}

impl Proxies {
    /// As curl reads them: `http_proxy` in lower case only (the upper-case form
    /// can be set through CGI: "httpoxy"), `https_proxy` then `HTTPS_PROXY`,
    /// `all_proxy` then `ALL_PROXY`, `no_proxy` then `NO_PROXY`; -x and
    /// --noproxy override them.
    pub fn choose(
        explicit: Option<&str>,
        noproxy: Option<&str>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Proxies, String> {
        let var = |names: &[&str]| {
            names.iter().find_map(|name| {
                env(name)
                    .filter(|v| !v.is_empty())
                    .map(|v| (name.to_string(), v))
            })
        };
        let proxy = |names: &[&str]| match var(names) {
            Some((name, value)) => Proxy::parse(&value, &name).map(Some),
            None => Ok(None),
        };
        let exempt = match noproxy {
            Some(list) => list.to_string(),
            None => var(&["no_proxy", "NO_PROXY"])
                .map(|(_, v)| v)
                .unwrap_or_default(),
        };
        Ok(Proxies {
            explicit: explicit.map(|p| Proxy::parse(p, "-x")).transpose()?,
            http: proxy(&["http_proxy"])?,
            https: proxy(&["https_proxy", "HTTPS_PROXY"])?,
            all: proxy(&["all_proxy", "ALL_PROXY"])?,
            exempt_from_flag: noproxy.is_some(),
            exempt: exempt
                .split(',')
                .map(|item| item.trim().to_ascii_lowercase())
                .filter(|item| !item.is_empty())
                .collect(),
        })
    }

    /// -U: these credentials for whichever proxy is used, in place of any its
    /// URL gives.
    pub fn with_credentials(mut self, user: &str) -> Proxies {
        let (user, password) = match user.split_once(':') {
            Some((user, password)) => (user, Some(password.to_string())),
            None => (user, None),
        };
        let proxies = [
            &mut self.explicit,
            &mut self.http,
            &mut self.https,
            &mut self.all,
        ];
        for proxy in proxies.into_iter().flatten() {
            proxy.credentials = Some(Credentials {
                user: user.to_string(),
                password: password.clone(),
            });
        }
        self
    }

    /// The proxy for `target`, if it goes through one.
    pub fn for_target(&self, target: &Target) -> Option<&Proxy> {
        self.route(target).ok().flatten()
    }

    /// The proxy for `target` (`Ok(None)`: none is set), or the one that would
    /// apply and why it is skipped (for -v).
    pub fn route(&self, target: &Target) -> Result<Option<&Proxy>, (&Proxy, String)> {
        let by_scheme = match target.scheme {
            Scheme::Http => self.http.as_ref(),
            Scheme::Https => self.https.as_ref(),
        };
        let Some(proxy) = self.explicit.as_ref().or(by_scheme).or(self.all.as_ref()) else {
            return Ok(None);
        };
        let flag = if self.exempt_from_flag {
            "--noproxy"
        } else {
            "no_proxy"
        };
        if let Some(item) = self.exempting(&target.host) {
            return Err((proxy, format!("{flag} lists '{item}'")));
        }
        // A health check on localhost keeps working where the environment sets a
        // proxy; one given with -x is the user's choice for this command.
        if proxy.from != "-x" && is_loopback(&target.host) {
            return Err((proxy, "the target is a loopback address".into()));
        }
        Ok(Some(proxy))
    }

    /// The --noproxy or no_proxy entry that exempts `host`: `*`, a domain and
    /// its subdomains (`example.com`, `.example.com`), an IP address, or an IP
    /// range in CIDR form.
    fn exempting(&self, host: &Host) -> Option<&str> {
        let found = self.exempt.iter().find(|item| match host {
            _ if *item == "*" => true,
            Host::Ip(ip) => ip_matches(item, *ip),
            Host::Name(name) => {
                let name = name.to_ascii_lowercase();
                let domain = item.trim_start_matches('.');
                name == domain || name.ends_with(&format!(".{domain}"))
            }
        });
        found.map(String::as_str)
    }
}

fn is_loopback(host: &Host) -> bool {
    match host {
        Host::Ip(ip) => ip.is_loopback(),
        Host::Name(name) => {
            let name = name.to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost")
        }
    }
}

/// `10.1.2.3`, `[::1]`, `10.0.0.0/8`, `fd00::/8`.
fn ip_matches(item: &str, ip: IpAddr) -> bool {
    let (address, bits) = match item.split_once('/') {
        Some((address, bits)) => (address, bits.parse::<u32>().ok()),
        None => (item, None),
    };
    let address = address.trim_start_matches('[').trim_end_matches(']');
    let Ok(network) = address.parse::<IpAddr>() else {
        return false;
    };
    match (network, ip) {
        (IpAddr::V4(n), IpAddr::V4(a)) => {
            prefix(u32::from(n).into(), u32::from(a).into(), 32, bits)
        }
        (IpAddr::V6(n), IpAddr::V6(a)) => prefix(u128::from(n), u128::from(a), 128, bits),
        _ => false,
    }
}

/// Whether `a` is in `network/bits` (all `width` bits when no prefix is given).
fn prefix(network: u128, a: u128, width: u32, bits: Option<u32>) -> bool {
    let bits = bits.unwrap_or(width).min(width);
    if bits == 0 {
        return true;
    }
    let shift = width - bits;
    (network >> shift) == (a >> shift)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(url: &str) -> Target {
        Target::parse(url.as_bytes(), None).unwrap()
    }

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        }
    }

    fn via(proxies: &Proxies, url: &str) -> Option<String> {
        proxies
            .for_target(&target(url))
            .map(|p| format!("{} {}", p.authority(), p.from))
    }

    #[test]
    fn proxies_parse_with_curls_default_port() {
        let p = Proxy::parse("proxy.test", "-x").unwrap();
        assert_eq!(
            (p.authority(), p.credentials),
            ("proxy.test:1080".into(), None)
        );
        let p = Proxy::parse("http://u:p%40ss@proxy.test:3128/", "http_proxy").unwrap();
        assert_eq!(p.authority(), "proxy.test:3128");
        assert_eq!(p.credentials.unwrap().password.as_deref(), Some("p@ss"));
        assert_eq!(
            Proxy::parse("[::1]:8080", "-x").unwrap().authority(),
            "[::1]:8080"
        );
        assert!(
            Proxy::parse("socks5://p.test", "-x")
                .unwrap_err()
                .contains("not socks5")
        );
        assert!(
            Proxy::parse("http://u:secret@p.test:0", "-x")
                .unwrap_err()
                .contains("u:***@")
        );
    }

    #[test]
    fn the_environment_is_read_as_curl_reads_it() {
        let vars = env(&[
            ("HTTP_PROXY", "upper.test:1"),
            ("https_proxy", "lower.test:2"),
            ("HTTPS_PROXY", "upper.test:3"),
            ("ALL_PROXY", "all.test:4"),
        ]);
        let proxies = Proxies::choose(None, None, vars).unwrap();
        // HTTP_PROXY is never read (httpoxy): http falls through to ALL_PROXY.
        assert_eq!(
            via(&proxies, "http://a.test/"),
            Some("all.test:4 ALL_PROXY".into())
        );
        assert_eq!(
            via(&proxies, "https://a.test/"),
            Some("lower.test:2 https_proxy".into())
        );
        let explicit =
            Proxies::choose(Some("x.test:5"), None, env(&[("http_proxy", "h.test:6")])).unwrap();
        assert_eq!(via(&explicit, "http://a.test/"), Some("x.test:5 -x".into()));
    }

    #[test]
    fn loopback_and_no_proxy_go_direct() {
        let vars = env(&[
            ("http_proxy", "p.test:1"),
            (
                "no_proxy",
                "example.com, .corp.test,10.0.0.0/8,192.168.1.7,fd00::/8",
            ),
            ("NO_PROXY", "ignored.test"),
        ]);
        let proxies = Proxies::choose(None, None, vars).unwrap();
        for direct in [
            "http://localhost:8080/",
            "http://api.localhost/",
            "http://127.0.0.5/",
            "http://[::1]:9/",
            "http://example.com/",
            "http://www.example.com/",
            "http://a.corp.test/",
            "http://10.20.30.40/",
            "http://192.168.1.7/",
            "http://[fd12::1]/",
        ] {
            assert_eq!(via(&proxies, direct), None, "{direct}");
        }
        for proxied in [
            "http://notexample.com/",
            "http://ignored.test/",
            "http://192.168.1.8/",
            "http://11.0.0.1/",
            "http://[fe80::1]/",
        ] {
            assert!(via(&proxies, proxied).is_some(), "{proxied}");
        }
        let everything = Proxies::choose(Some("p.test"), Some("*"), env(&[])).unwrap();
        assert_eq!(via(&everything, "http://a.test/"), None);
        let flag_wins = Proxies::choose(
            None,
            Some(""),
            env(&[("http_proxy", "p.test"), ("no_proxy", "*")]),
        )
        .unwrap();
        assert!(via(&flag_wins, "http://a.test/").is_some());
    }
}

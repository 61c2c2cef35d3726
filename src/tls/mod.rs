//! TLS as one more layer on the connected socket (rustls with ring): the roots to
//! trust, a verifier that keeps the presented chain and its verdict, the
//! handshake under the connect deadline, and the stream the transfer reads.

pub mod cert;
pub mod client_cert;
pub mod diagnose;
mod roots;

use std::io::{self, Read, Write};
use std::sync::{Arc, Mutex};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{Resumption, WebPkiServerVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, ClientConnection, DigitallySignedStruct, SignatureScheme};

use crate::stream::{Failure, Stream, Tcp};
pub use roots::{RootSource, Roots};

/// What the verifier saw: the chain the server presented and the verdict, kept
/// even when verification failed (or was skipped with -k), for -v and messages.
#[derive(Debug, Default, Clone)]
pub struct Seen {
    pub chain: Vec<CertificateDer<'static>>,
    pub verdict: Option<Result<(), rustls::Error>>,
}

#[derive(Debug)]
struct Recording {
    /// `None` when there is no root to verify against (-k with an empty store).
    inner: Option<Arc<WebPkiServerVerifier>>,
    insecure: bool,
    seen: Arc<Mutex<Seen>>,
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl ServerCertVerifier for Recording {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verdict = match &self.inner {
            Some(inner) => inner
                .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
                .map(|_| ()),
            None => Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::UnknownIssuer,
            )),
        };
        if let Ok(mut seen) = self.seen.lock() {
            seen.chain = std::iter::once(end_entity)
                .chain(intermediates)
                .map(|c| c.clone().into_owned())
                .collect();
            seen.verdict = Some(verdict.clone());
        }
        match verdict {
            Err(_) if self.insecure => Ok(ServerCertVerified::assertion()),
            other => other.map(|()| ServerCertVerified::assertion()),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algorithms = &self.provider.signature_verification_algorithms;
        rustls::crypto::verify_tls12_signature(message, cert, dss, algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algorithms = &self.provider.signature_verification_algorithms;
        rustls::crypto::verify_tls13_signature(message, cert, dss, algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// A client configuration for one connection, and where its verifier records.
/// The client's configuration, with what it records: the server's chain and
/// verdict, and whether it asked for a client certificate.
pub struct Recorded {
    pub seen: Arc<Mutex<Seen>>,
    pub asked: Arc<Mutex<client_cert::Asked>>,
}

pub fn client_config(
    roots: &Roots,
    insecure: bool,
    identity: Option<&client_cert::Identity>,
) -> (Arc<ClientConfig>, Recorded) {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let inner = (!roots.store.is_empty())
        .then(|| {
            WebPkiServerVerifier::builder_with_provider(roots.store.clone(), provider.clone())
                .build()
                .ok()
        })
        .flatten();
    let seen = Arc::new(Mutex::new(Seen::default()));
    let verifier = Recording {
        inner,
        insecure,
        seen: seen.clone(),
        provider: provider.clone(),
    };
    // The ring provider with TLS 1.2 and 1.3 always builds; the fallback keeps
    // this free of panics all the same.
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap_or_else(|_| ClientConfig::builder());
    let asked = Arc::new(Mutex::new(client_cert::Asked::default()));
    let presenter = client_cert::Presenter {
        identity: identity.cloned(),
        asked: asked.clone(),
    };
    let mut config = builder
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_client_cert_resolver(Arc::new(presenter));
    // As curl since 2026: some servers know only one of the two.
    config.alpn_protocols = vec![b"http/1.0".to_vec(), b"http/1.1".to_vec()];
    // One request per process: a session cache could never be used.
    config.resumption = Resumption::disabled();
    (Arc::new(config), Recorded { seen, asked })
}

/// TLS over the clock-bound TCP stream.
pub struct Tls<'c> {
    conn: ClientConnection,
    tcp: Tcp<'c>,
    /// A failure that came in the same read as plaintext not yet handed out:
    /// it is returned once that plaintext is (nothing received is dropped).
    failed: Option<io::Error>,
    /// Ciphertext read from the socket in blocks larger than the 4 KiB rustls
    /// asks for at a time, and handed to it as it takes them: a quarter of the
    /// read calls over a large body.
    inbound: Box<[u8]>,
    /// The part of `inbound` rustls has not taken yet.
    pending: std::ops::Range<usize>,
    /// Whether the server asked for a client certificate: a TLS 1.3 server
    /// refuses one after the handshake, in the first read.
    asked: Arc<Mutex<client_cert::Asked>>,
}

/// Two full TLS records (16 KiB of plaintext each, plus overhead).
const INBOUND: usize = 32 * 1024;

impl<'c> Tls<'c> {
    pub fn new(
        conn: ClientConnection,
        tcp: Tcp<'c>,
        asked: Arc<Mutex<client_cert::Asked>>,
    ) -> Tls<'c> {
        Tls {
            conn,
            tcp,
            failed: None,
            inbound: vec![0; INBOUND].into_boxed_slice(),
            pending: 0..0,
            asked,
        }
    }

    /// A rustls error as an I/O error; an alert about the client certificate
    /// the server asked for, in words that say so.
    fn failure(&self, error: rustls::Error) -> io::Error {
        if let rustls::Error::AlertReceived(alert) = &error {
            let asked = self.asked.lock().map(|a| a.clone()).unwrap_or_default();
            if let Some(text) = asked.refusal(*alert) {
                return io::Error::other(text);
            }
        }
        io::Error::new(io::ErrorKind::InvalidData, error)
    }

    /// Drives the handshake to its end, every read and write within the connect
    /// deadline (the handshake is part of connecting, as in curl).
    pub fn handshake(&mut self) -> Result<(), Failure> {
        self.tcp.within_connect_deadline(true);
        let mut result = Ok(());
        while self.conn.is_handshaking() {
            if let Err(e) = self.conn.complete_io(&mut self.tcp) {
                result = Err(self.alert_behind(e));
                break;
            }
        }
        self.tcp.within_connect_deadline(false);
        result
    }

    /// A write refused because the server has closed may have an alert behind
    /// it, sent before the close (a TLS 1.2 server that wants a client
    /// certificate): read it, so the message names the alert, not the pipe.
    fn alert_behind(&mut self, error: io::Error) -> Failure {
        let closed = [io::ErrorKind::BrokenPipe, io::ErrorKind::ConnectionReset];
        if closed.contains(&error.kind()) {
            while matches!(self.conn.read_tls(&mut self.tcp), Ok(n) if n > 0) {}
            if let Err(tls) = self.conn.process_new_packets() {
                return Failure::Other(self.failure(tls));
            }
        }
        Failure::from_io(error)
    }

    pub fn connection(&self) -> &ClientConnection {
        &self.conn
    }

    /// The first bytes the server sent, to show what answered when it was not TLS.
    pub fn first_bytes(&self) -> &[u8] {
        self.tcp.first_bytes()
    }
}

impl Read for Tls<'_> {
    /// Plaintext; `Ok(0)` only after the server's close_notify. A close without
    /// it is `UnexpectedEof`: the caller decides whether that truncated anything.
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let plaintext = self.plaintext()?;
        let n = plaintext.len().min(buf.len());
        buf[..n].copy_from_slice(&plaintext[..n]);
        io::BufRead::consume(&mut self.conn.reader(), n);
        Ok(n)
    }
}

impl Tls<'_> {
    /// Decrypted bytes in rustls's buffer, reading and decrypting more as needed;
    /// empty after the server's close_notify, `UnexpectedEof` after a close
    /// without it.
    fn plaintext(&mut self) -> io::Result<&[u8]> {
        loop {
            // Whether there is something to hand out, asked apart from handing it
            // out: the borrow of the chunk must not span the reads below.
            let ready = match self.conn.reader().into_first_chunk() {
                Ok(chunk) => Ok(chunk.is_empty() && self.failed.is_some()),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => Err(None),
                Err(e) => Err(Some(e)),
            };
            match ready {
                // Plaintext, or the clean end: hand it out.
                Ok(false) => return self.conn.reader().into_first_chunk(),
                // Nothing left before a failure that came with it.
                Ok(true) => {
                    return Err(self
                        .failed
                        .take()
                        .unwrap_or_else(|| io::ErrorKind::Other.into()));
                }
                Err(Some(e)) => return Err(self.failed.take().unwrap_or(e)),
                Err(None) => {}
            }
            if let Some(failed) = self.failed.take() {
                return Err(failed);
            }
            if self.read_tls()? == 0 {
                // The peer's FIN: rustls now answers with EOF or its error.
                let _ = self.conn.process_new_packets();
                return match self.conn.reader().into_first_chunk() {
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        Err(io::ErrorKind::UnexpectedEof.into())
                    }
                    result => result,
                };
            }
            if let Err(e) = self.conn.process_new_packets() {
                // Plaintext decrypted before the bad record is the user's: the
                // error waits until it has been read.
                self.failed = Some(self.failure(e));
            }
        }
    }

    /// Gives rustls more ciphertext, reading the socket when nothing is pending;
    /// 0 at the peer's close.
    fn read_tls(&mut self) -> io::Result<usize> {
        if self.pending.is_empty() {
            let n = self.tcp.read(&mut self.inbound)?;
            self.pending = 0..n;
            if n == 0 {
                return Ok(0);
            }
        }
        let mut unread = &self.inbound[self.pending.clone()];
        let n = self.conn.read_tls(&mut unread)?;
        self.pending.start += n;
        Ok(n)
    }
}

impl Write for Tls<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let n = self.conn.writer().write(bytes)?;
        self.flush()?;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        while self.conn.wants_write() {
            self.conn.write_tls(&mut self.tcp)?;
        }
        Ok(())
    }
}

impl Stream for Tls<'_> {
    /// Only plaintext, a close or an error is an answer: the records the socket
    /// holds are processed to see (a TLS 1.3 server's session tickets are not).
    fn readable_now(&mut self) -> bool {
        loop {
            match self.conn.reader().into_first_chunk() {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                _ => return true,
            }
            if self.failed.is_some() {
                return true;
            }
            if self.pending.is_empty() && !self.tcp.socket_readable() {
                return false;
            }
            // The socket is readable (or bytes are pending): this does not block.
            match self.read_tls() {
                Ok(0) | Err(_) => return true,
                Ok(_) => {
                    if let Err(e) = self.conn.process_new_packets() {
                        self.failed = Some(self.failure(e));
                    }
                }
            }
        }
    }

    fn buffered(&mut self) -> Option<io::Result<&[u8]>> {
        Some(self.plaintext())
    }

    fn consume(&mut self, count: usize) {
        io::BufRead::consume(&mut self.conn.reader(), count);
    }

    /// Our close_notify after a complete response; the server may be gone already.
    fn finish(&mut self) {
        self.conn.send_close_notify();
        let _ = self.flush();
    }
}

/// The roots, loaded on a thread started before resolving, so that parsing the
/// system store (milliseconds: bench/README.md) overlaps the lookup and the connect.
pub struct RootsLoader {
    thread: Option<std::thread::JoinHandle<Result<Roots, String>>>,
    loaded: Option<Result<Roots, String>>,
}

impl RootsLoader {
    /// Roots a flag or a variable names are read at once, so that a path that
    /// cannot be used fails before anything is sent (exit 77); the system store
    /// loads on a thread.
    pub fn start(source: RootSource) -> Result<RootsLoader, crate::error::Error> {
        if source != RootSource::System {
            let loaded = Roots::load(&source).map_err(crate::error::Error::TlsCaFile)?;
            return Ok(RootsLoader {
                thread: None,
                loaded: Some(Ok(loaded)),
            });
        }
        let thread = std::thread::Builder::new()
            .name("roots".into())
            .spawn(move || Roots::load(&source))
            .map_err(|e| {
                let e =
                    anyhow::Error::new(e).context("starting the thread that loads the TLS roots");
                crate::error::Error::Local(e)
            })?;
        Ok(RootsLoader {
            thread: Some(thread),
            loaded: None,
        })
    }

    /// The roots, once loaded; the error (exit 77) names the path and why.
    pub fn get(&mut self) -> Result<&Roots, crate::error::Error> {
        if let Some(thread) = self.thread.take() {
            let loaded = thread
                .join()
                .unwrap_or_else(|_| Err("loading the roots failed".into()));
            self.loaded = Some(loaded);
        }
        match &self.loaded {
            Some(Ok(roots)) => Ok(roots),
            Some(Err(why)) => Err(crate::error::Error::TlsCaFile(why.clone())),
            None => Err(crate::error::Error::TlsCaFile(
                "no roots were loaded".into(),
            )),
        }
    }
}

/// What `secure` needs besides the socket.
pub struct Handshake<'a> {
    pub host: &'a crate::target::Host,
    pub addr: std::net::SocketAddr,
    pub roots: &'a Roots,
    pub insecure: bool,
    /// -s: no warning for an unverified certificate with -k.
    pub silent: bool,
    /// --cert: the certificate to present when the server asks for one.
    pub identity: Option<&'a client_cert::Identity>,
}

/// TLS on the connected socket: the handshake, within the connect deadline, and
/// its account in -v, -w and, with -k, a warning.
pub fn secure<'c>(
    tcp: Tcp<'c>,
    how: &Handshake,
    clock: &crate::clock::Clock,
    report: &mut crate::report::Report,
) -> Result<Tls<'c>, crate::error::Error> {
    use crate::error::Error;
    use crate::target::Host;
    let (config, recorded) = client_config(how.roots, how.insecure, how.identity);
    let host = match how.host {
        Host::Name(name) => name.clone(),
        Host::Ip(ip) => ip.to_string(),
    };
    let name = match how.host {
        Host::Name(name) => ServerName::try_from(name.clone()),
        Host::Ip(ip) => Ok(ServerName::from(*ip)),
    };
    let conn = name
        .map_err(anyhow::Error::new)
        .and_then(|name| ClientConnection::new(config, name).map_err(anyhow::Error::new))
        .map_err(|e| Error::Local(e.context("starting a TLS connection")))?;
    report.step(format_args!(
        "TLS handshake for {host}; roots: {}",
        how.roots.described
    ));
    report.handshaking(how.addr);
    let mut tls = Tls::new(conn, tcp, recorded.asked.clone());
    let result = tls.handshake();
    let seen = recorded.seen.lock().map(|s| s.clone()).unwrap_or_default();
    let asked = recorded.asked.lock().map(|a| a.clone()).unwrap_or_default();
    let checked = diagnose::Checked {
        seen: &seen,
        host: &host,
        roots: how.roots,
        asked: &asked,
    };
    let lines = diagnose::certificate_lines(&checked);
    for line in lines.into_iter().chain(asked.lines(how.identity)) {
        report.step(format_args!("{line}"));
    }
    if let Err(failure) = result {
        let first = tls.first_bytes();
        let elapsed = clock.elapsed();
        return Err(diagnose::handshake_error(
            failure, first, &checked, how.addr, elapsed,
        ));
    }
    report.tls_done(diagnose::verify_code(&seen));
    report.step(format_args!("{}", negotiated(tls.connection())));
    if let (true, false, Some(reason)) = (how.insecure, how.silent, diagnose::unverified(&checked))
    {
        let line = format!(
            "fetch: warning: the certificate of {} was not verified (-k): {reason}\n",
            how.addr
        );
        let _ = io::stderr().write_all(line.as_bytes());
    }
    Ok(tls)
}

/// `TLS 1.3 with TLS13_AES_128_GCM_SHA256, ALPN http/1.1`, for -v.
fn negotiated(conn: &ClientConnection) -> String {
    format!(
        "TLS {} with {}, ALPN {}",
        conn.protocol_version().map_or("?".into(), version_name),
        conn.negotiated_cipher_suite()
            .map_or("?".into(), |c| format!("{:?}", c.suite())),
        conn.alpn_protocol()
            .map_or("none".into(), |p| String::from_utf8_lossy(p).into_owned())
    )
}

/// `1.3` for TLS 1.3, as a person names it.
fn version_name(version: rustls::ProtocolVersion) -> String {
    match version {
        rustls::ProtocolVersion::TLSv1_2 => "1.2".into(),
        rustls::ProtocolVersion::TLSv1_3 => "1.3".into(),
        other => u16::from(other).to_string(),
    }
}

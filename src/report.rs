//! What happened during a fetch, step by step: printed as a trace with -v, and kept
//! as figures for -w.

use std::fmt;
use std::io::{self, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct Report {
    verbose: bool,
    start: Instant,
    /// Times since the start, each cumulative (curl's `time_*` semantics).
    pub namelookup: Option<Duration>,
    pub connect: Option<Duration>,
    pub starttransfer: Option<Duration>,
    pub remote: Option<SocketAddr>,
    pub num_connects: u32,
    pub num_retries: u32,
    pub size_request: u64,
    pub size_header: u64,
    pub size_download: u64,
    pub http_code: Option<u16>,
}

impl Report {
    pub fn new(verbose: bool) -> Report {
        Report {
            verbose,
            start: Instant::now(),
            namelookup: None,
            connect: None,
            starttransfer: None,
            remote: None,
            num_connects: 0,
            num_retries: 0,
            size_request: 0,
            size_header: 0,
            size_download: 0,
            http_code: None,
        }
    }

    /// Another attempt: its figures replace the last one's; times still count
    /// from the start, and the counters go on.
    pub fn new_attempt(&mut self) {
        self.namelookup = None;
        self.connect = None;
        self.starttransfer = None;
        self.remote = None;
        self.size_request = 0;
        self.size_header = 0;
        self.size_download = 0;
        self.http_code = None;
    }

    pub fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }

    /// A `*` line of the trace: one step and what came of it.
    pub fn step(&self, what: fmt::Arguments) {
        if self.verbose {
            self.line('*', &what.to_string());
        }
    }

    /// `>` lines for a request head, `<` lines for a response head, one per line.
    pub fn head(&self, marker: char, head: &[u8]) {
        if !self.verbose {
            return;
        }
        for line in head.split(|&b| b == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if !line.is_empty() {
                self.line(marker, &crate::escape::shown(line));
            }
        }
    }

    fn line(&self, marker: char, text: &str) {
        let ms = self.elapsed().as_secs_f64() * 1000.0;
        // A trace that cannot be written is not worth failing the fetch for.
        let _ = writeln!(io::stderr().lock(), "{marker} {ms:>9.3}ms {text}");
    }
}

//! The integration tests, one binary: each module is one area of fetch, run as
//! a user runs it (the binary, loopback servers the tests start); `support` is
//! the kit they share. One binary links once, where a file each linked the
//! whole dependency tree again.

mod support;

mod addresses;
mod client_certs;
mod compressed;
mod cookies;
mod credentials;
mod curl_flags;
mod diagnostics;
mod failures;
mod generate;
mod hostile;
mod https;
mod interop;
mod output_file;
mod proxies;
mod redirects;
mod requests;
mod response_flags;
mod responses;
mod resume;
mod retry;
mod signals;
mod uploads;
mod usage;
mod versions;

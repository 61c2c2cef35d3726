//! Real servers: nginx (Debian's package; .ci/run installs it) and Python's
//! http.server, each on a loopback port over a generated directory. fetch's bytes
//! must be the files' bytes, and its exit codes the expected ones.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::support::*;
use predicates::str::contains;

/// A server process, stopped when dropped.
struct ServerProcess {
    child: Child,
    target: String,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("local address").port()
}

fn start(mut command: Command, port: u16) -> ServerProcess {
    let child = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("start {command:?}: {e} (.ci/deps installs nginx)"));
    let mut running = ServerProcess {
        child,
        target: format!("127.0.0.1:{port}"),
    };
    let start = Instant::now();
    // A connect to a port nobody listens on yet can connect the probe to itself
    // (TCP simultaneous open, when the kernel picks that very port for it):
    // only a peer other than the probe is the server.
    let listening = |target: &str| {
        TcpStream::connect(target)
            .is_ok_and(|probe| probe.local_addr().ok() != probe.peer_addr().ok())
    };
    while !listening(&running.target) {
        if let Ok(Some(status)) = running.child.try_wait() {
            panic!("{command:?} exited: {status}");
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{command:?} never listened"
        );
        thread::sleep(Duration::from_millis(20));
    }
    running
}

/// The files both servers serve.
struct Site {
    _scratch: Scratch,
    root: PathBuf,
    random: Vec<u8>,
}

fn site(name: &str) -> Site {
    let scratch = Scratch::new(name);
    let root = scratch.path("www");
    std::fs::create_dir_all(root.join("dir")).unwrap();
    let random: Vec<u8> = (0..1u32 << 20)
        .map(|i| (i.wrapping_mul(2654435761).rotate_left(7) >> 5) as u8)
        .collect();
    std::fs::write(root.join("empty"), b"").unwrap();
    std::fs::write(root.join("one"), b"1").unwrap();
    std::fs::write(root.join("random.bin"), &random).unwrap();
    std::fs::write(root.join("with space.txt"), b"spaced out\n").unwrap();
    std::fs::write(root.join("page.html"), page()).unwrap();
    std::fs::write(root.join("dir").join("listed-a.txt"), b"a").unwrap();
    std::fs::write(root.join("dir").join("listed-b.txt"), b"b").unwrap();
    Site {
        _scratch: scratch,
        root,
        random,
    }
}

/// An HTML page that compresses well, as nginx's gzip (text/html) takes it.
fn page() -> Vec<u8> {
    let rows: String = (0..2000).map(|i| format!("<p>row {i}</p>\n")).collect();
    format!("<html><body>\n{rows}</body></html>\n").into_bytes()
}

/// Debian's nginx is in /usr/sbin, which is not on every PATH; elsewhere
/// (Homebrew) it is on the PATH.
fn nginx_binary() -> &'static str {
    if std::path::Path::new("/usr/sbin/nginx").exists() {
        "/usr/sbin/nginx"
    } else {
        "nginx"
    }
}

fn nginx(site: &Site) -> ServerProcess {
    let port = free_port();
    let prefix = site.root.parent().unwrap().join("nginx");
    std::fs::create_dir_all(prefix.join("tmp")).unwrap();
    let p = prefix.display();
    let conf = format!(
        "daemon off;\nmaster_process off;\npid {p}/nginx.pid;\nerror_log {p}/error.log;\n\
         events {{ worker_connections 64; }}\n\
         http {{\n  access_log off;\n  client_body_temp_path {p}/tmp;\n  proxy_temp_path {p}/tmp;\n\
         fastcgi_temp_path {p}/tmp;\n  uwsgi_temp_path {p}/tmp;\n  scgi_temp_path {p}/tmp;\n\
         gzip on;\n\
         server {{ listen 127.0.0.1:{port}; root {}; autoindex on; }}\n}}\n",
        site.root.display()
    );
    let conf_path = prefix.join("nginx.conf");
    std::fs::write(&conf_path, conf).unwrap();
    let mut command = Command::new(nginx_binary());
    command
        .arg("-p")
        .arg(&prefix)
        .arg("-e")
        .arg(prefix.join("error.log"))
        .arg("-c")
        .arg(&conf_path);
    start(command, port)
}

fn python_http_server(root: &Path) -> ServerProcess {
    let port = free_port();
    let mut command = Command::new("python3");
    command
        .args([
            "-m",
            "http.server",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
        ])
        .arg("--directory")
        .arg(root);
    start(command, port)
}

/// The same checks against either server, in HTTP/1.0 and in HTTP/1.1.
fn check_server(server: &ServerProcess, site: &Site) {
    for version in ["--http1.0", "--http1.1"] {
        check_server_in(server, site, version);
    }
}

fn check_server_in(server: &ServerProcess, site: &Site, version: &str) {
    let target = server.target.as_str();
    let fetch = || {
        let mut command = fetch();
        command.arg(version);
        command
    };
    let got = |path: &str| {
        let assert = fetch().args([target, path]).assert().code(0).stderr("");
        assert.get_output().stdout.clone()
    };
    assert_eq!(got("/empty"), b"");
    assert_eq!(got("/one"), b"1");
    assert_same_bytes(&got("/random.bin"), &site.random);
    assert_eq!(got("/with%20space.txt"), b"spaced out\n");
    let listing = String::from_utf8(got("/dir/")).unwrap();
    assert!(
        listing.contains("listed-a.txt") && listing.contains("listed-b.txt"),
        "{listing}"
    );

    // A 404 is a complete response (0); with --fail it is 22, without the body.
    let page = got("/missing");
    assert!(!page.is_empty());
    fails(&[version, "-f", target, "/missing"], 22, "404");
    fetch()
        .args(["-w", "%{http_code} %{size_download}\n", "-o", "/dev/null"])
        .args([target, "/random.bin"])
        .assert()
        .code(0)
        .stdout("200 1048576\n");

    // HEAD: the head only, at once, announcing the file's length.
    let assert = fetch().args(["-I", target, "/random.bin"]).assert().code(0);
    let head = String::from_utf8_lossy(&assert.get_output().stdout).to_ascii_lowercase();
    assert!(head.starts_with("http/1."), "{head}");
    assert!(head.contains("content-length: 1048576\r\n"), "{head}");
    assert!(head.ends_with("\r\n\r\n"), "{head}");

    // -o: the file is the file.
    let out = site.root.parent().unwrap().join("copy.bin");
    fetch()
        .args(["-o", out.to_str().unwrap(), target, "/random.bin"])
        .assert()
        .code(0);
    assert_same_bytes(&std::fs::read(&out).unwrap(), &site.random);
}

#[test]
fn nginx_serves_exactly_the_files() {
    let site = site("interop-nginx");
    let server = nginx(&site);
    check_server(&server, &site);
    // nginx answers HTTP/1.0 with Connection: close; a request line it rejects is a 400.
    fetch()
        .args(["--raw", &server.target])
        .write_stdin("BREW /pot HTCPCP/1.0\r\n\r\n")
        .assert()
        .code(0)
        .stdout(contains("400 Bad Request"));
}

#[test]
fn nginx_compresses_for_http11_only_and_v_says_so() {
    let site = site("interop-gzip");
    let server = nginx(&site);
    let target = server.target.as_str();
    let page = page();
    // HTTP/1.0: nginx sends the page as it is (gzip_http_version 1.1).
    let assert = fetch()
        .args([
            "-v",
            "--compressed",
            "-w",
            "%{size_download}",
            target,
            "/page.html",
        ])
        .assert()
        .code(0)
        .stderr(contains("nginx compresses only for HTTP/1.1 by default"));
    let stdout = assert.get_output().stdout.clone();
    assert_eq!(
        stdout,
        [page.clone(), page.len().to_string().into_bytes()].concat()
    );
    // HTTP/1.1: gzip on the wire, the page itself on stdout.
    let assert = fetch()
        .args([
            "--http1.1",
            "--compressed",
            "-w",
            "%{size_download}",
            target,
            "/page.html",
        ])
        .assert()
        .code(0)
        .stderr("");
    let stdout = assert.get_output().stdout.clone();
    let (body, size) = stdout.split_at(page.len());
    assert_eq!(body, &page[..]);
    let size: usize = String::from_utf8_lossy(size).parse().unwrap();
    assert!(size < page.len() / 4, "{size} bytes on the wire");
}

#[test]
fn python_http_server_serves_exactly_the_files() {
    let site = site("interop-python");
    let server = python_http_server(&site.root);
    check_server(&server, &site);
}

//! For the binary `.ci/dist` builds (the one the benchmarks measure): links the
//! code a fetch runs into one place, with the linker script link/hot-text.ld
//! (made by link/generate.sh). The kernel maps a binary's code 64 KiB or a whole
//! page-cache folio at a time, so code scattered through 3 MB is nearly all
//! resident; gathered, a plain fetch's peak RSS is about a quarter smaller (see
//! bench/README.md). Other builds (`cargo run`, `cargo install`, the tests) link
//! as usual: the script names symbols, and a layout made for one build is no
//! use to another.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=link/hot-text.ld");
    println!("cargo:rerun-if-env-changed=FETCH_HOT_TEXT");
    if std::env::var_os("FETCH_HOT_TEXT").is_none() {
        return;
    }
    // GNU ld and lld take a script of section patterns that only INSERTs into
    // their default layout; the script was made on x86_64 Linux.
    let os = std::env::var("CARGO_CFG_TARGET_OS");
    let arch = std::env::var("CARGO_CFG_TARGET_ARCH");
    if os.as_deref() != Ok("linux") || arch.as_deref() != Ok("x86_64") {
        return;
    }
    let Some(dir) = std::env::var_os("CARGO_MANIFEST_DIR") else {
        return;
    };
    let script = std::path::Path::new(&dir).join("link/hot-text.ld");
    // Two arguments: `-Wl,` would split a path that holds a comma.
    println!("cargo:rustc-link-arg-bins=-T");
    println!("cargo:rustc-link-arg-bins={}", script.display());
}

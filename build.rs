//! Links the code a fetch runs into one place, before .init and .iplt, with the
//! linker script link/hot-text.ld (made by link/generate.sh). The kernel maps a
//! binary's code 64 KiB or a whole page-cache folio at a time, so code scattered
//! through 3 MB was nearly all resident; gathered, a plain fetch's peak RSS fell
//! from 2.8 to 1.7 MiB. See README, Performance.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=link/hot-text.ld");
    // GNU ld and lld both take a script of section patterns that only INSERTs into
    // their default layout; other platforms' linkers have their own order files.
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("linux") {
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

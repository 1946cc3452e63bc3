//! Gives libomni.so its soname in a plain `cargo build`, so that programs record the ABI
//! version they were linked against, not the file name. Under cargo-c (`cargo cbuild`, which
//! sets `CARGO_C_CARGO` for the whole build) cargo-c owns the soname
//! (`version_suffix_components = 1` in Cargo.toml gives the same `libomni.so.<major>`), so this
//! script adds nothing there.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=CARGO_C_CARGO");
    if std::env::var_os("CARGO_C_CARGO").is_some() {
        return;
    }
    // `libomni.so.0` while the version is 0.x; from 1.0 on the major version is the ABI version.
    let major = std::env::var("CARGO_PKG_VERSION_MAJOR").unwrap_or_else(|_| "0".to_owned());
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libomni.so.{major}");
    }
}

//! Gives libomni.so its soname, so that programs record the ABI version they were linked
//! against, not the file name.

fn main() {
    // `libomni.so.0` while the version is 0.x (the issue fixes it there until 1.0); from 1.0 on
    // the major version is the ABI version.
    let major = std::env::var("CARGO_PKG_VERSION_MAJOR").unwrap_or_else(|_| "0".to_owned());
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libomni.so.{major}");
    }
    println!("cargo:rerun-if-changed=build.rs");
}

//! The committed headers are what cbindgen generates from this crate now, so that
//! `cargo test` catches ABI drift as well as `scripts/check-ffi.sh`; their version is the
//! crate's, and the bindings that repeat it agree.

#[allow(dead_code)] // its `main` is the example's entry point, unused here
#[path = "../examples/gen_header.rs"]
mod gen_header;

#[test]
fn committed_headers_match_a_fresh_cbindgen_run() {
    let dir = std::env::temp_dir().join(format!("omni-ffi-header-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    gen_header::generate(&dir).unwrap();
    let include = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../include");
    for name in ["omni.h", "omni_php.h"] {
        let fresh = std::fs::read_to_string(dir.join(name)).unwrap();
        let committed = std::fs::read_to_string(include.join(name)).unwrap();
        assert!(
            fresh == committed,
            "include/{name} is stale: run `cargo run -p omni-ffi --example gen_header -- include`"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn version_macros_match_the_crate_version() {
    let header = include_str!("../../../include/omni.h");
    let version = env!("CARGO_PKG_VERSION");
    assert!(header.contains(&format!("#define OMNI_VERSION \"{version}\"")));
    let version_ptr = omni::omni_version();
    // SAFETY: omni_version returns a static NUL-terminated string.
    let library = unsafe { std::ffi::CStr::from_ptr(version_ptr) };
    assert_eq!(library.to_str().unwrap(), version);
}

/// The bindings that cannot read omni.h's version macros repeat them; a release that changes
/// the minor version must change them too, or they would accept a library older than the
/// symbols and statuses they use.
#[test]
fn bindings_repeat_the_header_version() {
    let major = env!("CARGO_PKG_VERSION_MAJOR");
    let minor = env!("CARGO_PKG_VERSION_MINOR");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let expected = [(
        "bindings/php/src/Omni.php",
        format!("HEADER_VERSION_MAJOR = {major};"),
        format!("HEADER_VERSION_MINOR = {minor};"),
    )];
    for (path, major_line, minor_line) in expected {
        let text = std::fs::read_to_string(root.join(path)).unwrap();
        assert!(
            text.contains(&major_line) && text.contains(&minor_line),
            "{path} does not say {major_line} {minor_line}"
        );
    }
}

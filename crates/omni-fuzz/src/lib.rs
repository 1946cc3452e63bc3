//! The bodies of omni's fuzz targets, one function per target.
//!
//! cargo-fuzz (`fuzz/`, a workspace of its own) calls these from libFuzzer, and
//! `tests/replay.rs` calls them on every file of the committed corpora, so CI replays what the
//! fuzzer found on the stable toolchain without a fuzzer. Each function panics only when an
//! oracle fails: that is a bug in omni, never in the input.
//!
//! ```
//! // Any bytes are a valid input; none may make a target panic.
//! omni_fuzz::canonical_path(b"https://h/api/v1/partner/x?q=1");
//! omni_fuzz::header_values(b"1709024577000");
//! omni_fuzz::json_restringify(br#"{"b":1,"a":[1e21,-0]}"#);
//! ```
#![deny(unsafe_op_in_unsafe_fn)]

mod ffi;
mod input;
mod json;
mod sign;

pub use ffi::libomni_calls;
pub use json::json_restringify;
pub use sign::{canonical_path, header_values, verify_request};

/// A target's body: any bytes in, a panic only when an oracle fails.
pub type Target = fn(&[u8]);

/// Every target by the name of its cargo-fuzz binary and corpus directory.
pub const TARGETS: &[(&str, Target)] = &[
    ("canonical_path", canonical_path),
    ("header_values", header_values),
    ("verify_request", verify_request),
    ("json_restringify", json_restringify),
    ("libomni_calls", libomni_calls),
];

#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]
#![doc = include_str!("../README.md")]

extern crate alloc;

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

mod error;
mod number;
mod parse;
mod ser;
mod writer;

pub use error::Error;

/// The deepest nesting of arrays and objects accepted. Node's own limit depends on its stack
/// (around ten thousand levels); request bodies never come near this one.
pub const MAX_DEPTH: usize = 512;

/// What to do with a value a JavaScript server would not see as sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Refuse it: [`Error::UnsafeJsonValue`].
    Strict,
    /// Write what JavaScript would write and report a [`Warning`].
    #[default]
    Lenient,
}

/// JSON text in JSON.stringify form, and what changed on the way (always empty in
/// [`Mode::Strict`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stringified {
    /// The text: send exactly these bytes, and hash them.
    pub json: String,
    /// Values that a JavaScript server does not see as they were given, in output order of
    /// discovery.
    pub warnings: Vec<Warning>,
}

/// A value written otherwise than it was given, because JavaScript cannot hold it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Warning {
    /// What happened.
    pub kind: WarningKind,
    /// Where the value is, as an RFC 6901 JSON Pointer into the output (`""` is the whole
    /// document, `/items/0/id` a member of an element).
    pub pointer: String,
    /// For [`restringify()`], the byte offset of the number in the input text.
    pub offset: Option<usize>,
}

/// The kinds of change that are reported; see the [crate documentation](crate).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum WarningKind {
    /// An integer beyond 2^53 written by JavaScript as digits that denote another integer.
    InexactInteger,
    /// NaN, an infinity, or a number too large for a double, written `null`.
    NonFinite,
    /// A non-zero number too small for a double, written `0`.
    Underflow,
}

impl WarningKind {
    /// A stable snake_case name, for messages across the FFI and logs.
    pub fn name(self) -> &'static str {
        match self {
            WarningKind::InexactInteger => "inexact_integer",
            WarningKind::NonFinite => "non_finite",
            WarningKind::Underflow => "underflow",
        }
    }
}

impl fmt::Display for WarningKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WarningKind::InexactInteger => {
                "an integer beyond 2^53 that JavaScript writes as another integer"
            }
            WarningKind::NonFinite => {
                "a number JavaScript reads as NaN or infinity (written as null)"
            }
            WarningKind::Underflow => "a non-zero number JavaScript reads as 0 (written as 0)",
        })
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pointer = if self.pointer.is_empty() {
            "the top-level value"
        } else {
            &self.pointer
        };
        write!(f, "{} at {pointer}", self.kind)?;
        if let Some(offset) = self.offset {
            write!(f, " (input byte {offset})")?;
        }
        Ok(())
    }
}

/// Writes `value` in JSON.stringify form.
///
/// Errors: [`Error::UnsafeJsonValue`] in strict mode, [`Error::JsonTooDeep`],
/// [`Error::JsonSerialize`] for map keys JSON cannot have and errors of `value`'s own
/// `Serialize` implementation.
pub fn stringify<T: serde::Serialize + ?Sized>(
    value: &T,
    mode: Mode,
) -> Result<Stringified, Error> {
    let mut w = writer::Writer::new(mode, 128);
    value.serialize(&mut w)?;
    let (json, warnings) = w.finish();
    Ok(Stringified { json, warnings })
}

/// Rewrites JSON text as Node's `JSON.stringify(JSON.parse(text))` writes it, byte for byte.
///
/// Errors: [`Error::InvalidJson`] where `JSON.parse` would throw, [`Error::JsonTooDeep`],
/// [`Error::UnsafeJsonValue`] in strict mode.
pub fn restringify(text: &str, mode: Mode) -> Result<Stringified, Error> {
    let mut w = writer::Writer::new(mode, text.len());
    parse::restringify_into(text, &mut w)?;
    let (json, warnings) = w.finish();
    Ok(Stringified { json, warnings })
}

/// [`restringify()`] for bytes that should be UTF-8 (a body as received, a file): text that is not
/// UTF-8 is [`Error::InvalidJson`] at the first bad byte.
pub fn restringify_bytes(bytes: &[u8], mode: Mode) -> Result<Stringified, Error> {
    let text = core::str::from_utf8(bytes).map_err(|e| Error::InvalidJson {
        offset: e.valid_up_to(),
        reason: "not UTF-8",
    })?;
    restringify(text, mode)
}

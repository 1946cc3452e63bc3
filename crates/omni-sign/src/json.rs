//! JSON in `JSON.stringify` form (`json-stringify-form`).
//!
//! A JavaScript server may hash the body bytes it received or `JSON.stringify(JSON.parse(body))`.
//! Both give the same hash only when the body already is in JSON.stringify form, so every body
//! that is signed is written through this module:
//!
//! - [`stringify()`] writes any `impl Serialize` (serde_json's data model: `Option::None` is
//!   `null`, enums are externally tagged, integer map keys become strings);
//! - [`restringify()`] rewrites JSON text to the exact bytes of Node's
//!   `JSON.stringify(JSON.parse(text))`.
//!
//! The form: compact; strings escaped as JavaScript does (`\"` `\\` `\b` `\f` `\n` `\r` `\t`,
//! other controls as `\u001f`, lone surrogates as `\ud800`, everything else raw: `/`, DEL,
//! U+2028/2029, non-ASCII); numbers as ECMAScript's `Number::toString` (`1`, not `1.0`;
//! `1e+21`; `-0` as `0`); object keys in JavaScript's order: array-index keys (`"0"` to
//! `"4294967294"`, canonical decimals) first, ascending, then the others in insertion order; a
//! repeated key keeps its first place and its last value.
//!
//! # Values a JavaScript server would not see as sent
//!
//! The output is always what JavaScript would write (so the body hashes the same either way),
//! but three kinds of number change on the way, and each is reported as a [`Warning`] in
//! [`Mode::Lenient`] and is an [`Error::UnsafeJsonValue`] in [`Mode::Strict`]:
//!
//! - [`WarningKind::InexactInteger`]: an integer (a Rust integer type, or number text with
//!   neither fraction nor exponent) beyond 2^53 whose JavaScript form denotes another integer.
//!   JavaScript holds the nearest double and writes its shortest digits: `9007199254740993`
//!   becomes `9007199254740992`, and even `2^60`, which a double holds exactly, is written
//!   `1152921504606847000`, which any reader taking integers as integers reads as another
//!   value. Integers whose form keeps their value (`9007199254740994`, `1e+21` for 10^21) are
//!   not reported.
//! - [`WarningKind::NonFinite`]: NaN or an infinity (from `f64`), or number text too large for a
//!   double (`1e400`): written `null`, as `JSON.stringify` does.
//! - [`WarningKind::Underflow`]: number text that is not zero but too small for a double
//!   (`1e-400`): written `0`.
//!
//! Not reported: the usual rounding of decimal fractions and numbers written with a fraction or
//! exponent (`0.1`, `1.00000000000000001`, `1e23`), and other spellings of the same double
//! (`1.0`, `1E2`, `-0`).
//!
//! # Limits
//!
//! Arrays and objects nest at most [`MAX_DEPTH`] levels ([`Error::JsonTooDeep`] beyond).
//! `restringify` parses iteratively, so deep input never exhausts the stack.
//!
//! ```
//! use omni_sign::json::{Mode, restringify, stringify};
//!
//! let text = r#"{ "b": 1.0, "a": [1E2, -0.0, 1e21], "10": "x", "2": "\u00e9\/" }"#;
//! let out = restringify(text, Mode::Strict)?;
//! assert_eq!(out.json, r#"{"2":"é/","10":"x","b":1,"a":[100,0,1e+21]}"#);
//!
//! #[derive(serde::Serialize)]
//! struct Order { id: u64, amount: f64, note: Option<String> }
//! let order = Order { id: 9_007_199_254_740_993, amount: 10.0, note: None };
//! let out = stringify(&order, Mode::Lenient)?;
//! assert_eq!(out.json, r#"{"id":9007199254740992,"amount":10,"note":null}"#);
//! assert_eq!(out.warnings[0].pointer, "/id");
//! assert!(stringify(&order, Mode::Strict).is_err());
//! # Ok::<(), omni_sign::Error>(())
//! ```

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::Error;

mod number;
mod parse;
mod ser;
mod writer;

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

/// The kinds of change that are reported; see the [module documentation](self).
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

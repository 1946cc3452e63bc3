//! The one error type of omni-json.

use alloc::string::String;

use crate::Warning;

/// Everything that can go wrong while writing or rewriting JSON in JSON.stringify form.
///
/// No variant carries the JSON text itself, only offsets, pointers and fixed reasons, so an
/// error can be logged without showing a request body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Text given to [`crate::restringify`] is not JSON that `JSON.parse` accepts.
    #[error("invalid JSON at byte {offset}: {reason}")]
    InvalidJson {
        /// Byte offset in the input text where the problem was found.
        offset: usize,
        /// What was wrong there.
        reason: &'static str,
    },
    /// JSON nests arrays and objects deeper than [`crate::MAX_DEPTH`].
    #[error("JSON nested deeper than {max_depth} levels (at byte {offset} of the input or output)")]
    JsonTooDeep {
        /// Byte offset in the input text (`restringify`) or the output (`stringify`) where the
        /// limit was passed.
        offset: usize,
        /// The limit.
        max_depth: usize,
    },
    /// In [`crate::Mode::Strict`], a value a JavaScript server would not see as sent.
    #[error("{0}")]
    UnsafeJsonValue(Warning),
    /// A value cannot be written as JSON: a map key that is not a string, number, bool or
    /// unit variant, or an error raised by the value's own `Serialize` implementation.
    #[error("cannot write the value as JSON: {0}")]
    JsonSerialize(String),
}

impl Error {
    /// A stable, snake_case name of the variant, for FFI messages, bindings and metrics.
    ///
    /// ```
    /// let err = omni_json::restringify("{", omni_json::Mode::Lenient).unwrap_err();
    /// assert_eq!(err.kind(), "invalid_json");
    /// ```
    pub fn kind(&self) -> &'static str {
        match self {
            Error::InvalidJson { .. } => "invalid_json",
            Error::JsonTooDeep { .. } => "json_too_deep",
            Error::UnsafeJsonValue(_) => "unsafe_json_value",
            Error::JsonSerialize(_) => "json_serialize",
        }
    }
}

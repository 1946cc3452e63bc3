//! `omni_status`: what every call answers, its name and message, the status of each
//! omni-sign error, and the panic boundary that turns a panic into `OMNI_PANIC`.

use std::ffi::CStr;
use std::panic::{AssertUnwindSafe, catch_unwind};

use omni_sign::Error;

/// The outcome of every libomni call. Values are appended, never renumbered: a library of a
/// newer minor version may answer a value the caller's header does not list, and
/// omni_status_name / omni_status_str describe it all the same.
///
/// A refusal by a signing rule has the status named after the omni-sign error kind
/// (`store_token_missing` is OMNI_STORE_TOKEN_MISSING); OMNI_INVALID_INPUT is left for
/// arguments that break no signing rule.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum omni_status {
    /// Success.
    OMNI_OK = 0,
    /// A required pointer argument was NULL.
    OMNI_NULL_ARGUMENT = 1,
    /// A string argument is not valid UTF-8.
    OMNI_INVALID_UTF8 = 2,
    /// `out_cap` cannot hold the output and its NUL; `*out_len` holds the length needed.
    OMNI_BUFFER_TOO_SMALL = 3,
    /// An argument that no signing rule covers is out of range: unknown flag bits, a negative
    /// clock or tolerance, a length beyond `PTRDIFF_MAX`. A binding may also answer it for a
    /// string holding a NUL byte, which cannot cross this ABI, when it does not name the rule
    /// that string breaks.
    OMNI_INVALID_INPUT = 4,
    /// x-timestamp is further from the server clock than the tolerance.
    OMNI_TIMESTAMP_OUTSIDE_WINDOW = 5,
    /// x-signature is not `sha256=<64 hex>` (or, unless strict, bare hex).
    OMNI_MALFORMED_SIGNATURE = 6,
    /// The signature does not match.
    OMNI_SIGNATURE_MISMATCH = 7,
    /// libomni panicked (a bug); the call had no effect beyond its output buffer.
    OMNI_PANIC = 8,
    /// The text is not JSON, or (strict mode) holds a value that a JavaScript parse would
    /// change, such as an integer beyond 2^53.
    OMNI_INVALID_JSON = 9,
    /// The secret key is empty.
    OMNI_EMPTY_SECRET = 10,
    /// The method is not an uppercase HTTP token (`GET`, `POST`, ...).
    OMNI_INVALID_METHOD = 11,
    /// The URL is neither an absolute URL nor a path starting with `/`, or holds a control
    /// character, or its path a raw space or non-ASCII character.
    OMNI_INVALID_URL = 12,
    /// A signed header value is empty or holds anything but visible ASCII: CR, LF, another
    /// control character, non-ASCII, a space at either end.
    OMNI_INVALID_HEADER_VALUE = 13,
    /// A signed header was received more than once.
    OMNI_DUPLICATE_HEADER = 14,
    /// x-store-client-id is present without x-store-token.
    OMNI_STORE_TOKEN_MISSING = 15,
    /// x-store-token is present without x-store-client-id.
    OMNI_STORE_CLIENT_ID_MISSING = 16,
    /// A header the verifier needs was not received.
    OMNI_MISSING_HEADER = 17,
    /// x-timestamp is not integer epoch milliseconds in ASCII digits without leading zeros.
    OMNI_MALFORMED_TIMESTAMP = 18,
    /// A body hash given as text is not 64 hex digits.
    OMNI_MALFORMED_BODY_HASH = 19,
    /// `timestamp_ms` is negative.
    OMNI_INVALID_TIMESTAMP = 20,
}

/// Generates [`omni_status::ALL`], [`omni_status::name`] and [`omni_status::message`] from one
/// list of variants. The matches are exhaustive, so adding a variant to the enum without
/// listing it here does not compile, and `ALL` therefore holds every variant.
macro_rules! status_texts {
    ($($variant:ident => $message:literal,)*) => {
        impl omni_status {
            /// Every status, in the order of their values.
            pub const ALL: &'static [omni_status] = &[$(omni_status::$variant),*];

            /// The status's C name, e.g. `OMNI_STORE_TOKEN_MISSING`.
            pub const fn name(self) -> &'static CStr {
                match self {
                    $(omni_status::$variant => {
                        match CStr::from_bytes_with_nul(
                            concat!(stringify!($variant), "\0").as_bytes(),
                        ) {
                            Ok(name) => name,
                            Err(_) => panic!("a variant name holds no NUL"),
                        }
                    })*
                }
            }

            /// A readable sentence saying what was wrong.
            pub const fn message(self) -> &'static CStr {
                match self {
                    $(omni_status::$variant => $message,)*
                }
            }
        }
    };
}

status_texts! {
    OMNI_OK => c"ok",
    OMNI_NULL_ARGUMENT => c"a required pointer argument is NULL",
    OMNI_INVALID_UTF8 => c"a string argument is not valid UTF-8",
    OMNI_BUFFER_TOO_SMALL => c"the output buffer is too small; out_len holds the length needed",
    OMNI_INVALID_INPUT => c"invalid argument: unknown flag bits, a negative clock or tolerance, a length beyond PTRDIFF_MAX, or (in a binding) a string holding a NUL byte",
    OMNI_TIMESTAMP_OUTSIDE_WINDOW => c"the timestamp is outside the window around the server clock",
    OMNI_MALFORMED_SIGNATURE => c"malformed x-signature: expected sha256=<64 hex digits>",
    OMNI_SIGNATURE_MISMATCH => c"signature mismatch",
    OMNI_PANIC => c"internal error (panic) in libomni",
    OMNI_INVALID_JSON => c"invalid JSON, or JSON that a JavaScript parse would change",
    OMNI_EMPTY_SECRET => c"the secret key is empty",
    OMNI_INVALID_METHOD => c"invalid method: expected an uppercase HTTP token such as GET or POST",
    OMNI_INVALID_URL => c"invalid URL: expected an absolute URL or a path starting with /, without control characters, and without raw spaces or non-ASCII characters in the path",
    OMNI_INVALID_HEADER_VALUE => c"invalid header value: expected non-empty visible ASCII with no spaces at either end (no CR, LF or other control character)",
    OMNI_DUPLICATE_HEADER => c"a signed header was given more than once",
    OMNI_STORE_TOKEN_MISSING => c"x-store-client-id is present without x-store-token",
    OMNI_STORE_CLIENT_ID_MISSING => c"x-store-token is present without x-store-client-id",
    OMNI_MISSING_HEADER => c"a required header is missing",
    OMNI_MALFORMED_TIMESTAMP => c"malformed x-timestamp: expected integer epoch milliseconds in ASCII digits, without leading zeros",
    OMNI_MALFORMED_BODY_HASH => c"malformed body hash: expected 64 hex digits",
    OMNI_INVALID_TIMESTAMP => c"invalid timestamp: timestamp_ms is negative",
}

impl omni_status {
    /// The status whose value is `code`, if any.
    pub fn from_code(code: i32) -> Option<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|status| *status as i32 == code)
    }

    /// The status of an omni-sign error: the one named after its kind.
    pub fn of(error: &Error) -> Self {
        match error {
            Error::EmptySecret => Self::OMNI_EMPTY_SECRET,
            Error::InvalidMethod => Self::OMNI_INVALID_METHOD,
            Error::InvalidUrl(_) => Self::OMNI_INVALID_URL,
            Error::InvalidHeaderValue(_) => Self::OMNI_INVALID_HEADER_VALUE,
            Error::DuplicateHeader(_) => Self::OMNI_DUPLICATE_HEADER,
            Error::StoreTokenMissing => Self::OMNI_STORE_TOKEN_MISSING,
            Error::StoreClientIdMissing => Self::OMNI_STORE_CLIENT_ID_MISSING,
            Error::MissingHeader(_) => Self::OMNI_MISSING_HEADER,
            Error::MalformedTimestamp => Self::OMNI_MALFORMED_TIMESTAMP,
            Error::TimestampOutsideWindow { .. } => Self::OMNI_TIMESTAMP_OUTSIDE_WINDOW,
            Error::MalformedSignature => Self::OMNI_MALFORMED_SIGNATURE,
            Error::SignatureMismatch => Self::OMNI_SIGNATURE_MISMATCH,
            Error::MalformedBodyHash => Self::OMNI_MALFORMED_BODY_HASH,
            // A kind a later omni-sign adds before libomni names it. (JSON errors never get
            // here: omni_json_stringify answers OMNI_INVALID_JSON itself.)
            _ => Self::OMNI_INVALID_INPUT,
        }
    }
}

impl From<Error> for omni_status {
    fn from(error: Error) -> Self {
        omni_status::of(&error)
    }
}

/// What a call's body answers: `Ok` for OMNI_OK, else the failure's status.
pub(crate) type Outcome = Result<(), omni_status>;

/// Runs `f`, turning a panic into `OMNI_PANIC` so that no unwind crosses the C boundary.
pub(crate) fn guard(f: impl FnOnce() -> Outcome) -> omni_status {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => omni_status::OMNI_OK,
        Ok(Err(status)) => status,
        Err(_) => omni_status::OMNI_PANIC,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_lists_every_value_in_order() {
        for (value, status) in omni_status::ALL.iter().enumerate() {
            assert_eq!(*status as usize, value);
            assert_eq!(omni_status::from_code(value as i32), Some(*status));
        }
        let past = omni_status::ALL.len() as i32;
        assert_eq!(omni_status::from_code(past), None);
        assert_eq!(omni_status::from_code(-1), None);
    }

    #[test]
    fn names_are_the_variant_names_and_messages_differ() {
        for status in omni_status::ALL {
            assert_eq!(status.name().to_str().unwrap(), format!("{status:?}"));
        }
        let mut messages: Vec<_> = omni_status::ALL.iter().map(|s| s.message()).collect();
        messages.sort();
        messages.dedup();
        assert_eq!(messages.len(), omni_status::ALL.len());
    }

    /// The convention shared with every binding: the status of an omni-sign error is named
    /// `OMNI_` and its kind in upper case.
    #[test]
    fn each_signing_error_has_the_status_named_after_its_kind() {
        let errors = [
            Error::EmptySecret,
            Error::InvalidMethod,
            Error::InvalidUrl("x"),
            Error::InvalidHeaderValue("x"),
            Error::DuplicateHeader("x"),
            Error::StoreTokenMissing,
            Error::StoreClientIdMissing,
            Error::MissingHeader("x"),
            Error::MalformedTimestamp,
            Error::TimestampOutsideWindow {
                provided_ms: 0,
                now_ms: 0,
                age_ms: 0,
                tolerance_ms: 0,
            },
            Error::MalformedSignature,
            Error::SignatureMismatch,
            Error::MalformedBodyHash,
        ];
        for error in errors {
            let status = omni_status::of(&error);
            let want = format!("OMNI_{}", error.kind().to_uppercase());
            assert_eq!(status.name().to_str().unwrap(), want);
        }
    }
}

//! Numbers: integer digits, whether JavaScript's form of an integer still denotes it, and
//! number text as `JSON.parse` reads it.

use alloc::string::String;

use crate::Error;
use crate::WarningKind;
use crate::writer::Writer;

/// 2^53: every integer up to this magnitude is a double, written by JavaScript with exactly its
/// own digits.
pub(crate) const MAX_SAFE: u128 = 1 << 53;

/// Appends the decimal digits of `v`.
pub(crate) fn push_decimal(out: &mut String, v: u128) {
    let mut digits = [0u8; 39];
    let mut i = digits.len();
    // 128-bit division is a library call: use 64 bits whenever the value fits.
    if let Ok(mut v) = u64::try_from(v) {
        loop {
            i -= 1;
            digits[i] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
    } else {
        let mut v = v;
        while v > 0 {
            i -= 1;
            digits[i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    }
    if let Ok(text) = core::str::from_utf8(&digits[i..]) {
        out.push_str(text);
    }
}

/// Whether `js`, a positive finite number as ECMAScript's `Number::toString` writes it
/// (`9007199254740992`, `1e+21`, `1.2345678901234568e+29`), denotes exactly the integer whose
/// decimal digits are `digits`.
///
/// This is the test for [`WarningKind::InexactInteger`]: beyond 2^53 JavaScript writes the
/// shortest digits that identify the double, so `2^60` comes out as `1152921504606847000`, and
/// a reader that takes integers as integers would see another value.
pub(crate) fn denotes_integer(js: &str, digits: &str) -> bool {
    let (mantissa, exponent) = match js.split_once('e') {
        Some((mantissa, exponent)) => match exponent.parse::<usize>() {
            Ok(exponent) => (mantissa, exponent),
            // A negative exponent: not an integer.
            Err(_) => return false,
        },
        None => (js, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let Some(zeros) = exponent.checked_sub(frac.len()) else {
        return false;
    };
    digits.len() == int.len() + frac.len() + zeros
        && digits.starts_with(int)
        && digits[int.len()..].starts_with(frac)
        && digits[int.len() + frac.len()..].bytes().all(|b| b == b'0')
}

/// Writes one number token of the input (already checked against the JSON grammar) as
/// `JSON.stringify(JSON.parse(token))` would, reporting the changes listed on
/// [`WarningKind`].
///
/// `integer` is true when the token has neither fraction nor exponent.
pub(crate) fn write_number_text(
    w: &mut Writer,
    token: &str,
    integer: bool,
    offset: usize,
) -> Result<(), Error> {
    let digits = token.strip_prefix('-').unwrap_or(token);
    // Up to 15 digits an integer is already in ECMAScript form; only -0 reads as 0.
    if integer && digits.len() <= 15 && token != "-0" {
        w.write_raw(token);
        return Ok(());
    }
    let Ok(value) = token.parse::<f64>() else {
        return Err(Error::InvalidJson {
            offset,
            reason: "invalid number",
        });
    };
    if !value.is_finite() {
        return w.write_f64(value, Some(offset));
    }
    let mut buffer = ryu_js::Buffer::new();
    let js = buffer.format_finite(value);
    w.write_raw(js);
    if value == 0.0 {
        let mantissa = digits.split(['e', 'E']).next().unwrap_or_default();
        if mantissa.bytes().any(|b| matches!(b, b'1'..=b'9')) {
            w.warn(WarningKind::Underflow, Some(offset))?;
        }
    } else if integer && !denotes_integer(js.strip_prefix('-').unwrap_or(js), digits) {
        w.warn(WarningKind::InexactInteger, Some(offset))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn javascript_forms_that_keep_or_change_an_integer() {
        assert!(denotes_integer("9007199254740992", "9007199254740992"));
        assert!(!denotes_integer("9007199254740992", "9007199254740993"));
        assert!(denotes_integer("9007199254740994", "9007199254740994"));
        assert!(!denotes_integer(
            "1152921504606847000",
            "1152921504606846976"
        ));
        assert!(denotes_integer("1e+21", "1000000000000000000000"));
        assert!(!denotes_integer("1e+21", "100000000000000000000"));
        assert!(!denotes_integer(
            "1.2345678901234568e+29",
            "123456789012345678901234567890"
        ));
        assert!(denotes_integer("1.25e+22", "12500000000000000000000"));
        assert!(!denotes_integer("1.5", "15"));
        assert!(!denotes_integer("1e-7", "1"));
    }
}

//! Numbers: integer digits, exactness of integers as doubles, and number text as `JSON.parse`
//! reads it.

use alloc::string::String;
use alloc::vec::Vec;

use super::WarningKind;
use super::writer::Writer;
use crate::Error;

/// 2^53: every integer up to this magnitude is exactly a double.
pub(crate) const MAX_SAFE: u128 = 1 << 53;

/// Appends the decimal digits of `v`.
pub(crate) fn push_decimal(out: &mut String, mut v: u128) {
    let mut digits = [0u8; 39];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    for &d in &digits[i..] {
        out.push(char::from(d));
    }
}

/// Whether the integer is exactly some double: its odd part fits the 53-bit significand
/// (every magnitude below 2^128 is in range).
pub(crate) fn is_exact_double(magnitude: u128) -> bool {
    magnitude == 0 || (magnitude >> magnitude.trailing_zeros()) < MAX_SAFE
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
    // Up to 15 digits an integer is exact and already in ECMAScript form; only -0 reads as 0.
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
    w.write_f64(value, Some(offset))?;
    if value.is_infinite() {
        // `write_f64` has reported it.
        return Ok(());
    }
    if value == 0.0 {
        let mantissa = digits.split(['e', 'E']).next().unwrap_or_default();
        if mantissa.bytes().any(|b| matches!(b, b'1'..=b'9')) {
            w.warn(WarningKind::Underflow, Some(offset))?;
        }
    } else if integer && !integer_is_exact(digits, value.abs()) {
        w.warn(WarningKind::InexactInteger, Some(offset))?;
    }
    Ok(())
}

/// Whether the decimal integer `digits` (no sign, no leading zeros) is exactly `value`, the
/// correctly rounded double read from it.
fn integer_is_exact(digits: &str, value: f64) -> bool {
    let mut magnitude: u128 = 0;
    for b in digits.bytes() {
        match magnitude
            .checked_mul(10)
            .and_then(|m| m.checked_add(u128::from(b - b'0')))
        {
            Some(m) => magnitude = m,
            None => return exact_decimal(value).as_bytes() == digits.as_bytes(),
        }
    }
    is_exact_double(magnitude)
}

/// The exact decimal digits of a finite, integral, positive double.
fn exact_decimal(value: f64) -> String {
    let bits = value.to_bits();
    let exponent = ((bits >> 52) & 0x7ff) as i32;
    let mantissa = (bits & ((1 << 52) - 1)) | (1 << 52);
    // value = mantissa * 2^(exponent - 1075); only called for values beyond 2^128.
    let mut shift = exponent - 1075;
    // Little-endian base 10^9 limbs.
    const BASE: u64 = 1_000_000_000;
    let mut limbs: Vec<u64> = Vec::new();
    let mut m = mantissa;
    while m > 0 {
        limbs.push(m % BASE);
        m /= BASE;
    }
    while shift > 0 {
        let step = shift.min(29);
        let mut carry = 0u64;
        for limb in &mut limbs {
            let v = (*limb << step) + carry;
            *limb = v % BASE;
            carry = v / BASE;
        }
        while carry > 0 {
            limbs.push(carry % BASE);
            carry /= BASE;
        }
        shift -= step;
    }
    let mut text = String::new();
    for (i, limb) in limbs.iter().rev().enumerate() {
        let mut chunk = String::new();
        push_decimal(&mut chunk, u128::from(*limb));
        if i > 0 {
            for _ in chunk.len()..9 {
                text.push('0');
            }
        }
        text.push_str(&chunk);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_decimal_of_large_powers_of_two() {
        assert_eq!(
            exact_decimal(2f64.powi(130)),
            "1361129467683753853853498429727072845824"
        );
        assert_eq!(exact_decimal(f64::MAX).len(), 309);
        assert!(exact_decimal(f64::MAX).starts_with("17976931348623157"));
    }

    #[test]
    fn exactness_of_integers() {
        assert!(is_exact_double(1 << 53));
        assert!(!is_exact_double((1 << 53) + 1));
        assert!(is_exact_double((1 << 53) + 2));
        assert!(is_exact_double(1 << 127));
        assert!(!is_exact_double(u128::MAX));
        assert!(integer_is_exact(
            "1361129467683753853853498429727072845824",
            2f64.powi(130)
        ));
        assert!(!integer_is_exact(
            "1361129467683753853853498429727072845825",
            2f64.powi(130)
        ));
    }
}

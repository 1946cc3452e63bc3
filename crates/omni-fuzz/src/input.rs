//! How a target reads structured arguments out of the fuzzer's bytes.

/// Splits `data` into at most `N` fields at each `0xFF` byte (a byte no UTF-8 text holds, so
/// text fields stay whole); missing fields are empty.
pub(crate) fn fields<const N: usize>(data: &[u8]) -> [&[u8]; N] {
    let mut out = [&[][..]; N];
    let mut rest = data;
    for (i, slot) in out.iter_mut().enumerate() {
        if i + 1 == N {
            *slot = rest;
            break;
        }
        match rest.iter().position(|&b| b == 0xFF) {
            Some(at) => {
                *slot = &rest[..at];
                rest = &rest[at + 1..];
            }
            None => {
                *slot = rest;
                rest = &[];
            }
        }
    }
    out
}

/// The field as text, or `None` when it is not UTF-8 (those inputs exercise nothing new in
/// APIs that take `&str`).
pub(crate) fn text(field: &[u8]) -> Option<&str> {
    std::str::from_utf8(field).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_split_at_ff_and_pad_with_empty() {
        let [a, b, c] = fields::<3>(b"x\xFFy");
        assert_eq!((a, b, c), (&b"x"[..], &b"y"[..], &b""[..]));
        let [a, b] = fields::<2>(b"x\xFFy\xFFz");
        assert_eq!((a, b), (&b"x"[..], &b"y\xFFz"[..]));
    }
}
